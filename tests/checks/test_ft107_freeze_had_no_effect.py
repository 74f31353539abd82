"""FT107, freeze code that set requires_grad yet froze nothing; a frozen teacher is no such case."""

from __future__ import annotations

from support import fixture_codes, message

FIXTURE = "ft107_head_frozen_too.py"


def test_its_verify_fixture_has_this_finding_only(verify_path):
    assert fixture_codes(verify_path, FIXTURE) == (None, ["FT107"])


def test_ft107_when_nothing_is_frozen(verify_code):
    result = verify_code(
        """
        from torchvision.models import mobilenet_v3_small
        model = mobilenet_v3_small()
        for child in list(model.children())[:-1]:
            child.requires_grad = False
        """
    )
    assert message(result, "FT107") == (
        "freeze code ran on model and set requires_grad to False, yet all 142 tensors still train:"
        " it set the flag on modules or copies, not on the model's parameters"
    )


def test_ft107_spares_a_frozen_teacher(verify_code):
    result = verify_code(
        """
        import torch
        from torchvision.models import resnet18, resnet50
        teacher = resnet50()
        teacher.requires_grad_(False)
        teacher.eval()
        student = resnet18()
        optimizer = torch.optim.SGD(student.parameters(), lr=0.1)
        """
    )
    assert [model.variable for model in result.models] == ["teacher", "student"]
    assert result.diagnostics == []
