"""The program ``ftlint verify`` runs: the whole file, instrumented.

Every rewrite stays on the rows of what it rewrites, so the program's line numbers are the
file's own. The rewrites call the probes (``__ftlint__``, :class:`ftlint.verify.probes.Probes`):

* ``x = f(...)`` and ``return f(...)`` become ``__ftlint__.track(site, f(...))``: models and
  optimizers are found by what these calls return;
* in freeze code, the receivers of parameter and module iterators, of ``requires_grad_``,
  ``eval`` and ``train``, of ``.requires_grad = ...``, and the first argument of freeze helpers,
  become ``__ftlint__.seen(site, receiver)``: which model the freeze code ran on;
* values given to ``requires_grad`` become ``__ftlint__.grad(site, value)``;
* free names and attributes that freeze conditions read become
  ``__ftlint__.flag("train_backbone", train_backbone)``: scenarios and ``--set`` override them;
* ``name = value`` for a name pinned with ``--set`` becomes ``name = __ftlint__.pin("name", value)``;
* each condition FT001 flags becomes ``__ftlint__.chain(k, "or and", lambda: a, lambda: b, ...)``,
  which evaluates it as Python does, or left to right (FT102).

Loops over parameter or module names also record the string literals they test the names
against (``'layer4' in name``, ``name.startswith("fc")``) for FT103 and FT104.
"""

from __future__ import annotations

import builtins
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

import libcst as cst
from libcst.metadata import CodeRange

from ftlint.analysis.bindings import element_source
from ftlint.analysis.boolean import is_bare, parenthesize_and_operands
from ftlint.analysis.file import FileAnalysis
from ftlint.analysis.freeze import (
    find_freeze_action,
    is_freeze_call,
    is_requires_grad_target,
)
from ftlint.analysis.freeze_calls import FREEZE_METHODS, PARAMETER_ITERATORS
from ftlint.analysis.imports import ImportMap, dotted_name
from ftlint.analysis.nodes import find_all, one_line
from ftlint.rules.ft001_ambiguous_freeze_condition import AmbiguousFreezeCondition
from ftlint.verify.syntax import (
    assigned_names,
    name_use,
    qualified_callee,
    statement_blocks,
)

PROBES = "__ftlint__"

# Iterators whose elements carry names, and where the name sits in each element.
_NAMED_ITERATORS = {
    "named_parameters": (0,),
    "named_modules": (0,),
    "named_children": (0,),
    "named_buffers": (0,),
    "state_dict": (),
}
_STATE_DICT_VIEWS = {"items": (0,), "keys": ()}
_NEVER_FLAGS = frozenset(dir(builtins)) | {PROBES}

TestKind = Literal["substring", "prefix", "suffix", "equal"]
_Node = TypeVar("_Node", bound=cst.CSTNode)
_Tested = TypeVar("_Tested", cst.IfExp, cst.While, cst.CompIf)
SiteKind = Literal["iterator", "call", "attribute", "helper", "value"]


@dataclass(frozen=True)
class Site:
    """A place in freeze code that reports what it ran on (or, for ``value``, the value given
    to ``requires_grad``)."""

    kind: SiteKind
    method: str  # the iterator or method called, the helper's name, or "requires_grad"
    statement: CodeRange  # the freeze statement it belongs to


@dataclass(frozen=True)
class Construction:
    """``variable = callee(...)`` (or ``return callee(...)``, variable None)."""

    variable: str | None
    callee: str
    span: CodeRange


@dataclass(frozen=True)
class NameTest:
    """A string literal tested against the names a loop iterates."""

    literal: str
    kind: TestKind
    site: int  # the iterator site whose names are tested
    span: CodeRange  # the literal
    test: str  # the test's source


@dataclass(frozen=True)
class Chain:
    """A condition FT001 flags, and its two readings."""

    span: CodeRange
    python_reading: str
    left_to_right: str


