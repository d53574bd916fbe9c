"""Live training that a page can start, pause, resume, step, stop, reset and read.

A :class:`TrainingRun` owns one *job* (an RBM or a GAN with its data) and trains it in a
worker thread. The page never waits on training: :meth:`TrainingRun.snapshot` copies the
latest metrics, a bounded history and the latest pictures under a short lock. Pause returns
only once the update in flight has finished, so no update happens after it. Caps on steps and
wall time end a run on their own; a job that raises (a diverging run, say) ends the run with
its message instead of a traceback. When the run object is dropped (its browser session ended)
the worker stops by itself.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import numpy as np
import torch
import torch.nn.functional as F_nn

from core.data import Dataset, binarize, to_tanh_range, train_validation_split
from core.gan import GANConfig, GANTrainer
from core.rbm import RBM, RBMTrainer


class Job(Protocol):
    """What a TrainingRun trains: one update at a time, and pictures on request."""

    def train_step(self) -> dict[str, float]: ...

    def pictures(self) -> dict[str, np.ndarray]: ...


T = TypeVar("T")
SWITCH_INTERVAL = 0.00005  # seconds
EVALUATE_EVERY = 200  # most steps between two evaluations (there is also one per epoch)
EXACT_MAX_HIDDEN = 12  # up to here each evaluation includes the exact log-likelihood (4096 states)

IDLE, TRAINING, PAUSED, FINISHED, FAILED = "idle", "training", "paused", "finished", "failed"
RELEASED = "This session has ended; its run was released."


@dataclass(frozen=True)
class Caps:
    """What one session may ask for, so one visitor cannot starve the others."""

    max_steps: int = 200_000
    max_seconds: float = 15 * 60
    max_hidden_units: int = 1000
    max_batch_size: int = 1000
    max_epochs: int = 200

    def check(
        self,
        *,
        hidden_units: int | None = None,
        batch_size: int | None = None,
        epochs: int | None = None,
    ) -> None:
        """Raise ValueError naming the first request above its cap."""
        for name, value, cap in (
            ("hidden units", hidden_units, self.max_hidden_units),
            ("batch size", batch_size, self.max_batch_size),
            ("epochs", epochs, self.max_epochs),
        ):
            if value is not None and value > cap:
                raise ValueError(f"{value} {name} is above this server's limit of {cap}.")


@dataclass(frozen=True)
class RunSnapshot:
    """A consistent copy of a run's state for drawing."""

    state: str
    steps: int
    seconds: float
    latest: dict[str, float]
    history: list[dict[str, float]]
    pictures: dict[str, np.ndarray]
    message: str = ""
    version: int = 0
    pictures_version: int = 0
    history_stride: int = 1
    waiting: int = -1  # while training: -1 has a slot, else how many runs wait ahead of it


class History:
    """A run's records from its first step on, at most ``limit`` of them.

    When full, every second per-step record is dropped and from then on only every
    ``stride``-th step is kept, so a long run keeps its whole shape at a coarser resolution.
    Records with keys beyond ``step_keys`` (evaluations) are always kept.
    """

    def __init__(self, limit: int) -> None:
        if limit < 2:
            raise ValueError("a history needs room for at least two records.")
        self.limit = limit
        self.stride = 1
        self.records: list[dict[str, float]] = []

    def append(self, record: dict[str, float], evaluation: bool = False) -> None:
        if not evaluation and int(record["step"]) % self.stride:
            return
        self.records.append(record)
        if len(self.records) > self.limit:
            self.stride *= 2
            kept = [
                r for r in self.records if r.get("evaluation") or int(r["step"]) % self.stride == 0
            ]
            if len(kept) > self.limit:  # evaluations alone fill it: thin those too
                kept = kept[len(kept) - self.limit :]
            self.records = kept

    def __len__(self) -> int:
        return len(self.records)


