"""Values known without weights or data (ftlint/verify/values.py): model code that reads a
schedule or an index table built from ``arange``/``linspace`` builds as it would; a value read
from a weight, or from a tensor a weight was written into, stays unknown."""

from __future__ import annotations

from support import counts

# A vision transformer's stochastic depth decides which blocks exist; a relative position
# index is checked with bool()/int() and read with tolist(), moved to the GPU on the way, and
# copied (deepcopy's memo changes during the copy).
KNOWN = """
import copy

import torch
from torch import nn

rates = [x.item() for x in torch.linspace(0, 0.3, 4)]
coords = torch.stack(torch.meshgrid(torch.arange(3), torch.arange(3), indexing="ij")).flatten(1)
index = (coords[:, :, None] - coords[:, None, :]).sum(0).cuda()
assert bool((index == 0).any()) and int(index.max()) == 4 and index.tolist()[0][8] == -4
buffers = nn.Module()
buffers.register_buffer("index", index)
assert copy.deepcopy(buffers).index.tolist() == index.tolist()  # as a copied module's would be
blocks = nn.Sequential(*[nn.Linear(4, 4) for rate in rates if rate < 0.25])
blocks[0].requires_grad_(False)
torch.optim.SGD(blocks.parameters(), lr=0.1).step()
"""


def test_values_built_from_numbers_alone_are_read(verify_code) -> None:
    result = verify_code(KNOWN)
    assert (result.error, [(m.variable, m.total) for m in result.models]) == (
        None,
        [("blocks", 6)],  # the blocks of rates 0, 0.1 and 0.2
    )
    assert counts(result.models[0]) == [({}, True, 4, 2)]


def test_a_value_read_from_a_weight_stays_unknown(verify_code) -> None:
    result = verify_code(
        """
        import torch
        from torch import nn

        model = nn.Linear(4, 4)
        scale = torch.ones(4)
        scale.copy_(model.weight[0])
        print(scale.sum().item())
        """
    )
    assert result.error == (
        "line 7: RuntimeError: Tensor.item() cannot be called on meta tensors; the script reads a"
        " value verify does not have (tensors are on `meta`; weights and data are not loaded): pin"
        " the variable computed from it with `--set NAME=VALUE`; the models built before it are"
        " shown as they stood"
    )
