"""Codes users can name: selection by code or prefix (``FT001``, ``FT0``, ``ALL``). Kept apart
from the catalog so that reading the configuration never imports the checks."""

from __future__ import annotations

from collections.abc import Iterable


class UnknownRuleError(ValueError):
    pass


def resolve_codes(selectors: Iterable[str], available: set[str]) -> set[str]:
    """Codes matched by each selector (a code, a code prefix, or ``ALL``); unknown ones raise."""
    resolved: set[str] = set()
    for selector in selectors:
        selector = selector.strip().upper()
        matched = available if selector == "ALL" else {c for c in available if c.startswith(selector)}
        if not matched or not selector:
            raise UnknownRuleError(f"unknown rule selector `{selector}`")
        resolved |= matched
    return resolved
