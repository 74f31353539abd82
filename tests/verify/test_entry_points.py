"""`ftlint verify` end to end on the shapes real training code takes: the real CLI in a subprocess,
on small scripts of our own, run the way Python would run them. Each CLI run pays torch's import
in every child, so one run verifies several files (one report each) where their exit codes agree.

Every run goes through the ``workspace`` fixture (:class:`support.Workspace`): it checks that
the run changed nothing but ftlint's own cache. Hostile scripts are in test_hostile.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import Workspace, entry, hub_config, linear, target

# --- shape 1: a model built in main() from argparse defaults; the script's own arguments --------

MAIN_WITH_ARGUMENTS = """
import argparse
import os
import sys

import torch
from torch import nn


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, default=1)
    args = parser.parse_args()
    assert __name__ == "__main__" and sys.argv[0] == __file__, (__name__, sys.argv)
    assert sys.path[0] == os.path.dirname(__file__), sys.path[:2]
    width = len(os.getcwd())  # the input size tells which directory the run was in
    model = nn.Sequential(nn.Linear(width, 3), *[nn.Linear(3, 3) for _ in range(args.layers - 1)])
    model.append(nn.Linear(3, 1))
    model[0].requires_grad_(False)
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    optimizer.step()


if __name__ == "__main__":
    main()
"""


def main_entry(width: int, layers: int) -> dict[str, Any]:
    """What verify says of MAIN_WITH_ARGUMENTS run with ``--layers layers`` in a directory whose
    path is ``width`` characters long."""
    hidden = [linear(str(n), 3, 3, True) for n in range(1, layers)]
    trainable = 12 * (layers - 1) + 4
    return entry(
        [
            target(
                "model",
                "torch.nn.Sequential",
                16,
                [(2 * layers, 2, trainable, 3 * width + 3)],
                [
                    *linear("0", width, 3, False),
                    *(p for layer in hidden for p in layer),
                    *linear(str(layers), 3, 1, True),
                ],
            )
        ],
        stopped="line 20: SGD.step()",
    )


# --- the files verify runs together, each verified: exit 0 ------------------------------------

NOTEBOOK_CELLS = [
    "%matplotlib inline\nimport matplotlib.pyplot as plt\nimport torch\nfrom torch import nn",
    "!nvidia-smi\nplt.plot([1, 2, 3])\nplt.savefig('loss.png')\nplt.show()",
    (
        "%%time\nmodel = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))\n"
        "for p in model[0].parameters():\n    p.requires_grad = False"
    ),
]

BESIDE = {
    "beside/models.py": """
        from torch import nn

        def build(classes):
            return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, classes))
        """,
    "beside/train.py": """
        from models import build

        net = build(classes=5)
        net[0].requires_grad_(False)
        """,
}

PRETRAINED = """
import os
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

llama = AutoModelForCausalLM.from_pretrained("tiny/llama")
for name, p in llama.named_parameters():
    p.requires_grad = "layers.1." in name
bert = AutoModelForSequenceClassification.from_pretrained(
    os.path.join(os.path.dirname(__file__), "local-bert"), num_labels=3
)
bert.bert.requires_grad_(False)
"""

LORA_TRAINER = """
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, Trainer, TrainingArguments

