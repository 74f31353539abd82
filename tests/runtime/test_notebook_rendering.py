"""A real notebook shows the freeze map: the seed's ResNet-50, built on meta and frozen by the
seed's own loop, displayed with `ftlint.report(model)` in a kernel run by nbclient; its stored
`text/html` output is then rendered in headless Chromium and read back as a person sees it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from browser import color_bands, needs_chromium, screenshot, visible_text
from nbclient import NotebookClient
from support import FIXTURES, REPO

from ftlint.runtime.html import TRAINABLE_COLOR, WARNING_BACKGROUND

# The committed picture in the README; FTLINT_UPDATE_SCREENSHOT=1 makes the test rewrite it.
DOCS_SCREENSHOT = REPO / "docs" / "notebook-freeze-map.png"


def _seed_freeze_loop() -> str:
    """The seed script's freeze flag and loop, as written there."""
    lines = (FIXTURES / "seed_backbone_freezing.py").read_text().splitlines()
    start = lines.index("train_backbone = True")
    return "\n".join(lines[start : start + 4])


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import torch\nimport torchvision\nimport ftlint\n\n"
                "with torch.device('meta'):\n    backbone = torchvision.models.resnet50()\n\n"
                + _seed_freeze_loop()
            ),
            nbformat.v4.new_code_cell("ftlint.report(backbone)"),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    path = tmp_path_factory.mktemp("notebook") / "freeze.ipynb"
    NotebookClient(notebook, timeout=300, resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(notebook, path)
    return nbformat.read(path, as_version=4)  # what the file stores


def test_the_stored_output_is_the_reports_html(
    executed: nbformat.NotebookNode, seed_resnet50
) -> None:
    import ftlint

    (output,) = executed.cells[1].outputs
    expected = ftlint.report(seed_resnet50)
    assert output.output_type == "execute_result"
    assert output.data == {"text/html": expected.to_html(), "text/plain": repr(expected)}
    assert len(output.data["text/html"].encode()) < 4096  # a few kB per report


@needs_chromium
def test_the_notebook_output_as_rendered(executed: nbformat.NotebookNode, tmp_path: Path) -> None:
    page = tmp_path / "output.html"
    page.write_text(f'<meta charset="utf-8">{executed.cells[1].outputs[0].data["text/html"]}')
    text = visible_text(page, tmp_path)
    assert text.startswith("ResNet: 126 of 161 tensors trainable (35 frozen)")
    assert (
        "block tensors train/frozen elements train/frozen trainable share batchnorm"
        " conv1 0 / 1 0 / 9.4K 0.0% -"
        " bn1 0 / 2 0 / 128 0.0% 1 frozen but updating stats!"
        " layer1 0 / 30 0 / 215.8K 0.0% 10 frozen but updating stats!"
        " layer2 39 / 0 1.2M / 0 100.0% 13 not frozen"
        " layer3 57 / 0 7.1M / 0 100.0% 19 not frozen"
        " layer4 30 / 0 15.0M / 0 100.0% 10 not frozen"
        " fc 0 / 2 0 / 2.0M 0.0% -"
    ) in text
    image = screenshot(page, tmp_path / "notebook.png", 790, 206)
    # The 1 + 10 frozen-but-updating BatchNorm modules: the bn1 and layer1 rows, in the warning
    # colour; the green bars of the three trained blocks.
    bn1, layer1 = color_bands(image, WARNING_BACKGROUND)
    assert bn1[0] < layer1[0] and layer1[1] - layer1[0] > 10
    assert len(color_bands(image, TRAINABLE_COLOR)) == 3
    if os.environ.get("FTLINT_UPDATE_SCREENSHOT"):
        shutil.copyfile(tmp_path / "notebook.png", DOCS_SCREENSHOT)
