"""`ftlint verify CONFIG`: the model a LLaMA-Factory, axolotl or peft configuration names, built on
meta from a config.json in a local Hugging Face cache and frozen as the framework freezes it. The
real CLI in subprocesses (one per framework, a failing twin in the same run).

The tiny Llama below: hidden 8, 2 heads of 4 (2 key/value heads), MLP 16, vocabulary 32, 4
layers, untied head. Per layer 9 tensors, 656 elements: q/k/v/o_proj 64 each, gate/up/down_proj
128 each, input_layernorm and post_attention_layernorm 8 each. With embed_tokens (256),
model.norm (8) and lm_head (256): 39 tensors, 3,144 elements.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from support import run_ftlint

TINY_LLAMA = {
    "model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 8,
    "intermediate_size": 16, "num_hidden_layers": 4, "num_attention_heads": 2,
    "num_key_value_heads": 2, "vocab_size": 32, "tie_word_embeddings": False,
}  # fmt: skip
LAYER = [
    "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
    "self_attn.o_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
    "mlp.down_proj.weight", "input_layernorm.weight", "post_attention_layernorm.weight",
]  # fmt: skip
# LoRA on q_proj and v_proj of the 4 layers, as the freeze map names them.
ADAPTERS = [
    f"model.layers.{i}.self_attn.{m}.{ab}.default.weight"
    for i in range(4) for m in ("q_proj", "v_proj") for ab in ("lora_A", "lora_B")
]  # fmt: skip
MISSING_REMEDY = (
    "has no config.json on this machine, and verify builds Hugging Face models from their"
    " configuration only: `hf download {0} config.json` puts it in the local cache, or rerun"
    " with --fetch-configs (configuration files only, never weights)"
)


def layer(index: int) -> list[str]:
    return [f"model.layers.{index}.{name}" for name in LAYER]


@pytest.fixture
def hub(tmp_path: Path) -> dict[str, str]:
    """``tiny/llama``'s config.json in a Hugging Face hub cache, as a download leaves it."""
    model = tmp_path / "hub" / "models--tiny--llama"
    (model / "snapshots" / "abc").mkdir(parents=True)
    (model / "refs").mkdir()
    (model / "refs" / "main").write_text("abc")
    (model / "snapshots" / "abc" / "config.json").write_text(json.dumps(TINY_LLAMA))
    deep = tmp_path / "hub" / "models--tiny--deep" / "snapshots" / "abc"  # 12 layers
    shutil.copytree(model, deep.parent.parent)
    (deep / "config.json").write_text(json.dumps({**TINY_LLAMA, "num_hidden_layers": 12}))
    return {"HF_HUB_CACHE": str(tmp_path / "hub")}


def verify(tmp_path: Path, env: dict[str, str], *files: tuple[str, str]) -> tuple[int, list[dict]]:
    for name, text in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    names = [name for name, _ in files]
    result = run_ftlint("verify", "--output-format", "json", *names, cwd=tmp_path, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)["files"]


def summary(entry: dict) -> dict:
    """A file's verification: its one model, whole, with the names of the trainable tensors in
    place of the freeze map's full table; its notes and error."""
    (target,) = entry["targets"]
    freeze_map = target.pop("freeze_map")
    trainable = [p["name"] for p in freeze_map["parameters"] if p["trainable"]]
    return {
        **target,
        "trainable_names": trainable,
        "notes": entry["notes"],
        "error": entry["error"],
    }


def model(
    line: int,
    trainable: int,
    trainable_numel: int,
    total: int = 39,
    numel: int = 3144,
    target: str = "tiny/llama",
) -> dict:
    return {
        "target": target, "builder": "AutoModelForCausalLM.from_config", "cell": None,
        "line": line, "total": total, "total_numel": numel,
        "scenarios": [{
            "bindings": {}, "as_written": True, "trainable": trainable,
            "frozen": total - trainable, "trainable_numel": trainable_numel,
            "frozen_numel": numel - trainable_numel,
        }],
    }  # fmt: skip


