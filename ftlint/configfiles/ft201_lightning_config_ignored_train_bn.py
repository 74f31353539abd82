from __future__ import annotations

from collections.abc import Iterator

from ftlint.check import Invalid, Valid
from ftlint.configfiles.rule import ConfigFile, ConfigFinding, ConfigRule, instantiated, mappings
from ftlint.frameworks.lightning import BACKBONE_FINETUNING, ignored_train_bn_message

# Lightning CLI (jsonargparse) resolves a bare class name among Lightning's callbacks.
_NAMES = BACKBONE_FINETUNING | {"BackboneFinetuning"}
_DEFAULT_UNFREEZE_EPOCH = 10


class LightningConfigIgnoredTrainBn(ConfigRule):
    """
    ## What it does
    Flags Lightning's `BackboneFinetuning` callback configured with `train_bn: false` in a YAML
    configuration: a Lightning CLI config (`class_path` / `init_args`, in `trainer.callbacks`
    or anywhere else) or a Hydra config (`_target_`). The configuration counterpart of FT002.

    ## Why is this bad?
    In Lightning up to 2.6.6,
    [`BackboneFinetuning.freeze_before_training`](https://github.com/Lightning-AI/pytorch-lightning/blob/2.6.6/src/lightning/pytorch/callbacks/finetuning.py)
    calls `self.freeze(pl_module.backbone)` without passing `train_bn`, and
    [`BaseFinetuning.freeze`](https://lightning.ai/docs/pytorch/stable/api/lightning.pytorch.callbacks.BaseFinetuning.html)
    defaults to `train_bn=True`: during the frozen phase (until `unfreeze_backbone_at_epoch`,
    10 by default) the backbone's BatchNorm weights and biases stay trainable and its running
    statistics keep updating. `train_bn: false` only applies to the parameter group added at
    unfreezing.

    ## Example
    ```yaml
    trainer:
      callbacks:
        - class_path: lightning.pytorch.callbacks.BackboneFinetuning
          init_args:
            unfreeze_backbone_at_epoch: 5
            train_bn: false
    ```

    ## Fix
    Point `class_path` at a subclass whose `freeze_before_training` calls
    `self.freeze(pl_module.backbone, train_bn=self.train_bn)`.
    """

    code = "FT201"
    name = "lightning-config-ignored-train-bn"
    summary = "`BackboneFinetuning` configured with `train_bn: false`, ignored while frozen"
    required_tokens = ("BackboneFinetuning",)

    VALID = (
        Valid(
            """
            trainer:
              callbacks:
                - class_path: lightning.pytorch.callbacks.BackboneFinetuning
                  init_args:
                    unfreeze_backbone_at_epoch: 5
            """,
            filename="config.yaml",
        ),
        # Another callback's `train_bn` is its own business.
        Valid(
            """
            callbacks:
              finetune:
                _target_: mypackage.callbacks.BackboneFinetuning
                train_bn: false
            """,
            filename="config.yaml",
        ),
    )
    INVALID = (
        Invalid(
            """
            trainer:
              callbacks:
                - class_path: lightning.pytorch.callbacks.BackboneFinetuning
                  init_args:
                    unfreeze_backbone_at_epoch: 5
                    train_bn: false
            """,
            line=6,
            message_contains="its running statistics keep updating until epoch 5",
            filename="config.yaml",
        ),
        Invalid(
            """
            callbacks:
              finetune:
                _target_: pytorch_lightning.callbacks.BackboneFinetuning
                train_bn: False
            """,
            line=4,
            message_contains="until epoch 10",
            filename="config.yaml",
        ),
    )

    @classmethod
    def find(cls, config: ConfigFile) -> Iterator[ConfigFinding]:
        for mapping in mappings(config.document):
            found = instantiated(mapping)
            if found is None or found[0] not in _NAMES:
                continue
            arguments = found[1]
            entry = arguments.entry("train_bn")
            if entry is None or entry[1].value is not False:
                continue
            key, train_bn = entry
            epoch = arguments.scalar("unfreeze_backbone_at_epoch")
            shown = epoch if isinstance(epoch, int) else _DEFAULT_UNFREEZE_EPOCH
            yield cls.at(key, train_bn, ignored_train_bn_message(str(shown)))
