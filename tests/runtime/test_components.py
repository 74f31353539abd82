"""The freeze map of a multimodal model by component: real LLaVA and Qwen2-VL models built from
small configs on meta, with and without a peft LoRA."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

import ftlint
from ftlint.runtime.components import Component, component_of, find_components

transformers = pytest.importorskip("transformers", reason="transformers is in the test extra")
peft = pytest.importorskip("peft", reason="peft is in the test extra")
from tiny_hf import TEXT, llava, qwen2_vl  # needs transformers


def with_lora(model: nn.Module, target_modules: str | list[str]) -> nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # peft's notes on meta tensors
        wrapped: nn.Module = peft.get_peft_model(
            model, peft.LoraConfig(r=2, target_modules=target_modules)
        )
    return wrapped


def component_table(report: ftlint.FreezeReport) -> str:
    return str(report).split("\n\n")[2]


def test_llava_language_model_frozen_by_component() -> None:
    model = llava()
    model.model.language_model.requires_grad_(False)
    assert component_table(ftlint.report(model)) == (
        "component                                tensors train/frozen  elements train/frozen  trainable share         batchnorm\n"
        "vision tower (model.vision_tower)                      23 / 0               3.2K / 0  [####################]  -\n"
        "projector (model.multi_modal_projector)                 4 / 0                544 / 0  [####################]  -\n"
        "language model (model.language_model)                  0 / 11               0 / 3.6K  [....................]  -\n"
        "head (lm_head)                                          1 / 0               1.0K / 0  [####################]  -"
    )  # fmt: skip


def test_all_linear_lora_on_llava_lands_in_the_vision_tower_too() -> None:
    report = ftlint.report(with_lora(llava(), "all-linear"))
    assert [
        (row.name, row.adapter_tensors, row.trainable_tensors) for row in report.components
    ] == [
        ("vision tower (model.vision_tower)", 12, 12),
        ("projector (model.multi_modal_projector)", 4, 4),
        ("language model (model.language_model)", 14, 14),
        ("head (lm_head)", 0, 0),
    ]


def test_qwen2_vl_projector_is_the_merger_inside_the_visual_tower() -> None:
    model = qwen2_vl()
    model.model.visual.requires_grad_(False)
    model.model.visual.merger.requires_grad_(True)
    assert component_table(ftlint.report(model)) == (
        "component                              tensors train/frozen  elements train/frozen  trainable share         batchnorm\n"
        "vision tower (model.visual)                          0 / 13              0 / 21.0K  [....................]  -\n"
        "projector (model.visual.merger)                       6 / 0               5.2K / 0  [####################]  -\n"
        "language model (model.language_model)                14 / 0               3.7K / 0  [####################]  -\n"
        "head (lm_head)                                        1 / 0               1.0K / 0  [####################]  -"
    )  # fmt: skip


def test_a_bare_q_proj_lora_on_qwen2_vl_counts_adapters_per_component() -> None:
    report = ftlint.report(with_lora(qwen2_vl(), ["q_proj", "qkv"]))
    assert [(row.name, row.adapter_tensors) for row in report.components] == [
        ("vision tower (model.visual)", 2),
        ("projector (model.visual.merger)", 0),
        ("language model (model.language_model)", 2),
        ("head (lm_head)", 0),
    ]


def test_a_text_only_model_has_no_component_table() -> None:
    config = transformers.LlamaConfig(**TEXT)
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(config)
    report = ftlint.report(model)
    assert report.components == ()
    assert "component" not in str(report)


def test_the_html_map_has_the_component_table() -> None:
    html = ftlint.report(llava()).to_html()
    assert html.count("<table") == 2
    assert "vision tower (model.vision_tower)" in html


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (
            [
                "model.visual.merger.mlp.weight",
                "model.visual.blocks.0.w",
                "model.language_model.x.w",
            ],
            (
                Component("vision tower", "model.visual"),
                Component("projector", "model.visual.merger"),
                Component("language model", "model.language_model"),
            ),
        ),
        # A `merger` deeper than a model's top-level parts is a part of a block, not a projector.
        (
            ["vision_model.encoder.merger.w", "text_model.w"],
            (Component("vision tower", "vision_model"), Component("language model", "text_model")),
        ),
        # No vision tower: not a multimodal model.
        (["language_model.layers.0.w", "lm_head.weight"], ()),
    ],
)
def test_components_from_names(names: list[str], expected: tuple[Component, ...]) -> None:
    assert find_components(names) == expected


def test_a_parameter_belongs_to_its_innermost_component() -> None:
    components = find_components(["model.visual.merger.w", "model.visual.b.w", "llm.w"])
    assert component_of("model.visual.merger.w", components) == Component(
        "projector", "model.visual.merger"
    )
    assert component_of("model.visual.b.w", components) == Component("vision tower", "model.visual")
    assert component_of("other.w", components) is None
