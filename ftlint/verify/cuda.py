"""What a script written for GPUs finds under verify: one CUDA device, a distributed world of one
process, and data-parallel wrappers that only hold the model.

Every tensor is on ``meta`` (:mod:`ftlint.verify.harness`), so where the script would compute
changes nothing of what trains; but scripts refuse to start without a GPU (``assert
torch.cuda.is_available()``) or a process group (``init_process_group(backend="nccl")``). Under
verify, ``torch.cuda`` answers as one idle device (:data:`DEVICE`) without ever touching a driver;
``init_process_group``, whatever its backend and rendezvous, makes a world of one process (rank 0)
on PyTorch's fake backend over an in-process store, so nothing listens or connects and every
collective is a no-op; ``DistributedDataParallel`` and ``DataParallel`` hold their module and call
it, and the model reported is the module they wrap (:func:`unwrapped`). Environment variables
(``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``) are left as the user gave them.
"""

from __future__ import annotations

import functools
import os
import site
import sys
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.backends.cudnn
import torch.distributed
from torch import nn
from torch.nn.parallel import DataParallel, DistributedDataParallel

PRESENTED = "CUDA presented as available: one device, every tensor stays on meta"
_GIB = 1 << 30


@dataclass(frozen=True)
class DeviceProperties:
    """What ``torch.cuda.get_device_properties`` says of the presented device."""

    name: str = "ftlint verify (meta)"
    major: int = 8  # compute capability 8.0: bfloat16 and TF32, as scripts that test for them want
    minor: int = 0
    total_memory: int = 80 * _GIB
    multi_processor_count: int = 108
    is_integrated: int = 0
    is_multi_gpu_board: int = 0


DEVICE = DeviceProperties()


class _State:
    current = 0  # the index set_device chose: any, since they all name the same meta device


def _index(device: object) -> int:
    if isinstance(device, torch.device):
        return device.index or 0
    if isinstance(device, str):
        return torch.device(device).index or 0
    return device if isinstance(device, int) else _State.current


class _DeviceContext:
    """``with torch.cuda.device(i):`` makes ``i`` current for its block."""

    def __init__(self, device: object) -> None:
        self.index = _index(device)
        self.previous = _State.current

    def __enter__(self) -> None:
        self.previous, _State.current = _State.current, self.index

    def __exit__(self, *exc: object) -> None:
        _State.current = self.previous


def _set_device(device: object) -> None:
    _State.current = _index(device)


def _constant(value: object) -> Callable[..., Any]:
    def answer(*args: object, **kwargs: object) -> object:
        return value

    return answer


def _cuda_answers() -> dict[str, Callable[..., Any]]:
    return {
        "is_available": _constant(True),
        "device_count": _constant(1),
        "current_device": lambda: _State.current,
        "set_device": _set_device,
        "device": _DeviceContext,
        "get_device_name": _constant(DEVICE.name),
        "get_device_capability": _constant((DEVICE.major, DEVICE.minor)),
        "get_device_properties": _constant(DEVICE),
        "is_bf16_supported": _constant(True),
        "is_tf32_supported": _constant(True),
        "synchronize": _constant(None),
        "empty_cache": _constant(None),
        "ipc_collect": _constant(None),
        "reset_peak_memory_stats": _constant(None),
        "reset_max_memory_allocated": _constant(None),
        "memory_allocated": _constant(0),
        "max_memory_allocated": _constant(0),
        "memory_reserved": _constant(0),
        "max_memory_reserved": _constant(0),
        "mem_get_info": _constant((DEVICE.total_memory, DEVICE.total_memory)),
    }


# Where installed code lives: a query from there is a library's own (torch's autocast, Hugging
# Face's TrainingArguments), not the script asking.
_INSTALLED = tuple(
    os.path.join(path, "")
    for path in {
        *site.getsitepackages(),
        *map(sysconfig.get_path, ("stdlib", "purelib", "platlib")),
    }
)


def _asking(function: Callable[..., Any], asked: Callable[[str], None]) -> Callable[..., Any]:
    """``function``, saying that CUDA was presented when the script's own code (its file, its
    project's modules) calls it."""

    def answer(*args: Any, **kwargs: Any) -> Any:
        if not sys._getframe(1).f_code.co_filename.startswith(_INSTALLED):
            asked(PRESENTED)
        return function(*args, **kwargs)

    return answer


def _init_process_group(asked: Callable[[str], None]) -> Callable[..., None]:
    from torch._C._distributed_c10d import HashStore
    from torch.testing._internal.distributed import fake_pg  # noqa: F401 - registers "fake"

    original = torch.distributed.distributed_c10d.init_process_group

    @functools.wraps(original)
    def init_process_group(
        backend: object = None,
        init_method: object = None,
        *args: object,
        world_size: int = -1,
        rank: int = -1,
        **kwargs: object,
    ) -> None:
        given = f", world_size={world_size}, rank={rank}" if world_size not in (-1, 1) else ""
        asked(
            f"init_process_group(backend={backend!r}{given}) made a world of one process"
            " (rank 0 of 1) that communicates nothing"
        )
        if not torch.distributed.is_initialized():  # not in a scenario run after the first
            original("fake", store=HashStore(), rank=0, world_size=1)

    return init_process_group


def _holder(asked: Callable[[str], None]) -> Callable[..., None]:
    # ``wrapper``: a DistributedDataParallel or DataParallel, whose attributes mypy reads as
    # tensors or modules (nn.Module.__getattr__).
    def __init__(wrapper: Any, module: nn.Module, *args: object, **kwargs: object) -> None:
        asked(
            f"{type(wrapper).__name__}({type(module).__name__}) holds its module only:"
            f" the model reported is the {type(module).__name__}"
        )
        nn.Module.__init__(wrapper)
        wrapper.module = module
        wrapper.device_ids = []
        wrapper.require_backward_grad_sync = True  # what DistributedDataParallel.no_sync sets

    return __init__


def _forward(wrapper: Any, *args: Any, **kwargs: Any) -> Any:
    return wrapper.module(*args, **kwargs)


def unwrapped(value: object) -> object:
    """The model a data-parallel wrapper holds (through any number of them); else ``value``."""
    while isinstance(value, (DistributedDataParallel, DataParallel)):
        value = value.module
    return value


def install(asked: Callable[[str], None]) -> None:
    """Present CUDA and a one-process world for the rest of this process; ``asked(note)`` is
    called each time the script relies on it."""
    for name, answer in _cuda_answers().items():
        setattr(torch.cuda, name, _asking(answer, asked))
    torch.backends.cudnn.is_available = _asking(_constant(True), asked)
    init_process_group = _init_process_group(asked)
    torch.distributed.init_process_group = init_process_group
    torch.distributed.distributed_c10d.init_process_group = init_process_group
    for wrapper in (DistributedDataParallel, DataParallel):
        wrapper.__init__ = _holder(asked)  # type: ignore[method-assign]  # holds, nothing else
        wrapper.forward = _forward  # type: ignore[method-assign,assignment]  # calls its module