def test_llama_factory_freeze(tmp_path, hub):
    first_two = "model_name_or_path: tiny/llama\nstage: sft\nfinetuning_type: freeze\n"
    status, files = verify(
        tmp_path, hub,
        ("first.yaml", first_two + "freeze_trainable_layers: -2\nfreeze_extra_modules: norm\n"),
        ("last.yaml", first_two + "freeze_trainable_layers: 2\nfreeze_trainable_modules: mlp\n"),
        ("unknown.yaml", first_two + "freeze_trainable_modules: attn\n"),
        ("lora.yaml", "model_name_or_path: tiny/llama\nstage: sft\nadditional_target: embed_tokens\n"),
    )  # fmt: skip
    # -2: the FIRST two layers, all their modules (0 and 1: 2 x 9 tensors, 2 x 656 elements),
    # and `norm`: model.norm (8), but matched as a substring, so also the two norms of layers 2
    # and 3 (4 x 8): 23 tensors, 1,312 + 8 + 32 = 1,352 elements.
    norms = [f"model.layers.{i}.{n}" for i in (2, 3) for n in LAYER[7:]]
    assert summary(files[0]) == {
        **model(1, 23, 1352),
        "trainable_names": [*layer(0), *layer(1), *norms, "model.norm.weight"],
        "notes": [
            "line 1: frozen as LLaMA-Factory freezes it (finetuning_type: freeze)",
            "line 4: freeze_trainable_layers: -2 trains the first 2 of 4 layers: indices 0, 1",
            (
                "line 5: freeze_extra_modules entry 'norm' is matched as a substring of parameter"
                " names, so every `input_layernorm`, `post_attention_layernorm` trains too: 9 tensors"
                " match it"
            ),
        ],
        "error": None,
    }
    # Twin: 2 is the LAST two layers, and only their `mlp` (`.2.mlp`, `.3.mlp`: 3 x 128 each).
    assert summary(files[1]) == {
        **model(1, 6, 6 * 128),
        "trainable_names": [n for i in (2, 3) for n in layer(i) if ".mlp." in n],
        "notes": [
            "line 1: frozen as LLaMA-Factory freezes it (finetuning_type: freeze)",
            "line 4: freeze_trainable_layers: 2 trains the last 2 of 4 layers: indices 2, 3",
        ],
        "error": None,
    }
    # A module no layer has: LLaMA-Factory stops before training, and says so.
    assert (files[2]["targets"], files[2]["error"]) == (
        [],
        (
            "line 1: LLaMA-Factory raises: Module attn is not found, please choose from "
            "input_layernorm, mlp, post_attention_layernorm, self_attn"
        ),
    )
    # finetuning_type defaults to lora, lora_target to `all`: every Linear but lm_head, in 4
    # layers, 7 x 2 = 56 tensors of rank 8: per layer q/k/v/o 4 x (8x8 + 8x8), gate/up
    # 2 x (8x8 + 16x8), down 8x16 + 8x8: 1,088 elements; and the copy of embed_tokens (256).
    lora = summary(files[3])
    assert (lora["scenarios"], lora["notes"]) == (
        model(1, 57, 4 * 1088 + 256, total=96, numel=3144 + 4 * 1088 + 256)["scenarios"],
        ["line 1: frozen as LLaMA-Factory freezes it (finetuning_type: lora)"],
    )
    assert status == 2


