"""`ftlint verify` on Lightning scripts whose finetuning phases cannot be simulated: the file is
verified all the same, with a note. (FT108 and the phase table are tested in
tests/checks/test_ft108_train_bn_phase_mismatch.py.)"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch
from support import line_of


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
def test_a_trainer_that_cannot_be_built_skips_the_simulation_not_the_file(tmp_path, verify_path):
    script = write_script(tmp_path, """\
        model = Lit()
        finetuning = BackboneFinetuning(unfreeze_backbone_at_epoch=2, train_bn=False)
        trainer = pl.Trainer(accelerator="gpu", callbacks=[finetuning])
        trainer.fit(model)
        """)  # fmt: skip

    result = verify_path(script)

    assert result.error is None
    assert [model.variable for model in result.models] == ["model"]
    assert result.simulations == []
    trainer_line = line_of(script.read_text(), "pl.Trainer(")
    assert any(
        note.startswith(f"simulations skipped: line {trainer_line}: MisconfigurationException")
        for note in result.notes
    )


def test_a_module_built_inside_fit_is_noted(tmp_path, verify_path):
    script = write_script(tmp_path, """\
        trainer = pl.Trainer(callbacks=[BackboneFinetuning(2, train_bn=False)])
        trainer.fit(Lit())
        """)  # fmt: skip

    result = verify_path(script)

    trainer_line = line_of(script.read_text(), "pl.Trainer(")
    assert result.simulations == []
    assert any(
        note.startswith(f"line {trainer_line}: finetuning phases not simulated: no LightningModule")
        for note in result.notes
    )