@dataclass(frozen=True)
class Program:
    module: cst.Module  # the file as parsed
    code: str  # what runs
    constructions: Mapping[int, Construction]
    sites: Mapping[int, Site]
    chains: Mapping[int, Chain]
    name_tests: tuple[NameTest, ...]
    flag_names: frozenset[str]
    statement_rows: tuple[int, ...]  # rows where a statement starts, ascending


def _probe(method: str, *args: cst.BaseExpression) -> cst.Call:
    return cst.Call(
        cst.Attribute(cst.Name(PROBES), cst.Name(method)), [cst.Arg(arg) for arg in args]
    )


def _flatten(
    node: cst.BooleanOperation,
) -> tuple[list[cst.BaseExpression], list[cst.BaseBooleanOp]]:
    """Operands and operators of a chain of unparenthesized ``and``/``or``, left to right."""
    operands: list[cst.BaseExpression] = []
    operators: list[cst.BaseBooleanOp] = []
    for index, side in enumerate((node.left, node.right)):
        if index:
            operators.append(node.operator)
        if is_bare(side, cst.Or) or is_bare(side, cst.And):
            inner_operands, inner_operators = _flatten(side)
            operands.extend(inner_operands)
            operators.extend(inner_operators)
        else:
            operands.append(side)
    return operands, operators


def _word(operator: cst.BaseBooleanOp) -> str:
    return "and" if isinstance(operator, cst.And) else "or"


def left_to_right(operands: list[str], operators: list[str]) -> str:
    """``(a or b) and c and d``: the chain evaluated left to right, without precedence."""
    text = operands[0]
    for index, (operator, operand) in enumerate(zip(operators, operands[1:])):
        if index and operator != operators[index - 1]:
            text = f"({text})"
        text = f"{text} {operator} {operand}"
    return text


