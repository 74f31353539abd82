"""What verify runs of a file: the kept statements, instrumented, on the file's own lines."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from support import FIXTURES, program_of_source

from ftlint.sources import SourceFile, read_source
from ftlint.verify.instrument import PROBES

VERIFY_FIXTURES = sorted((FIXTURES / "verify").rglob("*.py"))


def program_of(code: str, pinned: frozenset[str] = frozenset()):
    text = textwrap.dedent(code).lstrip("\n")
    return program_of_source(SourceFile(Path("example.py"), "example.py", text, text.encode()), pinned)


def kept_lines(program) -> list[str]:
    return [line.strip() for line in program.code.splitlines() if line.strip() not in ("", "pass")]


@pytest.mark.parametrize(
    "path",
    [
        *VERIFY_FIXTURES,
        FIXTURES / "seed_backbone_freezing.py",
        FIXTURES / "seed_backbone_freezing.ipynb",
    ],
    ids=lambda path: path.name,
)
def test_every_kept_line_keeps_its_number(path):
    source = read_source(path, path.name)
    program = program_of_source(source)
    original = source.text.splitlines()
    rewritten = program.code.splitlines()
    assert len(rewritten) == len(original)
    for before, after in zip(original, rewritten):
        # A line is kept as it is, instrumented in place (a probe, or the parenthesis closing
        # one), or dropped: blank, or `pass`.
        instrumented = PROBES in after or after.rstrip(")") == before.rstrip(")")
        assert instrumented or after.strip() in ("", "pass"), (before, after)


def test_training_data_loading_and_io_are_dropped_and_the_model_code_kept():
    program = program_of_source(read_source(FIXTURES / "verify/clean/training_script.py", "t.py"))
    code = "\n".join(kept_lines(program))
    for never in (
        "ImageFolder(",
        "DataLoader(",
        "backward()",
        "optimizer.step()",
        "torch.save(",
        "range(args.epochs)",
    ):
        assert never not in code
    for kept in (
        "resnet50(",
        "torch.load(checkpoint",
        "requires_grad = ",
        "model.fc = nn.Linear(",
        "torch.optim.SGD(",
        "main()",
    ):
        assert kept in code
    # The helper that only trains is not even defined; the helpers main() needs are.
    assert "def train_one_epoch" not in code
    assert {
        "def parse_args() -> argparse.Namespace:",
        "def build_model(num_classes: int, checkpoint: Path) -> nn.Module:",
    } <= set(code.splitlines())


def test_a_value_that_only_data_loading_computes_is_unavailable():
    program = program_of(
        """
        from torchvision import datasets
        from torchvision.models import resnet18
        from torch import nn

        dataset = datasets.ImageFolder("/data/train")
        model = resnet18()
        model.fc = nn.Linear(512, len(dataset.classes))
        """
    )
    gap = program.unavailable["dataset"]
    assert (gap.row, gap.reason) == (5, "data loading")
    assert "ImageFolder" not in program.code


def test_freeze_code_inside_a_training_loop_is_not_run_and_is_noted():
    program = program_of(
        """
        from torchvision.models import resnet18

        model = resnet18()
        model.requires_grad_(False)
        for epoch in range(10):
            if epoch == 5:
                model.layer4.requires_grad_(True)
            loss = model(batch).sum()
            loss.backward()
        """
    )
    assert "model.layer4.requires_grad_" not in program.code
    assert [(note.row, "training" in note.text) for note in program.notes] == [(5, True)]


def test_pinned_names_lose_their_assignment():
    code = """
        from torchvision.models import resnet18
        train_backbone = True
        model = resnet18()
        for name, parameter in model.named_parameters():
            if not train_backbone:
                parameter.requires_grad = False
        """
    assert "train_backbone = True" in program_of(code).code
    assert "train_backbone = True" not in program_of(code, frozenset({"train_backbone"})).code


def test_the_seed_program_reads_its_flag_and_both_readings_of_its_condition():
    program = program_of_source(read_source(FIXTURES / "seed_backbone_freezing.py", "seed.py"))
    assert program.flag_names == {"train_backbone"}
    (chain,) = program.chains.values()
    assert chain.python_reading == (
        "not train_backbone or ('layer2' not in name and 'layer3' not in name and 'layer4' not in name)"
    )
    assert chain.left_to_right == (
        "(not train_backbone or 'layer2' not in name) and 'layer3' not in name and 'layer4' not in name"
    )
    assert [(test.literal, test.kind) for test in program.name_tests] == [
        ("layer2", "substring"), ("layer3", "substring"), ("layer4", "substring")
    ]  # fmt: skip
    # The report loops after the freeze code only read the model: they do not run.
    assert "trainable_params" not in program.code


def test_name_tests_through_constants_any_and_startswith():
    program = program_of(
        """
        from torchvision.models import vit_b_16
        FROZEN = ["conv_proj", "encoder.layers.encoder_layer_0"]
        model = vit_b_16()
        for name, parameter in model.named_parameters():
            if any(part in name for part in FROZEN) or name.startswith(("class_token", "encoder.pos")):
                parameter.requires_grad = False
        for module_name, module in model.named_modules():
            if module_name == "encoder.ln":
                module.eval()
        """
    )
    assert {(test.literal, test.kind, test.span.start.line) for test in program.name_tests} == {
        ("conv_proj", "substring", 2),
        ("encoder.layers.encoder_layer_0", "substring", 2),
        ("class_token", "prefix", 5),
        ("encoder.pos", "prefix", 5),
        ("encoder.ln", "equal", 8),
    }
    methods = {program.sites[test.site].method for test in program.name_tests}
    assert methods == {"named_parameters", "named_modules"}


def test_helpers_called_at_module_level_run_with_their_own_pruning():
    program = program_of(
        """
        import torch
        from torchvision.models import resnet18

        def build(pretrained_path):
            model = resnet18()
            model.load_state_dict(torch.load(pretrained_path))
            print(model)
            return model

        def freeze(module):
            for parameter in module.parameters():
                parameter.requires_grad = False

        def train(model, loader):
            for x, y in loader:
                model(x).sum().backward()

        model = build("weights.pt")
        freeze(model.layer1)
        train(model, loader)
        """
    )
    lines = kept_lines(program)
    assert "print(model)" not in lines
    assert "train(model, loader)" not in lines and "def train(model, loader):" not in lines
    assert "return model" in lines
    assert any(line.startswith("model.load_state_dict(") for line in lines)
    assert any(line.startswith("freeze(__ftlint__.seen(") for line in lines)


def test_a_condition_with_an_assignment_expression_is_read_only_as_written():
    program = program_of(
        """
        from torchvision.models import resnet18
        model = resnet18()
        for name, parameter in model.named_parameters():
            if (head := name.startswith("fc")) or name.startswith("layer4") and not head:
                parameter.requires_grad = False
        """
    )
    assert program.chains == {}
    assert "(head := name.startswith" in program.code


def test_a_file_that_does_not_parse_cannot_be_verified(verify_code):
    result = verify_code("model = resnet18(\n\n")
    assert result.error == "the file does not parse"
    assert [(d.code, d.location.row, d.message) for d in result.diagnostics] == [
        ("FT900", 1, "cannot parse: '(' was never closed; no rule ran on this file")
    ]