class TrainingRun:
    """One job trained in a worker thread, controlled from a page."""

    def __init__(
        self,
        job: Job,
        *,
        caps: Caps = Caps(),
        history_limit: int = 4000,
        picture_interval: float = 0.4,
        slots: SlotPool | None = None,
    ) -> None:
        self.caps = caps
        self.slots = slots if slots is not None else SLOTS
        self.picture_interval = picture_interval
        self._history_limit = history_limit
        self._step_lock = threading.Lock()  # held while the job changes
        self._data_lock = threading.Lock()  # held while the snapshot data changes
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._install(job)
        weakref.finalize(self, self._stop.set)
        self.slots.join(self)

    def _install(self, job: Job | None) -> None:
        self.job = job
        self._state = IDLE
        self._steps = 0
        self._seconds = 0.0
        self._history = History(self._history_limit)
        self._latest: dict[str, float] = {}
        self._pictures: dict[str, np.ndarray] = {}
        self._message = ""
        self._version = 0
        self._pictures_version = 0
        self._last_pictures = 0.0

    # ---- reading -------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._state

    def snapshot(self, history: bool = True) -> RunSnapshot:
        """A copy of the latest metrics, the bounded history and the latest pictures."""
        with self._data_lock:
            return RunSnapshot(
                state=self._state,
                steps=self._steps,
                seconds=self._seconds,
                latest=dict(self._latest),
                history=list(self._history.records) if history else [],
                pictures=dict(self._pictures),
                message=self._message,
                version=self._version,
                pictures_version=self._pictures_version,
                history_stride=self._history.stride,
                waiting=self._waiting_ahead(),
            )

    def _waiting_ahead(self) -> int:
        thread = self._thread
        if self._state != TRAINING or thread is None or thread.ident is None:
            return -1
        if self.slots.holds(thread.ident):
            return -1
        return self.slots.waiting(thread.ident)

    def read(self, reader: Callable[[Job], T]) -> T:
        """``reader(job)`` between two updates, so it sees one consistent model."""
        with self._step_lock:
            return reader(self.job)

    # ---- control -------------------------------------------------------------------------

    def start(self) -> None:
        """Train in the background until paused, stopped, capped or failed."""
        if self._state == FAILED or self._finished_because():
            return  # a finished run trains on only when its limit was raised (more epochs)
        self._set_state(TRAINING)
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(
                target=_worker,
                args=(weakref.ref(self), self._stop),
                daemon=True,
                name="training-run",
            )
            self._thread.start()

    resume = start

    def pause(self) -> None:
        """Stop training; returns once the update in flight (if any) has finished."""
        if self._state == TRAINING:
            self._set_state(PAUSED)
        with self._step_lock:  # wait for the worker's current update
            pass

    def step(self, update: Callable[[Job], dict[str, float]] | None = None) -> RunSnapshot:
        """Exactly one update, while paused or idle (a running run is paused first)."""
        self.pause()
        if self._state == FAILED:
            return self.snapshot(history=False)
        if self._one_update(force_pictures=True, update=update) and self._state in (
            IDLE,
            FINISHED,
        ):
            self._set_state(PAUSED)
        return self.snapshot(history=False)

    def stop(self) -> None:
        """End the worker thread (the model is kept; start() trains it again)."""
        self.pause()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def reset(self, job: Job) -> None:
        """Stop, and start over with a fresh job: history, counters and messages are cleared."""
        self.stop()
        with self._step_lock, self._data_lock:
            self._install(job)

    close = stop

    def release(self) -> None:
        """Stop for good and let go of the job, its history and its pictures.

        For a session that has ended: Streamlit keeps a closed tab's session state (and with
        it the page's last variables) for a while after it is released, so the run must not
        hold the model and its data there. A released run does not start again.
        """
        self.stop()
        self.slots.leave(self)
        with self._step_lock, self._data_lock:
            self._install(None)
            self._state = FINISHED
            self._message = RELEASED

    # ---- the update ----------------------------------------------------------------------

    def _set_state(self, state: str, message: str = "") -> None:
        with self._data_lock:
            self._state = state
            if message:
                self._message = message
            self._version += 1

    def _one_update(
        self,
        force_pictures: bool = False,
        from_worker: bool = False,
        update: Callable[[Job], dict[str, float]] | None = None,
    ) -> bool:
        """One job step with bookkeeping; False when the run must not go on."""
        with self._step_lock:
            if from_worker and self._state != TRAINING:
                return True  # paused between the worker's check and here: no update
            if self._finished_because():
                self._set_state(FINISHED, self._finished_because())
                return False
            started = time.perf_counter()
            try:
                metrics = update(self.job) if update else self.job.train_step()
                now = time.perf_counter()
                pictures = None
                if force_pictures or now - self._last_pictures >= self.picture_interval:
                    pictures = self.job.pictures()
                    self._last_pictures = time.perf_counter()
            except Exception as error:  # a diverged run, a bad setting: shown, never raised
                self._set_state(FAILED, f"{type(error).__name__}: {error}")
                return False
            elapsed = time.perf_counter() - started
            with self._data_lock:
                self._steps += 1
                self._seconds += elapsed
                record = {"step": float(self._steps), **metrics}
                self._history.append(record, evaluation=bool(record.get("evaluation")))
                self._latest = record
                if pictures is not None:
                    self._pictures = pictures
                    self._pictures_version += 1
                self._version += 1
            return True

    def _finished_because(self) -> str:
        """Why the run may not take another step ('' when it may)."""
        if self.job is None:
            return RELEASED
        if self._steps >= self.caps.max_steps:
            return f"Stopped at this server's limit of {self.caps.max_steps} steps per run."
        if self._seconds >= self.caps.max_seconds:
            return f"Stopped at this server's limit of {self.caps.max_seconds:.0f} s of training."
        return str(getattr(self.job, "done", "") or "")


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
    """Fix glibc malloc's two thresholds, which otherwise move with use.

    Once a large block (a dataset, 16 MB) has been freed, glibc serves blocks up to that size
    from its heaps and lets a heap keep twice that much free at its end. Fixed, blocks of
    4 MB or more get pages of their own (returned when freed) and a heap keeps at most 32 MB
    free at its end (trimming_heaps lowers that while a session's memory is freed). The
    default RBM and GAN train as fast, measured on one thread in three runs each way: RBM
    593–623 steps/s against 600–606, GAN 25–31 against 26–28. False where malloc is not
    glibc's."""
    if _LIBC is None:
        return False
    mmap_set = _LIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    trim_set = _LIBC.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    return bool(mmap_set and trim_set)


