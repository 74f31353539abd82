"""FT014 beyond its own examples: whole messages, and a trap beside each finding."""

from __future__ import annotations

import pytest
from support import lint_text, rows

from ftlint.rules.ft014_requires_grad_before_kbit_prep import RequiresGradBeforeKbitPrep

ADVICE = (
    "Change `requires_grad` after `prepare_model_for_kbit_training` (and after `get_peft_model`, "
    "which freezes the base model again), or name the module in the peft config's "
    "`modules_to_save`"
)


def messages(code: str) -> list[tuple[int, str]]:
    return [(d.location.row, d.message) for d in lint_text(code, [RequiresGradBeforeKbitPrep])]


def test_head_unfrozen_then_prepared_whole_message():
    code = """
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    model.lm_head.requires_grad_(True)
    model = prepare_model_for_kbit_training(model)
    model = get_peft_model(model, LoraConfig(r=8))
    """
    assert messages(code) == [
        (
            3,
            ("`prepare_model_for_kbit_training(model)` at line 4 sets `requires_grad = False` on "
            "every parameter of `model`, so `model.lm_head.requires_grad_(True)` here is undone: "
            f"`model.lm_head` will not train. {ADVICE}"),
        )
    ]


def test_head_unfrozen_after_both_is_fine():
    code = """
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    model = prepare_model_for_kbit_training(model)
    model = get_peft_model(model, LoraConfig(r=8))
    model.lm_head.requires_grad_(True)
    """
    assert messages(code) == []


def test_whole_model_loop_whole_message():
    code = """
    import peft

    def setup(model):
        for p in model.parameters():
            p.requires_grad = True
        peft.utils.prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    """
    assert messages(code) == [
        (
            5,
            "`peft.utils.prepare_model_for_kbit_training(model, ...)` at line 6 sets "
            "`requires_grad = False` on every parameter of `model`, so `p.requires_grad = True` "
            "here is undone: no parameter of `model` will train, only an adapter added after. "
            + ADVICE,
        )
    ]


def test_name_filtered_loop_whole_message():
    code = """
    from peft import prepare_model_for_kbit_training as prep

    for n, p in model.named_parameters():
        p.requires_grad = "norm" in n
    model = prep(model=model)
    """
    assert messages(code) == [
        (
            4,
            ("`prep(model)` at line 5 sets `requires_grad = False` on every parameter of `model`, "
            "so `p.requires_grad = \"norm\" in n` here is undone: the parameters of `model` it "
            f"picks will not train. {ADVICE}"),
        )
    ]


def test_attribute_model_in_a_method():
    code = """
    from peft import prepare_model_for_kbit_training

    class Wrapper:
        def __init__(self, base):
            self.model = base
            self.model.model.embed_tokens.weight.requires_grad = True
            self.model = prepare_model_for_kbit_training(self.model)
    """
    assert rows(code, RequiresGradBeforeKbitPrep) == [6]


def test_only_the_first_preparation_after_is_named():
    code = """
    from peft import prepare_model_for_kbit_training

    model.lm_head.requires_grad_()
    prepare_model_for_kbit_training(model)
    prepare_model_for_kbit_training(model)
    """
    [(row, message)] = messages(code)
    assert row == 3 and "at line 4" in message


@pytest.mark.parametrize(
    "code",
    [
        # Unfrozen after the preparation (the trap beside the first finding).
        "model = prepare_model_for_kbit_training(model)\nmodel.lm_head.requires_grad_(True)\n",
        # Another model, or the same name bound to another model in between.
        "teacher.lm_head.requires_grad_(True)\nprepare_model_for_kbit_training(student)\n",
        "model.lm_head.requires_grad_(True)\nmodel = load()\nprepare_model_for_kbit_training(model)\n",
        # A sibling attribute is not the prepared model.
        "self.head.requires_grad_(True)\nprepare_model_for_kbit_training(self.model)\n",
        # Freezing: the preparation does the same.
        "model.requires_grad_(False)\nprepare_model_for_kbit_training(model)\n",
        ("for p in model.parameters():\n    p.requires_grad = False\n"
        "prepare_model_for_kbit_training(model)\n"),
        # Exclusive branches.
        ("if full:\n    model.requires_grad_(True)\n"
        "else:\n    model = prepare_model_for_kbit_training(model)\n"),
        # Prepared in a function that never sees the unfrozen model.
        ("def load(path):\n    model = AutoModel.from_pretrained(path)\n"
        "    return prepare_model_for_kbit_training(model)\n\n"
        "model.lm_head.requires_grad_(True)\n"),
        # Unfrozen in a helper, prepared by its caller: not the same scope.
        ("def unfreeze(model):\n    model.lm_head.requires_grad_(True)\n\n"
        "prepare_model_for_kbit_training(model)\n"),
    ],
)
def test_traps(code):
    assert messages("from peft import prepare_model_for_kbit_training\n" + code) == []


@pytest.mark.parametrize("header", ["", "from mylib import prepare_model_for_kbit_training\n"])
def test_not_peft_s_function(header):
    code = "model.lm_head.requires_grad_(True)\nmodel = prepare_model_for_kbit_training(model)\n"
    assert messages(header + code) == []


def test_unfrozen_in_a_branch_then_prepared_for_every_branch():
    code = """
    from peft import prepare_model_for_kbit_training

    if train_head:
        model.lm_head.requires_grad_(True)
    else:
        model.lm_head.requires_grad_(False)
    model = prepare_model_for_kbit_training(model)
    """
    assert rows(code, RequiresGradBeforeKbitPrep) == [4]


def test_unfrozen_in_a_loop_that_prepares_each_model():
    code = """
    from peft import prepare_model_for_kbit_training

    for path in paths:
        model = load(path)
        model.lm_head.requires_grad_(True)
        model = prepare_model_for_kbit_training(model)
    """
    assert rows(code, RequiresGradBeforeKbitPrep) == [5]
