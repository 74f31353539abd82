"""The HTML freeze map (notebooks, the verify page) and a FreezeError's HTML: the same cells as
the text map, nested blocks, warnings in their colour; a LoRA's adapters apart from its base."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

import ftlint
from ftlint.runtime.html import STYLE, WARNING_STYLE


def _row_names(html: str) -> list[str]:
    return re.findall(r"<tr><td(?: style=\"padding-left:(\d+)px\")?>([^<]+)</td>", html)


def test_a_tiny_model_whole(build_meta) -> None:
    model = build_meta(lambda: nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2)))
    model[1].requires_grad_(False)
    assert ftlint.report(model)._repr_html_() == (
        f'{STYLE}<div class="ftlint">'
        "<p><b>Sequential: 2 of 4 tensors trainable (2 frozen), 4 of 8 elements (50.0%)</b></p>"
        "<table><tr><th>block</th><th>tensors train/frozen</th><th>elements train/frozen</th>"
        "<th>trainable share</th><th>batchnorm</th></tr>"
        '<tr><td>0</td><td class="n">2 / 0</td><td class="n" title="4 / 0 elements">4 / 0</td>'
        '<td><span style="display:inline-block;vertical-align:middle;width:80px;height:9px;'
        'background:#cfd8dc"><span style="display:block;height:9px;width:100.0%;'
        'background:#2e7d32"></span></span> 100.0%</td><td>-</td></tr>'
        '<tr><td>1</td><td class="n">0 / 2</td><td class="n" title="0 / 4 elements">0 / 4</td>'
        '<td><span style="display:inline-block;vertical-align:middle;width:80px;height:9px;'
        'background:#cfd8dc"><span style="display:block;height:9px;width:0.0%;'
        'background:#2e7d32"></span></span> 0.0%</td>'
        f'<td style="{WARNING_STYLE}">1 frozen but updating stats!</td></tr></table></div>'
    )


def test_nested_blocks_down_to_the_chosen_depth(seed_resnet50: nn.Module) -> None:
    html = ftlint.report(seed_resnet50).to_html(depth=2)
    assert _row_names(html)[:7] == [
        ("", "conv1"), ("", "bn1"), ("", "layer1"),
        ("24", "layer1.0"), ("24", "layer1.1"), ("24", "layer1.2"), ("", "layer2"),
    ]  # fmt: skip
    assert len(_row_names(html)) == 7 + 3 + 4 + 6 + 3
    assert ftlint.report(seed_resnet50, depth=2)._repr_html_() == html
    assert len(ftlint.report(seed_resnet50)._repr_html_().encode()) < 4096


def test_a_freeze_error_shows_its_diff(seed_resnet50: nn.Module) -> None:
    optimizer = torch.optim.SGD([p for p in seed_resnet50.parameters() if p.requires_grad], lr=0.1)
    with pytest.raises(ftlint.FreezeError) as caught:
        ftlint.expect(seed_resnet50, trainable=["layer2", "layer3", "layer4"], optimizer=optimizer)
    html = caught.value._repr_html_()
    assert html.startswith(
        f'{STYLE}<div class="ftlint"><p style="{WARNING_STYLE}"><b>ResNet does not match the'
        " expected freeze state</b></p><p>expected: trainable = layer2, layer3, layer4"
        " (everything else frozen)</p><ul><li>bn1: 1 frozen BatchNorm module still updating"
        " running statistics (train mode)<br><small>bn1</small></li><li>layer1: 10 frozen"
        " BatchNorm modules still updating running statistics (train mode)<br><small>layer1.0.bn1,"
        " layer1.0.bn2, layer1.0.bn3 (+7 more)</small></li></ul><p><i>fix:</i> call .eval() on"
        " them after every model.train()"
    )
    freeze_map = ftlint.report(seed_resnet50, optimizer)._repr_html_()
    assert html.endswith(freeze_map.removeprefix(f'{STYLE}<div class="ftlint">'))


def test_a_lora_shows_its_adapters_apart_from_the_base_model() -> None:
    pytest.importorskip("peft", reason="peft is in the test extra")
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4,
    )  # fmt: skip
    with torch.device("meta"):
        base = LlamaForCausalLM(config)
    model = get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj", "v_proj"]))
    report = ftlint.report(model, depth=2)
    adapters = [p.name for p in report.parameters if p.adapter]
    assert len(adapters) == 8 and all(".lora_A.default." in n or ".lora_B.default." in n for n in adapters)
    assert (report.trainable_tensors, report.adapter_tensors, report.adapter_numel) == (8, 8, 1024)
    # Seen through the PeftModel: the blocks are the Llama's own, as with DataParallel.
    assert str(report).splitlines()[:5] == [
        "LlamaForCausalLM (inside PeftModel, LoraModel): 8 of 29 tensors trainable (21 frozen),"
        " 1,024 of 29,856 elements (3.4%); adapters 8 tensors (1,024 elements), base model"
        " 21 tensors (28,832 elements)",
        "",
        "block               tensors train/frozen  elements train/frozen"
        "  adapter tensors/elements  trainable share         batchnorm",
        "model.embed_tokens                 0 / 1               0 / 4.1K"
        "                     0 / 0  [....................]  -",
        "model.layers                      8 / 18           1.0K / 20.6K"
        "                  8 / 1.0K  [#...................]  -",
    ]
    html = report._repr_html_()
    assert "<th>adapter tensors/elements</th>" in html
    assert '<td class="n">8 / 1.0K</td>' in html
