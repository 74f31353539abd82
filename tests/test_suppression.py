"""Selection and ``# noqa`` apply once, to what users see, the same way under every command:
they hide a report, never the analysis another check builds on."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import python_source

from ftlint.analysis.file import FileAnalysis
from ftlint.catalog import SELECTABLE
from ftlint.config import Settings
from ftlint.engine import analyze
from ftlint.rules.ft001_ambiguous_freeze_condition import AmbiguousFreezeCondition
from ftlint.verify.pipeline import verify_file

AMBIGUOUS = """\
from torch import nn

model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 2))
train_all = True
for name, parameter in model.named_parameters():
    if not train_all or "0." in name and "1." not in name:{comment}
        parameter.requires_grad = False
"""


def _verify(tmp_path: Path, text: str, enabled: set[str] | None = None) -> list[tuple[str, int]]:
    path = tmp_path / "script.py"
    path.write_text(text)
    codes = set(SELECTABLE) if enabled is None else enabled
    result = verify_file(path, Settings(root=tmp_path), codes, {})
    assert result.error is None
    return [(d.code, d.location.row) for d in result.diagnostics]


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("", [("FT001", 6), ("FT102", 6)]),
        # Silencing FT001's report keeps the chain it found for FT102.
        ("  # noqa: FT001", [("FT102", 6)]),
        ("  # noqa: FT102", [("FT001", 6)]),
        ("  # noqa", []),
    ],
)
def test_noqa_hides_only_the_codes_it_names(
    tmp_path: Path, comment: str, expected: list[tuple[str, int]]
) -> None:
    assert _verify(tmp_path, AMBIGUOUS.format(comment=comment)) == expected


def test_ignoring_ft001_keeps_ft102(tmp_path: Path) -> None:
    enabled = set(SELECTABLE) - {"FT001"}
    assert _verify(tmp_path, AMBIGUOUS.format(comment=""), enabled) == [("FT102", 6)]


NAME_TEST = """\
from torch import nn

model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
for name, parameter in model.named_parameters():
    if "fc # noqa" not in name:{comment}
        parameter.requires_grad = False
"""


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        # `# noqa` inside a string is no comment, for verify as for check.
        ("", [("FT103", 5)]),
        ("  # noqa: FT103", []),
    ],
)
def test_noqa_is_read_from_comments_only(
    tmp_path: Path, comment: str, expected: list[tuple[str, int]]
) -> None:
    assert _verify(tmp_path, NAME_TEST.format(comment=comment), {"FT103"}) == expected


@pytest.mark.parametrize(
    ("text", "shown", "tokenized"),
    [
        (AMBIGUOUS.format(comment=""), ["FT001"], False),
        ("x = 1  # noqa: FT001\n" + AMBIGUOUS.format(comment=""), ["FT001"], False),
        (AMBIGUOUS.format(comment="  # noqa: FT001"), [], True),
        # A noqa in a string on the row is text, not a comment: the tokenizer tells them apart.
        (
            (
                "for name, p in model.named_parameters():\n"
                '    p.requires_grad = not frozen or "0." in name and name != "# noqa"\n'
            ),
            ["FT001"],
            True,
        ),
    ],
)
def test_the_file_is_tokenized_for_comments_only_for_a_finding_on_a_noqa_row(
    text, shown, tokenized
):
    analysis = analyze(python_source(text), [AmbiguousFreezeCondition])
    assert isinstance(analysis, FileAnalysis)
    assert [d.code for d in analysis.diagnostics({"FT001"})] == shown
    assert ("comments" in vars(analysis)) is tokenized
