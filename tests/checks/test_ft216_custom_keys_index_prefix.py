"""FT216 beyond its own examples: whole messages for each backbone it knows, and traps."""

from __future__ import annotations

import pytest
from support import lint_config_tree, lint_text

from ftlint.rules.ft216_custom_keys_index_prefix import CustomKeysIndexPrefix


def config(backbone: str, keys: str) -> str:
    return (
        f"model = dict(type='EncoderDecoder', backbone=dict({backbone}))\n"
        f"optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{{keys}}}))\n"
    )


def test_resnet101_block_whole_message():
    found = lint_text(
        config("type='ResNet', depth=101", "'backbone.layer3.1': dict(lr_mult=0.5)"),
        [CustomKeysIndexPrefix],
    )
    assert [(d.location.row, d.message) for d in found] == [
        (
            2,
            "custom_keys are matched as substrings of parameter names, so 'backbone.layer3.1' "
            "also matches `backbone.layer3.10` to `backbone.layer3.19` (`backbone.layer3` has 23 "
            "blocks here, from `depth=101`): their parameters get this entry's settings too, "
            "unless a longer key matches them; end the key with a dot, 'backbone.layer3.1.', to "
            "match block 1 alone",
        )
    ]


def test_swin_stage_blocks_and_a_key_without_the_backbone_prefix():
    found = lint_text(
        config("type='SwinTransformer', depths=[2, 2, 18, 2]", "'stages.2.blocks.1': dict(lr_mult=0.5)"),
        [CustomKeysIndexPrefix],
    )
    assert [d.message.split(" (")[0] for d in found] == [
        "custom_keys are matched as substrings of parameter names, so 'stages.2.blocks.1' also "
        "matches `backbone.stages.2.blocks.10` to `backbone.stages.2.blocks.17`"
    ]


def test_depth_from_the_base(tmp_path):
    files = {
        "base.py": "model = dict(type='X', backbone=dict(type='VisionTransformer', num_layers=24))\n",
        "child.py": "_base_ = 'base.py'\n"
        "optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'backbone.layers.2': dict(lr_mult=0.9)}))\n",
    }
    found = lint_config_tree(tmp_path, files, "child.py", [CustomKeysIndexPrefix])
    assert [d.message.split(" (")[0] for d in found] == [
        "custom_keys are matched as substrings of parameter names, so 'backbone.layers.2' also "
        "matches `backbone.layers.20` to `backbone.layers.23`"
    ]


@pytest.mark.parametrize(
    ("backbone", "keys"),
    [
        # Fewer than 11 blocks, a trailing dot, or every extra block claimed by a longer key.
        ("type='ResNet', depth=50", "'backbone.layer3.1': dict(lr_mult=0.5)"),
        ("type='ResNet', depth=101", "'backbone.layer3.1.': dict(lr_mult=0.5)"),
        ("type='VisionTransformer', num_layers=12",
         "'backbone.layers.1': dict(lr_mult=0.1), 'backbone.layers.10': dict(lr_mult=0.9), "
         "'backbone.layers.11': dict(lr_mult=1.0)"),
        # The structure is not stated: an arch name, a type ftlint does not know.
        ("type='VisionTransformer', arch='b'", "'backbone.layers.1': dict(lr_mult=0.1)"),
        ("type='MyViT', num_layers=24", "'backbone.layers.1': dict(lr_mult=0.1)"),
        # A key for another container than the one the backbone numbers.
        ("type='VisionTransformer', num_layers=24", "'decode_head.convs.1': dict(lr_mult=0.1)"),
    ],
)  # fmt: skip
def test_traps(backbone, keys):
    assert lint_text(config(backbone, keys), [CustomKeysIndexPrefix]) == []
