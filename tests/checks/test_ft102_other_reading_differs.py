"""FT102, a freeze condition whose other reading freezes other parameters: on its fixture and
in a pinned scenario."""

from __future__ import annotations

from support import FIXTURES, counts, fixture_codes, message

FIXTURE = "ft102_convnext_reading.py"


def test_its_verify_fixture_has_this_finding_only(verify_path):
    assert fixture_codes(verify_path, FIXTURE) == (None, ["FT102"])


def test_ft102_in_a_pinned_scenario(verify_path):
    seed = FIXTURES / "seed_backbone_freezing.py"
    result = verify_path(seed, pins={"train_backbone": False, "train_bakbone": True})
    (model,) = result.models
    assert counts(model) == [({"train_backbone": False, "train_bakbone": True}, True, 0, 161)]
    assert "train_bakbone=True, 87 trainable / 74 frozen tensors instead of 0 / 161" in message(
        result, "FT102"
    )
    assert (
        result.notes[-1]
        == "--set train_bakbone: the file never mentions train_bakbone, so the pin changes nothing"
    )
