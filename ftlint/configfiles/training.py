"""Which model a fine-tuning configuration trains, and with which framework: what ``ftlint verify
CONFIG`` builds (torch-free; the child process applies the framework's semantics,
:mod:`ftlint.verify.configured`).

Recognised: a LLaMA-Factory training YAML (``model_name_or_path``), an axolotl YAML
(``base_model``), a peft ``adapter_config.json`` (``peft_type`` and
``base_model_name_or_path``) and a Lightning CLI YAML (``model: class_path:``). A detectron2 YAML
is recognised to say what verify would need (:func:`unbuildable`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.util import find_spec
from typing import Any

from ftlint.configfiles.detectron2 import is_detectron2
from ftlint.configfiles.document import Document, Node, Unresolved
from ftlint.configfiles.llamafactory import finetuning_type

LLAMA_FACTORY, AXOLOTL, PEFT, LIGHTNING = "LLaMA-Factory", "axolotl", "peft", "Lightning CLI"

# detectron2 builds its models from its own code, and is not on PyPI.
DETECTRON2_REMEDY = (
    "verify builds a detectron2 model with detectron2 itself, which is not installed here (it is"
    " not on PyPI): install it from source (`pip install"
    " 'git+https://github.com/facebookresearch/detectron2.git'`, which compiles against your"
    " torch) and run verify again; the static findings are shown"
)


@dataclass(frozen=True)
class TrainingPlan:
    """A configuration's framework, the model it names (a hub id or a local directory) and the
    line that names it, and its top-level settings as plain values."""

    framework: str
    model: str
    line: int
    settings: dict[str, Any]
    lines: dict[str, int]  # the line of each top-level key
    root: Node = field(compare=False)  # the configuration, where a line is looked up deeper

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


def _framework(root: Node) -> tuple[str, tuple[str, ...]] | None:
    """The framework of ``root`` and the keys to the setting that names its model."""
    entries = root.entries or {}
    if finetuning_type(root) is not None:
        return LLAMA_FACTORY, ("model_name_or_path",)
    if "peft_type" in entries and "base_model_name_or_path" in entries:
        return PEFT, ("base_model_name_or_path",)
    if "base_model" in entries:
        return AXOLOTL, ("base_model",)
    # LightningCLI's subclass mode: the LightningModule named by its import path.
    if root.path("model", "class_path") is not None:
        return LIGHTNING, ("model", "class_path")
    return None


def unbuildable(document: Document) -> str | None:
    """Why verify cannot build the model of ``document``: its framework is not installed (found
    without importing it); else None."""
    if any(is_detectron2(root) for root in document.roots) and find_spec("detectron2") is None:
        return DETECTRON2_REMEDY
    return None


def training_plan(document: Document) -> TrainingPlan | str:
    """The plan of the first training configuration in ``document``, or why there is none."""
    for root in document.roots:
        found = _framework(root)
        if found is None:
            continue
        framework, keys = found
        node = root.path(*keys)
        assert node is not None  # _framework saw the keys
        if not isinstance(node.value, str) or not node.value:
            shown = node.value.text if isinstance(node.value, Unresolved) else node.value
            key = ".".join(keys)
            return f"`{key}` is {shown!r}, not the name of a model verify could build"
        lines = {name: key_node.start.row for name, (key_node, _) in (root.entries or {}).items()}
        return TrainingPlan(framework, node.value, node.start.row, plain(root), lines, root)
    return (
        "`ftlint verify` builds the model of a LLaMA-Factory, axolotl or Lightning CLI training"
        " YAML or a peft adapter_config.json, and runs Python training scripts; run it on the script that "
        "loads this file (its static findings are shown)"
    )
