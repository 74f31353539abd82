"""FT002 beyond its own examples: finetuning subclasses that inherit or override the ignoring
`freeze_before_training`, and the real CLI on the Lightning fixtures, each next to its twin that
passes `train_bn`."""

from __future__ import annotations

import pytest
from support import FIXTURES, check_json, line_of, lint_text

from ftlint.rules.ft002_ignored_train_bn import IgnoredTrainBn

TRAIN_BN_FALSE = FIXTURES / "lightning" / "backbone_finetuning_train_bn_false.py"
FIXED = FIXTURES / "lightning" / "backbone_finetuning_fixed.py"
CUSTOM = FIXTURES / "lightning_custom_finetuning.py"
URL = "https://github.com/ftlint/ftlint/blob/main/docs/rules.md#ft002"
# The custom callback's freeze, and the same with the argument it forgets.
FORGETFUL_FREEZE = "self.freeze(pl_module.backbone)"
FREEZE_WITH_TRAIN_BN = "self.freeze(pl_module.backbone, train_bn=self.train_bn)"

CORRECT_OVERRIDE = """\
from lightning.pytorch.callbacks import BackboneFinetuning

class FrozenBN(BackboneFinetuning):
    def freeze_before_training(self, pl_module):
        self.freeze(pl_module.backbone, train_bn=self.train_bn)
"""

NO_OVERRIDE = """\
from lightning.pytorch.callbacks import BackboneFinetuning

class Verbose(BackboneFinetuning):
    def on_train_epoch_start(self, trainer, pl_module):
        super().on_train_epoch_start(trainer, pl_module)
        print(trainer.current_epoch)
"""


def ft002_lines(code: str) -> list[int]:
    return [d.location.row for d in lint_text(code, [IgnoredTrainBn])]


@pytest.mark.parametrize(
    "code",
    [
        CORRECT_OVERRIDE + "callback = FrozenBN(unfreeze_backbone_at_epoch=2, train_bn=False)\n",
        CORRECT_OVERRIDE
        + "class Deeper(FrozenBN):\n    pass\n\ncallback = Deeper(train_bn=False)\n",
        NO_OVERRIDE + "callback = Verbose(train_bn=True)\n",
        NO_OVERRIDE + "callback = Verbose(unfreeze_backbone_at_epoch=2)\n",
        NO_OVERRIDE + "callback = BackboneFinetuning(2, train_bn=True)\n",
    ],
    ids=[
        "override-passes-train-bn",
        "inherits-a-correct-override",
        "train-bn-true",
        "no-train-bn",
        "lightning-class-train-bn-true",
    ],
)
def test_clean(code):
    assert ft002_lines(code) == []


@pytest.mark.parametrize(
    "code",
    [
        NO_OVERRIDE + "callback = Verbose(train_bn=False)\n",
        NO_OVERRIDE + "class Deeper(Verbose):\n    pass\n\ncallback = Deeper(2, train_bn=False)\n",
    ],
    ids=["subclass-without-override", "subclass-of-subclass"],
)
def test_subclass_inheriting_freeze_before_training_is_flagged(code):
    assert ft002_lines(code) == [line_of(code, "callback =")]


def test_fixtures():
    buggy = TRAIN_BN_FALSE.read_text()
    fixed = FIXED.read_text()

    assert [(d.code, d.location.row) for d in lint_text(buggy)] == [
        ("FT002", line_of(buggy, "BackboneFinetuning(unfreeze"))
    ]
    assert lint_text(fixed) == []


# --- the real CLI on the fixtures -------------------------------------------------------------


def test_cli_reports_backbone_finetuning_with_train_bn_false():
    start, end = {"row": 40, "column": 18}, {"row": 40, "column": 82}
    assert check_json("--select", "FT002", str(TRAIN_BN_FALSE)) == (1, [{
        "cell": None,
        "code": "FT002",
        "end_location": end,
        "filename": str(TRAIN_BN_FALSE),
        "fix": None,
        "location": start,
        "message": (
            "`train_bn=False` is ignored while the backbone is frozen: Lightning's"
            " `BackboneFinetuning.freeze_before_training` calls `self.freeze(pl_module.backbone)`"
            " without `train_bn`, so the backbone's BatchNorm weights and biases stay trainable"
            " and its running statistics keep updating until epoch 2; the flag only applies after"
            " unfreezing (Lightning <= 2.6.6, issue #21531). Override `freeze_before_training` to"
            " call `self.freeze(pl_module.backbone, train_bn=self.train_bn)`"
        ),
        "noqa_row": 40,
        "url": URL,
    }])  # fmt: skip


