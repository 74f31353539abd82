"""How peft matches `target_modules` against module names
(https://github.com/huggingface/peft/blob/v0.21.2/src/peft/tuners/tuners_utils.py,
`check_target_module_exists`), and what a value that matches nothing does."""

from __future__ import annotations

import re

TARGET_MODULES = "target_modules"
# A module name, or a dotted path of them (`self_attn.q_proj`).
_MODULE_NAME = re.compile(r"[A-Za-z_]\w*(?:\.\w+)*")
# Characters that only make sense in a regular expression, never in a module's name.
REGEX_ONLY = re.compile(r"[*+?|^$\\()\[\]{}]")


def joined_names(text: str) -> list[str] | None:
    """The module names of ``q_proj,v_proj`` or ``q_proj v_proj`` (two or more names joined by
    commas or whitespace), else None: a regex such as ``.*(q|v)_proj`` or ``proj{1,2}`` holds a
    character no module name has, and is left alone."""
    pieces = [piece for piece in re.split(r"[,\s]+", text) if piece]
    if len(pieces) < 2 or not all(_MODULE_NAME.fullmatch(piece) for piece in pieces):
        return None
    return pieces


def _listed(names: list[str]) -> str:
    return " or ".join(f"`{name}`" for name in names)


def joined_string_message(text: str, names: list[str]) -> str:
    """Why ``target_modules=text``, names joined in one string, adapts none of ``names``."""
    return (
        f"`target_modules={text!r}` is one regular expression that must match a module's whole "
        f"dotted name, and no module is named that: no adapter goes to {_listed(names)} "
        "(`get_peft_model` raises `NoMatchingPeftModuleError` unless `target_parameters` adapts "
        "something else); list the names separately"
    )


def joined_entry_message(entry: str, names: list[str]) -> str:
    """Why the list entry ``entry``, names joined in one string, adapts none of ``names``."""
    return (
        f"the `target_modules` entry {entry!r} is compared with module names as plain text, and "
        f"no module is named that: no adapter goes to {_listed(names)} while the other entries' "
        "modules get theirs (with no other match, `get_peft_model` raises "
        "`NoMatchingPeftModuleError`); list the names separately"
    )


def regex_entry_message(entry: str) -> str:
    """Why the list entry ``entry``, written as a regular expression, matches no module."""
    return (
        f"the `target_modules` entry {entry!r} matches no module: a list entry is never a regular "
        "expression, only a module name or the end of one after a `.`, so the modules it means "
        "get no adapter and keep their frozen base weights; pass a regular expression as the "
        "whole `target_modules` string"
    )


def target_modules_message(value: object) -> str | None:
    """What goes wrong with a ``target_modules`` value (a string or a list of them), or None."""
    if isinstance(value, str):
        names = joined_names(value)
        return None if names is None else joined_string_message(value, names)
    if not isinstance(value, (list, tuple)):
        return None
    for entry in value:
        if isinstance(entry, str):
            names = joined_names(entry)
            if names is not None:
                return joined_entry_message(entry, names)
            if REGEX_ONLY.search(entry):
                return regex_entry_message(entry)
    return None