base = AutoModelForCausalLM.from_pretrained("tiny/llama")
model = get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj", "v_proj"]))
args = TrainingArguments(output_dir="out", per_device_train_batch_size=2, bf16=True, report_to=[])
Trainer(model=model, args=args, train_dataset=[{"input_ids": [1, 2]}]).train()
"""

# Tiny configurations: per Llama layer 4 * 16 * 16 attention, 3 * 16 * 32 MLP, 2 * 16 norm.
LLAMA = {"vocab_size": 64, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2,
         "num_attention_heads": 2, "num_key_value_heads": 2}  # fmt: skip
BERT = {"vocab_size": 64, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2,
        "num_attention_heads": 2, "max_position_embeddings": 32}  # fmt: skip
LLAMA_LAYER = 4 * 16 * 16 + 3 * 16 * 32 + 2 * 16  # 2592 elements, 9 tensors
LLAMA_TOTAL = 64 * 16 + 2 * LLAMA_LAYER + 16 + 64 * 16  # embeddings, layers, norm, lm_head
# BERT: embeddings (words, positions, token types, norm), per layer 4 attention projections, a
# norm, the intermediate and output projections, a norm; the pooler.
BERT_LAYER = 4 * (16 * 16 + 16) + 32 + (16 * 32 + 32) + (32 * 16 + 16) + 32
BERT_BODY = 64 * 16 + 32 * 16 + 2 * 16 + 32 + 2 * BERT_LAYER + 16 * 16 + 16


def test_scripts_notebooks_and_helpers_run_as_python_would(workspace: Workspace) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    workspace.write("main_args.py", MAIN_WITH_ARGUMENTS)
    notebook = new_notebook(
        cells=[new_markdown_cell("# Fine-tune"), *map(new_code_cell, NOTEBOOK_CELLS)]
    )
    nbformat.write(notebook, workspace.project / "notebook.ipynb")
    for name, code in BESIDE.items():
        workspace.write(name, code)
    hub_config(workspace.hub, "tiny/llama", {"model_type": "llama", **LLAMA})
    workspace.write("local-bert/config.json", json.dumps({"model_type": "bert", **BERT}))
    workspace.write("pretrained.py", PRETRAINED)
    workspace.write("lora_trainer.py", LORA_TRAINER)
    files = [
        "main_args.py",
        "notebook.ipynb",
        "beside/train.py",
        "pretrained.py",
        "lora_trainer.py",
    ]

    status, entries = workspace.verify_json(*files)

    for actual in entries.values():  # the shapes are compared in full below, where short
        for model in actual["targets"]:
            if model["builder"].startswith(("transformers", "peft")):
                model["parameters"] = len(model["parameters"])
    assert (status, entries) == (
        0,
        {
            "main_args.py": main_entry(len(str(workspace.project)), layers=1),
            "notebook.ipynb": entry(
                [
                    target(
                        "model",
                        "torch.nn.Sequential",
                        2,
                        [(2, 2, 18, 40)],
                        [*linear("0", 4, 8, False), *linear("2", 8, 2, True)],
                        cell=3,
                    )
                ]
            ),
            "beside/train.py": entry(
                [
                    target(
                        "net",
                        "models.build",
                        3,
                        [(2, 2, 16 * 5 + 5, 8 * 16 + 16)],
                        [*linear("0", 8, 16, False), *linear("2", 16, 5, True)],
                    )
                ]
            ),
            "pretrained.py": entry(
                [
                    target(
                        "llama",
                        "transformers.AutoModelForCausalLM.from_pretrained",
                        4,
                        [(9, 12, LLAMA_LAYER, LLAMA_TOTAL - LLAMA_LAYER)],
                        21,
                    ),
                    target(
                        "bert",
                        "transformers.AutoModelForSequenceClassification.from_pretrained",
                        7,
                        [(2, 39, 16 * 3 + 3, BERT_BODY)],
                        41,
                    ),
                ],
                notes=[
                    (
                        "line 4: pretrained weights not loaded (tiny/llama): architecture from its"
                        " config only"
                    ),
                    (
                        f"line 7: pretrained weights not loaded ({workspace.project / 'local-bert'}):"
                        " architecture from its config only"
                    ),
                ],
            ),
            # LoRA r=4 on q_proj and v_proj of 2 layers: 8 adapter tensors of 4 x 16 elements.
            "lora_trainer.py": entry(
                [target("model", "peft.get_peft_model", 5, [(8, 21, 8 * 64, LLAMA_TOTAL)], 29)],
                notes=[
                    (
                        "line 4: pretrained weights not loaded (tiny/llama): architecture from its"
                        " config only"
                    ),
                    "line 6: TrainingArguments(bf16=True) set for the CPU",
                ],
                stopped="line 7: Trainer.train()",
            ),
        },
    )


# --- the script's own arguments: a file, and a module of a package (-m) ----------------------

PACKAGE = {
    "pkg/__init__.py": "",
    "pkg/layers.py": """
        from torch import nn

        def block(width):
            return nn.Linear(width, width)
        """,
    "pkg/train.py": """
        import argparse
        import os
        import sys

        from torch import nn

        from .layers import block

        parser = argparse.ArgumentParser()
        parser.add_argument("--width", type=int, default=4)
        args = parser.parse_args()
        assert (sys.argv[0], sys.path[0], __name__) == (__file__, os.getcwd(), "__main__")
        model = nn.Sequential(block(args.width), nn.Linear(args.width, 1))
        model[0].requires_grad_(False)
        """,
}


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            ["main_args.py", "--", "--layers", "2"],
            lambda project: main_entry(len(str(project)), layers=2),
        ),
        (
            ["-m", "pkg.train", "--", "--width", "6"],
            lambda project: entry(
                [
                    target(
                        "model",
                        "torch.nn.Sequential",
                        13,
                        [(2, 2, 7, 42)],
                        [*linear("0", 6, 6, False), *linear("1", 6, 1, True)],
                    )
                ]
            ),
        ),
    ],
    ids=["script", "module"],
)
def test_arguments_after_the_double_dash_are_the_scripts(workspace, command, expected) -> None:
    workspace.write("main_args.py", MAIN_WITH_ARGUMENTS)
    for name, code in PACKAGE.items():
        workspace.write(name, code)
    shown = "pkg/train.py" if command[0] == "-m" else command[0]
    assert workspace.verify_json(*command) == (0, {shown: expected(workspace.project)})


# --- LightningCLI: the model it builds from the command line, stopped at fit -----------------

LIGHTNING_CLI = """
import torch
from lightning.pytorch import LightningModule
from lightning.pytorch.cli import LightningCLI


