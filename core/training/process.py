"""Process tuning for the dashboard's server, behind one explicit call: tune_process().

A library must leave its host process as it found it; a server that trains many visitors'
models beside the pages it draws may not. Nothing here changes the process on import (nor
loads torch: the server starts small, and the first visitor's page loads it).
Measurements behind each setting: docs/performance.md.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
from collections.abc import Iterator

SWITCH_INTERVAL = 0.00005  # seconds: how soon a training worker gets the interpreter back
_tuned = threading.Event()


def tune_process() -> None:
    """Tune this process for serving and training many runs at once (idempotent).

    numpy's BLAS gets one thread (its spinning threads took the cores from torch's workers);
    glibc malloc's thresholds are fixed (so a closed session's memory goes back); the
    interpreter switches threads every 50 µs (a worker waits less to resume after each op)."""
    from threadpoolctl import threadpool_limits

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # BLAS copies loaded from now on
    threadpool_limits(limits=1, user_api="blas")  # and those loaded already
    fix_malloc_thresholds()
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
    _tuned.set()


def tuned() -> bool:
    """Whether tune_process() has run in this process."""
    return _tuned.is_set()


MMAP_THRESHOLD = 4 * 2**20  # bytes: larger blocks get pages of their own, returned on free
TRIM_THRESHOLD = 32 * 2**20  # bytes: free memory at a heap's end beyond this goes back
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers
_heap_lock = threading.Lock()
_trimming = [0]  # how many trimming_heaps blocks are open, in any thread


def _glibc():
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc, libc.free, libc.malloc_trim  # noqa: B018  (all, or none)
    except (OSError, AttributeError):
        return None
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    libc.malloc_trim.argtypes = [ctypes.c_size_t]
    return libc


_LIBC = _glibc()


def fix_malloc_thresholds() -> bool:
    """Fix glibc malloc's two thresholds, which otherwise rise with use: blocks of 4 MB or
    more get pages of their own (returned when freed), and a heap keeps at most 32 MB free
    at its end. False where malloc is not glibc's."""
    if _LIBC is None:
        return False
    mmap_set = _LIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    trim_set = _LIBC.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    return bool(mmap_set and trim_set)


@contextlib.contextmanager
def trimming_heaps() -> Iterator[None]:
    """Inside, every free that leaves free memory at the end of a malloc heap gives it back.

    glibc gives threads heaps of their own and never returns what is free at the end of one
    (``malloc_trim`` returns pages inside heaps only); each wave of visitors left a few MB in
    each heap. A block goes back to the heap it came from, whichever thread frees it. Does
    nothing until tune_process() has fixed the thresholds."""
    if _LIBC is None or not tuned():
        yield
        return
    # No lock is held while inside: a block may wait for a worker that ends (and trims) here.
    with _heap_lock:
        _trimming[0] += 1
        if _trimming[0] == 1:
            _LIBC.mallopt(_M_TRIM_THRESHOLD, 0)
    try:
        yield
    finally:
        with _heap_lock:
            _trimming[0] -= 1
            if _trimming[0] == 0:
                _LIBC.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)


def release_thread_heap() -> None:
    """Give back the free memory at the end of the calling thread's malloc heap (a worker
    that ends calls it): a block taken from there and freed while trimming cuts it back."""
    if _LIBC is None or not tuned():
        return
    with trimming_heaps():
        _LIBC.free(_LIBC.malloc(MMAP_THRESHOLD - 2**16))  # below the threshold: from the heap


def return_memory() -> None:
    """Collect garbage and hand freed heap pages back to the system (glibc keeps them
    otherwise), so a server's memory falls again when visitors leave."""
    import gc

    with trimming_heaps():
        gc.collect()
    if _LIBC is not None and tuned():
        _LIBC.malloc_trim(0)  # free pages inside the heaps


def usable_cores() -> int:
    """The cores this process may use: those it is pinned to, fewer where a container's CPU
    quota (cgroup v2 ``cpu.max``, as on shared hosting) allows less; at least one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    try:
        with open("/sys/fs/cgroup/cpu.max") as limits:
            quota, period = limits.read().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def worker_threads() -> int:
    """Threads for one training worker's torch operations: the cores but one, at most two.

    One core stays for serving pages: a worker whose threads share every core with the
    page's drawing (and a browser) waits at its threads' barriers more than it gains
    (docs/performance.md)."""
    return max(1, min(2, usable_cores() - 1))


def training_slots() -> int:
    """How many runs of the server train at once: the cores but one, in workers of
    worker_threads() threads; at least one."""
    return max(1, (usable_cores() - 1) // worker_threads())


def threads_for_this_thread(count: int) -> None:
    """Let torch's operations in the calling thread use ``count`` threads, leaving other
    threads' settings alone.

    torch.set_num_threads also sets MKL's process-wide count: a page's thread asking for one
    thread to draw with would cut the training worker's matrix products to one thread too.
    OpenMP's count and MKL's thread-local one are per thread; where torch uses other
    libraries, torch's own setting is the fallback."""
    libraries = _thread_libraries()
    if libraries is None:
        import torch

        torch.set_num_threads(count)
        return
    gomp, mkl = libraries
    gomp.omp_set_num_threads(count)
    if mkl is not None:
        mkl.MKL_Set_Num_Threads_Local(count)


def per_thread_counts() -> bool:
    """Whether threads_for_this_thread sets the calling thread's count alone (torch on
    OpenMP, as its Linux wheels are); elsewhere it falls back to the process-wide count."""
    return _thread_libraries() is not None


_THREAD_LIBRARIES: list = []


def _thread_libraries():
    """libgomp and MKL as torch loaded them (cached), or None where torch uses others."""
    if not _THREAD_LIBRARIES:
        import ctypes
        import glob

        import torch

        found = None
        folder = os.path.join(os.path.dirname(torch.__file__), "lib")
        gomp_files = glob.glob(os.path.join(folder, "libgomp*.so*"))
        if gomp_files and "OpenMP" in torch.__config__.parallel_info():
            try:
                gomp = ctypes.CDLL(gomp_files[0])
                gomp.omp_set_num_threads.argtypes = [ctypes.c_int]
                mkl = None
                if torch.backends.mkl.is_available():
                    core_library = ctypes.CDLL(os.path.join(folder, "libtorch_cpu.so"))
                    if hasattr(core_library, "MKL_Set_Num_Threads_Local"):
                        mkl = core_library
                        mkl.MKL_Set_Num_Threads_Local.argtypes = [ctypes.c_int]
                found = (gomp, mkl)
            except OSError:
                found = None
        _THREAD_LIBRARIES.append(found)
    return _THREAD_LIBRARIES[0]