fix_malloc_thresholds()


@contextlib.contextmanager
def trimming_heaps() -> Iterator[None]:
    """Inside, every free that leaves free memory at the end of a malloc heap gives it back.

    glibc gives threads heaps of their own (up to 8 per core) and keeps what was freed at a
    heap's end for that heap's next allocations; ``malloc_trim`` returns free pages inside the
    heaps but never those at the end of a thread's heap. Each wave of visitors left a few MB
    in each of a dozen heaps this way, ~40 MB after ten sessions (measured with malloc_info
    and /proc/self/smaps in the running server). Blocks are freed into the heap they came from,
    whichever thread frees them: a session's model, freed here, goes back from its worker's
    heap. For a moment, other threads' frees trim their heaps too, which costs them nothing
    but a few page faults."""
    if _LIBC is None:
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
    if _LIBC is None:
        return
    with trimming_heaps():
        _LIBC.free(_LIBC.malloc(MMAP_THRESHOLD - 2**16))  # below the threshold: from the heap


def return_memory() -> None:
    """Collect garbage and hand freed heap pages back to the system (glibc keeps them
    otherwise), so a server's memory falls again when visitors leave."""
    import gc

    with trimming_heaps():
        gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)  # free pages inside the heaps


def close_session_run(holder: dict) -> None:
    """A page's session-release hook: stop the session's run, drop it, return its memory."""
    run = holder.get("run")
    if run is not None:
        run.stop()  # the worker ends, cutting its own heap back as it goes
    with trimming_heaps():
        holder.clear()
        if run is not None:
            run.release()
            del run
    return_memory()


def intra_op_threads() -> int:
    """Threads for one worker's torch operations (set per thread, see threads_for_this_thread).

    One core stays for serving pages: a worker whose two threads share two cores with the
    page's drawing (and, here, the browser) loses more to waiting at its threads' barriers
    than the second thread gains. Measured on two cores, the RBM page's default run in
    Chromium: 455 steps/s on one thread against 302 on two (800 on two without a page)."""
    return max(1, min(2, (os.cpu_count() or 1) - 1))


def threads_for_this_thread(count: int) -> None:
    """Let torch's operations in the calling thread use ``count`` threads, leaving other
    threads' settings alone.

    torch.set_num_threads also sets MKL's process-wide thread count: a page's rerun thread
    asking for one thread to draw with would make the training worker's matrix products run
    on one thread too (measured: 530 instead of 800 steps/s). OpenMP's thread count and MKL's
    thread-local one are per thread; where those libraries are not torch's (another
    platform's build), torch's own setting is the fallback.
    """
    libraries = _thread_libraries()
    if libraries is None:
        torch.set_num_threads(count)
        return
    gomp, mkl = libraries
    gomp.omp_set_num_threads(count)
    if mkl is not None:
        mkl.MKL_Set_Num_Threads_Local(count)


_THREAD_LIBRARIES: list = []


def _thread_libraries():
    """libgomp and MKL as torch loaded them (cached), or None where torch uses others."""
    if not _THREAD_LIBRARIES:
        import ctypes
        import glob

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


