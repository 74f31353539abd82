"""FT116 trainer-optimizer-misses-unfrozen: a Trainer callback unfreezes parameters that the
optimizer the Trainer built never updates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Finding
from ftlint.text import format_names, plural
from ftlint.verify.checks.ft111_lora_target_matches_nothing import PEFT_LLAMA
from ftlint.verify.runtime_check import RuntimeCheck

if TYPE_CHECKING:
    from ftlint.verify.verified import VerifiedFile

_TRAINER = (
    PEFT_LLAMA
    + """
from transformers import Trainer, TrainerCallback, TrainingArguments

model = LlamaForCausalLM(config)
model.requires_grad_(False)
model.lm_head.requires_grad_(True)


class Unfreeze(TrainerCallback):
    def on_epoch_begin(self, args, state, control, model=None, **kwargs):
        if state.epoch >= 1:
            model.model.layers[1].requires_grad_(True){added}


arguments = TrainingArguments(output_dir="out", num_train_epochs=3, report_to=[])
trainer = Trainer(model=model, args=arguments, callbacks=[Unfreeze()])
trainer.train()
"""
)


class TrainerOptimizerMissesUnfrozen(RuntimeCheck):
    """
    ## What it does
    Replays the epoch hooks (`on_train_begin`, `on_epoch_begin`, `on_step_begin`) of the
    callbacks given to a Hugging Face `Trainer` (or a TRL trainer) whose `train()` the file
    calls, on the model verify built, and reports parameters a callback makes trainable that the
    optimizer the Trainer built holds not.

    ## Why is this bad?
    The Trainer builds its optimizer once, when `train()` starts, from the parameters that
    require grad at that moment (`Trainer.create_optimizer`). Parameters a callback unfreezes
    later get gradients, costing memory and time, and are never updated: the gradual unfreezing
    the callback was written for does not happen, silently. (The static twin, FT010, sees the
    callback's code; this check sees which parameters it really reaches.)

    ## Example
    ```python
    class Unfreeze(TrainerCallback):
        def on_epoch_begin(self, args, state, control, model=None, **kwargs):
            if state.epoch >= 1:
                model.model.layers[1].requires_grad_(True)

    trainer = Trainer(model=model, args=arguments, callbacks=[Unfreeze()])
    trainer.train()
    ```

    ## Fix
    Build the optimizer over every parameter that will ever train (give the Trainer
    `optimizers=(optimizer, None)` built from all of them, with the frozen ones' gradients off
    until their epoch), or add the unfrozen parameters to `optimizer` as a new param group in the
    callback (`optimizer.add_param_group`).
    """

    code = "FT116"
    name = "trainer-optimizer-misses-unfrozen"
    summary = "A Trainer callback unfreezes parameters its optimizer never updates"
    VALID = (
        Valid(
            _TRAINER.replace(
                "{added}",
                "\n            params = list(model.model.layers[1].parameters())"
                '\n            kwargs["optimizer"].add_param_group({"params": params})',
            )
        ),
    )
    INVALID = (
        Invalid(
            _TRAINER.replace("{added}", ""),
            line=24,
            message_contains="Unfreeze unfreezes 9 tensors at epoch 1 (model.layers.1.self_attn",
        ),
    )

    @classmethod
    def find(cls, verified: VerifiedFile) -> Iterator[Finding]:
        from torch.optim import Optimizer

        from ftlint.hf.epochs import late_unfreezes
        from ftlint.verify.syntax import line_span

        handed = verified.run.execution.session.handed
        for index, (trainer, row) in enumerate(handed):
            if not hasattr(trainer, "callback_handler"):
                continue
            optimizers = [value for value, _ in handed[index + 1 :] if isinstance(value, Optimizer)]
            if not optimizers:
                continue
            for late in late_unfreezes(trainer, optimizers[0]):
                yield cls.finding(
                    verified.first_line(line_span(verified.source, row)),
                    f"{late.callback} unfreezes {plural(len(late.names), 'tensor')} at epoch"
                    f" {late.epoch} ({format_names(late.names)}) after the Trainer built its"
                    " optimizer from what was trainable when train() started: they get"
                    " gradients and are never updated. Add them to the optimizer in the"
                    " callback (optimizer.add_param_group), or build the optimizer over them",
                )
