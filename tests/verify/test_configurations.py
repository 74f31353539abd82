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
    line: int, trainable: int, trainable_numel: int, total: int = 39, numel: int = 3144
) -> dict:
    return {
        "target": "tiny/llama", "builder": "AutoModelForCausalLM.from_config", "cell": None,
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
            "line 5: freeze_extra_modules entry 'norm' is matched as a substring of parameter"
            " names, so every `input_layernorm`, `post_attention_layernorm` trains too: 9 tensors"
            " match it",
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
        "line 1: LLaMA-Factory raises: Module attn is not found, please choose from "
        "input_layernorm, mlp, post_attention_layernorm, self_attn",
    )
    assert status == 2
