"""FT213 beyond its own examples: whole messages, with and without gradient clipping."""

from __future__ import annotations

import pytest
from support import lint_config_tree, lint_text

from ftlint.rules.ft213_lr_mult_zero_freeze import LrMultZeroFreeze

MESSAGE = (
    "`lr_mult=0` gives the parameters whose name contains 'language_model' a learning rate of 0 "
    "but does not freeze them: they keep `requires_grad=True` and stay in the optimizer, so every "
    "gradient that reaches them is still computed and stored{clip}, and BatchNorm layers among "
    "them keep updating their running statistics; freeze them in the model (`frozen_stages`, "
    "`requires_grad=False`), which also leaves them out of the optimizer"
)
CLIP = ", `clip_grad` counts them in the total norm it scales every other gradient by"


def test_whole_message_without_clipping():
    code = """
    optim_wrapper = dict(
        optimizer=dict(type='AdamW', lr=1e-4),
        paramwise_cfg=dict(custom_keys={'language_model': dict(lr_mult=0.0)}),
    )
    """
    found = lint_text(code, [LrMultZeroFreeze])
    assert [(d.location.row, d.message) for d in found] == [(3, MESSAGE.format(clip=""))]


def test_clipping_set_in_the_base_is_named(tmp_path):
    files = {
        "base.py": "optim_wrapper = dict(clip_grad=dict(max_norm=0.1, norm_type=2))\n",
        "child.py": """
            _base_ = './base.py'
            optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'language_model': dict(lr_mult=0)}))
        """,
    }
    found = lint_config_tree(tmp_path, files, "child.py", [LrMultZeroFreeze])
    assert [d.message for d in found] == [MESSAGE.format(clip=CLIP)]


@pytest.mark.parametrize(
    "entry", ["dict(lr_mult=0.1)", "dict(decay_mult=0)", "dict(lr_mult=False)", "dict(lr_mult=x)"]
)
def test_traps(entry):
    code = f"optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{'backbone': {entry}}}))\n"
    assert lint_text(code, [LrMultZeroFreeze]) == []
