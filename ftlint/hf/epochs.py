"""The epochs of a Hugging Face ``Trainer``, as its callbacks would shape them: which parameters
a callback unfreezes after the Trainer built its optimizer (FT116).

The Trainer builds its optimizer once, when ``train()`` starts, from the parameters that
require grad then (``Trainer.create_optimizer``). A callback that sets ``requires_grad=True``
in ``on_epoch_begin`` (or ``on_train_begin``, which runs after the optimizer exists) makes
parameters that compute gradients the optimizer never applies. Verify stops at ``train()``;
this module replays the user's callbacks' epoch hooks on the model, on meta, and restores every
``requires_grad`` flag afterwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from torch.optim import Optimizer

# Where transformers' own callbacks live: progress, logging, integrations. None unfreezes.
_TRANSFORMERS = "transformers."
_EPOCH_HOOKS = ("on_train_begin", "on_epoch_begin", "on_step_begin")


@dataclass(frozen=True)
class LateUnfreeze:
    """Parameters a callback made trainable at an epoch, which the optimizer does not hold."""

    callback: str
    epoch: int
    names: tuple[str, ...]


def _user_callbacks(trainer: Any) -> list[Any]:
    return [
        callback
        for callback in trainer.callback_handler.callbacks
        if not type(callback).__module__.startswith(_TRANSFORMERS)
    ]


def late_unfreezes(trainer: Any, optimizer: Optimizer) -> list[LateUnfreeze]:
    """Replay the user's callbacks over the Trainer's epochs; what each unfroze that
    ``optimizer`` misses, at the first epoch it did. A hook that fails is passed over."""
    model = trainer.model
    parameters = list(model.named_parameters())
    saved = [parameter.requires_grad for _, parameter in parameters]
    groups = list(optimizer.param_groups)  # a callback may add some: the replay leaves none
    found: list[LateUnfreeze] = []
    reported: set[int] = set()
    state, control, args = trainer.state, trainer.control, trainer.args
    saved_epoch = state.epoch
    epochs = max(1, math.ceil(args.num_train_epochs))
    try:
        for callback in _user_callbacks(trainer):
            for epoch in range(epochs):
                state.epoch = float(epoch)
                for hook in _EPOCH_HOOKS[0 if epoch == 0 else 1 :]:  # on_train_begin: once
                    try:
                        getattr(callback, hook)(
                            args, state, control, model=model, optimizer=optimizer
                        )
                    except Exception:  # noqa: BLE001, S112 - the callback needs more than meta gives
                        continue
                held = {id(p) for group in optimizer.param_groups for p in group["params"]}
                late = [
                    name
                    for name, parameter in parameters
                    if parameter.requires_grad
                    and id(parameter) not in held
                    and id(parameter) not in reported
                ]
                if late:
                    reported.update(id(p) for name, p in parameters if name in late)
                    found.append(LateUnfreeze(type(callback).__name__, epoch, tuple(late)))
    finally:
        for (_, parameter), flag in zip(parameters, saved):
            parameter.requires_grad_(flag)
        optimizer.param_groups[:] = groups
        state.epoch = saved_epoch
    return found
