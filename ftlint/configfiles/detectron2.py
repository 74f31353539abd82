"""What ftlint knows of detectron2's YAML configs: a value's resolution through ``_BASE_`` files
and defaults, and what ``MODEL.BACKBONE.FREEZE_AT`` freezes in its ResNet
(https://github.com/facebookresearch/detectron2/blob/main/detectron2/modeling/backbone/resnet.py:
``ResNet.freeze`` freezes the stem when ``freeze_at >= 1`` and stage ``resN`` when
``freeze_at >= N``, turning their BatchNorm layers into ``FrozenBatchNorm2d``)."""

from __future__ import annotations

import os
from pathlib import Path

from ftlint.configfiles.document import ConfigSyntaxError, Node, parse
from ftlint.sources import SourceError, read_bytes

# detectron2/config/defaults.py
DEFAULTS: dict[tuple[str, ...], object] = {
    ("MODEL", "BACKBONE", "FREEZE_AT"): 2,
    ("MODEL", "BACKBONE", "NAME"): "build_resnet_backbone",
    ("MODEL", "WEIGHTS"): "",
}
FREEZE_AT = ("MODEL", "BACKBONE", "FREEZE_AT")
# The stem and res2..res5.
STAGES = 5
_MAX_BASES = 20


class Unknown(Exception):
    """A ``_BASE_`` file that cannot be read or parsed: the value is not known."""


def is_detectron2(root: Node) -> bool:
    model = root.get("MODEL")
    return model is not None and model.entries is not None


def resolve(root: Node, directory: Path, keys: tuple[str, ...]) -> object:
    """The value of ``keys`` (``("MODEL", "WEIGHTS")``) in the config ``root`` read from
    ``directory``: its own, else its ``_BASE_`` file's (recursively), else detectron2's default.
    Raises :class:`Unknown` when a ``_BASE_`` it needs cannot be read."""
    return resolve_from(root, directory, keys)[0]


def resolve_from(
    root: Node, directory: Path, keys: tuple[str, ...], depth: int = 0
) -> tuple[object, str]:
    """:func:`resolve`'s value, and where it comes from: ``""`` (the file itself), the
    ``_BASE_`` file that sets it, or detectron2's default."""
    node = root.path(*keys)
    if node is not None and node.is_scalar:
        return node.value, ""
    base = root.scalar("_BASE_")
    if not isinstance(base, str):
        return DEFAULTS.get(keys), "detectron2's default"
    if depth >= _MAX_BASES or "://" in base:
        raise Unknown(base)
    path = directory / os.path.expanduser(base)
    try:
        text = read_bytes(path).decode("utf-8-sig")
        roots = parse(text, is_json=False).roots
    except (SourceError, UnicodeDecodeError, ConfigSyntaxError) as error:
        raise Unknown(base) from error
    if not roots:
        raise Unknown(base)
    value, origin = resolve_from(roots[0], path.parent, keys, depth + 1)
    return value, origin or f"from `{base}`"


def is_resnet(root: Node, directory: Path) -> bool:
    """Whether the backbone is one of detectron2's ResNets (``build_resnet_backbone``,
    ``build_resnet_fpn_backbone``, ``build_retinanet_resnet_fpn_backbone``, ...)."""
    name = resolve(root, directory, ("MODEL", "BACKBONE", "NAME"))
    return isinstance(name, str) and "resnet" in name.lower()


def frozen_by(freeze_at: int) -> str:
    """What ``FREEZE_AT: freeze_at`` freezes in a ResNet."""
    if freeze_at <= 0:
        return "nothing"
    if freeze_at == 1:
        return "the stem"
    if freeze_at == 2:
        return "the stem and res2"
    if freeze_at < STAGES:
        return f"the stem and res2 to res{freeze_at}"
    return "the whole backbone (the stem and res2 to res5)"
