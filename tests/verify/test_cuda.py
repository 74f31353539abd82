"""Scripts written for GPUs verify on a machine without one (ftlint/verify/cuda.py): CUDA is
presented as available, ``init_process_group`` makes a world of one process without any
rendezvous, and the model a data-parallel wrapper holds is the model reported."""

from __future__ import annotations

from support import Workspace, entry, linear, target

# Refuses to start without a GPU, rendezvous at an address no machine here has (a real
# process group would fail to bind or connect), wraps both models.
GPU_ONLY = """
import os

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


def main():
    if not torch.cuda.is_available():
        raise SystemExit("Does not support training without GPU.")
    dist.init_process_group(backend="nccl", init_method="tcp://10.0.0.1:23456", world_size=1, rank=0)
    torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    assert torch.cuda.current_device() == 0 and torch.cuda.device_count() == 1
    torch.backends.cudnn.benchmark = True
    backbone = nn.DataParallel(nn.Linear(8, 4).cuda())
    backbone.requires_grad_(False)
    head = nn.Linear(4, 2).cuda()
    head = DistributedDataParallel(head, device_ids=[torch.cuda.current_device()])
    dist.barrier()
    scaler = torch.cuda.amp.GradScaler()
    optimizer = torch.optim.SGD(head.parameters(), lr=0.1 * dist.get_world_size())
    with torch.autocast("cuda", dtype=torch.bfloat16):
        loss = head(backbone(torch.randn(2, 8, device="cuda"))).sum()
    torch.cuda.synchronize()
    scaler.scale(loss).backward()
    optimizer.step()


if __name__ == "__main__":
    main()
"""

# Needs a second process: a world of one cannot stand in for it, and the report says so.
TWO_PROCESSES = """
import torch.distributed as dist
from torch import nn

dist.init_process_group("gloo", init_method="tcp://10.0.0.1:23456", world_size=2, rank=1)
model = nn.Linear(4, 2)
assert dist.get_world_size() == 2, "run me with torchrun --nproc-per-node 2"
"""


def test_a_gpu_only_distributed_script_verifies_on_the_cpu(workspace: Workspace) -> None:
    workspace.write("gpu.py", GPU_ONLY)
    workspace.write("two.py", TWO_PROCESSES)
    status, entries = workspace.verify_json("gpu.py", "two.py")
    assert (status, entries) == (
        2,
        {
            "gpu.py": entry(
                [
                    # Built inside the wrapper's call: named after the class it holds.
                    target(
                        "backbone",
                        "torch.nn.modules.linear.Linear",
                        16,
                        [(0, 2, 0, 36)],
                        linear("", 8, 4, False),
                    ),
                    target(
                        "head", "torch.nn.Linear.cuda", 19, [(2, 0, 10, 0)], linear("", 4, 2, True)
                    ),
                ],
                notes=[
                    "line 10: CUDA presented as available: one device, every tensor stays on meta",
                    (
                        "line 12: init_process_group(backend='nccl') made a world of one process"
                        " (rank 0 of 1) that communicates nothing"
                    ),
                    (
                        "line 16: DataParallel(Linear) holds its module only: the model reported"
                        " is the Linear"
                    ),
                    (
                        "line 19: DistributedDataParallel(Linear) holds its module only: the model"
                        " reported is the Linear"
                    ),
                ],
                stopped="line 26: backward()",
            ),
            "two.py": entry(
                [target("model", "torch.nn.Linear", 5, [(2, 0, 10, 0)], linear("", 4, 2, True))],
                notes=[
                    (
                        "line 4: init_process_group(backend='gloo', world_size=2, rank=1) made a"
                        " world of one process (rank 0 of 1) that communicates nothing"
                    )
                ],
                error=(
                    "line 6: AssertionError: run me with torchrun --nproc-per-node 2; the models"
                    " built before it are shown as they stood"
                ),
            ),
        },
    )
