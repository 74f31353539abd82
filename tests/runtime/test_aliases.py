"""Tensors known under several names (tied weights, a module registered twice, a parametrized
weight), uninitialised lazy parameters, and peft models seen through: real modules throughout."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

import ftlint
from ftlint.runtime.expect import FreezeError

transformers = pytest.importorskip("transformers", reason="transformers is in the test extra")


def tiny_llama(*, tied: bool) -> nn.Module:
    config = transformers.LlamaConfig(
        vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4, tie_word_embeddings=tied,
    )  # fmt: skip
    with torch.device("meta"):
        model: nn.Module = transformers.LlamaForCausalLM(config)
    return model


class Symmetric(nn.Module):
    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight.triu() + weight.triu(1).transpose(0, 1)


def twice_registered() -> nn.Module:
    model = nn.Module()
    model.encoder = nn.Linear(2, 2)
    model.decoder = model.encoder  # the same module under a second name
    model.head = nn.Linear(2, 1)
    return model


def parametrized() -> nn.Sequential:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 2))
    parametrize.register_parametrization(model[0], "weight", Symmetric())
    return model


def lora(*, tied: bool) -> nn.Module:
    peft = pytest.importorskip("peft", reason="peft is in the test extra")
    config = peft.LoraConfig(r=4, target_modules=["q_proj", "v_proj"], modules_to_save=["lm_head"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # peft's notes on tied embeddings and meta tensors
        model: nn.Module = peft.get_peft_model(tiny_llama(tied=tied), config)
    return model


# -- tied embeddings -------------------------------------------------------------------------

TIED_NOTE = (
    "note: 1 tensor under several names (tied or registered twice), counted once, under the"
    " first: model.embed_tokens.weight = lm_head.weight"
)


def test_a_tied_lm_head_is_counted_once_and_named_in_a_note() -> None:
    model = tiny_llama(tied=True)
    model.model.embed_tokens.requires_grad_(False)
    report = ftlint.report(model)
    assert str(report) == (
        "LlamaForCausalLM: 19 of 20 tensors trainable (1 frozen), 20,640 of 24,736 elements"
        " (83.4%)\n\n"
        "block  tensors train/frozen  elements train/frozen  trainable share         batchnorm\n"
        "model                19 / 1           20.6K / 4.1K  [#################...]  -\n\n"
        + TIED_NOTE
    )
    embedding = next(p for p in report.parameters if p.name == "model.embed_tokens.weight")
    assert embedding.aliases == ("lm_head.weight",)


def test_an_untied_lm_head_has_its_own_row_and_no_note() -> None:
    report = ftlint.report(tiny_llama(tied=False))
    assert str(report) == (
        "LlamaForCausalLM: 21 of 21 tensors trainable (0 frozen), 28,832 of 28,832 elements"
        " (100.0%)\n\n"
        "block    tensors train/frozen  elements train/frozen  trainable share         batchnorm\n"
        "model                  20 / 0              24.7K / 0  [####################]  -\n"
        "lm_head                 1 / 0               4.1K / 0  [####################]  -"
    )


def test_a_pattern_selects_a_tied_tensor_through_its_alias() -> None:
    model = tiny_llama(tied=True)
    model.model.embed_tokens.requires_grad_(False)
    report = ftlint.expect(model, frozen=["model.embed_tokens", "lm_head"])
    assert (report.frozen_tensors, report.frozen_numel) == (1, 4096)
    assert ftlint.expect(model, frozen=["lm_head"]).frozen_names == ("model.embed_tokens.weight",)


def test_a_trainable_tied_tensor_fails_a_frozen_lm_head() -> None:
    model = tiny_llama(tied=True)
    with pytest.raises(FreezeError, match="model.embed_tokens.weight: 1 tensor trainable") as error:
        ftlint.expect(model, frozen=["lm_head"])
    assert str(error.value) == (
        "LlamaForCausalLM does not match the expected freeze state\n"
        "expected: frozen = lm_head (everything else trainable)\n"
        "  - model.embed_tokens.weight: 1 tensor trainable, expected frozen\n"
        "      model.embed_tokens.weight\n"
        "    fix: freeze them with requires_grad_(False), or add them to the trainable patterns;"
        " substring tests ('layer1' in name) also match layer10, layer11, ...\n\n"
        "LlamaForCausalLM: 20 of 20 tensors trainable (0 frozen), 24,736 of 24,736 elements"
        " (100.0%)\n\n"
        "block  tensors train/frozen  elements train/frozen  trainable share         batchnorm\n"
        "model                20 / 0              24.7K / 0  [####################]  -\n\n"
        + TIED_NOTE
    )


def test_a_tied_tensor_claimed_by_both_pattern_sets_is_a_contradiction() -> None:
    everything_else = ["model.layers", "model.norm"]
    untied = tiny_llama(tied=False)
    untied.model.embed_tokens.requires_grad_(False)
    ftlint.expect(untied, trainable=["lm_head", *everything_else], frozen=["model.embed_tokens"])
    tied = tiny_llama(tied=True)
    tied.model.embed_tokens.requires_grad_(False)
    with pytest.raises(
        ValueError,
        match=r"these match both or neither: model\.embed_tokens\.weight \(also lm_head\.weight\)$",
    ):
        ftlint.expect(tied, trainable=["lm_head", *everything_else], frozen=["model.embed_tokens"])


# -- a module registered twice ---------------------------------------------------------------


def _row(name: str, trainable: tuple[int, int], frozen: tuple[int, int]) -> dict[str, object]:
    return {
        "name": name,
        "trainable_tensors": trainable[0],
        "frozen_tensors": frozen[0],
        "trainable_numel": trainable[1],
        "frozen_numel": frozen[1],
        "batchnorm_modules": 0,
        "batchnorm_frozen": 0,
        "batchnorm_frozen_updating": 0,
        "adapter_tensors": 0,
        "adapter_numel": 0,
        "saved_copy_tensors": 0,
        "saved_copy_numel": 0,
    }


def _parameter(
    name: str,
    shape: tuple[int, ...],
    *,
    trainable: bool = True,
    aliases: tuple[str, ...] = (),
    uninitialized: bool = False,
) -> dict[str, object]:
    numel = 0 if uninitialized else int(torch.Size(shape).numel())
    return {
        "name": name,
        "block": name.split(".")[0],
        "trainable": trainable,
        "numel": numel,
        "shape": shape,
        "dtype": "torch.float32",
        "device": "cpu",
        "in_optimizer": None,
        "adapter": False,
        "aliases": aliases,
        "uninitialized": uninitialized,
        "saved_copy": False,
        "saved_original": False,
    }


def _totals(trainable: tuple[int, int], frozen: tuple[int, int]) -> dict[str, object]:
    return {
        "trainable_tensors": trainable[0],
        "frozen_tensors": frozen[0],
        "trainable_numel": trainable[1],
        "frozen_numel": frozen[1],
    }


def test_a_module_registered_twice_is_counted_once_with_its_second_name_as_alias() -> None:
    model = twice_registered()
    model.encoder.requires_grad_(False)
    assert ftlint.report(model).to_dict() == {
        "model_name": "Module",
        "wrappers": (),
        "depth": 1,
        **_totals((2, 3), (2, 6)),
        "components": (),
        "parameters": (
            _parameter("encoder.weight", (2, 2), trainable=False, aliases=("decoder.weight",)),
            _parameter("encoder.bias", (2,), trainable=False, aliases=("decoder.bias",)),
            _parameter("head.weight", (1, 2)),
            _parameter("head.bias", (1,)),
        ),
        "blocks": (_row("encoder", (0, 0), (2, 6)), _row("head", (2, 3), (0, 0))),
        "batchnorms": (),
        "optimizer": None,
        "warnings": (),
        "notes": (
            (
                "2 tensors under several names (tied or registered twice), counted once, under the"
                " first: encoder.weight = decoder.weight, encoder.bias = decoder.bias"
            ),
        ),
        "total_tensors": 4,
        "total_numel": 9,
        "adapter_tensors": 0,
        "adapter_numel": 0,
        "saved_copy_tensors": 0,
        "saved_copy_numel": 0,
        "uninitialized_tensors": 0,
    }


def test_the_second_name_of_a_module_registered_twice_selects_it() -> None:
    model = twice_registered()
    model.encoder.requires_grad_(False)
    assert ftlint.expect(model, frozen=["decoder"]).frozen_tensors == 2
    # The twin: "decoder.bias" selects the shared bias, which is frozen.
    with pytest.raises(
        FreezeError, match="encoder.bias: 1 tensor frozen, expected trainable"
    ) as error:
        ftlint.expect(model, trainable=["head", "decoder.bias"])
    assert str(error.value) == (
        "Module does not match the expected freeze state\n"
        "expected: trainable = head, decoder.bias (everything else frozen)\n"
        "  - encoder.bias: 1 tensor frozen, expected trainable\n"
        "      encoder.bias\n"
        "    fix: unfreeze them with requires_grad_(True); check the freeze condition (and/or"
        " precedence, substring tests) and whether a pretrained loader froze them\n\n"
        "Module: 2 of 4 tensors trainable (2 frozen), 3 of 9 elements (33.3%)\n\n"
        "block    tensors train/frozen  elements train/frozen  trainable share         batchnorm\n"
        "encoder                 0 / 2                  0 / 6  [....................]  -\n"
        "head                    2 / 0                  3 / 0  [####################]  -\n\n"
        "note: 2 tensors under several names (tied or registered twice), counted once, under the"
        " first: encoder.weight = decoder.weight, encoder.bias = decoder.bias"
    )


# -- torch.nn.utils.parametrize --------------------------------------------------------------


def test_a_parametrized_weight_is_reported_under_its_original_with_the_exposed_name_as_alias() -> (
    None
):
    model = parametrized()
    assert ftlint.report(model).to_dict() == {
        "model_name": "Sequential",
        "wrappers": (),
        "depth": 1,
        **_totals((4, 20), (0, 0)),
        "components": (),
        "parameters": (
            _parameter("0.bias", (3,)),
            _parameter("0.parametrizations.weight.original", (3, 3), aliases=("0.weight",)),
            _parameter("1.weight", (2, 3)),
            _parameter("1.bias", (2,)),
        ),
        "blocks": (_row("0", (2, 12), (0, 0)), _row("1", (2, 8), (0, 0))),
        "batchnorms": (),
        "optimizer": None,
        "warnings": (),
        "notes": (
            (
                "1 parametrized tensor, which patterns also match by the name the module exposes:"
                " 0.parametrizations.weight.original (as 0.weight)"
            ),
        ),
        "total_tensors": 4,
        "total_numel": 20,
        "adapter_tensors": 0,
        "adapter_numel": 0,
        "saved_copy_tensors": 0,
        "saved_copy_numel": 0,
        "uninitialized_tensors": 0,
    }


def test_the_exposed_name_of_a_parametrized_weight_selects_it() -> None:
    model = parametrized()
    model[0].parametrizations.weight.original.requires_grad_(False)
    assert ftlint.expect(model, frozen=["0.weight"]).frozen_names == (
        "0.parametrizations.weight.original",
    )
    model[0].parametrizations.weight.original.requires_grad_(True)
    with pytest.raises(
        FreezeError, match=r"0\.parametrizations\.weight\.original: 1 tensor trainable"
    ):
        ftlint.expect(model, frozen=["0.weight"])


# -- lazy modules ----------------------------------------------------------------------------


def test_uninitialised_lazy_parameters_are_reported_not_a_crash() -> None:
    model = nn.Sequential(nn.LazyLinear(2), nn.ReLU(), nn.Linear(2, 1))
    report = ftlint.report(model)
    assert report.to_dict() == {
        "model_name": "Sequential",
        "wrappers": (),
        "depth": 1,
        **_totals((4, 3), (0, 0)),
        "components": (),
        "parameters": (
            _parameter("0.weight", (), uninitialized=True),
            _parameter("0.bias", (), uninitialized=True),
            _parameter("2.weight", (1, 2)),
            _parameter("2.bias", (1,)),
        ),
        "blocks": (_row("0", (2, 0), (0, 0)), _row("2", (2, 3), (0, 0))),
        "batchnorms": (),
        "optimizer": None,
        "warnings": (),
        "notes": (),
        "total_tensors": 4,
        "total_numel": 3,
        "adapter_tensors": 0,
        "adapter_numel": 0,
        "saved_copy_tensors": 0,
        "saved_copy_numel": 0,
        "uninitialized_tensors": 2,
    }
    assert str(report) == (
        "Sequential: 4 of 4 tensors trainable (0 frozen), 3 of 3 elements (100.0%);"
        " 2 uninitialised lazy tensors (elements unknown until the first forward, not counted)\n\n"
        "block  tensors train/frozen  elements train/frozen  trainable share         batchnorm\n"
        "0                     2 / 0                  0 / 0  [....................]  -\n"
        "2                     2 / 0                  3 / 0  [####################]  -"
    )


def test_after_the_first_forward_a_lazy_module_is_counted_like_any_other() -> None:
    model = nn.Sequential(nn.LazyLinear(2), nn.ReLU(), nn.Linear(2, 1))
    model(torch.zeros(1, 5))
    assert str(ftlint.report(model)) == (
        "Sequential: 4 of 4 tensors trainable (0 frozen), 15 of 15 elements (100.0%)\n\n"
        "block  tensors train/frozen  elements train/frozen  trainable share         batchnorm\n"
        "0                     2 / 0                 12 / 0  [####################]  -\n"
        "2                     2 / 0                  3 / 0  [####################]  -"
    )
    with pytest.raises(FreezeError, match=r"expected 3 trainable elements, found 15 \(\+12\)"):
        ftlint.expect(model, trainable_numel=3)


# -- peft ------------------------------------------------------------------------------------

LORA_SUMMARY = (
    "LlamaForCausalLM (inside PeftModel, LoraModel): 9 of 30 tensors trainable (21 frozen),"
    " 5,120 of 33,952 elements (15.1%); adapters 8 tensors (1,024 elements), modules_to_save"
    " copies 1 tensor (4,096 elements), base model 21 tensors (28,832 elements)"
)
LORA_MAP = (
    "block    tensors train/frozen  elements train/frozen  adapter tensors/elements"
    "  modules_to_save copies  trainable share         batchnorm\n"
    "model                  8 / 20           1.0K / 24.7K                  8 / 1.0K"
    "                   0 / 0  [#...................]  -\n"
    "lm_head                 1 / 1            4.1K / 4.1K                     0 / 0"
    "                1 / 4.1K  [##########..........]  -"
)


def test_a_peft_model_is_seen_through_with_adapters_copies_and_base_apart() -> None:
    report = ftlint.report(lora(tied=False))
    assert str(report) == f"{LORA_SUMMARY}\n\n{LORA_MAP}"
    assert report.wrappers == ("PeftModel", "LoraModel")
    kinds = {
        (p.name, p.trainable, p.adapter, p.saved_copy, p.saved_original, p.aliases)
        for p in report.parameters
        if "layers.1" not in p.name and "layers.0.mlp" not in p.name and "norm" not in p.name
    }
    q_proj, v_proj = "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj"
    assert kinds == {
        ("model.embed_tokens.weight", False, False, False, False, ()),
        (f"{q_proj}.base_layer.weight", False, False, False, False, (f"{q_proj}.weight",)),
        (f"{q_proj}.lora_A.default.weight", True, True, False, False, ()),
        (f"{q_proj}.lora_B.default.weight", True, True, False, False, ()),
        ("model.layers.0.self_attn.k_proj.weight", False, False, False, False, ()),
        (f"{v_proj}.base_layer.weight", False, False, False, False, (f"{v_proj}.weight",)),
        (f"{v_proj}.lora_A.default.weight", True, True, False, False, ()),
        (f"{v_proj}.lora_B.default.weight", True, True, False, False, ()),
        ("model.layers.0.self_attn.o_proj.weight", False, False, False, False, ()),
        ("lm_head.original_module.weight", False, False, False, True, ()),
        ("lm_head.modules_to_save.default.weight", True, False, True, False, ("lm_head.weight",)),
    }


def test_patterns_on_a_peft_model_use_the_underlying_models_names() -> None:
    model = lora(tied=False)
    # "lm_head" means the modules_to_save copy that trains; peft keeps the original frozen.
    ftlint.expect(model, trainable=["*.lora_A", "*.lora_B", "lm_head"])
    with pytest.raises(
        FreezeError, match="trainable pattern 'base_model.model.lm_head' matches no"
    ) as error:
        ftlint.expect(model, trainable=["*.lora_A", "*.lora_B", "base_model.model.lm_head"])
    assert str(error.value) == (
        "LlamaForCausalLM does not match the expected freeze state\n"
        "expected: trainable = *.lora_A, *.lora_B, base_model.model.lm_head (everything else"
        " frozen)\n"
        "  - trainable pattern 'base_model.model.lm_head' matches no parameter (top-level blocks:"
        " model, lm_head)\n"
        "    fix: patterns are dotted-name prefixes or globs over the model's own names;"
        " `ftlint inspect MODULE:CALLABLE` prints them\n"
        "  - lm_head.modules_to_save.default.weight: 1 tensor trainable, expected frozen\n"
        "      lm_head.modules_to_save.default.weight\n"
        "    fix: freeze them with requires_grad_(False), or add them to the trainable patterns;"
        " substring tests ('layer1' in name) also match layer10, layer11, ...\n\n"
        f"{LORA_SUMMARY}\n\n{LORA_MAP}"
    )


def test_a_base_weight_under_a_lora_layer_is_selected_by_its_own_name() -> None:
    model = lora(tied=False)
    ftlint.expect(
        model,
        trainable=["*.lora_A", "*.lora_B", "lm_head"],
        frozen=[
            "model.layers.*.q_proj.weight",
            "model.layers.*.v_proj.weight",
            "model.embed_tokens",
            "model.norm",
            "model.layers.*.mlp",
            "model.layers.*.k_proj",
            "model.layers.*.o_proj",
            "model.layers.*_layernorm",
        ],
    )
    with pytest.raises(
        ValueError,
        match=r"these match both or neither: model\.layers\.0\.self_attn\.q_proj\.base_layer\.weight \(also model\.layers\.0\.self_attn\.q_proj\.weight\)",
    ):
        ftlint.expect(
            model,
            trainable=["*.lora_A", "*.lora_B", "lm_head"],
            frozen=[
                "model.embed_tokens",
                "model.norm",
                "model.layers.*.mlp",
                "model.layers.*.k_proj",
                "model.layers.*.o_proj",
                "model.layers.*_layernorm",
            ],
        )


def test_a_tied_lm_head_in_modules_to_save_is_a_copy_apart_from_the_frozen_embedding() -> None:
    model = lora(tied=True)
    report = ftlint.expect(model, trainable=["*.lora_A", "*.lora_B", "lm_head"])
    assert str(report) == (
        "LlamaForCausalLM (inside PeftModel, LoraModel): 9 of 29 tensors trainable (20 frozen),"
        " 5,120 of 29,856 elements (17.1%); adapters 8 tensors (1,024 elements), modules_to_save"
        " copies 1 tensor (4,096 elements), base model 20 tensors (24,736 elements)\n\n"
        "block    tensors train/frozen  elements train/frozen  adapter tensors/elements"
        "  modules_to_save copies  trainable share         batchnorm\n"
        "model                  8 / 20           1.0K / 24.7K                  8 / 1.0K"
        "                   0 / 0  [#...................]  -\n"
        "lm_head                 1 / 0               4.1K / 0                     0 / 0"
        "                1 / 4.1K  [####################]  -\n\n"
        "note: 1 tensor under several names (tied or registered twice), counted once, under the"
        " first: model.embed_tokens.weight = lm_head.original_module.weight"
    )
    # The embedding is no longer the lm_head that trains: "lm_head" does not select it.
    with pytest.raises(
        FreezeError,
        match=r"lm_head\.modules_to_save\.default\.weight: 1 tensor trainable, expected frozen",
    ):
        ftlint.expect(model, frozen=["lm_head"], trainable=["model"])
