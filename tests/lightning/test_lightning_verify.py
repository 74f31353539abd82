"""`ftlint verify` on Lightning scripts as they are written for a GPU machine, or with the module
built inside `fit`: the run stops at `fit` with the real module. (FT108 and the phase table are
tested in tests/checks/test_ft108_train_bn_phase_mismatch.py.)"""

from __future__ import annotations

import textwrap
from pathlib import Path

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


def test_a_trainer_asking_for_a_gpu_is_built_for_the_cpu(tmp_path, verify_path):
    script = write_script(tmp_path, """\
        model = Lit()
        finetuning = BackboneFinetuning(unfreeze_backbone_at_epoch=2, train_bn=False)
        trainer = pl.Trainer(accelerator="gpu", devices=4, precision="16-mixed", callbacks=[finetuning])
        trainer.fit(model)
        """)  # fmt: skip

    result = verify_path(script)

    text = script.read_text()
    assert (result.error, result.stopped) == (None, f"line {line_of(text, '.fit(')}: Trainer.fit()")
    assert [model.variable for model in result.models] == ["model"]
    assert [s.table.caption for s in result.simulations] == [
        "Lit with BackboneFinetuning(train_bn=False), epochs 0-999"
    ]
    assert (
        f"line {line_of(text, 'pl.Trainer(')}: Trainer(accelerator='gpu', devices=4,"
        " precision='16-mixed') built for the CPU"
    ) in result.notes


def test_a_module_built_inside_fit_is_simulated(tmp_path, verify_path):
    script = write_script(tmp_path, """\
        trainer = pl.Trainer(callbacks=[BackboneFinetuning(2, train_bn=False)])
        trainer.fit(Lit())
        """)  # fmt: skip

    result = verify_path(script)

    assert [(model.variable, model.builder) for model in result.models] == [
        ("Lit", "__main__.Lit")
    ]
    assert [s.table.caption for s in result.simulations] == [
        "Lit with BackboneFinetuning(train_bn=False), epochs 0-999"
    ]
