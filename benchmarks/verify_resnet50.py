"""Time ``ftlint verify`` on a ResNet-50 script against importing torch and torchvision.

    python benchmarks/verify_resnet50.py

Both run as fresh processes, alternately (so that load on the machine hits both alike), five
times each; the medians, their difference and their ratio are printed. The budget: verify
takes at most 1 s more than the import of torch and torchvision it cannot avoid.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "fixtures" / "seed_backbone_freezing.py"
RUNS = 5
BASELINE = [sys.executable, "-c", "import torch, torchvision"]
VERIFY = [sys.executable, "-m", "ftlint", "verify", str(SCRIPT)]


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):  # 1: the seed has findings; 2 would be a failure
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return elapsed


def main() -> None:
    baseline, verify = [], []
    for _ in range(RUNS):
        baseline.append(seconds(BASELINE))
        verify.append(seconds(VERIFY))
    import_time, verify_time = statistics.median(baseline), statistics.median(verify)
    print(f"import torch, torchvision: {import_time:.2f} s (median of {RUNS})")
    print(f"ftlint verify {SCRIPT.name}: {verify_time:.2f} s (median of {RUNS})")
    print(
        f"difference: {verify_time - import_time:+.2f} s, ratio: {verify_time / import_time:.2f}x"
    )


if __name__ == "__main__":
    main()
