"""Time ``ftlint.report`` on a 7B-parameter Llama-style stack built on the meta device.

    python benchmarks/runtime_report.py

Plain torch layers stand in for a transformers model (same names, same shapes:
hidden 4096, intermediate 11008, 32 layers, vocabulary 32000), so nothing but
torch is needed and nothing is allocated.
"""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn

import ftlint

HIDDEN, INTERMEDIATE, LAYERS, VOCABULARY = 4096, 11008, 32, 32000
RUNS = 5


class RMSNorm(nn.Module):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))


class Attention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (
            nn.Linear(HIDDEN, HIDDEN, bias=False) for _ in range(4)
        )


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(HIDDEN, INTERMEDIATE, bias=False)
        self.up_proj = nn.Linear(HIDDEN, INTERMEDIATE, bias=False)
        self.down_proj = nn.Linear(INTERMEDIATE, HIDDEN, bias=False)


class DecoderLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.self_attn = Attention()
        self.mlp = MLP()
        self.input_layernorm = RMSNorm(HIDDEN)
        self.post_attention_layernorm = RMSNorm(HIDDEN)


class Decoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCABULARY, HIDDEN)
        self.layers = nn.ModuleList(DecoderLayer() for _ in range(LAYERS))
        self.norm = RMSNorm(HIDDEN)


class CausalLM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.model = Decoder()
        self.lm_head = nn.Linear(HIDDEN, VOCABULARY, bias=False)


def main() -> None:
    with torch.device("meta"):
        model = CausalLM()
    # A typical partial fine-tune: the last two decoder layers and the head train.
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(
            name.startswith(("model.layers.30.", "model.layers.31.", "lm_head."))
        )
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)

    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        freeze_report = ftlint.report(model, optimizer)
        timings.append(time.perf_counter() - start)
    print(freeze_report)
    print(
        f"\nftlint.report on {freeze_report.total_numel:,} parameters"
        f" ({freeze_report.total_tensors} tensors): median of {RUNS} runs"
        f" {statistics.median(timings) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
