"""Lightning test support: a tiny LightningModule with a BatchNorm backbone, random data, a CPU
Trainer, the Lightning fixtures as modules, and the phase simulation's findings."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import lightning.pytorch as pl
import torch
from support import FIXTURES
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset


class TinyClassifier(pl.LightningModule):
    """backbone = Linear, BatchNorm1d, ReLU, Linear; head = Linear."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 8)
        )
        self.head = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        features, labels = batch
        return F.cross_entropy(self(features), labels)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD([p for p in self.parameters() if p.requires_grad], lr=0.1)


def fit(
    module: pl.LightningModule, callbacks: list[pl.Callback], max_epochs: int = 3
) -> pl.Trainer:
    """Fit ``module`` on CPU for ``max_epochs`` epochs of two random batches."""
    data = TensorDataset(torch.randn(16, 4), torch.randint(0, 2, (16,)))
    trainer = pl.Trainer(
        max_epochs=max_epochs,
        accelerator="cpu",
        callbacks=callbacks,
        enable_checkpointing=False,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module, DataLoader(data, batch_size=8))
    return trainer


def load_fixture(name: str) -> ModuleType:
    """Import ``fixtures/lightning/<name>.py``; its ``__main__`` guard keeps it from training."""
    spec = importlib.util.spec_from_file_location(
        f"fixture_{name}", FIXTURES / "lightning" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# BackboneFinetuning(train_bn=False) as is, and with the subclass whose frozen phase honours it.
BUGGY = load_fixture("backbone_finetuning_train_bn_false")
FIXED = load_fixture("backbone_finetuning_fixed")


def on_meta(module_class: type[torch.nn.Module], *args) -> torch.nn.Module:
    with torch.device("meta"):
        return module_class(*args)


def codes_by_phase(report) -> list[tuple[str, str]]:
    """(phase, code) of each finding of a ``simulate_phases`` report."""
    return [(finding.phase, finding.code) for finding in report.findings]
