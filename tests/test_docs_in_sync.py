"""Generated docs and the README's commands stay true."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

from support import REPO, run_ftlint

from ftlint.catalog import CHECKS
from ftlint.diagnostics import Applicability
from ftlint.sources import read_source

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


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


def test_readme_says_what_the_first_set_up_command_prints_and_its_exit_code():
    result = run_ftlint("check", "--no-cache", "fixtures/", cwd=REPO)
    [summary] = [line for line in result.stdout.splitlines() if line.startswith("Found ")]
    readme = " ".join((REPO / "README.md").read_text().split())
    assert result.returncode == 1
    assert f'prints "{summary}" and exits with code 1, which is the expected result' in readme


def _fixture_imports() -> set[str]:
    """The third-party packages the bundled fixtures import."""
    names: set[str] = set()
    for path in sorted((REPO / "fixtures").rglob("*")):
        if path.suffix in {".py", ".ipynb"}:
            for node in ast.walk(ast.parse(read_source(path, path.name).text)):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names)


def test_the_all_extra_installs_every_package_the_fixtures_import():
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    installed = {re.match(r"[\w.-]+", requirement).group() for requirement in extras["all"]}
    assert _fixture_imports() == installed
    assert installed == {"torch", "torchvision", "lightning", "transformers", "timm"}
    assert '`pip install "ftlint[all]"`' in (REPO / "README.md").read_text()


def test_readme_peft_example_prints_what_the_readme_shows():
    readme = (REPO / "README.md").read_text()
    section = readme.split("### Hugging Face transformers and peft", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (0, shown), result.stderr
