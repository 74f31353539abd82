from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import torch
import torchvision
from torch import nn
from torch.distributed.algorithms._checkpoint.checkpoint_wrapper import checkpoint_wrapper
from torchvision.ops import FrozenBatchNorm2d

import ftlint
from ftlint.runtime.report import FreezeReport

RESNET50_BLOCKS = ("conv1", "bn1", "layer1", "layer2", "layer3", "layer4", "fc")
SEED_FROZEN_BATCHNORMS = (
    {"bn1"}
    | {f"layer1.{block}.{bn}" for block in range(3) for bn in ("bn1", "bn2", "bn3")}
    | {"layer1.0.downsample.1"}
)


def block(report: FreezeReport, name: str):
    return next(row for row in report.blocks if row.name == name)


def test_seed_freeze_loop_totals(seed_resnet50: nn.Module) -> None:
    report = ftlint.report(seed_resnet50)
    assert (report.trainable_tensors, report.frozen_tensors) == (126, 35)
    assert (report.trainable_numel, report.frozen_numel) == (23_282_688, 2_274_344)
    assert report.model_name == "ResNet" and report.wrappers == ()


def test_blocks_are_the_top_level_children_in_module_order(seed_resnet50: nn.Module) -> None:
    report = ftlint.report(seed_resnet50)
    assert tuple(row.name for row in report.blocks) == RESNET50_BLOCKS
    layer2 = block(report, "layer2")
    assert (layer2.trainable_tensors, layer2.frozen_tensors) == (39, 0)
    assert (layer2.batchnorm_modules, layer2.batchnorm_frozen) == (13, 0)
    fc = block(report, "fc")
    assert (fc.trainable_tensors, fc.frozen_tensors, fc.frozen_numel) == (0, 2, 2048 * 1000 + 1000)
    assert sum(row.trainable_numel for row in report.blocks) == report.trainable_numel


def test_deeper_blocks_with_depth(seed_resnet50: nn.Module) -> None:
    report = ftlint.report(seed_resnet50, depth=2)
    names = [row.name for row in report.blocks]
    assert names[:4] == ["conv1", "bn1", "layer1.0", "layer1.1"]
    assert "layer4.2" in names and names[-1] == "fc"
    assert block(report, "layer2.0").trainable_tensors == 12  # with the downsample branch
    assert sum(row.frozen_tensors for row in report.blocks) == 35


def test_parameters_on_the_root_module_are_their_own_block(
    meta_model: Callable[[str], nn.Module],
) -> None:
    vit_b_16 = meta_model("vit_b_16")
    report = ftlint.report(vit_b_16)
    assert [row.name for row in report.blocks] == ["class_token", "conv_proj", "encoder", "heads"]
    assert (
        block(ftlint.report(vit_b_16, depth=2), "encoder").trainable_tensors == 1
    )  # pos_embedding


def test_parameter_states(seed_resnet50: nn.Module) -> None:
    states = {state.name: state for state in ftlint.report(seed_resnet50).parameters}
    assert len(states) == 161
    fc = states["fc.weight"]
    assert (fc.block, fc.trainable, fc.numel, fc.shape) == ("fc", False, 2_048_000, (1000, 2048))
    assert (fc.device, fc.dtype, fc.in_optimizer) == ("meta", "torch.float32", None)
    assert states["layer2.0.downsample.0.weight"].trainable


def test_batchnorm_frozen_but_training_is_flagged(seed_resnet50: nn.Module) -> None:
    report = ftlint.report(seed_resnet50)
    assert len(report.batchnorms) == 53
    assert {bn.name for bn in report.batchnorms if bn.frozen_but_updating} == SEED_FROZEN_BATCHNORMS
    assert block(report, "layer1").batchnorm_frozen_updating == 10


def test_batchnorm_in_eval_mode_is_not_updating(
    seed_resnet50: nn.Module, eval_frozen_batchnorms: Callable[[nn.Module], nn.Module]
) -> None:
    report = ftlint.report(eval_frozen_batchnorms(seed_resnet50))
    assert {bn.name for bn in report.batchnorms if bn.frozen} == SEED_FROZEN_BATCHNORMS
    assert not any(bn.frozen_but_updating for bn in report.batchnorms)


