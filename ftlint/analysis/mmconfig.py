"""The settings an OpenMMLab (mmengine) Python config file makes, read from its source as mmengine's
``Config.fromfile`` would build them, without running it or importing mmengine.

A config is a module of assignments whose right-hand sides are literals and ``dict(...)`` calls.
Its ``_base_`` files are read first (paths relative to the config) and merged in order; the
config's own dicts are then merged into theirs key by key, unless they hold ``_delete_=True``,
and any other value replaces the base's (mmengine's ``Config._merge_a_into_b``). ``_base_.x.y``
reads a base value. Anything else a file computes is :data:`UNKNOWN`, and so is every key a
missing or unreadable base could have set: rules never guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from ftlint.sources import SourceError, read_bytes


class Unknown:
    """A value the source does not state: computed, imported, or from a base that is missing."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()

Value = None | bool | int | float | str | tuple["Setting", ...] | dict[str, "Setting"] | Unknown


@dataclass(frozen=True)
class Setting:
    """A value and where it was written: ``node`` in the file being checked, or None when it
    comes from a base file (``origin``)."""

    value: Value
    node: cst.CSTNode | None
    origin: str

    def get(self, key: str) -> Setting | None:
        """The setting under ``key`` of this dict, or None."""
        return self.value.get(key) if isinstance(self.value, dict) else None


# How a config file is known by its content: a `_base_` list, a model built from a registry type,
# or mmengine's optimizer wrapper settings, assigned at the top level.
CONFIG_MARKER = (
    r"(?m)^(?:_base_\s*=|model\s*=\s*dict\(\s*(?:#[^\n]*\s*)?type\s*=|optim_wrapper\s*=\s*dict\()"
)
# Nested `_base_` files deeper than this are not followed (mmengine has no limit; cycles end here).
_MAX_BASE_DEPTH = 8


@dataclass
class MMConfig:
    """The merged top-level settings of a config; ``complete`` is False when a base could not be
    read, so an absent key may still be set there."""

    settings: dict[str, Setting] = field(default_factory=dict)
    complete: bool = True
    base_node: cst.CSTNode | None = None  # the `_base_ = ...` value in the file being checked

    def dicts(self) -> Iterator[tuple[str, dict[str, Setting]]]:
        """Every dict in the config with its dotted path (``model.backbone``), outermost first."""
        yield from _dicts("", self.settings)

    def custom_keys(self) -> Iterator[tuple[dict[str, Setting], dict[str, Setting]]]:
        """(optimizer wrapper, its ``paramwise_cfg.custom_keys``) for each wrapper that has them."""
        for _, settings in self.dicts():
            paramwise = settings.get("paramwise_cfg")
            keys = paramwise.get("custom_keys") if paramwise is not None else None
            if keys is not None and isinstance(keys.value, dict):
                yield settings, keys.value


def _dicts(path: str, mapping: Mapping[str, Setting]) -> Iterator[tuple[str, dict[str, Setting]]]:
    for key, setting in mapping.items():
        inner = f"{path}.{key}" if path else key
        if isinstance(setting.value, dict):
            yield inner, setting.value
            yield from _dicts(inner, setting.value)
        elif isinstance(setting.value, tuple):
            for index, item in enumerate(setting.value):
                if isinstance(item.value, dict):
                    yield f"{inner}.{index}", item.value
                    yield from _dicts(f"{inner}.{index}", item.value)


def is_config(text: str) -> bool:
    return re.search(CONFIG_MARKER, text) is not None


def read_config(module: cst.Module, path: Path) -> MMConfig:
    """The settings of the config ``module``, read from ``path`` (its ``_base_`` paths are
    relative to that file's directory)."""
    return _Reader(path, 0).read(module, own=True)


