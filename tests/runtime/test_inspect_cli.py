"""`ftlint inspect` through the real CLI."""

from __future__ import annotations

import json

from support import run_ftlint


def test_inspect_resnet50_text_and_json():
    text = run_ftlint("inspect", "torchvision.models:resnet50", "--depth", "1")
    assert text.returncode == 0, text.stderr
    assert "161 of 161 tensors trainable" in text.stdout
    assert "layer4.0.conv1.weight" in text.stdout
    as_json = run_ftlint("inspect", "torchvision.models:resnet50", "--output-format", "json")
    data = json.loads(as_json.stdout)
    assert data["report"]["trainable_tensors"] == 161
    assert data["report"]["parameters"][0]["device"] == "meta"


def test_inspect_bad_target_is_usage_error():
    result = run_ftlint("inspect", "no_such_module_xyz:model")
    assert result.returncode == 2
    assert "cannot import 'no_such_module_xyz'" in result.stderr
    assert "Traceback" not in result.stderr
