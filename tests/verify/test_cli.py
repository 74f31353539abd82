"""`ftlint verify` end to end: the real CLI in subprocesses (each pays torch's import: few runs)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import click
import pytest
from support import FIXTURES, REPO, run_ftlint

from ftlint.verify.command import parse_pins

SEED_PY = str(FIXTURES / "seed_backbone_freezing.py")
SEED_NOTEBOOK = str(FIXTURES / "seed_backbone_freezing.ipynb")

def test_the_seed_as_script_and_notebook():
    result = run_ftlint("verify", SEED_PY, SEED_NOTEBOOK, cwd=REPO)
    assert result.returncode == 1, result.stderr
    output = result.stdout
    for expected in (
        "train_backbone=True (as written)  126 trainable / 35 frozen tensors",
        "train_backbone=False              0 trainable / 161 frozen tensors",
        "FT001 [*] freeze condition mixes `or` and `and`",
        "FT102 read left to right",
        "with train_backbone=False, 87 trainable / 74 frozen tensors instead of 0 / 161",
        "FT105 11 BatchNorm modules with every affine parameter frozen, yet in train mode",
    ):
        assert output.count(expected) == 2, expected
    assert "seed_backbone_freezing.ipynb:cell 1:10:8: FT102" in output


def test_json_output():
    result = run_ftlint(
        "verify",
        "--output-format",
        "json",
        SEED_PY,
        str(FIXTURES / "verify/clean/vit_last_blocks.py"),
        cwd=REPO,
    )
    assert result.returncode == 1, result.stderr
    seed, vit = json.loads(result.stdout)["files"]
    (target,) = seed["targets"]
    assert {key: target[key] for key in ("target", "builder", "line", "total")} == {
        "target": "backbone", "builder": "torchvision.models.resnet50", "line": 6, "total": 161,
    }  # fmt: skip
    assert target["total_numel"] == 25_557_032
    assert [
        (
            s["bindings"],
            s["as_written"],
            s["trainable"],
            s["frozen"],
            s["trainable_numel"] + s["frozen_numel"],
        )
        for s in target["scenarios"]
    ] == [
        ({"train_backbone": True}, True, 126, 35, 25_557_032),
        ({"train_backbone": False}, False, 0, 161, 25_557_032),
    ]
    assert target["freeze_map"]["trainable_tensors"] == 126
    codes = [finding["code"] for finding in seed["findings"]]
    assert {"FT001", "FT102", "FT105"} <= set(codes)
    static = next(finding for finding in seed["findings"] if finding["code"] == "FT001")
    assert set(static) == {
        "cell",
        "code",
        "end_location",
        "filename",
        "fix",
        "location",
        "message",
        "noqa_row",
        "url",
    }
    assert all(set(finding) == set(static) for finding in seed["findings"])
    assert (vit["findings"], vit["error"], len(vit["targets"])) == ([], None, 1)


def test_clean_scripts_pass():
    result = run_ftlint("verify", str(FIXTURES / "verify" / "clean"), cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("All checks passed!")
    assert result.stdout.count("trainable / ") >= 6


def test_errors_exit_2_at_the_users_line_and_selection_applies(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text(
        textwrap.dedent(
            """
            from torchvision.models import resnet18

            model = resnet18()
            model.classifier[1].requires_grad_(False)
            """
        ).lstrip()
    )
    result = run_ftlint("verify", "--select", "FT105", SEED_PY, str(broken), cwd=REPO)
    assert result.returncode == 2
    assert (
        "could not verify: line 4: AttributeError: 'ResNet' object has no attribute 'classifier'"
        in result.stdout
    )
    assert "Traceback" not in result.stdout + result.stderr
    assert {
        line.split(": ")[1].split()[0] for line in result.stdout.splitlines() if ": FT" in line
    } == {"FT105"}


def test_without_torch_it_says_what_to_install():
    hide_torch = "import sys; sys.modules['torch'] = None; from ftlint.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", hide_torch, "verify", SEED_PY],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "pip install 'ftlint[runtime]'" in result.stderr


def test_pins_are_python_literals():
    assert parse_pins(["train_backbone=False", "num_classes=10", "args.arch=resnet50"]) == {
        "train_backbone": False, "num_classes": 10, "args.arch": "resnet50",
    }  # fmt: skip
    with pytest.raises(click.BadParameter):
        parse_pins(["train_backbone"])


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("import os\nprint(os.sep)\n", "could not verify: no model found"),
        ("import torch\nmodel = torch.nn.Linear(2, int('two'))\n", "could not verify: line 2: ValueError"),
    ],
    ids=["builds-no-model", "fails"],
)
def test_a_file_not_verified_is_never_an_all_clear(tmp_path, code, said):
    script = tmp_path / "script.py"
    script.write_text(code)
    result = run_ftlint("verify", str(script))
    assert result.returncode == 2, result.stdout + result.stderr
    assert said in result.stdout
    assert result.stdout.rstrip().endswith("Could not verify 1 file.")
    assert "All checks passed!" not in result.stdout


def test_a_verified_clean_file_is_all_clear(tmp_path):
    script = tmp_path / "script.py"
    script.write_text("import torch\nmodel = torch.nn.Linear(2, 2)\nmodel.bias.requires_grad_(False)\n")
    result = run_ftlint("verify", str(script))
    assert (result.returncode, result.stdout.rstrip().splitlines()[-1]) == (0, "All checks passed!")
