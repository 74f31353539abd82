"""FT015 beyond its own examples: whole messages, and a trap beside each finding."""

from __future__ import annotations

import pytest
from support import lint_text

from ftlint.rules.ft015_reentrant_checkpointing_frozen_inputs import (
    ReentrantCheckpointingFrozenInputs,
)

HEAD = """
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForImageClassification, Trainer, TrainingArguments

model = AutoModelForImageClassification.from_pretrained("vit")
peft_model = get_peft_model(model, LoraConfig(target_modules=["query"]))
"""

METHOD = 'peft_model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})\n'


def _messages(code):
    return [
        (d.location.row, d.message) for d in lint_text(code, [ReentrantCheckpointingFrozenInputs])
    ]


def test_method_whole_message():
    assert _messages(HEAD + METHOD) == [
        (
            6,
            (
                "`peft_model.gradient_checkpointing_enable` with `use_reentrant=True` checkpoints "
                "`peft_model`, wrapped by `get_peft_model` at line 5, whose main input "
                "`pixel_values` does not require grad and whose base weights are frozen: "
                "reentrant checkpointing then gives no layer output a gradient, so the LoRA "
                "adapters inside the checkpointed layers get no gradient and never train (torch "
                "only warns). Use `use_reentrant=False` (the default) or call "
                "`peft_model.enable_input_require_grads()`"
            ),
        )
    ]


def test_on_the_base_model_after_wrapping():
    code = (
        HEAD
        + "model.activation_checkpointing_enable(activation_checkpointing_kwargs=dict(use_reentrant=True))\n"
    )
    assert [row for row, _ in _messages(code)] == [6]


def test_training_arguments_whole_message():
    code = """
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCTC, Trainer, TrainingArguments

    def main():
        model = AutoModelForCTC.from_pretrained("wav2vec2")
        model = get_peft_model(model, LoraConfig(target_modules=["q_proj"]))
        args = TrainingArguments(
            "out", activation_checkpointing=True, activation_checkpointing_kwargs={"use_reentrant": True}
        )
        Trainer(model=model, args=args).train()
    """
    assert _messages(code) == [
        (
            7,
            (
                "`TrainingArguments` with `use_reentrant=True`, used by a `Trainer` checkpoints "
                "`model`, wrapped by `get_peft_model` at line 6, whose main input `input_values` "
                "does not require grad and whose base weights are frozen: reentrant checkpointing "
                "then gives no layer output a gradient, so the LoRA adapters inside the "
                "checkpointed layers get no gradient and never train (torch only warns). Use "
                "`use_reentrant=False` (the default) or call `model.enable_input_require_grads()`"
            ),
        )
    ]


TA = 'args = TrainingArguments("o", gradient_checkpointing=True, gradient_checkpointing_kwargs={"use_reentrant": True})\nTrainer(model=peft_model, args=args)\n'


def test_training_arguments_on_head():
    assert [row for row, _ in _messages(HEAD + TA)] == [6]


@pytest.mark.parametrize(
    "code",
    [
        # Non-reentrant, explicitly or by default.
        HEAD + METHOD.replace("True", "False"),
        HEAD + "peft_model.gradient_checkpointing_enable()\n",
        HEAD + TA.replace('{"use_reentrant": True}', '{"use_reentrant": False}'),
        HEAD + TA.replace('gradient_checkpointing_kwargs={"use_reentrant": True}', "x=1"),
        # Checkpointing not turned on by the arguments.
        HEAD + TA.replace("gradient_checkpointing=True", "gradient_checkpointing=False"),
        # The inputs are made to require grad.
        HEAD + "peft_model.enable_input_require_grads()\n" + METHOD,
        HEAD + TA + "model.enable_input_require_grads()\n",
        HEAD.replace(
            "peft_model = get", "model = prepare_model_for_kbit_training(model)\npeft_model = get"
        )
        + METHOD,
        HEAD + "model.get_input_embeddings().register_forward_hook(hook)\n" + METHOD,
        # A text model: transformers calls `enable_input_require_grads()` itself.
        HEAD.replace("AutoModelForImageClassification", "AutoModelForCausalLM") + METHOD,
        HEAD.replace("AutoModelForImageClassification", "AutoModelForSeq2SeqLM") + TA,
        # No peft: nothing is frozen by it.
        HEAD.replace(
            'peft_model = get_peft_model(model, LoraConfig(target_modules=["query"]))',
            "peft_model = model",
        )
        + METHOD,
        # Checkpointing turned on before wrapping: `PeftModel` enables input grads itself.
        HEAD.replace(
            "peft_model = get", METHOD.replace("peft_model", "model") + "peft_model = get"
        ),
        # Trainer built before the wrapping.
        HEAD.replace("peft_model = get", TA.replace("peft_model", "model") + "peft_model = get"),
        # Not transformers, or another function's model.
        HEAD.replace("from transformers import", "from mylib import") + METHOD,
        HEAD + "def f(peft_model):\n    " + METHOD,
        # Kwargs not literal.
        HEAD + "peft_model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kw)\n",
    ],
)
def test_traps(code):
    assert _messages(code) == []
