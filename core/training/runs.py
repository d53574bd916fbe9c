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

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np

from core.devices import device_name
from core.training import process
from core.training.album import Album
from core.training.caps import Caps
from core.training.history import History
from core.training.slots import SlotPool, shared_slots
from core.training.threads import ThreadChoice


class Job(Protocol):
    """What a TrainingRun trains: one update at a time, and pictures on request. A job may
    also have ``seconds_per_step`` (the worker then waits that long between its steps) and
    ``done`` (a reason to stop)."""

    def train_step(self) -> dict[str, float]: ...

    def pictures(self) -> dict[str, np.ndarray]: ...

    def apply(self, settings: Any) -> None: ...


T = TypeVar("T")

IDLE, TRAINING, PAUSED, FINISHED, FAILED = "idle", "training", "paused", "finished", "failed"
RELEASED = "This session has ended; its run was released."


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
    threads: int = 0  # the CPU threads its worker trains on (0: as the process has them)
    device: str = ""  # the accelerator its job trains on, by name ("": the CPU)
    rested: str = ""  # "paused while nobody watched, N s" after such a rest; while resting, why
    album: tuple = ()  # (step, samples) at steps 1, 3, 10, 30, …: core.training.album


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
        rest_unwatched_after: float | None = None,
    ) -> None:
        self.caps = caps
        # A page's run rests at its next step once no view of it has been drawn for this
        # many seconds (None: it trains until paused, as in a notebook); keep_going, a
        # visitor's "keep training while I'm away", lets it train on unwatched.
        self.rest_unwatched_after = rest_unwatched_after
        self.keep_going = False
        self.slots = slots if slots is not None else shared_slots()
        self.picture_interval = picture_interval
        self._history_limit = history_limit
        self._step_lock = threading.Lock()  # held while the job changes
        self._data_lock = threading.Lock()  # held while the snapshot data changes
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._threads = 0  # the worker's torch threads now (0: left as the process has them)
        self._install(job)
        weakref.finalize(self, self._stop.set)
        self.slots.join(self)

    def _install(self, job: Job | None) -> None:
        self.job = job
        self._device = device_name(getattr(job, "device", None))
        self._state = IDLE
        self._steps = 0
        self._first_step = 0  # a model loaded from a checkpoint starts at the step it had
        self._seconds = 0.0
        self._history = History(self._history_limit)
        self._latest: dict[str, float] = {}
        self._pictures: dict[str, np.ndarray] = {}
        self._album = Album(getattr(job, "ALBUM_KEY", None))
        self._message = ""
        self._version = 0
        self._pictures_version = 0
        self._last_pictures = 0.0
        self._watched_at = time.monotonic()
        self._resting_since: float | None = None  # paused because nobody watched, since when
        self._rested = ""

    # ---- reading -------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._state

    @property
    def worker(self) -> threading.Thread | None:
        """The worker thread, from the first start until stop (None before and after)."""
        return self._thread

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
                threads=self._threads,
                device=self._device,
                rested=self._rested,
                album=tuple(self._album.pages) if history else (),
            )

    def _waiting_ahead(self) -> int:
        thread = self._thread
        if self._state != TRAINING or thread is None or thread.ident is None:
            return -1
        if self.slots.holds(thread.ident) or not self.slots.queued(thread.ident):
            return -1  # training, or a paced run between two steps
        return self.slots.waiting(thread.ident)

    def read(self, reader: Callable[..., T], *args, **kwargs) -> T:
        """``reader(job, *args, **kwargs)`` between two updates, so it sees one consistent
        model (``reader`` is often a job's own method: ``run.read(GANJob.samples, 64)``)."""
        with self._step_lock:
            return reader(self.job, *args, **kwargs)

    def apply(self, settings: Any) -> None:
        """Hand the job the settings that change live (rates, k, ...) between two updates:
        the worker never sees half of a change."""
        with self._step_lock:
            self.job.apply(settings)

    def watched(self) -> None:
        """A view of this run was drawn (its page, its live fragment, its status line). A run
        that rested because nobody watched trains on, and its status line says for how long
        it rested."""
        with self._data_lock:
            self._watched_at = now = time.monotonic()
            if self._resting_since is None:
                return
            if self._state == PAUSED:
                self._state = TRAINING
                self._rested = f"paused while nobody watched, {now - self._resting_since:.0f} s"
                self._version += 1
            self._resting_since = None

    def resting(self) -> bool:
        """Whether the run is paused because nobody watched it (it resumes when watched)."""
        return self._resting_since is not None and self._state == PAUSED

    def _unwatched(self) -> bool:
        after = self.rest_unwatched_after
        return (
            after is not None
            and not self.keep_going
            and time.monotonic() - self._watched_at > after
        )

    # ---- control -------------------------------------------------------------------------

    def start(self) -> None:
        """Train in the background until paused, stopped, capped or failed."""
        if self._state == FAILED or self._finished_because():
            return  # a finished run trains on only when its limit was raised (more epochs)
        self._watched_at, self._resting_since, self._rested = time.monotonic(), None, ""
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

    @property
    def can_train(self) -> bool:
        """Whether start() would train: not training already, not failed, not at an end (a
        finished run whose limit was raised, more epochs say, can)."""
        return self._state not in (TRAINING, FAILED) and not self._finished_because()

    def pause(self) -> None:
        """Stop training; returns once the update in flight (if any) has finished."""
        if self._state == TRAINING:
            self._set_state(PAUSED)
        self._resting_since = None  # paused by hand: it stays paused when watched again
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

    def adopt(self, load: Callable[[Job], tuple[int, dict | list[dict]]]) -> None:
        """Load a model into the job between two updates: ``load(job)`` returns the step the
        model had reached and its first metrics, or the records of its curves so far (each
        with its "step", the model's own last: a recorded run's). The run then stands paused
        at that step with its pictures drawn and those metrics as the first points of its
        curves (nothing waits for a first update). Errors from ``load`` propagate, the run
        unchanged."""
        self.pause()
        with self._step_lock:
            steps, metrics = load(self.job)
            pictures = self.job.pictures()
            if isinstance(metrics, dict):
                metrics = [{"step": float(steps), **metrics}] if metrics else []
            with self._data_lock:
                self._steps = self._first_step = int(steps)
                for record in metrics:
                    self._history.append(record, evaluation=bool(record.get("evaluation")))
                    self._latest = record
                self._pictures = pictures
                self._pictures_version += 1
                self._state = PAUSED if steps else IDLE
                self._version += 1

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
            if from_worker and self._unwatched():
                with self._data_lock:  # rest, and say why, until a view of it comes back
                    self._state, self._resting_since = PAUSED, time.monotonic()
                    self._rested = "resting: nobody watches this run"
                    self._version += 1
                return True
            if self._finished_because():
                self._set_state(FINISHED, self._finished_because())
                return False
            started = time.perf_counter()
            try:
                metrics = update(self.job) if update else self.job.train_step()
                now = time.perf_counter()
                pictures = None
                due = force_pictures or self._album.due(self._steps + 1)
                if due or now - self._last_pictures >= self.picture_interval:
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
                if hasattr(self.job, "images_seen"):  # training images it has been shown
                    record["images"] = float(self.job.images_seen)
                self._history.append(record, evaluation=bool(record.get("evaluation")))
                self._latest = record
                if pictures is not None:
                    self._album.keep(self._steps, pictures)
                    self._pictures = pictures
                    self._pictures_version += 1
                self._version += 1
            return True

    def _finished_because(self) -> str:
        """Why the run may not take another step ('' when it may)."""
        if self.job is None:
            return RELEASED
        if self._steps - self._first_step >= self.caps.max_steps:
            return (
                f"Stopped at this server's limit of {self.caps.max_steps} steps per run: "
                "press Reset to start another."
            )
        if self._seconds >= self.caps.max_seconds:
            return (
                f"Stopped at this server's limit of {self.caps.max_seconds:.0f} s of training: "
                "press Reset to start another."
            )
        return str(getattr(self.job, "done", "") or "")


