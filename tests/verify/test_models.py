"""verify on real torchvision models: the figures per scenario, and each finding (FT101-FT107)."""

from __future__ import annotations

import pytest
from support import FIXTURES

from ftlint.verify.scenarios import plan_scenarios

SEED = FIXTURES / "seed_backbone_freezing.py"
EXPECTED_CODES = {
    "ft101_vit_expectation.py": ["FT101"],
    "ft102_convnext_reading.py": ["FT102"],
    "ft103_sequential_renamed.py": ["FT103"],
    "ft104_mobilenet_overmatch.py": ["FT104"],
    "ft105_resnet_frozen_bn.py": ["FT105"],
    "ft106_optimizer_before_head.py": ["FT106"],
    "ft107_head_frozen_too.py": ["FT107"],
}
CLEAN = sorted((FIXTURES / "verify" / "clean").glob("*.py"))


def runtime_codes(result):
    return sorted(d.code for d in result.diagnostics if d.code.startswith("FT1"))


def message(result, code):
    (found,) = [d.message for d in result.diagnostics if d.code == code]
    return found


def fixture_finding(verify_path, fixture, code):
    """The message of the one ``code`` finding on ``fixtures/verify/<fixture>``."""
    return message(verify_path(FIXTURES / "verify" / fixture), code)


def counts(model):
    return [(dict(s.bindings), s.as_written, s.trainable, s.frozen) for s in model.scenarios]


def test_the_seed_in_both_scenarios(verify_path):
    result = verify_path(SEED)
    (model,) = result.models
    assert (model.variable, model.builder, model.line, model.total) == (
        "backbone",
        "torchvision.models.resnet50",
        6,
        161,
    )
    assert counts(model) == [
        ({"train_backbone": True}, True, 126, 35),
        ({"train_backbone": False}, False, 0, 161),
    ]
    assert runtime_codes(result) == ["FT102", "FT105"]
    assert "FT001" in {d.code for d in result.diagnostics}
    other_reading = message(result, "FT102")
    assert (
        "with train_backbone=False, 87 trainable / 74 frozen tensors instead of 0 / 161"
        in other_reading
    )
    assert "identical with train_backbone=True" in other_reading
    assert message(result, "FT105").startswith("11 BatchNorm modules")
    updating = [bn.name for bn in model.freeze_map.batchnorms if bn.frozen_but_updating]
    assert updating == [
        "bn1",
        *(
            f"layer1.{b}.bn{i}" if i else "layer1.0.downsample.1"
            for b in range(3)
            for i in (1, 2, 3, 0)
            if i or b == 0
        ),
    ]
    assert result.notes == [
        "line 6: pretrained weights not downloaded (ResNet50_Weights.IMAGENET1K_V1): architecture only"
    ]


def test_the_seed_notebook_reports_at_its_cells(verify_path):
    result = verify_path(FIXTURES / "seed_backbone_freezing.ipynb")
    (model,) = result.models
    assert (model.cell, model.line) == (1, 5)
    assert counts(model)[1][2:] == (0, 161)
    chain = next(d for d in result.diagnostics if d.code == "FT102")
    assert (chain.cell, chain.location.row, chain.location.column) == (1, 10, 8)


@pytest.mark.parametrize("name", sorted(EXPECTED_CODES))
def test_each_finding_on_its_fixture(verify_path, name):
    result = verify_path(FIXTURES / "verify" / name)
    assert result.error is None
    assert runtime_codes(result) == EXPECTED_CODES[name]


@pytest.mark.parametrize("path", CLEAN, ids=lambda path: path.name)
def test_clean_scripts_have_no_finding(verify_path, path):
    result = verify_path(path)
    assert (result.error, result.diagnostics) == (None, [])
    assert result.models


