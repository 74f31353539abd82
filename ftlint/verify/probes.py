"""What the instrumented program reports while it runs: the ``__ftlint__`` object it calls, and
the stand-ins it gets for what verify never loads (unavailable values, skipped checkpoints)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any


class Probes:
    """Records one run of a verify program, and steers it.

    ``overrides`` replace what freeze conditions read (scenario flags and ``--set`` pins);
    ``pins`` replace what the file assigns to those names; ``reading`` is the chain to evaluate
    left to right in this run (FT102), or None.
    """

    def __init__(
        self, overrides: Mapping[str, object], reading: int | None, pins: Mapping[str, object]
    ) -> None:
        self.overrides = overrides
        self.reading = reading
        self.pins = pins
        self.flags: dict[str, bool] = {}  # booleans read as written, by name
        self.not_flags: set[str] = set()  # names that read a non-boolean, or several values
        self.tracked: list[tuple[int, object]] = []  # (construction site, value), in order
        self.receivers: dict[int, dict[int, object]] = {}  # site -> objects it ran on, by id
        self.requested: dict[int, set[bool]] = {}  # value site -> values given to requires_grad
        self.chains_run: set[int] = set()

    def flag(self, name: str, value: object) -> object:
        if name in self.overrides:
            return self.overrides[name]
        if not isinstance(value, bool) or self.flags.get(name, value) != value:
            self.not_flags.add(name)
        elif name not in self.not_flags:
            self.flags[name] = value
        return value

    @property
    def free_flags(self) -> dict[str, bool]:
        return {name: value for name, value in self.flags.items() if name not in self.not_flags}

    def pin(self, name: str, value: object) -> object:
        return self.pins.get(name, value)

    def track(self, site: int, value: object) -> object:
        self.tracked.append((site, value))
        return value

    def seen(self, site: int, value: object) -> object:
        self.receivers.setdefault(site, {})[id(value)] = value
        return value

    def grad(self, site: int, value: object) -> object:
        self.requested.setdefault(site, set()).add(bool(value))
        return value

    def chain(self, site: int, operators: str, *operands: Callable[[], object]) -> object:
        """A condition FT001 flags, as Python reads it or, for the chain under test, left to
        right; operands are evaluated lazily, as ``and``/``or`` do."""
        self.chains_run.add(site)
        words = operators.split()
        if self.reading == site:
            value = operands[0]()
            for word, operand in zip(words, operands[1:]):
                if (word == "and") == bool(value):
                    value = operand()
            return value
        groups: list[list[Callable[[], object]]] = [[operands[0]]]
        for word, operand in zip(words, operands[1:]):
            if word == "or":
                groups.append([operand])
            else:
                groups[-1].append(operand)
        value = None
        for group in groups:
            value = group[0]()
            for operand in group[1:]:
                if not value:
                    break
                value = operand()
            if value:
                return value
        return value


class SkippedCheckpoint(Mapping[str, Any]):
    """What ``torch.load`` and pretrained-weight loaders return under verify: nothing was read.

    Indexing it gives another skipped checkpoint, so ``ckpt["model"]`` still reaches
    ``load_state_dict``, which verify skips too.
    """

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def __getitem__(self, key: str) -> SkippedCheckpoint:
        return SkippedCheckpoint(f"{self.origin}[{key!r}]")

    def get(self, key: str, default: object = None) -> SkippedCheckpoint:
        return self[key]

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return f"<checkpoint not loaded: {self.origin}>"
