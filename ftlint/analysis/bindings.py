"""What a name holds where it is used, without type inference.

:class:`BindingTracker` is a mixin for rules: as the traversal meets assignments, ``for`` targets,
parameters and ``self.<attr> = ...`` in methods, it records them per scope in source order. A rule
remembers the :class:`Site` of a candidate and later asks :meth:`BindingTracker.evident` whether
the expression there evidently holds something (a module, a state-dict tensor) by following names
back to what they were bound to, and loop variables back to what was iterated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from ftlint.analysis.nodes import is_name

# Builtins whose result yields the same elements as their first argument.
_ELEMENT_KEEPING = frozenset({"list", "tuple", "sorted", "reversed", "iter"})
# Where a dict's value sits in what its iterators yield, for :func:`iterated_method`.
DICT_VALUES: dict[str, tuple[int, ...]] = {"values": (), "items": (1,)}


@dataclass(eq=False)
class Scope:
    """A module, function or class body."""

    parent: Scope | None
    node: cst.FunctionDef | cst.ClassDef | None = None  # None: the module
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    # In a class body: what its methods assign to `self.<attr>`, by attribute.
    attributes: dict[str, list[Binding]] = field(default_factory=dict)
    # In a method: the name of its first parameter (`self`).
    self_name: str | None = None

    @property
    def is_class(self) -> bool:
        return isinstance(self.node, cst.ClassDef)


@dataclass(frozen=True, eq=False)
class Site:
    """A point in the traversal: names used there resolve to bindings made before it."""

    scope: Scope
    order: int


@dataclass(frozen=True, eq=False)
class Binding:
    value: cst.BaseExpression | None  # None: unknown (a parameter, an `as` target, `x += ...`)
    site: Site  # where it was bound; names inside `value` resolve from here
    path: tuple[int, ...] = ()  # position in a tuple target: `b` in `a, (b, c) = ...` is (1, 0)
    iterated: bool = False  # bound to an element of `value` (a `for` target), not to `value`

    def expression(self) -> cst.BaseExpression | None:
        """The expression bound by a direct binding, through tuple literals on the right."""
        value = self.value
        for index in self.path:
            if not isinstance(value, (cst.Tuple, cst.List)) or index >= len(value.elements):
                return None
            element = value.elements[index]
            if isinstance(element, cst.StarredElement):
                return None
            value = element.value
        return value


def element_source(
    iterable: cst.BaseExpression, path: tuple[int, ...]
) -> tuple[cst.BaseExpression, tuple[int, ...]] | None:
    """The iterable a loop variable's element really comes from, and its position in that element:
    ``for i, (n, m) in enumerate(list(x.named_modules())[1:])`` binds ``m`` to element (1,) of
    ``x.named_modules()``. None when the variable holds something else (the index of enumerate)."""
    while True:
        if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name) and iterable.args:
            builtin = iterable.func.value
            if builtin == "enumerate":
                if path[:1] != (1,):
                    return None
                path = path[1:]
            elif builtin not in _ELEMENT_KEEPING:
                return iterable, path
            iterable = iterable.args[0].value
        elif (
            isinstance(iterable, cst.Subscript)
            and len(iterable.slice) == 1
            and isinstance(iterable.slice[0].slice, cst.Slice)
        ):
            iterable = iterable.value
        else:
            return iterable, path


def method_call(node: cst.BaseExpression, *names: str) -> cst.BaseExpression | None:
    """The receiver ``x`` of ``x.<name>(...)`` for one of ``names``, else None."""
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in names
    ):
        return node.func.value
    return None


def iterated_method(
    iterable: cst.BaseExpression, path: tuple[int, ...], positions: dict[str, tuple[int, ...]]
) -> cst.BaseExpression | None:
    """The receiver ``x`` when a loop variable at ``path`` holds what ``x.<method>()`` yields,
    ``positions`` giving where that sits in each element: ``{"named_modules": (1,)}``."""
    if (
        isinstance(iterable, cst.Call)
        and isinstance(iterable.func, cst.Attribute)
        and positions.get(iterable.func.attr.value) == path
    ):
        return iterable.func.value
    return None


# Decides an expression itself (names are already followed): (expression, its site) -> bool.
DirectTest = Callable[[cst.BaseExpression, Site], bool]
# Decides a loop variable: (the iterable, the variable's position in an element, site) -> bool.
ElementTest = Callable[[cst.BaseExpression, tuple[int, ...], Site], bool]


class BindingTracker:
    """Rule mixin (list it before ``Rule``): records bindings as the traversal meets them.

    Overriding rules must call ``super()`` in ``visit_FunctionDef``/``leave_FunctionDef``,
    ``visit_ClassDef``/``leave_ClassDef``, ``visit_Assign``, ``visit_AnnAssign``,
    ``visit_AugAssign``, ``visit_For``, ``visit_With``, ``visit_NamedExpr`` and
    ``visit_ExceptHandler``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = Scope(parent=None)
        self._order = 0
        # Every class defined in the file, by name: bases are followed through these.
        self.classes: dict[str, cst.ClassDef] = {}
        self._following: set[int] = set()  # `self.<attr>` bindings being judged

    def site(self) -> Site:
        self._order += 1
        return Site(self.scope, self._order)

    # --- queries -------------------------------------------------------------------------

    def lookup(self, name: str, site: Site) -> Binding | None:
        """The binding of ``name`` in effect at ``site`` (Python's scoping, source order)."""
        scope: Scope | None = site.scope
        while scope is not None:
            bindings = scope.bindings.get(name)
            if bindings:  # local to this scope: outer bindings are hidden even before this one
                earlier = [binding for binding in bindings if binding.site.order < site.order]
                return earlier[-1] if earlier else None
            scope = _enclosing(scope)
        return None

    def owner_class(self, name: str, site: Site) -> Scope | None:
        """The class scope whose instance ``name`` is, when it is a method's ``self``."""
        scope: Scope | None = site.scope
        while scope is not None:
            if name in scope.bindings:
                if scope.self_name == name and scope.parent is not None and scope.parent.is_class:
                    return scope.parent
                return None
            scope = _enclosing(scope)
        return None

    def evident(
        self, node: cst.BaseExpression, site: Site, direct: DirectTest, element: ElementTest
    ) -> bool:
        """Whether ``node`` at ``site`` evidently passes ``direct`` once names and ``self``
        attributes are followed to what they were bound to; a loop variable passes ``element``.
        ``self.<attr>`` passes only when every non-None value its class assigns to it passes
        (``self.x = self.x.cuda()`` rests on the other values of ``self.x``). ``direct`` also
        sees names bound to nothing known (parameters, builtins) and attributes of ``self`` its
        class never assigns."""
        if isinstance(node, cst.Name):
            binding = self.lookup(node.value, site)
            if binding is None or binding.value is None:
                return direct(node, site)  # a parameter such as `self`: the rule decides
            if binding.iterated:
                source = element_source(binding.value, binding.path)
                return source is not None and element(source[0], source[1], binding.site)
            value = binding.expression()
            return value is not None and self.evident(value, binding.site, direct, element)
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            owner = self.owner_class(node.value.value, site)
            assigned = [] if owner is None else owner.attributes.get(node.attr.value, [])
            assigned = [b for b in assigned if not is_name(b.value, "None")]
            if assigned:  # else an attribute of a base class: the rule decides
                pending = [binding for binding in assigned if id(binding) not in self._following]
                return bool(pending) and all(
                    self._follow(binding, direct, element) for binding in pending
                )
        return direct(node, site)

    def _follow(self, binding: Binding, direct: DirectTest, element: ElementTest) -> bool:
        """Judge a ``self.<attr>`` value; while it is judged, it is no evidence for itself."""
        self._following.add(id(binding))
        try:
            return binding.value is not None and self.evident(
                binding.value, binding.site, direct, element
            )
        finally:
            self._following.discard(id(binding))

    # --- recording -----------------------------------------------------------------------

    def _bind(
        self, target: cst.BaseExpression, value: cst.BaseExpression | None, iterated: bool = False
    ) -> None:
        site = self.site()

        def bind(node: cst.BaseExpression, path: tuple[int, ...]) -> None:
            if isinstance(node, cst.Name):
                self.scope.bindings.setdefault(node.value, []).append(
                    Binding(value, site, path, iterated)
                )
            elif isinstance(node, (cst.Tuple, cst.List)):
                for index, element in enumerate(node.elements):
                    if isinstance(element, cst.StarredElement):
                        bind_unknown(element.value)
                    else:
                        bind(element.value, (*path, index))
            elif isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
                owner = self.owner_class(node.value.value, site)
                if owner is not None:
                    owner.attributes.setdefault(node.attr.value, []).append(
                        Binding(value, site, path, iterated)
                    )

        def bind_unknown(node: cst.BaseExpression) -> None:
            if isinstance(node, cst.Name):
                self.scope.bindings.setdefault(node.value, []).append(Binding(None, site))

        bind(target, ())

    def _push(self, node: cst.FunctionDef | cst.ClassDef, self_name: str | None = None) -> None:
        self._bind(node.name, None)
        self.scope = Scope(parent=self.scope, node=node, self_name=self_name)

    def _pop(self) -> None:
        assert self.scope.parent is not None
        self.scope = self.scope.parent

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        params = node.params
        positional = [*params.posonly_params, *params.params]
        is_method = self.scope.is_class and not any(
            is_name(decorator.decorator, "staticmethod") for decorator in node.decorators
        )
        self._push(node, positional[0].name.value if is_method and positional else None)
        for param in (*positional, *params.kwonly_params):
            self._bind(param.name, None)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self._bind(star.name, None)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes[node.name.value] = node
        self._push(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target, None)

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target, node.iter, iterated=True)

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            if item.asname is not None:
                self._bind(item.asname.name, None)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target, node.value)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._bind(node.name.name, None)


def _enclosing(scope: Scope) -> Scope | None:
    """The next scope whose names ``scope`` sees: class bodies are skipped, as Python does."""
    parent = scope.parent
    while parent is not None and parent.is_class:
        parent = parent.parent
    return parent
