"""The OpenMMLab config reader: what mmengine's `Config.fromfile` would build, read from source."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from support import code_text

from ftlint.analysis.mmconfig import UNKNOWN, MMConfig, Setting, Value, is_config, read_config


def plain(value: Value) -> object:
    """A setting's value as plain Python, for whole-value comparisons."""
    if isinstance(value, dict):
        return {key: plain(setting.value) for key, setting in value.items()}
    if isinstance(value, tuple):
        return [plain(setting.value) for setting in value]
    return value


def read(directory: Path, files: dict[str, str], checked: str) -> MMConfig:
    for relative, code in files.items():
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_text(code_text(code))
    path = directory / checked
    return read_config(cst.parse_module(path.read_text()), path)


def settings(config: MMConfig) -> object:
    return plain(config.settings)


def test_bases_merge_in_order_and_the_child_merges_into_them(tmp_path):
    config = read(
        tmp_path,
        {
            "_base_/model.py": """
                norm_cfg = dict(type='BN', requires_grad=True)
                model = dict(type='X', backbone=dict(type='ResNet', depth=50, norm_cfg=norm_cfg))
            """,
            "_base_/schedule.py": "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.02))\n",
            "configs/child.py": """
                _base_ = ['../_base_/model.py', '../_base_/schedule.py']
                model = dict(backbone=dict(depth=101, frozen_stages=-1))
                optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr=_base_.optim_wrapper.optimizer.lr))
            """,
        },
        "configs/child.py",
    )
    assert config.complete
    assert settings(config) == {
        "norm_cfg": {"type": "BN", "requires_grad": True},
        "model": {
            "type": "X",
            "backbone": {
                "type": "ResNet",
                "depth": 101,
                "norm_cfg": {"type": "BN", "requires_grad": True},
                "frozen_stages": -1,
            },
        },
        "optim_wrapper": {"optimizer": {"type": "AdamW", "lr": 0.02}},
    }


def test_what_a_file_computes_is_unknown_and_a_missing_base_makes_it_incomplete(tmp_path):
    config = read(
        tmp_path,
        {
            "child.py": """
                _base_ = ['absent.py']
                import os
                depth = int(os.environ['DEPTH'])
                model = dict(type='X', backbone=dict(depth=depth, stages=[*range(4)]))
                extra = dict(a=1)
                extra.update(b=2)
                if depth > 50:
                    lr = 0.1
            """,
        },
        "child.py",
    )
    assert not config.complete
    assert settings(config) == {
        "os": UNKNOWN,
        "depth": UNKNOWN,
        "model": {"type": "X", "backbone": {"depth": UNKNOWN, "stages": UNKNOWN}},
        "extra": UNKNOWN,
        "lr": UNKNOWN,
    }


def test_a_star_import_of_bases_makes_it_incomplete(tmp_path):
    config = read(
        tmp_path,
        {"new_style.py": "from mmengine.config import read_base\n\nwith read_base():\n"
                         "    from .._base_.models.x import *\n\nmodel = dict(type='X')\n"},
        "new_style.py",
    )  # fmt: skip
    assert (config.complete, settings(config)) == (False, {"read_base": UNKNOWN, "model": {"type": "X"}})


def test_only_the_checked_file_gives_nodes(tmp_path):
    config = read(
        tmp_path,
        {"base.py": "a = dict(x=1)\n", "child.py": "_base_ = 'base.py'\nb = dict(y=2)\n"},
        "child.py",
    )
    a, b = config.settings["a"], config.settings["b"]
    assert (a.node, a.origin, b.origin) == (None, "base.py", "child.py")
    assert isinstance(b.node, cst.Call) and isinstance(config.base_node, cst.SimpleString)


def test_a_base_cycle_ends(tmp_path):
    config = read(tmp_path, {"a.py": "_base_ = 'b.py'\nx = 1\n", "b.py": "_base_ = 'a.py'\ny = 2\n"}, "a.py")
    assert (config.complete, settings(config)) == (False, {"y": 2, "x": 1})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("_base_ = './x.py'\n", True),
        ("model = dict(\n    type='MaskRCNN')\n", True),
        ("optim_wrapper = dict(optimizer=dict(type='SGD'))\n", True),
        ("model = build_model(cfg)\n", False),
        ("def f():\n    model = dict(type='X')\n", False),
        ("x = '_base_ = 1'\n", False),
    ],
)
def test_is_config(text, expected):
    assert is_config(text) is expected


def test_setting_get_on_a_non_dict():
    assert Setting(3, None, "x.py").get("type") is None
