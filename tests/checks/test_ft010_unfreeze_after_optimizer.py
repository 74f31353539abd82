"""FT010 beyond its own examples: traps that must stay silent, further true positives, and the
real CLI on the fixtures."""

from __future__ import annotations

import pytest
from support import CROSS_CHECKED_FIXTURES, check_json, lint_notebook, lint_text, where

from ftlint.rules.ft010_unfreeze_after_optimizer import UnfreezeAfterOptimizer

TRAPS = {
    "unfreeze-before-building": """
        model.backbone.requires_grad_(True)
        optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1)
        """,
    "alias-of-the-held-part": """
        head = model.fc
        optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.1)
        head.requires_grad_(True)
        """,
    "second-optimizer-holds-it": """
        head_optimizer = torch.optim.SGD(model.head.parameters(), lr=0.1)
        backbone_optimizer = torch.optim.SGD(model.backbone.parameters(), lr=0.01)
        model.backbone.requires_grad_(True)
        """,
    "not-a-literal": """
        optimizer = torch.optim.SGD(model.head.parameters(), lr=0.1)
        for p in model.backbone.parameters():
            p.requires_grad = epoch >= warmup
        """,
    "parameters-from-elsewhere": """
        optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1)
        for p in backbone_parameters:
            p.requires_grad = True
        """,
    "optimizer-from-a-factory": """
        optimizer = create_optimizer(args, model)
        model.requires_grad_(True)
        """,
    "built-in-an-unrelated-function": """
        def probe(model):
            optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.1)
            return optimizer

        def unfreeze(model):
            model.requires_grad_(True)
        """,
    "lightning-hook-sets-optimizers-up-again": """
        import lightning as L

        class Classifier(L.LightningModule):
            def configure_optimizers(self):
                return torch.optim.Adam(filter(lambda p: p.requires_grad, self.parameters()))

            def on_train_epoch_start(self):
                if self.current_epoch == 3:
                    self.backbone.requires_grad_(True)
                    self.trainer.strategy.setup_optimizers(self.trainer)
        """,
}  # fmt: skip

TRUE_POSITIVES = {
    "self-optimizer-of-a-trainer": ("""
        class Trainer:
            def __init__(self, model):
                self.model = model
                self.optimizer = torch.optim.AdamW(
                    [p for p in model.parameters() if p.requires_grad], lr=1e-4
                )

            def train_epoch(self, epoch, loader):
                if epoch == 2:
                    self.model.requires_grad_(True)
                for batch in loader:
                    self.optimizer.step()
        """, 10),
    "parameter-groups": ("""
        optimizer = torch.optim.Adam([
            {"params": model.head.parameters()},
            {"params": model.neck.parameters(), "lr": 1e-4},
        ])
        while not done:
            if step == unfreeze_step:
                model.backbone.requires_grad_()
            done = train_step(model, optimizer)
        """, 7),
    "chained-sub-modules": ("""
        import itertools
        optimizer = torch.optim.SGD(itertools.chain(model.fc.parameters(), model.layer4.parameters()), lr=0.01)
        for p in model.layer3.parameters():
            p.requires_grad = True
        """, 4),
}  # fmt: skip


@pytest.mark.parametrize("code", TRAPS.values(), ids=TRAPS.keys())
def test_trap_stays_silent(code):
    assert lint_text(code, [UnfreezeAfterOptimizer]) == []


@pytest.mark.parametrize(("code", "line"), TRUE_POSITIVES.values(), ids=TRUE_POSITIVES.keys())
def test_true_positive_is_reported_once(code, line):
    found = [(d.code, d.location.row) for d in lint_text(code, [UnfreezeAfterOptimizer])]
    assert found == [("FT010", line)]


def test_cli_reports_its_fixture_at_its_lines_and_nothing_on_the_others_or_clean_code():
    status, findings = check_json("--select", "FT010", *map(str, CROSS_CHECKED_FIXTURES))
    assert (status, where(findings)) == (1, [
        ("ft010_unfreeze_after_optimizer.py", None, "FT010", 23),
    ])  # fmt: skip


def test_notebook_message_names_the_cell_and_line_of_the_optimizer(tmp_path):
    [found] = lint_notebook(tmp_path, [UnfreezeAfterOptimizer], """
        for p in model.backbone.parameters():
            p.requires_grad = False
        optimizer = torch.optim.AdamW(filter(lambda p: p.requires_grad, model.parameters()), lr=1e-3)
        """, """
        for p in model.backbone.parameters():
            p.requires_grad = True
        """)  # fmt: skip
    assert (found.cell, found.location.row, found.message) == (2, 2, (
        "`p.requires_grad = True` makes the parameters of `model.backbone` trainable after "
        "`optimizer` (cell 1, line 3) was built from only those of `model` trainable then: they "
        "get gradients, but the optimizer never updates them. Add them with "
        "`optimizer.add_param_group({'params': ...})`, or build the optimizer after unfreezing"
    ))  # fmt: skip


