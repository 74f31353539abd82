"""What a verified file may not do: fetch weights, use the network, start programs, write files,
or read outside its project; and what verify leaves behind: nothing."""

from __future__ import annotations

import sys

import torch
from torch import nn
from torchvision.models._api import WeightsEnum

MODEL_THAT = """
    import json, socket, subprocess, sys
    from pathlib import Path
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            {action}
            self.fc = nn.Linear(4, 2)

    model = Net()
    """


def model_that(action: str) -> str:
    return MODEL_THAT.replace("{action}", action)


def test_network_access_is_blocked(verify_code):
    result = verify_code(model_that('socket.create_connection(("192.0.2.1", 80), timeout=1)'))
    assert (
        result.error
        == "line 9: SandboxViolation: ftlint verify blocked network access (socket.getaddrinfo)"
    )


def test_programs_and_writes_are_blocked(verify_code, tmp_path):
    assert verify_code(model_that('subprocess.run(["true"])')).error.startswith(
        "line 9: SandboxViolation: ftlint verify blocked starting a program"
    )
    result = verify_code(model_that('Path(__file__).with_name("out.txt").write_text("x")'))
    assert (
        result.error
        == f"line 9: SandboxViolation: ftlint verify blocked writing {tmp_path / 'out.txt'}"
    )
    assert not (tmp_path / "out.txt").exists()


def test_reads_stay_inside_the_project(verify_code, tmp_path, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "labels.json"
    outside.write_text("[1, 2]")
    assert verify_code(model_that(f"json.loads(Path({str(outside)!r}).read_text())")).error == (
        f"line 9: SandboxViolation: ftlint verify blocked reading {outside} (outside the project)"
    )
    (tmp_path / "config.json").write_text('{"classes": 7}')
    result = verify_code(
        model_that(
            'self.head = nn.Linear(4, json.loads(Path(__file__).with_name("config.json").read_text())["classes"])'
        )
    )
    assert result.error is None
    assert result.models[0].freeze_map.parameters[1].shape == (7,)


def test_weights_and_checkpoints_are_never_read(verify_code):
    result = verify_code(
        model_that(
            'self.load_state_dict(torch.hub.load_state_dict_from_url("https://download.pytorch.org/models/x.pth"))'
        )
        + "model.load_state_dict(torch.load('/checkpoints/model.pt')['model'])\n"
    )
    assert result.error is None
    assert result.notes == [
        "line 9: weights not downloaded: https://download.pytorch.org/models/x.pth",
        "line 13: checkpoint load skipped: torch.load('/checkpoints/model.pt')",
    ]


def test_output_and_exits_of_the_script(verify_code, capsys):
    assert (
        verify_code(model_that('print("building"); print("warning", file=sys.stderr)')).error
        is None
    )
    assert capsys.readouterr() == ("", "")
    assert verify_code(model_that("sys.exit(3)")).error == "line 9: the script exited with status 3"


def test_verify_leaves_torch_and_the_process_as_they_were(verify_code):
    patched = {
        (torch, "load"): torch.load,
        (nn.Module, "load_state_dict"): nn.Module.load_state_dict,
        (nn.Module, "to"): nn.Module.to,
        (torch.nn.init, "kaiming_normal_"): torch.nn.init.kaiming_normal_,
        (WeightsEnum, "get_state_dict"): WeightsEnum.get_state_dict,
    }
    process = (list(sys.argv), sys.stdout, list(sys.path), sys.modules["__main__"])
    assert verify_code(model_that("torch.load('x.pt')")).error is None
    assert {key: getattr(*key) for key in patched} == patched
    assert (list(sys.argv), sys.stdout, list(sys.path), sys.modules["__main__"]) == process
    assert torch.empty(1).device.type == "cpu"


def test_the_temporary_directory_can_be_named(verify_code, monkeypatch):
    # torch's lazy imports (the first optimizer imports torch._dynamo) look it up, which probes it
    # by writing a file the first time: verify does that before guarding the run.
    monkeypatch.setattr("tempfile.tempdir", None)
    assert verify_code(model_that("import tempfile; tempfile.gettempdir()")).error is None
