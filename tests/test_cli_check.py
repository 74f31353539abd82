"""`ftlint check` end to end: real subprocess runs on the bundled fixtures and on tmp files."""

from __future__ import annotations

import json

import pytest
from support import FIXTURES, run_ftlint

SEED_CONDITION = (
    "not train_backbone or ('layer2' not in name and 'layer3' not in name and 'layer4' not in name)"
)


def test_fixtures_report_seed_condition_and_train_bn(tmp_path):
    result = run_ftlint("check", "--select", "FT001,FT002", str(FIXTURES))
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "fixtures/seed_backbone_freezing.py:11:8: FT001 [*]" in out.replace("\\", "/")
    assert "seed_backbone_freezing.ipynb:cell 1:10:8: FT001" in out
    assert SEED_CONDITION in out
    assert "lightning_backbone_finetuning.py:25:18: FT002" in out
    assert "lightning_backbone_finetuning.ipynb:cell 4:2:14: FT002" in out
    assert "Traceback" not in result.stderr


def test_clean_fixtures_exit_zero():
    result = run_ftlint("check", str(FIXTURES / "clean"))
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip() == "All checks passed!"


def test_text_output_has_source_frame(tmp_path):
    path = tmp_path / "freeze.py"
    path.write_text(
        "for name, p in model.named_parameters():\n"
        "    if not tune or 'fc' not in name and 'layer4' not in name:\n"
        "        p.requires_grad = False\n"
    )
    result = run_ftlint("check", str(path))
    lines = result.stdout.splitlines()
    assert lines[0].endswith(
        "freeze.py:2:8: FT001 [*] freeze condition mixes `or` and `and` without parentheses; "
        "Python reads it as `not tune or ('fc' not in name and 'layer4' not in name)`, so "
        "`p.requires_grad = False` runs whenever `not tune` alone is true"
    )
    assert "2 |     if not tune or 'fc' not in name and 'layer4' not in name:" in lines
    caret_line = next(line for line in lines if "^" in line)
    assert caret_line.index("^") == lines[lines.index(
        "2 |     if not tune or 'fc' not in name and 'layer4' not in name:"
    )].index("not tune")
    assert "Found 1 error." in lines
    assert "\x1b[" not in result.stdout  # no colors when not a terminal


