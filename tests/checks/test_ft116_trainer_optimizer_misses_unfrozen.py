"""FT116: a real HF Trainer on a tiny Llama (CPU); its callbacks' epoch hooks replayed
(ftlint.hf.epochs), the model and the optimizer left as they were. The generated catalog tests
run the check's examples through verify."""

from __future__ import annotations

from transformers import LlamaConfig, LlamaForCausalLM, Trainer, TrainerCallback, TrainingArguments

from ftlint.hf.epochs import LateUnfreeze, late_unfreezes


class UnfreezeAtEpoch2(TrainerCallback):
    def on_epoch_begin(self, args, state, control, model=None, **kwargs):
        if state.epoch >= 2:
            model.lm_head.requires_grad_(True)


def trainer_with(callback: TrainerCallback, tmp_path) -> Trainer:
    config = LlamaConfig(
        vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=False,
    )  # fmt: skip
    model = LlamaForCausalLM(config)
    model.requires_grad_(False)
    model.model.norm.requires_grad_(True)
    arguments = TrainingArguments(output_dir=str(tmp_path), num_train_epochs=3, report_to=[])
    return Trainer(model=model, args=arguments, callbacks=[callback])


def test_a_callback_unfreezing_at_epoch_2_is_reported_once_and_everything_restored(tmp_path):
    trainer = trainer_with(UnfreezeAtEpoch2(), tmp_path)
    optimizer = trainer.create_optimizer()
    groups = list(optimizer.param_groups)

    found = late_unfreezes(trainer, optimizer)

    assert found == [LateUnfreeze("UnfreezeAtEpoch2", 2, ("lm_head.weight",))]
    assert [n for n, p in trainer.model.named_parameters() if p.requires_grad] == [
        "model.norm.weight"
    ]
    assert optimizer.param_groups == groups


def test_transformers_own_callbacks_are_not_replayed(tmp_path):
    trainer = trainer_with(TrainerCallback(), tmp_path)
    assert late_unfreezes(trainer, trainer.create_optimizer()) == []
