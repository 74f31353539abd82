"""Top-level statements that fail for want of data are skipped, so the script goes on.

Tutorials and notebooks look at their data before they build a model: ``images, labels =
next(iter(loader))``, then a grid of them shown with matplotlib. With stand-ins for the data
such a statement fails, and stopping there would hide the model built further down. So each
simple top-level statement of the program (an assignment or an expression, at the top of the
file or of a notebook cell) runs in a ``try`` whose handler asks :meth:`Skips.failed` whether
the failure is the data's: the statement touched a stand-in
(:class:`ftlint.verify.stand_ins.StandIn`) or handed one to the library code that failed (not
to a function of the script, whose freeze code skipping would hide, unless the library called
it back on the stand-in's rows: a ``map`` function), or it reads a name that only a skipped
statement binds. Then it is skipped with a note; any other failure is the script's own, and
stops the run as it would stop Python.
"""

from __future__ import annotations

import ast
import traceback
import types
from dataclasses import dataclass, field

from ftlint.verify.stand_ins import StandIn, is_stand_in
from ftlint.verify.syntax import Note

SKIPS = "__ftlint_skips__"
_WRAPPED = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr)


@dataclass
class Skips:
    """What the wrapped statements of ``script`` report: when each began, which were skipped."""

    script: str
    notes: list[Note] = field(default_factory=list)
    unbound: set[str] = field(default_factory=set)  # names only skipped statements bind
    _began: int = 0

    def begin(self) -> None:
        self._began = StandIn.touches

    def failed(
        self, row: int, names: tuple[str, ...], error: Exception, namespace: dict[str, object]
    ) -> None:
        """Skip the statement at ``row`` when the data is to blame; else re-raise ``error``.
        Never one that rebinds a model (``model = get_peft_model(model, ...)``): skipping it
        would report the model it was meant to replace."""
        frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__)]
        missing = isinstance(error, NameError) and error.name in self.unbound
        # The callees holding a stand-in (not the module: its own namespace holds many).
        holds = [index for index, frame in enumerate(frames) if index and _holds_stand_in(frame)]
        # Library code holding one may call the script back on its rows (a `map` function):
        # that call failing is the data's failure, not the script's.
        called_back = next(
            (index for index in holds if frames[index].f_code.co_filename != self.script),
            len(frames),
        )
        in_script_function = any(
            frame.f_code.co_filename == self.script and frame.f_code.co_name != "<module>"
            for frame in frames[:called_back]
        )
        handed_a_stand_in = bool(holds)
        rebinds_a_model = any(hasattr(namespace.get(name), "named_parameters") for name in names)
        if (
            in_script_function
            or rebinds_a_model
            or not (missing or handed_a_stand_in or StandIn.touches != self._began)
        ):
            raise error
        self.unbound.update(names)
        detail = str(error).strip().splitlines()
        self.notes.append(
            Note(
                row,
                f"skipped: it failed on data verify does not have ({type(error).__name__}"
                + (f": {detail[0]}" if detail else "")
                + ")",
            )
        )


def _holds_stand_in(frame: types.FrameType) -> bool:
    return any(is_stand_in(value) for value in frame.f_locals.values())


def _bound_names(statement: ast.stmt) -> tuple[str, ...]:
    return tuple(
        sorted(
            {
                node.id
                for node in ast.walk(statement)
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
            }
        )
    )


def _call(method: str, *args: ast.expr) -> ast.Expr:
    return ast.Expr(
        ast.Call(ast.Attribute(ast.Name(SKIPS, ast.Load()), method, ast.Load()), list(args), [])
    )


def skip_failures_on_stand_ins(tree: ast.Module) -> ast.Module:
    """``tree`` with each top-level statement wrapped; line numbers stay the statements' own."""
    body: list[ast.stmt] = []
    for statement in tree.body:
        if not isinstance(statement, _WRAPPED):
            body.append(statement)
            continue
        names = ast.Tuple([ast.Constant(name) for name in _bound_names(statement)], ast.Load())
        handler = ast.ExceptHandler(
            ast.Name("Exception", ast.Load()),
            "__ftlint_error__",
            [
                _call(
                    "failed",
                    ast.Constant(statement.lineno),
                    names,
                    ast.Name("__ftlint_error__", ast.Load()),
                    ast.Call(ast.Name("globals", ast.Load()), [], []),
                )
            ],
        )
        wrapped = ast.Try([_call("begin"), statement], [handler], [], [])
        body.append(ast.copy_location(wrapped, statement))
    tree.body = body
    return ast.fix_missing_locations(tree)  # the new nodes take the statement's location
