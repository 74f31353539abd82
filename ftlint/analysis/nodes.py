"""Small predicates over libcst nodes, in place of ``libcst.matchers``, whose import alone costs
0.15-0.3 s (it defines thousands of classes) on every ``ftlint check`` that parses a file."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeGuard

import libcst as cst


def is_name(node: object, value: str | None = None) -> TypeGuard[cst.Name]:
    """A name, ``value`` when given."""
    return isinstance(node, cst.Name) and (value is None or node.value == value)


def is_attribute(
    node: object, attr: str | None = None, value: str | None = None
) -> TypeGuard[cst.Attribute]:
    """``<value>.<attr>``: any attribute name unless ``attr`` is given, on any expression unless
    ``value`` names the plain name it is read from."""
    return (
        isinstance(node, cst.Attribute)
        and (attr is None or node.attr.value == attr)
        and (value is None or is_name(node.value, value))
    )


def is_call(node: object, func: str | None = None) -> TypeGuard[cst.Call]:
    """A call, of the plain name ``func`` when given (``range(...)``)."""
    return isinstance(node, cst.Call) and (func is None or is_name(node.func, func))


def keyword_arg(call: cst.Call, name: str) -> cst.Arg | None:
    """The argument ``name=...`` of ``call``, if it has one."""
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def find_all(node: object, predicate: Callable[[cst.CSTNode], bool]) -> list[cst.CSTNode]:
    """The nodes of the subtree at ``node`` (``node`` included) for which ``predicate`` holds,
    in source order; none when ``node`` is not a node (``None``, a sentinel)."""
    if not isinstance(node, cst.CSTNode):
        return []
    from ftlint.walk import find_all as walk_find_all

    return walk_find_all(node, predicate)


def one_line(code: str, limit: int | None = 160) -> str:
    """Source for a message: whitespace (newlines included) collapsed, cut at ``limit``."""
    text = " ".join(code.split())
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"
