"""The real-world verify corpus (benchmarks/verify_corpus): its data stays consistent and its runner
judges a verify report the way its README says."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from support import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CORPUS_DIR = REPO / "benchmarks" / "verify_corpus"
CORPUS = tomllib.loads((CORPUS_DIR / "corpus.toml").read_text())
FIELDS = {"name", "repo", "commit", "path", "kind", "args", "expected", "note"}
OPTIONAL = {"env", "timeout", "blocker"}


def test_every_entry_is_complete_and_its_counts_add_up():
    entries = CORPUS["entry"]
    assert len(entries) >= 30
    assert len({entry["name"] for entry in entries}) == len(entries)
    for entry in entries:
        assert FIELDS <= entry.keys() <= FIELDS | OPTIONAL, entry["name"]
        assert re.fullmatch(r"[0-9a-f]{40}", entry["commit"]), entry["name"]
        assert entry["kind"] == ("notebook" if entry["path"].endswith(".ipynb") else "script")
        for model in entry["expected"]:
            assert model["total"] == model["trainable"] + model["frozen"], entry["name"]


def test_readme_clones_every_repository_at_its_commit():
    readme = (CORPUS_DIR / "README.md").read_text()
    cloned = set(re.findall(r"^clone (\S+) ([0-9a-f]{40})", readme, re.MULTILINE))
    assert cloned == {(entry["repo"], entry["commit"]) for entry in CORPUS["entry"]}


# What a verify run printed, per entry of the fake corpus below: the runner only reads the report.
REPORTS = {
    "exact": {"targets": [{"total": 4, "scenarios": [
        {"as_written": False, "trainable": 0, "frozen": 4},
        {"as_written": True, "trainable": 2, "frozen": 2}]}], "error": None},
    "wrong": {"targets": [{"total": 4, "scenarios": [
        {"as_written": True, "trainable": 4, "frozen": 0}]}], "error": None},
    "missing": {"targets": [{"total": 5, "scenarios": [
        {"as_written": True, "trainable": 5, "frozen": 0}]}], "error": None},
    "error": {"targets": [], "error": "line 3: ImportError: no module named x\nmore"},
    "partial": {"targets": [{"total": 4, "scenarios": [
        {"as_written": True, "trainable": 4, "frozen": 0}]}], "error": "line 9: OSError: no file"},
}  # fmt: skip


def test_runner_outcomes(tmp_path: Path):
    checkout = tmp_path / "verify" / "o+r"
    checkout.mkdir(parents=True)
    for name in REPORTS:
        (checkout / f"{name}.py").write_text("")
    fake = tmp_path / "fake_ftlint.py"
    fake.write_text(textwrap.dedent(f"""
        import json, sys
        reports = {REPORTS!r}
        print(json.dumps({{"files": [reports[sys.argv[4].removesuffix(".py")]]}}))
    """))  # fmt: skip
    entries = "".join(
        f'[[entry]]\nname = "{name}"\nrepo = "o/r"\ncommit = "{"0" * 40}"\npath = "{name}.py"\n'
        'kind = "script"\nargs = []\nexpected = [{ total = 4, trainable = 2, frozen = 2 }]\n'
        'note = ""\n'
        for name in REPORTS
    )
    (tmp_path / "corpus.toml").write_text(entries)
    output = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(CORPUS_DIR / "run.py"), "--corpus", str(tmp_path / "corpus.toml"),
         "--checkouts", str(tmp_path / "verify"), "--ftlint-cmd", f"{sys.executable} {fake}",
         "--output", str(tmp_path / "results.md"), "--json", str(output)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    outcomes = {result["name"]: result["outcome"] for result in json.loads(output.read_text())}
    assert outcomes == {
        "exact": "exact",
        "wrong": "wrong counts",
        "missing": "missing model",
        "error": "could not verify: line 3: ImportError: no module named x",
        "partial": "could not verify: line 9: OSError: no file",
    }
    assert done.stdout.splitlines()[-1] == (
        "Exact: 1/5 (20 %); without the known blockers 1/5 (20 %)"
    )


def test_runner_outcome_when_verify_prints_no_report(tmp_path: Path):
    checkout = tmp_path / "verify" / "o+r"
    checkout.mkdir(parents=True)
    (tmp_path / "corpus.toml").write_text(
        f'[[entry]]\nname = "crash"\nrepo = "o/r"\ncommit = "{"0" * 40}"\npath = "a.py"\n'
        'kind = "script"\nargs = ["--x"]\nexpected = [{ total = 1, trainable = 1, frozen = 0 }]\n'
        'note = ""\nblocker = "needs a GPU"\n'
    )
    output = tmp_path / "results.json"
    subprocess.run(
        [sys.executable, str(CORPUS_DIR / "run.py"), "--corpus", str(tmp_path / "corpus.toml"),
         "--checkouts", str(tmp_path / "verify"),
         "--ftlint-cmd", f"{sys.executable} -c \"import sys; sys.exit('boom: ' + sys.argv[-1])\"",
         "--output", str(tmp_path / "results.md"), "--json", str(output)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    [result] = json.loads(output.read_text())
    assert result["outcome"] == "could not verify: exit 1, no JSON report: boom: --x"
    assert result["blocker"] == "needs a GPU"
