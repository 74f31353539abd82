"""The static path never imports torch, and the pre-commit hook works in a real repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from support import FIXTURES, REPO

TORCH_MODULES = ("torch", "torchvision", "lightning", "pytorch_lightning")


def test_import_ftlint_and_check_never_import_torch():
    script = (
        "import sys\n"
        "import ftlint\n"
        "from click.testing import CliRunner\n"
        "from ftlint.cli import main\n"
        f"result = CliRunner().invoke(main, ['check', {str(FIXTURES)!r}])\n"
        "assert result.exit_code == 1, result.output\n"
        f"print(','.join(m for m in {TORCH_MODULES!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


@pytest.fixture(scope="module")
def precommit_home(tmp_path_factory):
    return tmp_path_factory.mktemp("pre-commit-home")


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.parametrize(
    ("filename", "expected_exit"),
    [("seed_backbone_freezing.py", 1), ("clean/resnet_head_only.py", 0),
     ("seed_backbone_freezing.ipynb", 1)],  # fmt: skip
)
def test_pre_commit_try_repo(tmp_path, precommit_home, filename, expected_exit):
    pre_commit = shutil.which("pre-commit", path=os.path.dirname(sys.executable))
    assert pre_commit, "pre-commit is a test dependency"
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    shutil.copy(FIXTURES / filename, project / os.path.basename(filename))
    _git(project, "add", ".")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(precommit_home),
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "NO_COLOR": "1",
    }  # fmt: skip
    result = subprocess.run(
        [pre_commit, "try-repo", str(REPO), "ftlint", "--all-files", "--color", "never"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == expected_exit, output
    if expected_exit:
        assert "FT001" in output and "Failed" in output
    else:
        assert "Passed" in output
