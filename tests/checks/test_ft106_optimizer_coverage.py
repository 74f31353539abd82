"""FT106, trainable parameters in no optimizer or frozen ones in it: in a verified script (both
ways), and in the Lightning phase simulation (re-added, left out, never added after an unfreeze)."""

from __future__ import annotations

import torch
from lightning.pytorch.callbacks import BackboneFinetuning, BaseFinetuning
from support import fixture_codes, fixture_finding, message
from tiny_lightning import BUGGY, TinyClassifier, codes_by_phase, on_meta

from ftlint.lightning.phases import simulate_phases

FIXTURE = "ft106_optimizer_before_head.py"


def test_its_verify_fixture_has_this_finding_only(verify_path):
    assert fixture_codes(verify_path, FIXTURE) == (None, ["FT106"])


def test_ft106_both_ways(verify_path, verify_code):
    found = fixture_finding(verify_path, FIXTURE, "FT106")
    assert "2 tensors (classifier: 2) trainable, in no optimizer: never updated" in found
    assert "211 tensors (features: 211) frozen, passed to the optimizer" in found
    result = verify_code(
        """
        import torch
        from torchvision.models import convnext_tiny
        model = convnext_tiny()
        model.features.requires_grad_(False)
        optimizer = torch.optim.AdamW(model.parameters())
        """
    )
    assert [d.location.row for d in result.diagnostics if d.code == "FT106"] == [5]
    assert "in no optimizer" not in message(result, "FT106")


# --- in the Lightning phase simulation ------------------------------------------------------


def test_re_adding_parameters_the_optimizer_holds_is_ft106():
    # train_bn=True: the frozen phase's trainable BatchNorm joined the first param group.
    report = simulate_phases(
        on_meta(BUGGY.LitClassifier), BackboneFinetuning(unfreeze_backbone_at_epoch=2)
    )

    assert codes_by_phase(report) == [("after unfreeze", "FT106")]
    assert report.findings[0].message.startswith(
        "finetune_function at epoch 2 adds 40 tensors the optimizer already holds"
        " (backbone.1.weight, backbone.1.bias, backbone.4.0.bn1.weight (+37 more))"
    )
    assert report.phases[-1].last_epoch == 999  # Lightning's default max_epochs


class HeadOnlyOptimizer(TinyClassifier):
    def configure_optimizers(self):
        return torch.optim.SGD(self.head.parameters(), lr=0.1)


def test_trainable_batchnorm_outside_the_optimizer_is_ft106():
    report = simulate_phases(
        on_meta(HeadOnlyOptimizer), BackboneFinetuning(unfreeze_backbone_at_epoch=1), max_epochs=3
    )

    assert codes_by_phase(report) == [("frozen phase", "FT106")]
    assert "2 trainable tensors are in no optimizer param group" in report.findings[0].message
    assert "backbone.1.weight, backbone.1.bias" in report.findings[0].message


class ForgetfulFinetuning(BaseFinetuning):
    """Unfreezes the backbone at epoch 1 but never gives it to the optimizer."""

    def freeze_before_training(self, pl_module):
        self.freeze(pl_module.backbone, train_bn=False)

    def finetune_function(self, pl_module, epoch, optimizer):
        if epoch == 1:
            self.make_trainable(pl_module.backbone)


def test_unfreezing_without_a_param_group_is_ft106():
    report = simulate_phases(on_meta(TinyClassifier), ForgetfulFinetuning(), max_epochs=3)

    assert report.train_bn is None
    assert codes_by_phase(report) == [("after unfreeze", "FT106")]
    assert "6 trainable tensors are in no optimizer param group" in report.findings[0].message
