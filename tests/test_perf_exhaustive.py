"""The fast paths (triage, ftlint.walk, the ast prefilter) against the oracle: every rule on
every file with no triage (FTLINT_EXHAUSTIVE=1), and the size limit that bounds memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import FIXTURES, run_ftlint

from ftlint.config import ConfigError, load_settings, parse_size

TESTS = Path(__file__).resolve().parent


@pytest.mark.parametrize("target", [FIXTURES, TESTS], ids=["fixtures", "tests"])
def test_findings_identical_to_exhaustive_mode(target: Path) -> None:
    args = ("check", "--no-cache", "--output-format", "json", "--jobs", "1", str(target))
    fast = run_ftlint(*args)
    oracle = run_ftlint(*args, env={"FTLINT_EXHAUSTIVE": "1"})
    assert "Traceback" not in fast.stderr + oracle.stderr
    assert fast.returncode == oracle.returncode
    assert fast.stdout == oracle.stdout
    assert json.loads(fast.stdout)  # the fixtures hold findings: the comparison means something


def test_too_large_file_gets_one_diagnostic_and_the_run_goes_on(tmp_path: Path) -> None:
    big = tmp_path / "big.py"
    freeze = "model.backbone.requires_grad = False\n"  # may be a module: triage keeps it
    big.write_text("x = 1\n" * 200_000 + freeze)  # 1.2 MB with freeze code: over the default limit
    unmatched = tmp_path / "generated.py"
    unmatched.write_text("x = 1\n" * 200_000)  # as large, but triage clears it: never parsed
    small = tmp_path / "small.py"
    small.write_text("model.head.weight.data.requires_grad = False\n")
    result = run_ftlint("check", "--no-cache", "--output-format", "json", str(tmp_path))
    found = json.loads(result.stdout)
    assert [(Path(d["filename"]).name, d["code"]) for d in found] == [
        ("big.py", "FT901"),
        ("small.py", "FT006"),
    ]
    assert "over max-file-size (1 MB)" in found[0]["message"]
    assert result.returncode == 2
    raised = run_ftlint(  # 800,008 tokens: 4.4 MB at 5.5 bytes a token
        "check", "--no-cache", "--output-format", "json", "--max-file-size", "5MB", str(big)
    )
    assert json.loads(raised.stdout) == []
    lowered = run_ftlint(
        "check", "--no-cache", "--output-format", "json", "--max-file-size", "40", str(small)
    )
    assert [d["code"] for d in json.loads(lowered.stdout)] == ["FT901"]


# One-token lines: the densest code, ~4.5 KB of memory per token (`a` on each line).
_DENSE_LINE = "a\n"
_FREEZE = "model.backbone.requires_grad = False\n"  # 8 tokens with its line break


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (95_000, []),  # 190,008 tokens: 1,045,044 bytes counted, under 1 MB
        (
            100_000,
            [
                (
                    "file too large to analyse: 200,008 tokens in 195 KB, which count as 1.05 MB"
                    " (5.5 bytes a token, for dense code), over max-file-size (1 MB); not"
                    " checked. Raise `max-file-size` in [tool.ftlint] or pass --max-file-size"
                    " (analysis needs up to about 0.9 GB of memory per MB)"
                )
            ],
        ),
    ],
)
def test_dense_code_counts_its_tokens(tmp_path: Path, lines: int, expected: list[str]) -> None:
    dense = tmp_path / "dense.py"
    dense.write_text(_DENSE_LINE * lines + _FREEZE)
    result = run_ftlint("check", "--no-cache", "--output-format", "json", str(dense))
    assert [d["message"] for d in json.loads(result.stdout)] == expected
    assert result.returncode == (2 if expected else 0)


@pytest.mark.parametrize("exhaustive", ["0", "1"])
def test_a_dense_configuration_is_no_python(tmp_path: Path, exhaustive: str) -> None:
    # 200,003 tokens of JSON (a data file: `[0,0,...]`) count their bytes only; the same numbers
    # as Python, beside a freeze line, count their tokens.
    numbers = "[" + "0," * 100_000 + "0]\n"
    (tmp_path / "labels.json").write_text(numbers)
    (tmp_path / "labels.py").write_text(f"x = {numbers}{_FREEZE}")
    result = run_ftlint(
        "check", "--no-cache", "--output-format", "json", str(tmp_path),
        env={"FTLINT_EXHAUSTIVE": exhaustive},
    )  # fmt: skip
    found = [(Path(d["filename"]).name, d["code"]) for d in json.loads(result.stdout)]
    assert (found, result.returncode) == ([("labels.py", "FT901")], 2)


def test_max_file_size_setting(tmp_path: Path) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.ftlint]\nmax-file-size = "2MB"\n')
    assert load_settings(config, []).max_file_size == 2 * 1024 * 1024
    config.write_text('[tool.ftlint]\nmax-file-size = "lots"\n')
    with pytest.raises(ConfigError, match="max-file-size"):
        load_settings(config, [])
    assert parse_size(1000) == 1000
    assert parse_size("512KB") == 512 * 1024
    with pytest.raises(ValueError):
        parse_size("0")
