"""FT012 beyond its own examples: whole messages, the fix, and the traps beside each finding."""

from __future__ import annotations

import pytest
from support import lint_text, rows

from ftlint.frameworks.peft import joined_names
from ftlint.rules.ft012_peft_target_modules_string import PeftTargetModulesString


def test_comma_joined_string_whole_message():
    code = """
    from peft import LoraConfig

    config = LoraConfig(r=16, target_modules="q_proj,k_proj,v_proj")
    """
    found = lint_text(code, [PeftTargetModulesString])
    assert [(d.location.row, d.message) for d in found] == [
        (
            3,
            (
                "`target_modules='q_proj,k_proj,v_proj'` is one regular expression that must match "
                "a module's whole dotted name, and no module is named that: no adapter goes to "
                "`q_proj` or `k_proj` or `v_proj` (`get_peft_model` raises "
                "`NoMatchingPeftModuleError` unless `target_parameters` adapts something else); "
                "list the names separately"
            ),
        )
    ]


def test_space_joined_string_and_list_entry_whole_messages():
    code = """
    from peft import LoHaConfig, LoraConfig

    a = LoHaConfig(target_modules="q_proj v_proj")
    b = LoraConfig(target_modules=("o_proj", "gate_proj up_proj"))
    c = LoraConfig(target_modules=["o_proj", "model.*.q_proj"])
    """
    found = lint_text(code, [PeftTargetModulesString])
    assert [d.location.row for d in found] == [3, 4, 5]
    assert found[1].message == (
        "the `target_modules` entry 'gate_proj up_proj' is compared with module names as plain "
        "text, and no module is named that: no adapter goes to `gate_proj` or `up_proj` while "
        "the other entries' modules get theirs (with no other match, `get_peft_model` raises "
        "`NoMatchingPeftModuleError`); list the names separately"
    )
    assert found[2].message == (
        "the `target_modules` entry 'model.*.q_proj' matches no module: a list entry is never a "
        "regular expression, only a module name or the end of one after a `.`, so the modules it "
        "means get no adapter and keep their frozen base weights; pass a regular expression as "
        "the whole `target_modules` string"
    )
    assert found[2].fix is None
    assert found[1].fix is not None and found[1].fix.edits[0].content == '"gate_proj", "up_proj"'


@pytest.mark.parametrize(
    "code",
    [
        # The trap beside each finding: a real list, one name, one regex, the shorthand.
        'LoraConfig(target_modules=["q_proj", "v_proj"])',
        'LoraConfig(target_modules=["self_attn.q_proj", "mlp.down_proj"])',
        'LoraConfig(target_modules="q_proj")',
        'LoraConfig(target_modules="q_proj|v_proj")',
        'LoraConfig(target_modules=r"^.*language_model.*\\.(q_proj|k_proj|v_proj)$")',
        'LoraConfig(target_modules=r"layers\\.\\d{1,2}\\.mlp")',
        'LoraConfig(target_modules="ALL-LINEAR")',
        "LoraConfig(target_modules=names)",
        'LoraConfig(target_modules=",".join(names))',
        'LoraConfig(target_modules=[*names, "o_proj"])',
        # Not target_modules: other arguments are out of scope.
        'LoraConfig(modules_to_save="classifier,score")',
    ],
)
def test_ft012_traps(code):
    assert rows(f"from peft import LoraConfig\n\n{code}\n", PeftTargetModulesString) == []


def test_only_configs_imported_from_peft_are_read():
    assert rows('LoraConfig(target_modules="q_proj,v_proj")\n', PeftTargetModulesString) == []
    code = 'from peft import get_peft_model\n\nget_peft_model(m, target_modules="q_proj,v_proj")\n'
    assert rows(code, PeftTargetModulesString) == []


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("q_proj,v_proj", ["q_proj", "v_proj"]),
        ("q_proj, v_proj,", ["q_proj", "v_proj"]),
        ("q_proj v_proj", ["q_proj", "v_proj"]),
        ("attn.q_proj,attn.v_proj", ["attn.q_proj", "attn.v_proj"]),
        ("q_proj", None),
        ("proj{1,2}", None),
        (".*q_proj, .*v_proj", None),
        ("all-linear", None),
    ],
)
def test_joined_names(text, names):
    assert joined_names(text) == names
