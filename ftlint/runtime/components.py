"""The parts of a multimodal model (vision tower, projector, language model, head), read from
the names of its own modules: ``model.vision_tower`` (LLaVA), ``model.visual`` with its
``merger`` (Qwen2-VL), ``model.language_model``, ``lm_head``.

Torch-free: it reads parameter names only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["ROLES", "Component", "component_of", "find_components"]

# A module whose own name is one of these holds that part, as transformers names them.
ROLES: dict[str, frozenset[str]] = {
    "vision tower": frozenset({"vision_tower", "visual", "vision_model", "vision_encoder"}),
    "projector": frozenset(
        {"multi_modal_projector", "mm_projector", "merger", "connector", "language_projection"}
    ),
    "language model": frozenset({"language_model", "text_model", "llm"}),
    "head": frozenset({"lm_head"}),
}
_ROLE_OF = {name: role for role, names in ROLES.items() for name in names}
# The parts sit at most this deep (`model.visual.merger`), and one part inside another only as
# its child: a `merger` in a block of the vision tower is no projector.
_MAX_DEPTH = 3


@dataclass(frozen=True)
class Component:
    role: str  # a key of ROLES
    path: str  # the module's name in the model: "model.vision_tower"


def find_components(names: Iterable[str]) -> tuple[Component, ...]:
    """The parts of the model whose parameters are ``names``, in the order the names reach
    them; none unless it has both a vision tower and a language model (a multimodal model)."""
    found: dict[str, Component] = {}
    for name in names:
        parts = name.split(".")[:-1]
        inside = parent_is_part = False
        for depth in range(1, min(len(parts), _MAX_DEPTH) + 1):
            role = _ROLE_OF.get(parts[depth - 1])
            is_part = role is not None and (parent_is_part or not inside)
            if role is not None and is_part:
                path = ".".join(parts[:depth])
                found.setdefault(path, Component(role, path))
            inside = inside or is_part
            parent_is_part = is_part
    roles = {component.role for component in found.values()}
    if not {"vision tower", "language model"} <= roles:
        return ()
    return tuple(found.values())


def component_of(name: str, components: Sequence[Component]) -> Component | None:
    """The innermost component holding parameter ``name`` (``model.visual.merger`` over
    ``model.visual``), or None."""
    held = [c for c in components if name.startswith(f"{c.path}.")]
    return max(held, key=lambda component: len(component.path), default=None)
