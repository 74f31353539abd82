"""Fuzz `ftlint check --fix --unsafe-fixes`: mutations of the bundled fixtures (scripts and
notebooks) and generated freeze programs, checked by the real CLI in batches, in worker processes.

A failure is any of: an exit code other than 0, 1 or 2; a traceback; no JSON on stdout; an FT902
other than a named parser limit; a run that hangs; a file Python parsed before the fixes and not
after them. Each failing input is copied to ``--keep`` with what failed.

    python scripts/ftlint_fuzz.py [--inputs 4000] [--batch 200] [--seed 0] [--jobs 4] [--keep DIR]

The test suite draws a few inputs from the same generators (tests/test_fuzz.py).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
SCRIPTS = sorted(FIXTURES.rglob("*.py"))
NOTEBOOKS = sorted(FIXTURES.rglob("*.ipynb"))

# Pieces that move parsers and rules to their edges: operators, brackets, line breaks Python and
# str.splitlines disagree on, strings, continuation lines, magics, the attributes rules look for.
PIECES = (
    " and ", " or ", " not ", "(", ")", "[", "]", ":", ",", "\n", "\r\n", "\r", "    ", "\t",
    "\\\n", "#", "'", '"', '"""', "\u2028", "\x0c", "\x00", "é", "requires_grad", ".requires_grad",
    " = False", "_(False)", "requires_grad_()", "p.requires_grad = a or b and c\n", "%time ",
    "!ls\n", "for p in model.parameters():\n", "if a or b and 'fc' in name:\n", "lambda: ",
    "model.eval()", "train_bn=False", "weights=ResNet50_Weights", "optimizer = SGD(", "@", "*",
)  # fmt: skip
# A message of FT902 that is ftlint's honest limit, not a bug.
PARSER_LIMIT = "ftlint cannot check this file, which Python accepts"


def mutate(rng: random.Random, text: str) -> str:
    """``text`` after 1-4 random edits: a piece inserted, a span deleted or duplicated."""
    for _ in range(rng.randint(1, 4)):
        start = rng.randint(0, len(text))
        end = min(len(text), start + rng.randint(0, 40))
        operation = rng.randrange(3)
        if operation == 0:
            text = text[:start] + rng.choice(PIECES) + text[start:]
        elif operation == 1:
            text = text[:start] + text[end:]
        else:
            text = text[:end] + text[start:end] + text[end:]
    return text


def condition(rng: random.Random, depth: int = 0) -> str:
    """A random boolean condition of the kind freeze loops test."""
    if depth > 3 or rng.random() < 0.3:
        return rng.choice(["flag", "not tune", "'fc' in name", "name.startswith('layer4')",
                           "p.ndim > 1", "'bn' not in name", "True"])  # fmt: skip
    operator = rng.choice([" and ", " or "])
    parts = [condition(rng, depth + 1) for _ in range(rng.randint(2, 4))]
    joined = operator.join(parts)
    return f"({joined})" if rng.random() < 0.4 else joined


def program(rng: random.Random) -> str:
    """A generated fine-tuning script: imports, a model, freeze loops, an optimizer."""
    lines = [
        "import torch",
        "from torchvision.models import resnet50, ResNet50_Weights",
        f"model = resnet50(weights={rng.choice(['ResNet50_Weights', 'None', 'ResNet50_Weights.DEFAULT'])})",
    ]  # fmt: skip
    for _ in range(rng.randint(1, 3)):
        target = rng.choice(["p.requires_grad = False", "p.requires_grad_(False)",
                             "p.requires_grad = True", "p.requires_grad == False"])  # fmt: skip
        lines += [
            "for name, p in model.named_parameters():",
            f"    if {condition(rng)}:",
            f"        {target}",
        ]
    if rng.random() < 0.5:
        lines.append("optimizer = torch.optim.SGD(model.parameters(), lr=0.1)")
    if rng.random() < 0.3:
        lines.append("model.layer4.requires_grad = False")
    return "\n".join(lines) + "\n"


