"""What a static rule is: a check whose logic is a libcst visitor over one file's analysis.

Rules follow libcst's ``visit_<Node>`` / ``leave_<Node>`` naming; the engine runs every enabled
rule in one traversal (return values of ``visit_`` methods are ignored, as in libcst's batched
visitors). A rule reports with :meth:`Rule.report`; a fix is a replacement node or a list of edits.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

import libcst as cst
from libcst import MetadataDependent
from libcst.metadata import CodeRange, PositionProvider, ProviderT

from ftlint.analysis.file import FileAnalysis
from ftlint.analysis.mmconfig import CONFIG_MARKER, MMConfig, Setting
from ftlint.check import Check, Command
from ftlint.diagnostics import Edit, Finding, Fix
from ftlint.prefilter import PythonTree


class Prefilter(Protocol):
    """A rule's prefilter (``Rule.prefilter``)."""

    def __call__(self, tree: PythonTree, /) -> bool: ...


class Rule(Check, MetadataDependent):
    """Base class of static rules (FT0xx)."""

    command = Command.CHECK
    # A file can hold a finding only if it contains at least one of these substrings.
    required_tokens: ClassVar[tuple[str, ...]]
    # Optional finer triage, checked before libcst parses the file (see ftlint/triage.py): a regex
    # that every file with a finding matches, and a code shape from `ftlint.triage.SHAPES`.
    candidate_pattern: ClassVar[str | None] = None
    candidate_shape: ClassVar[str | None] = None

    METADATA_DEPENDENCIES: ClassVar[tuple[ProviderT, ...]] = (PositionProvider,)

    def __init__(self, file: FileAnalysis) -> None:
        super().__init__()
        self.file = file

    # Whether this rule may report anything in the file whose CPython tree is given: False only
    # when it surely cannot, so libcst can skip the file (``ftlint.prefilter``); None: the rule
    # always runs. A function of ``ftlint.prefilters``, which never imports libcst: a file the
    # prefilters clear is checked without it.
    prefilter: ClassVar[Prefilter | None] = None

    @classmethod
    def may_report(cls, tree: PythonTree) -> bool:
        return cls.prefilter is None or cls.prefilter(tree)

    @classmethod
    def is_implemented(cls) -> bool:
        return any(
            name.startswith(("visit_", "leave_"))
            for klass in cls.__mro__[: cls.__mro__.index(Rule)]
            for name in vars(klass)
        )

    def position(self, node: cst.CSTNode) -> CodeRange:
        return self.get_metadata(PositionProvider, node)

    def where(self, node: cst.CSTNode) -> str:
        """Where ``node`` starts, as users see it: ``line 12``, in a notebook ``cell 2, line 3``."""
        return self.file.source.where(self.position(node).start.line)

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        *,
        replacement: cst.CSTNode | None = None,
        edits: list[Edit] | None = None,
        fix_message: str = "",
    ) -> None:
        """Report ``node``; a fix is ``replacement`` (for ``node``) or explicit ``edits``."""
        if replacement is not None:
            edits = [self.replace(node, replacement)]
        fix = None
        if edits and self.fix is not None:
            fix = Fix(self.fix, fix_message, tuple(edits))
        self.file.add(Finding(self.code, message, self.position(node), fix, node))

    def replace(self, node: cst.CSTNode, replacement: cst.CSTNode | str) -> Edit:
        content = (
            replacement
            if isinstance(replacement, str)
            else self.file.module.code_for_node(replacement)
        )
        return self.file.edit(self.position(node), content)


# The definition a statement belongs to, for rules that judge names per scope; None: the module.
Scope = cst.FunctionDef | cst.ClassDef | None


class ScopedRule(Rule):
    """A rule that judges names per function: ``self.scope`` is the innermost ``def`` around the
    node being visited, or, with ``class_scopes``, the innermost ``def`` or class body."""

    class_scopes: ClassVar[bool] = False

    def __init__(self, file: FileAnalysis) -> None:
        super().__init__(file)
        self._scopes: list[cst.FunctionDef | cst.ClassDef] = []

    @property
    def scope(self) -> Scope:
        return self._scopes[-1] if self._scopes else None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scopes.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if self.class_scopes:
            self._scopes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        if self.class_scopes:
            self._scopes.pop()


class ConfigRule(Rule):
    """A rule over the merged settings of an OpenMMLab Python config (``FileAnalysis.mmconfig``):
    it runs once per file, after the traversal, and reports where the file writes a setting."""

    candidate_pattern: ClassVar[str | None] = CONFIG_MARKER

    def __init__(self, file: FileAnalysis) -> None:
        super().__init__(file)
        # A dict two settings share (`norm_cfg=norm_cfg` twice) is reported once.
        self._reported: set[tuple[int, str]] = set()

    def leave_Module(self, original_node: cst.Module) -> None:
        config = self.file.mmconfig
        if config is not None:
            self.check_config(config)

    def check_config(self, config: MMConfig) -> None:
        raise NotImplementedError

    def report_setting(self, config: MMConfig, settings: list[Setting], message: str) -> None:
        """Report at the first of ``settings`` this file writes; when its bases write them all
        and no one base alone does, at its ``_base_`` (the combination is this file's)."""
        node = next((setting.node for setting in settings if setting.node is not None), None)
        if node is None and len({setting.origin for setting in settings}) > 1:
            node = config.base_node
        if node is not None and (id(node), message) not in self._reported:
            self._reported.add((id(node), message))
            self.report(node, message)
