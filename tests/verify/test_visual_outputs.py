"""`ftlint verify` for people: Markdown for pull requests (and the GitHub job summary), and one
offline HTML page, rendered in headless Chromium and read back as a person sees it."""

from __future__ import annotations

from pathlib import Path

from browser import color_bands, needs_chromium, screenshot, visible_text
from support import REPO, run_ftlint

from ftlint.runtime.html import WARNING_BACKGROUND

SEED = "fixtures/seed_backbone_freezing.py"
LIGHTNING = "fixtures/lightning/backbone_finetuning_train_bn_false.py"
MARKDOWN = Path(__file__).parent / "data" / "seed_and_lightning.md"


def test_markdown_has_the_blocks_the_findings_and_the_phase_table() -> None:
    result = run_ftlint("verify", "--output-format", "markdown", SEED, LIGHTNING, cwd=REPO)
    assert result.returncode == 1, result.stderr
    assert result.stdout == MARKDOWN.read_text()
    # What the golden file must show: the seed's counts, its 11 marked BatchNorm modules, the
    # phase table of the Lightning script.
    assert "| train_backbone=True (as written) | 126 / 35 |" in result.stdout
    assert "| `bn1` | 0 / 2 | 0 / 128 | 0.0% | ⚠️ 1 frozen but updating stats! |" in result.stdout
    assert "| `layer1` | 0 / 30 | 0 / 215.8K | 0.0% | ⚠️ 10 frozen but updating stats! |" in (
        result.stdout
    )
    assert "| frozen phase | 0-1 | no (0/20) | yes (40/40) | yes (20/20) |" in result.stdout


def test_github_annotates_and_appends_the_markdown_to_the_job_summary(tmp_path: Path) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step\n")
    result = run_ftlint(
        "verify", "--output-format", "github", SEED, LIGHTNING, cwd=REPO,
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    annotations = result.stdout.splitlines()
    assert len(annotations) == 7 and all(line.startswith("::error title=ftlint (FT") for line in annotations)
    assert annotations[1].startswith(
        f"::error title=ftlint (FT105),file={SEED},line=10,col=1,endLine=10,endColumn="
    )
    assert summary.read_text() == "earlier step\n" + MARKDOWN.read_text()


def test_github_without_a_job_summary_only_annotates(tmp_path: Path) -> None:
    result = run_ftlint("verify", "--output-format", "github", SEED, cwd=REPO,
                        env={"GITHUB_STEP_SUMMARY": ""})  # fmt: skip
    assert [line.split(",", 1)[0] for line in result.stdout.splitlines()] == [
        "::error title=ftlint (FT009)",
        "::error title=ftlint (FT105)",
        "::error title=ftlint (FT001)",
        "::error title=ftlint (FT102)",
    ]


@needs_chromium
def test_the_html_page_as_rendered(tmp_path: Path) -> None:
    result = run_ftlint("verify", "--output-format", "html", SEED, LIGHTNING, cwd=REPO)
    page = tmp_path / "verify.html"
    page.write_text(result.stdout)
    assert "<script" not in result.stdout and "http" not in result.stdout.replace(
        "https://github.com/ftlint", ""
    )  # offline: nothing to fetch
    text = visible_text(page, tmp_path)
    assert (
        f"{SEED} backbone = torchvision.models.resnet50(...) at line 6: 161 tensors,"
        " 25,557,032 elements scenario tensors trainable / frozen elements trainable / frozen"
        " train_backbone=True (as written) 126 / 35 23,282,688 / 2,274,344"
        " train_backbone=False 0 / 161 0 / 25,557,032"
    ) in text
    assert "bn1 0 / 2 0 / 128 0.0% 1 frozen but updating stats!" in text
    assert "layer1 0 / 30 0 / 215.8K 0.0% 10 frozen but updating stats!" in text
    assert (
        "finetuning phases at line 40 LitClassifier with BackboneFinetuning(train_bn=False),"
        " epochs 0-3 phase epochs backbone trainable BatchNorm trainable BatchNorm updating stats"
        " optimizer frozen phase 0-1 no (0/20) yes (40/40) yes (20/20)"
        " 1 group: backbone 40 (40 BatchNorm), head 2"
    ) in text
    # A finding with its source snippet, caret under the line.
    assert (
        f"{SEED}:10:1 FT105 11 BatchNorm modules with every affine parameter frozen" in text
        and "10 | for name, parameter in backbone.named_parameters(): | ^^^^" in text
    )
    assert text.endswith("Found 7 errors. [*] 2 fixable with the `--fix` option. ftlint 0.1.0")
    image = screenshot(page, tmp_path / "verify.png", 1100, 700)
    assert len(color_bands(image, WARNING_BACKGROUND)) == 2  # the seed's bn1 and layer1 rows
