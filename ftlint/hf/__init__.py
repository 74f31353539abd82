"""Hugging Face support: the ``FreezeCheck`` Trainer callback.

transformers and torch load on first use of ``FreezeCheck``/``FreezeWarning``, so that
``import ftlint.hf`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["FreezeCheck", "FreezeWarning"]

if TYPE_CHECKING:
    from ftlint.hf.callback import FreezeCheck, FreezeWarning


def __getattr__(name: str) -> Any:
    if name in __all__:
        import ftlint.hf.callback

        return getattr(ftlint.hf.callback, name)
    raise AttributeError(f"module 'ftlint.hf' has no attribute {name!r}")
