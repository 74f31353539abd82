"""FT201 beyond its own examples: whole messages, the Lightning CLI's shapes, and traps."""

from __future__ import annotations

from support import check_config, found_at

from ftlint.frameworks.lightning import ignored_train_bn_message


def test_cli_config_with_short_class_name_in_callbacks_whole_message(tmp_path):
    found = check_config(tmp_path, "config.yaml", """
        seed_everything: 1
        trainer:
          max_epochs: 20
          callbacks:
            - class_path: ModelCheckpoint
            - class_path: BackboneFinetuning
              init_args:
                unfreeze_backbone_at_epoch: 3
                train_bn: false  # the frozen backbone's BatchNorm should not move
        """)
    assert found_at(found) == [("FT201", 9, 9, ignored_train_bn_message("3"))]
    assert found[0].message == (
        "`train_bn=False` is ignored while the backbone is frozen: Lightning's "
        "`BackboneFinetuning.freeze_before_training` calls `self.freeze(pl_module.backbone)` "
        "without `train_bn`, so the backbone's BatchNorm weights and biases stay trainable and "
        "its running statistics keep updating until epoch 3; the flag only applies after "
        "unfreezing (Lightning <= 2.6.6, issue #21531). Override `freeze_before_training` to "
        "call `self.freeze(pl_module.backbone, train_bn=self.train_bn)`"
    )


def test_true_and_other_callbacks_are_silent(tmp_path):
    assert check_config(tmp_path, "config.yaml", """
        trainer:
          callbacks:
            - class_path: lightning.pytorch.callbacks.BackboneFinetuning
              init_args:
                train_bn: true
            - class_path: mypackage.BackboneFinetuningWithFix
              init_args:
                train_bn: false
        """) == []


def test_yaml_alias_shared_by_two_callbacks_is_reported_once_per_place(tmp_path):
    found = check_config(tmp_path, "config.yaml", """
        finetune: &finetune
          class_path: lightning.pytorch.callbacks.BackboneFinetuning
          init_args:
            train_bn: off
        trainer:
          callbacks:
            - *finetune
        """)
    # YAML 1.1's `off` is false, as Lightning's yaml loader reads it; the alias is the same node.
    assert [(d.code, d.location.row) for d in found] == [("FT201", 4)]