def test_axolotl(tmp_path, hub):
    lora = "base_model: tiny/llama\nadapter: lora\nlora_r: 2\nlora_target_modules: [q_proj, v_proj, qkv_proj]\n"
    status, files = verify(
        tmp_path, hub,
        ("lora.yaml", lora),
        ("lora_unfrozen.yaml", lora + "unfrozen_parameters: ['^model.layers.1.']\n"),
        ("full.yaml", "base_model: tiny/deep\nunfrozen_parameters:\n  - ^model.layers.1\n  - ^lm_head.weight$[:16]\n"),
    )  # fmt: skip
    assert status == 1  # full.yaml's FT206
    # r=2 on q_proj and v_proj (8 -> 8) of the 4 layers: lora_A (2 x 8) and lora_B (8 x 2) each,
    # 16 tensors, 256 elements; `qkv_proj` is no module of a Llama.
    assert summary(files[0]) == {
        **model(1, 16, 256, total=55, numel=3400),
        "trainable_names": ADAPTERS,
        "notes": [
            "line 1: frozen as axolotl freezes it (adapter: lora)",
            (
                "line 4: `lora_target_modules` entry 'qkv_proj' matches no module: nothing gets an"
                " adapter for it"
            ),
        ],
        "error": None,
    }
    # Twin: unfrozen_parameters is applied to the PeftModel, whose names start with
    # `base_model.model.`: the pattern matches nothing and freezes the adapters too.
    assert summary(files[1]) == {
        **model(1, 0, 0, total=55, numel=3400),
        "trainable_names": [],
        "notes": [
            "line 1: frozen as axolotl freezes it (adapter: lora)",
            (
                "line 4: `lora_target_modules` entry 'qkv_proj' matches no module: nothing gets an"
                " adapter for it"
            ),
            (
                "line 5: unfrozen_parameters pattern '^model.layers.1.' matches no parameter name, so"
                " nothing it means trains (names look like 'base_model.model.model.embed_tokens.weight')"
            ),
            (
                "line 5: unfrozen_parameters is applied after the adapter, to the PeftModel's names"
                " (`base_model.model.` first): all 16 LoRA tensors are frozen, as no pattern matches"
                " them"
            ),
        ],
        "error": None,
    }
    # 12 layers: `^model.layers.1` is re.match-ed, so layers 1, 10 and 11 train (27 tensors,
    # 3 x 656 elements), and lm_head (256) for its range: 28 of 12 x 9 + 3 = 111 tensors;
    # 256 + 12 x 656 + 8 + 256 = 8,392 elements.
    assert summary(files[2]) == {
        **model(1, 28, 3 * 656 + 256, total=111, numel=8392, target="tiny/deep"),
        "trainable_names": [*layer(1), *layer(10), *layer(11), "lm_head.weight"],
        "notes": [
            "line 1: frozen as axolotl freezes it (no adapter: full fine-tuning)",
            (
                "line 2: unfrozen_parameters pattern '^model.layers.1' also unfreezes"
                " `model.layers.10`, `model.layers.11`: re.match anchors the start only"
            ),
            (
                "line 2: unfrozen_parameters pattern '^lm_head.weight$[:16]' trains only those rows"
                " of `lm_head.weight` (a gradient hook zeroes the others' gradients); counted here as"
                " trainable tensors"
            ),
        ],
        "error": None,
    }
    assert [f["code"] for f in files[2]["findings"]] == ["FT206"]  # the static twin of the note


def test_peft_adapter_config(tmp_path, hub):
    adapter = {
        "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": "tiny/llama",
        "r": 2, "lora_alpha": 4, "target_modules": ["q_proj", "v_proj"], "inference_mode": False,
        "modules_to_save": ["head"],
    }  # fmt: skip
    status, files = verify(
        tmp_path, hub,
        ("train/adapter_config.json", json.dumps(adapter, indent=1)),
        ("infer/adapter_config.json", json.dumps({**adapter, "inference_mode": True}, indent=1)),
    )  # fmt: skip
    assert status == 0
    # The 16 LoRA tensors (256 elements), and `head`, which peft matches with a bare endswith:
    # lm_head is copied (one more tensor, 256 elements) and the copy trains.
    assert summary(files[0]) == {
        **model(4, 17, 512, total=56, numel=3656),
        "trainable_names": [*ADAPTERS, "lm_head.modules_to_save.default.weight"],
        "notes": [
            "line 4: frozen as peft freezes it (peft_type: LORA, get_peft_model)",
            (
                "line 12: `modules_to_save` entry 'head' matches every module whose name ends with it,"
                " so peft copies and trains 1 module in full: `lm_head`"
            ),
        ],
        "error": None,
    }
    # Twin: inference_mode true freezes the adapters and the copy as well.
    assert summary(files[1])["scenarios"] == model(4, 0, 0, total=56, numel=3656)["scenarios"]


