"""What FT009 and FT011 share: torchvision builder calls that take the legacy weights path
(the weights enum class, the deprecated `pretrained` flags, a bool passed by position), what that
path loads, and how to write the member it loads in a fix."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeGuard

import libcst as cst
from libcst.metadata import CodePosition, CodeRange

from ftlint.analysis.data.torchvision_weights import LEGACY_WEIGHTS, WEIGHTS_ENUMS
from ftlint.analysis.imports import ImportMap, dotted_name
from ftlint.analysis.tensors import literal_bool
from ftlint.analysis.torchvision import builder_key, is_dynamic_builder
from ftlint.diagnostics import Edit
from ftlint.rules.base import Rule

if TYPE_CHECKING:
    from ftlint.analysis.file import FileAnalysis

_IMPORT_STATEMENTS = (cst.Import, cst.ImportFrom)
# Weights parameter -> its legacy flag, for builders picked by name (`getattr(models, arch)`).
_DYNAMIC_LEGACY_PARAMETERS = {"weights": "pretrained", "weights_backbone": "pretrained_backbone"}
# A builder's first keyword-only parameter, which torchvision fills from a first positional
# argument (`resnet50(True)` is `resnet50(weights=True)`, read as `pretrained=True`).
_FIRST_PARAMETER = "weights"


def all_known(loaded: list[str | None]) -> TypeGuard[list[str]]:
    """Whether every legacy weights member is known (None: the builder has none)."""
    return None not in loaded


def enum_and_member(qualified_member: str) -> tuple[str, str]:
    enum, _, member = qualified_member.partition(".")
    return enum, member


def keyword_args(call: cst.Call) -> dict[str, cst.Arg]:
    return {arg.keyword.value: arg for arg in call.args if arg.keyword is not None}


def _loaded_members(
    member: str | None, quantized_member: str | None, call: cst.Call
) -> list[str | None]:
    """What the legacy path loads for ``call``: one member, or two when ``quantize`` is not a
    literal; None when torchvision has no legacy weights for the builder (it raises)."""
    if quantized_member is None:
        return [member]
    quantize = keyword_args(call).get("quantize")
    flag = False if quantize is None else literal_bool(quantize.value)
    if flag is None:
        return [member, quantized_member]
    return [quantized_member if flag else member]


def default_note(qualified_member: str) -> str:
    """How the member the legacy path loads compares with ``.DEFAULT``, after a comma or not."""
    enum, member = enum_and_member(qualified_member)
    default = WEIGHTS_ENUMS[enum][1]
    if default == member:
        return f" (the same as `{enum}.DEFAULT` today, but it will not follow newer weights)"
    return f", not `{enum}.DEFAULT` (`{default}`)"


def is_enum_class(node: cst.BaseExpression) -> bool:
    name = dotted_name(node)
    return name is not None and name.rpartition(".")[2] in WEIGHTS_ENUMS


class LegacyWeightsRule(Rule):
    """A rule on torchvision builder calls: :meth:`on_enum_class` sees each weights argument
    given the enum class, :meth:`on_flag` each legacy flag (a bool by position included) given
    without its weights argument; ``loaded`` is what the legacy path loads (empty: unknown, for
    a builder picked by name)."""

    def __init__(self, file: FileAnalysis) -> None:
        super().__init__(file)
        top_level_imports = [
            statement
            for statement in file.module.body
            if isinstance(statement, cst.SimpleStatementLine)
            and any(isinstance(small, _IMPORT_STATEMENTS) for small in statement.body)
        ]
        self._import_statements = top_level_imports
        # Only top-level imports are sure to be in scope where a fix writes a name.
        self._top_level = ImportMap.from_module(cst.Module(body=top_level_imports))

    def on_enum_class(self, call: cst.Call, weights: cst.Arg, loaded: list[str | None]) -> None:
        """``weights`` (a keyword or the first positional argument) passes an enum class."""

    def on_flag(
        self, call: cst.Call, flag: cst.Arg, weights_name: str, loaded: list[str | None]
    ) -> None:
        """``flag`` is a legacy flag: ``pretrained=...``, or a bool passed by position."""

    def visit_Call(self, node: cst.Call) -> None:
        key = builder_key(node.func, self.file.imports)
        if key is None:
            if is_dynamic_builder(node.func, self.file.imports):
                self._check_dynamic(node)
            return
        keywords = keyword_args(node)
        for weights_name, (pretrained_name, member, quantized) in LEGACY_WEIGHTS[key].items():
            weights, pretrained = keywords.get(weights_name), keywords.get(pretrained_name)
            if weights_name == _FIRST_PARAMETER and weights is None and pretrained is None:
                weights = _first_positional(node)
            loaded = _loaded_members(member, quantized, node)
            if weights is not None and pretrained is None:
                if is_enum_class(weights.value):
                    self.on_enum_class(node, weights, loaded)
                elif weights.keyword is None and literal_bool(weights.value) is not None:
                    self.on_flag(node, weights, weights_name, loaded)
            elif pretrained is not None and weights is None:
                self.on_flag(node, pretrained, weights_name, loaded)

    def _check_dynamic(self, call: cst.Call) -> None:
        """A builder picked by name: which legacy weights it loads, the code does not say."""
        keywords = keyword_args(call)
        for weights_name, pretrained_name in _DYNAMIC_LEGACY_PARAMETERS.items():
            pretrained = keywords.get(pretrained_name)
            if pretrained is not None and weights_name not in keywords:
                self.on_flag(call, pretrained, weights_name, [])

    def argument_text(self, arg: cst.Arg, weights_name: str) -> str:
        """``weights=X``, or ``X`` passed by position as ``weights``, for a message."""
        value = self.file.module.code_for_node(arg.value)
        if arg.keyword is None:
            return f"`{value}` passed by position as `{weights_name}`"
        return f"`{arg.keyword.value}={value}`"

    def report_with_fix(
        self, node: cst.CSTNode, message: str, replacement: str, edits: list[Edit], fix_message: str
    ) -> None:
        self.report(
            node, message, edits=[self.replace(node, replacement), *edits], fix_message=fix_message
        )

    def reference(self, enum: str, member: str, call: cst.Call) -> tuple[str, list[Edit]] | None:
        """How to write ``enum.member`` here: through a top-level import (the builder's own
        first), or with a new ``from <namespace> import <enum>`` after the last import above
        ``call``; None when there is no such import to put it after."""
        namespace = WEIGHTS_ENUMS[enum][0]
        builder_root = (dotted_name(call.func) or "").partition(".")[0]
        bindings = sorted(
            self._top_level.bindings.items(), key=lambda item: item[0] != builder_root
        )
        for local, target in bindings:
            if target.startswith("torchvision.models") and target.rpartition(".")[2] == enum:
                return f"{local}.{member}", []
        for local, target in bindings:
            if namespace == target or namespace.startswith(target + "."):
                return f"{local}{namespace[len(target) :]}.{enum}.{member}", []
        edit = self._import_edit(f"from {namespace} import {enum}", call)
        return None if edit is None else (f"{enum}.{member}", [edit])

    def _import_edit(self, statement: str, call: cst.Call) -> Edit | None:
        """Insert ``statement`` after the last top-level import above ``call``. The edit spans
        that import's lines, so two fixes adding an import conflict (the second waits for the
        next pass, which finds the name imported) instead of importing it twice."""
        line = self.position(call).start.line
        above = [s for s in self._import_statements if self.position(s).end.line < line]
        if not above:
            return None
        span = self.position(above[-1])
        end_column = len(self.file.source.lines()[span.end.line - 1])
        whole_lines = CodeRange(
            CodePosition(span.start.line, 0), CodePosition(span.end.line, end_column)
        )
        source = self.file.source
        original = source.text[
            source.offset(span.start.line, 0) : source.offset(span.end.line, end_column)
        ]
        return self.file.edit(whole_lines, f"{original}\n{statement}")


def _first_positional(call: cst.Call) -> cst.Arg | None:
    """The first argument of ``call`` when it is passed by position (not ``*args``)."""
    first = call.args[0] if call.args else None
    return first if first is not None and first.keyword is None and not first.star else None