class _Reader:
    def __init__(self, path: Path, depth: int) -> None:
        self.path = path
        self.depth = depth
        self.origin = path.name
        self.names: dict[str, Setting] = {}  # the file's own top-level names
        self.bases = MMConfig()
        self.own = False

    def read(self, module: cst.Module, *, own: bool) -> MMConfig:
        self.own = own
        for statement in module.body:
            self._statement(statement)
        merged = MMConfig(dict(self.bases.settings), self.bases.complete, self.bases.base_node)
        for name, setting in self.names.items():
            if name == "_base_" or name.startswith("__"):
                continue
            merged.settings[name] = _merge(merged.settings.get(name), setting)
        return merged

    # --- statements ---------------------------------------------------------------------------

    def _statement(self, statement: cst.BaseStatement) -> None:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                self._small(small)
        else:
            # `if`/`for`/`with`/`def`... : whatever they bind is no longer a literal, and a star
            # import (mmengine's `with read_base():`) brings settings we cannot list.
            if any(isinstance(inner, cst.ImportStar) for inner in _walk(statement)):
                self.bases.complete = False
            for target in _bound_names(statement):
                self.names[target] = Setting(UNKNOWN, None, self.origin)

    def _small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Assign):
            value = self._value(small.value)
            for target in small.targets:
                self._assign(target.target, value, small.value)
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            self._assign(small.target, self._value(small.value), small.value)
        elif isinstance(small, (cst.AugAssign, cst.Expr, cst.Del)):
            # `model.update(...)`, `model['x'] += ...`: the root name no longer holds its literal.
            for name in _root_names(small):
                if name in self.names:
                    self.names[name] = Setting(UNKNOWN, None, self.origin)
        elif isinstance(small, (cst.Import, cst.ImportFrom)):
            if isinstance(small, cst.ImportFrom) and isinstance(small.names, cst.ImportStar):
                self.bases.complete = False
            for name in _imported_names(small):
                self.names[name] = Setting(UNKNOWN, None, self.origin)

    def _assign(self, target: cst.BaseExpression, value: Setting, node: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            if target.value == "_base_":
                self._read_bases(value, node)
            self.names[target.value] = value
        else:
            for name in _root_names(target):
                self.names[name] = Setting(UNKNOWN, None, self.origin)

    # --- bases --------------------------------------------------------------------------------

    def _read_bases(self, value: Setting, node: cst.CSTNode) -> None:
        if self.own:
            self.bases.base_node = node
        if isinstance(value.value, str):
            paths: list[Setting] = [value]
        elif isinstance(value.value, tuple):
            paths = list(value.value)
        else:
            self.bases.complete = False
            return
        for item in paths:
            base = self._base(item.value)
            if base is None:
                self.bases.complete = False
                continue
            self.bases.complete = self.bases.complete and base.complete
            for key, setting in base.settings.items():
                self.bases.settings[key] = _merge(self.bases.settings.get(key), setting)

    def _base(self, relative: Value) -> MMConfig | None:
        if not isinstance(relative, str) or self.depth >= _MAX_BASE_DEPTH:
            return None
        path = self.path.parent / relative
        if path.suffix != ".py":
            return None  # a YAML or JSON base: not read here
        try:
            module = cst.parse_module(read_bytes(path).decode("utf-8"))
        except (SourceError, OSError, UnicodeDecodeError, cst.ParserSyntaxError, RecursionError):
            return None
        return _Reader(path, self.depth + 1).read(module, own=False)

    # --- expressions --------------------------------------------------------------------------

    def _value(self, node: cst.BaseExpression) -> Setting:
        return Setting(self._evaluate(node), node if self.own else None, self.origin)

    def _evaluate(self, node: cst.BaseExpression) -> Value:
        if isinstance(node, (cst.Integer, cst.Float)):
            number = node.evaluated_value
            return number if isinstance(number, (int, float)) else UNKNOWN
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            text = node.evaluated_value
            return text if isinstance(text, str) else UNKNOWN
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
            inner = self._evaluate(node.expression)
            if isinstance(inner, (int, float)) and not isinstance(inner, bool):
                return -inner
            return UNKNOWN
        if isinstance(node, cst.Name):
            return self._name(node.value)
        if isinstance(node, (cst.List, cst.Tuple)):
            if any(isinstance(element, cst.StarredElement) for element in node.elements):
                return UNKNOWN
            return tuple(self._value(element.value) for element in node.elements)
        if isinstance(node, cst.Call):
            return self._dict_call(node)
        if isinstance(node, cst.Dict):
            return self._dict_literal(node)
        if isinstance(node, cst.Attribute):
            return self._base_reference(node)
        return UNKNOWN

    def _name(self, name: str) -> Value:
        constants: dict[str, Value] = {"True": True, "False": False, "None": None}
        if name in constants:
            return constants[name]
        setting = self.names.get(name)
        return UNKNOWN if setting is None else setting.value

    def _dict_call(self, node: cst.Call) -> Value:
        if not (isinstance(node.func, cst.Name) and node.func.value == "dict"):
            return UNKNOWN
        result: dict[str, Setting] = {}
        for arg in node.args:
            if arg.keyword is not None:
                result[arg.keyword.value] = self._value(arg.value)
            elif arg.star == "**":
                spread = self._evaluate(arg.value)
                if not isinstance(spread, dict):
                    return UNKNOWN
                result.update(spread)
            else:
                return UNKNOWN
        return result

    def _dict_literal(self, node: cst.Dict) -> Value:
        result: dict[str, Setting] = {}
        for element in node.elements:
            if not isinstance(element, cst.DictElement):
                return UNKNOWN
            key = self._evaluate(element.key)
            if not isinstance(key, str):
                return UNKNOWN
            result[key] = self._value(element.value)
        return result

    def _base_reference(self, node: cst.Attribute) -> Value:
        """``_base_.model.backbone``: the value the bases set there (mmengine resolves it)."""
        parts: list[str] = []
        current: cst.BaseExpression = node
        while isinstance(current, cst.Attribute):
            parts.append(current.attr.value)
            current = current.value
        if not (isinstance(current, cst.Name) and current.value == "_base_"):
            return UNKNOWN
        found: Value = self.bases.settings
        for part in reversed(parts):
            if not isinstance(found, dict) or part not in found:
                return UNKNOWN
            found = found[part].value
        return found


def _merge(base: Setting | None, child: Setting) -> Setting:
    """``child`` merged into ``base`` as mmengine merges a config into its bases."""
    if base is None or not isinstance(child.value, dict) or not isinstance(base.value, dict):
        return child
    delete = child.value.get("_delete_")
    if delete is not None and delete.value is True:
        return Setting(
            {key: value for key, value in child.value.items() if key != "_delete_"},
            child.node,
            child.origin,
        )
    merged = dict(base.value)
    for key, value in child.value.items():
        merged[key] = _merge(merged.get(key), value)
    return Setting(merged, child.node, child.origin)


def _root_names(node: cst.CSTNode) -> list[str]:
    """The names at the root of the attribute and subscript targets in ``node``."""
    names = []
    for target in _walk(node):
        if isinstance(target, (cst.Attribute, cst.Subscript)):
            root: cst.BaseExpression = target
            while isinstance(root, (cst.Attribute, cst.Subscript, cst.Call)):
                root = root.func if isinstance(root, cst.Call) else root.value
            if isinstance(root, cst.Name):
                names.append(root.value)
    return names


def _bound_names(node: cst.CSTNode) -> list[str]:
    """Names a compound statement may bind at the top level."""
    names: list[str] = []
    for inner in _walk(node):
        if isinstance(inner, cst.AssignTarget):
            names.extend(_target_names(inner.target))
        elif isinstance(inner, (cst.AugAssign, cst.AnnAssign, cst.For)):
            names.extend(_target_names(inner.target))
        elif isinstance(inner, (cst.FunctionDef, cst.ClassDef)):
            names.append(inner.name.value)
        elif isinstance(inner, (cst.Import, cst.ImportFrom)):
            names.extend(_imported_names(inner))
    names.extend(_root_names(node))
    return names


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in _target_names(element.value)]
    return _root_names(target)


def _imported_names(node: cst.Import | cst.ImportFrom) -> list[str]:
    if isinstance(node.names, cst.ImportStar):
        return []  # a star import (mmengine's `read_base`) binds names we cannot list
    names = []
    for alias in node.names:
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            names.append(alias.asname.name.value)
        else:
            dotted: cst.BaseExpression = alias.name
            while isinstance(dotted, cst.Attribute):
                dotted = dotted.value
            if isinstance(dotted, cst.Name):
                names.append(dotted.value)
    return names


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    yield node
    for child in node.children:
        yield from _walk(child)
