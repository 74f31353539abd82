"""FT108, BatchNorm trained or frozen against the finetuning callback's `train_bn`: the phase
simulation, `ftlint verify` on the Lightning fixtures (text, JSON, the fixed twin, ignored), and
its docs, which stay torch-free."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from lightning.pytorch.callbacks import BackboneFinetuning, BaseFinetuning
from support import REPO, line_of, run_ftlint
from tiny_lightning import BUGGY, FIXED, TinyClassifier, codes_by_phase, on_meta

from ftlint.catalog import SELECTABLE
from ftlint.lightning.ft108_train_bn_phase_mismatch import TrainBnPhaseMismatch
from ftlint.lightning.phases import simulate_phases

BUGGY_SCRIPT = "fixtures/lightning/backbone_finetuning_train_bn_false.py"
FIXED_SCRIPT = "fixtures/lightning/backbone_finetuning_fixed.py"
# Where the buggy script builds its callback: verify reports FT108 there.
CALLBACK_LINE = line_of((REPO / BUGGY_SCRIPT).read_text(), "finetuning = ")


def table_row(output: str, phase: str) -> list[str]:
    """The cells of a phase's row of the phase table."""
    row = next(line for line in output.splitlines() if line.strip().startswith(phase + "  "))
    return re.split(r"\s{2,}", row.strip())


# --- the phase simulation --------------------------------------------------------------------


def test_train_bn_false_leaves_batchnorm_training_in_both_phases():
    report = simulate_phases(
        on_meta(BUGGY.LitClassifier),
        BackboneFinetuning(unfreeze_backbone_at_epoch=2, train_bn=False),
        max_epochs=4,
    )

    assert report.render().splitlines()[:4] == [
        "LitClassifier with BackboneFinetuning(train_bn=False), epochs 0-3",
        (
            "phase           epochs  backbone trainable  BatchNorm trainable"
            "  BatchNorm updating stats  optimizer"
        ),
        (
            "frozen phase    0-1     no (0/20)           yes (40/40)        "
            "  yes (20/20)               1 group: backbone 40 (40 BatchNorm), head 2"
        ),
        (
            "after unfreeze  2-3     yes (20/20)         yes (40/40)        "
            "  yes (20/20)               2 groups: backbone 60 (40 BatchNorm), head 2"
        ),
    ]
    assert codes_by_phase(report) == [("frozen phase", "FT108"), ("after unfreeze", "FT108")]
    frozen_phase, after_unfreeze = (finding.message for finding in report.findings)
    assert "running statistics" in frozen_phase and "issue #21531" in frozen_phase
    assert "running statistics" not in after_unfreeze  # the convolutions beside them train


def test_subclass_passing_train_bn_is_clean():
    report = simulate_phases(
        on_meta(FIXED.LitClassifier),
        FIXED.BackboneFinetuningFrozenBN(unfreeze_backbone_at_epoch=2, train_bn=False),
        max_epochs=4,
    )

    assert report.findings == ()
    frozen_phase, after_unfreeze = report.phases
    assert (frozen_phase.first_epoch, after_unfreeze.first_epoch) == (0, 2)
    assert str(frozen_phase.batchnorm_trainable) == "no (0/40)"
    assert str(frozen_phase.batchnorm_updating_stats) == "no (0/20)"
    # Lightning's unfreeze makes BatchNorm require grad, but keeps it out of the optimizer.
    assert after_unfreeze.batchnorm_grad_only == 40
    assert str(after_unfreeze.batchnorm_trainable) == "no (0/40)"
    assert "40 require grad in no optimizer" in report.render()


class HardcodedFrozenBN(BaseFinetuning):
    """Says train_bn=True, yet freezes BatchNorm in the frozen phase."""

    def __init__(self) -> None:
        super().__init__()
        self.train_bn = True

    def freeze_before_training(self, pl_module):
        self.freeze(pl_module.backbone, train_bn=False)

    def finetune_function(self, pl_module, epoch, optimizer):
        if epoch == 1:
            self.unfreeze_and_add_param_group(pl_module.backbone, optimizer, train_bn=self.train_bn)


