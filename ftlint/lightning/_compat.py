"""One Lightning for the whole package: ``lightning.pytorch``, else ``pytorch_lightning``."""

from __future__ import annotations

try:
    from lightning.pytorch import Callback, LightningModule, Trainer
    from lightning.pytorch.callbacks import BaseFinetuning
    from lightning.pytorch.core.optimizer import _configure_optimizers
    from lightning.pytorch.utilities import rank_zero_info
except ModuleNotFoundError:
    # mypy checks this branch too (lightning installs pytorch_lightning): same API, other classes.
    from pytorch_lightning import Callback, LightningModule, Trainer  # type: ignore[assignment]  # twins of lightning.pytorch's
    from pytorch_lightning.callbacks import BaseFinetuning  # type: ignore[assignment]  # twin of lightning.pytorch's
    from pytorch_lightning.core.optimizer import _configure_optimizers
    from pytorch_lightning.utilities import rank_zero_info

__all__ = [
    "BaseFinetuning",
    "Callback",
    "LightningModule",
    "Trainer",
    "configure_optimizers_output",
    "rank_zero_info",
]

# Lightning's own parser of what `configure_optimizers` returns (an optimizer, a list, a dict
# with "optimizer", a pair of lists, ...): private, but the simulation must read that output
# exactly as `Trainer.fit` does, and it has kept this name and signature since 1.6.
configure_optimizers_output = _configure_optimizers
