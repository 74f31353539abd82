"""Which part of a model freeze code touches: what a loop over a model binds, and whether one
part lies within another.

A part is the dotted source path of a module (``model.backbone``, ``self.encoder``); parts are
compared as text, which is what a single file can show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import libcst as cst

from ftlint.analysis.bindings import element_source
from ftlint.analysis.imports import dotted_name
from ftlint.analysis.model_iterators import MODEL_ITERATORS, STATE_DICT, Kind, Position
from ftlint.analysis.nodes import is_attribute, is_call

# Iterating a state dict's views: where keys and tensors sit.
_STATE_VIEWS: dict[str, tuple[Position | None, Position | None]] = {
    "items": ((0,), (1,)),
    "keys": ((), None),
    "values": (None, ()),
}


@dataclass(frozen=True)
class Part:
    path: str
    # False when the code touches some unknown sub-module or parameters of `path`.
    exact: bool = True


@dataclass(frozen=True)
class ModelLoop:
    """What one ``for`` (or comprehension ``for``) over a model binds."""

    kind: Kind
    part: Part | None  # the iterated part; None for a state dict held in a variable
    name: str | None  # variable bound to parameter, module or state-dict names
    value: str | None  # variable bound to the parameters, modules or tensors


@dataclass(frozen=True)
class _Role:
    kind: Kind
    part: Part | None
    is_name: bool


def _variables(target: cst.BaseExpression, path: Position = ()) -> Iterator[tuple[str, Position]]:
    if isinstance(target, cst.Name):
        yield target.value, path
    elif isinstance(target, (cst.Tuple, cst.List)):
        for index, element in enumerate(target.elements):
            if not isinstance(element, cst.StarredElement):
                yield from _variables(element.value, (*path, index))


def _is_state_dict(node: cst.BaseExpression) -> bool:
    """``model.state_dict()``, or a variable holding one: ``state_dict``, ``ckpt["state_dict"]``."""
    if is_call(node) and is_attribute(node.func, STATE_DICT):
        return True
    if isinstance(node, cst.Subscript):
        return any(
            isinstance(element.slice, cst.Index)
            and isinstance(element.slice.value, cst.SimpleString)
            and STATE_DICT in str(element.slice.value.evaluated_value)
            for element in node.slice
        )
    name = dotted_name(node)
    return name is not None and STATE_DICT in name.rpartition(".")[2]


class ModelLoops:
    """The loops over models enclosing the node being visited, innermost last.

    Rules call :meth:`enter`/:meth:`leave` from their ``visit_For``/``leave_For`` (and for each
    of :func:`comprehension_clauses`), so that :meth:`part_of` can tell that ``p`` in
    ``p.requires_grad = False`` is a parameter of ``model.backbone``.
    """

    def __init__(self) -> None:
        # Each enclosing loop: what it binds when it iterates a model, and its variables.
        self._stack: list[tuple[ModelLoop | None, frozenset[str]]] = []

    def enter(self, target: cst.BaseExpression, iterable: cst.BaseExpression) -> ModelLoop | None:
        variables = dict(_variables(target))
        roles = {
            variable: role
            for variable, position in variables.items()
            if (source := element_source(iterable, position)) is not None
            and (role := self._role(*source)) is not None
        }
        loop = None
        if roles:
            first = next(iter(roles.values()))
            loop = ModelLoop(
                first.kind,
                first.part,
                next((variable for variable, role in roles.items() if role.is_name), None),
                next((variable for variable, role in roles.items() if not role.is_name), None),
            )
        self._stack.append((loop, frozenset(variables)))
        return loop

    def leave(self) -> None:
        self._stack.pop()

    def _role(self, iterable: cst.BaseExpression, position: Position) -> _Role | None:
        """What a loop variable at ``position`` of each element of ``iterable`` holds."""
        name_position: Position | None
        value_position: Position | None
        if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Attribute):
            method, receiver = iterable.func.attr.value, iterable.func.value
            if method in MODEL_ITERATORS:
                kind, name_position, value_position = MODEL_ITERATORS[method]
                if position in (name_position, value_position):
                    return _Role(kind, self.part_of(receiver), position == name_position)
            elif method in _STATE_VIEWS and _is_state_dict(receiver):
                name_position, value_position = _STATE_VIEWS[method]
                if position in (name_position, value_position):
                    return _Role("state", self._state_owner(receiver), position == name_position)
        if _is_state_dict(iterable) and position == ():
            return _Role("state", self._state_owner(iterable), True)
        return None

    def _state_owner(self, state_dict: cst.BaseExpression) -> Part | None:
        if isinstance(state_dict, cst.Call) and isinstance(state_dict.func, cst.Attribute):
            return self.part_of(state_dict.func.value)
        return None

    def bound(self, variable: str) -> ModelLoop | None:
        """The innermost enclosing model loop that binds ``variable``."""
        return self._binding_loop(variable)[1]

    def _binding_loop(self, variable: str) -> tuple[bool, ModelLoop | None]:
        """Whether an enclosing loop binds ``variable``, and what the innermost such loop binds
        when it iterates a model."""
        for loop, variables in reversed(self._stack):
            if variable in variables:
                return True, loop
        return False, None

    def part_of(
        self,
        node: cst.BaseExpression,
        resolve: Callable[[cst.BaseExpression], str | None] = dotted_name,
    ) -> Part | None:
        """The model part ``node`` denotes, seeing through loop variables: ``p`` of
        ``for p in model.fc.parameters()`` is in ``model.fc``; ``m.weight`` of
        ``for m in model.modules()`` in some module of ``model``. A part that is no loop
        variable is read by ``resolve``: its dotted path, or a rule's own reading of it (with
        aliases such as `head = model.fc` followed). Passed at each call, not kept: a rule's
        bound method kept here would tie the rule, and its file's tree, into a cycle."""
        path = dotted_name(node)
        if path is None:
            return None
        root = path.partition(".")[0]
        is_loop_variable, loop = self._binding_loop(root)
        if not is_loop_variable:
            resolved = resolve(node)
            return None if resolved is None else Part(resolved)
        if loop is None or root != loop.value or loop.part is None:
            return None  # a name, a state-dict tensor, or an element of something else
        if loop.kind == "parameter" and loop.name is None:
            return loop.part  # `for p in part.parameters()` reaches every parameter of the part
        # Loops over names usually pick some of them; loops over modules reach sub-modules.
        return Part(loop.part.path, exact=False)


def comprehension_clauses(node: cst.BaseComp | cst.DictComp) -> Iterator[cst.CompFor]:
    """A comprehension's ``for`` clauses, outermost first; they bind names for its element too."""
    clause: cst.CompFor | None = node.for_in
    while clause is not None:
        yield clause
        clause = clause.inner_for_in


def is_within(inner: str, outer: str) -> bool:
    """Whether part ``inner`` is ``outer`` or one of its sub-modules."""
    return inner == outer or inner.startswith(outer + ".")
