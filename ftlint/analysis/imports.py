"""Which dotted names a file's imports bind: a cheap stand-in for libcst's qualified-name
metadata (which costs about ten parses per file)."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node

# Read from each class's MRO: `issubclass` on libcst's abstract bases costs ~8 ms here, on
# every start-up that lints a file.
_EXPRESSION_TYPES = frozenset(
    kind
    for kind in vars(cst).values()
    if isinstance(kind, type) and cst.BaseExpression in kind.__mro__
)


def dotted_name(node: cst.CSTNode) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    if isinstance(node, (cst.Name, cst.Attribute)):
        return get_full_name_for_node(node)
    return None


@dataclass
class ImportMap:
    """Local name -> qualified name, from every import statement in the file (any scope)."""

    bindings: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_module(cls, module: cst.Module) -> ImportMap:
        from ftlint.walk import TOKEN_TYPES, walk

        collector = _ImportCollector()

        def enter(node: cst.CSTNode) -> None:
            if isinstance(node, cst.Import):
                collector.visit_Import(node)
            elif isinstance(node, cst.ImportFrom):
                collector.visit_ImportFrom(node)

        # Imports are statements, and no expression holds a statement.
        walk(module, enter, skip=TOKEN_TYPES | _EXPRESSION_TYPES)
        return cls(collector.bindings)

    def qualify(self, node: cst.CSTNode) -> str | None:
        """Qualified name of a Name/Attribute chain whose root is imported, else None."""
        name = dotted_name(node)
        if name is None:
            return None
        root, _, rest = name.partition(".")
        target = self.bindings.get(root)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target


class _ImportCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.bindings: dict[str, str] = {}

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = get_full_name_for_node(alias.name) or ""
            if alias.asname is not None:
                self.bindings[get_full_name_for_node(alias.asname.name) or full] = full
            else:
                root = full.split(".")[0]
                self.bindings[root] = root

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return
        module = get_full_name_for_node(node.module) or ""
        for alias in node.names:
            name = get_full_name_for_node(alias.name) or ""
            local = get_full_name_for_node(alias.asname.name) if alias.asname else name
            self.bindings[local or name] = f"{module}.{name}"