def _worker(run_reference: Callable[[], TrainingRun | None], stop: threading.Event) -> None:
    """Train while the run exists, is training and has not been told to stop."""
    me = threading.get_ident()
    run = run_reference()
    if run is None:
        return
    pool = run.slots
    # A server's pool says how many threads a worker takes while others train; alone, it may
    # take every core (ThreadChoice finds whether that is faster). Other pools: untouched.
    choice = None
    if pool.worker_threads is not None:
        process.threads_for_this_thread(pool.worker_threads)
        run._threads = pool.worker_threads
        if process.per_thread_counts():  # else a switch would change every thread's count
            choice = ThreadChoice(pool.worker_threads, process.usable_cores())
    del run
    idle = True  # not marked as training in the pool (a change of state is marked once)

    def wanted() -> bool:
        current = run_reference()
        return current is not None and current.state == TRAINING and not stop.is_set()

    try:
        while not stop.is_set():
            if not wanted():
                if choice is not None:
                    choice.interrupted()
                pool.release(me)
                if not idle:  # paused or finished: no longer training; give back spare heap
                    idle = True
                    pool.training(me, False)
                    process.release_thread_heap()
                stop.wait(0.02)
                continue
            if idle:
                idle = False
                pool.training(me, True)
            if not pool.holds(me):
                if not pool.acquire(me, wanted):
                    continue
                slice_started = time.perf_counter()
            run = run_reference()
            if run is None:
                return
            pace = float(getattr(run.job, "seconds_per_step", 0.0) or 0.0)
            on_cpu = not run._device  # on a GPU the CPU only queues its work: no trials
            if choice is not None:
                alone = not pace and pool.trainers() == 1
                threads = choice.count(alone=alone) if on_cpu else pool.worker_threads
                if threads != run._threads:
                    process.threads_for_this_thread(threads)
                    run._threads = threads
            started = time.perf_counter()
            if not run._one_update(from_worker=True):
                # Finished or failed: stay, idle, rather than exit, so a start() right after
                # (more epochs) never meets a thread that is alive but on its way out.
                del run
                continue
            if choice is not None and on_cpu:
                choice.stepped()
            del run
            if pace:  # a job that asks for slow motion: wait (letting anyone waiting train)
                if pool.waiting():
                    pool.release(me)
                stop.wait(max(0.0, pace - (time.perf_counter() - started)))
                continue
            if time.perf_counter() - slice_started >= pool.turn_seconds():
                if pool.waiting():
                    pool.release(me)  # someone is waiting: their turn
                else:
                    slice_started = time.perf_counter()
    finally:
        pool.training(me, False)
        pool.release(me)
        process.release_thread_heap()
