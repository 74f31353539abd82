"""The ``ftlint verify`` command behind the click entry point. Torch-free until it runs, so that
the CLI imports it cheaply and can say what is missing when PyTorch is not installed."""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ftlint.config import Settings

if TYPE_CHECKING:
    from ftlint.verify.pipeline import FileVerification

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
OUTPUT_FORMATS = ("text", "json", "markdown", "html", "github")


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


def resolve_module(name: str) -> Path:
    """The file ``python -m name`` would run, found the way Python finds it from the current
    directory, without importing anything (a package's ``__init__`` is the user's code)."""
    parts = name.split(".")
    if not all(part.isidentifier() for part in parts):
        raise click.BadParameter(f"{name!r} is not a module name", param_hint="-m")
    for entry in [os.getcwd(), *sys.path[1:]]:
        base = Path(entry, *parts)
        for candidate in (base.with_suffix(".py"), base / "__main__.py"):
            if candidate.is_file():
                return candidate
    raise click.BadParameter(
        f"no module named {name!r} under the current directory or on sys.path", param_hint="-m"
    )


def run_verify(
    paths: Sequence[Path],
    pins: dict[str, object],
    settings: Settings,
    enabled: set[str],
    output_format: str,
    color: bool,
    *,
    module: str | None = None,
    args: Sequence[str] = (),
    timeout: float = 120,
    memory: int = 4096,
    fetch_configs: bool = False,
) -> int:
    """Verify ``paths`` (or ``module``, whose file is ``paths[0]``), print the result, return
    the exit code."""
    if importlib.util.find_spec("torch") is None:
        click.echo(
            "ftlint verify builds the models with PyTorch, which is not installed:"
            " pip install 'ftlint[runtime]'",
            err=True,
        )
        return EXIT_ERROR
    from ftlint.verify.containment import Limits
    from ftlint.verify.pipeline import has_errors, verify_file, verify_paths

    limits = Limits(timeout=timeout, memory=memory * 2**20)
    if module is not None:
        results = [
            verify_file(
                paths[0],
                settings,
                enabled,
                pins,
                limits,
                module=module,
                args=args,
                fetch_configs=fetch_configs,
            )
        ]
    else:
        results = verify_paths(paths, settings, enabled, pins, limits, args, fetch_configs)
    _output(results, output_format, color)
    if has_errors(results):
        return EXIT_ERROR
    return EXIT_FINDINGS if any(result.diagnostics for result in results) else EXIT_CLEAN


def _output(results: Sequence[FileVerification], output_format: str, color: bool) -> None:
    from ftlint.verify.report import render_json, render_verify_text

    if output_format == "json":
        click.echo(render_json(results))
    elif output_format == "markdown":
        from ftlint.verify.markdown import render_verify_markdown

        click.echo(render_verify_markdown(results), nl=False)
    elif output_format == "html":
        from ftlint.verify.html import render_verify_html

        click.echo(render_verify_html(results), nl=False)
    elif output_format == "github":
        _github(results)
    else:
        click.echo(render_verify_text(results, color=color), color=color)


def _github(results: Sequence[FileVerification]) -> None:
    """Annotations on stdout, as ``ftlint check --output-format github`` prints them; and, in a
    GitHub Actions job, the Markdown report appended to the job summary of the run's page."""
    from ftlint.reporting import github_annotation, render_github
    from ftlint.verify.markdown import render_verify_markdown

    annotations = [
        github_annotation("ftlint verify", r.display_path, f"could not verify: {r.error}")
        for r in results
        if r.error is not None
    ]
    diagnostics = [d for result in results for d in result.diagnostics]
    if diagnostics:
        annotations.append(render_github(diagnostics))
    if annotations:
        click.echo("\n".join(annotations))
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        with open(summary_path, "a", encoding="utf-8") as summary_file:
            summary_file.write(render_verify_markdown(results))