LIGHTNING_MODULE = """
    import torch
    import lightning as L
    from lightning.pytorch.callbacks import BaseFinetuning, Callback

    class Classifier(L.LightningModule):
        def configure_optimizers(self):
            return torch.optim.Adam({params}, lr=1e-3)
"""
FILTERED = "filter(lambda p: p.requires_grad, self.parameters())"
CALLBACK_HOOK = """
    class Unfreeze(Callback):
        def on_train_epoch_start(self, trainer, pl_module):
            if trainer.current_epoch == 5:
                pl_module.backbone.requires_grad_(True)
"""
HF_CALLBACK = """
    from transformers import Trainer, TrainerCallback

    class UnfreezeEncoder(TrainerCallback):
        def {hook}(self, args, state, control, model=None, **kwargs):
            for p in model.encoder.parameters():
                p.requires_grad = True
"""
HELPER = """
    def unfreeze_backbone(net):
        for p in net.backbone.parameters():
            p.requires_grad = True

    optimizer = torch.optim.AdamW({params}, lr=1e-3)
    for epoch in range(20):
        if epoch == 5:
            unfreeze_backbone(model)
        train_one_epoch(model, optimizer)
"""


def _messages(code):
    return [(d.location.row, d.message) for d in lint_text(code, [UnfreezeAfterOptimizer])]


def test_lightning_callback_hook_after_filtered_configure_optimizers():
    assert _messages(LIGHTNING_MODULE.format(params=FILTERED) + CALLBACK_HOOK) == [(12, (
        "`pl_module.backbone.requires_grad_(True)` makes the parameters of `pl_module.backbone` "
        "trainable after the optimizer of `configure_optimizers()` was built from only those of "
        "`self` trainable then: they get gradients, but the optimizer never updates them. Add "
        "them with `optimizer.add_param_group({'params': ...})` (Lightning's "
        "`BaseFinetuning.unfreeze_and_add_param_group` does both)"
    ))]  # fmt: skip


@pytest.mark.parametrize(
    "code",
    [
        LIGHTNING_MODULE.format(params="self.parameters()") + CALLBACK_HOOK,
        LIGHTNING_MODULE.format(params=FILTERED)
        + CALLBACK_HOOK
        + "            trainer.strategy.setup_optimizers(trainer)\n",
        LIGHTNING_MODULE.format(params=FILTERED) + """
    class Unfreeze(BaseFinetuning):
        def freeze_before_training(self, pl_module):
            self.freeze(pl_module.backbone)

        def finetune_function(self, pl_module, epoch, optimizer):
            if epoch == 5:
                self.unfreeze_and_add_param_group(pl_module.backbone, optimizer)
""",
        CALLBACK_HOOK,  # no `configure_optimizers` in sight
    ],
    ids=["all-parameters", "setup-optimizers", "unfreeze-and-add-param-group", "no-module"],
)
def test_lightning_callback_traps(code):
    assert _messages(code) == []


def test_hf_trainer_callback_hook():
    assert _messages(HF_CALLBACK.format(hook="on_epoch_begin")) == [(6, (
        "`p.requires_grad = True` in `on_epoch_begin()` makes parameters of `model.encoder` "
        "trainable after the transformers `Trainer` built its optimizer "
        "(`Trainer.create_optimizer()`, before `on_train_begin`) from only the parameters that "
        "required grad then: they get gradients, but the optimizer never updates them. Unfreeze "
        "before `trainer.train()`, or add them with "
        "`kwargs['optimizer'].add_param_group({'params': ...})`"
    ))]  # fmt: skip


@pytest.mark.parametrize(
    "code",
    [
        HF_CALLBACK.format(hook="on_init_end"),
        HF_CALLBACK.format(hook="on_epoch_begin")
        + "    optimizer = torch.optim.AdamW(model.parameters())\n"
        + "    trainer = Trainer(model=model, optimizers=(optimizer, None))\n",
        HF_CALLBACK.format(hook="on_epoch_begin")
        + "            kwargs['optimizer'].add_param_group({'params': model.encoder.parameters()})\n",
    ],
    ids=["on-init-end", "own-optimizer-over-all-parameters", "add-param-group"],
)
def test_hf_trainer_callback_traps(code):
    assert _messages(code) == []


def test_helper_called_from_the_training_loop():
    assert _messages(HELPER.format(params=FILTERED.replace("self", "model"))) == [(8, (
        "`unfreeze_backbone(model)` (`unfreeze_backbone()` runs `p.requires_grad = True`, line "
        "3) makes the parameters of `model.backbone` trainable after `optimizer` (line 5) was "
        "built from only those of `model` trainable then: they get gradients, but the optimizer "
        "never updates them. Add them with `optimizer.add_param_group({'params': ...})`, or "
        "build the optimizer after unfreezing"
    ))]  # fmt: skip


def test_helper_traps():
    assert _messages(HELPER.format(params="model.parameters()")) == []
    rebuilt = HELPER.format(params=FILTERED.replace("self", "model")) + (
        "        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)\n"
    )
    assert _messages(rebuilt) == []


def test_phase_two_that_only_changes_learning_rates():
    phase_two = """
        optimizer = torch.optim.AdamW(filter(lambda p: p.requires_grad, model.parameters()))
        train(model, optimizer, epochs=5)
        for p in model.backbone.parameters():
            p.requires_grad = True
        for group in optimizer.param_groups:
            group["lr"] = 1e-5
        train(model, optimizer, epochs=5)
    """
    assert [row for row, _ in _messages(phase_two)] == [4]
    assert _messages(phase_two.replace("group[\"lr\"] = 1e-5", (
        "optimizer.add_param_group({'params': model.backbone.parameters()})"
    )).replace("for group in optimizer.param_groups:\n", "if True:\n")) == []  # fmt: skip
