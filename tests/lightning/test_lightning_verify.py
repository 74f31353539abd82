"""`ftlint verify` on Lightning scripts: the finetuning phase table and FT108 at the callback."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
import torch
from support import REPO, run_ftlint

from ftlint.config import Settings
from ftlint.rules import DOCUMENTED
from ftlint.verify.pipeline import FileVerification, verify_file

BUGGY = "fixtures/lightning/backbone_finetuning_train_bn_false.py"
FIXED = "fixtures/lightning/backbone_finetuning_fixed.py"


def line_of(path: Path, text: str) -> int:
    lines = path.read_text().splitlines()
    return next(row for row, line in enumerate(lines, 1) if text in line)


def callback_line(path: str) -> int:
    return line_of(REPO / path, "finetuning = ")


def table_row(output: str, phase: str) -> list[str]:
    """The cells of a phase's row of the phase table."""
    row = next(line for line in output.splitlines() if line.strip().startswith(phase + "  "))
    return re.split(r"\s{2,}", row.strip())


def verify_in_process(path: Path, ignore: frozenset[str] = frozenset()) -> FileVerification:
    return verify_file(path, Settings(root=path.parent), set(DOCUMENTED) - ignore, {})


def test_text_shows_batchnorm_training_in_the_frozen_phase_and_ft108():
    result = run_ftlint("verify", BUGGY, cwd=REPO)

    assert result.returncode == 1, result.stderr
    assert f"  finetuning phases at line {callback_line(BUGGY)}:" in result.stdout
    # phase, epochs, backbone trainable, BatchNorm trainable, BatchNorm updating stats, ...
    assert table_row(result.stdout, "frozen phase")[:5] == [
        "frozen phase", "0-1", "no (0/20)", "yes (40/40)", "yes (20/20)",
    ]  # fmt: skip
    assert table_row(result.stdout, "after unfreeze")[:2] == ["after unfreeze", "2-3"]
    assert (
        f"{BUGGY}:{callback_line(BUGGY)}:5: FT108 frozen phase: BackboneFinetuning has"
        " train_bn=False, but during epochs 0-1" in result.stdout
    )


def test_json_has_ft108_and_the_phases_and_follows_select():
    result = run_ftlint("verify", "--output-format", "json", "--select", "FT108", BUGGY, cwd=REPO)

    assert result.returncode == 1, result.stderr
    (verified,) = json.loads(result.stdout)["files"]
    findings = [(f["code"], f["location"]["row"]) for f in verified["findings"]]
    assert findings == [("FT108", callback_line(BUGGY))] * 2  # both phases; FT002 not selected
    (simulation,) = verified["simulations"]
    assert simulation["line"] == callback_line(BUGGY)
    frozen_phase, after_unfreeze = simulation["phases"]
    assert frozen_phase["batchnorm_trainable"] == {"count": 40, "total": 40}
    assert (after_unfreeze["first_epoch"], after_unfreeze["last_epoch"]) == (2, 3)


def test_fixed_callback_shows_frozen_batchnorm_and_passes():
    result = run_ftlint("verify", FIXED, cwd=REPO)

    assert result.returncode == 0, result.stdout + result.stderr
    assert table_row(result.stdout, "frozen phase")[:5] == [
        "frozen phase", "0-1", "no (0/20)", "no (0/40)", "no (0/20)",
    ]  # fmt: skip
    assert "FT108" not in result.stdout


def test_ignored_ft108_leaves_the_table():
    result = verify_in_process(REPO / BUGGY, ignore=frozenset({"FT108"}))

    assert [d.code for d in result.diagnostics] == ["FT002"]
    (simulation,) = result.simulations
    assert simulation.table.data["phases"][0]["batchnorm_trainable"] == {"count": 40, "total": 40}


def write_script(directory: Path, main: str) -> Path:
    """A Lightning script with a BatchNorm backbone whose main block is ``main``."""
    header = """\
        import lightning.pytorch as pl
        import torch
        from lightning.pytorch.callbacks import BackboneFinetuning
        from torch import nn


        class Lit(pl.LightningModule):
            def __init__(self):
                super().__init__()
                self.backbone = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
                self.head = nn.Linear(8, 2)

            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=0.1)


        if __name__ == "__main__":
        """
    path = directory / "script.py"
    path.write_text(textwrap.dedent(header) + textwrap.indent(textwrap.dedent(main), "    "))
    return path


@pytest.mark.skipif(
    torch.cuda.is_available() or torch.backends.mps.is_available(),
    reason="the Trainer must fail to find its GPU",
)
def test_a_trainer_that_cannot_be_built_skips_the_simulation_not_the_file(tmp_path):
    script = write_script(tmp_path, """\
        model = Lit()
        finetuning = BackboneFinetuning(unfreeze_backbone_at_epoch=2, train_bn=False)
        trainer = pl.Trainer(accelerator="gpu", callbacks=[finetuning])
        trainer.fit(model)
        """)  # fmt: skip

    result = verify_in_process(script)

    assert result.error is None
    assert [model.variable for model in result.models] == ["model"]
    assert result.simulations == []
    trainer_line = line_of(script, "pl.Trainer(")
    assert any(
        note.startswith(f"simulations skipped: line {trainer_line}: MisconfigurationException")
        for note in result.notes
    )


def test_a_module_built_inside_fit_is_noted(tmp_path):
    script = write_script(tmp_path, """\
        trainer = pl.Trainer(callbacks=[BackboneFinetuning(2, train_bn=False)])
        trainer.fit(Lit())
        """)  # fmt: skip

    result = verify_in_process(script)

    trainer_line = line_of(script, "pl.Trainer(")
    assert result.simulations == []
    assert any(
        note.startswith(f"line {trainer_line}: finetuning phases not simulated: no LightningModule")
        for note in result.notes
    )
