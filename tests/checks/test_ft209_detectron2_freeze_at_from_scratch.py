"""FT209 beyond its own examples: `_BASE_` files followed, whole messages."""

from __future__ import annotations

from support import check_config, found_at


def test_freeze_at_from_a_base_file_whole_message(tmp_path):
    (tmp_path / "Base-RCNN-FPN.yaml").write_text(
        "MODEL:\n  BACKBONE:\n    NAME: build_resnet_fpn_backbone\n    FREEZE_AT: 3\n"
    )
    found = check_config(tmp_path, "Misc/scratch.yaml", """
        _BASE_: ../Base-RCNN-FPN.yaml
        MODEL:
          WEIGHTS: ""
        """)
    assert found_at(found) == [(
        "FT209", 3, 3,
        (
            "`FREEZE_AT: 3` (from `../Base-RCNN-FPN.yaml`) freezes the stem and res2 to res3 (their BatchNorm "
            "layers turned into FrozenBatchNorm2d) while `MODEL.WEIGHTS` is empty: training starts "
            "from random initialisation, so the frozen layers stay random for the whole run; set "
            "`MODEL.BACKBONE.FREEZE_AT: 0` to train from scratch"
        ),
    )]  # fmt: skip


def test_scratch_config_that_unfreezes_is_silent(tmp_path):
    (tmp_path / "Base-RCNN-FPN.yaml").write_text("MODEL:\n  BACKBONE:\n    FREEZE_AT: 2\n")
    assert check_config(tmp_path, "scratch.yaml", """
        _BASE_: Base-RCNN-FPN.yaml
        MODEL:
          WEIGHTS: ""
          BACKBONE:
            FREEZE_AT: 0
        """) == []


def test_base_chain_without_freeze_at_means_the_default(tmp_path):
    (tmp_path / "Base-RCNN-FPN.yaml").write_text("MODEL:\n  MASK_ON: true\n")
    found = check_config(tmp_path, "scratch.yaml", """
        _BASE_: Base-RCNN-FPN.yaml
        MODEL:
          WEIGHTS: ""
        """)
    assert [(d.location.row, d.message.split(" freezes")[0]) for d in found] == [
        (3, "`FREEZE_AT: 2` (detectron2's default)")
    ]
