"""What a configuration rule is: a check whose logic reads one YAML/JSON configuration's tree
(:mod:`ftlint.configfiles.document`) and yields what it finds, with the same triage declaration
as the Python rules (``required_tokens``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ftlint.check import Check, Command
from ftlint.configfiles.document import Document, Node
from ftlint.sources import SourceFile


@dataclass(frozen=True)
class ConfigFinding:
    """``message`` about ``node`` (reported from its start to ``end``, the end of what it
    judged on that line); ``# noqa`` comments after ``end`` on the line suppress it."""

    code: str
    message: str
    node: Node
    end: Node


@dataclass
class ConfigFile:
    """A parsed configuration, with the file it came from (for ``_BASE_`` files beside it)."""

    source: SourceFile
    document: Document

    @property
    def directory(self) -> Path:
        return self.source.path.parent


class ConfigRule(Check):
    """Base class of the configuration rules (FT2xx)."""

    command = Command.CHECK
    # A file can hold a finding only if it contains at least one of these substrings.
    required_tokens: ClassVar[tuple[str, ...]]

    @classmethod
    def is_implemented(cls) -> bool:
        return any("find" in vars(klass) for klass in cls.__mro__[: cls.__mro__.index(ConfigRule)])

    @classmethod
    def find(cls, config: ConfigFile) -> Iterator[ConfigFinding]:
        raise NotImplementedError

    @classmethod
    def at(cls, key: Node, value: Node | None, message: str) -> ConfigFinding:
        """A finding on the line of ``key: value``: from the key to the value's end when the value
        starts on the key's line (a scalar), else the key alone."""
        same_line = value is not None and value.start.row == key.start.row and value.is_scalar
        return ConfigFinding(cls.code, message, key, value if same_line and value else key)


def mappings(document: Document) -> Iterator[Node]:
    """Every mapping in ``document``, outermost first, in file order."""
    for root in document.roots:
        yield from (node for node in root.walk() if node.entries is not None)


def instantiated(mapping: Node) -> tuple[str, Node] | None:
    """The class a mapping instantiates and the mapping holding its arguments: Hydra's
    ``_target_: pkg.Class`` (arguments beside it) or jsonargparse's (Lightning CLI's)
    ``class_path: pkg.Class`` with ``init_args``; None for any other mapping."""
    target = mapping.scalar("_target_")
    if isinstance(target, str):
        return target, mapping
    class_path = mapping.scalar("class_path")
    if isinstance(class_path, str):
        init_args = mapping.get("init_args")
        empty = Node(mapping.start, mapping.start, entries={})
        return (
            class_path,
            init_args if init_args is not None and init_args.entries is not None else empty,
        )
    return None
