"""`builder_key`, which FT008 and FT009 share: a torchvision builder by its qualified name,
whatever the import form."""

from __future__ import annotations

import libcst as cst
import pytest

from ftlint.analysis.imports import ImportMap
from ftlint.analysis.torchvision import builder_key


@pytest.mark.parametrize(
    ("func", "key"),
    [
        ("resnet50", "torchvision.models.resnet50"),
        ("tv.models.resnet.resnet50", "torchvision.models.resnet50"),
        ("quantization.resnet50", "torchvision.models.quantization.resnet50"),
        ("Q.resnet.resnet50", "torchvision.models.quantization.resnet50"),
        ("detection.resnet50", None),
        ("tv.models.ResNet50_Weights", None),
    ],
)
def test_builder_key_resolves_every_import_form(func, key):
    imports = ImportMap.from_module(cst.parse_module(
        "import torchvision as tv\n"
        "from torchvision.models import resnet50, quantization, detection\n"
        "import torchvision.models.quantization as Q\n"
    ))  # fmt: skip
    assert builder_key(cst.parse_expression(func), imports) == key
