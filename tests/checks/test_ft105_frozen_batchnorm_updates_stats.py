"""FT105, frozen BatchNorm left in train mode, still updating its running statistics."""

from __future__ import annotations

from support import fixture_codes, fixture_finding

FIXTURE = "ft105_resnet_frozen_bn.py"


def test_its_verify_fixture_has_this_finding_only(verify_path):
    assert fixture_codes(verify_path, FIXTURE) == (None, ["FT105"])


def test_ft105_counts_frozen_batchnorm_in_train_mode(verify_path):
    found = fixture_finding(verify_path, FIXTURE, "FT105")
    assert found.startswith(
        "24 BatchNorm modules with every affine parameter frozen, yet in train mode"
    )