def test_cli_passes_the_subclass_whose_freeze_before_training_passes_train_bn():
    assert check_json("--select", "FT002", str(FIXED)) == (0, [])


def test_cli_reports_a_custom_freeze_that_forgets_train_bn_with_an_unsafe_fix():
    start, end = {"row": 12, "column": 9}, {"row": 12, "column": 40}
    assert check_json("--select", "FT002", str(CUSTOM)) == (1, [{
        "cell": None,
        "code": "FT002",
        "end_location": end,
        "filename": str(CUSTOM),
        "fix": {
            "applicability": "unsafe",
            "edits": [{"content": FREEZE_WITH_TRAIN_BN, "end_location": end, "location": start}],
            "message": "Pass `train_bn=self.train_bn`",
        },
        "location": start,
        "message": (
            "`self.freeze(pl_module.backbone)` ignores `self.train_bn`: `freeze()` defaults to"
            " `train_bn=True`, so BatchNorm layers stay trainable, and keep updating running"
            " statistics, during the frozen phase whatever `train_bn` says. Pass"
            " `train_bn=self.train_bn`"
        ),
        "noqa_row": 12,
        "url": URL,
    }])  # fmt: skip


def test_cli_passes_the_custom_freeze_once_it_passes_train_bn(tmp_path):
    # The twin differs from the fixture only by the argument FT002's fix adds.
    text = CUSTOM.read_text()
    assert text.count(FORGETFUL_FREEZE) == 1
    twin = tmp_path / CUSTOM.name
    twin.write_text(text.replace(FORGETFUL_FREEZE, FREEZE_WITH_TRAIN_BN))
    assert check_json("--select", "FT002", str(twin)) == (0, [])


CUSTOM_CALLBACK = """
    from lightning.pytorch.callbacks import BaseFinetuning

    class Milestone(BaseFinetuning):
        def __init__(self{init}):
            super().__init__()

        def freeze_before_training(self, pl_module):
            self.freeze(pl_module.backbone{freeze})

        def finetune_function(self, pl_module, epoch, optimizer):
            self.unfreeze_and_add_param_group(pl_module.backbone, optimizer{unfreeze})
"""


def _ft002(init="", freeze="", unfreeze=""):
    code = CUSTOM_CALLBACK.format(init=init, freeze=freeze, unfreeze=unfreeze)
    return [(d.location.row, d.message) for d in lint_text(code, [IgnoredTrainBn])]


def test_hard_coded_train_bn_true_while_the_class_takes_train_bn():
    assert _ft002(init=", train_bn=False", freeze=", train_bn=True") == [(8, (
        "`self.freeze(pl_module.backbone, train_bn=True)` hard-codes `train_bn=True` although "
        "`Milestone` takes a `train_bn` argument: the BatchNorm layers of `pl_module.backbone` "
        "stay trainable and keep updating their running statistics during the frozen phase even "
        "when `train_bn=False` is passed. Pass the class's `train_bn`"
    ))]  # fmt: skip


def test_train_bn_passed_when_unfreezing_but_not_when_freezing():
    assert _ft002(unfreeze=", train_bn=False") == [(8, (
        "`self.freeze(pl_module.backbone)` does not pass `train_bn`, so `freeze()` defaults to "
        "`train_bn=True`: the BatchNorm layers of `pl_module.backbone` stay trainable and keep "
        "updating their running statistics during the frozen phase, although unfreezing passes "
        "`train_bn=False` (`unfreeze_and_add_param_group`, line 11). Pass `train_bn=False` here "
        "too"
    ))]  # fmt: skip


@pytest.mark.parametrize(
    ("init", "freeze", "unfreeze"),
    [
        ("", ", train_bn=True", ", train_bn=True"),
        ("", ", True", ""),
        ("", "", ", train_bn=True"),
        (", train_bn=False", ", train_bn=self.train_bn", ", train_bn=self.train_bn"),
        (", bn=False", ", train_bn=self.bn", ", train_bn=self.bn"),
    ],
    ids=[
        "no-train-bn-argument-consistent",
        "no-train-bn-argument-positional",
        "unfreeze-passes-the-default",
        "train-bn-in-both",
        "own-name-in-both",
    ],
)
def test_custom_callback_traps(init, freeze, unfreeze):
    assert _ft002(init, freeze, unfreeze) == []
