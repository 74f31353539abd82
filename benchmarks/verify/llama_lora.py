"""Benchmark input: a LoRA script on a Llama model built from its configuration (7B by default;
`--size 70b` for the 70B shape), under peft."""

import argparse

from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, LlamaConfig

SIZES = {
    "7b": dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
               num_attention_heads=32, num_key_value_heads=32),
    "70b": dict(hidden_size=8192, intermediate_size=28672, num_hidden_layers=80,
                num_attention_heads=64, num_key_value_heads=8),
}  # fmt: skip

parser = argparse.ArgumentParser()
parser.add_argument("--size", choices=sorted(SIZES), default="7b")
parser.add_argument("--imports-only", action="store_true", help="the baseline: stop here")
args = parser.parse_args()
if not args.imports_only:
    model = AutoModelForCausalLM.from_config(LlamaConfig(vocab_size=32000, **SIZES[args.size]))
    model = get_peft_model(model, LoraConfig(r=16, target_modules=["q_proj", "v_proj"]))
    model.print_trainable_parameters()
