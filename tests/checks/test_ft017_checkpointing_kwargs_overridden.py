"""FT017 beyond its own examples: the whole message, what links the model to the Trainer, and
the real Trainer replacing the model's checkpointing kwargs."""

from __future__ import annotations

import functools
import warnings
from pathlib import Path
from typing import Any

import pytest
from support import lint_text

from ftlint.rules.ft017_checkpointing_kwargs_overridden import CheckpointingKwargsOverridden


def found(code: str) -> list[tuple[int, str]]:
    return [(d.location.row, d.message) for d in lint_text(code, [CheckpointingKwargsOverridden])]


def test_whole_message() -> None:
    code = """
    from transformers import Trainer, TrainingArguments

    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    args = TrainingArguments("out", gradient_checkpointing=True)
    trainer = Trainer(model=model, args=args)
    """
    assert found(code) == [
        (
            3,
            "`model.gradient_checkpointing_enable(...)` is undone: the `Trainer` at line 5 turns"
            " checkpointing on again when training starts, because of `gradient_checkpointing=True`"
            " at line 4, and with no `gradient_checkpointing_kwargs` there it uses transformers'"
            ' default instead of {"use_reentrant": False} (`use_reentrant=False` from transformers'
            " 5.0; `use_reentrant=True` in 4.x, where the adapters of a peft model whose inputs do"
            " not require grad get no gradient). Pass the kwargs as"
            " `TrainingArguments(gradient_checkpointing_kwargs=...)`",
        )
    ]


@pytest.mark.parametrize(
    "code",
    [
        # Another model is trained.
        """
        from transformers import Trainer, TrainingArguments
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        Trainer(model=other, args=TrainingArguments("out", gradient_checkpointing=True))
        """,
        # No kwargs to lose.
        """
        from transformers import Trainer, TrainingArguments
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=None)
        model.gradient_checkpointing_enable()
        Trainer(model=model, args=TrainingArguments("out", gradient_checkpointing=True))
        """,
        # Arguments whose flag is not a literal True, or not transformers' Trainer.
        """
        from transformers import Trainer, TrainingArguments
        from mylib import Trainer as MyTrainer
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        Trainer(model=model, args=TrainingArguments("out", gradient_checkpointing=flag))
        MyTrainer(model=model, args=TrainingArguments("out", gradient_checkpointing=True))
        """,
        # The model is checkpointed after the Trainer was built (by the user's own loop, say).
        """
        from transformers import Trainer, TrainingArguments
        trainer = Trainer(model=model, args=TrainingArguments("out", gradient_checkpointing=True))
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        """,
    ],
)
def test_left_alone(code: str) -> None:
    assert found(code) == []


def test_arguments_named_in_another_function_are_not_these() -> None:
    code = """
    from transformers import Trainer, TrainingArguments

    def make():
        args = TrainingArguments("out", gradient_checkpointing=True)
        return args

    def train(model, args):
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        Trainer(model=model, args=args).train()
    """
    assert found(code) == []


# -- what the real Trainer does -------------------------------------------------------------------


def checkpoint_kwargs(tmp_path: Path, arguments: dict[str, Any]) -> dict[str, Any]:
    """The kwargs of the checkpoint function of a tiny Llama's layer after a 1-step training run
    of a Trainer with ``arguments``, the model having been given ``use_reentrant=True``."""
    transformers = pytest.importorskip("transformers", reason="transformers is in the test extra")
    import torch

    config = transformers.LlamaConfig(
        vocab_size=32, hidden_size=8, intermediate_size=16, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, use_cache=False,
    )  # fmt: skip
    model = transformers.LlamaForCausalLM(config)
    model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": True})
    ids = torch.arange(8).reshape(2, 4)
    training = transformers.TrainingArguments(
        output_dir=str(tmp_path), max_steps=1, per_device_train_batch_size=2, use_cpu=True,
        report_to="none", save_strategy="no", disable_tqdm=True, **arguments,
    )  # fmt: skip
    data = [{"input_ids": row, "labels": row} for row in ids]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's note on reentrant checkpointing without grads
        transformers.Trainer(model=model, args=training, train_dataset=data).train()
    function = model.model.layers[0]._gradient_checkpointing_func
    assert isinstance(function, functools.partial)
    return dict(function.keywords)


def test_the_trainer_replaces_the_models_kwargs_with_its_default(tmp_path: Path) -> None:
    assert checkpoint_kwargs(tmp_path, {"activation_checkpointing": True}) == {
        "use_reentrant": False
    }


def test_kwargs_given_to_the_training_arguments_stay(tmp_path: Path) -> None:
    given = {
        "activation_checkpointing": True,
        "activation_checkpointing_kwargs": {"use_reentrant": True},
    }
    assert checkpoint_kwargs(tmp_path, given) == {"use_reentrant": True}
