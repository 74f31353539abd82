"""A read-only traversal of a libcst tree that calls node hooks in libcst's own order, at a
fraction of the cost of ``node.visit(visitor)``.

``CSTNode.visit`` rebuilds (and re-validates) every node of the tree even for a read-only
``CSTVisitor``, and calls two attribute hooks per field: on a large file that is most of the
time the rules take. This walk reads the fields instead, in the order libcst visits them, which
it learns from libcst itself, once per node type (:func:`field_order`). It also skips the
whitespace and punctuation subtrees (:data:`TOKEN_TYPES`) unless someone hooks one of those types:
they hold nothing but more whitespace.

``tests/test_walk.py`` checks that the sequence of (entered, left) nodes is the one libcst's own
traversal produces.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import libcst as cst
import libcst._nodes.op as _op
import libcst._nodes.whitespace as _whitespace

# Node types whose subtrees hold only nodes of these types: operators, punctuation, whitespace,
# comments, blank lines.
TOKEN_TYPES: frozenset[type[cst.CSTNode]] = frozenset(
    kind
    for module in (_op, _whitespace)
    for kind in vars(module).values()
    if isinstance(kind, type)
    and issubclass(kind, cst.CSTNode)
    and kind.__module__ == module.__name__
) | {
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Asynchronous,
}
TOKEN_TYPE_NAMES = frozenset(kind.__name__ for kind in TOKEN_TYPES)

# Per node type: the fields libcst visited on the first node of that type, in its order, and the
# other fields of the type, which libcst visits only when they hold something (see field_order).
_ORDER: dict[type[cst.CSTNode], tuple[tuple[str, ...], tuple[str, ...]]] = {}


class _FieldRecorder(cst.CSTVisitor):
    """Records the fields libcst visits on one node, without descending into them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_leave(self, original_node: cst.CSTNode) -> None:
        return

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.fields.append(attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return


def _recorded_order(node: cst.CSTNode) -> tuple[str, ...]:
    recorder = _FieldRecorder()
    node._visit_and_replace_children(recorder)
    return tuple(dict.fromkeys(recorder.fields))


def _learn(node: cst.CSTNode) -> tuple[tuple[str, ...], tuple[str, ...]]:
    order = _recorded_order(node)
    other = tuple(field.name for field in dataclasses.fields(node) if field.name not in order)
    entry = _ORDER[type(node)] = (order, other)
    return entry


# Whether the values of a type are nodes, by type: `isinstance` against `cst.CSTNode`, an abstract
# class, costs several dict lookups, and a traversal asks it of every field of every node.
_IS_NODE: dict[type, bool] = {}


def _is_node_type(kind: type) -> bool:
    known = _IS_NODE.get(kind)
    if known is None:
        known = _IS_NODE[kind] = issubclass(kind, cst.CSTNode)
    return known


def _holds_nodes(value: object) -> bool:
    return _is_node_type(type(value)) or (
        isinstance(value, (tuple, list)) and any(_is_node_type(type(item)) for item in value)
    )


def field_order(node: cst.CSTNode) -> tuple[str, ...]:
    """The fields of ``node`` in the order libcst's traversal visits them.

    Learnt from libcst on the first node of each type; a field libcst did not visit then (a
    string, or a field visited only when set, such as the ``format_spec`` of an f-string's
    ``{...}``) sends a node where it holds nodes back to libcst for its own order."""
    order, other = _ORDER.get(type(node)) or _learn(node)
    for name in other:
        if _holds_nodes(getattr(node, name)):
            return _recorded_order(node)
    return order


Hook = Callable[[cst.CSTNode], object]


def walk(
    root: cst.CSTNode,
    enter: Callable[[cst.CSTNode], object],
    leave: Callable[[cst.CSTNode], object] | None = None,
    *,
    skip: frozenset[type[cst.CSTNode]] = TOKEN_TYPES,
) -> None:
    """Call ``enter(node)`` before and ``leave(node)`` after the subtree of each node under
    ``root`` (``root`` included) in libcst's traversal order, except in the subtrees of nodes
    whose type is in ``skip`` (pass an empty set to see every node). Return values are ignored:
    every subtree is entered."""
    orders = _ORDER
    holds_nodes = _holds_nodes
    node_types = _IS_NODE
    is_node_type = _is_node_type
    sequences = (tuple, list)

    # `visit` gets itself as an argument: a nested function that names itself is a reference
    # cycle, holding the hooks (a file's whole analysis) until the cyclic collector runs.
    def visit(node: cst.CSTNode, visit: Callable[..., None]) -> None:
        enter(node)
        entry = orders.get(type(node))
        order, other = entry if entry is not None else _learn(node)
        for name in other:
            if holds_nodes(getattr(node, name)):
                order = _recorded_order(node)
                break
        for name in order:
            value = getattr(node, name)
            kind = type(value)
            if node_types.get(kind) or is_node_type(kind):
                if kind not in skip:
                    visit(value, visit)
            elif isinstance(value, sequences):
                for child in value:
                    kind = type(child)
                    if (node_types.get(kind) or is_node_type(kind)) and kind not in skip:
                        visit(child, visit)
        if leave is not None:
            leave(node)

    if type(root) not in skip:
        visit(root, visit)


def find_all(root: object, predicate: Callable[[cst.CSTNode], bool]) -> list[cst.CSTNode]:
    """The nodes of the subtree at ``root`` (``root`` included) for which ``predicate`` holds,
    in libcst's traversal order; none when ``root`` is not a node."""
    if not isinstance(root, cst.CSTNode):
        return []
    found: list[cst.CSTNode] = []

    def enter(node: cst.CSTNode) -> None:
        if predicate(node):
            found.append(node)

    walk(root, enter, skip=frozenset())
    return found