class SlotPool:
    """At most ``size`` runs of this process train at once; the others wait their turn.

    A run takes a slot and trains for a turn, then gives the slot back only when another run
    is waiting (first come, first served), so one visitor cannot take the whole machine and a
    lone visitor never pauses. A turn lasts ``slice_seconds`` shared among the runs that
    want one (at least ``min_turn_seconds``): with twenty waiting, each trains a few
    hundredths of a second, and every visitor's model moves on about twice a second.
    """

    def __init__(
        self, size: int, slice_seconds: float = 0.5, min_turn_seconds: float = 0.01
    ) -> None:
        if size < 1:
            raise ValueError("a slot pool needs at least one slot.")
        self.size = size
        self.slice_seconds = slice_seconds
        self.min_turn_seconds = min_turn_seconds
        self._lock = threading.Lock()
        self._holders: set[int] = set()
        self._queue: deque[int] = deque()
        self._wakeups: dict[int, threading.Event] = {}
        self._open: weakref.WeakSet = weakref.WeakSet()  # runs whose pages are open

    def acquire(self, owner: int, still_wanted: Callable[[], bool]) -> bool:
        """Wait for a slot in turn; False (and out of the queue) once no longer wanted."""
        with self._lock:
            if owner in self._holders:
                return True
            wakeup = threading.Event()
            self._queue.append(owner)
            self._wakeups[owner] = wakeup
            self._wake_first()
        try:
            while True:
                wakeup.wait(0.05)  # woken when first in line with a slot free
                with self._lock:
                    if self._queue[0] == owner and len(self._holders) < self.size:
                        self._holders.add(owner)
                        return True
                    wakeup.clear()
                if not still_wanted():
                    return False
        finally:
            with self._lock:
                self._queue.remove(owner)
                del self._wakeups[owner]
                self._wake_first()

    def _wake_first(self) -> None:
        """Wake only the run first in line, when a slot is free (called holding the lock)."""
        if self._queue and len(self._holders) < self.size:
            self._wakeups[self._queue[0]].set()

    def release(self, owner: int) -> None:
        with self._lock:
            self._holders.discard(owner)
            self._wake_first()

    def holds(self, owner: int) -> bool:
        with self._lock:
            return owner in self._holders

    def waiting(self, owner: int | None = None) -> int:
        """How many runs wait (or how many wait ahead of ``owner``)."""
        with self._lock:
            if owner is not None and owner in self._queue:
                return list(self._queue).index(owner)
            return len(self._queue)

    def wanting(self) -> int:
        """How many runs train or wait to."""
        with self._lock:
            return len(self._holders) + len(self._queue)

    def join(self, run: object) -> None:
        """Count ``run`` among the open ones (its page is open: it may train at any moment)."""
        with self._lock:
            self._open.add(run)

    def leave(self, run: object) -> None:
        with self._lock:
            self._open.discard(run)

    def load(self) -> int:
        """The load the pages adapt their refreshes to: the runs training or waiting to, or,
        if more, the open runs (one per training page a live session has opened, from its
        first drawing until the session ends; a closed tab's session lingers for Streamlit's
        disconnectedSessionTTL, 120 s by default).

        A page sets its refresh timer when it is drawn, and keeps it until its next full
        rerun (see app_pages.common.live_period). When a class opens the page and then
        presses Start one after another, the first Starts see few runs training and would
        keep the fastest timer for the whole lesson; the open runs are what is coming. The
        price: on a server with many live sessions, a lone run's charts redraw less often."""
        with self._lock:
            return max(len(self._holders) + len(self._queue), len(self._open))

    def turn_seconds(self) -> float:
        """How long the run holding a slot trains before it lets a waiting run in."""
        return max(self.min_turn_seconds, self.slice_seconds * self.size / max(1, self.wanting()))


def refresh_periods(load: int, base: float) -> tuple[float, float]:
    """How often a page redraws while its run trains: (status line, charts and pictures),
    at a server ``load`` (SlotPool.load: runs training, or open, on this server).

    Charts and image grids are most of what a refresh costs, on the server and in every
    visitor's browser. With more runs on the server they are redrawn less often (down to
    every 8 base periods), while the status line with the step counter keeps moving at least
    every 0.7 s: every visitor still sees their model advance.
    """
    if load <= 3:
        return base, base
    if load <= 6:
        return base, 2 * base
    if load <= 12:
        return max(base, 0.6), 4 * base
    return max(base, 0.7), 8 * base


