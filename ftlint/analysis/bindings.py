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

from ftlint.analysis.model_iterators import CALL_DEPTH
from ftlint.analysis.nodes import is_name

# Builtins whose result yields the same elements as their first argument.
_ELEMENT_KEEPING = frozenset({"list", "tuple", "sorted", "reversed", "iter"})


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
    # In a function: what its `return` statements return, in source order.
    returns: list[Binding] = field(default_factory=list)

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
    defines: Scope | None = None  # the scope of the function a `def` binds its name to
    parameter: bool = False  # a parameter of the function whose scope holds it
    annotation: cst.BaseExpression | None = None  # a parameter's annotation

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


@dataclass(frozen=True)
class Placement:
    """What a dotted path stands for at a site: ``resnet.fc`` at the call ``train(resnet)``
    for ``model.fc`` in ``def train(model)``."""

    node: cst.BaseExpression
    site: Site
    via: cst.Call | None = None  # the call that first led out of the path's own function


# Decides an expression itself (names are already followed): (expression, its site) -> bool.
DirectTest = Callable[[cst.BaseExpression, Site], bool]
# Decides a loop variable: (the iterable, the variable's position in an element, site) -> bool.
ElementTest = Callable[[cst.BaseExpression, tuple[int, ...], Site], bool]


class BindingTracker:
    """Rule mixin (list it before ``Rule``): records bindings as the traversal meets them.

    Overriding rules must call ``super()`` in ``visit_FunctionDef``/``leave_FunctionDef``,
    ``visit_ClassDef``/``leave_ClassDef``, ``visit_Assign``, ``visit_AnnAssign``,
    ``visit_AugAssign``, ``visit_For``, ``visit_With``, ``visit_NamedExpr``,
    ``visit_ExceptHandler``, ``visit_Return`` and ``visit_Call``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = Scope(parent=None)
        self._order = 0
        # Every class defined in the file, by name: bases are followed through these.
        self.classes: dict[str, cst.ClassDef] = {}
        self._following: set[int] = set()  # values (`self.<attr>`, returned) being judged
        self._scopes: list[Scope] = [self.scope]
        # Calls of plain names (`train_model(...)`), by name, with their sites.
        self._calls: dict[str, list[tuple[cst.Call, Site]]] = {}

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
            if value is None:  # `model, size = build(...)`: what `build` returns
                returned = self.returned(binding.value, binding.site, binding.path)
                return bool(returned) and all(
                    self._follow(found, direct, element) for found in returned
                )
            return self.evident(value, binding.site, direct, element)
        if isinstance(node, cst.Call):
            returned = self.returned(node, site)
            if returned:  # a function of this file: what it returns, not its name
                return all(self._follow(found, direct, element) for found in returned)
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            owner = self.owner_class(node.value.value, site)
            assigned = [] if owner is None else owner.attributes.get(node.attr.value, [])
            assigned = [b for b in assigned if not is_name(b.value, "None")]
            if assigned:  # else an attribute of a base class: the rule decides
                pending = [b for b in assigned if id(b.value) not in self._following]
                return bool(pending) and all(
                    self._follow(binding, direct, element) for binding in pending
                )
        return direct(node, site)

    def _follow(self, binding: Binding, direct: DirectTest, element: ElementTest) -> bool:
        """Judge a ``self.<attr>`` value or a returned value; while it is judged, it is no
        evidence for itself."""
        if binding.value is None or id(binding.value) in self._following:
            return False
        self._following.add(id(binding.value))
        try:
            return self.evident(binding.value, binding.site, direct, element)
        finally:
            self._following.discard(id(binding.value))

    # --- same-file calls -----------------------------------------------------------------

    def called_function(self, call: cst.Call, site: Site) -> Scope | None:
        """The scope of the function of this file that ``call`` (``f(...)``) calls at ``site``."""
        if not isinstance(call.func, cst.Name):
            return None
        binding = self.lookup(call.func.value, site)
        if binding is None and site.scope.parent is not None:
            # A call in a function body runs after the module defined functions below it.
            bindings = self.scope_of_module().bindings.get(call.func.value, [])
            binding = bindings[-1] if bindings else None
        return None if binding is None else binding.defines

    def scope_of_module(self) -> Scope:
        scope = self.scope
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def returned(
        self, value: cst.BaseExpression | None, site: Site, path: tuple[int, ...] = ()
    ) -> list[Binding]:
        """What ``value``, a call of a function of this file, returns (element ``path`` of a
        returned tuple): one binding per ``return``, None values left out. Empty when ``value``
        is no such call or some return gives no such element."""
        if not isinstance(value, cst.Call):
            return []
        function = self.called_function(value, site)
        if function is None:
            return []
        found = []
        for returned in function.returns:
            element = Binding(returned.value, returned.site, path).expression()
            if element is None:
                return []
            if not is_name(element, "None"):
                found.append(Binding(element, returned.site))
        return found

    def callers(self, function: Scope) -> list[tuple[cst.Call, Site]]:
        """The calls of ``function`` (by its plain name) in this file, with their sites."""
        if not isinstance(function.node, cst.FunctionDef):
            return []
        return [
            (call, site)
            for call, site in self._calls.get(function.node.name.value, [])
            if self.called_function(call, site) is function
        ]

    def placements(self, node: cst.BaseExpression, site: Site) -> list[Placement]:
        """Where ``node`` (a dotted path) at ``site`` is judged: itself, and what it stands for
        in the callers of its function, followed through up to three calls. A parameter of a
        function called in this file stands only for its arguments."""
        found: list[Placement] = []
        frontier = [Placement(node, site)]
        for depth in range(CALL_DEPTH + 1):
            lifted_all: list[Placement] = []
            for placement in frontier:
                lifted = [
                    Placement(expression, where, placement.via or call)
                    for expression, where, call in self.at_callers(placement.node, placement.site)
                    if depth < CALL_DEPTH
                ]
                if not lifted or not self._is_parameter(placement.node, placement.site):
                    found.append(placement)
                lifted_all += lifted
            frontier = lifted_all
        return found

    def _is_parameter(self, node: cst.BaseExpression, site: Site) -> bool:
        root = _root(node)
        binding = None if root is None else self.lookup(root.value, site)
        return binding is not None and binding.parameter

    def at_callers(
        self, node: cst.BaseExpression, site: Site
    ) -> list[tuple[cst.BaseExpression, Site, cst.Call]]:
        """What ``node`` (a dotted path) stands for in the callers of the function it is used
        in: ``model.fc`` in ``def train(model)`` is ``resnet.fc`` where ``train(resnet)`` is
        called; ``net`` in a function that ends with ``return net`` is ``model`` where
        ``model = build()`` is called. Empty when its root is neither a parameter nor returned,
        or the function has no caller in this file."""
        root = _root(node)
        binding = None if root is None else self.lookup(root.value, site)
        function = site.scope
        if root is None or binding is None or binding.site.scope is not function:
            return []
        found: list[tuple[cst.BaseExpression, Site, cst.Call]] = []
        for call, call_site in self.callers(function):
            if binding.parameter:
                argument = _argument(call, function, root.value)
                if argument is not None:
                    found.append((_with_root(node, argument), call_site, call))
            else:
                found += [
                    (_with_root(node, target), target_site, call)
                    for target, target_site in self._assigned_results(call, function, root.value)
                ]
        return found

    def _assigned_results(
        self, call: cst.Call, function: Scope, name: str
    ) -> list[tuple[cst.Name, Site]]:
        """The names a caller binds to what ``function`` returns in its variable ``name``:
        ``model`` of ``model, size = build()`` when ``build`` ends with ``return net, 224``."""
        positions: set[tuple[int, ...]] = set()
        for returned in function.returns:
            value = returned.value
            if is_name(value, name):
                positions.add(())
            elif isinstance(value, cst.Tuple):
                positions |= {
                    (index,)
                    for index, element in enumerate(value.elements)
                    if is_name(element.value, name)
                }
        return [
            # Judged right after the assignment: the name holds the result there.
            (cst.Name(variable), Site(binding.site.scope, binding.site.order + 1))
            for scope in self._scopes
            for variable, bindings in scope.bindings.items()
            for binding in bindings
            if binding.value is call and binding.path in positions
        ]

    # --- recording -----------------------------------------------------------------------

    def _bind(
        self,
        target: cst.BaseExpression,
        value: cst.BaseExpression | None,
        iterated: bool = False,
        defines: Scope | None = None,
        parameter: bool = False,
        annotation: cst.BaseExpression | None = None,
    ) -> None:
        site = self.site()

        # `bind` gets itself as an argument: a nested function that names itself is a cycle.
        def bind(
            node: cst.BaseExpression, path: tuple[int, ...], bind: Callable[..., None]
        ) -> None:
            if isinstance(node, cst.Name):
                self.scope.bindings.setdefault(node.value, []).append(
                    Binding(value, site, path, iterated, defines, parameter, annotation)
                )
            elif isinstance(node, (cst.Tuple, cst.List)):
                for index, element in enumerate(node.elements):
                    if isinstance(element, cst.StarredElement):
                        bind_unknown(element.value)
                    else:
                        bind(element.value, (*path, index), bind)
            elif isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
                owner = self.owner_class(node.value.value, site)
                if owner is not None:
                    owner.attributes.setdefault(node.attr.value, []).append(
                        Binding(value, site, path, iterated)
                    )

        def bind_unknown(node: cst.BaseExpression) -> None:
            if isinstance(node, cst.Name):
                self.scope.bindings.setdefault(node.value, []).append(Binding(None, site))

        bind(target, (), bind)

    def _push(self, node: cst.FunctionDef | cst.ClassDef, self_name: str | None = None) -> None:
        scope = Scope(parent=self.scope, node=node, self_name=self_name)
        self._bind(node.name, None, defines=scope if isinstance(node, cst.FunctionDef) else None)
        self.scope = scope
        self._scopes.append(scope)

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
            annotation = None if param.annotation is None else param.annotation.annotation
            self._bind(param.name, None, parameter=True, annotation=annotation)
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

    def visit_Return(self, node: cst.Return) -> None:
        if isinstance(self.scope.node, cst.FunctionDef):
            self.scope.returns.append(Binding(node.value, self.site()))

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name):
            self._calls.setdefault(node.func.value, []).append((node, self.site()))


def _root(node: cst.BaseExpression) -> cst.Name | None:
    """The name a dotted path starts from: ``model`` of ``model.backbone.body``."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return node if isinstance(node, cst.Name) else None


def _with_root(node: cst.BaseExpression, root: cst.BaseExpression) -> cst.BaseExpression:
    """``node``, a dotted path, starting from ``root`` instead of its name."""
    if isinstance(node, cst.Attribute):
        return node.with_changes(value=_with_root(node.value, root))
    return root


def _argument(call: cst.Call, function: Scope, parameter: str) -> cst.BaseExpression | None:
    """The argument ``call`` passes to ``function``'s ``parameter``, when it is evident."""
    assert isinstance(function.node, cst.FunctionDef)
    params = function.node.params
    positional = [param.name.value for param in (*params.posonly_params, *params.params)]
    for index, arg in enumerate(call.args):
        if arg.star:
            return None  # `f(*args)`: positions beyond it are unknown
        if arg.keyword is not None:
            if arg.keyword.value == parameter:
                return arg.value
        elif index < len(positional) and positional[index] == parameter:
            return arg.value
    return None


def _enclosing(scope: Scope) -> Scope | None:
    """The next scope whose names ``scope`` sees: class bodies are skipped, as Python does."""
    parent = scope.parent
    while parent is not None and parent.is_class:
        parent = parent.parent
    return parent
