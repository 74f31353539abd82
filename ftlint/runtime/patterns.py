"""Parameter-name patterns and wrapper-prefix stripping (torch-free).

Shared by the runtime assertions, the static ``# ftlint: expect`` pragma and the
Lightning callback, so all three agree on what ``layer4`` selects.

A pattern is either

* a dotted-name prefix matched at component boundaries: ``layer4`` selects
  ``layer4`` and ``layer4.0.conv1.weight`` but never ``layer40.weight``; or
* a glob (it contains ``*``, ``?`` or ``[``) in :mod:`fnmatch` syntax, matched
  against the whole name or any dotted prefix of it: ``encoder.layer.1[01]``
  selects everything under ``encoder.layer.10`` and ``encoder.layer.11``.
  As in fnmatch, ``*`` also matches dots.

Raw substrings never match: ``conv`` does not select ``layer1.0.conv1.weight``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = [
    "NamePattern",
    "PatternSet",
    "compile_patterns",
    "strip_wrapper_components",
    "strip_wrapper_prefixes",
]

_GLOB_CHARACTERS = frozenset("*?[")

# Components inserted by torch.compile, FSDP and activation checkpointing, at any
# depth. Their leading underscore makes them unambiguous, so stripping is safe.
_INSERTED_WRAPPER_COMPONENTS = frozenset(
    {"_orig_mod", "_fsdp_wrapped_module", "_checkpoint_wrapped_module"}
)
# DataParallel / DistributedDataParallel prefix; "module" is also an ordinary
# attribute name, so it is only stripped in front of the name.
_DATA_PARALLEL_COMPONENT = "module"
# A peft ``PeftModel`` holds the user's model as ``base_model.model`` (its tuner's ``model``);
# also ordinary names, so only stripped in front of the name, after any ``module.``.
_PEFT_PREFIX = "base_model.model."


def strip_wrapper_components(name: str) -> str:
    """Remove the ``_orig_mod``/``_fsdp_wrapped_module``/``_checkpoint_wrapped_module``
    components wherever they occur in a dotted name."""
    parts = name.split(".")
    return ".".join(part for part in parts if part not in _INSERTED_WRAPPER_COMPONENTS)


def strip_wrapper_prefixes(name: str) -> str:
    """Map a wrapped parameter or state-dict name back to the user's module name.

    Also strips leading ``module.`` components (DataParallel/DDP), then a leading
    ``base_model.model.`` (a peft ``PeftModel``, as in its state-dict keys). Use it when only
    names are available; with a model object in hand, unwrap these by type instead, since
    a user module may itself have a child called ``module`` or ``base_model``.
    """
    stripped = strip_wrapper_components(name)
    while True:
        parts = stripped.split(".")
        start = 0
        while start < len(parts) - 1 and parts[start] == _DATA_PARALLEL_COMPONENT:
            start += 1
        unwrapped = ".".join(parts[start:])
        if unwrapped.startswith(_PEFT_PREFIX) and len(unwrapped) > len(_PEFT_PREFIX):
            unwrapped = unwrapped[len(_PEFT_PREFIX) :]
        if unwrapped == stripped:
            return stripped
        stripped = unwrapped


@dataclass(frozen=True)
class NamePattern:
    """One name pattern; see the module docstring for its semantics."""

    text: str
    _regexes: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.text or self.text != self.text.strip() or self.text.endswith("."):
            raise ValueError(f"invalid name pattern {self.text!r}")
        regexes: tuple[re.Pattern[str], ...] = ()
        if self.is_glob:
            # The whole name, or a dotted prefix of it followed by anything.
            regexes = tuple(
                re.compile(fnmatch.translate(glob)) for glob in (self.text, self.text + ".*")
            )
        object.__setattr__(self, "_regexes", regexes)

    @property
    def is_glob(self) -> bool:
        return not _GLOB_CHARACTERS.isdisjoint(self.text)

    def matches(self, name: str) -> bool:
        if self._regexes:
            return any(regex.match(name) for regex in self._regexes)
        return name == self.text or name.startswith(self.text + ".")

    def matches_any(self, names: Iterable[str]) -> bool:
        """Whether the pattern selects any of ``names``: the names of one tensor (its aliases)."""
        return any(self.matches(name) for name in names)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class PatternSet:
    """A set of patterns; a name matches the set if it matches any pattern."""

    patterns: tuple[NamePattern, ...]

    def matches(self, name: str) -> bool:
        return any(pattern.matches(name) for pattern in self.patterns)

    def matches_any(self, names: Iterable[str]) -> bool:
        """Whether the set selects any of ``names``: a tensor known under several names (tied
        weights, a module registered twice, a parametrized weight) is selected through any."""
        names = tuple(names)
        return any(pattern.matches_any(names) for pattern in self.patterns)

    def unmatched(self, names: Iterable[str]) -> tuple[NamePattern, ...]:
        """Patterns that select none of ``names`` (usually a typo or a renamed module); pass
        every name of every tensor, aliases included."""
        pending = list(self.patterns)
        for name in names:
            pending = [pattern for pattern in pending if not pattern.matches(name)]
            if not pending:
                break
        return tuple(pending)

    def __str__(self) -> str:
        return ", ".join(str(pattern) for pattern in self.patterns)


def compile_patterns(spec: str | Iterable[str]) -> PatternSet:
    """Compile ``"layer3,layer4,fc"`` or ``["layer3", "layer4", "fc"]``.

    A string is split on commas, as in the ``# ftlint: expect trainable=...`` pragma.
    Surrounding whitespace and a trailing dot (``"layer4."``) are tolerated.
    """
    texts = spec.split(",") if isinstance(spec, str) else list(spec)
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"name patterns must be strings, got {text!r}")
    patterns = tuple(NamePattern(text.strip().rstrip(".")) for text in texts)
    if not patterns:
        raise ValueError("empty list of name patterns")
    return PatternSet(patterns)
