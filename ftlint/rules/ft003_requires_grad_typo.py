from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

import libcst as cst

from ftlint.analysis.misspellings import METHOD, REQUIRES_GRAD, TYPO_STEMS, is_requires_grad_typo
from ftlint.analysis.nodes import find_all, is_attribute, is_name
from ftlint.analysis.tensors import consequence, literal_bool
from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Applicability
from ftlint.prefilters import ft003_requires_grad_typo as ft003_prefilter
from ftlint.rules.base import Rule
from ftlint.triage import attribute_assigned

if TYPE_CHECKING:
    from ftlint.analysis.file import FileAnalysis


class RequiresGradTypo(Rule):
    """
    ## What it does
    Flags an assignment to a misspelt `requires_grad` attribute (`p.require_grad = False`,
    `p.requires_grads = False`, `p.grad_required = False`, any near miss that keeps `grad`), and an
    assignment to the method `requires_grad_` (`p.requires_grad_ = False`).

    ## Why is this bad?
    Tensors and modules accept any attribute, so Python silently creates a new one: the parameter
    keeps `requires_grad=True` and trains. Assigning to `requires_grad_` only hides the method on
    that object. Nothing crashes; the model just fine-tunes layers you meant to freeze.

    A misspelt name that the file also uses elsewhere as an attribute (reads it, takes it as a
    parameter or keyword argument, names it in a string) is taken as a deliberate attribute and
    not reported; a plain variable of that name is not.

    ## Example
    ```python
    for param in model.backbone.parameters():
        param.require_grad = False
    ```

    ## Fix
    Spell it `requires_grad` (an unsafe fix: the parameters really freeze afterwards):

    ```python
    for param in model.backbone.parameters():
        param.requires_grad = False
    ```
    """

    code = "FT003"
    name = "requires-grad-typo"
    summary = "Assignment to a misspelt `requires_grad` freezes nothing"
    fix = Applicability.UNSAFE
    required_tokens = (METHOD, *TYPO_STEMS)
    candidate_pattern = attribute_assigned(
        rf"\w*(?:{'|'.join(map(re.escape, required_tokens))})\w*"
    )

    VALID = [
        Valid(
            """
            for param in model.backbone.parameters():
                param.requires_grad = False
            """
        ),
        # A module's own flag, read back later: not a typo.
        Valid(
            """
            class Adapter(nn.Module):
                def __init__(self, require_grad=True):
                    super().__init__()
                    self.require_grad = require_grad
            """
        ),
        Valid(
            """
            class Adapter(nn.Module):
                def __init__(self, flag):
                    super().__init__()
                    self._requires_grad = flag
            """
        ),
        Valid(
            """
            x.retain_grad()
            ctx.needs_input_grad = (True, False)
            p.grad = None
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            for param in model.backbone.parameters():
                param.require_grad = False
            """,
            line=2,
            message_contains="nothing is frozen: `require_grad` is not `requires_grad`",
            expected_replacement="""
            for param in model.backbone.parameters():
                param.requires_grad = False
            """,
        ),
        Invalid(
            """
            for name, p in model.named_parameters():
                if "classifier" in name:
                    p.requires_grads = True
            """,
            line=3,
            message_contains="nothing is unfrozen",
        ),
        Invalid(
            """
            model.encoder.embeddings.word_embeddings.weight.grad_required = False
            """,
            expected_replacement="""
            model.encoder.embeddings.word_embeddings.weight.requires_grad = False
            """,
        ),
        Invalid(
            """
            for p in model.parameters():
                p.requires_grad_ = False
            """,
            message_contains="`requires_grad_` is a method",
            expected_replacement="""
            for p in model.parameters():
                p.requires_grad = False
            """,
        ),
    ]

    prefilter = staticmethod(ft003_prefilter.may_report)

    def __init__(self, file: FileAnalysis) -> None:
        super().__init__(file)
        self._typos: list[tuple[cst.Attribute, cst.BaseExpression]] = []

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            attribute = target.target
            if not isinstance(attribute, cst.Attribute):
                continue
            if attribute.attr.value == METHOD:
                self._report(
                    attribute,
                    node.value,
                    f"`{METHOD}` is a method, and assigning to it only hides the method on "
                    "this object",
                )
            elif is_requires_grad_typo(attribute.attr.value):
                self._typos.append((attribute, node.value))

    def leave_Module(self, original_node: cst.Module) -> None:
        assigned = Counter(attribute.attr.value for attribute, _ in self._typos)
        # Names the file also reads, takes as parameters or spells in strings are its own.
        deliberate = {name for name, count in assigned.items() if self._mentions(name) > count}
        for attribute, value in self._typos:
            name = attribute.attr.value
            if name in deliberate:
                continue
            self._report(
                attribute,
                value,
                f"`{name}` is not `{REQUIRES_GRAD}`, so Python silently creates a new "
                "attribute and the parameter keeps training as before",
            )

    def _mentions(self, name: str) -> int:
        """Mentions of ``name`` as an attribute, a parameter, a keyword argument or in a string
        (not in comments). A plain variable of that name is no mention: it says nothing about
        an attribute (``require_grad = False`` beside ``x.require_grad = False``)."""
        word = re.compile(rf"\b{re.escape(name)}\b")
        mentions = find_all(
            self.file.module,
            lambda node: (
                is_attribute(node, name)
                or (isinstance(node, cst.Param) and node.name.value == name)
                or (isinstance(node, cst.Arg) and is_name(node.keyword, name))
                or (
                    isinstance(node, (cst.SimpleString, cst.FormattedStringText))
                    and word.search(node.value) is not None
                )
            ),
        )
        return len(mentions)

    def _report(self, attribute: cst.Attribute, value: cst.BaseExpression, reason: str) -> None:
        self.report(
            attribute.attr,
            f"{consequence(literal_bool(value))}: {reason}; rename it to `{REQUIRES_GRAD}`",
            replacement=cst.Name(REQUIRES_GRAD),
            fix_message=f"Rename to `{REQUIRES_GRAD}`",
        )
