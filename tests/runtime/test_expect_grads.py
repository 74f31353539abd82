"""Gradient arrival: ``expect(..., grads=True)`` after a tiny real backward on CPU."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import ftlint


class TwoHeads(nn.Module):
    """A backbone and two heads, of which ``forward`` uses only ``head``: ``aux`` gets no
    gradient however trainable it is."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.backbone = nn.Linear(3, 4)
        self.head = nn.Linear(4, 2)
        self.aux = nn.Linear(4, 2)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        output: torch.Tensor = self.head(self.backbone(inputs))
        return output


def backward(model: nn.Module) -> None:
    model(torch.ones(2, 3)).sum().backward()


def test_every_trainable_tensor_got_a_gradient() -> None:
    model = TwoHeads()
    del model.aux
    model.backbone.requires_grad_(False)
    backward(model)
    assert ftlint.expect_grads(model, trainable=["head"]).trainable_names == (
        "head.weight",
        "head.bias",
    )


def test_an_unused_trainable_branch_is_named() -> None:
    model = TwoHeads()
    model.backbone.requires_grad_(False)
    backward(model)
    with pytest.raises(ftlint.FreezeError, match="does not match") as error:
        ftlint.expect(model, trainable=["head", "aux"], grads=True)
    diff = str(error.value).split("\n\n")[0]
    assert diff == (
        "TwoHeads does not match the expected freeze state\n"
        "expected: trainable = head, aux (everything else frozen)\n"
        "  - aux: 2 trainable tensors got no gradient from the backward (never updated)\n"
        "      aux.weight, aux.bias\n"
        "    fix: check after loss.backward() and before optimizer.zero_grad(); a tensor the loss"
        " does not reach is unused by the forward, or cut off by detach(), torch.no_grad() or"
        " reentrant checkpointing whose inputs do not require grad"
        " (model.enable_input_require_grads())"
    )
    assert [(m.kind, m.expected, m.actual, m.names) for m in error.value.mismatches] == [
        ("no_gradient", "a gradient", "no gradient", ("aux.weight", "aux.bias"))
    ]


def test_without_grads_the_unused_branch_passes() -> None:
    model = TwoHeads()
    backward(model)
    assert ftlint.expect(model, trainable=6).trainable_tensors == 6


def test_a_tensor_frozen_after_the_backward_keeps_a_stale_gradient() -> None:
    model = TwoHeads()
    del model.aux
    backward(model)
    model.backbone.requires_grad_(False)  # frozen, but its .grad from the backward stays
    with pytest.raises(ftlint.FreezeError, match="does not match") as error:
        ftlint.expect_grads(model)
    assert [m.text for m in error.value.mismatches] == [
        "backbone: 2 frozen tensors with a stale .grad (the optimizer still applies it)"
    ]


def test_zero_grad_to_none_clears_the_stale_gradient() -> None:
    model = TwoHeads()
    del model.aux
    backward(model)
    model.backbone.requires_grad_(False)
    model.backbone.zero_grad(set_to_none=True)
    assert ftlint.expect_grads(model).frozen_tensors == 2


def test_before_any_backward_every_trainable_tensor_lacks_a_gradient() -> None:
    model = TwoHeads()
    with pytest.raises(ftlint.FreezeError, match="does not match") as error:
        ftlint.expect_grads(model)
    assert [m.text for m in error.value.mismatches] == [
        "backbone: 2 trainable tensors got no gradient from the backward (never updated)",
        "head: 2 trainable tensors got no gradient from the backward (never updated)",
        "aux: 2 trainable tensors got no gradient from the backward (never updated)",
    ]
