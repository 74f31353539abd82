from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import torchvision

from ftlint.runtime.inspect import InspectError, build_model, run_inspect

# A model zoo whose defaults would download weights: build_model must override them.
DOWNLOADING_ZOO = """
from torch import nn

def build(pretrained=True, weights="DEFAULT", weights_backbone="IMAGENET1K_V1"):
    if pretrained or weights is not None or weights_backbone is not None:
        raise RuntimeError("would download weights")
    return nn.Linear(3, 2)

def broken():
    raise RuntimeError("the factory failed")

def not_a_module():
    return "a string"
"""


@pytest.fixture
def zoo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "ftlint_test_zoo.py").write_text(textwrap.dedent(DOWNLOADING_ZOO))
    monkeypatch.syspath_prepend(str(tmp_path))
    return "ftlint_test_zoo"


def test_build_model_builds_on_meta() -> None:
    model = build_model("torchvision.models:resnet50")
    assert isinstance(model, torchvision.models.ResNet)
    assert {parameter.device.type for parameter in model.parameters()} == {"meta"}


def test_build_model_overrides_weight_arguments(zoo: str) -> None:
    model = build_model(f"{zoo}:build")
    assert model.weight.is_meta


def test_detection_backbone_weights_are_not_downloaded() -> None:
    # torchvision defaults weights_backbone to ImageNet weights; there is no network here.
    model = build_model("torchvision.models.detection:fasterrcnn_mobilenet_v3_large_fpn")
    assert type(model).__name__ == "FasterRCNN"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("torchvision.models", "expected MODULE:CALLABLE"),
        (":resnet50", "expected MODULE:CALLABLE"),
        ("ftlint_no_such_module:build", "cannot import 'ftlint_no_such_module'"),
        ("torchvision.models:resnet5000", "has no attribute 'resnet5000'"),
        ("math:pi", "is not callable"),
        ("torchvision.models:ResNet", "raised TypeError"),
        ("{zoo}:broken", "raised RuntimeError: the factory failed"),
        ("{zoo}:not_a_module", "returned str, not a torch.nn.Module"),
    ],
)
def test_bad_targets_raise_inspect_error(zoo: str, target: str, message: str) -> None:
    with pytest.raises(InspectError, match=message):
        build_model(target.format(zoo=zoo))


def test_text_output_has_the_freeze_map_and_the_names() -> None:
    text = run_inspect("torchvision.models:vit_b_16", 1, "text")
    lines = text.splitlines()
    assert lines[0] == "torchvision.models:vit_b_16 (built on the meta device)"
    assert any(line.startswith("encoder ") and "147 / 0" in line for line in lines)
    names = lines[lines.index(next(line for line in lines if line.startswith("parameter names"))) :]
    assert any(
        line.split()[:3] == ["encoder.layers", "144", "tensors"]
        and line.endswith("e.g. encoder.layers.encoder_layer_0.ln_1.weight")
        for line in names
    )
    assert "\x1b[" not in text


def test_depth_goes_one_level_deeper_in_the_names() -> None:
    text = run_inspect("torchvision.models:resnet50", 2, "text")
    assert "layer1.0.downsample" in text and "layer1.0 " in text


def test_json_output() -> None:
    data = json.loads(run_inspect("torchvision.models:mobilenet_v3_large", 1, "json"))
    assert data["target"] == "torchvision.models:mobilenet_v3_large"
    assert data["report"]["total_numel"] == 5_483_032
    assert [row["path"] for row in data["names"]][:3] == ["features", "features.0", "features.1"]
    assert data["names"][0] == {
        "path": "features",
        "tensors": 170,
        "numel": 2_971_952,
        "example": "features.0.0.weight",
    }


@pytest.mark.parametrize(("depth", "output_format"), [(0, "text"), (1, "yaml")])
def test_bad_options_raise_inspect_error(depth: int, output_format: str) -> None:
    with pytest.raises(InspectError):
        run_inspect("torchvision.models:resnet50", depth, output_format)
