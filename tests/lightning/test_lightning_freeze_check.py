"""FreezeCheck in real CPU fits of a tiny module, with Lightning's and a custom finetuning callback."""

from __future__ import annotations

import logging

import pytest
from lightning.pytorch.callbacks import BackboneFinetuning, BaseFinetuning
from tiny_lightning import TinyClassifier, fit

from ftlint import FreezeError
from ftlint.lightning import FreezeCheck, FreezeWarning

# What BackboneFinetuning(unfreeze_backbone_at_epoch=1) really does: its frozen phase leaves
# BatchNorm (backbone.1) trainable, and from epoch 1 the whole backbone trains.
LIGHTNING_SCHEDULE = {
    0: {"trainable": ["head", "backbone.1"]},
    1: {"trainable": ["backbone", "head"]},
}


class MilestoneFinetuning(BaseFinetuning):
    """Freezes the backbone with its BatchNorm, and unfreezes all of it at ``milestone``."""

    def __init__(self, milestone: int) -> None:
        super().__init__()
        self.milestone = milestone

    def freeze_before_training(self, pl_module):
        self.freeze(pl_module.backbone, train_bn=False)

    def finetune_function(self, pl_module, epoch, optimizer):
        if epoch == self.milestone:
            self.unfreeze_and_add_param_group(pl_module.backbone, optimizer, train_bn=True)


class RequiresGradFinetuning(MilestoneFinetuning):
    """Freezes with requires_grad alone: BatchNorm keeps updating its running statistics."""

    def freeze_before_training(self, pl_module):
        pl_module.backbone.requires_grad_(False)


def with_check(check: FreezeCheck, finetuning: BaseFinetuning, check_first: bool) -> list:
    return [check, finetuning] if check_first else [finetuning, check]


class MessageLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def lightning_log():
    """What Lightning logs, caught once whether or not its logger propagates to the root."""
    log = MessageLog()
    lightning_logger = logging.getLogger("lightning.pytorch")
    lightning_logger.addHandler(log)
    yield log
    lightning_logger.removeHandler(log)


@pytest.mark.parametrize("check_first", [True, False], ids=["check-first", "check-last"])
def test_passes_when_the_schedule_holds(check_first, lightning_log):
    finetuning = BackboneFinetuning(unfreeze_backbone_at_epoch=1)
    trainer = fit(
        TinyClassifier(), with_check(FreezeCheck(LIGHTNING_SCHEDULE), finetuning, check_first)
    )

    assert trainer.current_epoch == 3
    logged = [message for message in lightning_log.messages if "FreezeCheck" in message]
    assert [message.splitlines()[0] for message in logged] == [
        "FreezeCheck at epoch 0: freeze state as expected",
        "FreezeCheck at epoch 1: freeze state as expected",
    ]
    assert "backbone" in logged[1] and "all 8 trainable tensors covered" in logged[1]


@pytest.mark.parametrize("check_first", [True, False], ids=["check-first", "check-last"])
def test_raises_when_the_backbone_unfreezes_later_than_expected(check_first):
    finetuning = BackboneFinetuning(unfreeze_backbone_at_epoch=2)
    check = FreezeCheck(LIGHTNING_SCHEDULE)

    with pytest.raises(FreezeError, match="FreezeCheck at epoch 1") as raised:
        fit(TinyClassifier(), with_check(check, finetuning, check_first))
    assert "frozen, expected trainable" in str(raised.value)
    assert raised.value.report is not None


def test_warn_mode_warns_and_lets_the_fit_finish():
    check = FreezeCheck(LIGHTNING_SCHEDULE, on_mismatch="warn")

    with pytest.warns(FreezeWarning, match="FreezeCheck at epoch 1"):
        trainer = fit(TinyClassifier(), [check, BackboneFinetuning(unfreeze_backbone_at_epoch=2)])
    assert trainer.current_epoch == 3


def test_custom_finetuning_with_frozen_batchnorm_passes():
    schedule = {0: {"trainable": ["head"]}, 2: {"frozen": 0}}
    trainer = fit(TinyClassifier(), [FreezeCheck(schedule), MilestoneFinetuning(milestone=2)])
    assert trainer.current_epoch == 3


def test_custom_finetuning_that_forgets_the_unfreeze_raises():
    schedule = {0: {"trainable": ["head"]}, 2: {"frozen": 0}}
    with pytest.raises(FreezeError, match="FreezeCheck at epoch 2"):
        fit(TinyClassifier(), [FreezeCheck(schedule), MilestoneFinetuning(milestone=5)])


def test_frozen_batchnorm_updating_statistics_fails_unless_ignored():
    schedule = {0: {"trainable": ["head"]}}
    with pytest.raises(FreezeError, match="running statistics"):
        fit(TinyClassifier(), [FreezeCheck(schedule), RequiresGradFinetuning(milestone=2)])

    lenient = FreezeCheck(schedule, frozen_batchnorm="ignore")
    assert fit(TinyClassifier(), [lenient, RequiresGradFinetuning(milestone=2)]).current_epoch == 3


def test_a_second_fit_checks_again():
    check = FreezeCheck({0: {"trainable": ["head"]}})
    fit(TinyClassifier(), [check, MilestoneFinetuning(milestone=2)], max_epochs=1)
    with pytest.raises(FreezeError, match="FreezeCheck at epoch 0"):
        fit(
            TinyClassifier(),
            [check, BackboneFinetuning(unfreeze_backbone_at_epoch=0)],
            max_epochs=1,
        )


@pytest.mark.parametrize(
    ("schedule", "error"),
    [
        ({}, ValueError),
        ({-1: {"trainable": ["head"]}}, ValueError),
        ({0: {"trainable": ["head"], "optimizer": None}}, TypeError),
    ],
    ids=["empty", "negative-epoch", "unknown-expectation"],
)
def test_rejects_a_malformed_schedule(schedule, error):
    with pytest.raises(error):
        FreezeCheck(schedule)
