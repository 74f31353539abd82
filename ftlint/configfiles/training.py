"""Which model a fine-tuning configuration trains, and with which framework: what ``ftlint verify
CONFIG`` builds (torch-free; the child process applies the framework's semantics,
:mod:`ftlint.verify.configured`).

Recognised: a LLaMA-Factory training YAML (``model_name_or_path``), an axolotl YAML
(``base_model``) and a peft ``adapter_config.json`` (``peft_type`` and
``base_model_name_or_path``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ftlint.configfiles.document import Document, Node, Unresolved
from ftlint.configfiles.llamafactory import finetuning_type

LLAMA_FACTORY, AXOLOTL, PEFT = "LLaMA-Factory", "axolotl", "peft"


@dataclass(frozen=True)
class TrainingPlan:
    """A configuration's framework, the model it names (a hub id or a local directory) and the
    line that names it, and its top-level settings as plain values."""

    framework: str
    model: str
    line: int
    settings: dict[str, Any]
    lines: dict[str, int]  # the line of each top-level key

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


def plain(node: Node) -> Any:
    """The value of ``node`` as ``yaml.safe_load`` gives it (an interpolation stays
    :class:`Unresolved`)."""
    if node.entries is not None:
        return {key: plain(value) for key, (_, value) in node.entries.items()}
    if node.items is not None:
        return [plain(item) for item in node.items]
    return node.value


def _framework(root: Node) -> tuple[str, str] | None:
    """The framework of ``root`` and the key that names its model."""
    entries = root.entries or {}
    if finetuning_type(root) is not None:
        return LLAMA_FACTORY, "model_name_or_path"
    if "peft_type" in entries and "base_model_name_or_path" in entries:
        return PEFT, "base_model_name_or_path"
    if "base_model" in entries:
        return AXOLOTL, "base_model"
    return None


def training_plan(document: Document) -> TrainingPlan | str:
    """The plan of the first training configuration in ``document``, or why there is none."""
    for root in document.roots:
        found = _framework(root)
        if found is None:
            continue
        framework, key = found
        node = root.get(key)
        assert node is not None  # _framework saw the key
        if not isinstance(node.value, str) or not node.value:
            shown = node.value.text if isinstance(node.value, Unresolved) else node.value
            return f"`{key}` is {shown!r}, not the name of a model verify could build"
        lines = {name: key_node.start.row for name, (key_node, _) in (root.entries or {}).items()}
        return TrainingPlan(framework, node.value, node.start.row, plain(root), lines)
    return (
        "`ftlint verify` builds the model of a LLaMA-Factory or axolotl training YAML or a peft "
        "adapter_config.json, and runs Python training scripts; run it on the script that "
        "loads this file (its static findings are shown)"
    )
