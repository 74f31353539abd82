"""ftlint: a linter for PyTorch fine-tuning code.

``import ftlint`` never imports torch: the runtime API (``report``, ``expect``,
``FreezeReport``, ``FreezeError``) is loaded on first attribute access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["FreezeError", "FreezeReport", "__version__", "expect", "expect_grads", "report"]

if TYPE_CHECKING:
    from ftlint.runtime.expect import FreezeError, expect, expect_grads
    from ftlint.runtime.report import FreezeReport, report

_RUNTIME_EXPORTS = {"FreezeError", "FreezeReport", "expect", "expect_grads", "report"}


def __getattr__(name: str) -> Any:
    if name in _RUNTIME_EXPORTS:
        import ftlint.runtime

        return getattr(ftlint.runtime, name)
    raise AttributeError(f"module 'ftlint' has no attribute {name!r}")
