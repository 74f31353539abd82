"""What each entry point imports: `import ftlint` never imports torch, `ftlint check` never does,
nor does `ftlint verify` outside its child, and checking a file no rule can match does not
import libcst (0.2-0.4 s) either."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from support import FIXTURES

from ftlint import runner
from ftlint.runner import POOL_MIN_FILES

HEAVY = ["libcst", "torch"]


def heavy_probe(statement: str) -> str:
    """A program running ``statement``, then printing the heavy packages it imported."""
    return (
        f"import json, sys\n{statement}\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )


def heavy_imports(statement: str, env: dict[str, str] | None = None) -> list[str]:
    """The heavy packages a fresh interpreter has imported after running ``statement``."""
    result = subprocess.run(
        [sys.executable, "-c", heavy_probe(statement)], capture_output=True, text=True, env=env, timeout=300,
        check=True,
    )  # fmt: skip
    return json.loads(result.stdout.splitlines()[-1])


def run_check(path) -> str:
    """A statement running ``ftlint check`` on ``path`` in-process."""
    return (
        "from ftlint.cli import main\n"
        f"try:\n    main(['check', '--no-cache', {str(path)!r}])\nexcept SystemExit:\n    pass"
    )


def check_env(tmp_path) -> dict[str, str]:
    return {"FTLINT_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}


def heavy_imports_of_check(tmp_path, path) -> list[str]:
    return heavy_imports(run_check(path), check_env(tmp_path))


@pytest.mark.parametrize("module", ["ftlint", "ftlint.cli", "ftlint.runner", "ftlint.triage"])
def test_importing_ftlint_imports_neither_torch_nor_libcst(module):
    assert heavy_imports(f"import {module}") == []


def test_a_file_no_rule_can_match_never_imports_libcst(tmp_path):
    plain = tmp_path / "plain.py"
    plain.write_text("def add(a, b):\n    return a + b\n")
    heavy_imports_of_check(tmp_path, plain)  # the first run stores the rule catalog
    assert heavy_imports_of_check(tmp_path, plain) == []
    # Mentions `parameters(`, so passes FT001's tokens, but has no `and`/`or` for its shape.
    tokens_only = tmp_path / "count.py"
    tokens_only.write_text("n = sum(p.numel() for p in model.parameters())\n")
    assert heavy_imports_of_check(tmp_path, tokens_only) == []


def test_a_file_the_prefilters_clear_never_imports_libcst(tmp_path):
    # FT004's text triage admits it (a receiver used otherwise than as a parameter loop
    # variable); its prefilter, on CPython's tree, clears it: `hidden` is never a module.
    cleared = tmp_path / "layer.py"
    cleared.write_text(
        "def forward(self, hidden):\n    hidden = self.norm(hidden)\n"
        "    hidden.requires_grad = True\n    return hidden\n"
    )
    heavy_imports_of_check(tmp_path, cleared)  # the first run stores the rule catalog
    assert heavy_imports_of_check(tmp_path, cleared) == []
    # Its twin, whose receiver is a module, is parsed by libcst.
    module = tmp_path / "model.py"
    module.write_text(cleared.read_text().replace("self.norm(hidden)", "torch.nn.Linear(2, 2)")
                      .replace("def forward", "import torch\ndef forward"))  # fmt: skip
    assert heavy_imports_of_check(tmp_path, module) == ["libcst"]


def test_the_prefilters_import_no_libcst():
    from ftlint.cache import CatalogIndex

    origins = sorted({t.prefilter for t in CatalogIndex.from_catalog().rules if t.prefilter})
    modules = sorted({origin.partition(":")[0] for origin in origins})
    assert len(modules) == 11
    assert heavy_imports("\n".join(f"import {module}" for module in modules)) == []


def test_a_file_that_may_hold_a_finding_is_parsed_without_torch(tmp_path):
    path = FIXTURES / "seed_backbone_freezing.py"
    assert heavy_imports_of_check(tmp_path, path) == ["libcst"]


def test_a_file_with_a_finding_is_checked_without_libcst_matchers(tmp_path):
    """``libcst.matchers`` defines thousands of classes (0.15-0.3 s to import): rules match
    nodes with ``ftlint.analysis.nodes`` instead."""
    probe = f"import sys\n{run_check(FIXTURES / 'seed_backbone_freezing.py')}\n" + (
        "print(sorted(m for m in sys.modules if m.startswith('libcst.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=check_env(tmp_path),
        timeout=300, check=True,
    )  # fmt: skip
    imported = result.stdout.splitlines()[-1]
    assert "'libcst._nodes.module'" in imported  # the file was parsed
    assert "libcst.matchers" not in imported


def test_a_configuration_with_a_finding_imports_pyyaml_but_not_libcst(tmp_path):
    config = tmp_path / "lora.yaml"
    config.write_text("model_name_or_path: x\nfinetuning_type: lora\nfreeze_trainable_layers: 4\n")
    heavy_imports_of_check(tmp_path, config)  # the first run stores the rule catalog
    statement = run_check(config) + "\nassert 'yaml' in sys.modules"
    assert heavy_imports(statement, check_env(tmp_path)) == []
    # A Python file no rule can match does not import PyYAML.
    plain = tmp_path / "plain.py"
    plain.write_text("def add(a, b):\n    return a + b\n")
    statement = run_check(plain) + "\nassert 'yaml' not in sys.modules"
    assert heavy_imports(statement, check_env(tmp_path)) == []


def test_verify_imports_torch_only_in_its_child(tmp_path):
    """Torch costs about a second of CPU to import: the child that builds the models pays it,
    the parent that lints and prints the report does not."""
    script = tmp_path / "tiny.py"
    script.write_text("import torch\nmodel = torch.nn.Linear(2, 2)\n")
    probe = (
        "import sys\nfrom ftlint.cli import main\n"
        f"try:\n    main(['verify', {str(script)!r}])\nexcept SystemExit:\n    pass"
    )
    result = subprocess.run(
        [sys.executable, "-c", heavy_probe(probe)], capture_output=True, text=True,
        env={**os.environ, **check_env(tmp_path)}, cwd=tmp_path, timeout=300, check=True,
    )  # fmt: skip
    *report, imported = result.stdout.splitlines()
    assert report[:3] == [  # the child built the model
        "tiny.py",
        "  model = torch.nn.Linear(...) at line 2: 2 tensors, 6 elements",
        "    as written  2 trainable / 0 frozen tensors (6 / 0 elements)",
    ]
    assert json.loads(imported) == ["libcst"]  # the parent lints the file: libcst, never torch


def test_checking_in_worker_processes_leaves_libcst_to_them(tmp_path):
    """With enough files for the pool, the workers parse and the main process only gathers
    their results: importing libcst there (~0.09 s) would add to the run's wall time."""
    for index in range(POOL_MIN_FILES):
        (tmp_path / f"freeze_{index}.py").write_text(
            "for p in model.parameters():\n    p.requires_grad = not a or b and c\n"
        )
    statement = (
        "from ftlint.cli import main\n"
        f"try:\n    main(['check', '--no-cache', '--jobs', '2', {str(tmp_path)!r}])\n"
        "except SystemExit as exit:\n    assert exit.code == 1, exit.code"
    )
    heavy_imports(statement, check_env(tmp_path))  # the first run stores the rule catalog
    assert heavy_imports(statement, check_env(tmp_path)) == []


