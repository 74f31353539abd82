"""The ``ftlint`` command line. Exit codes: 0 clean, 1 findings, 2 usage or input error."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from ftlint import __version__
from ftlint.cache import ResultCache, catalog_index
from ftlint.config import ConfigError, Settings, load_settings
from ftlint.diagnostics import Diagnostic
from ftlint.input_checks import ISSUES_URL, InternalError, UnreadableFile
from ftlint.reporting import (
    FORMATS,
    diff_summary,
    render_github,
    render_json,
    render_rule_markdown,
    render_rules_markdown,
    render_sarif,
    render_statistics,
    render_text,
    summary,
)
from ftlint.runner import BYTES_PER_TOKEN, MEMORY_NOTE, check_paths, default_jobs
from ftlint.selection import UnknownRuleError
from ftlint.text import use_color
from ftlint.verify.command import OUTPUT_FORMATS as VERIFY_FORMATS

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _split_codes(values: Sequence[str]) -> list[str]:
    return [code.strip() for value in values for code in value.split(",") if code.strip()]


def exit_code(diagnostics: Sequence[Diagnostic], exit_zero: bool) -> int:
    if any(d.code in (UnreadableFile.code, InternalError.code) for d in diagnostics):
        return EXIT_ERROR
    return EXIT_FINDINGS if diagnostics and not exit_zero else EXIT_CLEAN


def resolve_settings(
    config: Path | None,
    paths: Sequence[Path],
    select: Sequence[str],
    ignore: Sequence[str],
    extend_select: Sequence[str],
    *,
    verify: bool = False,
) -> tuple[Settings, set[str]]:
    """Configuration with command-line selection on top; raises click errors (exit 2).
    ``verify`` also enables the runtime checks on by default, unless ``select`` says which."""
    index = catalog_index()
    try:
        settings = load_settings(config, paths)
        if select:
            settings.select = _split_codes(select)
            if not settings.select:
                raise click.UsageError("--select names no code; `ftlint rules` lists them")
        settings.ignore = settings.ignore + _split_codes(ignore)
        extend = [*extend_select, *(index.verify_defaults if verify and not select else ())]
        settings.extend_select = settings.extend_select + _split_codes(extend)
        return settings, settings.enabled_codes(index.codes, index.check_defaults)
    except (ConfigError, UnknownRuleError) as error:
        raise click.UsageError(str(error)) from error


class _Guarded(click.Group):
    """Commands whose unexpected exceptions are an internal error: exit 2 with what failed and
    how to report it, never a traceback nor exit 1 (Python's for an uncaught exception)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:  # noqa: BLE001 - the contract: exit 2, a message, no traceback
            command = " ".join(["ftlint", *sys.argv[1:]])
            click.echo(
                f"ftlint: internal error in `{command}` ({type(error).__name__}: {error}); "
                f"please report it with the command and its files at {ISSUES_URL}",
                err=True,
            )
            sys.exit(EXIT_ERROR)


@click.group(cls=_Guarded, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ftlint")
def main() -> None:
    """ftlint: catch freeze code that silently trains the wrong parameters."""


def run() -> None:
    """The `ftlint` command (console script, `python -m ftlint`): :func:`main`; after `check`,
    an exit that skips the interpreter's teardown, which frees every object one by one (~0.05 s
    after a large run; mypy ends the same way). Its output is flushed first and every file it
    writes is closed by then. Other commands end as usual: `verify` may leave cleanup to the
    end of the process."""
    if sys.argv[1:2] != ["check"]:
        main()
        return
    code = EXIT_CLEAN
    try:
        main()  # click ends with SystemExit, whatever happens
    except SystemExit as exit:
        if not isinstance(exit.code, int):
            raise
        code = exit.code
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--extend-select", multiple=True, help="Rule codes to enable on top of `select`.")
@click.option("--output-format", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Show counts per rule instead of findings.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings and nothing else.")
@click.option("--fix", is_flag=True, help="Apply safe fixes, then report what remains.")
@click.option(
    "--unsafe-fixes",
    is_flag=True,
    help="Also apply (with --fix/--diff) fixes that change behaviour.",
)
@click.option("--diff", is_flag=True, help="Print the fixes as a diff instead of writing them.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=default_jobs,
    show_default="the cores",
    help="Processes to check files with.",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache of results.")
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A pyproject.toml ([tool.ftlint]) or ftlint.toml to use instead of discovery.",
)
@click.option(
    "--max-file-size",
    metavar="SIZE",
    help="Report larger files (FT901) instead of analysing them, e.g. 4MB; default 1MB, or "
    f"`max-file-size` in the settings. Dense code counts {BYTES_PER_TOKEN} bytes a token; "
    f"{MEMORY_NOTE}.",
)
def check(
    paths: tuple[Path, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    output_format: str,
    exit_zero: bool,
    statistics: bool,
    quiet: bool,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    jobs: int,
    no_cache: bool,
    config: Path | None,
    max_file_size: str | None,
) -> None:
    """Lint PATHS (default: the current directory) for risky freeze code."""
    targets = list(paths) or [Path(".")]
    settings, enabled = resolve_settings(config, targets, select, ignore, extend_select)
    if max_file_size is not None:
        from ftlint.config import parse_size

        try:
            settings.max_file_size = parse_size(max_file_size)
        except ValueError:
            raise click.BadParameter(
                f"{max_file_size!r} is not a size such as 1048576, 512KB or 4MB",
                param_hint="--max-file-size",
            ) from None
    cache = None if no_cache else ResultCache.for_project(settings.root)
    result = check_paths(targets, settings, enabled, jobs=jobs, cache=cache)
    fixed = 0
    if fix or diff:
        from ftlint.writer import fix_files  # imports libcst: only when fixing

        report = fix_files(result, settings, enabled, unsafe=unsafe_fixes, diff=diff)
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        if diff:
            # As ruff: the diff alone on stdout (it can be piped to `patch`), exit 1 if non-empty.
            click.echo("".join(report.diffs), nl=False)
            remaining = report.result.diagnostics
            click.echo(
                diff_summary(remaining, fixed=report.fixed, unsafe_fixes=unsafe_fixes), err=True
            )
            changes = EXIT_FINDINGS if report.diffs and not exit_zero else EXIT_CLEAN
            sys.exit(exit_code(remaining, exit_zero=True) or changes)
        result, fixed = report.result, report.fixed
    diagnostics = result.diagnostics
    if statistics:
        if diagnostics:
            click.echo(render_statistics(diagnostics))
    elif output_format == "json":
        click.echo(render_json(diagnostics))
    elif output_format == "github":
        if diagnostics:
            click.echo(render_github(diagnostics))
    elif output_format == "sarif":
        click.echo(render_sarif(diagnostics))
    else:
        color = use_color()
        if diagnostics:
            click.echo(render_text(diagnostics, result.sources, color=color), color=color)
        if not quiet:
            click.echo(summary(diagnostics, fixed=fixed, unsafe_fixes=unsafe_fixes))
    sys.exit(exit_code(diagnostics, exit_zero))


@main.command("rules")
@click.option(
    "--output-format",
    type=click.Choice(["text", "markdown"]),
    default="text",
    help="`markdown` prints every rule's full documentation (docs/rules.md is generated so).",
)
def list_rules(output_format: str) -> None:
    """List every rule."""
    from ftlint.catalog import CATALOG

    if output_format == "markdown":
        click.echo(render_rules_markdown(), nl=False)
        return
    for rule in CATALOG.values():
        fix = f"[{rule.fix.value} fix]" if rule.fix else ""
        click.echo(f"{rule.code}  {rule.name:<34} {rule.summary} {fix}".rstrip())


@main.command("rule")
@click.argument("code")
def show_rule(code: str) -> None:
    """Print the documentation of rule CODE (e.g. FT001)."""
    from ftlint.catalog import CATALOG

    rule = CATALOG.get(code.upper())
    if rule is None:
        raise click.UsageError(f"unknown rule code `{code}`; `ftlint rules` lists them")
    click.echo(render_rule_markdown(rule.docs()))


@main.command()
@click.argument("target")
@click.option("--depth", type=click.IntRange(min=1), default=1, show_default=True,
              help="Module depth of the freeze map's rows.")  # fmt: skip
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)  # fmt: skip
def inspect(target: str, depth: int, output_format: str) -> None:
    """Build MODULE:CALLABLE (e.g. torchvision.models:resnet50) on the meta device, never
    downloading weights, and print its freeze map and parameter-name structure."""
    try:
        from ftlint.runtime.inspect import InspectError, run_inspect
    except ImportError as error:
        raise click.ClickException(
            f"`ftlint inspect` needs torch ({error}); install it with `pip install ftlint[runtime]`"
        ) from error
    color = use_color()
    try:
        # color= explicitly: click would strip the escapes FORCE_COLOR asked for off a pipe.
        click.echo(run_inspect(target, depth, output_format, color=color), color=color)
    except InspectError as error:
        raise click.UsageError(str(error)) from error


class _ScriptArguments(click.Command):
    """Everything after ``--`` is the script's command line, not ftlint's."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            split = args.index("--")
            ctx.meta["script_args"] = tuple(args[split + 1 :])
            args = args[:split]
        return super().parse_args(ctx, args)


@main.command(cls=_ScriptArguments)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("-m", "module", metavar="MODULE",
              help="Run a module as `python -m MODULE` does (found from the current directory).")  # fmt: skip
@click.option("--set", "pins", multiple=True, metavar="NAME=VALUE",
              help="Pin a flag or a value the file reads (a Python literal), e.g. train_backbone=False.")  # fmt: skip
@click.option("--timeout", type=click.FloatRange(min=1), default=120, show_default=True,
              help="Seconds a run may take before it is stopped.")  # fmt: skip
@click.option("--memory", type=click.IntRange(min=256), default=4096, show_default=True,
              help="Memory (heap) a run may use, in MiB.")  # fmt: skip
@click.option("--fetch-configs", is_flag=True,
              help="Fetch the config.json of Hugging Face models missing from the local cache"
              " (configuration files only, never weights).")  # fmt: skip
@click.option("--select", multiple=True, help="Codes or prefixes to enable (default: FT0 and FT1).")
@click.option("--ignore", multiple=True, help="Codes or prefixes to disable.")
@click.option("--extend-select", multiple=True, help="Codes to enable on top of `select`.")
@click.option("--output-format", type=click.Choice(VERIFY_FORMATS), default="text", show_default=True,
              help="markdown: for a pull request; html: one offline page; github: annotations, and"
              " the Markdown appended to $GITHUB_STEP_SUMMARY when set.")  # fmt: skip
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A pyproject.toml ([tool.ftlint]) or ftlint.toml to use instead of discovery.")  # fmt: skip
@click.pass_context
def verify(
    ctx: click.Context,
    paths: tuple[Path, ...],
    module: str | None,
    pins: tuple[str, ...],
    timeout: float,
    memory: int,
    fetch_configs: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    output_format: str,
    config: Path | None,
) -> None:
    """Run the training script PATHS (or -m MODULE) on the meta device, in a contained child
    process, until training is about to start; report what will train (FT1xx findings, with the
    static ones). Arguments after `--` are the script's own: ftlint verify train.py -- --lr 0.1"""
    from ftlint.verify.command import parse_pins, resolve_module, run_verify

    if bool(paths) == bool(module):
        raise click.UsageError("give the script to verify (PATHS) or a module (-m MODULE), not both")
    targets = paths if not module else (resolve_module(module),)
    settings, enabled = resolve_settings(config, targets, select, ignore, extend_select, verify=True)
    script_args = ctx.meta.get("script_args", ())
    sys.exit(
        run_verify(
            targets,
            parse_pins(pins),
            settings,
            enabled,
            output_format,
            use_color(),
            module=module,
            args=script_args,
            timeout=timeout,
            memory=memory,
            fetch_configs=fetch_configs,
        )
    )
