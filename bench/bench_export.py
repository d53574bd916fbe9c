"""How closely do the take-home scripts ("Python for this run") track the engine? For each of
core.export.agreement's cases and several seeds: the script's numbers at its last line against
the engine's on the same settings and seed, beside how far the engine's own runs at two seeds
lie apart (the script draws its random numbers differently, so a faithful script differs from
the engine about as much as another seed does). That spread is what tests/test_export.py's
tolerances have to allow. Also each script's wall time beside the engine's training time.

    python bench/bench_export.py [--seeds 5] [--cases "RBM CD-1" "2-D ring"]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch

from bench.machine import cpu_name
from core.export.agreement import CASES, engine_lines, finish_script, start_script

OTHER_SEED = 1000  # the engine's second run: seed + this


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--cases", nargs="*", default=[case.name for case in CASES])
    args = parser.parse_args()
    torch.set_num_threads(1)  # as the scripts run (OMP_NUM_THREADS=1)
    print(f"CPU: {cpu_name()}; torch on 1 thread, the scripts too; seeds 0..{args.seeds - 1}.")
    for case in CASES:
        if case.name not in args.cases:
            continue
        gaps: dict[str, list[float]] = {}  # |script - engine| per seed
        spreads: dict[str, list[float]] = {}  # |engine - engine at another seed|
        values: dict[str, list[tuple[float, float]]] = {}
        script_seconds, engine_seconds = [], []
        for seed in range(args.seeds):
            with tempfile.TemporaryDirectory(prefix="take_home_") as folder:
                started = time.perf_counter()
                script = finish_script(start_script(case, seed, folder), case)[-1]
                script_seconds.append(time.perf_counter() - started)
            started = time.perf_counter()
            engine = engine_lines(case, seed)[-1]
            engine_seconds.append(time.perf_counter() - started)
            other = engine_lines(case, seed + OTHER_SEED)[-1]
            for key in sorted(set(script) & set(engine) - {"step", "epoch"}):
                gaps.setdefault(key, []).append(abs(script[key] - engine[key]))
                spreads.setdefault(key, []).append(abs(other[key] - engine[key]))
                values.setdefault(key, []).append((script[key], engine[key]))
        tolerances = {c.key: c for c in case.compared}
        print(f"\n{case.name}, step {case.steps} (means over the last {case.print_every} steps)")
        print(
            "| number | script (median) | engine (median) | median gap script–engine | largest "
            "gap | median gap engine–engine (two seeds) | test's tolerance |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for key, found in gaps.items():
            compared = tolerances.get(key)
            tolerance = "not compared"
            if compared is not None:
                tolerance = (
                    f"{compared.tolerance:.0%} of the engine's"
                    if compared.relative
                    else f"±{compared.tolerance:g}"
                )
            scripts, engines = zip(*values[key], strict=True)
            print(
                f"| {key} | {statistics.median(scripts):.4g} | {statistics.median(engines):.4g} "
                f"| {statistics.median(found):.3g} | {max(found):.3g} "
                f"| {statistics.median(spreads[key]):.3g} | {tolerance} |"
            )
        script_time, engine_time = (
            statistics.median(script_seconds),
            statistics.median(engine_seconds),
        )
        print(
            f"Wall time, median: the script {script_time:.1f} s (starting Python and torch and "
            f"loading the digits included), the engine's {case.steps} steps {engine_time:.1f} s: "
            f"{script_time / engine_time:.1f}×."
        )


if __name__ == "__main__":
    main()
