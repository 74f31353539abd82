"""FT016 beyond its own examples: the whole message, the near misses it takes and leaves, and
transformers' silent acceptance of a misspelt setting, shown on real configs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import lint_text

from ftlint.rules.ft016_misspelt_config_keyword import MisspeltConfigKeyword, meant_setting


def test_misspelt_tie_word_embeddings_whole_message() -> None:
    code = """
    from transformers import LlamaConfig

    config = LlamaConfig(hidden_size=64, tie_word_embedding=True)
    """
    found = lint_text(code, [MisspeltConfigKeyword])
    assert [(d.location.row, d.location.column, d.message) for d in found] == [
        (
            3,
            38,
            "`tie_word_embedding` is not a setting of LlamaConfig(): transformers accepts it"
            " without a warning and `tie_word_embeddings` is not set, so the checkpoint's (or the"
            " config class's) value stays: when it is true, `lm_head.weight` is the input"
            " embedding matrix, so freezing or training either one does the same to the other",
        )
    ]


@pytest.mark.parametrize(
    ("keyword", "meant"),
    [
        ("tie_word_embedding", "tie_word_embeddings"),
        ("tied_word_embeddings", "tie_word_embeddings"),
        ("tie_word_embedings", "tie_word_embeddings"),
        ("freeze_backbone_batchnorms", "freeze_backbone_batch_norms"),
        ("freeze_vision_layer", "freeze_vision_layers"),
        ("freeze_lm_heads", "freeze_lm_head"),
        # The real names, and names too far from any freeze setting.
        ("tie_word_embeddings", None),
        ("freeze_lm_head", None),
        ("tie_embedding", None),  # LFM2's own alias of tie_word_embeddings
        ("word_embeddings", None),
        ("freeze", None),
    ],
)
def test_near_misses(keyword: str, meant: str | None) -> None:
    assert meant_setting(keyword) == meant


@pytest.mark.parametrize(
    "call",
    [
        'AutoModelForCausalLM.from_pretrained("gpt2", tie_word_embedding=False)',  # raises TypeError
        "TrainingArguments(tie_word_embedding=False)",  # a dataclass: raises TypeError
        "BitsAndBytesConfig(tie_word_embedding=False)",  # not a model config
    ],
)
def test_calls_that_are_not_config_construction_are_left_alone(call: str) -> None:
    code = f"""
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig, TrainingArguments

    x = {call}
    """
    assert lint_text(code, [MisspeltConfigKeyword]) == []


def test_config_from_pretrained_and_a_module_import_are_config_construction() -> None:
    code = """
    import transformers as tf
    from transformers.models.idefics import IdeficsConfig

    a = tf.LlamaConfig.from_pretrained("path", tie_word_embedding=False)
    b = IdeficsConfig(freeze_vision_layer=False, freeze_lm_heads=True)
    """
    found = lint_text(code, [MisspeltConfigKeyword])
    assert [(d.location.row, d.message.split(":")[0]) for d in found] == [
        (4, "`tie_word_embedding` is not a setting of LlamaConfig.from_pretrained()"),
        (5, "`freeze_vision_layer` is not a setting of IdeficsConfig()"),
        (5, "`freeze_lm_heads` is not a setting of IdeficsConfig()"),
    ]


# -- what transformers really does with the misspelt keyword ------------------------------------


@pytest.fixture
def transformers() -> Any:
    return pytest.importorskip("transformers", reason="transformers is in the test extra")


TINY = {
    "vocab_size": 32, "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
    "num_attention_heads": 2, "num_key_value_heads": 2,
}  # fmt: skip


def test_a_config_keeps_the_misspelt_keyword_and_the_default_stays(transformers: Any) -> None:
    config = transformers.LlamaConfig(**TINY, tie_word_embedding=True)
    assert (config.tie_word_embeddings, config.tie_word_embedding) == (False, True)
    model = transformers.LlamaForCausalLM(config)
    assert model.lm_head.weight is not model.model.embed_tokens.weight


def test_the_correctly_spelt_twin_ties(transformers: Any) -> None:
    model = transformers.LlamaForCausalLM(
        transformers.LlamaConfig(**TINY, tie_word_embeddings=True)
    )
    assert model.lm_head.weight is model.model.embed_tokens.weight


def test_auto_config_from_pretrained_drops_the_misspelt_keyword(
    transformers: Any, tmp_path: Path
) -> None:
    transformers.LlamaConfig(**TINY, tie_word_embeddings=True).save_pretrained(tmp_path)
    config = transformers.AutoConfig.from_pretrained(tmp_path, tie_word_embedding=False)
    assert config.tie_word_embeddings is True
    assert not hasattr(config, "tie_word_embedding")
    fixed = transformers.AutoConfig.from_pretrained(tmp_path, tie_word_embeddings=False)
    assert fixed.tie_word_embeddings is False


@pytest.mark.parametrize(
    ("config_class", "keyword", "setting", "default"),
    [
        ("RTDetrConfig", "freeze_backbone_batch_norm", "freeze_backbone_batch_norms", True),
        ("IdeficsConfig", "freeze_vision_layer", "freeze_vision_layers", True),
        ("IdeficsConfig", "freeze_lm_heads", "freeze_lm_head", False),
    ],
)
def test_other_freeze_settings_keep_their_default(
    transformers: Any, config_class: str, keyword: str, setting: str, default: bool
) -> None:
    config = getattr(transformers, config_class)(**{keyword: not default})
    assert getattr(config, setting) is default


def test_a_model_from_pretrained_raises_instead(transformers: Any, tmp_path: Path) -> None:
    transformers.LlamaForCausalLM(transformers.LlamaConfig(**TINY)).save_pretrained(tmp_path)
    with pytest.raises(TypeError, match="unexpected keyword argument 'tie_word_embedding'"):
        transformers.AutoModelForCausalLM.from_pretrained(tmp_path, tie_word_embedding=False)
