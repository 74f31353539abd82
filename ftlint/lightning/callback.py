"""FreezeCheck: assert the freeze schedule of a Lightning fit, epoch by epoch."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypedDict

from ftlint.lightning._compat import Callback, LightningModule, Trainer, rank_zero_info
from ftlint.runtime.expect import FreezeError, expect

__all__ = ["FreezeCheck", "FreezeWarning", "PhaseExpectation"]


class PhaseExpectation(TypedDict, total=False):
    """The arguments of :func:`ftlint.expect` that describe one phase."""

    trainable: int | str | Iterable[str]
    frozen: int | str | Iterable[str]
    trainable_numel: int
    frozen_numel: int


_EXPECTATION_KEYS = tuple(PhaseExpectation.__annotations__)


class FreezeWarning(UserWarning):
    """A FreezeCheck mismatch, when FreezeCheck only warns."""


class FreezeCheck(Callback):
    """Check the freeze state at the start of chosen epochs, as :func:`ftlint.expect` does.

    ``schedule`` maps an epoch to the expectations of the phase it starts::

        FreezeCheck({0: {"trainable": ["head"]}, 10: {"trainable": ["backbone", "head"]}})

    The check runs before the first training batch of each listed epoch: by then every
    ``on_train_epoch_start`` hook has run, finetuning callbacks included, wherever FreezeCheck
    sits in the callback list. It covers the LightningModule and, when the fit has a single
    optimizer, whether every trainable tensor is in it. A mismatch raises FreezeError (or, with
    ``on_mismatch="warn"``, warns with FreezeWarning); a match logs the freeze map.
    """

    def __init__(
        self,
        schedule: Mapping[int, PhaseExpectation],
        *,
        frozen_batchnorm: Literal["eval", "ignore"] = "eval",
        on_mismatch: Literal["raise", "warn"] = "raise",
    ) -> None:
        if not schedule:
            raise ValueError("the schedule names no epoch")
        for epoch, expectation in schedule.items():
            if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
                raise ValueError(f"schedule epochs must be non-negative ints, got {epoch!r}")
            unknown = expectation.keys() - set(_EXPECTATION_KEYS)
            if unknown:
                raise TypeError(
                    f"unknown expectation {', '.join(sorted(unknown))} at epoch {epoch};"
                    f" expected some of {', '.join(_EXPECTATION_KEYS)}"
                )
        if frozen_batchnorm not in ("eval", "ignore"):
            raise ValueError(
                f"frozen_batchnorm must be 'eval' or 'ignore', got {frozen_batchnorm!r}"
            )
        if on_mismatch not in ("raise", "warn"):
            raise ValueError(f"on_mismatch must be 'raise' or 'warn', got {on_mismatch!r}")
        self.schedule = dict(schedule)
        self.frozen_batchnorm = frozen_batchnorm
        self.on_mismatch = on_mismatch
        self._checked_epochs: set[int] = set()

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._checked_epochs.clear()  # a new fit checks its epochs again

    def on_train_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int
    ) -> None:
        # The first batch the epoch runs, not batch_idx 0: a fit resumed mid-epoch starts later.
        epoch = trainer.current_epoch
        if epoch not in self.schedule or epoch in self._checked_epochs:
            return
        self._checked_epochs.add(epoch)
        optimizers = trainer.optimizers
        try:
            report = expect(
                pl_module,
                **self.schedule[epoch],
                # With several optimizers, one alone would leave the others' tensors uncovered.
                optimizer=optimizers[0] if len(optimizers) == 1 else None,
                frozen_batchnorm=self.frozen_batchnorm,
            )
        except FreezeError as error:
            context = f"FreezeCheck at epoch {epoch}"
            if self.on_mismatch == "raise":
                raise FreezeError(error.report, error.mismatches, error.expectation, context) from None
            warnings.warn(f"{context}: {error}", FreezeWarning, stacklevel=2)
            return
        rank_zero_info(
            f"FreezeCheck at epoch {epoch}: freeze state as expected\n{report.render(color=False)}"
        )
