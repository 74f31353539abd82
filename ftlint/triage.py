"""Which rules can report in a file, decided from its text without parsing it.

libcst parses about 1.4 µs per byte (positions cost twice that again) while a substring scan costs
0.01: most files must never reach it. Each rule declares what every one of its findings needs:

- ``required_tokens``: the file contains one of these substrings;
- ``candidate_pattern`` (optional): a regex that matches somewhere in the file's text;
- ``candidate_shape`` (optional): a code shape from :data:`SHAPES`, found on the file's text or
  on its code with strings and comments removed.

A rule runs on a file only if all of its declarations hold there, so a declaration that misses a
finding hides it: ``tests/test_perf_triage.py`` runs every INVALID example through the triage.

This module must not import libcst (nor the rules, which do): ``ftlint check`` on a file that no
rule can match should cost the interpreter's start-up and little more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ftlint.analysis.and_or import boolean_operators
from ftlint.analysis.collisions import may_test_colliding_name
from ftlint.analysis.freeze_settings import may_misspell_setting
from ftlint.analysis.imported import may_import
from ftlint.analysis.optimizers import may_build_optimizer
from ftlint.analysis.receivers import GAP, may_set_on_copy, may_set_on_module

if TYPE_CHECKING:
    from ftlint.configfiles.rule import ConfigRule
    from ftlint.rules.base import Rule

# String literals and comments, as Python's tokenizer delimits them (prefixes need no handling:
# they do not change where a literal ends). Each branch loops over runs of ordinary characters,
# which keeps the scan at C speed on long docstrings.
_STRINGS_AND_COMMENTS = re.compile(
    r"""
    \#[^\n]*
    | '''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''
    | \"\"\"[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*\"\"\"
    | '[^'\\\n]*(?:\\.[^'\\\n]*)*'
    | "[^"\\\n]*(?:\\.[^"\\\n]*)*"
    """,
    re.DOTALL | re.VERBOSE,
)
_LEVEL_BREAK = re.compile(r"[()\[\]{},;:\n]")
_OPENING, _CLOSING = "([{", ")]}"


def code_without_strings(text: str) -> str:
    """``text`` with string literals and comments replaced by a space.

    Exact for Python up to 3.11; a 3.12 f-string that nests its own quote character can shift the
    boundaries, which is why shapes must not rely on what this removes.
    """
    return _STRINGS_AND_COMMENTS.sub(" ", text)


def _depth_change(code: str, start: int, end: int) -> int:
    return sum(code.count(bracket, start, end) for bracket in _OPENING) - sum(
        code.count(bracket, start, end) for bracket in _CLOSING
    )


def _continued(code: str, newline: int) -> bool:
    """Whether the line break at ``newline`` follows a backslash (``\\r\\n`` breaks included)."""
    return code.endswith("\\", 0, newline) or code.endswith("\\\r", 0, newline)


def _same_level(code: str, start: int, end: int, *, top: bool) -> bool:
    """Whether ``code[start:end]`` stays in one element of one expression level: it never closes
    the bracket it starts in, holds no ``,``, ``;`` or ``:`` at that level and, at the top level
    (``top``), no line break that ends the statement."""
    depth = 0
    for match in _LEVEL_BREAK.finditer(code, start, end):
        char = match.group()
        if char in _OPENING:
            depth += 1
        elif char in _CLOSING:
            depth -= 1
            if depth < 0:
                return False
        elif depth == 0 and (char != "\n" or (top and not _continued(code, match.start()))):
            return False
    return True


def has_mixed_and_or(code: str) -> bool:
    """Whether an ``and`` and an ``or`` share a level of one expression with no brackets between
    them (``a or b and c``, over lines inside brackets too).

    Every ``or`` chain with a bare ``and`` operand has such a pair: among the ``and``/``or``
    keywords at the chain's own level, the kind changes somewhere, and the two keywords where it
    changes are consecutive at that level. So it is enough to compare each keyword with the
    previous one at the same bracket depth.
    """
    previous_at_depth: dict[int, tuple[str, int]] = {}
    depth = position = 0
    for start, keyword in boolean_operators(code):
        depth += _depth_change(code, position, start)
        position = start
        previous = previous_at_depth.get(depth)
        if (
            previous is not None
            and previous[0] != keyword
            and _same_level(code, previous[1], start, top=depth == 0)
        ):
            return True
        previous_at_depth[depth] = (keyword, start + len(keyword))
    return False


def attribute_assigned(name: str) -> str:
    """A regex for ``<target>.<name> = ...``, ``name`` being a regex for the attribute."""
    return rf"\.[\s\\]*(?:{name})\b{GAP}=(?!=)"


def attribute_called(name: str) -> str:
    """A regex for ``<receiver>.<name>(...)``, ``name`` being a regex for the method."""
    return rf"\.[\s\\]*(?:{name})[\s\\]*\("


# What an OpenMMLab config that inherits settings holds: its findings can come from its bases.
INHERITS = "_base_"


def scannable(token: str) -> bool:
    """Whether :class:`ftlint.tokenscan.TokenScan` settles ``token``: the empty token is in
    every file, and a non-ASCII one may be encoded otherwise; both pass unscanned."""
    return bool(token) and token.isascii()


def _origin(defined: type | Callable[..., object]) -> str:
    return f"{defined.__module__}:{defined.__qualname__}"


class FileText:
    """A file's text and the views of it that triage needs, each computed at most once."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def code(self) -> str:
        return code_without_strings(self.text)


SHAPES: dict[str, Callable[[FileText], bool]] = {
    "mixed-and-or": lambda view: has_mixed_and_or(view.code),
    # FT016 reads keywords of transformers' configs, known by an absolute import.
    "misspelt-freeze-keyword": lambda view: (
        may_import(view.text, "transformers") and may_misspell_setting(view.text)
    ),
    "detached-copy": lambda view: may_set_on_copy(view.text),
    "module-receiver": lambda view: may_set_on_module(view.text),
    "optimizer-built": lambda view: may_build_optimizer(view.text),
    "colliding-name": lambda view: may_test_colliding_name(view.text),
}


@dataclass(frozen=True)
class RuleTriage:
    """What a rule declares about the text of any file it can report in."""

    code: str
    tokens: tuple[str, ...]
    pattern: str | None = None
    shape: str | None = None
    # The rule's class as `module:Class`, which `check` imports alone when a file passes triage:
    # not the catalog, which imports every check (~0.1 s of the one-file case).
    origin: str | None = None
    config: bool = False  # a rule over YAML/JSON configurations
    # The rule's prefilter (`Rule.prefilter`) as `module:function`, imported alone, without libcst.
    prefilter: str | None = None

    @classmethod
    def of(cls, rule: type[Rule]) -> RuleTriage:
        return cls(
            rule.code,
            rule.required_tokens,
            rule.candidate_pattern,
            rule.candidate_shape,
            _origin(rule),
            prefilter=None if rule.prefilter is None else _origin(rule.prefilter),
        )

    @classmethod
    def of_config(cls, rule: type[ConfigRule]) -> RuleTriage:
        return cls(rule.code, rule.required_tokens, origin=_origin(rule), config=True)

    @cached_property
    def _regex(self) -> re.Pattern[str] | None:
        return None if self.pattern is None else re.compile(self.pattern)

    @cached_property
    def _scanned(self) -> bool:
        return all(map(scannable, self.tokens))

    def admits(self, text: FileText, *, tokens_found: bool = False) -> bool:
        """``tokens_found``: the file passed :class:`TokenScan` for this rule, on bytes that
        hold an ASCII token exactly where the text does (UTF-8)."""
        return (
            ((tokens_found and self._scanned) or any(token in text.text for token in self.tokens))
            and (self._regex is None or self._regex.search(text.text) is not None)
            and (self.shape is None or SHAPES[self.shape](text))
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RuleTriage:
        return cls(**{**data, "tokens": tuple(data["tokens"])})


def admitted(text: str, triages: Iterable[RuleTriage], *, tokens_found: bool = False) -> list[str]:
    """Codes of the rules among ``triages`` that can report in ``text`` (``tokens_found``: as
    :meth:`RuleTriage.admits`)."""
    view = FileText(text)
    return [triage.code for triage in triages if triage.admits(view, tokens_found=tokens_found)]