def mutated_notebook(rng: random.Random, path: Path) -> str:
    """A fixture notebook with a mutated code cell, and sometimes mutated metadata."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code_cells = [cell for cell in notebook["cells"] if cell.get("cell_type") == "code"]
    if code_cells:
        cell = rng.choice(code_cells)
        source = "".join(cell["source"])
        cell["source"] = mutate(rng, source).splitlines(True) if rng.random() < 0.5 else source
    if rng.random() < 0.2:
        notebook["metadata"] = rng.choice([None, [], "python", {"language_info": None}])
    return json.dumps(notebook, indent=rng.choice([None, 1, 2]), ensure_ascii=rng.random() < 0.5)


def fuzz_input(rng: random.Random) -> tuple[str, str]:
    """One input: (file suffix, content)."""
    kind = rng.random()
    if kind < 0.45:
        return ".py", mutate(rng, rng.choice(SCRIPTS).read_text(encoding="utf-8"))
    if kind < 0.8:
        text = program(rng)
        return ".py", mutate(rng, text) if rng.random() < 0.5 else text
    return ".ipynb", mutated_notebook(rng, rng.choice(NOTEBOOKS))


def python_parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def source_of(path: Path) -> str:
    """The Python text of an input: a script, or a notebook's code cells (cells that do not parse
    alone are skipped by `python_parses` anyway)."""
    content = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix != ".ipynb":
        return content
    try:
        cells = json.loads(content)["cells"]
        return "\n".join(
            "".join(cell["source"]) for cell in cells if cell.get("cell_type") == "code"
        )
    except (ValueError, KeyError, TypeError):
        return ""


def run_batch(directory: Path, jobs: int, timeout: float) -> list[tuple[Path, str]]:
    """Check and fix every file in ``directory`` with the real CLI; the failures found."""
    before = {path: source_of(path) for path in sorted(directory.iterdir())}
    command = [sys.executable, "-m", "ftlint", "check", "--fix", "--unsafe-fixes", "--no-cache",
               "--output-format", "json", "--jobs", str(jobs), str(directory)]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False,
                                cwd=REPO, env={**os.environ, "NO_COLOR": "1"})  # fmt: skip
    except subprocess.TimeoutExpired:
        return [(directory, f"no answer within {timeout:.0f} s")]
    failures: list[tuple[Path, str]] = []
    if result.returncode not in (0, 1, 2) or "Traceback" in result.stderr:
        failures.append((directory, f"exit {result.returncode}: {result.stderr[-2000:]}"))
    try:
        findings = json.loads(result.stdout)
    except ValueError:
        why = f"no JSON on stdout (exit {result.returncode}): {result.stderr[-2000:]}"
        return [*failures, (directory, why)]
    for finding in findings:
        if finding["code"] == "FT902" and not finding["message"].startswith(PARSER_LIMIT):
            failures.append((Path(finding["filename"]), f"FT902: {finding['message']}"))
    for path, text in before.items():
        if python_parses(text) and not python_parses(source_of(path)):
            failures.append((path, "the fixes broke code that parsed"))
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--keep", type=Path, default=Path("fuzz-failures"))
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)
    started, failures, made = time.monotonic(), 0, 0
    while made < arguments.inputs:
        with tempfile.TemporaryDirectory(prefix="ftlint-fuzz-") as temporary:
            directory = Path(temporary)
            originals: dict[Path, str] = {}
            for index in range(min(arguments.batch, arguments.inputs - made)):
                suffix, content = fuzz_input(rng)
                path = directory / f"input_{made + index:06d}{suffix}"
                path.write_bytes(content.encode("utf-8", "surrogatepass"))
                originals[path] = content
            made += len(originals)
            found = run_batch(directory, arguments.jobs, arguments.timeout)
            failures += len(found)
            for path, why in found:
                arguments.keep.mkdir(parents=True, exist_ok=True)
                kept = arguments.keep / f"{arguments.seed}-{path.name}"
                if path in originals:
                    kept.write_bytes(originals[path].encode("utf-8", "surrogatepass"))
                elif path.is_dir():
                    shutil.copytree(path, kept, dirs_exist_ok=True)
                kept.with_suffix(".why.txt").write_text(why + "\n")
                print(f"FAIL {path.name}: {why.splitlines()[0] if why else ''}", flush=True)
        print(f"{made} inputs, {failures} failures, {time.monotonic() - started:.0f} s", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