# Runs share the machine: the cores but one (kept for serving pages), in workers of
# intra_op_threads() threads each; at least one run trains.
SLOTS = SlotPool(max(1, ((os.cpu_count() or 1) - 1) // intra_op_threads()))


def _worker(run_reference: Callable[[], TrainingRun | None], stop: threading.Event) -> None:
    """Train while the run exists, is training and has not been told to stop."""
    # A training step releases the GIL around each of its many small torch operations; with
    # the default 5 ms switch interval, a busy page-drawing thread makes the worker wait up to
    # 5 ms to take it back each time. A short interval keeps the worker at full speed.
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
    me = threading.get_ident()
    run = run_reference()
    if run is None:
        return
    pool = run.slots
    threads_for_this_thread(intra_op_threads())
    del run

    def wanted() -> bool:
        current = run_reference()
        return current is not None and current.state == TRAINING and not stop.is_set()

    try:
        while not stop.is_set():
            if not wanted():
                pool.release(me)
                stop.wait(0.02)
                continue
            if not pool.holds(me):
                if not pool.acquire(me, wanted):
                    continue
                slice_started = time.perf_counter()
            run = run_reference()
            if run is None:
                return
            if not run._one_update(from_worker=True):
                return
            del run
            if time.perf_counter() - slice_started >= pool.turn_seconds():
                if pool.waiting():
                    pool.release(me)  # someone is waiting: their turn
                else:
                    slice_started = time.perf_counter()
    finally:
        pool.release(me)
        release_thread_heap()


# ---- the jobs ----------------------------------------------------------------------------


class _Shared:
    """Arrays derived from a dataset, shared read-only by every run that uses them."""

    __slots__ = ("dataset", "value", "__weakref__")

    def __init__(self, dataset: Dataset, value) -> None:
        self.dataset = dataset  # kept alive with the value, so its id is not reused meanwhile
        self.value = value


_shared: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_shared_lock = threading.Lock()


def shared_from_dataset(dataset: Dataset, key: tuple, make: Callable[[], T]) -> _Shared:
    """``make()``'s result for this dataset and key, made once while some run holds it.

    Each page's run used to carry its own binarized (RBM) or rescaled (GAN) copy of the
    dataset, 16 MB of mnist-5k per visitor; forty visitors at the default seed now share one.
    A job keeps the returned holder (the copy lives as long as some job does) and never
    writes into its arrays.
    """
    with _shared_lock:
        entry = _shared.get((id(dataset), key))
        if entry is None or entry.dataset is not dataset:
            entry = _Shared(dataset, make())
            _shared[(id(dataset), key)] = entry
        return entry


def _binarized_split(dataset: Dataset, validation_fraction: float, seed: int) -> tuple:
    train, validation = train_validation_split(dataset, validation_fraction, seed)
    return (
        torch.from_numpy(binarize(train.images)),
        train.labels,
        torch.from_numpy(binarize(validation.images)),
        validation.labels,
    )


@dataclass
class RBMJobSettings:
    """The RBM page's settings; learning rate, k, momentum and weight decay change live."""

    hidden_units: int = 100
    learning_rate: float = 0.05
    k: int = 1
    persistent: bool = False
    batch_size: int = 100
    momentum: float = 0.5
    weight_decay: float = 1e-4
    seed: int = 0
    epochs: int = 50
    validation_fraction: float = 0.1
    extra: dict = field(default_factory=dict)


class RBMJob:
    """An RBM on a binarized dataset, trained one mini-batch per step."""

    def __init__(self, dataset: Dataset, settings: RBMJobSettings, caps: Caps = Caps()) -> None:
        caps.check(
            hidden_units=settings.hidden_units,
            batch_size=settings.batch_size,
            epochs=settings.epochs,
        )
        self.caps = caps
        self.settings = settings
        self.dataset = dataset
        fraction, seed = float(settings.validation_fraction), int(settings.seed)
        self._split = shared_from_dataset(
            dataset,
            ("binarized split", fraction, seed),
            lambda: _binarized_split(dataset, fraction, seed),
        )
        self.train, self.train_labels, self.validation, self.validation_labels = self._split.value
        self.rbm = RBM(dataset.n_pixels, settings.hidden_units, seed=settings.seed)
        self.trainer = RBMTrainer(
            self.rbm,
            learning_rate=settings.learning_rate,
            k=settings.k,
            persistent=settings.persistent,
            momentum=settings.momentum,
            weight_decay=settings.weight_decay,
            n_persistent_chains=settings.batch_size,
            seed=settings.seed,
        )
        self._shuffle = torch.Generator().manual_seed(settings.seed)
        self._order = torch.randperm(len(self.train), generator=self._shuffle)
        self._position = 0
        self.epoch = 0
        self._last_evaluation = 0
        flips = torch.Generator().manual_seed(settings.seed + 1)
        self._eval_train = self.train[:500]
        self._eval_validation = self.validation[:500]
        self._eval_train_flips = torch.randint(
            dataset.n_pixels, (len(self._eval_train),), generator=flips
        )
        self._eval_validation_flips = torch.randint(
            dataset.n_pixels, (len(self._eval_validation),), generator=flips
        )

    @property
    def done(self) -> str:
        """Why this job has finished ('' while it has epochs to go)."""
        if self.epoch >= self.settings.epochs:
            return f"Finished the {self.settings.epochs} epochs asked for."
        return ""

    def apply(self, settings: RBMJobSettings) -> None:
        """Take over the settings that change without a reset (rate, k, CD/PCD, epochs...)."""
        self.caps.check(epochs=settings.epochs)
        self.trainer.learning_rate = settings.learning_rate
        self.trainer.k = settings.k
        self.trainer.momentum = settings.momentum
        self.trainer.weight_decay = settings.weight_decay
        self.trainer.persistent = settings.persistent
        self.settings = settings

    def train_step(self) -> dict[str, float]:
        size = min(self.settings.batch_size, len(self.train))
        batch = self.train[self._order[self._position : self._position + size]]
        self._position += size
        metrics = self.trainer.step(batch)
        epoch_done = self._position + size > len(self.train)  # no full batch left
        if epoch_done:
            self._order = torch.randperm(len(self.train), generator=self._shuffle)
            self._position = 0
            self.epoch += 1
        record = {
            "epoch": self.epoch_progress,
            "surrogate_cost": metrics.surrogate_cost,
            "reconstruction_error": metrics.reconstruction_error,
            "pseudo_log_likelihood": metrics.pseudo_log_likelihood,
        }
        steps = self.trainer.steps_done
        if steps == 1 or epoch_done or steps - self._last_evaluation >= EVALUATE_EVERY:
            record.update(self.evaluate())
            self._last_evaluation = steps
        return record

    @property
    def epoch_progress(self) -> float:
        """Epochs done, with the fraction of the current one."""
        return self.epoch + self._position / len(self.train)

    @property
    def exact_likelihood(self) -> bool:
        """Whether log Z can be had exactly at every evaluation (few hidden units)."""
        return self.rbm.n_hidden <= EXACT_MAX_HIDDEN

    def evaluate(self, n: int = 500) -> dict[str, float]:
        """Metrics on fixed training and validation images (the same ones every time).

        Mean free energy (a validation mean rising above the training mean is overfitting),
        reconstruction error, pseudo-likelihood with fixed flipped pixels and, for a small
        model, the exact average log-likelihood log P(v) = -F(v) - log Z.
        """
        record: dict[str, float] = {"evaluation": 1.0}
        with torch.no_grad():
            log_z = self.rbm.log_partition_exact() if self.exact_likelihood else None
            for name, images, flips in (
                ("train", self._eval_train, self._eval_train_flips),
                ("validation", self._eval_validation, self._eval_validation_flips),
            ):
                hidden_input = torch.addmm(self.rbm.c, images, self.rbm.W.t())
                free_energy = -(images @ self.rbm.b) - F_nn.softplus(hidden_input).sum(dim=1)
                noise = torch.Generator().manual_seed(self.settings.seed + 2)  # same each time
                record[f"free_energy_{name}"] = free_energy.mean().item()
                record[f"reconstruction_error_{name}"] = (
                    self.rbm.reconstruction_error(images, generator=noise).mean().item()
                )
                record[f"pseudo_log_likelihood_{name}"] = (
                    self.rbm._pseudo_log_likelihood(images, hidden_input, flips).mean().item()
                )
                if log_z is not None:
                    record[f"log_likelihood_{name}"] = -free_energy.double().mean().item() - log_z
        record["free_energy_gap"] = record["free_energy_validation"] - record["free_energy_train"]
        return record

    def estimate_log_likelihood(
        self, n_betas: int = 5000, progress: Callable[[float], None] | None = None
    ) -> dict[str, float]:
        """Average log-likelihood of the evaluation images, log Z by AIS (±3 s.e. bounds)."""
        result = self.rbm.log_partition_ais(
            data=self.train, n_runs=100, n_betas=n_betas, seed=self.settings.seed, progress=progress
        )
        record = {"log_z": result.log_z}
        with torch.no_grad():
            evaluation_sets = (("train", self._eval_train), ("validation", self._eval_validation))
            for name, images in evaluation_sets:
                minus_f = -self.rbm.free_energy(images).double().mean().item()
                record[f"ais_log_likelihood_{name}"] = minus_f - result.log_z
                record[f"ais_log_likelihood_{name}_low"] = minus_f - result.log_z_high
                record[f"ais_log_likelihood_{name}_high"] = minus_f - result.log_z_low
        return record

    def latent_views(self, n: int = 600) -> dict[str, np.ndarray]:
        """P(h | v) of validation images, its mean per class, and a 2-D PCA projection."""
        with torch.no_grad():
            activations = self.rbm.hidden_probabilities(self.validation[:n]).numpy()
        labels = self.validation_labels[:n]
        classes = np.unique(labels)
        centred = activations - activations.mean(axis=0)
        _, _, directions = np.linalg.svd(centred, full_matrices=False)
        return {
            "activations": activations[:64],
            "class_means": np.stack([activations[labels == c].mean(axis=0) for c in classes]),
            "classes": classes,
            "projection": centred @ directions[:2].T,
            "labels": labels,
        }

    def free_energy_samples(self, n: int = 400, gibbs_steps: int = 100) -> dict[str, np.ndarray]:
        """F(v) of validation images, of model samples (chains from noise) and of noise."""
        generator = torch.Generator().manual_seed(self.settings.seed)
        noise = (torch.rand(n, self.rbm.n_visible, generator=generator) < 0.5).float()
        with torch.no_grad():
            samples, _ = self.rbm.gibbs_chain(noise, gibbs_steps, generator=generator)
            return {
                "data": self.rbm.free_energy(self.validation[:n]).numpy(),
                "model samples": self.rbm.free_energy(samples[-1]).numpy(),
                "noise": self.rbm.free_energy(noise).numpy(),
            }

    def gibbs_frames(
        self, start: str = "noise", digit: int = 0, k: int = 30, n_chains: int = 16
    ) -> list[np.ndarray]:
        """P(v | h) after each of k Gibbs steps, for chains started from noise or a digit."""
        generator = torch.Generator().manual_seed(self.settings.seed)
        if start == "noise":
            v = (torch.rand(n_chains, self.rbm.n_visible, generator=generator) < 0.5).float()
        else:
            labels = torch.from_numpy(self.train_labels)
            members = torch.nonzero(labels == digit).flatten()
            if len(members) == 0:
                raise ValueError(f"There is no {digit} in the training data.")
            v = self.train[members[torch.randint(len(members), (n_chains,), generator=generator)]]
        _, probabilities = self.rbm.gibbs_chain(v, k, generator=generator)
        return [frame.numpy().copy() for frame in probabilities]

    def load_weights(self, rbm: RBM) -> None:
        """Continue from a checkpoint's weights (same shape as this job's RBM)."""
        if (rbm.n_visible, rbm.n_hidden) != (self.rbm.n_visible, self.rbm.n_hidden):
            raise ValueError(
                f"The checkpoint has {rbm.n_visible} visible and {rbm.n_hidden} hidden units; "
                f"this model has {self.rbm.n_visible} and {self.rbm.n_hidden}."
            )
        self.rbm.load_state_dict(rbm.state_dict())
        self.trainer.reset_chains()

    reconstruction_steps = 1  # Gibbs steps between the originals and their samples; a page sets it

    def pictures(self) -> dict[str, np.ndarray]:
        with torch.no_grad():
            originals = self.train[:32]
            _, probabilities = self.rbm.gibbs_chain(
                originals, int(self.reconstruction_steps), generator=self.trainer.random
            )
            return {
                "originals": originals.numpy().copy(),
                "reconstructions": probabilities[-1].numpy().copy(),
                "filters": self.rbm.W[:64].numpy().copy(),
            }


QUALITY_EVERY = 250  # GAN steps between two measurements of sample quality
TIMELINE_FRAMES = 48  # fixed-noise snapshots kept for the timeline (thinned when full)


class GANJob:
    """A GAN on a dataset scaled to [-1, 1], trained one k:1 step at a time.

    With a reference ``classifier`` (see core.classifier) it measures the quality of fresh
    samples every QUALITY_EVERY steps: the share recognised confidently, the coverage of the
    classes and the classifier FID. It keeps a timeline of the fixed-noise grid.
    """

    LIVE = (
        "learning_rate_generator",
        "learning_rate_discriminator",
        "k",
        "generator_loss",
        "average_decay",
    )

    def __init__(
        self, dataset: Dataset, config: GANConfig, caps: Caps = Caps(), classifier=None
    ) -> None:
        caps.check(batch_size=config.batch_size)
        self.caps = caps
        self.dataset = dataset
        self._data = shared_from_dataset(
            dataset, ("tanh range",), lambda: torch.from_numpy(to_tanh_range(dataset.images))
        )
        self.trainer = GANTrainer(config, self._data.value)
        self.classifier = classifier
        self.real_features = None
        if classifier is not None:
            real = dataset.images[: min(1000, len(dataset.images))]
            self.real_features = classifier.predict(real)[1]
        self.timeline: list[tuple[int, np.ndarray]] = []
        self._timeline_every = 1
        self._pictures_drawn = 0
        self.latest_quality: dict[str, np.ndarray] = {}

    @property
    def config(self) -> GANConfig:
        return self.trainer.config

    @property
    def steps(self) -> int:
        return self.trainer.generator_updates

    def apply(self, config: GANConfig) -> None:
        """Take over the settings that change without a reset (learning rates, k, loss, batch)."""
        self.caps.check(batch_size=config.batch_size)
        config.validate()
        current = self.trainer.config
        for name in (*self.LIVE, "batch_size"):
            setattr(current, name, getattr(config, name))

    def _record(self, report) -> dict[str, float]:
        record = {
            "discriminator_loss": report.discriminator_loss,
            "generator_loss": report.generator_loss,
            "d_real": report.d_real,
            "d_fake": report.d_fake,
            "discriminator_grad_norm": report.discriminator_grad_norm,
            "generator_grad_norm": report.generator_grad_norm,
        }
        if self.classifier is not None and self.steps % QUALITY_EVERY == 1:
            record.update(self.quality())
        return record

    def train_step(self) -> dict[str, float]:
        return self._record(self.trainer.step())

    def train_discriminator_only(self) -> dict[str, float]:
        """One discriminator update and no generator update (GAN Lab's "train D")."""
        loss, d_real, d_fake, norm = self.trainer.update_discriminator()
        return {
            "discriminator_loss": loss,
            "d_real": d_real,
            "d_fake": d_fake,
            "discriminator_grad_norm": norm,
            "discriminator_only": 1.0,
        }

    def train_generator_only(self) -> dict[str, float]:
        """One generator update against the current discriminator ("train G")."""
        loss, d_fake, norm = self.trainer.update_generator()
        return {
            "generator_loss": loss,
            "d_fake": d_fake,
            "generator_grad_norm": norm,
            "generator_only": 1.0,
        }

    def quality(self, n: int = 500) -> dict[str, float]:
        """Sample quality of n fresh samples, judged by the reference classifier."""
        from core.metrics import sample_quality

        generated = (self.trainer.generate(n) + 1) / 2
        result = sample_quality(self.classifier, generated, self.real_features)
        self.latest_quality = {"class_shares": np.asarray(result.coverage.shares)}
        return {
            "evaluation": 1.0,
            "confident_share": result.confident_share,
            "coverage_entropy": result.coverage.entropy,
            "classifier_fid": result.classifier_fid,
        }

    @torch.no_grad()
    def discriminator_outputs(self, n: int = 256) -> dict[str, np.ndarray]:
        """D's output (a probability) on n real images and n generated ones, dropout off."""
        real = self.trainer.data[torch.randperm(len(self.trainer.data))[:n]]
        fake = torch.as_tensor(self.trainer.generate(n))
        discriminator = self.trainer.discriminator
        discriminator.eval()
        try:
            return {
                "real images": torch.sigmoid(discriminator(real)).flatten().numpy(),
                "generated images": torch.sigmoid(discriminator(fake)).flatten().numpy(),
            }
        finally:
            discriminator.train()

    def pictures(self) -> dict[str, np.ndarray]:
        fixed = (self.trainer.fixed_samples() + 1) / 2
        step = self.steps
        self._pictures_drawn += 1
        fresh = not self.timeline or self.timeline[-1][0] != step
        if fresh and self._pictures_drawn % self._timeline_every == 0:
            self.timeline.append((step, fixed))
            if len(self.timeline) > TIMELINE_FRAMES:  # keep the whole run, coarser
                self._timeline_every *= 2
                self.timeline = self.timeline[::2]
        return {"fixed_noise": fixed, **self.discriminator_outputs(), **self.latest_quality}
