"""FT101, a model that does not match its `# ftlint: expect` pragma: what differs, a pragma on
no model, and an invalid pragma."""

from __future__ import annotations

from support import fixture_codes, fixture_finding

FIXTURE = "ft101_vit_expectation.py"


def test_its_verify_fixture_has_this_finding_only(verify_path):
    assert fixture_codes(verify_path, FIXTURE) == (None, ["FT101"])


def test_ft101_names_what_differs_from_the_pragma(verify_path, verify_code):
    assert fixture_finding(verify_path, FIXTURE, "FT101") == (
        "model does not match the pragma: encoder.ln: 2 tensors frozen, expected trainable"
    )
    result = verify_code(
        """
        from torchvision.models import resnet50
        backbone = resnet50()
        # ftlint: expect trainable=126 frozen=35
        for name, parameter in backbone.named_parameters():
            if "layer" not in name:
                parameter.requires_grad_(False)
        # ftlint: expect trainable=layer1
        # ftlint: expect trainable=12 layers=3
        """
    )
    found = [(d.location.row, d.message) for d in result.diagnostics if d.code == "FT101"]
    mismatch = (
        "backbone does not match the pragma: expected 126 trainable tensors, found 156 (+30);"
        " expected 35 frozen tensors, found 5 (-30)"
    )
    on_nothing = (
        "this expect pragma is not on or just above the construction or the freeze code of a"
        " model verify built, so it checks nothing"
    )
    invalid = "invalid expect pragma: unknown key `layers` (use trainable, frozen, trainable_numel, frozen_numel)"
    assert found == [(3, mismatch), (7, on_nothing), (8, invalid)]
