"""FT013 beyond its own examples: whole messages, TRL, optimizers, and a trap beside each."""

from __future__ import annotations

import pytest
from support import lint_text, rows

from ftlint.rules.ft013_peft_adapter_loaded_frozen import PeftAdapterLoadedFrozen


def test_sft_trainer_whole_message():
    code = """
    from peft import PeftModel
    from trl import SFTTrainer

    model = PeftModel.from_pretrained(base, "adapter")
    trainer = SFTTrainer(model, args=config, train_dataset=data)
    trainer.train()
    """
    found = lint_text(code, [PeftAdapterLoadedFrozen])
    assert [(d.location.row, d.message) for d in found] == [
        (
            4,
            (
                "`PeftModel.from_pretrained` loads the adapter in inference mode (`is_trainable` "
                "defaults to `False`), so every parameter is frozen, the adapter's included, yet "
                "`model` is trained: `SFTTrainer(model=model, ...)` at line 5; training fails at the "
                "first backward or updates nothing. Pass `is_trainable=True`"
            ),
        )
    ]


def test_fix_keeps_a_trailing_comma():
    code = """
    import peft
    import torch

    model = peft.PeftModel.from_pretrained(
        base,
        "adapter",
    )
    opt = torch.optim.SGD(params=model.parameters(), lr=0.1)
    """
    [found] = lint_text(code, [PeftAdapterLoadedFrozen])
    assert found.fix is not None
    assert found.fix.edits[0].content == " is_trainable=True,"


@pytest.mark.parametrize(
    "code",
    [
        # The trap beside each finding.
        'model = PeftModel.from_pretrained(base, "a", is_trainable=True)\nTrainer(model=model)\n',
        'model = PeftModel.from_pretrained(base, "a", is_trainable=args.train)\nTrainer(model=model)\n',
        'model = PeftModel.from_pretrained(base, "a", **kwargs)\nTrainer(model=model)\n',
        # Unfrozen by peft itself, or by hand.
        'model = PeftModel.from_pretrained(base, "a")\nmodel.set_adapter("default")\nTrainer(model=model)\n',
        'model = PeftModel.from_pretrained(base, "a")\nmodel.requires_grad_(True)\nTrainer(model=model)\n',
        # Rebound, or handed to a helper first: what trains is not known.
        'model = PeftModel.from_pretrained(base, "a")\nmodel = model.merge_and_unload()\nTrainer(model=model)\n',
        'model = PeftModel.from_pretrained(base, "a")\nprepare(model)\nTrainer(model=model)\n',
        # TRL raises on a PeftModel together with a peft_config.
        'model = PeftModel.from_pretrained(base, "a")\nSFTTrainer(model=model, peft_config=cfg)\n',
        # Trained before it was loaded, or in another function.
        'Trainer(model=model)\nmodel = PeftModel.from_pretrained(base, "a")\n',
        'def f():\n    model = PeftModel.from_pretrained(base, "a")\ndef g(model):\n    Trainer(model=model)\n',
        # Inference only.
        'model = PeftModel.from_pretrained(base, "a")\nmodel.eval()\nmodel.generate(**batch)\n',
    ],
)
def test_ft013_traps(code):
    header = (
        "from peft import PeftModel\nfrom transformers import Trainer\nfrom trl import SFTTrainer\n"
    )
    assert rows(header + code, PeftAdapterLoadedFrozen) == []


def test_a_local_trainer_or_peftmodel_is_not_peft_s():
    code = """
    from mylib import PeftModel
    from transformers import Trainer

    model = PeftModel.from_pretrained(base, "a")
    Trainer(model=model)
    """
    assert rows(code, PeftAdapterLoadedFrozen) == []
