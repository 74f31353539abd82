"""How freeze code's name tests match names (``'layer4' in name``, ``name.startswith('fc')``):
the same semantics as the test itself, with where each match lies. Torch-free."""

from __future__ import annotations

from collections.abc import Iterator

from ftlint.verify.instrument import NameTest


def matches(test: NameTest, name: str) -> bool:
    if test.kind == "substring":
        return test.literal in name
    if test.kind == "prefix":
        return name.startswith(test.literal)
    if test.kind == "suffix":
        return name.endswith(test.literal)
    return name == test.literal


def occurrences(test: NameTest, name: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each place the test matches in ``name``."""
    start = name.find(test.literal)
    while start >= 0 and (test.kind == "substring" or start == 0):
        yield start, start + len(test.literal)
        start = name.find(test.literal, start + 1)
