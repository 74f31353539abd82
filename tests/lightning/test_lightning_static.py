"""FT002 on finetuning subclasses and on the Lightning fixtures; FT108's docs stay torch-free."""

from __future__ import annotations

import subprocess
import sys

import pytest
from support import FIXTURES, lint_text

from ftlint.lightning.codes import TrainBnPhaseMismatch
from ftlint.rules.ft002_ignored_train_bn import IgnoredTrainBn

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


def line_of(code: str, text: str) -> int:
    return next(number for number, line in enumerate(code.splitlines(), 1) if text in line)


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
    buggy = (FIXTURES / "lightning" / "backbone_finetuning_train_bn_false.py").read_text()
    fixed = (FIXTURES / "lightning" / "backbone_finetuning_fixed.py").read_text()

    assert [(d.code, d.location.row) for d in lint_text(buggy)] == [
        ("FT002", line_of(buggy, "BackboneFinetuning(unfreeze"))
    ]
    assert lint_text(fixed) == []


def test_ft108_docs_have_the_four_sections():
    docs = TrainBnPhaseMismatch.docs()
    assert (docs.code, docs.name) == ("FT108", "train-bn-phase-mismatch")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Fix"):
        assert section in docs.body


def test_codes_import_neither_torch_nor_lightning():
    probe = (
        "import sys, ftlint.lightning.codes;"
        "print(sorted(m for m in ('torch', 'lightning', 'pytorch_lightning') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
