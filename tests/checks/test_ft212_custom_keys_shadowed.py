"""FT212 beyond its own examples: whole messages, keys merged from a base, traps."""

from __future__ import annotations

import pytest
from support import lint_config_tree, lint_text

from ftlint.rules.ft212_custom_keys_shadowed import CustomKeysShadowed


def wrapper(keys: str) -> str:
    return f"optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{{keys}}}))\n"


def test_whole_message_with_both_multipliers():
    found = lint_text(
        wrapper("'backbone': dict(lr_mult=0.1, decay_mult=0.5), 'backbone.norm': dict()"),
        [CustomKeysShadowed],
    )
    assert [d.message for d in found] == [
        "every parameter whose name contains 'backbone.norm' also contains 'backbone', and "
        "mmengine applies only the longest matching `custom_keys` entry: those parameters get "
        "`lr_mult=1` and `decay_mult=1` (the default), not the `lr_mult=0.1` and "
        "`decay_mult=0.5` of 'backbone'; repeat `lr_mult=0.1` and `decay_mult=0.5` in the "
        "'backbone.norm' entry"
    ]


def test_key_added_by_a_child_to_its_base_keys(tmp_path):
    files = {
        "base.py": wrapper("'backbone': dict(lr_mult=0.1)"),
        "child.py": "_base_ = 'base.py'\n" + wrapper("'backbone.patch_embed': dict(decay_mult=0.)"),
    }
    found = lint_config_tree(tmp_path, files, "child.py", [CustomKeysShadowed])
    assert [(d.location.row, d.message.split(":")[0]) for d in found] == [
        (2, "every parameter whose name contains 'backbone.patch_embed' also contains "
            "'backbone', and mmengine applies only the longest matching `custom_keys` entry")
    ]


@pytest.mark.parametrize(
    "keys",
    [
        # The longer key repeats the multiplier, or the shorter one sets the default anyway.
        "'backbone': dict(lr_mult=0.1), 'backbone.norm': dict(lr_mult=0.1, decay_mult=0.)",
        "'backbone': dict(lr_mult=1.0), 'backbone.norm': dict(decay_mult=0.)",
        "'backbone': dict(decay_mult=0.), 'backbone.norm': dict(decay_mult=0.)",
        # Keys that never contain one another.
        "'backbone': dict(lr_mult=0.1), 'neck': dict(lr_mult=0.5)",
        "'norm': dict(decay_mult=0.), 'absolute_pos_embed': dict(decay_mult=0.)",
    ],
)
def test_traps(keys):
    assert lint_text(wrapper(keys), [CustomKeysShadowed]) == []
