"""Small real transformers vision-language models, built on meta from configs, for the tests of
the component table and of the peft checks (importable as `tiny_hf` from any test directory)."""

from __future__ import annotations

import torch
import transformers
from torch import nn

# A two-head, one-layer Llama text config: small enough to spell out every count.
TEXT = {
    "vocab_size": 64, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
    "num_attention_heads": 2, "num_key_value_heads": 2,
}  # fmt: skip


def llava() -> nn.Module:
    vision = transformers.CLIPVisionConfig(
        hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
        image_size=8, patch_size=4,
    )  # fmt: skip
    text = transformers.LlamaConfig(**TEXT)
    config = transformers.LlavaConfig(vision_config=vision, text_config=text)
    with torch.device("meta"):
        model: nn.Module = transformers.LlavaForConditionalGeneration(config)
    return model


def qwen2_vl() -> nn.Module:
    rope = {"type": "mrope", "mrope_section": [1, 1, 0]}
    vision = {"depth": 1, "embed_dim": 16, "hidden_size": 16, "num_heads": 2, "mlp_ratio": 2}
    text = {**TEXT, "rope_scaling": rope, "bos_token_id": 0, "eos_token_id": 1}
    config = transformers.Qwen2VLConfig(vision_config=vision, text_config=text)
    with torch.device("meta"):
        model: nn.Module = transformers.Qwen2VLForConditionalGeneration(config)
    return model
