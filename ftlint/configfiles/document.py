"""A YAML or JSON configuration as a tree whose every key and value knows its place in the file.

PyYAML's composer (its libyaml C loader when installed) gives each node a start and end mark;
scalars get their values from PyYAML's safe constructor (YAML 1.1: ``yes``/``on`` are booleans,
as the frameworks that read these files with ``yaml.safe_load`` see them). JSON is validated by
the standard library first, for its own messages, then read by the same composer: JSON's syntax
is YAML's flow syntax, once tabs (which JSON allows only as whitespace) are spaces.

PyYAML is imported by :func:`parse` only: a file reaches it after passing triage.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ftlint.diagnostics import Location

if TYPE_CHECKING:
    import yaml


class ConfigSyntaxError(Exception):
    """The file is not valid YAML/JSON: ``message`` at ``location``."""

    def __init__(self, message: str, location: Location) -> None:
        super().__init__(message)
        self.message = message
        self.location = location


@dataclass(frozen=True)
class Unresolved:
    """A scalar that holds an interpolation (OmegaConf/Hydra's ``${model.lr}``, a template's
    ``${LORA_TARGET_MODULES}``): its value is only known at run time, so no rule judges it."""

    text: str


@dataclass(eq=False)
class Node:
    """A value of the configuration: a scalar (``value``), a sequence (``items``) or a mapping
    (``entries``: each key with its key node, in file order). ``start``/``end`` are 1-based."""

    start: Location
    end: Location
    value: object = None
    items: list[Node] | None = None
    entries: dict[str, tuple[Node, Node]] | None = None

    def get(self, key: str) -> Node | None:
        """The value node under ``key`` of a mapping; None when absent or not a mapping."""
        entry = self.entries.get(key) if self.entries is not None else None
        return entry[1] if entry is not None else None

    def entry(self, key: str) -> tuple[Node, Node] | None:
        """The key node and value node of ``key`` in a mapping; None when absent."""
        return self.entries.get(key) if self.entries is not None else None

    def path(self, *keys: str) -> Node | None:
        node: Node | None = self
        for key in keys:
            node = node.get(key) if node is not None else None
        return node

    def scalar(self, key: str) -> object:
        """The scalar value under ``key`` (None when absent or not a scalar)."""
        node = self.get(key)
        return node.value if node is not None and node.is_scalar else None

    @property
    def is_scalar(self) -> bool:
        return self.items is None and self.entries is None

    def walk(self) -> Iterator[Node]:
        """This node and every node below it, each once (YAML aliases share nodes)."""
        seen: set[int] = set()
        stack = [self]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            yield node
            if node.items is not None:
                stack.extend(reversed(node.items))
            if node.entries is not None:
                stack.extend(value for _, value in reversed(node.entries.values()))


@dataclass
class Document:
    """One configuration file: its top-level nodes (a YAML stream may hold several)."""

    roots: list[Node] = field(default_factory=list)
    is_json: bool = False


def _location(mark: yaml.Mark) -> Location:
    return Location(mark.line + 1, mark.column + 1)


class _Converter:
    def __init__(self) -> None:
        import yaml

        self._yaml = yaml
        self._constructor = yaml.constructor.SafeConstructor()
        self._done: dict[int, Node] = {}

    def convert(self, node: yaml.Node) -> Node:
        if id(node) in self._done:  # an alias: the anchored node, converted once
            return self._done[id(node)]
        converted = Node(_location(node.start_mark), _location(node.end_mark))
        self._done[id(node)] = converted
        yaml = self._yaml
        if isinstance(node, yaml.MappingNode):
            converted.entries = {}
            for key, value in node.value:
                name = self._key(key)
                if name is not None:
                    converted.entries[name] = (self.convert(key), self.convert(value))
        elif isinstance(node, yaml.SequenceNode):
            converted.items = [self.convert(item) for item in node.value]
        else:
            try:
                value = self._constructor.construct_object(node)
            except (yaml.YAMLError, ValueError, TypeError):  # e.g. an unknown tag
                value = node.value
            converted.value = (
                Unresolved(value) if isinstance(value, str) and "${" in value else value
            )
        return converted

    def _key(self, node: yaml.Node) -> str | None:
        """A mapping key as the frameworks' dict lookups see it (``1: x`` is the int 1, which no
        rule asks for); None for complex keys."""
        if not isinstance(node, self._yaml.ScalarNode):
            return None
        return str(node.value)


def _json_error(text: str) -> ConfigSyntaxError | None:
    import json

    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        return ConfigSyntaxError(f"invalid JSON: {error.msg}", Location(error.lineno, error.colno))
    except RecursionError:
        return ConfigSyntaxError("invalid JSON: nested too deeply", Location(1, 1))
    return None


def parse(text: str, *, is_json: bool) -> Document:
    """The document in ``text``; raises :class:`ConfigSyntaxError` when it is not valid."""
    import yaml

    if is_json:
        error = _json_error(text)
        if error is not None:
            raise error
        text = text.replace("\t", " ")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    converter = _Converter()
    try:
        roots = [converter.convert(node) for node in yaml.compose_all(text, Loader=loader)]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        what = " ".join(part for part in (error.context, error.problem) if part)
        location = _location(mark) if mark is not None else Location(1, 1)
        raise ConfigSyntaxError(f"invalid YAML: {what}", location) from error
    except (yaml.YAMLError, RecursionError) as error:
        raise ConfigSyntaxError(f"invalid YAML: {error}", Location(1, 1)) from error
    return Document([root for root in roots if root is not None], is_json)