def test_a_model_not_on_this_machine(tmp_path, hub):
    status, files = verify(
        tmp_path, hub,
        ("lf.yaml", "stage: sft\nmodel_name_or_path: tiny/missing\nfinetuning_type: full\n"),
        ("not_training.yaml", "trainer:\n  max_epochs: 3\n"),
        ("detectron2.yaml", "MODEL:\n  BACKBONE:\n    FREEZE_AT: 2\n"),
        ("lazy.py", "from detectron2.config import LazyCall as L\nfrom detectron2.modeling import ResNet\n\nmodel = L(ResNet)(freeze_at=2)\n"),
    )  # fmt: skip
    assert status == 2
    detectron2 = (
        "verify builds a detectron2 model with detectron2 itself, which is not installed here (it"
        " is not on PyPI): install it from source (`pip install"
        " 'git+https://github.com/facebookresearch/detectron2.git'`, which compiles against your"
        " torch) and run verify again; the static findings are shown"
    )
    assert [(f["targets"], f["error"]) for f in files] == [
        ([], "line 2: 'tiny/missing' " + MISSING_REMEDY.format("tiny/missing")),
        (
            [],
            (
                "`ftlint verify` builds the model of a LLaMA-Factory, axolotl or Lightning CLI"
                " training YAML or a peft adapter_config.json, and runs Python training scripts; run"
                " it on the script that loads this file (its static findings are shown)"
            ),
        ),
        ([], detectron2),  # a YAML config
        ([], detectron2),  # a LazyConfig
    ]


# --- Lightning CLI: the LightningModule LightningCLI builds from the YAML, stopped at fit ------

CLASSIFIER = """
import torch
from lightning.pytorch import LightningModule
from lightning.pytorch.callbacks import BackboneFinetuning
from torch import nn


class Classifier(LightningModule):
    def __init__(self, classes: int = 3):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
        self.head = nn.Linear(4, classes)

    def training_step(self, batch, batch_idx):
        return self.head(self.backbone(batch).mean((2, 3))).sum()

    def train_dataloader(self):
        return torch.utils.data.DataLoader(torch.zeros(8, 3, 8, 8), batch_size=4)

    def configure_optimizers(self):
        return torch.optim.SGD(filter(lambda p: p.requires_grad, self.parameters()), lr=0.1)


class FrozenBatchNormFinetuning(BackboneFinetuning):
    def freeze_before_training(self, pl_module):
        self.freeze(pl_module.backbone, train_bn=self.train_bn)
"""


def lightning_config(callback: str, class_path: str = "project.classifier.Classifier") -> str:
    return f"""\
model:
  class_path: {class_path}
  init_args:
    classes: 5
trainer:
  max_epochs: 4
  callbacks:
    - class_path: lightning.pytorch.callbacks.LearningRateMonitor
    - class_path: {callback}
      init_args:
        unfreeze_backbone_at_epoch: 2
        train_bn: false
"""


