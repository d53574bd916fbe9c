"""Hostile files, at length: the fuzz of tests/test_hostile_files.py with thousands of cases
per loader, and what each refusal of a huge claim costs in peak memory.

    python bench/fuzz_files.py                  # 2,000 cases per fuzz test
    python bench/fuzz_files.py --examples 10000

Runs the test file in a child pytest with HOSTILE_FILES_EXAMPLES set (the default suite runs a
few hundred cases in a few seconds), and prints how often each loader accepted or refused (a
ValueError with a sentence; anything else fails the run), the peak resident memory of the
fuzzing process, and, for each hand-made hostile file (10⁹ hidden units, a zip bomb, ...),
how far its refusal raised the peak of a process that does nothing else.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import describe

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests" / "test_hostile_files.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="cases per fuzz test")
    args = parser.parse_args()
    print(describe())
    with tempfile.TemporaryDirectory() as directory:
        report_path = Path(directory) / "report.json"
        environment = {
            **os.environ,
            "HOSTILE_FILES_EXAMPLES": str(args.examples),
            "HOSTILE_FILES_REPORT": str(report_path),
        }
        started = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(TESTS)],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if child.returncode != 0:
            print(child.stdout[-6000:], child.stderr[-3000:])
            sys.exit(f"The fuzz failed (pytest exit {child.returncode}).")
        report = json.loads(report_path.read_text())
    print(f"\n{args.examples:,} cases per fuzz test, {seconds:.0f} s: every answer a result")
    print("or a ValueError with a sentence.")
    print(f"Peak resident memory of the fuzzing process: {peak_mb:.0f} MB.")
    loaders: dict[str, dict[str, int]] = {}
    for key, count in report["outcomes"].items():
        loader, _, outcome = key.rpartition(" ")
        loaders.setdefault(loader, {})[outcome] = count
    print("\n| loader | cases | accepted | refused (ValueError) |")
    print("| --- | ---: | ---: | ---: |")
    for loader, counts in sorted(loaders.items()):
        accepted, refused = counts.get("accepted", 0), counts.get("refused", 0)
        print(f"| {loader} | {accepted + refused:,} | {accepted:,} | {refused:,} |")
    print("\n| hostile file | peak memory growth (MB) | answer |")
    print("| --- | ---: | --- |")
    for name, result in report["refusal_peaks"].items():
        print(f"| {name} | {result['growth_mb']:.1f} | {result['outcome'][:90]} |")


if __name__ == "__main__":
    main()
