"""Findings per rule on real public code: the precision table of the rule catalogue.

Usage: python benchmarks/precision.py NAME=PATH [NAME=PATH ...]
Prints, per corpus, the files linted and the findings per code, then every finding (file:row,
code, message) so each one can be read and judged. Corpora are never committed.
"""

from __future__ import annotations

import collections
import json
import subprocess
import sys
from pathlib import Path

SUFFIXES = {".py", ".pyi", ".ipynb"}


def main(arguments: list[str]) -> None:
    corpora = [argument.split("=", 1) for argument in arguments]
    rows, details = [], []
    for name, path in corpora:
        files = sum(1 for p in Path(path).rglob("*") if p.suffix in SUFFIXES)
        result = subprocess.run(
            [sys.executable, "-m", "ftlint", "check", "--no-cache", "--select", "FT0",
             "--output-format", "json", path],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        findings = json.loads(result.stdout or "[]")
        counts = collections.Counter(finding["code"] for finding in findings)
        rows.append((name, files, counts))
        details += [
            f"{f['filename']}:{f['location']['row']}: {f['code']} {f['message'][:160]}"
            for f in findings
        ]
    codes = sorted({code for _, _, counts in rows for code in counts})
    print("| corpus | files | " + " | ".join(codes) + " |")
    print("|---|---|" + "---|" * len(codes))
    for name, files, counts in rows:
        print(f"| {name} | {files} | " + " | ".join(str(counts.get(c, 0)) for c in codes) + " |")
    print()
    print("\n".join(details))


if __name__ == "__main__":
    main(sys.argv[1:])
