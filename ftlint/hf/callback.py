"""FreezeCheck: assert the freeze state, optimizer coverage and gradient arrival of a
Hugging Face ``Trainer`` (or TRL trainer) run, at its first optimizer step and at chosen ones."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable
from typing import Any, Literal

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from ftlint.runtime.expect import Expectation, FreezeError, expect

__all__ = ["FreezeCheck", "FreezeWarning"]

_log = logging.getLogger(__name__)


class FreezeWarning(UserWarning):
    """A FreezeCheck mismatch, when FreezeCheck only warns."""


class FreezeCheck(TrainerCallback):
    """Check the model as :func:`ftlint.expect` does, just before the optimizer steps::

        trainer = Trainer(..., callbacks=[FreezeCheck(trainable=["lora_"], steps=[100])])

    The check runs at the first optimizer step, at each step in ``steps`` (``state.global_step``
    before that step: 0 is the first) and at the first step of each epoch in ``epochs``. By then
    the backward of the step has run and every ``on_step_begin`` hook (a callback that unfreezes
    included) has too, so it checks, besides the expectations, that every trainable tensor is in
    the Trainer's optimizer (which holds only what was trainable when it was built) and, with
    ``grads=True``, that every trainable tensor got a gradient and no frozen one holds one. A
    mismatch raises FreezeError (or, with ``on_mismatch="warn"``, warns with FreezeWarning); a
    match logs the freeze map. Pass ``grads=False`` under DeepSpeed ZeRO or FSDP with sharded
    gradients, which keep ``.grad`` off the parameters.
    """

    def __init__(
        self,
        *,
        trainable: Expectation = None,
        frozen: Expectation = None,
        trainable_numel: int | None = None,
        frozen_numel: int | None = None,
        steps: Iterable[int] = (),
        epochs: Iterable[int] = (),
        grads: bool = True,
        frozen_batchnorm: Literal["eval", "ignore"] = "eval",
        on_mismatch: Literal["raise", "warn"] = "raise",
    ) -> None:
        self.steps = _indices(steps, "steps")
        self.epochs = _indices(epochs, "epochs")
        if on_mismatch not in ("raise", "warn"):
            raise ValueError(f"on_mismatch must be 'raise' or 'warn', got {on_mismatch!r}")
        self.expectations: dict[str, Any] = {
            "trainable": trainable,
            "frozen": frozen,
            "trainable_numel": trainable_numel,
            "frozen_numel": frozen_numel,
            "grads": grads,
            "frozen_batchnorm": frozen_batchnorm,
        }
        self.on_mismatch = on_mismatch
        self._first = True
        self._epochs: list[str] = []  # listed epochs begun, checked at their first step

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self._first = True  # a new (or resumed) run checks its first step again
        self._epochs.clear()

    def on_epoch_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        epoch = int(state.epoch or 0)
        if epoch in self.epochs:
            self._epochs.append(f"epoch {epoch}")

    def on_pre_optimizer_step(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        step = state.global_step
        labels = [f"step {step} (the first)"] if self._first else []
        if step in self.steps and not self._first:
            labels.append(f"step {step}")
        labels += self._epochs
        if not labels:
            return
        context = f"FreezeCheck at {', '.join(labels)}"
        self._first = False
        self._epochs.clear()
        try:
            report = expect(kwargs["model"], optimizer=kwargs["optimizer"], **self.expectations)
        except FreezeError as error:
            if self.on_mismatch == "raise":
                raise FreezeError(
                    error.report, error.mismatches, error.expectation, context
                ) from None
            warnings.warn(f"{context}: {error}", FreezeWarning, stacklevel=2)
            return
        _log.info("%s: freeze state as expected\n%s", context, report.render(color=False))


def _indices(values: Iterable[int], argument: str) -> frozenset[int]:
    found = frozenset(values)
    for value in found:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{argument} must be non-negative ints, got {value!r}")
    return found
