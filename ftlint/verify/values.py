"""Values verify knows although every tensor is on meta: what a small tensor built from numbers
alone holds, and what is computed from such tensors only.

Model code reads a few such values while it builds: ``[x.item() for x in torch.linspace(0,
drop_path_rate, depth)]`` (the stochastic depth of a vision transformer), a relative position
index derived from ``torch.arange``. A meta tensor holds no values, so each tensor a value-defined
factory (``arange``, ``linspace``, ``tensor``, ``zeros`` ...) returns with at most
:data:`LIMIT` elements gets a twin on the CPU, computed alongside it; an operation whose tensors
all have twins is computed on the twins too, and one that gives numbers (``item``, ``tolist``,
``bool``) answers with the twins' real result. Anything read from a weight or from data has no
twin, and stays unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch.utils import _pytree as pytree
from torch.utils.weak import WeakIdKeyDictionary

# Twins are kept for tensors this small: enough for the schedules and index tables model code
# computes, too little to matter for memory or time.
LIMIT = 1 << 16

# Factories whose result depends on their arguments only (not on randomness, not on memory).
_VALUE_DEFINED = frozenset({
    torch.arange, torch.range, torch.linspace, torch.logspace, torch.eye, torch.full,
    torch.zeros, torch.ones, torch.scalar_tensor, torch.tensor, torch.as_tensor, torch.asarray,
    torch.tril_indices, torch.triu_indices,
})  # fmt: skip


def is_device(value: object) -> bool:
    """``value`` names a device (``"cuda"``, ``torch.device``, a GPU index)."""
    if isinstance(value, torch.device) or type(value) is int:
        return True
    if isinstance(value, str):
        try:
            torch.device(value)
        except RuntimeError:
            return False
        return True
    return False


# Moves to a device: the twin stays on the CPU.
_MOVES = (torch.Tensor.cuda, torch.Tensor.cpu, torch.Tensor.pin_memory)


def _written(func: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]) -> list[Any]:
    """What ``func`` writes into: ``out=``, or its first argument when it works in place
    (``add_``, ``x[i] = v``, ``x += v``)."""
    if "out" in kwargs:
        return pytree.tree_leaves(kwargs["out"])
    name = getattr(func, "__name__", "")
    in_place = name.endswith("_") or name == "__setitem__" or name.startswith("__i")
    return [args[0]] if in_place and args else []


class KnownValues:
    """The CPU twins of the meta tensors whose values are known."""

    def __init__(self) -> None:
        self.twins: WeakIdKeyDictionary = WeakIdKeyDictionary()

    def call(
        self,
        func: Callable[..., Any],
        args: Sequence[Any],
        kwargs: dict[str, Any],
        on_meta: Callable[[], Any],
    ) -> Any:
        """``on_meta()`` (the call made on meta), with twins for the tensors it returns when
        their values are known; the twins' answer where meta has none (``item()``)."""
        tensors = [v for v in pytree.tree_leaves((args, kwargs)) if isinstance(v, torch.Tensor)]
        known = all(tensor in self.twins for tensor in tensors) and (
            bool(tensors) or func in _VALUE_DEFINED
        )
        if not known:
            self._forget(_written(func, args, kwargs))  # written with what is not known
            return on_meta()
        # Prepared before the meta call, which may change its arguments (deepcopy's memo).
        on_cpu = self._on_cpu(func, args, kwargs)
        try:
            result = on_meta()
        except (RuntimeError, NotImplementedError) as error:  # a value meta does not hold
            answer = on_cpu()
            if answer is None or _has_tensors(answer):
                raise error from None
            return answer
        produced, spec = pytree.tree_flatten(result)
        if not any(isinstance(v, torch.Tensor) for v in produced) or any(
            isinstance(v, torch.Tensor) and v.numel() > LIMIT for v in produced
        ):
            return result
        value = on_cpu()
        twins, twin_spec = pytree.tree_flatten(value)
        if value is None or twin_spec != spec:
            self._forget(_written(func, args, kwargs))
        else:
            for meta, twin in zip(produced, twins, strict=True):
                if (
                    isinstance(meta, torch.Tensor)
                    and meta.is_meta
                    and isinstance(twin, torch.Tensor)
                ):
                    self.twins[meta] = twin
        return result

    def _forget(self, tensors: list[Any]) -> None:
        for tensor in tensors:
            if tensor in self.twins:
                del self.twins[tensor]

    def _on_cpu(
        self, func: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]
    ) -> Callable[[], Any]:
        """``func`` on the twins, on the CPU, to call; it gives None when it fails there."""
        args, kwargs = pytree.tree_map(
            lambda v: self.twins[v] if isinstance(v, torch.Tensor) else v, (args, kwargs)
        )
        if "device" in kwargs:
            kwargs["device"] = "cpu"
        if func is torch.Tensor.to:
            args = [args[0], *("cpu" if is_device(a) else a for a in args[1:])]
        elif func in _MOVES:
            func = torch.Tensor.cpu

        def call() -> Any:
            try:
                return func(*args, **kwargs)
            except Exception:  # noqa: BLE001 - what the CPU cannot compute stays unknown
                return None

        return call


def _has_tensors(value: object) -> bool:
    return any(isinstance(v, torch.Tensor) for v in pytree.tree_leaves(value))
