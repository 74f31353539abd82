"""FT103, a name pattern that matches no parameter: what a Sequential renamed."""

from __future__ import annotations

from support import fixture_codes, fixture_finding

FIXTURE = "ft103_sequential_renamed.py"


def test_its_verify_fixture_has_this_finding_only(verify_path):
    assert fixture_codes(verify_path, FIXTURE) == (None, ["FT103"])


def test_ft103_says_what_a_sequential_renamed(verify_path):
    found = fixture_finding(verify_path, FIXTURE, "FT103")
    assert "'layer4' matches none of the 159 parameter names of model.0" in found
    assert found.endswith("the layer4 of ResNet is named '7' here")
