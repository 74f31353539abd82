"""What verify reads of a file's syntax: the names statements bind and read, what a call calls,
the blocks of a compound statement, the span of a row; and :class:`Note`, a remark at a row."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodePosition, CodeRange

from ftlint.analysis.imports import ImportMap, dotted_name
from ftlint.sources import SourceFile


@dataclass(frozen=True)
class Note:
    row: int
    text: str


def qualified_callee(call: cst.Call, imports: ImportMap) -> str | None:
    """``torchvision.models.resnet50`` for ``resnet50(...)`` after ``from torchvision.models
    import resnet50``; the dotted name as written when it is not imported; None otherwise."""
    return imports.qualify(call.func) or dotted_name(call.func)


def root_name(node: cst.BaseExpression) -> str | None:
    """``model`` for ``model.layer4[0].conv1`` or ``model.fc.parameters()``."""
    while isinstance(node, (cst.Attribute, cst.Subscript, cst.Call)):
        node = node.func if isinstance(node, cst.Call) else node.value
    return node.value if isinstance(node, cst.Name) else None


class NameUse(cst.CSTVisitor):
    """Names a statement reads from outside, and names it binds or changes: assignment, loop
    and ``with`` targets, imports, definitions, and the roots of attributes, items and receivers
    of method calls it writes through (``model.fc = ...``, ``layers.append(...)``).

    Loop and comprehension variables and lambda parameters are not reads: ``name`` in the body
    of ``for name, p in model.named_parameters()`` is the loop's own.
    """

    def __init__(self, *, into_functions: bool = False) -> None:
        super().__init__()
        self._names: set[str] = set()
        self._locals: set[str] = set()
        self.binds: set[str] = set()
        self._into_functions = into_functions

    @property
    def reads(self) -> set[str]:
        return self._names - self._locals

    def bind(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.binds.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.bind(element.value)
        else:
            root = root_name(target)
            if root is not None:
                self.binds.add(root)
            target.visit(self)

    def visit_Name(self, node: cst.Name) -> None:
        self._names.add(node.value)

    def _local(self, target: cst.BaseExpression) -> None:
        own = NameUse()
        own.bind(target)
        self._locals |= own.binds

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._local(node.target)

    def visit_Param(self, node: cst.Param) -> None:
        self._locals.add(node.name.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Assign(self, node: cst.Assign) -> bool:
        for target in node.targets:
            self.bind(target.target)
        node.value.visit(self)
        return False

    def visit_AnnAssign(self, node: cst.AnnAssign) -> bool:
        self.bind(node.target)
        node.annotation.visit(self)
        if node.value is not None:
            node.value.visit(self)
        return False

    def visit_AugAssign(self, node: cst.AugAssign) -> bool:
        self.bind(node.target)
        node.target.visit(self)
        node.value.visit(self)
        return False

    def visit_For(self, node: cst.For) -> None:
        self.bind(node.target)
        self._local(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self.bind(node.asname.name)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self.bind(node.name.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.bind(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self.bind(node.target)

    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, cst.Call) and isinstance(node.value.func, cst.Attribute):
            root = root_name(node.value.func.value)
            if root is not None:
                self.binds.add(root)

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            local = alias.asname.name if alias.asname else alias.name
            self.binds.add((dotted_name(local) or "").split(".")[0])
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                local = alias.asname.name if alias.asname else alias.name
                self.binds.add(dotted_name(local) or "")
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        """Its signature; what its body reads is the caller's business (the body is pruned),
        except in a class, whose methods are kept whole."""
        if self._into_functions:
            return True
        self.binds.add(node.name.value)
        for part in (*node.decorators, node.returns):
            if part is not None:
                part.visit(self)
        for param in (*node.params.params, *node.params.kwonly_params, *node.params.posonly_params):
            for piece in (param.default, param.annotation):
                if piece is not None:
                    piece.visit(self)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.binds.add(node.name.value)
        for part in (*node.decorators, *node.bases, *node.keywords):
            part.visit(self)
        return False

    def visit_Global(self, node: cst.Global) -> bool:
        return False

    def visit_Nonlocal(self, node: cst.Nonlocal) -> bool:
        return False


def name_use(*nodes: cst.CSTNode | None, into_functions: bool = False) -> NameUse:
    use = NameUse(into_functions=into_functions)
    for node in nodes:
        if node is not None:
            node.visit(use)
    return use


def assigned_names(statement: cst.SimpleStatementLine) -> set[str]:
    """Names that ``x = ...``/``x: T = ...`` statements on this line assign as a whole."""
    return {
        target.value
        for small in statement.body
        if isinstance(small, (cst.Assign, cst.AnnAssign))
        for target in (
            [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
        )
        if isinstance(target, cst.Name)
    }


def statement_blocks(statement: cst.BaseStatement) -> list[cst.IndentedBlock] | None:
    """The blocks of an ``if``/``with``/``try`` whose statements are decided one by one, or None
    for a statement decided as a whole."""
    blocks: list[cst.BaseSuite] = []
    if isinstance(statement, cst.If):
        branch: cst.If | cst.Else | None = statement
        while isinstance(branch, cst.If):
            blocks.append(branch.body)
            branch = branch.orelse
        if branch is not None:
            blocks.append(branch.body)
    elif isinstance(statement, cst.With):
        blocks.append(statement.body)
    elif isinstance(statement, (cst.Try, cst.TryStar)):
        blocks.extend([statement.body, *(handler.body for handler in statement.handlers)])
        blocks.extend(part.body for part in (statement.orelse, statement.finalbody) if part)
    else:
        return None
    indented = [block for block in blocks if isinstance(block, cst.IndentedBlock)]
    return indented if len(indented) == len(blocks) else None


def line_span(source: SourceFile, row: int) -> CodeRange:
    """The span of a row's text without its indentation (row 1 when ``row`` is not in it)."""
    lines = source.lines()
    row = row if 0 < row <= len(lines) else 1
    text = lines[row - 1]
    start = len(text) - len(text.lstrip())
    return CodeRange(CodePosition(row, start), CodePosition(row, len(text.rstrip())))
