"""Files and downloads the script reads that are not on this machine, inside verify's child.

Scripts read a list of their samples before they build their model: ``open("train.csv")`` in a
dataset's ``__init__``, ``json.load(open("labels.json"))``, ``csv.reader``. Verify runs without
the data, so opening a missing data file (:data:`DATA_SUFFIXES`, or a path made from a stand-in)
to read gives a stand-in (:class:`ftlint.verify.stand_ins.StandIn`) that the JSON and CSV readers
pass on, and the report says which file it stood in for; the script's own reads only, installed
code expects the error it handles. A download (``urllib.request.urlretrieve``, which also runs
without network) is skipped with a note: the file stays missing, and a checkpoint read from it
is skipped like every weight file. ``torch.hub.load`` runs code from the user's hub cache
(``TORCH_HOME``), and says where to clone a repository that is not there.
"""

from __future__ import annotations

import builtins
import csv
import email.message
import functools
import io
import json
import os
import site
import sys
import sysconfig
import urllib.request
from collections.abc import Callable
from typing import Any

import torch.hub

from ftlint.verify.stand_ins import MISSING_PATH, Recorder, StandIn

# Files that hold a list of samples or labels, not code or configuration of the run itself.
DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".json", ".jsonl")
# Where installed code lives: a library opening a missing file expects the error (importlib.metadata
# reading a package's top_level.txt), a stand-in is for the script's own reads only.
_LIBRARIES = tuple(
    {*(sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib"))}
    | {site.getusersitepackages()}
)
_REMEDY = (
    "provide the file, or point the script at one (its arguments after `--`, or `--set"
    " NAME=VALUE`), to size what depends on it exactly"
)


def install(session: Callable[[], Recorder]) -> None:
    """Patch ``open``, the JSON and CSV readers, ``urlretrieve`` and ``torch.hub.load``;
    ``session()`` is the run in progress."""
    builtins.open = io.open = _stand_in_for_missing_data(builtins.open, session)
    json.loads = _passing_stand_ins(json.loads, lambda data: data)  # json.load reads through it
    rows = csv.reader  # a missing file has none; csv.DictReader reads through csv.reader too
    csv.reader = _passing_stand_ins(rows, lambda _: rows(()))
    urllib.request.urlretrieve = _skipped_download(session)
    torch.hub.load = _hub_code_or_remedy(torch.hub.load)


def _stand_in_for_missing_data(
    original: Callable[..., Any], session: Callable[[], Recorder]
) -> Callable[..., Any]:
    @functools.wraps(original)
    def open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        try:
            return original(file, mode, *args, **kwargs)
        except FileNotFoundError:
            reads = not set("wax+") & set(mode)
            if not (reads and isinstance(file, (str, os.PathLike))) or _library_reads():
                raise
            path = os.fspath(file)
            if not (path.lower().endswith(DATA_SUFFIXES) or MISSING_PATH in path):
                raise
            return session().stand_in(f"the file {path!r} is missing", _REMEDY)

    return open


def _library_reads() -> bool:
    """Whether the code opening the file (verify's wrappers of ``open`` and ``pathlib`` passed
    over: they open for their caller) is installed code rather than the script's own."""
    frame = sys._getframe(1)
    while frame.f_back is not None and _opens_for_caller(frame.f_globals.get("__name__", "")):
        frame = frame.f_back
    filename = frame.f_code.co_filename
    return filename.startswith("<") or filename.startswith(_LIBRARIES)


def _opens_for_caller(module: str) -> bool:
    return module == "pathlib" or module.startswith("ftlint.verify.")


def _passing_stand_ins(
    reader: Callable[..., Any], pass_on: Callable[[StandIn], Any]
) -> Callable[..., Any]:
    """``reader`` that returns ``pass_on(source)`` when handed a stand-in (a missing file's)."""

    @functools.wraps(reader)
    def read(source: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(source, StandIn):
            return pass_on(source)
        return reader(source, *args, **kwargs)

    return read


def _skipped_download(session: Callable[[], Recorder]) -> Callable[..., Any]:
    def urlretrieve(url: str, filename: Any = None, *args: Any, **kwargs: Any) -> Any:
        session().note(f"download skipped (verify runs without network): {url}")
        return filename, email.message.Message()

    return urlretrieve


def _hub_code_or_remedy(load: Callable[..., Any]) -> Callable[..., Any]:
    """``torch.hub.load`` runs a repository's code from the user's hub cache (its weights are
    skipped like all weights); one not there says where to put it, not "no internet"."""

    @functools.wraps(load)
    def hub_load(repo: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return load(repo, *args, **kwargs)
        except RuntimeError as error:
            if "could not be found in the cache" not in str(error):
                raise
            where, _, ref = repo.partition(":")
            owner, _, name = where.partition("/")
            hub = torch.hub.get_dir()
            raise RuntimeError(
                f"torch.hub repository {repo!r} is not in the hub cache {hub} and verify runs"
                f" without network: clone it to {hub}/{owner}_{name}_{ref or 'main'} (TORCH_HOME"
                " sets where the cache is) and rerun"
            ) from None

    return hub_load
