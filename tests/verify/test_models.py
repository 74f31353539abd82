"""verify on real torchvision models: the figures per scenario, the seed, clean scripts, user
errors, unavailable values and the scenario cap. (Each finding, FT101-FT107, is tested with its
code in tests/checks/.)"""

from __future__ import annotations

import pytest
from support import (
    FIXTURES,
    ODD_METADATA,
    counts,
    message,
    runtime_codes,
    seed_notebook_with_metadata,
)

from ftlint.verify.scenarios import plan_scenarios

SEED = FIXTURES / "seed_backbone_freezing.py"
CLEAN = sorted((FIXTURES / "verify" / "clean").glob("*.py"))


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


@pytest.mark.parametrize("path", CLEAN, ids=lambda path: path.name)
def test_clean_scripts_have_no_finding(verify_path, path):
    result = verify_path(path)
    assert (result.error, result.diagnostics) == (None, [])
    assert result.models


def test_user_errors_are_reported_at_the_file_line(verify_code):
    result = verify_code(
        """
        from torch import nn
        from torchvision.models import resnet18
        model = resnet18()
        model.head = nn.Linear(model.classifier.in_features, 10)
        """
    )
    assert result.error == (
        "line 4: AttributeError: 'ResNet' object has no attribute 'classifier'; the models built"
        " before it are shown as they stood"
    )
    assert [(m.variable, m.total) for m in result.models] == [("model", 62)]


def test_a_failure_before_any_model_says_where_and_builds_nothing(verify_code):
    result = verify_code(
        """
        from torchvision.models import resnet18
        width = int("wide")
        model = resnet18(num_classes=width)
        """
    )
    assert result.error == "line 2: ValueError: invalid literal for int() with base 10: 'wide'"
    assert result.models == []


def test_missing_data_gets_a_stand_in_and_pins_give_the_real_value(verify_code):
    code = """
        from torch import nn
        from torchvision import datasets
        from torchvision.models import resnet18
        dataset = datasets.ImageFolder("/data/train")
        num_classes = len(dataset.classes)
        model = resnet18()
        model.fc = nn.Linear(512, num_classes)
        """
    guessed = verify_code(code)
    assert (guessed.error, guessed.models[0].freeze_map.parameters[-1].shape) == (None, (2,))
    assert guessed.notes == [
        "line 4: ImageFolder('/data/train') could not be read (FileNotFoundError): a stand-in was"
        " used; its classes and size are guesses: give the dataset's path to count exactly"
    ]
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


@pytest.mark.parametrize("metadata", ODD_METADATA)
def test_notebook_metadata_of_any_shape_is_read_as_absent(verify_path, tmp_path, metadata):
    result = verify_path(seed_notebook_with_metadata(tmp_path, metadata))
    (model,) = result.models
    assert (result.error, (model.cell, model.line), counts(model)[1][2:]) == (None, (1, 5), (0, 161))
    assert [(d.code, d.cell, d.location.row) for d in result.diagnostics] == [
        (d.code, d.cell, d.location.row)
        for d in verify_path(FIXTURES / "seed_backbone_freezing.ipynb").diagnostics
    ]