# Logs the pid of each process that imports libcst (its submodules: `importlib.util.find_spec`
# asks for `libcst` without importing it), inherited by forked workers; with DIE, the first worker
# to import it exits instead.
_LIBCST_IMPORT_WATCH = """
import os, sys
class Watch:
    def find_spec(self, name, path=None, target=None):
        if name.startswith("libcst."):
            with open(LOG, "a") as log:
                log.write(f"{os.getpid()}\\n")
            if DIE and os.getpid() != MAIN:
                try:
                    os.close(os.open(LOG + ".first", os.O_CREAT | os.O_EXCL))
                    os._exit(3)
                except FileExistsError:
                    pass
        return None
MAIN = os.getpid()
sys.meta_path.insert(0, Watch())
"""


def _libcst_importers(tmp_path, *, die: bool = False, files_per_deferral: int = 0):
    """Check 80 files, two of which only libcst can settle, one in each of the first two chunks
    (the 1st and the 17th), which the two workers take (the first takes ~0.1 s), with
    ``files_per_deferral``: the JSON findings and the worker processes that imported libcst."""
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    for index in range(80):
        freeze = "for p in model.parameters():\n    p.requires_grad = not a or b and c\n"
        (project / f"f{index:03}.py").write_text(freeze if index in (0, 16) else "x = 1\n")
    log = tmp_path / "libcst.log"
    statement = (
        _LIBCST_IMPORT_WATCH.replace("LOG", repr(str(log))).replace("DIE", repr(die))
        + "from ftlint import runner\n"
        + f"runner._FILES_PER_DEFERRAL = {files_per_deferral}\n"
        + "from ftlint.cli import main\n"
        + f"try:\n    main(['check', '--no-cache', '--jobs', '2', '--output-format', 'json', {str(project)!r}])\n"
        + "except SystemExit:\n    pass\n"
        + "print(json.dumps(MAIN))"
    )
    env = {**os.environ, **check_env(tmp_path)}
    # The first run stores the rule catalog (importing it, libcst included, in the main process).
    subprocess.run([sys.executable, "-c", heavy_probe(statement)], env=env, check=True, timeout=300,
                   capture_output=True)  # fmt: skip
    for written in (log, tmp_path / "libcst.log.first"):
        written.unlink(missing_ok=True)
    result = subprocess.run(
        [sys.executable, "-c", heavy_probe(statement)], capture_output=True, text=True, env=env,
        timeout=300, check=True,
    )  # fmt: skip
    *output, main, imported = result.stdout.splitlines()
    pids = set(log.read_text().split()) if log.exists() else set()
    if not die:  # the main process gathers results (JSON included): libcst is the workers'
        assert (json.loads(imported), main in pids) == ([], False)
    findings = [(f["filename"][-7:-3], f["code"]) for f in json.loads("\n".join(output))]
    return findings, pids - {main}


_BOTH = [(f"f{index:03}", "FT001") for index in (0, 16)]


@pytest.mark.parametrize(
    ("files_per_deferral", "importers"),
    [
        (0, 1),  # left whenever another worker claimed them
        (runner._FILES_PER_DEFERRAL, 2),  # no worker has checked enough files to call them rare
        (10**9, 2),  # never left
    ],
)
def test_files_only_libcst_can_settle_are_left_to_one_worker(tmp_path, files_per_deferral, importers):
    """Each worker meets such a file: unless such files are common in the run, the first to
    meet one imports libcst (~0.09 s) and the other leaves its file to it."""
    findings, pids = _libcst_importers(tmp_path, files_per_deferral=files_per_deferral)
    assert (findings, len(pids)) == (_BOTH, importers)


def test_a_worker_that_dies_holding_libcst_loses_no_file(tmp_path):
    """The first worker to import libcst dies there: its files are checked again, and the
    file the other left to it is checked all the same."""
    findings, _ = _libcst_importers(tmp_path, die=True)
    assert findings == _BOTH
