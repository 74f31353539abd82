from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ftlint.runtime.patterns import (
    NamePattern,
    compile_patterns,
    strip_wrapper_components,
    strip_wrapper_prefixes,
)

components = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
dotted_names = st.lists(components, min_size=1, max_size=6).map(".".join)


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("layer4", "layer4.0.conv1.weight", True),
        ("layer4", "layer4", True),
        ("layer4", "layer40.conv1.weight", False),
        ("layer4", "backbone.layer4.0.conv1.weight", False),
        ("layer4.0", "layer4.0.conv1.weight", True),
        ("layer4.0", "layer4.01.conv1.weight", False),
        ("conv", "layer1.0.conv1.weight", False),
        ("encoder.layer.1[01].*", "encoder.layer.10.attention.weight", True),
        ("encoder.layer.1[01].*", "encoder.layer.11.output.bias", True),
        ("encoder.layer.1[01].*", "encoder.layer.1.output.bias", False),
        ("encoder.layer.1[01].*", "encoder.layer.12.output.bias", False),
        ("encoder.layer.1[01]", "encoder.layer.10.attention.weight", True),
        ("encoder.layer.1[01]", "encoder.layer.100.attention.weight", False),
        ("*.bias", "layer1.0.bn1.bias", True),
        ("*.bias", "layer1.0.bn1.weight", False),
        ("layer?", "layer4.0.conv1.weight", True),
        ("layer?", "layer40.conv1.weight", False),
    ],
)
def test_pattern_semantics(pattern: str, name: str, expected: bool) -> None:
    assert NamePattern(pattern).matches(name) is expected


@given(dotted_names, st.integers(min_value=1, max_value=6))
def test_a_prefix_of_components_matches_and_a_longer_component_does_not(
    name: str, cut: int
) -> None:
    parts = name.split(".")
    cut = min(cut, len(parts))
    assert NamePattern(".".join(parts[:cut])).matches(name)
    longer_last_component = [*parts[: cut - 1], parts[cut - 1] + "0"]
    assert not NamePattern(".".join(longer_last_component)).matches(name)


def test_compile_patterns_splits_pragma_text_and_tolerates_a_trailing_dot() -> None:
    patterns = compile_patterns(" layer3, layer4. ,fc")
    assert [str(pattern) for pattern in patterns.patterns] == ["layer3", "layer4", "fc"]
    assert str(patterns) == "layer3, layer4, fc"
    assert patterns.matches("layer4.2.bn3.bias")
    assert not patterns.matches("layer2.0.conv1.weight")


def test_compile_patterns_accepts_any_iterable_of_strings() -> None:
    patterns = compile_patterns(name for name in ("heads", "encoder.ln"))
    assert patterns.matches("encoder.ln.weight") and not patterns.matches("encoder.layers.x")


@pytest.mark.parametrize("spec", ["", "layer1,,layer2", [], ["layer1", " "]])
def test_empty_patterns_are_rejected(spec: str | list[str]) -> None:
    with pytest.raises(ValueError):
        compile_patterns(spec)


def test_non_string_patterns_are_rejected() -> None:
    with pytest.raises(TypeError):
        compile_patterns(["layer1", 4])  # type: ignore[list-item]


def test_unmatched_lists_only_patterns_that_select_nothing() -> None:
    patterns = compile_patterns(["layer4", "layer5", "fc*"])
    names = ["conv1.weight", "layer4.0.conv1.weight", "fc.weight"]
    assert [str(pattern) for pattern in patterns.unmatched(names)] == ["layer5"]


@pytest.mark.parametrize(
    ("name", "stripped"),
    [
        ("module.layer1.0.conv1.weight", "layer1.0.conv1.weight"),
        ("_orig_mod.module.fc.weight", "fc.weight"),
        ("module._orig_mod.fc.weight", "fc.weight"),
        (
            "_fsdp_wrapped_module.layer1._fsdp_wrapped_module.0.conv1.weight",
            "layer1.0.conv1.weight",
        ),
        ("layer4._checkpoint_wrapped_module.2.bn3.bias", "layer4.2.bn3.bias"),
        ("encoder.module.weight", "encoder.module.weight"),
        ("fc.weight", "fc.weight"),
        # peft's PeftModel (its state-dict keys), also inside DataParallel
        ("base_model.model.model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.q_proj.weight"),
        ("module.base_model.model.lm_head.weight", "lm_head.weight"),
        # not in front: an ordinary attribute
        ("encoder.base_model.model.weight", "encoder.base_model.model.weight"),
        ("base_model.model", "base_model.model"),
    ],
)
def test_strip_wrapper_prefixes(name: str, stripped: str) -> None:
    assert strip_wrapper_prefixes(name) == stripped


def test_strip_wrapper_components_keeps_a_leading_module() -> None:
    # With the model at hand, DataParallel is unwrapped by type; a user's own
    # child called "module" must keep its name.
    assert strip_wrapper_components("module._orig_mod.fc.weight") == "module.fc.weight"


@given(dotted_names)
def test_stripping_is_idempotent(name: str) -> None:
    once = strip_wrapper_prefixes(name)
    assert strip_wrapper_prefixes(once) == once


def test_patterns_and_the_runtime_package_import_without_torch() -> None:
    # The static linter reuses the patterns and must work where torch is absent.
    code = "import sys, ftlint.runtime.patterns, ftlint.runtime; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_pattern_set_selects_a_tensor_through_any_of_its_names() -> None:
    patterns = compile_patterns(["lm_head"])
    assert patterns.matches_any(("model.embed_tokens.weight", "lm_head.weight"))
    assert not patterns.matches_any(("model.embed_tokens.weight", "lm_headx.weight"))
    assert not patterns.matches_any(())
