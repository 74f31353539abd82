"""What a runtime check is: a check whose findings only running the model shows (FT1xx).

Torch-free, like the check modules built on it: the catalog imports them, and ``ftlint check``
never imports torch. Their logic gets the run's live objects through a
:class:`~ftlint.verify.verified.VerifiedFile`, which ``ftlint verify`` builds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

from ftlint.check import Check, Command
from ftlint.diagnostics import Finding

if TYPE_CHECKING:
    from libcst.metadata import CodeRange

    from ftlint.verify.verified import VerifiedFile


class RuntimeCheck(Check):
    """Found from the runs of a file's program: :meth:`find` yields the findings."""

    command = Command.VERIFY

    @classmethod
    def find(cls, verified: VerifiedFile) -> Iterator[Finding]:
        raise NotImplementedError(f"{cls.__name__} documents {cls.code} but does not find it")

    @classmethod
    def is_implemented(cls) -> bool:
        return cls.find.__func__ is not RuntimeCheck.find.__func__  # type: ignore[attr-defined]  # a classmethod read off a class is a bound method; mypy types it without __func__

    @classmethod
    def finding(cls, span: CodeRange, message: str) -> Finding:
        return Finding(cls.code, message, span)


class SimulatedCheck(Check):
    """Found by a simulator that runs more of the file than its plain run (a Lightning
    callback's training phases): ``simulator`` names the module exposing it (see
    :mod:`ftlint.verify.simulators`), loaded only for files importing one of ``triggers``."""

    command = Command.VERIFY
    simulator: ClassVar[str]
    triggers: ClassVar[tuple[str, ...]]

    @classmethod
    def is_implemented(cls) -> bool:
        import importlib.util

        return importlib.util.find_spec(cls.simulator) is not None