def test_frozen_batchnorm2d_is_frozen_and_static(build_meta: Callable[..., nn.Module]) -> None:
    model = build_meta(torchvision.models.resnet50, norm_layer=FrozenBatchNorm2d)
    states = ftlint.report(model).batchnorms
    assert len(states) == 53 and {state.kind for state in states} == {"FrozenBatchNorm2d"}
    assert all(state.frozen and not state.updates_running_stats for state in states)


def test_batchnorm_without_running_stats_does_not_update() -> None:
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4, track_running_stats=False))
    model.requires_grad_(False)
    (state,) = ftlint.report(model).batchnorms
    assert state.frozen and state.training and not state.updates_running_stats


def test_batchnorm_without_affine_parameters_is_never_frozen() -> None:
    (state,) = ftlint.report(nn.Sequential(nn.BatchNorm1d(4, affine=False))).batchnorms
    assert not state.frozen and state.updates_running_stats


@pytest.mark.parametrize(
    ("name", "total_numel", "total_tensors"),
    [
        ("resnet50", 25_557_032, 161),
        ("vit_b_16", 86_567_656, 152),
        ("mobilenet_v3_large", 5_483_032, 174),
        ("convnext_tiny", 28_589_128, 182),
    ],
)
def test_totals_of_torchvision_models(
    meta_model: Callable[[str], nn.Module], name: str, total_numel: int, total_tensors: int
) -> None:
    model = meta_model(name)
    model.requires_grad_(False)
    head = list(model.parameters())[-2:]
    for parameter in head:
        parameter.requires_grad_(True)
    report = ftlint.report(model)
    assert (report.total_numel, report.total_tensors) == (total_numel, total_tensors)
    assert report.trainable_numel == sum(parameter.numel() for parameter in head)
    assert report.trainable_tensors == 2


def test_optimizer_over_the_trainable_parameters_covers_them(seed_resnet50: nn.Module) -> None:
    trainable = [parameter for parameter in seed_resnet50.parameters() if parameter.requires_grad]
    report = ftlint.report(seed_resnet50, torch.optim.SGD(trainable, lr=0.1))
    assert report.optimizer is not None
    assert report.optimizer.trainable_missing == () and report.optimizer.frozen_included == ()
    assert report.warnings == ()
    assert all(state.in_optimizer is state.trainable for state in report.parameters)


def test_optimizer_missing_and_frozen_parameters(seed_resnet50: nn.Module) -> None:
    groups = [
        {
            "params": list(seed_resnet50.layer2.parameters())
            + list(seed_resnet50.layer3.parameters())
        },
        {"params": list(seed_resnet50.fc.parameters()), "lr": 0.01},
    ]
    report = ftlint.report(seed_resnet50, torch.optim.SGD(groups, lr=0.1))
    assert report.optimizer is not None and report.optimizer.param_groups == 2
    assert len(report.optimizer.trainable_missing) == 30
    assert {name.split(".")[0] for name in report.optimizer.trainable_missing} == {"layer4"}
    assert report.optimizer.frozen_included == ("fc.weight", "fc.bias")
    (warning,) = report.warnings
    assert "2 frozen tensors" in warning and "fc.weight" in warning


def test_optimizer_built_before_a_module_was_replaced() -> None:
    model = torchvision.models.resnet18()  # on CPU: the report works on real tensors too
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.fc = nn.Linear(512, 10)
    report = ftlint.report(model, optimizer)
    assert report.optimizer is not None
    assert report.optimizer.trainable_missing == ("fc.weight", "fc.bias")
    assert report.optimizer.foreign_tensors == 2
    assert {state.device for state in report.parameters} == {"cpu"}
    assert any("not have" in warning for warning in report.warnings)


def test_shared_parameters_are_counted_once() -> None:
    embedding = nn.Embedding(10, 4)
    head = nn.Linear(4, 10, bias=False)
    head.weight = embedding.weight  # tied input and output embeddings
    report = ftlint.report(nn.ModuleDict({"embed": embedding, "head": head}))
    assert (report.total_tensors, report.total_numel) == (1, 40)


WRAPPERS: dict[str, tuple[Callable[[nn.Module], nn.Module], tuple[str, ...]]] = {
    "data_parallel": (nn.DataParallel, ("DataParallel",)),
    "compile": (torch.compile, ("OptimizedModule",)),
    "compile_of_data_parallel": (
        lambda model: torch.compile(nn.DataParallel(model)),
        ("OptimizedModule", "DataParallel"),
    ),
}


