"""FT104, a name pattern that also matches longer names: across a component boundary and at
several depths."""

from __future__ import annotations

from support import fixture_codes, fixture_finding

FIXTURE = "ft104_mobilenet_overmatch.py"


def test_its_verify_fixture_has_this_finding_only(verify_path):
    assert fixture_codes(verify_path, FIXTURE) == (None, ["FT104"])


def test_ft104_across_a_component_boundary_and_at_several_depths(verify_path, verify_code):
    mobilenet = fixture_finding(verify_path, FIXTURE, "FT104")
    assert "'features.1' also matches inside longer names: features.10 (9 parameters)" in mobilenet
    assert "features.16 (3 parameters), besides features.1" in mobilenet
    result = verify_code(
        """
        from torchvision.models import resnet50, vit_b_16
        resnet = resnet50()
        for name, parameter in resnet.named_parameters():
            if "bn1" in name or "layer4" in name:
                parameter.requires_grad = False
        vit = vit_b_16()
        for name, parameter in vit.named_parameters():
            if "encoder_layer_1" in name or name.endswith("bias"):
                parameter.requires_grad = False
        """
    )
    bn1, layer = (d.message for d in result.diagnostics if d.code == "FT104")
    assert bn1 == (
        "`\"bn1\" in name` on resnet: 'bn1' matches at 2 depths, not only 'bn1': bn1 (2 parameters),"
        " layer1.*.bn1 (6 parameters), layer2.*.bn1 (8 parameters), layer3.*.bn1 (12 parameters),"
        " layer4.*.bn1 (6 parameters). To mean only 'bn1', test name.startswith('bn1.')"
    )
    assert (
        "encoder.layers.encoder_layer_10 (12 parameters), encoder.layers.encoder_layer_11 (12 parameters)"
        in layer
    )
