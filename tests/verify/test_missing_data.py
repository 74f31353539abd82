"""Scripts whose data, downloads or torch.hub code verify does not fetch still get their models
(ftlint.verify.missing_data, the stand-ins, the shadow), each stand-in said in a note; what is
not data stays an error that names the file."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from ftlint.verify.stand_ins import StandIn

REMEDY = (
    "a stand-in was used; provide the file, or point the script at one (its arguments after `--`,"
    " or `--set NAME=VALUE`), to size what depends on it exactly"
)


def missing_file(row: int, path: str) -> str:
    """The error of a run stopped at ``row`` by a missing file, after a model was built."""
    return (
        f"line {row}: FileNotFoundError: [Errno 2] No such file or directory: {path!r};"
        f" {path} does not exist here: provide it, or point the script at an existing one (its"
        " arguments after `--`, or `--set NAME=VALUE` for a variable); the models built before"
        " it are shown as they stood"
    )


# A dataset that lists its samples in a CSV file, keeps those whose mask is not empty, and a class
# list in JSON sizing the head, as segmentation and classification repositories do.
CSV_DATASET = """
    import csv
    import importlib.metadata
    import json
    import os

    import numpy as np
    from PIL import Image
    from torch.utils.data import DataLoader, Dataset
    from torchvision.models import resnet18

    class Samples(Dataset):
        def __init__(self, listing):
            with open(listing) as file:
                rows = file.read().strip().split("\\n")
            self.samples = []
            for row in rows:
                image, mask = row.split(",")
                if np.any(np.array(Image.open(os.path.join("/data/masks", mask))) > 0):
                    self.samples.append(image)
            with open("/data/extra.csv", newline="") as file:
                self.samples += [row["image"] for row in csv.DictReader(file)]

        def __len__(self):
            return len(self.samples)

    # Installed code that opens a missing file expects the error: it gets it (None here).
    license = importlib.metadata.distribution("torch").read_text("NO_SUCH_FILE.txt")
    classes = json.load(open("/data/classes.json"))
    model = resnet18(num_classes=len(classes) if license is None else 1000)
    model.requires_grad_(False)
    model.fc.requires_grad_(True)
    for batch in DataLoader(Samples("/data/LISTING"), shuffle=True):
        pass
    """


def test_missing_csv_and_json_files_give_stand_ins_and_the_model_is_built(verify_code):
    result = verify_code(CSV_DATASET.replace("LISTING", "train.csv"))
    assert result.error is None
    (model,) = result.models
    parameters = model.freeze_map.parameters
    assert [(p.name, p.shape) for p in parameters if p.trainable] == [
        ("fc.weight", (2, 512)),
        ("fc.bias", (2,)),
    ]
    assert (len(parameters), result.stopped) == (62, "line 32: iterating over a DataLoader")
    assert result.notes == [
        f"line 13: the file '/data/train.csv' is missing: {REMEDY}",
        f"line 20: the file '/data/extra.csv' is missing: {REMEDY}",
        f"line 28: the file '/data/classes.json' is missing: {REMEDY}",
        (
            "line 32: the DataLoader's dataset is empty (Samples: its files are missing): a"
            " stand-in was used; it was built without shuffling"
        ),
    ]


def test_a_missing_file_that_is_not_data_stays_an_error_naming_it(verify_code):
    result = verify_code(CSV_DATASET.replace("LISTING", "model.yaml"))
    assert result.error == missing_file(13, "/data/model.yaml")


DOWNLOAD = """
    import urllib.request

    import torch
    from torch import nn

    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
    path = "/tmp/FILE"
    if input("Download FILE? [y]/n: ") in ("", "y"):
        urllib.request.urlretrieve("https://example.com/FILE", path)
    with open(path, "rb") as file:
        model.load_state_dict(torch.load(file))
    model[0].requires_grad_(False)
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    """


def test_a_prompt_gets_an_empty_answer_and_the_download_it_starts_is_skipped(verify_code):
    result = verify_code(DOWNLOAD.replace("FILE", "weights.pth"))
    (model,) = result.models
    assert [p.trainable for p in model.freeze_map.parameters] == [False, False, True, True]
    assert result.notes == [
        "line 8: input('Download weights.pth? [y]/n: ') answered with an empty line",
        "line 9: download skipped (verify runs without network): https://example.com/weights.pth",
        "line 10: checkpoint file not found, not read: /tmp/weights.pth",
        "line 11: checkpoint load skipped: torch.load('/tmp/weights.pth')",
    ]


def test_a_skipped_download_of_code_leaves_the_file_missing_and_says_so(verify_code):
    result = verify_code(DOWNLOAD.replace("FILE", "layers.py"))
    assert result.error == missing_file(10, "/tmp/layers.py")


HUBCONF = """
import torch
from torch import nn


def tiny(pretrained=True):
    model = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2))
    if pretrained:
        model.load_state_dict(torch.hub.load_state_dict_from_url("https://example.com/tiny.pth"))
    return model
"""

HUB_SCRIPT = """
    import torch

    model = torch.hub.load("someone/REPO", "tiny")
    model[0].requires_grad_(False)
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    """


@pytest.fixture
def torch_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user's TORCH_HOME holding the code of the hub repository someone/tiny (no trusted_list:
    torch.hub writes one when it loads a repository), read-only during the run."""
    home = tmp_path / "torch-home"
    repository = home / "hub" / "someone_tiny_main"
    repository.mkdir(parents=True)
    (repository / "hubconf.py").write_text(HUBCONF)
    monkeypatch.setenv("TORCH_HOME", str(home))
    return home


def test_torch_hub_code_in_the_users_cache_is_loaded_and_its_weights_are_not(
    verify_code, torch_home: Path
):
    result = verify_code(HUB_SCRIPT.replace("REPO", "tiny"))
    (model,) = result.models
    assert [p.trainable for p in model.freeze_map.parameters] == [False, False, True, True]
    assert result.notes == ["line 3: weights not downloaded: https://example.com/tiny.pth"]
    # torch.hub's own write (trusted_list) went to verify's private directory.
    assert sorted(p.name for p in (torch_home / "hub").iterdir()) == ["someone_tiny_main"]


def test_torch_hub_code_not_in_the_cache_is_an_error_saying_where_to_put_it(
    verify_code, torch_home: Path
):
    result = verify_code(HUB_SCRIPT.replace("REPO", "other"))
    hub = torch_home / "hub"
    assert (result.error, result.models) == (
        (
            f"line 3: RuntimeError: torch.hub repository 'someone/other' is not in the hub cache"
            f" {hub} and verify runs without network: clone it to {hub}/someone_other_main"
            " (TORCH_HOME sets where the cache is) and rerun"
        ),
        [],
    )


def test_a_stand_in_is_a_missing_path_and_an_empty_array() -> None:
    stand_in = StandIn("os.listdir('/data')")
    path = os.path.join("/data", stand_in)
    assert path == "/data/<missing: os.listdir('/data')>"
    assert not os.path.exists(os.fspath(stand_in))
    # NumPy would read it as a sequence of sequences, 32 deep.
    assert np.array(stand_in, dtype=int).tolist() == []