def test_lightning_cli_config(tmp_path):
    status, files = verify(
        tmp_path, {},
        ("project/__init__.py", ""),
        ("project/classifier.py", CLASSIFIER),
        ("ignored.yaml", lightning_config("lightning.pytorch.callbacks.BackboneFinetuning")),
        ("honoured.yaml", lightning_config("project.classifier.FrozenBatchNormFinetuning")),
        ("misspelt.yaml", lightning_config("BackboneFinetuning", "project.classifier.Classifer")),
    )  # fmt: skip
    assert status == 2  # misspelt.yaml
    ignored, honoured, misspelt = files[2:]
    # Conv 4x3x3x3 + 4 (112), BatchNorm 4 + 4, head 5x4 + 5: 6 tensors, 145 elements.
    built = {
        "target": "project.classifier.Classifier", "builder": "LightningCLI", "cell": None,
        "line": 2, "total": 6, "total_numel": 145,
    }  # fmt: skip
    bn = ["backbone.1.weight", "backbone.1.bias"]
    # As fit gets it (BackboneFinetuning froze the backbone): the BatchNorm still trains.
    assert summary(ignored) == {
        **built,
        "scenarios": [scenario(4, 2, 33, 112)],
        "trainable_names": [*bn, "head.weight", "head.bias"],
        "notes": [],
        "error": None,
    }
    place = {
        "cell": None,
        "location": {"row": 9, "column": 5},
        "end_location": {"row": 9, "column": 65},
    }
    said = "BackboneFinetuning has train_bn=False, but during epochs"
    fix = (
        " Fix: freeze_before_training must call self.freeze(..., train_bn=self.train_bn), which"
        " Lightning's BackboneFinetuning does not (issue #21531)"
    )
    trains = (
        "2 BatchNorm weight/bias tensors of the backbone train (they require grad and are in the"
        " optimizer: backbone.1.weight, backbone.1.bias)"
    )
    assert [
        {k: f[k] for k in ("code", "message", "cell", "location", "end_location")}
        for f in ignored["findings"] if f["code"] == "FT108"
    ] == [
        {
            "code": "FT108",
            "message": (
                f"frozen phase: {said} 0-1, {trains} and 1 BatchNorm layer update their running"
                f" statistics beside frozen layers (backbone.1).{fix}"
            ),
            **place,
        },
        {
            "code": "FT108",
            "message": (
                f"after unfreeze: {said} 2-3, {trains}. They joined the optimizer when"
                " configure_optimizers ran, as they required grad then;"
                " unfreeze_and_add_param_group(train_bn=False) only keeps them out of the new param"
                f" group.{fix}"
            ),
            **place,
        },
    ]  # fmt: skip
    assert [f["code"] for f in ignored["findings"]] == ["FT108", "FT108", "FT201"]
    # Twin: a callback whose frozen phase honours train_bn: only the head trains at fit.
    assert summary(honoured) == {
        **built,
        "scenarios": [scenario(2, 4, 25, 120)],
        "trainable_names": ["head.weight", "head.bias"],
        "notes": [],
        "error": None,
    }
    assert (honoured["findings"], honoured["stopped"]) == ([], "line 2: Trainer.fit()")
    [(frozen, unfrozen)] = [s["phases"] for s in honoured["simulations"]]
    assert (frozen["batchnorm_trainable"], unfrozen["batchnorm_trainable"]) == (
        {"count": 0, "total": 2},
        {"count": 0, "total": 2},
    )
    assert misspelt["targets"] == []
    assert misspelt["error"].startswith(
        "line 2: LightningCLI could not build the run: argparse.ArgumentError: Parser key"
        ' "model":\n  Does not validate against any of the Union subtypes'
    )
    assert "module 'project.classifier' has no attribute 'Classifer'" in misspelt["error"]


def scenario(trainable: int, frozen: int, trainable_numel: int, frozen_numel: int) -> dict:
    return {
        "bindings": {}, "as_written": True, "trainable": trainable, "frozen": frozen,
        "trainable_numel": trainable_numel, "frozen_numel": frozen_numel,
    }  # fmt: skip


# --- OpenMMLab: the model mmengine's registry builds, the learning rates paramwise_cfg gives ---

