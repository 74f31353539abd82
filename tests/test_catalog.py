"""The catalog is the single truth about codes: every code has docs, examples and an
implementation, its examples produce it, and no module reports a code the catalog lacks.
Tests are generated from each check's own VALID and INVALID examples (as Fixit 2 does)."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import pytest
from click.testing import CliRunner

import ftlint
from ftlint.catalog import CATALOG, CHECKS, CONFIG_RULES, RULES, SELECTABLE, SIMULATED_CHECKS
from ftlint.check import Check, Command, Invalid, Valid
from ftlint.cli import main
from ftlint.config import Settings
from ftlint.configfiles.rule import ConfigRule
from ftlint.diagnostics import Diagnostic, Finding
from ftlint.engine import lint_source
from ftlint.fixer import apply_fixes
from ftlint.input_checks import InternalError
from ftlint.reporting import render_rule_markdown, render_sarif, rule_url
from ftlint.rules.base import Rule
from ftlint.runner import check_paths
from ftlint.sources import SourceFile
from ftlint.verify.pipeline import verify_file
from ftlint.verify.runtime_check import RuntimeCheck, SimulatedCheck
from ftlint.verify.verified import VerifiedFile

PACKAGE = Path(ftlint.__file__).parent
# Only a bug in ftlint produces FT902: tests/checks/test_ft902_internal_error.py injects one.
WITHOUT_EXAMPLES = {InternalError}


def _examples(kind: str) -> list[object]:
    return [
        pytest.param(check, example, id=f"{check.code}-{kind.lower()}-{index}")
        for check in CHECKS
        for index, example in enumerate(getattr(check, kind))
    ]


def diagnostics_of(
    check: type[Check], source: str, tmp_path: Path, filename: str = "example.py"
) -> list[Diagnostic]:
    """What the command that finds ``check`` reports on ``source`` in a file named ``filename``,
    with only that check selected (the FT9xx diagnostics are always on)."""
    if issubclass(check, Rule):
        return lint_source(SourceFile(Path(filename), filename, source, source.encode()), [check])
    path = tmp_path / filename
    path.write_text(source)
    settings = Settings(root=tmp_path)
    if issubclass(check, ConfigRule):  # the whole `check` path: discovery, triage, YAML
        return check_paths([path], settings, {check.code}, jobs=1).diagnostics
    if check.command is Command.VERIFY:
        result = verify_file(path, settings, {check.code}, {})
        assert result.error is None, result.error
        return result.diagnostics
    return check_paths([path], settings, set(SELECTABLE), jobs=1).diagnostics


def findings_of(check: type[Check], example: Valid | Invalid, tmp_path: Path) -> list[tuple[str, int]]:
    found = diagnostics_of(check, example.source, tmp_path, example.filename)
    return [(d.code, d.location.row) for d in found]


@pytest.mark.parametrize(("check", "example"), _examples("VALID"))
def test_valid_example_has_no_finding(check: type[Check], example: Valid, tmp_path: Path) -> None:
    assert findings_of(check, example, tmp_path) == []


@pytest.mark.parametrize(("check", "example"), _examples("INVALID"))
def test_invalid_example_is_reported(
    check: type[Check], example: Invalid, tmp_path: Path
) -> None:
    found = findings_of(check, example, tmp_path)
    assert found, f"{check.code} did not report:\n{example.source}"
    assert {code for code, _ in found} == {check.code}
    if example.line is not None:
        assert example.line in {row for _, row in found}


@pytest.mark.parametrize(
    ("check", "example"),
    [p for p in _examples("INVALID") if p.values[1].message_contains is not None],
)
def test_invalid_example_message(check: type[Check], example: Invalid, tmp_path: Path) -> None:
    messages = [
        d.message for d in diagnostics_of(check, example.source, tmp_path, example.filename)
    ]
    assert any(example.message_contains in message for message in messages), messages


@pytest.mark.parametrize(
    ("check", "example"),
    [p for p in _examples("INVALID") if p.values[1].replacement is not None],
)
def test_invalid_example_fix(check: type[Rule], example: Invalid) -> None:
    text = SourceFile(Path("example.py"), "example.py", example.source, example.source.encode())
    fixed, applied = apply_fixes(example.source, lint_source(text, [check]), unsafe=True)
    assert applied
    assert fixed == example.replacement
    ast.parse(fixed)


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.code)
def test_check_has_docs_examples_and_implementation(check: type[Check]) -> None:
    body = check.docs().body
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Fix"):
        assert section in body, f"{check.code} docs lack {section}"
    assert check.name and check.summary
    assert check.is_implemented(), f"{check.code} is documented but nothing finds it"
    if check not in WITHOUT_EXAMPLES:
        assert check.VALID and check.INVALID, f"{check.code} has no examples"
    for needed in check.needs:
        assert needed in CATALOG


@pytest.mark.parametrize("rule", RULES + CONFIG_RULES, ids=lambda rule: rule.code)
def test_triage_admits_every_invalid_example(rule: type[Rule | ConfigRule]) -> None:
    # The prefilter must never hide a finding: every INVALID example holds a required token.
    assert rule.required_tokens
    for example in rule.INVALID:
        assert any(token in example.source for token in rule.required_tokens)


def test_docs_without_logic_are_caught() -> None:
    class DocsOnly(RuntimeCheck):
        code = "FT199"

    class Found(DocsOnly):
        @classmethod
        def find(cls, verified: VerifiedFile) -> Iterator[Finding]:
            return iter(())

    class DocsOnlyRule(Rule):
        code = "FT099"

    class VisitingRule(DocsOnlyRule):
        def visit_Name(self, node: cst.Name) -> None:
            pass

    class UnknownSimulator(SimulatedCheck):
        code = "FT198"
        simulator = "ftlint.no_such_simulator"

    assert [c.is_implemented() for c in (DocsOnly, Found, DocsOnlyRule, VisitingRule)] == [
        False,
        True,
        False,
        True,
    ]
    assert not UnknownSimulator.is_implemented()
    assert all(check.is_implemented() for check in SIMULATED_CHECKS)


def test_codes_are_unique_in_order_and_families() -> None:
    codes = [check.code for check in CHECKS]
    assert len(codes) == len(set(codes))
    assert codes == sorted(codes)
    assert all(re.fullmatch(r"FT\d{3}", code) for code in codes)
    # Static checks of Python files are FT0xx, of configuration files FT2xx.
    families = {Command.CHECK: ("FT0", "FT2"), Command.VERIFY: ("FT1",), Command.ANY: ("FT9",)}
    assert all(check.code.startswith(families[check.command]) for check in CHECKS)
    assert SELECTABLE == tuple(code for code in codes if not code.startswith("FT9"))


def _check_classes_defined_in_package() -> dict[str, str]:
    """Every concrete Check subclass the package defines: code -> module."""
    found: dict[str, str] = {}
    for info in pkgutil.walk_packages([str(PACKAGE)], prefix="ftlint."):
        if info.name == "ftlint.__main__":
            continue  # runs the command line
        if info.name.startswith("ftlint.lightning.") and info.name != (
            "ftlint.lightning.ft108_train_bn_phase_mismatch"
        ):
            continue  # the rest imports Lightning; the catalog module is checked by name below
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Check)
                and value.__module__ == info.name
                and "code" in vars(value)
            ):
                found[value.code] = info.name
    return found


def test_every_check_class_is_in_the_catalog() -> None:
    defined = _check_classes_defined_in_package()
    assert set(defined) == set(CATALOG)
    # One module per check, named after it: ftNNN_<name>.py.
    for code, module in defined.items():
        check = CATALOG[code]
        if module != "ftlint.input_checks":
            expected = f"{code.lower()}_{check.name.replace('-', '_')}"
            assert module.rsplit(".", 1)[1] == expected, (code, module)


def test_no_code_is_reported_outside_the_catalog() -> None:
    """A code written anywhere in the package's source is a catalog code."""
    written = {
        code
        for path in PACKAGE.rglob("*.py")
        for code in re.findall(r"\bFT\d{3}\b", path.read_text())
    }
    # FT0xx/FT1xx prefixes in prose (FT1xx) do not match \d{3}; FT003-style codes must exist.
    assert written - set(CATALOG) == set()


def test_every_listing_is_the_catalog() -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["rules"]).output.splitlines()
    assert [line.split()[0] for line in listed] == list(CATALOG)
    for code, check in CATALOG.items():
        shown = runner.invoke(main, ["rule", code.lower()])
        assert (shown.exit_code, shown.output) == (0, render_rule_markdown(check.docs()) + "\n")
    sarif = json.loads(render_sarif([]))
    assert [rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]] == list(CATALOG)
    # What JSON output links to, known without importing the catalog.
    assert [code for code in ["FT000", *CATALOG, "FT999"] if rule_url(code)] == list(CATALOG)
