"""A script that fails before training names where, what, the library it failed in, and — when
the environment is the cause — what to change."""

from __future__ import annotations

import sys

import pytest


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (
            "import absent_package.sub\n",
            (
                "line 1: ModuleNotFoundError: No module named 'absent_package'; install the package"
                f" that provides 'absent_package' into the Python verify runs the script with"
                f" ({sys.executable})"
            ),
        ),
        (
            "from torch import no_such_name\n",
            (
                "line 1: ImportError: cannot import name 'no_such_name' from 'torch' ({torch}); a"
                " package is installed in a version other than the one the script was written for:"
                " install that version and rerun"
            ),
        ),
        (
            "labels = open('/data/model.yaml').read()\n",
            (
                "line 1: FileNotFoundError: [Errno 2] No such file or directory: '/data/model.yaml';"
                " /data/model.yaml does not exist here: provide it, or point the script at an"
                " existing one (its arguments after `--`, or `--set NAME=VALUE` for a variable)"
            ),
        ),
        (
            "import torch\nassert torch.__version__ == '0.4.1'\n",
            (
                "line 2: AssertionError; the script's own check failed at that line (often an"
                " installed version or an argument): meet its condition and rerun"
            ),
        ),
        (
            # what urllib raises when verify's network namespace refuses a download
            "import urllib.error\nraise urllib.error.URLError('[Errno 101] Network is unreachable')\n",
            (
                "line 2: URLError: <urlopen error [Errno 101] Network is unreachable>;"
                " verify runs without network: put what the script downloads where it looks for it"
                " (a local path or cache) and rerun"
            ),
        ),
    ],
    ids=["module", "import", "file", "assert", "network"],
)
def test_an_environment_failure_names_its_remedy(verify_code, code, error):
    import torch

    result = verify_code(code)
    assert result.error == error.replace("{torch}", torch.__file__)


def test_an_attribute_error_of_the_scripts_own_object_gets_no_advice(verify_code):
    result = verify_code("import torch\nlayer = torch.nn.Linear(2, 3)\nlayer.classifier.weight\n")
    assert result.error == (
        "line 3: AttributeError: 'Linear' object has no attribute 'classifier'; the models built"
        " before it are shown as they stood"
    )


def test_the_scripts_own_error_gets_no_advice(verify_code):
    result = verify_code("import torch\nlayer = torch.nn.Linear(2, int('two'))\n")
    assert result.error == "line 2: ValueError: invalid literal for int() with base 10: 'two'"


def test_an_error_raised_inside_a_library_names_the_module_that_called_it(verify_code, tmp_path):
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("import torch\nKIND = torch.float128\n")
    result = verify_code("import helpers\n")
    assert result.error == (
        "line 1 (in helpers/__init__.py:2): AttributeError: module 'torch' has no attribute"
        " 'float128'; the installed torch has no 'float128': the code that asks for it was written"
        " for another version of torch: install that version and rerun"
    )


def test_an_error_raised_in_the_script_itself_names_no_library(verify_code):
    result = verify_code("import torch\nKIND = torch.float128\n")
    assert result.error == (
        "line 2: AttributeError: module 'torch' has no attribute 'float128'; the installed torch"
        " has no 'float128': the code that asks for it was written for another version of torch:"
        " install that version and rerun"
    )
