"""Stand-ins for data verify does not have: a dataset, a tokenizer, a table whose file is missing.

A stand-in answers whatever the script asks of it with another stand-in, so the script goes on
to build its model; a size read from it (``len(dataset.classes)``, ``num_labels``) is
:data:`STAND_IN_SIZE`, and the report says which values came from a stand-in. It iterates
as :data:`STAND_IN_SIZE` more stand-ins (``images, labels = batch`` unpacks).

``StandIn.touches`` counts what was asked of stand-ins: a statement that fails after touching
one failed for want of data (:func:`ftlint.verify.skipping.skip_failures_on_stand_ins`). Where a
library checks types, the stand-in is a real object of that type, marked with :func:`mark`
(:mod:`ftlint.verify.hf_stand_ins`).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any, Protocol, TypeVar

# How the path a stand-in gives (``os.path.join(root, stand_in)``) begins.
MISSING_PATH = "<missing: "
# What a size read from a stand-in is: 2, the smallest number of classes a head can have.
STAND_IN_SIZE = 2
_T = TypeVar("_T")
# The real objects standing in for missing data, by id, as long as they live.
_MARKED: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()


def mark(value: _T) -> _T:
    """``value``, known from now on as a stand-in (:func:`is_stand_in`)."""
    _MARKED[id(value)] = value
    return value


def is_stand_in(value: object) -> bool:
    # None is never marked (it is what `get` answers for an id without a mark).
    return isinstance(value, StandIn) or (value is not None and _MARKED.get(id(value)) is value)


def class_names() -> list[str]:
    """The classes of a stand-in dataset."""
    return [f"class_{index}" for index in range(STAND_IN_SIZE)]


class Recorder(Protocol):
    """What the run in progress records (:class:`ftlint.verify.harness.Session`): the patches
    of modules of their own report to it."""

    def note(self, text: str) -> None: ...

    def stand_in(self, what: str, remedy: str) -> StandIn: ...


class StandIn:
    touches = 0

    def __init__(self, what: str) -> None:
        object.__setattr__(self, "_what", what)
        StandIn.touches += 1

    def __repr__(self) -> str:
        return f"<stand-in for {object.__getattribute__(self, '_what')}>"

    def _derived(self, how: str) -> StandIn:
        return StandIn(f"{object.__getattribute__(self, '_what')}{how}")

    def __getattr__(self, name: str) -> StandIn:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # copy/pickle protocols: not a stand-in's
        return self._derived(f".{name}")

    def __setattr__(self, name: str, value: object) -> None:
        pass  # the script configures its data: nothing to keep

    def __call__(self, *args: object, **kwargs: object) -> StandIn:
        return self._derived("(...)")

    def __getitem__(self, key: object) -> StandIn:
        return self._derived(f"[{key!r}]")

    def __setitem__(self, key: object, value: object) -> None:
        pass

    def __iter__(self) -> Iterator[Any]:
        return (self._derived(f"[{index}]") for index in range(STAND_IN_SIZE))

    def __len__(self) -> int:
        StandIn.touches += 1
        return STAND_IN_SIZE

    def __index__(self) -> int:
        StandIn.touches += 1
        return STAND_IN_SIZE

    def __int__(self) -> int:
        StandIn.touches += 1
        return STAND_IN_SIZE

    def __float__(self) -> float:
        StandIn.touches += 1
        return float(STAND_IN_SIZE)

    def __bool__(self) -> bool:
        StandIn.touches += 1
        return True

    def __contains__(self, item: object) -> bool:
        StandIn.touches += 1
        return False

    def __fspath__(self) -> str:
        """A path that does not exist: joined into paths, it reaches readers that give stand-ins."""
        StandIn.touches += 1
        return f"{MISSING_PATH}{object.__getattribute__(self, '_what')}>"

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Any:
        """No values: an empty array. Without this NumPy reads a stand-in as a sequence of
        sequences, nested 32 deep (2**32 elements)."""
        import numpy

        StandIn.touches += 1
        return numpy.zeros((0,), dtype=dtype)

    def __enter__(self) -> StandIn:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def attributes(self) -> dict[str, Any]:
        """What a dataset object gets when its files are missing: classes, and as many samples
        (a sampler refuses an empty dataset), which no one reads before training starts."""
        what = object.__getattribute__(self, "_what")
        classes = class_names()
        samples = [(f"<missing: {what}>", index) for index in range(STAND_IN_SIZE)]
        return {
            "classes": classes,
            "class_to_idx": {name: index for index, name in enumerate(classes)},
            "samples": samples,
            "imgs": samples,
            "targets": list(range(STAND_IN_SIZE)),
            "data": [None] * STAND_IN_SIZE,
        }
