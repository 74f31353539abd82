"""The result cache: what it stores, when it is read, and that it never breaks a run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from support import FIXTURES, run_ftlint

from ftlint.cache import CatalogIndex, ResultCache, build_id, catalog_index
from ftlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location

FINDING = FIXTURES / "seed_backbone_freezing.py"
DIAGNOSTIC = Diagnostic(
    "FT001",
    "freeze condition mixes `or` and `and`",
    "old/name.ipynb",
    Location(3, 8),
    Location(3, 40),
    Fix(
        Applicability.SAFE,
        "Add parentheses",
        (Edit("(a and b)", 10, 17, Location(3, 8), Location(3, 15)),),
    ),
    cell=2,
    noqa_row=12,
)


def test_an_entry_gives_back_the_diagnostics_at_the_new_path(tmp_path):
    cache = ResultCache(tmp_path)
    key = cache.key(b"source", ".ipynb", {"FT001"})
    cache.store(key, [DIAGNOSTIC])
    [loaded] = cache.load(key, "new/name.ipynb")
    assert loaded == replace(DIAGNOSTIC, filename="new/name.ipynb")
    assert loaded.noqa_row == DIAGNOSTIC.noqa_row
    assert (tmp_path / build_id() / key).is_file()
    assert (tmp_path / ".gitignore").read_text() == "*\n"


def test_the_key_covers_bytes_kind_and_rules():
    key = ResultCache.key(b"x = 1\n", ".py", {"FT001", "FT002"})
    assert key == ResultCache.key(b"x = 1\n", ".py", ["FT002", "FT001"])
    assert key != ResultCache.key(b"x = 2\n", ".py", {"FT001", "FT002"})
    assert key != ResultCache.key(b"x = 1\n", ".ipynb", {"FT001", "FT002"})
    assert key != ResultCache.key(b"x = 1\n", ".py", {"FT001"})


def test_a_damaged_entry_is_a_miss(tmp_path):
    cache = ResultCache(tmp_path)
    for number, content in enumerate([b"", b"{not json", b'[{"code": "FT001"}]', b"{}"]):
        key = cache.key(str(number).encode(), ".py", {"FT001"})
        (tmp_path / build_id()).mkdir(exist_ok=True)
        (tmp_path / build_id() / key).write_bytes(content)
        assert cache.load(key, "a.py") is None


def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    cache = ResultCache(tmp_path)
    key = cache.key(b"source", ".py", {"FT001"})
    cache.store(key, [])  # creates the directory

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    cache.store(cache.key(b"other", ".py", {"FT001"}), [DIAGNOSTIC])
    assert sorted(path.name for path in (tmp_path / build_id()).iterdir()) == [key]


def test_an_unusable_cache_directory_does_not_fail_the_run(tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be")
    result = run_ftlint("check", str(FINDING), env={"FTLINT_CACHE_DIR": str(blocker)})
    assert result.returncode == 1 and "FT001" in result.stdout, result.stderr


def _only_finding_entry(cache_dir):
    """The one entry in ``cache_dir`` that holds findings."""
    [directory] = [d for d in cache_dir.iterdir() if d.is_dir()]
    entries = [e for e in directory.iterdir() if e.name != "rules.json" and e.read_bytes() != b"[]"]
    assert len(entries) == 1, entries
    return entries[0]


def test_later_runs_read_the_cache_until_the_file_changes(tmp_path):
    env = {"FTLINT_CACHE_DIR": str(tmp_path / "cache")}
    target = tmp_path / "train.py"
    target.write_bytes(FINDING.read_bytes())
    first = run_ftlint("check", "--output-format", "json", str(target), env=env)
    entry = _only_finding_entry(tmp_path / "cache")
    stored = json.loads(entry.read_bytes())
    assert "FT001" in {d["code"] for d in stored}
    entry.write_text(json.dumps([{**d, "message": "from the cache"} for d in stored]))

    def messages(*options: str) -> set[str]:
        result = run_ftlint("check", "--output-format", "json", *options, str(target), env=env)
        return {d["message"] for d in json.loads(result.stdout)}

    assert messages() == {"from the cache"}
    assert messages("--no-cache") == {d["message"] for d in json.loads(first.stdout)}
    target.write_bytes(FINDING.read_bytes() + b"# edited\n")
    assert messages() == {d["message"] for d in json.loads(first.stdout)}


def test_concurrent_runs_agree_and_leave_no_temporary_files(tmp_path):
    env = {**os.environ, "NO_COLOR": "1", "FTLINT_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "ftlint", "check", "--jobs", "2", str(FIXTURES)]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE) for _ in range(3)]
    outputs = {run.communicate(timeout=300)[0] for run in runs}
    assert len(outputs) == 1 and b"FT001" in outputs.pop()
    assert not list((tmp_path / "cache").rglob(".tmp-*"))


def _stored_index(cache: Path) -> Path:
    (path,) = cache.glob("*/rules.json")
    return path


@pytest.mark.parametrize(
    "edit",
    [
        lambda stored: {**stored, "index": {**stored["index"], "rules": []}},
        lambda stored: stored["index"],  # the layout of an older build
        lambda stored: {**stored, "digest": None},
    ],
    ids=["rules-emptied", "unsealed", "seal-removed"],
)
def test_an_edited_catalog_index_is_rebuilt_not_trusted(tmp_path, monkeypatch, edit):
    monkeypatch.setenv("FTLINT_CACHE_DIR", str(tmp_path))
    catalog = CatalogIndex.from_catalog()
    assert catalog_index() == catalog
    path = _stored_index(tmp_path)
    stored = json.loads(path.read_text())
    path.write_text(json.dumps(edit(stored)))
    assert catalog_index() == catalog
    assert json.loads(path.read_text()) == stored


def test_an_intact_catalog_index_is_read_without_the_catalog(tmp_path, monkeypatch):
    monkeypatch.setenv("FTLINT_CACHE_DIR", str(tmp_path))
    catalog = catalog_index()

    def no_catalog() -> CatalogIndex:
        raise AssertionError("the catalog was imported")

    monkeypatch.setattr(CatalogIndex, "from_catalog", staticmethod(no_catalog))
    assert catalog_index() == catalog


def test_check_with_an_edited_catalog_index_still_runs_every_rule(tmp_path):
    env = {"FTLINT_CACHE_DIR": str(tmp_path / "cache")}
    before = run_ftlint("check", "--no-cache", str(FINDING), env=env)
    path = _stored_index(tmp_path / "cache")
    stored = json.loads(path.read_text())
    path.write_text(json.dumps({**stored, "index": {**stored["index"], "rules": []}}))
    after = run_ftlint("check", "--no-cache", str(FINDING), env=env)
    assert (after.returncode, after.stdout) == (before.returncode, before.stdout)
    assert before.returncode == 1


@pytest.mark.parametrize(
    ("line", "cached"),
    [("self._base_model_prefix = 'model'\n", True), ("_base_ = './base.py'\n", False)],
    ids=["other-name", "inherits"],
)
def test_only_a_file_naming_base_skips_the_cache(tmp_path, line, cached):
    """A config naming `_base_` depends on other files, so its result is never stored; a file
    where `_base_` only starts a longer name is an ordinary file."""
    env = {"FTLINT_CACHE_DIR": str(tmp_path / "cache")}
    target = tmp_path / "train.py"
    target.write_bytes(line.encode() + FINDING.read_bytes())
    run_ftlint("check", "--output-format", "json", str(target), env=env)
    [directory] = [d for d in (tmp_path / "cache").iterdir() if d.is_dir()]
    stored = [e for e in directory.iterdir() if e.name != "rules.json"]
    assert len(stored) == int(cached), stored


def test_a_run_over_many_files_reads_every_hit_whether_warm_partly_or_mostly_edited(tmp_path):
    # Enough files for worker processes: a warm run looks files up in the main process, a run
    # that mostly misses hands the rest to the pool; either way every hit is read and every
    # edited file linted again.
    env = {"FTLINT_CACHE_DIR": str(tmp_path / "cache")}
    project = tmp_path / "project"
    project.mkdir()
    files = [project / f"train_{index:03}.py" for index in range(80)]
    for index, path in enumerate(files):  # each its own content, so its own entry
        path.write_bytes(FINDING.read_bytes() + f"# {index}\n".encode())
    args = ("check", "--output-format", "json", "--jobs", "2", str(project))

    def messages_by_file() -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for diagnostic in json.loads(run_ftlint(*args, env=env).stdout):
            found.setdefault(Path(diagnostic["filename"]).name, set()).add(diagnostic["message"])
        return found

    fresh = messages_by_file()
    assert sorted(fresh) == [path.name for path in files]
    [directory] = [d for d in (tmp_path / "cache").iterdir() if d.is_dir()]
    entries = [entry for entry in directory.iterdir() if entry.name != "rules.json"]
    assert len(entries) == len(files)
    for entry in entries:
        stored = json.loads(entry.read_bytes())
        entry.write_text(json.dumps([{**d, "message": "from the cache"} for d in stored]))
    cached = {"from the cache"}
    assert messages_by_file() == dict.fromkeys(fresh, cached)
    for edited in (3, 70):
        for path in files[:edited]:
            path.write_bytes(path.read_bytes() + b"# edited\n")
        assert messages_by_file() == {
            path.name: fresh[path.name] if index < edited else cached
            for index, path in enumerate(files)
        }