class Classifier(LightningModule):
    def __init__(self, hidden: int = 8, freeze_encoder: bool = True):
        super().__init__()
        self.encoder = torch.nn.Linear(4, hidden)
        self.head = torch.nn.Linear(hidden, 2)
        if freeze_encoder:
            self.encoder.requires_grad_(False)

    def training_step(self, batch, batch_idx):
        return self.head(self.encoder(batch)).sum()

    def train_dataloader(self):
        return torch.utils.data.DataLoader(torch.zeros(8, 4), batch_size=4)

    def configure_optimizers(self):
        return torch.optim.SGD(self.head.parameters(), lr=0.1)


if __name__ == "__main__":
    LightningCLI(Classifier)
"""


def test_the_model_lightning_cli_builds_stops_at_fit(workspace: Workspace) -> None:
    workspace.write("cli.py", LIGHTNING_CLI)
    command = [
        "fit",
        "--model.hidden",
        "16",
        "--trainer.accelerator",
        "gpu",
        "--trainer.devices",
        "2",
    ]
    status, entries = workspace.verify_json("cli.py", "--", *command)
    encoder, head = linear("encoder", 4, 16, False), linear("head", 16, 2, True)
    assert (status, entries) == (
        0,
        {
            "cli.py": entry(
                [
                    target(
                        "Classifier",
                        "__main__.Classifier",
                        25,  # the LightningCLI(...) line that built it
                        [(2, 2, 16 * 2 + 2, 4 * 16 + 16), (4, 0, 16 * 2 + 2 + 4 * 16 + 16, 0)],
                        [*encoder, *head],
                        bindings=[{"freeze_encoder": True}, {"freeze_encoder": False}],
                    )
                ],
                # What the command line asked for, not the defaults LightningCLI passes along.
                notes=["line 25: Trainer(accelerator='gpu', devices='2') built for the CPU"],
                stopped="line 25: Trainer.fit()",
            )
        },
    )


# --- files verify cannot vouch for: never "All checks passed!" -------------------------------

LIBRARY = """
from torch import nn


class Head(nn.Module):
    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.fc = nn.Linear(16, classes)
"""

MISSING_CONFIG = """
from transformers import AutoModel

model = AutoModel.from_pretrained("nobody/absent-model")
"""

# Prints a well-framed fake result and a fake all-clear to stdout, then freezes everything.
FAKE_OUTPUT = """
import struct
import sys

import torch

fake = b'{"models": [], "diagnostics": [], "error": null}'
sys.__stdout__.buffer.write(struct.pack("<Q", len(fake)) + fake)
print("All checks passed!")
model = torch.nn.Linear(2, 2)
model.requires_grad_(False)
"""


def test_no_model_a_missing_config_and_fake_output_are_never_an_all_clear(workspace) -> None:
    workspace.write("library.py", LIBRARY)
    workspace.write("missing.py", MISSING_CONFIG)
    workspace.write("fake.py", FAKE_OUTPUT)
    result = workspace.verify("library.py", "missing.py", "fake.py")
    assert (result.returncode, result.stdout.splitlines()) == (
        2,
        [
            "library.py",
            (
                "  could not verify: no model found: nothing this file ran built a torch.nn.Module"
                " with parameters; if it only defines models, run verify on the training script"
                " that uses it"
            ),
            "",
            "missing.py",
            (
                "  could not verify: line 3: 'nobody/absent-model' has no config.json on this"
                " machine, and verify builds Hugging Face models from their configuration only:"
                " `hf download nobody/absent-model config.json` puts it in the local cache, or"
                " rerun with --fetch-configs (configuration files only, never weights)"
            ),
            "",
            "fake.py",
            "  model = torch.nn.Linear(...) at line 9: 2 tensors, 6 elements",
            "    as written  0 trainable / 2 frozen tensors (0 / 6 elements)",
            "    freeze map, as written:",
            "      Linear: 0 of 2 tensors trainable (2 frozen), 0 of 6 elements (0.0%)",
            "",
            (
                "      block   tensors train/frozen  elements train/frozen  trainable share        "
                " batchnorm"
            ),
            "      weight                 0 / 1                  0 / 4  [....................]  -",
            "      bias                   0 / 1                  0 / 2  [....................]  -",
            "",
            (
                "fake.py:10:1: FT107 freeze code ran on model and froze all of its 2 tensors: nothing"
                " will train. Replace or unfreeze the head after freezing"
            ),
            "   |",
            " 9 | model = torch.nn.Linear(2, 2)",
            "10 | model.requires_grad_(False)",
            "   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^ FT107",
            "   |",
            "",
            "Found 1 error.",
            "Could not verify 2 files.",
        ],
    )