class _FlagReads(cst.CSTTransformer):
    """Wraps the free names and dotted attributes an expression reads in ``__ftlint__.flag``."""

    def __init__(self, bound: set[str]) -> None:
        super().__init__()
        self.bound = set(bound)
        self.keys: set[str] = set()
        self._skip: set[int] = set()

    def visit_Call(self, node: cst.Call) -> bool:
        self._skip.add(id(node.func))
        callee = dotted_name(node.func) or ""
        # Probes already in place hold nothing to wrap, except the operands of a chain.
        return not callee.startswith(f"{PROBES}.") or callee == f"{PROBES}.chain"

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._skip.add(id(node.keyword))

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.bound |= {param.name.value for param in node.params.params}

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self.bound |= _target_names(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.bound |= _target_names(node.target)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self._skip.add(id(node.attr))
        return dotted_name(node) is None  # a dotted chain is wrapped whole, or not at all

    def _wrap(
        self, original: cst.BaseExpression, updated: cst.BaseExpression
    ) -> cst.BaseExpression:
        key = dotted_name(original)
        if key is None or id(original) in self._skip or key.split(".")[0] in self.bound:
            return updated
        self.keys.add(key)
        return _probe("flag", cst.SimpleString(repr(key)), updated)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        return self._wrap(original_node, updated_node)

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        return self._wrap(original_node, updated_node)


def _target_names(target: cst.BaseExpression) -> set[str]:
    use = name_use()
    use.bind(target)
    return use.binds


class _Instrumenter(cst.CSTTransformer):
    def __init__(
        self,
        module: cst.Module,
        positions: Mapping[cst.CSTNode, CodeRange],
        pinned: frozenset[str],
        chains: set[int],  # ids of the conditions to read twice
        imports: ImportMap,
    ) -> None:
        super().__init__()
        self.module = module
        self.positions = positions
        self.pinned = pinned
        self.chains_to_read = chains
        self.imports = imports
        definitions = name_use(
            *(s for s in module.body if isinstance(s, (cst.FunctionDef, cst.ClassDef)))
        )
        self.never_flags = _NEVER_FLAGS | set(self.imports.bindings) | definitions.binds
        self.constants = self._string_constants(module)
        self._ids = itertools.count(1)
        self.constructions: dict[int, Construction] = {}
        self.sites: dict[int, Site] = {}
        self.chains: dict[int, Chain] = {}
        self.name_tests: list[NameTest] = []
        self.flag_names: set[str] = set()
        self.statement_rows: set[int] = set()
        # The freeze statement being visited (the outermost one), and the names it binds itself.
        self._freeze: cst.BaseStatement | None = None
        self._freeze_names: set[str] = set()
        self._statements: list[cst.CSTNode] = []  # the statements being visited, innermost last
        self._names: list[tuple[str, int]] = []  # (name variable, iterator site) of enclosing loops
        self._iterator_sites: dict[int, int] = {}  # id(iterator call) -> site

    @staticmethod
    def _string_constants(module: cst.Module) -> dict[str, list[cst.SimpleString]]:
        """Module-level ``NAMES = ["layer1", "layer2"]``: lists freeze code may test names against."""
        constants: dict[str, list[cst.SimpleString]] = {}
        for statement in module.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Assign) and isinstance(
                        small.value, (cst.List, cst.Tuple, cst.Set)
                    ):
                        elements = [element.value for element in small.value.elements]
                        strings = [e for e in elements if isinstance(e, cst.SimpleString)]
                        if len(strings) == len(elements):
                            for name in assigned_names(statement):
                                constants[name] = strings
        return constants

    # Statements ---------------------------------------------------------------------------------

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.BaseStatement):
            self.statement_rows.add(self.positions[node].start.line)
            self._statements.append(node)
            if self._freeze is None and self._is_freeze_statement(node):
                self._freeze, self._freeze_names = node, name_use(node).binds
        return super().on_visit(node)

    def on_leave(
        self, original_node: _Node, updated_node: _Node
    ) -> _Node | cst.RemovalSentinel | cst.FlattenSentinel[_Node]:
        if self._statements and self._statements[-1] is original_node:
            self._statements.pop()
        if self._freeze is original_node:
            self._freeze = None
        return super().on_leave(original_node, updated_node)

    def _is_freeze_statement(self, node: cst.BaseStatement) -> bool:
        return (
            not isinstance(node, (cst.FunctionDef, cst.ClassDef))
            and statement_blocks(node) is None
            and find_freeze_action(self.module, node) is not None
        )

    def _new_site(self, kind: SiteKind, method: str) -> int:
        """A site in the outermost freeze statement, or else in the innermost statement."""
        site = next(self._ids)
        statement = self._freeze or self._statements[-1]
        self.sites[site] = Site(kind, method, self.positions[statement])
        return site

    def _seen(self, kind: SiteKind, method: str, receiver: cst.BaseExpression) -> cst.Call:
        return _probe("seen", cst.Integer(str(self._new_site(kind, method))), receiver)

    # Models and optimizers ----------------------------------------------------------------------

    def _track(
        self,
        variable: str | None,
        statement: cst.Assign | cst.AnnAssign | cst.Return,
        value: cst.BaseExpression,
    ) -> cst.BaseExpression:
        """``value`` (the rewritten value of ``statement``) reported, when the statement's own
        value is a call: what calls return is where models and optimizers come from."""
        call = statement.value
        if not isinstance(call, cst.Call):
            return value
        site = next(self._ids)
        callee = qualified_callee(call, self.imports) or one_line(
            self.module.code_for_node(call.func), 120
        )
        self.constructions[site] = Construction(variable, callee, self.positions[statement])
        return _probe("track", cst.Integer(str(site)), value)

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        targets = [target.target for target in original_node.targets]
        if len(targets) == 1 and isinstance(targets[0], cst.Name):
            name = targets[0].value
            value = self._track(name, original_node, updated_node.value)
            if name in self.pinned:
                value = _probe("pin", cst.SimpleString(repr(name)), value)
            return updated_node.with_changes(value=value)
        if self._freeze is not None and any(map(is_requires_grad_target, targets)):
            return self._requires_grad_assignment(updated_node)
        return updated_node

    def leave_AnnAssign(
        self, original_node: cst.AnnAssign, updated_node: cst.AnnAssign
    ) -> cst.AnnAssign:
        if isinstance(original_node.target, cst.Name) and updated_node.value is not None:
            value = self._track(original_node.target.value, original_node, updated_node.value)
            return updated_node.with_changes(value=value)
        return updated_node

    def leave_Return(self, original_node: cst.Return, updated_node: cst.Return) -> cst.Return:
        if updated_node.value is None:
            return updated_node
        return updated_node.with_changes(value=self._track(None, original_node, updated_node.value))

    # Freeze code --------------------------------------------------------------------------------

    def _requires_grad_assignment(self, node: cst.Assign) -> cst.Assign:
        targets = [
            target.with_changes(
                target=target.target.with_changes(
                    value=self._seen("attribute", "requires_grad", target.target.value)
                )
            )
            if is_requires_grad_target(target.target)
            else target
            for target in node.targets
        ]
        return node.with_changes(targets=targets, value=self._requested(node.value))

    def _requested(self, value: cst.BaseExpression) -> cst.Call:
        """A value given to ``requires_grad``: its flags wrapped, and reported."""
        site = self._new_site("value", "requires_grad")
        return _probe("grad", cst.Integer(str(site)), self._flags(value))

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        func = updated_node.func
        site = self._iterator_sites.get(id(original_node))
        if site is not None and isinstance(func, cst.Attribute):
            receiver = _probe("seen", cst.Integer(str(site)), func.value)
            return updated_node.with_changes(func=func.with_changes(value=receiver))
        if self._freeze is None:
            return updated_node
        args = list(updated_node.args)
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in PARAMETER_ITERATORS | FREEZE_METHODS:
                kind: SiteKind = "iterator" if method in PARAMETER_ITERATORS else "call"
                func = func.with_changes(value=self._seen(kind, method, func.value))
            if method == "requires_grad_" and args:
                args[0] = args[0].with_changes(value=self._requested(args[0].value))
            elif method == "train" and args:
                args[0] = args[0].with_changes(value=self._flags(args[0].value))
        elif isinstance(func, cst.Name) and is_freeze_call(original_node) and args:
            args[0] = args[0].with_changes(value=self._seen("helper", func.value, args[0].value))
        return updated_node.with_changes(func=func, args=args)

    # Conditions ---------------------------------------------------------------------------------

    def _flags(self, expression: cst.BaseExpression) -> cst.BaseExpression:
        bound = self._freeze_names if self._freeze is not None else set()
        reads = _FlagReads(bound | self.never_flags)
        wrapped = expression.visit(reads)
        self.flag_names |= reads.keys
        assert isinstance(wrapped, cst.BaseExpression)  # _FlagReads wraps names, removes nothing
        return wrapped

    def leave_If(self, original_node: cst.If, updated_node: cst.If) -> cst.If:
        if self._freeze is not None or find_freeze_action(
            self.module, original_node.body, original_node.orelse
        ):
            return updated_node.with_changes(test=self._flags(updated_node.test))
        return updated_node

    def _test_in_freeze_code(self, original_node: _Tested, updated_node: _Tested) -> _Tested:
        if self._freeze is not None:
            return updated_node.with_changes(test=self._flags(updated_node.test))
        return updated_node

    leave_IfExp = leave_While = leave_CompIf = _test_in_freeze_code

    def leave_BooleanOperation(
        self, original_node: cst.BooleanOperation, updated_node: cst.BooleanOperation
    ) -> cst.BaseExpression:
        if id(original_node) not in self.chains_to_read or find_all(
            original_node, lambda node: isinstance(node, cst.NamedExpr)
        ):
            return (
                updated_node  # in a lambda, `:=` would bind elsewhere: that chain is not read twice
            )
        site = next(self._ids)
        original_operands, operators = _flatten(original_node)
        operands, updated_operators = _flatten(updated_node)
        code = self.module.code_for_node
        self.chains[site] = Chain(
            self.positions[original_node],
            one_line(code(parenthesize_and_operands(original_node)), 400),
            left_to_right(
                [one_line(code(o), 400) for o in original_operands], [_word(o) for o in operators]
            ),
        )
        arguments = [
            cst.Arg(cst.Integer(str(site))),
            cst.Arg(cst.SimpleString(repr(" ".join(map(_word, operators))))),
        ]
        for index, operand in enumerate(operands):
            thunk = cst.Lambda(cst.Parameters(), operand)
            if index < len(updated_operators):  # keep the operator's whitespace, newlines included
                operator = updated_operators[index]
                comma = cst.Comma(operator.whitespace_before, operator.whitespace_after)
                arguments.append(cst.Arg(thunk, comma=comma))
            else:
                arguments.append(cst.Arg(thunk))
        call = _probe("chain")
        return call.with_changes(args=arguments, lpar=updated_node.lpar, rpar=updated_node.rpar)

    # Names tested against literals (FT103, FT104) -----------------------------------------------

    def _name_iterator(
        self, target: cst.BaseExpression, iterable: cst.BaseExpression
    ) -> tuple[str, cst.Call] | None:
        """The variable bound to names, and the call that yields them: ``name`` and
        ``model.named_parameters()`` for ``for name, p in model.named_parameters()``."""
        for variable, path in _variable_paths(target):
            source = element_source(iterable, path)
            if source is None:
                continue
            call, position = source
            if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
                continue
            method = call.func.attr.value
            receiver = call.func.value
            if method in _STATE_DICT_VIEWS and position == _STATE_DICT_VIEWS[method]:
                if (
                    isinstance(receiver, cst.Call)
                    and isinstance(receiver.func, cst.Attribute)
                    and receiver.func.attr.value == "state_dict"
                ):
                    return variable, receiver
            elif _NAMED_ITERATORS.get(method) == position:
                return variable, call
        return None

    def _enter_loop(self, target: cst.BaseExpression, iterable: cst.BaseExpression) -> None:
        found = self._name_iterator(target, iterable)
        if found is None:
            self._names.append(("", 0))
            return
        variable, call = found
        assert isinstance(call.func, cst.Attribute)  # _name_iterator finds method calls only
        site = self._new_site("iterator", call.func.attr.value)
        self._iterator_sites[id(call)] = site
        self._names.append((variable, site))

    def visit_For(self, node: cst.For) -> None:
        self._enter_loop(node.target, node.iter)

    def leave_For(self, original_node: cst.For, updated_node: cst.For) -> cst.For:
        self._names.pop()
        return updated_node

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._enter_loop(node.target, node.iter)

    def leave_CompFor(self, original_node: cst.CompFor, updated_node: cst.CompFor) -> cst.CompFor:
        self._names.pop()
        return updated_node

    def _name_site(self, node: cst.BaseExpression) -> int | None:
        if isinstance(node, cst.Name):
            for variable, site in reversed(self._names):
                if variable == node.value:
                    return site
        return None

    def _literals(self, node: cst.BaseExpression) -> list[cst.SimpleString]:
        if isinstance(node, cst.SimpleString):
            return [node]
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return [e.value for e in node.elements if isinstance(e.value, cst.SimpleString)]
        if isinstance(node, cst.Name):
            return self.constants.get(node.value, [])
        return []

    def _record(
        self, test: cst.CSTNode, literals: list[cst.SimpleString], kind: TestKind, site: int
    ) -> None:
        for literal in literals:
            value = literal.evaluated_value
            if isinstance(value, str) and value:
                self.name_tests.append(
                    NameTest(
                        value,
                        kind,
                        site,
                        self.positions[literal],
                        one_line(self.module.code_for_node(test), 120),
                    )
                )

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if not self._names or len(node.comparisons) != 1:
            return
        operator, right = node.comparisons[0].operator, node.comparisons[0].comparator
        if isinstance(operator, (cst.In, cst.NotIn)):
            site = self._name_site(right)
            if site is not None and isinstance(node.left, cst.SimpleString):
                self._record(node, [node.left], "substring", site)
            elif (site := self._name_site(node.left)) is not None:
                self._record(node, self._literals(right), "equal", site)
        elif isinstance(operator, (cst.Equal, cst.NotEqual)):
            for name, other in ((node.left, right), (right, node.left)):
                site = self._name_site(name)
                if site is not None and isinstance(other, cst.SimpleString):
                    self._record(node, [other], "equal", site)

    def visit_Call(self, node: cst.Call) -> None:
        if not self._names:
            return
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in ("startswith", "endswith")
            and node.args
        ):
            site = self._name_site(func.value)
            if site is not None:
                kind: TestKind = "prefix" if func.attr.value == "startswith" else "suffix"
                self._record(node, self._literals(node.args[0].value), kind, site)
        elif dotted_name(func) in ("any", "all") and node.args:
            self._record_generator_tests(node, node.args[0].value)

    def _record_generator_tests(self, call: cst.Call, generator: cst.BaseExpression) -> None:
        """``any(k in name for k in KEYS)`` and ``any(name.startswith(k) for k in KEYS)``."""
        if not isinstance(generator, cst.GeneratorExp) or not isinstance(
            generator.for_in.target, cst.Name
        ):
            return
        variable = generator.for_in.target.value
        literals = self._literals(generator.for_in.iter)
        element = generator.elt
        if isinstance(element, cst.Comparison) and len(element.comparisons) == 1 \
                and isinstance(element.comparisons[0].operator, (cst.In, cst.NotIn)) \
                and dotted_name(element.left) == variable:  # fmt: skip
            site = self._name_site(element.comparisons[0].comparator)
            if site is not None:
                self._record(call, literals, "substring", site)
        elif isinstance(element, cst.Call) and isinstance(element.func, cst.Attribute) \
                and element.func.attr.value == "startswith" and element.args \
                and dotted_name(element.args[0].value) == variable:  # fmt: skip
            site = self._name_site(element.func.value)
            if site is not None:
                self._record(call, literals, "prefix", site)