@pytest.mark.parametrize("wrapper", WRAPPERS, ids=str)
def test_wrapped_models_give_the_same_report(seed_resnet50: nn.Module, wrapper: str) -> None:
    wrap, wrapper_names = WRAPPERS[wrapper]
    plain = ftlint.report(seed_resnet50)
    wrapped = ftlint.report(wrap(seed_resnet50))
    assert wrapped.wrappers == wrapper_names
    assert wrapped.parameters == plain.parameters
    assert (wrapped.blocks, wrapped.batchnorms) == (plain.blocks, plain.batchnorms)


def test_wrappers_inside_the_model_are_stripped_from_names(
    build_meta: Callable[..., nn.Module],
) -> None:
    model = build_meta(torchvision.models.resnet50)
    expected = ftlint.report(model)
    model.layer3 = torch.compile(model.layer3)
    model.layer4 = checkpoint_wrapper(model.layer4)
    assert "layer4._checkpoint_wrapped_module.0.conv1.weight" in dict(model.named_parameters())
    report = ftlint.report(model)
    assert report.parameters == expected.parameters
    assert report.batchnorms == expected.batchnorms


def test_render_is_a_compact_freeze_map(seed_resnet50: nn.Module) -> None:
    text = ftlint.report(seed_resnet50).render(color=False)
    lines = text.splitlines()
    assert lines[0].startswith("ResNet: 126 of 161 tensors trainable (35 frozen)")
    rows = {line.split()[0]: line for line in lines[3:]}
    assert set(rows) == set(RESNET50_BLOCKS)
    assert "39 / 0" in rows["layer2"] and "[####################]" in rows["layer2"]
    assert "0 / 30" in rows["layer1"] and "10 frozen but updating stats!" in rows["layer1"]
    assert rows["fc"].rstrip().endswith("-")  # no BatchNorm in the head
    assert "\x1b[" not in text and str(ftlint.report(seed_resnet50)) == text


def test_render_colors_on_request_only(seed_resnet50: nn.Module) -> None:
    assert "\x1b[" in ftlint.report(seed_resnet50).render(color=True)


def test_small_trainable_share_stays_visible_in_the_bar(
    meta_model: Callable[[str], nn.Module],
) -> None:
    vit_b_16 = meta_model("vit_b_16")
    vit_b_16.requires_grad_(False)
    vit_b_16.encoder.ln.requires_grad_(True)  # 1,536 of 85M elements
    encoder_row = next(
        line for line in str(ftlint.report(vit_b_16)).splitlines() if line.startswith("encoder")
    )
    assert "[#" + "." * 19 + "]" in encoder_row


def test_render_lists_optimizer_coverage_and_warnings(seed_resnet50: nn.Module) -> None:
    optimizer = torch.optim.SGD(seed_resnet50.parameters(), lr=0.1)
    text = str(ftlint.report(seed_resnet50, optimizer))
    assert "optimizer: 1 param group, all 126 trainable tensors covered" in text
    assert "warning: the optimizer holds 35 frozen tensors (conv1.weight" in text


def test_to_dict_is_json(seed_resnet50: nn.Module) -> None:
    data = json.loads(json.dumps(ftlint.report(seed_resnet50).to_dict()))
    assert (data["trainable_tensors"], data["total_tensors"]) == (126, 161)
    assert data["total_numel"] == 25_557_032
    assert data["parameters"][0] == {
        "name": "conv1.weight",
        "block": "conv1",
        "trainable": False,
        "numel": 9408,
        "shape": [64, 3, 7, 7],
        "dtype": "torch.float32",
        "device": "meta",
        "in_optimizer": None,
        "adapter": False,
        "aliases": [],
        "uninitialized": False,
        "saved_copy": False,
        "saved_original": False,
    }
    assert (data["adapter_tensors"], data["adapter_numel"]) == (0, 0)
    assert (data["saved_copy_tensors"], data["uninitialized_tensors"], data["notes"]) == (0, 0, [])
    assert data["blocks"][3]["name"] == "layer2" and len(data["batchnorms"]) == 53


def test_repr_is_one_line(seed_resnet50: nn.Module) -> None:
    assert repr(ftlint.report(seed_resnet50)) == (
        "<FreezeReport ResNet: 126/161 tensors, 23,282,688/25,557,032 elements trainable>"
    )


def test_depth_must_be_positive(resnet50: nn.Module) -> None:
    with pytest.raises(ValueError, match="depth"):
        ftlint.report(resnet50, depth=0)
