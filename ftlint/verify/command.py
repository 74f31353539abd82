"""The ``ftlint verify`` command behind the click entry point. Torch-free until it runs, so that
the CLI imports it cheaply and can say what is missing when PyTorch is not installed."""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Sequence
from pathlib import Path

import click

from ftlint.config import Settings

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
OUTPUT_FORMATS = ("text", "json")


def parse_pins(values: Sequence[str]) -> dict[str, object]:
    """``--set train_backbone=False --set num_classes=10``: Python literals, else strings."""
    pins: dict[str, object] = {}
    for value in values:
        name, separator, text = value.partition("=")
        name, text = name.strip(), text.strip()
        if not separator or not all(part.isidentifier() for part in name.split(".")):
            raise click.BadParameter(f"expected NAME=VALUE, got {value!r}", param_hint="--set")
        try:
            pins[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            pins[name] = text
    return pins


def run_verify(
    paths: Sequence[Path],
    pins: dict[str, object],
    settings: Settings,
    enabled: set[str],
    output_format: str,
    color: bool,
) -> int:
    """Verify ``paths``, print the result, return the exit code."""
    if importlib.util.find_spec("torch") is None:
        click.echo(
            "ftlint verify builds the models with PyTorch, which is not installed:"
            " pip install 'ftlint[runtime]'",
            err=True,
        )
        return EXIT_ERROR
    from ftlint.verify.pipeline import has_errors, verify_paths
    from ftlint.verify.report import render_json, render_verify_text

    results = verify_paths(paths, settings, enabled, pins)
    if output_format == "json":
        click.echo(render_json(results))
    else:
        click.echo(render_verify_text(results, color=color), color=color)
    if has_errors(results):
        return EXIT_ERROR
    return EXIT_FINDINGS if any(result.diagnostics for result in results) else EXIT_CLEAN