def test_frozen_batchnorm_against_train_bn_true_is_ft108():
    report = simulate_phases(on_meta(TinyClassifier), HardcodedFrozenBN(), max_epochs=3)

    assert codes_by_phase(report) == [("frozen phase", "FT108")]
    assert report.findings[0].message.startswith(
        "HardcodedFrozenBN has train_bn=True, but during epochs 0, 2 BatchNorm weight/bias"
        " tensors of the backbone are frozen"
    )


# --- `ftlint verify` on the Lightning fixtures ------------------------------------------------


def test_text_shows_batchnorm_training_in_the_frozen_phase_and_ft108():
    result = run_ftlint("verify", BUGGY_SCRIPT, cwd=REPO)

    assert result.returncode == 1, result.stderr
    assert f"  finetuning phases at line {CALLBACK_LINE}:" in result.stdout
    # phase, epochs, backbone trainable, BatchNorm trainable, BatchNorm updating stats, ...
    assert table_row(result.stdout, "frozen phase")[:5] == [
        "frozen phase", "0-1", "no (0/20)", "yes (40/40)", "yes (20/20)",
    ]  # fmt: skip
    assert table_row(result.stdout, "after unfreeze")[:2] == ["after unfreeze", "2-3"]
    assert (
        f"{BUGGY_SCRIPT}:{CALLBACK_LINE}:5: FT108 frozen phase: BackboneFinetuning has"
        " train_bn=False, but during epochs 0-1" in result.stdout
    )


def test_json_has_ft108_and_the_phases_and_follows_select():
    result = run_ftlint(
        "verify", "--output-format", "json", "--select", "FT108", BUGGY_SCRIPT, cwd=REPO
    )

    assert result.returncode == 1, result.stderr
    (verified,) = json.loads(result.stdout)["files"]
    findings = [(f["code"], f["location"]["row"]) for f in verified["findings"]]
    assert findings == [("FT108", CALLBACK_LINE)] * 2  # both phases; FT002 not selected
    (simulation,) = verified["simulations"]
    assert simulation["line"] == CALLBACK_LINE
    frozen_phase, after_unfreeze = simulation["phases"]
    assert frozen_phase["batchnorm_trainable"] == {"count": 40, "total": 40}
    assert (after_unfreeze["first_epoch"], after_unfreeze["last_epoch"]) == (2, 3)


def test_fixed_callback_shows_frozen_batchnorm_and_passes():
    result = run_ftlint("verify", FIXED_SCRIPT, cwd=REPO)

    assert result.returncode == 0, result.stdout + result.stderr
    assert table_row(result.stdout, "frozen phase")[:5] == [
        "frozen phase", "0-1", "no (0/20)", "no (0/40)", "no (0/20)",
    ]  # fmt: skip
    assert "FT108" not in result.stdout


def test_ignored_ft108_leaves_the_table(verify_path):
    result = verify_path(REPO / BUGGY_SCRIPT, codes=set(SELECTABLE) - {"FT108"})

    assert [d.code for d in result.diagnostics] == ["FT002"]
    (simulation,) = result.simulations
    assert simulation.table.data["phases"][0]["batchnorm_trainable"] == {"count": 40, "total": 40}


# --- the docs -----------------------------------------------------------------------------------


def test_ft108_docs_have_the_four_sections():
    docs = TrainBnPhaseMismatch.docs()
    assert (docs.code, docs.name) == ("FT108", "train-bn-phase-mismatch")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Fix"):
        assert section in docs.body


def test_codes_import_neither_torch_nor_lightning():
    probe = (
        "import sys, ftlint.lightning.ft108_train_bn_phase_mismatch;"
        "print(sorted(m for m in ('torch', 'lightning', 'pytorch_lightning') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
