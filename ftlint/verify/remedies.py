"""What the user can do when their script fails before training starts.

A failure message names where and what (``line 28: AssertionError``); for the failures a missing
environment causes — a package, a file, the network, standard input, a value only weights or
data would give — this adds what to change.
Other failures are the script's own and get no advice rather than a guess."""

from __future__ import annotations

import re
import sys

_NETWORK_ERRORS = frozenset({"URLError", "HTTPError", "gaierror", "ConnectionError"})
# Python's (and numpy's own) message for a module attribute that is not there.
_NO_MODULE_ATTRIBUTE = re.compile(r"module '([\w.]+)' has no attribute '(\w+)'")


def remedy(error: BaseException) -> str | None:
    """The remedy for ``error``, or None when the failure is the script's own."""
    if isinstance(error, ModuleNotFoundError) and error.name:
        return (
            f"install the package that provides {error.name.partition('.')[0]!r} into the Python"
            f" verify runs the script with ({sys.executable})"
        )
    if isinstance(error, ImportError):
        return (
            "a package is installed in a version other than the one the script was written for:"
            " install that version and rerun"
        )
    missing = _NO_MODULE_ATTRIBUTE.match(str(error))
    if isinstance(error, AttributeError) and missing:
        module, name = missing.groups()
        return (
            f"the installed {module} has no {name!r}: the code that asks for it was written for"
            f" another version of {module.partition('.')[0]}: install that version and rerun"
        )
    if any(kind.__name__ in _NETWORK_ERRORS for kind in type(error).__mro__):
        return (
            "verify runs without network: put what the script downloads where it looks for it"
            " (a local path or cache) and rerun"
        )
    if isinstance(error, FileNotFoundError) and error.filename:
        return (
            f"{error.filename} does not exist here: provide it, or point the script at an existing"
            " one (its arguments after `--`, or `--set NAME=VALUE` for a variable)"
        )
    if isinstance(error, AssertionError) and not str(error):  # a message says it better
        return (
            "the script's own check failed at that line (often an installed version or an"
            " argument): meet its condition and rerun"
        )
    if isinstance(error, (RuntimeError, NotImplementedError)) and "meta tensor" in str(error):
        return (
            "the script reads a value verify does not have (tensors are on `meta`; weights and"
            " data are not loaded): pin the variable computed from it with `--set NAME=VALUE`"
        )
    if isinstance(error, EOFError):
        return (
            "the script reads standard input, which verify closes: give the answer as an argument"
        )
    return None
