"""Process tuning: the engine changes nothing on import; the dashboard's one call limits BLAS,
fixes malloc's thresholds so freed memory goes back, and keeps thread counts per thread."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from core.training.rbm_job import RBMJob, RBMJobSettings
from core.training.runs import TrainingRun
from tests.helpers import wait_for

ROOT = Path(__file__).resolve().parents[1]
# Prints the process's settings as JSON before and after running argv[1] (Python code):
# numpy's and scipy's BLAS threads, torch's threads, the interpreter's switch interval, and
# whether glibc serves 6 MB from its own pages after an 8 MB block was freed (with glibc's
# own thresholds, which rise with use, it does not; with the dashboard's fixed ones it does).
PROCESS_STATE = """
import ctypes, json, sys
import numpy, torch
from threadpoolctl import threadpool_info
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
def six_mb_mmapped():
    libc.free(libc.malloc(8 << 20))
    block = libc.malloc(6 << 20)
    mmapped = bool(ctypes.c_size_t.from_address(block - 8).value & 2)  # glibc's IS_MMAPPED
    libc.free(block)
    return mmapped
def state():
    return {
        "blas": sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}),
        "torch": torch.get_num_threads(),
        "switch": sys.getswitchinterval(),
        "six_mb_mmapped": six_mb_mmapped(),
    }
before = state()
exec(sys.argv[1])
print(json.dumps({"before": before, "after": state()}))
"""


def fresh_python(program: str, *args: str) -> str:
    """The last line a fresh Python process running ``program`` printed (in the repository,
    without the BLAS limit this test process may have put in the environment)."""
    env = {key: value for key, value in os.environ.items() if key != "OPENBLAS_NUM_THREADS"}
    result = subprocess.run(
        [sys.executable, "-c", program, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.splitlines()[-1]


def process_state(code: str) -> tuple[dict, dict]:
    """The settings of a fresh Python process before and after it runs ``code``."""
    import json

    states = json.loads(fresh_python(PROCESS_STATE, code))
    return states["before"], states["after"]


@pytest.mark.slow
def test_importing_the_engine_leaves_the_process_as_it_was():
    """A notebook that imports the engine keeps its BLAS threads, torch's threads, malloc's
    behaviour and the switch interval (the dashboard tunes them by an explicit call)."""
    before, after = process_state(
        "import core.rbm.estimator, core.rbm.model, core.gan.trainer, core.training.rbm_job, "
        "core.training.gan_job, core.training.runs, core.training.process, "
        "core.pictures.charts, core.pictures.svg, core.pictures.grids, core.rbm.likelihood, "
        "core.judge.quality, scipy.linalg"
    )
    assert after == before
    assert before["six_mb_mmapped"] is False  # the probe sees glibc's own thresholds


@pytest.mark.slow
def test_tune_process_leaves_the_cores_to_torch_and_fixes_malloc():
    """The dashboard's one call: numpy's and scipy's BLAS on one thread (their spinning threads
    took the cores from torch's workers), malloc's thresholds fixed, a short switch interval;
    torch's own thread count untouched."""
    before, after = process_state(
        "from core.training.process import SWITCH_INTERVAL, tune_process; tune_process(); "
        "import scipy.linalg"  # scipy brings its own OpenBLAS, loaded after
    )
    assert after["blas"] == [1]
    assert after["six_mb_mmapped"] is True and before["six_mb_mmapped"] is False
    assert after["switch"] == pytest.approx(5e-5) and after["torch"] == before["torch"]
    # The dashboard tunes before numpy is loaded (its server starts without it): numpy's
    # BLAS, loaded after, gets one thread too.
    blas_threads = fresh_python(
        "from core.training.process import tune_process; tune_process(); "
        "import numpy, scipy.linalg; "
        "from threadpoolctl import threadpool_info; "
        "print(sorted({p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'}))"
    )
    assert blas_threads == "[1]"


