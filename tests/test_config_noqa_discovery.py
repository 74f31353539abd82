"""`[tool.ftlint]`, `# noqa`, and which files a run visits."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap

import pytest
from support import AMBIGUOUS_FREEZE, run_ftlint

from ftlint.suppression import ALL_CODES, noqa_codes

FREEZE = (
    "for name, p in model.named_parameters():\n"
    "    if not tune or 'fc' not in name and 'bn' not in name:{noqa}\n"
    "        p.requires_grad = False\n"
)
TRAIN_BN = (
    "from lightning.pytorch.callbacks import BackboneFinetuning\n"
    "cb = BackboneFinetuning(train_bn=False){noqa}\n"
)


def codes_by_file(result):
    assert "Traceback" not in result.stderr, result.stderr
    findings = json.loads(result.stdout)
    out: dict[str, set[str]] = {}
    for finding in findings:
        out.setdefault(os.path.basename(finding["filename"]), set()).add(finding["code"])
    return out


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def test_noqa_parsing():
    assert noqa_codes("x = 1") is None
    assert noqa_codes("x = 1  # noqa") is ALL_CODES
    assert noqa_codes("x = 1  # NOQA:FT001, ft002") == {"FT001", "FT002"}
    assert noqa_codes("x = 1  # noqa: FT001 FT002 explanation") == {"FT001", "FT002"}


def test_noqa_suppresses_on_reported_line(tmp_path):
    write(tmp_path / "bare.py", FREEZE.format(noqa="  # noqa"))
    write(tmp_path / "coded.py", FREEZE.format(noqa="  # noqa: FT001"))
    write(tmp_path / "other_code.py", FREEZE.format(noqa="  # noqa: FT002"))
    write(tmp_path / "listed.py", TRAIN_BN.format(noqa="  # noqa: FT001,FT002"))
    # A `# noqa` inside a string literal is not a comment.
    write(tmp_path / "in_string.py", FREEZE.format(noqa="  # noqa").replace(
        "if not tune", "if '# noqa' and not tune").replace("  # noqa\n", "\n"))
    result = run_ftlint("check", "--output-format", "json", str(tmp_path))
    assert codes_by_file(result) == {"other_code.py": {"FT001"}, "in_string.py": {"FT001"}}


def test_pyproject_select_ignore_exclude_per_file_ignores(tmp_path):
    write(tmp_path / "pyproject.toml", """
        [project]
        name = "demo"

        [tool.ftlint]
        ignore = ["FT002"]
        exclude = ["legacy", "*_generated.py"]

        [tool.ftlint.per-file-ignores]
        "notebooks/*" = ["FT001"]
    """)
    write(tmp_path / "train.py", FREEZE.format(noqa="") + TRAIN_BN.format(noqa=""))
    write(tmp_path / "legacy" / "old.py", FREEZE.format(noqa=""))
    write(tmp_path / "model_generated.py", FREEZE.format(noqa=""))
    write(tmp_path / "notebooks" / "explore.py", FREEZE.format(noqa=""))
    result = run_ftlint("check", "--output-format", "json", str(tmp_path))
    assert codes_by_file(result) == {"train.py": {"FT001"}}
    # CLI flags override the file's selection.
    overridden = run_ftlint("check", "--select", "FT002", "--output-format", "json", str(tmp_path))
    assert codes_by_file(overridden) == {}
    extended = run_ftlint(
        "check", "--extend-select", "FT002", "--output-format", "json", str(tmp_path)
    )
    assert codes_by_file(extended) == {"train.py": {"FT001"}}  # ignore still wins, as in ruff
    # Explicitly named excluded files stay excluded (the pre-commit case).
    explicit = run_ftlint(
        "check", "--output-format", "json", str(tmp_path / "legacy" / "old.py"), cwd=tmp_path
    )
    assert codes_by_file(explicit) == {}


def test_nearest_pyproject_wins_and_config_flag(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.ftlint]\nselect = ["FT002"]\n')
    write(tmp_path / "sub" / "pyproject.toml", '[tool.ftlint]\nselect = ["FT001"]\n')
    write(tmp_path / "sub" / "train.py", FREEZE.format(noqa="") + TRAIN_BN.format(noqa=""))
    nearest = run_ftlint("check", "--output-format", "json", str(tmp_path / "sub"))
    assert codes_by_file(nearest) == {"train.py": {"FT001"}}
    write(tmp_path / "ftlint.toml", 'select = ["FT002"]\n')
    explicit = run_ftlint("check", "--config", str(tmp_path / "ftlint.toml"), "--output-format",
                          "json", str(tmp_path / "sub"))  # fmt: skip
    assert codes_by_file(explicit) == {"train.py": {"FT002"}}


def test_bad_config_is_a_usage_error(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.ftlint]\nselct = ["FT001"]\n')
    write(tmp_path / "a.py", "x = 1\n")
    typo = run_ftlint("check", str(tmp_path))
    assert typo.returncode == 2 and "unknown option(s) selct" in typo.stderr
    write(tmp_path / "pyproject.toml", '[tool.ftlint]\nselect = ["FT77"]\n')
    unknown = run_ftlint("check", str(tmp_path))
    assert unknown.returncode == 2 and "unknown rule selector `FT77`" in unknown.stderr
    write(tmp_path / "pyproject.toml", "[tool.ftlint\n")
    broken = run_ftlint("check", str(tmp_path))
    assert broken.returncode == 2 and "cannot read configuration" in broken.stderr
    assert "Traceback" not in typo.stderr + unknown.stderr + broken.stderr


def test_discovery_skips_venvs_caches_build_and_gitignored(tmp_path):
    body = FREEZE.format(noqa="")
    for skipped in [".venv/lib/a.py", "venv/b.py", "__pycache__/c.py", "build/d.py", "dist/e.py",
                    ".git/f.py", "custom_env/g.py", "ignored_dir/h.py", "ignored_file.py"]:
        write(tmp_path / skipped, body)  # fmt: skip
    (tmp_path / "custom_env" / "pyvenv.cfg").write_text("home = /usr\n")
    write(tmp_path / "kept.py", body)
    write(tmp_path / "stub.pyi", body)
    write(tmp_path / "notes.txt", body)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("ignored_dir/\nignored_file.py\n")
    result = run_ftlint("check", "--output-format", "json", str(tmp_path))
    assert set(codes_by_file(result)) == {"kept.py", "stub.pyi"}


@pytest.mark.parametrize(
    ("pyproject", "error"),
    [
        (
            b'[tool.ftlint]\nper-file-ignores = { "tests/*" = ["FT999"] }\n',
            "Error: {pyproject}: per-file-ignores `tests/*`: unknown rule selector `FT999`",
        ),
        (
            '[tool.ftlint]\n# r\xe9glage\nselect = ["FT001"]\n'.encode("latin-1"),
            "Error: {pyproject}: cannot read configuration: 'utf-8' codec can't decode byte 0xe9 "
            "in position 17: invalid continuation byte",
        ),
    ],
    ids=["unknown-code-in-per-file-ignores", "not-utf-8"],
)
def test_configuration_errors_exit_2_without_a_traceback(tmp_path, pyproject, error):
    (tmp_path / "pyproject.toml").write_bytes(pyproject)
    write(tmp_path / "tests" / "a.py", AMBIGUOUS_FREEZE)
    result = run_ftlint("check", str(tmp_path))
    assert (result.returncode, result.stderr.splitlines()[-1], result.stdout) == (
        2,
        error.format(pyproject=tmp_path / "pyproject.toml"),
        "",
    )


def test_a_valid_per_file_ignore_applies(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.ftlint]\nper-file-ignores = { "tests/*" = ["FT001"] }\n')
    write(tmp_path / "tests" / "a.py", AMBIGUOUS_FREEZE)
    result = run_ftlint("check", str(tmp_path))
    assert (result.returncode, result.stdout, result.stderr) == (0, "All checks passed!\n", "")
