"""Time ``ftlint check`` against ruff (and TorchFix, when installed) on a corpus.

    python benchmarks/bench_check.py CORPUS [--runs 5] [--one-file PATH] [--no-match-file PATH]

Every measurement is a fresh process; the tools take turns within each round so that they share
the machine's noise, and the report gives medians of wall time and of peak RSS (the largest
process of the tree, workers included), with ratios to ruff. The corpus stays outside the
repository: see benchmarks/README.md for where to get the ones we measure on.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Measure:
    label: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    before: Callable[[], None] = lambda: None  # reset state (a cache) before each run
    walls: list[float] = field(default_factory=list)
    peaks_mb: list[float] = field(default_factory=list)

    def run(self) -> bytes:
        self.before()
        started = time.perf_counter()
        process = subprocess.Popen(
            self.command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={**os.environ, **self.env},
        )  # fmt: skip
        with process.stdout:  # type: ignore[union-attr]
            output = process.stdout.read()  # type: ignore[union-attr]
        _, _, usage = os.wait4(process.pid, 0)
        self.walls.append(time.perf_counter() - started)
        self.peaks_mb.append(usage.ru_maxrss / 1024)  # KiB on Linux
        return output

    def prime(self) -> None:
        """Run once without recording: fills the cache a warm measure reads."""
        self.run()
        self.walls.pop(), self.peaks_mb.pop()

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def peak(self) -> float:
        return statistics.median(self.peaks_mb)


def _clear(directory: Path) -> Callable[[], None]:
    return lambda: shutil.rmtree(directory, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ftlint", default=f"{sys.executable} -m ftlint",
                        help="How to run ftlint (default: this interpreter's).")  # fmt: skip
    parser.add_argument(
        "--ruff",
        default=shutil.which("ruff") or os.path.join(os.path.dirname(sys.executable), "ruff"),
    )
    parser.add_argument("--torchfix", default=shutil.which("torchfix"),
                        help="TorchFix's executable; timed once, it takes minutes.")  # fmt: skip
    parser.add_argument("--one-file", type=Path, help="A file for the pre-commit case.")
    parser.add_argument("--no-match-file", type=Path, help="A file no rule can match.")
    args = parser.parse_args()
    ftlint = shlex.split(args.ftlint)
    scratch = Path(tempfile.mkdtemp(prefix="bench-check-"))
    cache, ruff_cache = scratch / "ftlint-cache", scratch / "ruff-cache"
    cached = {"FTLINT_CACHE_DIR": str(cache)}
    corpus = str(args.corpus)
    ruff = [args.ruff, "check", "--isolated", "--select", "RUF021", "--exit-zero"]
    check = [*ftlint, "check", "--exit-zero"]
    ruff_cold = Measure("ruff cold (--no-cache)", [*ruff, "--no-cache", corpus])
    ruff_warm = Measure("ruff warm (its cache)", [*ruff, "--cache-dir", str(ruff_cache), corpus])
    ftlint_cold = Measure("ftlint cold (--no-cache)", [*check, "--no-cache", corpus])
    ftlint_warm = Measure("ftlint warm (cache hits)", [*check, corpus], cached)
    measures = [
        ruff_cold,
        ruff_warm,
        ftlint_cold,
        Measure("ftlint cold, filling the cache", [*check, corpus], cached, _clear(cache)),
        ftlint_warm,
    ]
    for label, path in (("one file", args.one_file), ("no-match file", args.no_match_file)):
        if path is not None:
            measures.append(
                Measure(f"ftlint {label} ({path.name})", [*check, "--no-cache", str(path)])
            )
    ruff_warm.prime()
    ftlint_warm.prime()
    for round_number in range(args.runs):
        for measure in measures:
            measure.run()
        print(f"round {round_number + 1}/{args.runs} done", file=sys.stderr)
    json_output = [*check, "--no-cache", "--output-format", "json", corpus]
    by_jobs = {
        jobs: Measure(f"--jobs {jobs}", [*json_output, "--jobs", str(jobs)]).run()
        for jobs in (1, 2, os.cpu_count() or 2)
    }
    if args.torchfix:
        measures.append(Measure("TorchFix (one run)", [args.torchfix, corpus]))
        measures[-1].run()
    shutil.rmtree(scratch, ignore_errors=True)

    print(f"\ncorpus: {args.corpus} ({sum(1 for _ in args.corpus.rglob('*.py'))} .py files); "
          f"median of {args.runs} runs\n")  # fmt: skip
    print(f"| {'measure':<44} | {'wall s':>7} | {'× ruff cold':>11} | {'peak RSS MB':>11} |")
    print(f"|{'-' * 46}|{'-' * 9}|{'-' * 13}|{'-' * 13}|")
    for measure in measures:
        ratio = measure.wall / ruff_cold.wall
        print(
            f"| {measure.label:<44} | {measure.wall:>7.3f} | {ratio:>11.2f} | {measure.peak:>11.0f} |"
        )
    if args.torchfix:
        print(f"\nftlint cold is {measures[-1].wall / ftlint_cold.wall:.0f}× faster than TorchFix")
    same = len(set(by_jobs.values())) == 1
    print(f"\noutput identical for --jobs {', '.join(map(str, by_jobs))}: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