def test_a_run_stopped_while_heaps_trim_ends_at_once(digits):
    """A worker trims its heap as it ends; a session closed inside trimming_heaps (another
    session's close, say) must not make it wait there, nor the closing thread for it."""
    from core.training.process import _trimming, trimming_heaps

    run = TrainingRun(RBMJob(digits, RBMJobSettings(hidden_units=8, epochs=200)))
    run.start()
    wait_for(lambda: run.snapshot().steps > 3)
    worker = run.worker
    started = time.perf_counter()
    with trimming_heaps(), trimming_heaps():  # nested, as a gc inside a close can be
        run.stop()
        assert _trimming[0] == 2
    assert time.perf_counter() - started < 2 and not worker.is_alive()
    assert _trimming[0] == 0


HEAP_PROBE = """
import ctypes, sys, threading
import core.training.process as process
process.tune_process()
libc = process._LIBC
def resident_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
def allocate(blocks):
    for _ in range(24):  # 24 MB in blocks below the mmap threshold: from the thread's heap
        block = libc.malloc(1 << 20)
        ctypes.memset(block, 1, 1 << 20)
        blocks.append(block)
def worker(end):
    blocks = []
    allocate(blocks)
    for block in blocks:
        libc.free(block)
    if end:
        process.release_thread_heap()
blocks = []
mode = sys.argv[1]
before = resident_mb()
if mode in ("worker", "worker ending well"):
    thread = threading.Thread(target=worker, args=(mode == "worker ending well",))
    thread.start(); thread.join()
else:  # a session's model: made in its worker's thread, freed by the thread that closes it
    thread = threading.Thread(target=allocate, args=(blocks,))
    thread.start(); thread.join()
    if mode == "freed while trimming":
        with process.trimming_heaps():
            for block in blocks: libc.free(block)
    else:
        for block in blocks: libc.free(block)
    process.return_memory()
print(resident_mb() - before)
"""


@pytest.mark.parametrize(
    "mode, without",
    [("worker ending well", "worker"), ("freed while trimming", "freed elsewhere")],
)
def test_memory_freed_in_a_threads_heap_goes_back(mode, without):
    """glibc keeps what was freed at the end of a thread's heap (malloc_trim does not return
    it): 24 MB freed by a worker, or by the thread closing a session, stay resident unless the
    worker ends with release_thread_heap or the closing thread frees inside trimming_heaps."""
    from core.training import process

    if process._LIBC is None:
        pytest.skip("glibc's malloc only")

    def kept_mb(how: str) -> float:
        return float(fresh_python(HEAP_PROBE, how))

    assert kept_mb(without) > 20  # the probe sees what glibc keeps
    assert kept_mb(mode) < 4


def test_a_threads_setting_stays_in_its_thread():
    """A page thread that draws with one thread must not cut the worker's matrix products to
    one thread (torch.set_num_threads sets MKL's count for the whole process)."""
    import re
    import threading

    from core.training.process import _thread_libraries, threads_for_this_thread

    if _thread_libraries() is None or torch.get_num_threads() < 2:
        pytest.skip("needs torch's libgomp and MKL and at least two threads")

    def counts() -> tuple[int, int]:
        info = torch.__config__.parallel_info()
        omp = int(re.search(r"omp_get_max_threads\(\) : (\d+)", info).group(1))
        mkl = int(re.search(r"mkl_get_max_threads\(\) : (\d+)", info).group(1))
        return omp, mkl

    seen: dict[str, tuple[int, int]] = {}
    worker_ready, drawn = threading.Event(), threading.Event()

    def worker() -> None:  # as the training worker: two threads, then computes
        threads_for_this_thread(2)
        torch.ones(64, 64) @ torch.ones(64, 64)
        worker_ready.set()
        drawn.wait(10)
        torch.ones(64, 64) @ torch.ones(64, 64)
        seen["worker"] = counts()

    def drawing() -> None:  # as a page's rerun: one thread, and some torch to draw
        threads_for_this_thread(1)
        torch.ones(64, 64) @ torch.ones(64, 64)
        seen["drawing"] = counts()

    training = threading.Thread(target=worker)
    training.start()
    worker_ready.wait(10)
    for _ in range(3):  # several reruns, each in a new thread
        rerun = threading.Thread(target=drawing)
        rerun.start()
        rerun.join()
    drawn.set()
    training.join()
    assert seen == {"drawing": (1, 1), "worker": (2, 2)}