def test_ft101_names_what_differs_from_the_pragma(verify_path, verify_code):
    assert fixture_finding(verify_path, "ft101_vit_expectation.py", "FT101") == (
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


def test_ft102_in_a_pinned_scenario(verify_path):
    result = verify_path(SEED, pins={"train_backbone": False, "train_bakbone": True})
    (model,) = result.models
    assert counts(model) == [({"train_backbone": False, "train_bakbone": True}, True, 0, 161)]
    assert "train_bakbone=True, 87 trainable / 74 frozen tensors instead of 0 / 161" in message(
        result, "FT102"
    )
    assert (
        result.notes[-1]
        == "--set train_bakbone: the file never mentions train_bakbone, so the pin changes nothing"
    )


def test_ft103_says_what_a_sequential_renamed(verify_path):
    found = fixture_finding(verify_path, "ft103_sequential_renamed.py", "FT103")
    assert "'layer4' matches none of the 159 parameter names of model.0" in found
    assert found.endswith("the layer4 of ResNet is named '7' here")


def test_ft104_across_a_component_boundary_and_at_several_depths(verify_path, verify_code):
    mobilenet = fixture_finding(verify_path, "ft104_mobilenet_overmatch.py", "FT104")
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


def test_ft105_counts_frozen_batchnorm_in_train_mode(verify_path):
    found = fixture_finding(verify_path, "ft105_resnet_frozen_bn.py", "FT105")
    assert found.startswith(
        "24 BatchNorm modules with every affine parameter frozen, yet in train mode"
    )


def test_ft106_both_ways(verify_path, verify_code):
    found = fixture_finding(verify_path, "ft106_optimizer_before_head.py", "FT106")
    assert "2 tensors (classifier: 2) trainable, in no optimizer: never updated" in found
    assert "211 tensors (features: 211) frozen, passed to the optimizer" in found
    result = verify_code(
        """
        import torch
        from torchvision.models import convnext_tiny
        model = convnext_tiny()
        model.features.requires_grad_(False)
        optimizer = torch.optim.AdamW(model.parameters())
        """
    )
    assert [d.location.row for d in result.diagnostics if d.code == "FT106"] == [5]
    assert "in no optimizer" not in message(result, "FT106")


def test_ft107_when_nothing_is_frozen(verify_code):
    result = verify_code(
        """
        from torchvision.models import mobilenet_v3_small
        model = mobilenet_v3_small()
        for child in list(model.children())[:-1]:
            child.requires_grad = False
        """
    )
    assert message(result, "FT107") == (
        "freeze code ran on model and set requires_grad to False, yet all 142 tensors still train:"
        " it set the flag on modules or copies, not on the model's parameters"
    )


def test_user_errors_are_reported_at_the_file_line(verify_code):
    result = verify_code(
        """
        from torch import nn
        from torchvision.models import resnet18
        model = resnet18()
        model.head = nn.Linear(model.classifier.in_features, 10)
        """
    )
    assert result.error == "line 4: AttributeError: 'ResNet' object has no attribute 'classifier'"
    assert result.models == []


def test_values_from_data_loading_are_unavailable_until_pinned(verify_code):
    code = """
        from torch import nn
        from torchvision import datasets
        from torchvision.models import resnet18
        dataset = datasets.ImageFolder("/data/train")
        num_classes = len(dataset.classes)
        model = resnet18()
        model.fc = nn.Linear(512, num_classes)
        """
    assert verify_code(code).error == (
        "line 5 needs `dataset`, which comes from data loading at line 4, and verify does not run"
        " that; give the value with --set NAME=VALUE"
    )
    (model,) = verify_code(code, pins={"num_classes": 37}).models
    assert model.freeze_map.parameters[-1].shape == (37,)


def test_a_training_script_verifies_without_training(verify_path):
    result = verify_path(FIXTURES / "verify/clean/training_script.py")
    (model,) = result.models
    assert (model.variable, model.builder, counts(model)) == (
        "model",
        "torchvision.models.resnet50",
        [({}, True, 12, 43)],
    )
    assert (
        "line 33: checkpoint load skipped: torch.load(PosixPath('/data/checkpoints/simclr_resnet50.pt'))"
        in result.notes
    )


@pytest.mark.parametrize(("flags", "scenarios"), [(3, 8), (4, 5)])
def test_scenarios_are_capped(flags, scenarios):
    planned = plan_scenarios({f"flag{i}": bool(i % 2) for i in range(flags)}, {})
    assert len(planned) == scenarios
    assert [s.as_written for s in planned] == [True] + [False] * (scenarios - 1)
    assert planned[0].bindings == {f"flag{i}": bool(i % 2) for i in range(flags)}
    assert len({tuple(s.bindings.values()) for s in planned}) == scenarios


def test_ft107_spares_a_frozen_teacher(verify_code):
    result = verify_code(
        """
        import torch
        from torchvision.models import resnet18, resnet50
        teacher = resnet50()
        teacher.requires_grad_(False)
        teacher.eval()
        student = resnet18()
        optimizer = torch.optim.SGD(student.parameters(), lr=0.1)
        """
    )
    assert [model.variable for model in result.models] == ["teacher", "student"]
    assert result.diagnostics == []
