"""Top-level statements that fail for want of data are skipped with a note; the script's own
failures are not (ftlint.verify.skipping), on programs compiled as verify compiles them."""

from __future__ import annotations

import ast
import textwrap

import pytest

from ftlint.verify.skipping import SKIPS, Skips, skip_failures_on_stand_ins
from ftlint.verify.stand_ins import StandIn
from ftlint.verify.syntax import Note

SCRIPT = "/project/train.py"


def run(code: str) -> tuple[dict[str, object], Skips]:
    code = textwrap.dedent(code)
    skips = Skips(SCRIPT)
    namespace: dict[str, object] = {SKIPS: skips, "data": StandIn("load_dataset('imdb')")}
    tree = skip_failures_on_stand_ins(ast.parse(code, SCRIPT))
    exec(compile(tree, SCRIPT, "exec"), namespace)  # noqa: S102 - the program under test
    return namespace, skips


def test_a_library_call_failing_on_a_stand_in_is_skipped_and_what_it_binds_too():
    namespace, skips = run(
        """\
        import math
        grid = math.prod(data)
        shown = grid + 1
        width = 4
        """
    )
    assert namespace["width"] == 4
    assert skips.notes == [
        Note(
            2,
            "skipped: it failed on data verify does not have (TypeError: unsupported operand"
            " type(s) for *: 'int' and 'StandIn')",
        ),
        Note(
            3,
            "skipped: it failed on data verify does not have (NameError: name 'grid' is not defined)",
        ),
    ]


def test_the_scripts_own_failure_stops_the_run_at_its_line():
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        run(
            """\
            width = 4
            ratio = width / 0
            """
        )


def test_a_failure_inside_a_function_of_the_script_is_never_skipped():
    with pytest.raises(TypeError, match="unsupported operand"):
        run(
            """\
            import math
            def build():
                return math.prod(data)
            model = build()
            """
        )


def test_compound_statements_are_not_wrapped():
    with pytest.raises(TypeError, match="unsupported operand"):
        run(
            """\
            import math
            if True:
                grid = math.prod(data)
            """
        )
