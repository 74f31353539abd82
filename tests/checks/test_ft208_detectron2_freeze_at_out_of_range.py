"""FT208 beyond its own examples: the whole message, and the backbone read from `_BASE_`."""

from __future__ import annotations

from support import check_config, found_at


def test_whole_message(tmp_path):
    found = check_config(tmp_path, "retinanet.yaml", """
        MODEL:
          BACKBONE:
            NAME: build_retinanet_resnet_fpn_backbone
            FREEZE_AT: -1
        """)
    assert found_at(found) == [(
        "FT208", 4, 5,
        (
            "`FREEZE_AT: -1` freezes nothing, as 0 does: detectron2's ResNet freezes the stem at 1 "
            "and stage resN at N, so its range is 0 (nothing) to 5 (the whole backbone); write the "
            "value that says what it does"
        ),
    )]  # fmt: skip


def test_backbone_named_in_base_file(tmp_path):
    (tmp_path / "Base-ViT.yaml").write_text("MODEL:\n  BACKBONE:\n    NAME: build_vit_backbone\n")
    assert check_config(tmp_path, "vit.yaml", """
        _BASE_: Base-ViT.yaml
        MODEL:
          BACKBONE:
            FREEZE_AT: 12
        """) == []
    (tmp_path / "Base-R50.yaml").write_text("MODEL:\n  BACKBONE:\n    NAME: build_resnet_backbone\n")
    found = check_config(tmp_path, "r50.yaml", """
        _BASE_: Base-R50.yaml
        MODEL:
          BACKBONE:
            FREEZE_AT: 12
        """)
    assert [(d.code, d.location.row) for d in found] == [("FT208", 4)]