def _variable_paths(
    target: cst.BaseExpression, path: tuple[int, ...] = ()
) -> Iterator[tuple[str, tuple[int, ...]]]:
    if isinstance(target, cst.Name):
        yield target.value, path
    elif isinstance(target, (cst.Tuple, cst.List)):
        for index, element in enumerate(target.elements):
            yield from _variable_paths(element.value, (*path, index))


def build_program(analysis: FileAnalysis, pinned: frozenset[str] = frozenset()) -> Program:
    """The instrumented program of the analysed file; ``pinned`` names take their ``--set``
    values wherever the file assigns them. The conditions read twice are the chains FT001 found
    in the analysis."""
    module, positions = analysis.module, analysis.positions
    chains = {id(finding.node) for finding in analysis.found(AmbiguousFreezeCondition.code)}
    instrumenter = _Instrumenter(module, positions, pinned, chains, analysis.imports)
    code = module.visit(instrumenter).code
    if code.count("\n") != analysis.source.text.count("\n"):
        raise AssertionError("the verify program lost or gained lines")
    return Program(
        module,
        code,
        instrumenter.constructions,
        instrumenter.sites,
        instrumenter.chains,
        tuple(instrumenter.name_tests),
        frozenset(instrumenter.flag_names),
        tuple(sorted(instrumenter.statement_rows)),
    )
