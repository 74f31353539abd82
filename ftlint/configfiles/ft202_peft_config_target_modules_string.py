from __future__ import annotations

from collections.abc import Iterator

from ftlint.check import Invalid, Valid
from ftlint.configfiles.document import Node
from ftlint.configfiles.rule import ConfigFile, ConfigFinding, ConfigRule, instantiated, mappings
from ftlint.frameworks.peft import (
    joined_entry_message,
    joined_names,
    target_modules_message,
)


def _peft_arguments(mapping: Node) -> Node | None:
    """The mapping that holds a peft config's arguments: a saved ``adapter_config.json`` (it
    names its ``peft_type``) or a ``_target_``/``class_path`` naming a config class of peft."""
    if isinstance(mapping.scalar("peft_type"), str):
        return mapping
    found = instantiated(mapping)
    if found is not None and found[0].startswith("peft.") and found[0].endswith("Config"):
        return found[1]
    return None


def _is_axolotl(mapping: Node) -> bool:
    return "base_model" in (mapping.entries or {}) and "lora_target_modules" in (
        mapping.entries or {}
    )


class PeftConfigTargetModulesString(ConfigRule):
    """
    ## What it does
    Flags a peft `target_modules` in a configuration file that names several modules in one
    string (`"q_proj,v_proj"`), or a list entry that does so or is written as a regular
    expression: in a saved `adapter_config.json`, in a YAML `_target_: peft.LoraConfig` or
    `class_path: peft.LoraConfig` mapping, and axolotl's `lora_target_modules`. The
    configuration counterpart of FT012.

    ## Why is this bad?
    peft matches `target_modules` against each module's full dotted name
    ([`check_target_module_exists`](https://github.com/huggingface/peft/blob/v0.21.2/src/peft/tuners/tuners_utils.py)):
    a string is one regular expression that must match the whole name (`re.fullmatch`), a list
    entry is plain text that the name equals or ends with after a `.`. `"q_proj,v_proj"` is
    neither: no module gets an adapter from it.

    axolotl passes `lora_target_modules` to `LoraConfig(target_modules=...)` as it is
    ([`_build_peft_lora_config`](https://github.com/axolotl-ai-cloud/axolotl/blob/main/src/axolotl/loaders/adapter.py));
    with `lora_target_linear: true` it first wraps a string in a list, where it is one plain
    entry. LLaMA-Factory's `lora_target: q_proj,v_proj` is split at commas by LLaMA-Factory
    itself and is not flagged.

    ## Example
    ```json
    {"peft_type": "LORA", "r": 8, "target_modules": "q_proj,v_proj"}
    ```

    ## Fix
    List the names: `"target_modules": ["q_proj", "v_proj"]`, or write one regular
    expression: `".*\\\\.(q|v)_proj"`.
    """

    code = "FT202"
    name = "peft-config-target-modules-string"
    summary = "peft `target_modules` in a config file that can match no module name"
    required_tokens = ("target_modules",)

    VALID = (
        Valid(
            """
            {"peft_type": "LORA", "r": 8, "target_modules": ["q_proj", "v_proj"]}
            """,
            filename="adapter_config.json",
        ),
        Valid(
            """
            model:
              _target_: peft.LoraConfig
              target_modules: .*\\.(q_proj|v_proj)
            """,
            filename="config.yaml",
        ),
        # LLaMA-Factory splits `lora_target` itself.
        Valid(
            """
            model_name_or_path: meta-llama/Llama-3.2-1B
            finetuning_type: lora
            lora_target: q_proj,v_proj
            """,
            filename="llama3_lora_sft.yaml",
        ),
    )
    INVALID = (
        Invalid(
            """
            {
              "peft_type": "LORA",
              "r": 8,
              "target_modules": "q_proj,v_proj"
            }
            """,
            line=4,
            message_contains="no adapter goes to `q_proj` or `v_proj`",
            filename="adapter_config.json",
        ),
        Invalid(
            """
            peft:
              class_path: peft.LoraConfig
              init_args:
                r: 8
                target_modules: [".*q_proj", v_proj]
            """,
            line=5,
            message_contains="a list entry is never a regular expression",
            filename="config.yaml",
        ),
        Invalid(
            """
            base_model: meta-llama/Llama-3.2-1B
            adapter: lora
            lora_target_modules: q_proj,v_proj
            """,
            line=3,
            message_contains="one regular expression",
            filename="axolotl.yaml",
        ),
    )

    @classmethod
    def find(cls, config: ConfigFile) -> Iterator[ConfigFinding]:
        for mapping in mappings(config.document):
            arguments = _peft_arguments(mapping)
            if arguments is not None:
                yield from cls._judge(arguments, "target_modules", wrapped=False)
            elif _is_axolotl(mapping):
                wrapped = mapping.scalar("lora_target_linear") is True
                yield from cls._judge(mapping, "lora_target_modules", wrapped=wrapped)

    @classmethod
    def _judge(cls, arguments: Node, key: str, *, wrapped: bool) -> Iterator[ConfigFinding]:
        entry = arguments.entry(key)
        if entry is None:
            return
        key_node, value = entry
        if value.is_scalar:
            text = value.value
            names = joined_names(text) if isinstance(text, str) else None
            if wrapped and isinstance(text, str) and names is not None:
                # axolotl's `lora_target_linear: true` makes the string one list entry.
                yield cls.at(key_node, value, joined_entry_message(text, names))
                return
            message = target_modules_message(text)
            if message is not None:
                yield cls.at(key_node, value, message)
            return
        if value.items is not None:
            for item in value.items:
                message = target_modules_message([item.value]) if item.is_scalar else None
                if message is not None:
                    yield cls.at(item, item, message)
