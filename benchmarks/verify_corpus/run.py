"""Run `ftlint verify` on every script of the real-world corpus and compare its freeze counts.

Usage: python benchmarks/verify_corpus/run.py [--checkouts DIR] [--corpora DIR] [--ftlint-cmd CMD]
       [--verify-options OPTS] [--only NAME ...] [--timeout S] [--output results.md] [--json FILE]

Each entry of corpus.toml is run as `CMD verify --output-format json PATH [-- ARGS]` with the
repository checkout (DIR/owner+name, at the recorded commit) as working directory. The as-written
scenario of each verified model (`files[0].targets[*].scenarios[*]` with `as_written`) is matched
to an expected model by its total tensor count; `files[0].error` says why a file could not be
verified. Outcomes: `exact`, `wrong counts`, `missing model`, `could not verify: <first line>`.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the corpus venv is 3.11
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
EXACT = "exact"


@dataclass(frozen=True)
class Counts:
    total: int
    trainable: int
    frozen: int

    def __str__(self) -> str:
        return f"{self.total}={self.trainable}+{self.frozen}"


@dataclass(frozen=True)
class Result:
    name: str
    repo: str
    commit: str
    path: str
    outcome: str
    seconds: float
    got: tuple[Counts, ...]
    expected: tuple[Counts, ...]
    blocker: str | None


def verified_models(report: dict[str, Any]) -> tuple[tuple[Counts, ...], str | None]:
    """The as-written counts of every model in a verify JSON report, and its error if any."""
    if not report.get("files"):
        return (), "the report lists no file"
    file = report["files"][0]
    models = tuple(
        Counts(target["total"], scenario["trainable"], scenario["frozen"])
        for target in file.get("targets", [])
        for scenario in target.get("scenarios", [])
        if scenario.get("as_written")
    )
    return models, file.get("error")


def outcome(expected: tuple[Counts, ...], got: tuple[Counts, ...], error: str | None) -> str:
    """Compare models by total tensor count: every expected model must be found with its counts."""
    by_total = {model.total: model for model in got}
    matched = [by_total.get(model.total) for model in expected]
    if all(model == found for model, found in zip(expected, matched)):
        return EXACT
    if error:  # what verify shows of a run it could not finish is partial
        return f"could not verify: {first_line(error)}"
    if any(found is not None and found != model for model, found in zip(expected, matched)):
        return "wrong counts"
    return "missing model"


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0][:200] if lines else "(no message)"


def expand(value: str, corpora: Path) -> str:
    return value.replace("{corpora}", str(corpora))


def run_entry(
    entry: dict[str, Any], defaults: dict[str, Any], checkouts: Path, corpora: Path,
    command: list[str], verify_options: list[str], timeout: float,
) -> Result:  # fmt: skip
    expected = tuple(Counts(**model) for model in entry["expected"])
    cwd = checkouts / entry["repo"].replace("/", "+")
    arguments = [*command, "verify", *verify_options, "--output-format", "json", entry["path"]]
    if entry.get("args"):
        arguments += ["--", *entry["args"]]
    env = dict(os.environ)
    env.update({key: expand(value, corpora) for key, value in defaults.get("env", {}).items()})
    env.update({key: expand(value, corpora) for key, value in entry.get("env", {}).items()})
    start = time.monotonic()
    got: tuple[Counts, ...] = ()
    try:
        done = subprocess.run(
            arguments, cwd=cwd, env=env, capture_output=True, text=True,
            timeout=entry.get("timeout", timeout), check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        verdict = f"could not verify: timed out after {entry.get('timeout', timeout)} s"
    else:
        try:
            got, error = verified_models(json.loads(done.stdout))
        except json.JSONDecodeError:
            error = f"exit {done.returncode}, no JSON report: {last_line(done.stderr)}"
        verdict = outcome(expected, got, error)
    seconds = time.monotonic() - start
    return Result(
        entry["name"], entry["repo"], entry["commit"], entry["path"], verdict, seconds, got, expected,
        entry.get("blocker"),
    )  # fmt: skip


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "(no output)"


def table(results: list[Result], command: str) -> str:
    lines = [
        "# `ftlint verify` on the real-world corpus",
        "",
        f"Command: `{command}`. {summary(results)}.",
        "Counts are total=trainable+frozen parameter tensors per model (as-written scenario);",
        "a known blocker is a reason outside ftlint that the script cannot start here as written.",
        "",
        "| entry | repo | commit | path | outcome | expected | got | seconds | known blocker |",
        "| --- | --- | --- | --- | --- | --- | --- | ---: | --- |",
    ]
    for result in results:
        cells = [
            result.name, result.repo, result.commit[:10], f"`{result.path}`",
            result.outcome.replace("|", "\\|"), ", ".join(map(str, result.expected)),
            ", ".join(map(str, result.got)) or "-", f"{result.seconds:.1f}", result.blocker or "",
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def summary(results: list[Result]) -> str:
    exact = sum(result.outcome == EXACT for result in results)
    runnable = [result for result in results if not result.blocker]
    runnable_exact = sum(result.outcome == EXACT for result in runnable)
    return (
        f"Exact: {exact}/{len(results)} ({share(exact, len(results))}); without the known blockers "
        f"{runnable_exact}/{len(runnable)} ({share(runnable_exact, len(runnable))})"
    )


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "n/a"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, default=HERE / "corpus.toml")
    parser.add_argument("--checkouts", type=Path, default=Path("/work/corpora/verify"))
    parser.add_argument(
        "--corpora",
        type=Path,
        default=None,
        help="replaces {corpora} in env values (default: parent of --checkouts)",
    )
    parser.add_argument("--ftlint-cmd", default=f"{shlex.quote(sys.executable)} -m ftlint")
    parser.add_argument(
        "--verify-options",
        default="",
        help="options for verify itself, e.g. '--memory 16384' (one shell-quoted string)",
    )
    parser.add_argument("--only", nargs="*", default=[], help="entry names to run")
    parser.add_argument("--timeout", type=float, default=None)
    parser.add_argument("--output", type=Path, default=HERE / "results.md")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON")
    args = parser.parse_args(argv)
    corpus = tomllib.loads(args.corpus.read_text())
    defaults = corpus.get("defaults", {})
    corpora = args.corpora or args.checkouts.resolve().parent
    timeout = args.timeout or defaults.get("timeout", 300)
    command = shlex.split(args.ftlint_cmd)
    entries = [e for e in corpus["entry"] if not args.only or e["name"] in args.only]
    results = []
    for entry in entries:
        result = run_entry(
            entry,
            defaults,
            args.checkouts,
            corpora,
            command,
            shlex.split(args.verify_options),
            timeout,
        )
        print(f"{result.name}: {result.outcome} ({result.seconds:.1f} s)", flush=True)
        results.append(result)
    args.output.write_text(table(results, args.ftlint_cmd))
    if args.json:
        args.json.write_text(json.dumps([result_json(result) for result in results], indent=1))
    print(summary(results))
    return 0


def result_json(result: Result) -> dict[str, Any]:
    return {
        "name": result.name, "repo": result.repo, "commit": result.commit, "path": result.path,
        "outcome": result.outcome, "seconds": round(result.seconds, 1),
        "expected": [vars(model) for model in result.expected],
        "got": [vars(model) for model in result.got], "blocker": result.blocker,
    }  # fmt: skip


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