# A model registered in mmengine's own registry (no framework is importable here: mmdet and
# mmseg import mmcv's compiled operators, mmpretrain 1.2 fails under transformers 5), its
# train() freezing the first stages as mmdet's ResNet._freeze_stages does.
TINY_MODELS = """
from mmengine.model import BaseModel
from mmengine.registry import MODELS
from torch import nn


@MODELS.register_module()
class TinyDetector(BaseModel):
    def __init__(self, frozen_stages=-1):
        super().__init__()
        self.backbone = nn.Sequential(*(nn.Linear(2, 2) for _ in range(11)))
        self.head = nn.Linear(2, 2)
        self.rpn_head = nn.Linear(2, 2)
        self.frozen_stages = frozen_stages

    def forward(self, inputs, data_samples=None, mode="tensor"):
        return self.head(self.backbone(inputs))

    def train(self, mode=True):
        super().train(mode)
        for stage in self.backbone[: self.frozen_stages + 1]:
            stage.eval()
            stage.requires_grad_(False)
        return self
"""
MM_BASE = """\
model = dict(type="TinyDetector")
optim_wrapper = dict(optimizer=dict(type="SGD", lr=0.01, weight_decay=1e-4))
"""


def mm_config(custom_keys: str) -> str:
    return f"""\
_base_ = ["./base.py"]
custom_imports = dict(imports=["tiny_models"], allow_failed_imports=False)
model = dict(frozen_stages=1)
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={custom_keys}),
)
"""


def test_mmengine_config(tmp_path):
    status, files = verify(
        tmp_path, {},
        ("tiny_models.py", TINY_MODELS),
        ("base.py", MM_BASE),
        ("loose.py", mm_config("{'head': dict(lr_mult=0), 'backbone.1': dict(lr_mult=0.1), 'neck': dict(decay_mult=0)}")),
        ("exact.py", mm_config("{'rpn_head.': dict(lr_mult=0), 'backbone.10.': dict(lr_mult=0.1)}")),
        ("detector.py", "default_scope = 'mmdet'\nmodel = dict(type='FasterRCNN')\n"),
        # A framework whose models import what is not installed (as mmdet's import mmcv.ops).
        ("scope/__init__.py", ""),
        ("scope/models/__init__.py", "import scope_operators\n"),
        ("scoped.py", "default_scope = 'scope'\nmodel = dict(type='TinyDetector')\n"),
    )  # fmt: skip
    assert status == 2  # detector.py, scoped.py
    loose, exact, mmdet, _, _, scoped = files[2:]
    # 13 Linear(2, 2): 26 tensors, 78 elements; frozen_stages=1 freezes backbone.0 and .1.
    built = {
        "target": "TinyDetector", "builder": "mmengine MODELS.build", "cell": None,
        "line": 3, "total": 26, "total_numel": 78, "scenarios": [scenario(22, 4, 66, 12)],
        "trainable_names": [
            f"{module}.{kind}"
            for module in (*(f"backbone.{i}" for i in range(2, 11)), "head", "rpn_head")
            for kind in ("weight", "bias")
        ],
        "error": None,
    }  # fmt: skip
    trained = "line 3: in training mode as mmengine's runner puts it (the model's own train(): frozen_stages, norm_eval)"  # fmt: skip
    assert summary(loose) == {
        **built,
        "notes": [
            trained,
            (
                "line 5: paramwise_cfg custom_keys entry 'head' (lr_mult=0): 4 tensors stay in"
                " the optimizer with lr 0 and do not train though they require grad:"
                " head.weight, head.bias, rpn_head.weight (+1 more)"
            ),
        ],
    }
    assert [
        {k: f[k] for k in ("code", "message", "location", "end_location")}
        for f in loose["findings"] if f["code"] in ("FT103", "FT104")
    ] == [
        {
            "code": "FT104",
            "message": (
                "paramwise_cfg custom_keys entry 'head' also matches inside longer names:"
                " rpn_head, besides head; mmengine tests `key in name`, so its lr_mult=0 also"
                " applies to their 2 tensors. To mean only 'head', write the key as 'head.'"
            ),
            "location": {"row": 5, "column": 37}, "end_location": {"row": 5, "column": 43},
        },
        {
            "code": "FT104",
            "message": (
                "paramwise_cfg custom_keys entry 'backbone.1' also matches inside longer names:"
                " backbone.10, besides backbone.1; mmengine tests `key in name`, so its"
                " lr_mult=0.1 also applies to their 2 tensors. To mean only 'backbone.1', write"
                " the key as 'backbone.1.'"
            ),
            "location": {"row": 5, "column": 62}, "end_location": {"row": 5, "column": 74},
        },
        {
            "code": "FT103",
            "message": (
                "paramwise_cfg custom_keys entry 'neck' matches no parameter name (mmengine tests"
                " `key in name`; names look like 'backbone.0.weight'): its decay_mult=0 applies"
                " to nothing, and the parameters it was meant for train with the base settings"
            ),
            "location": {"row": 5, "column": 95}, "end_location": {"row": 5, "column": 101},
        },
    ]  # fmt: skip
    # Twin: keys that end at a dot match exactly the modules they name.
    assert summary(exact) == {
        **built,
        "notes": [
            trained,
            (
                "line 5: paramwise_cfg custom_keys entry 'rpn_head.' (lr_mult=0): 2 tensors stay"
                " in the optimizer with lr 0 and do not train though they require grad:"
                " rpn_head.weight, rpn_head.bias"
            ),
        ],
    }
    assert [f["code"] for f in exact["findings"]] == ["FT213"]  # the static lr_mult=0 finding
    assert (mmdet["targets"], mmdet["error"]) == (
        [],
        (
            "default_scope 'mmdet': verify builds the model with mmdet's registry, and mmdet is"
            " not installed here: `pip install mmdet` (its models also need mmcv's compiled"
            " operators: `mim install mmcv`)"
        ),
    )

    assert (scoped["targets"], scoped["error"]) == (
        [],
        (
            "line 2: building the model failed: `scope_operators` is not installed: install it and run"
            " verify again"
        ),
    )


