"""Generated docs and the README's commands stay true."""

from __future__ import annotations

import re

from support import REPO, run_ftlint

from ftlint.catalog import CHECKS
from ftlint.diagnostics import Applicability


def test_docs_rules_md_is_generated_from_the_rules():
    generated = run_ftlint("rules", "--output-format", "markdown").stdout
    assert (REPO / "docs" / "rules.md").read_text() == generated, (
        "regenerate: ftlint rules --output-format markdown > docs/rules.md"
    )


def test_readme_rule_table_is_the_catalog():
    readme = (REPO / "README.md").read_text()
    rows = re.findall(r"^\| \[FT\d{3}\].*$", readme, flags=re.MULTILINE)
    fixes = {None: "—", Applicability.SAFE: "safe", Applicability.UNSAFE: "unsafe"}
    assert rows == [
        f"| [{check.code}](docs/rules.md#{check.code.lower()}) | {check.name} |"
        f" {check.command.value} | {check.summary} | {fixes[check.fix]} |"
        for check in CHECKS
    ]


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    ci_command = (REPO / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci_command in readme
