"""FT211 beyond its own examples: whole messages, `_base_` following, a missing base, noqa."""

from __future__ import annotations

import json

import pytest
from support import code_text, lint_config_tree, lint_text, run_ftlint

from ftlint.rules.ft211_norm_eval_sync_bn import NormEvalSyncBn

POINTLESS = (
    "`norm_eval=True` puts every BatchNorm layer of this `ResNet` back in eval mode whenever the "
    "model trains, `SyncBN` layers included: they normalise with their running statistics, never "
    "computing or synchronising batch statistics across GPUs, so `SyncBN` behaves exactly as `BN` "
    "here; use `type='BN'`, or `norm_eval=False` to train with synchronised batch statistics"
)
BASE_MODEL = """
model = dict(
    type='FasterRCNN',
    backbone=dict(
        type='ResNet',
        depth=50,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
    ),
)
"""


def test_mmsyncbn_whole_message():
    found = lint_text(
        """
        model = dict(
            type='FasterRCNN',
            backbone=dict(type='ResNet', norm_cfg=dict(type='MMSyncBN'), norm_eval=True),
        )
        """,
        [NormEvalSyncBn],
    )
    assert [(d.location.row, d.message) for d in found] == [
        (
            3,
            "`norm_eval=True` has no effect on these layers: this `ResNet`'s `train()` puts only "
            "torch's `_BatchNorm` layers in eval mode, and `MMSyncBN` (mmcv's SyncBatchNorm, a "
            "plain `nn.Module`) is not one, so they keep normalising with batch statistics and "
            "updating their running statistics while training (except in stages `frozen_stages` "
            "freezes); use `type='BN'` with `norm_eval=True` to freeze the statistics",
        )
    ]


def test_syncbn_on_a_backbone_that_tests_batchnorm2d():
    found = lint_text(
        """
        model = dict(
            type='ImageClassifier',
            backbone=dict(type='mmpretrain.EfficientNet', norm_cfg=dict(type='SyncBN'), norm_eval=True),
        )
        """,
        [NormEvalSyncBn],
    )
    assert [d.message for d in found] == [
        "`norm_eval=True` has no effect on these layers: this `EfficientNet`'s `train()` puts only "
        "`nn.BatchNorm2d` layers in eval mode, and `SyncBN` (`nn.SyncBatchNorm`) is not one, so "
        "they keep normalising with batch statistics and updating their running statistics while "
        "training (except in stages `frozen_stages` freezes); use `type='BN'` with "
        "`norm_eval=True` to freeze the statistics"
    ]


def test_child_switching_its_base_to_syncbn_is_reported_at_its_own_line(tmp_path):
    found = lint_config_tree(
        tmp_path,
        {
            "_base_/models/faster_rcnn.py": BASE_MODEL,
            "configs/syncbn.py": """
                _base_ = '../_base_/models/faster_rcnn.py'
                model = dict(backbone=dict(norm_cfg=dict(type='SyncBN', requires_grad=True)))
            """,
        },
        "configs/syncbn.py",
        [NormEvalSyncBn],
    )
    assert [(d.location.row, d.location.column, d.message) for d in found] == [
        (2, 37, POINTLESS)
    ]


@pytest.mark.parametrize(
    "child",
    [
        # The child turns norm_eval off, or drops the base's backbone settings.
        "model = dict(backbone=dict(norm_cfg=dict(type='SyncBN'), norm_eval=False))",
        "model = dict(backbone=dict(_delete_=True, type='ResNet', norm_cfg=dict(type='SyncBN')))",
    ],
)
def test_child_traps(tmp_path, child):
    files = {
        "_base_/models/faster_rcnn.py": BASE_MODEL,
        "configs/child.py": f"_base_ = ['../_base_/models/faster_rcnn.py']\n{child}\n",
    }
    assert lint_config_tree(tmp_path, files, "configs/child.py", [NormEvalSyncBn]) == []


def test_missing_base_is_not_guessed(tmp_path):
    files = {
        "configs/child.py": """
            _base_ = '../_base_/models/absent.py'
            model = dict(backbone=dict(norm_cfg=dict(type='SyncBN', requires_grad=True)))
        """,
    }
    assert lint_config_tree(tmp_path, files, "configs/child.py", [NormEvalSyncBn]) == []


def test_two_bases_that_conflict_only_together_are_reported_at_base(tmp_path):
    files = {
        "_base_/model.py": BASE_MODEL,
        "_base_/syncbn.py": "model = dict(backbone=dict(norm_cfg=dict(type='SyncBN')))\n",
        "child.py": "_base_ = ['_base_/model.py', '_base_/syncbn.py']\n",
    }
    found = lint_config_tree(tmp_path, files, "child.py", [NormEvalSyncBn])
    assert [(d.location.row, d.message) for d in found] == [(1, POINTLESS)]
    # Either base alone holds no conflict; the one that holds both is reported, not its users.
    assert lint_config_tree(tmp_path, {}, "_base_/syncbn.py", [NormEvalSyncBn]) == []


def test_noqa_on_the_config_line():
    code = """
    model = dict(
        type='FasterRCNN',
        backbone=dict(type='ResNet', norm_cfg=dict(type='SyncBN'), norm_eval=True),  # noqa: FT211
    )
    """
    assert lint_text(code, [NormEvalSyncBn]) == []


@pytest.mark.parametrize(
    "code",
    [
        # Ordinary Python that happens to build such a dict is not a config.
        "def build():\n    return dict(type='ResNet', norm_cfg=dict(type='SyncBN'), norm_eval=True)\n",
        "settings = dict(type='ResNet', norm_cfg=dict(type='SyncBN'), norm_eval=True)\n",
        # A config whose value is computed: not known, not guessed.
        "model = dict(type='X', backbone=dict(type='ResNet', norm_cfg=cfg(), norm_eval=True))\n",
        "model = dict(type='X', backbone=dict(type='ResNet', norm_cfg=dict(type='SyncBN'), "
        "norm_eval=flag))\n",
    ],
)
def test_not_a_config_or_not_known(code):
    assert lint_text(code, [NormEvalSyncBn]) == []


def test_cli_finds_it_through_the_base_and_never_serves_a_stale_result(tmp_path):
    """The real CLI with its result cache: the child's bytes stay the same while its base
    changes, and the finding follows the base."""
    base = tmp_path / "_base_" / "faster_rcnn.py"
    base.parent.mkdir()
    base.write_text(code_text(BASE_MODEL))
    child = tmp_path / "syncbn.py"
    child.write_text(
        "_base_ = './_base_/faster_rcnn.py'\n"
        "model = dict(backbone=dict(norm_cfg=dict(type='SyncBN', requires_grad=True)))\n"
    )
    env = {"FTLINT_CACHE_DIR": str(tmp_path / "cache")}
    args = ("check", "--output-format", "json", "--select", "FT211", str(child))
    first = run_ftlint(*args, env=env)
    assert first.returncode == 1, first.stderr
    assert json.loads(first.stdout) == [
        {
            "cell": None,
            "code": "FT211",
            "end_location": {"row": 2, "column": 76},
            "filename": str(child),
            "fix": None,
            "location": {"row": 2, "column": 37},
            "message": POINTLESS,
            "noqa_row": 2,
            "url": "https://github.com/ftlint/ftlint/blob/main/docs/rules.md#ft211",
        }
    ]
    base.write_text(code_text(BASE_MODEL).replace("norm_eval=True", "norm_eval=False"))
    second = run_ftlint(*args, env=env)
    assert (second.returncode, json.loads(second.stdout)) == (0, [])