@pytest.mark.parametrize(
    ("missing", "remedy"),
    [
        ("mmcv", "mmcv is not installed: "),
        ("mmcv._ext", "mmcv's compiled operators are missing (mmcv-lite has none): "),
        ("scipy", "`scipy` is not installed: install it and run verify again"),
    ],
)
def test_what_to_install_when_the_model_cannot_be_built(missing, remedy):
    from ftlint.verify.configured_mm import _remedy

    full_mmcv = (
        "install the full mmcv built for this torch (`pip install -U openmim && mim install mmcv`)"
    )
    expected = remedy + full_mmcv if remedy.endswith(": ") else remedy
    assert _remedy(ModuleNotFoundError(f"No module named {missing!r}", name=missing)) == expected


def test_mmengine_config_without_mmengine(tmp_path, monkeypatch):
    from ftlint.sources import read_source
    from ftlint.verify.configured_mm import verify_mmengine
    from ftlint.verify.wire import Spec

    # the fault injected: mmengine cannot be imported (find_spec answers None)
    monkeypatch.setitem(sys.modules, "mmengine", None)
    config = tmp_path / "config.py"
    config.write_text(MM_BASE)
    spec = Spec(str(config), "config.py", None, (), {}, frozenset(), str(tmp_path))
    result = verify_mmengine(spec, read_source(config, "config.py"))
    assert (result.models, result.error) == (
        [],
        (
            "this is an OpenMMLab (mmengine) config: verify builds its model with mmengine, which"
            " is not installed here: `pip install mmengine` (or ftlint[openmmlab]), with the"
            " framework its default_scope names (mmdet, mmsegmentation, mmpretrain...)"
        ),
    )