def test_colors_when_forced(tmp_path):
    path = tmp_path / "freeze.py"
    path.write_text("for n, p in m.named_parameters():\n    p.requires_grad = a or b and c\n")
    result = run_ftlint("check", str(path), env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[" in result.stdout


def test_json_output_is_ruff_shaped(tmp_path):
    result = run_ftlint("check", "--output-format", "json", str(FIXTURES / "seed_backbone_freezing.py"))
    assert result.returncode == 1
    findings = [f for f in json.loads(result.stdout) if f["code"] == "FT001"]
    assert len(findings) == 1
    finding = findings[0]
    assert set(finding) >= {
        "code", "message", "filename", "location", "end_location", "fix", "cell", "url", "noqa_row"
    }
    assert finding["location"] == {"row": 11, "column": 8}
    assert finding["end_location"]["row"] == 11
    assert finding["cell"] is None
    assert finding["filename"].endswith("seed_backbone_freezing.py")
    assert finding["fix"]["applicability"] == "safe"
    (edit,) = finding["fix"]["edits"]
    assert edit["content"] == SEED_CONDITION
    assert edit["location"] == finding["location"]
    assert finding["url"].endswith("#ft001")


def test_json_notebook_findings_name_the_cell():
    result = run_ftlint(
        "check", "--output-format", "json", str(FIXTURES / "seed_backbone_freezing.ipynb")
    )
    finding = next(f for f in json.loads(result.stdout) if f["code"] == "FT001")
    assert finding["cell"] == 1
    assert finding["location"] == {"row": 10, "column": 8}


def test_github_annotations():
    result = run_ftlint("check", "--select", "FT001", "--output-format", "github",
                        str(FIXTURES / "seed_backbone_freezing.py"))  # fmt: skip
    (line,) = result.stdout.splitlines()
    assert line.startswith("::error title=ftlint (FT001),file=")
    assert ",line=11,col=8,endLine=11,endColumn=" in line
    assert "::fixtures/seed_backbone_freezing.py:11:8: FT001 freeze condition" in line.replace(
        "\\", "/"
    )


def test_sarif_output():
    result = run_ftlint("check", "--output-format", "sarif", str(FIXTURES))
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    rule_ids = [rule["id"] for rule in rules]
    assert rule_ids[:2] == ["FT001", "FT002"]
    assert all(rule["fullDescription"]["text"] for rule in rules)
    results = run["results"]
    assert {r["ruleId"] for r in results} >= {"FT001", "FT002"}
    for r in results:
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/") and uri.startswith("fixtures/")
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]


def test_statistics_and_quiet():
    seeds = [
        str(FIXTURES / name)
        for name in (
            "seed_backbone_freezing.py",
            "seed_backbone_freezing.ipynb",
            "lightning_backbone_finetuning.py",
            "lightning_backbone_finetuning.ipynb",
            "lightning_custom_finetuning.py",
        )
    ]
    stats = run_ftlint("check", "--statistics", "--select", "FT001,FT002", *seeds)
    rows = [line.split("\t") for line in stats.stdout.splitlines()]
    assert ["2", "FT001", "[*] ambiguous-freeze-condition"] in rows
    assert ["3", "FT002", "[ ] ignored-train-bn"] in rows
    quiet = run_ftlint("check", "-q", "--select", "FT001", str(FIXTURES / "seed_backbone_freezing.py"))
    assert "Found" not in quiet.stdout and "FT001" in quiet.stdout


def test_select_ignore_extend_select_and_exit_zero():
    target = str(FIXTURES)
    only_ft002 = run_ftlint("check", "--select", "FT002", "--output-format", "json", target)
    assert {f["code"] for f in json.loads(only_ft002.stdout)} == {"FT002"}
    ignored = run_ftlint("check", "--select", "FT001,FT002", "--ignore", "FT001", "--output-format",
                         "json", target)  # fmt: skip
    assert {f["code"] for f in json.loads(ignored.stdout)} == {"FT002"}
    extended = run_ftlint("check", "--select", "FT002", "--extend-select", "FT001",
                          "--output-format", "json", target)  # fmt: skip
    assert {f["code"] for f in json.loads(extended.stdout)} == {"FT001", "FT002"}
    exit_zero = run_ftlint("check", "--exit-zero", target)
    assert exit_zero.returncode == 0 and "FT001" in exit_zero.stdout


def test_unknown_rule_code_is_usage_error():
    result = run_ftlint("check", "--select", "FT999", str(FIXTURES / "clean"))
    assert result.returncode == 2
    assert "unknown rule selector `FT999`" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_path_is_usage_error(tmp_path):
    result = run_ftlint("check", str(tmp_path / "nope.py"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_rules_and_rule_docs():
    listing = run_ftlint("rules")
    assert listing.returncode == 0
    assert "FT001  ambiguous-freeze-condition" in listing.stdout
    docs = run_ftlint("rule", "ft001")
    assert docs.returncode == 0
    for section in ("### What it does", "### Why is this bad?", "### Example", "### Fix"):
        assert section in docs.stdout
    unknown = run_ftlint("rule", "FT999")
    assert unknown.returncode == 2 and "unknown rule code" in unknown.stderr


def test_python_dash_m_and_default_path(tmp_path):
    (tmp_path / "a.py").write_text("print('hello')\n")
    result = run_ftlint("check", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == "All checks passed!"


def test_notebook_fixtures_exhibit_every_static_rule():
    notebooks = sorted(str(path) for path in FIXTURES.glob("*.ipynb"))
    result = run_ftlint("check", "--no-cache", "--output-format", "json", *notebooks)
    findings = json.loads(result.stdout)
    assert {f["code"] for f in findings} == {f"FT{n:03d}" for n in range(1, 11)}
    assert all(f["cell"] is not None for f in findings)
    clean = run_ftlint("check", "--no-cache", str(FIXTURES / "clean" / "resnet_head_only.ipynb"))
    assert clean.returncode == 0


@pytest.mark.parametrize("select", ["", ",", " , "])
def test_select_naming_no_code_is_a_usage_error(select):
    result = run_ftlint("check", "--select", select, str(FIXTURES / "clean"))
    assert (result.returncode, result.stderr.splitlines()[-1], result.stdout) == (
        2,
        "Error: --select names no code; `ftlint rules` lists them",
        "",
    )


def test_select_naming_a_code_runs_it():
    result = run_ftlint("check", "--select", "FT001,", "--output-format", "json", str(FIXTURES))
    assert (result.returncode, {f["code"] for f in json.loads(result.stdout)}) == (1, {"FT001"})
