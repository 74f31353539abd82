"""PyTorch Lightning support: the FreezeCheck callback and the finetuning phase simulation.

Lightning and torch load on first use of ``FreezeCheck``/``FreezeWarning``, so that the
torch-free FT108 check in :mod:`ftlint.lightning.ft108_train_bn_phase_mismatch` can join the catalog that
``ftlint check`` imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["FreezeCheck", "FreezeWarning"]

if TYPE_CHECKING:
    from ftlint.lightning.callback import FreezeCheck, FreezeWarning


def __getattr__(name: str) -> Any:
    if name in __all__:
        import ftlint.lightning.callback

        return getattr(ftlint.lightning.callback, name)
    raise AttributeError(f"module 'ftlint.lightning' has no attribute {name!r}")
