"""Paths are shown as ``os.path.relpath`` shows them under the current directory, absolute
elsewhere, whatever shortcut computes them."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ftlint.runner import display_path


def relpath_or_absolute(path: Path) -> str:
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    return absolute if _climbs(relative) else relative


def _climbs(relative: str) -> bool:
    return relative == os.pardir or relative.startswith(os.pardir + os.sep)


_PARTS = st.lists(st.sampled_from(["a", "b.py", "..", ".", "x", "a-b", "é", "..x"]), max_size=6)
_ROOTS = st.sampled_from(["", os.getcwd(), os.getcwd() + "x", "/", "/tmp", os.path.dirname(os.getcwd())])


@given(_ROOTS, _PARTS)
def test_display_path_is_relpath_or_absolute(root: str, parts: list[str]) -> None:
    path = Path(root, *parts)
    assert display_path(path) == display_path(path, os.getcwd()) == relpath_or_absolute(path)


def test_display_path_of_the_current_directory_and_a_sibling() -> None:
    here = Path(os.getcwd())
    assert display_path(here / "pkg" / "m.py") == os.path.join("pkg", "m.py")
    sibling = Path(str(here) + "-other", "m.py")  # shares the prefix, not the directory
    assert display_path(sibling) == str(sibling)


@given(_ROOTS, _ROOTS, _PARTS)
def test_display_path_from_any_directory_is_relpath_or_absolute(
    cwd: str, root: str, parts: list[str]
) -> None:
    cwd = os.path.abspath(cwd)
    absolute = os.path.abspath(Path(root, *parts))
    relative = os.path.relpath(absolute, cwd)
    expected = absolute if _climbs(relative) else relative
    assert display_path(Path(root, *parts), cwd) == expected
