"""Misspellings of `requires_grad` (FT003, FT004 and their text triage): standard library only,
so that the triage can read them before libcst is imported."""

from __future__ import annotations

from ftlint.text import edit_distance

REQUIRES_GRAD = "requires_grad"
METHOD = "requires_grad_"
# Misspellings too far from `requires_grad` for the edit-distance test.
_KNOWN_MISSPELLINGS = frozenset(
    {
        "grad_required",
        "grad_requires",
        "requires_gradient",
        "requires_gradients",
        "require_gradient",
        "required_gradient",
    }
)
_MAX_DISTANCE = 2
# Pieces of the misspellings people type, as typed; none is in `requires_grad` itself. A name
# must hold one to be reported, so that these can serve as the prefilter: `grad` alone would
# parse every file that mentions `no_grad` or `gradient_checkpointing`.
TYPO_STEMS = (
    "ire_grad",  # require_grad(ient)
    "red_grad",  # required_grad(ient)
    "res_grads",
    "res_gradient",
    "equiresgrad",
    "equiresGrad",
    "Requires_grad",
    "requires_Grad",
    "grad_requ",  # grad_required
    "requres",
    "reqires",
    "requirs",
    "requies",
    "reuires",
    "rquires",
    "requiers",
    "requries",
    "reqiures",
)


def is_requires_grad_typo(attribute: str) -> bool:
    """A near miss of ``requires_grad`` built from a known misspelling. Private names
    (``_requires_grad``) are a module's own flag, upper-case ones constants, and the name must
    keep ``grad`` so that unrelated attributes stay out."""
    lowered = attribute.lower()
    if (
        attribute.startswith("_")
        or attribute.isupper()
        or "grad" not in lowered
        or not any(stem in attribute for stem in TYPO_STEMS)
    ):
        return False
    return lowered in _KNOWN_MISSPELLINGS or edit_distance(lowered, REQUIRES_GRAD) <= _MAX_DISTANCE
