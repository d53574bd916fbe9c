"""What the benchmarks say about the machine they ran on."""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def median_rate(call, calls: int, rounds: int) -> float:
    """Calls per second: the median over ``rounds`` windows of ``calls`` calls each."""
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            call()
        seconds.append((time.perf_counter() - started) / calls)
    return 1 / statistics.median(seconds)


def matmul_gflops(size: int = 1024, repeats: int = 20) -> float:
    """This machine's float32 matrix-multiply speed in torch: median of ``repeats`` products."""
    import torch

    a = torch.randn(size, size)
    for _ in range(3):
        a @ a
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        a @ a
        timings.append(time.perf_counter() - started)
    return 2 * size**3 / statistics.median(timings) / 1e9


def describe() -> str:
    """One line: CPU, cores, library versions and the matmul speed."""
    import numpy as np
    import sklearn
    import torch

    return (
        f"Machine: {cpu_name()}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy "
        f"{np.__version__}, scikit-learn {sklearn.__version__}; float32 matmul "
        f"{matmul_gflops():.0f} GFLOP/s."
    )
