"""A few seconds of fuzzing on every run: mutations of the fixtures and generated freeze programs
(scripts/ftlint_fuzz.py's generators; that script is the full-size campaign) are linted and fixed
in-process. Nothing may raise, no FT902 but a named parser limit, and fixes keep parsing code
parsing."""

from __future__ import annotations

import random
from functools import partial

from ftlint_fuzz import PARSER_LIMIT, fuzz_input, python_parses
from hypothesis import given, settings
from hypothesis import strategies as st

from ftlint.catalog import RULES
from ftlint.engine import lint_source
from ftlint.fixer import fix_source
from ftlint.input_checks import InternalError
from ftlint.sources import SourceError, read_source

FUZZ = settings(max_examples=40, deadline=None, database=None, derandomize=True)


def bugs(diagnostics) -> list[str]:
    return [
        d.message
        for d in diagnostics
        if d.code == InternalError.code and not d.message.startswith(PARSER_LIMIT)
    ]


@FUZZ
@given(st.randoms(use_true_random=False))
def test_fuzzed_inputs_are_linted_and_fixed_without_internal_errors(tmp_path_factory, rng):
    suffix, content = fuzz_input(rng)
    path = tmp_path_factory.mktemp("fuzz") / f"input{suffix}"
    path.write_text(content, encoding="utf-8")
    try:
        source = read_source(path, path.name)
    except SourceError:
        return  # FT901, tested in tests/checks
    outcome = fix_source(source, partial(lint_source, rules=RULES), unsafe=True)
    assert (bugs(lint_source(source, RULES)), bugs(outcome.remaining)) == ([], [])
    assert python_parses(outcome.source.text) or not python_parses(source.text)


def test_the_generators_make_both_kinds_of_input():
    rng = random.Random(0)
    suffixes = {fuzz_input(rng)[0] for _ in range(50)}
    assert suffixes == {".py", ".ipynb"}
