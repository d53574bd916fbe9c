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

import os
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import numpy as np
import torch

from core.data import Dataset, binarize, to_tanh_range, train_validation_split
from core.gan import GANConfig, GANTrainer
from core.rbm import RBM, RBMTrainer


class Job(Protocol):
    """What a TrainingRun trains: one update at a time, and pictures on request."""

    def train_step(self) -> dict[str, float]: ...

    def pictures(self) -> dict[str, np.ndarray]: ...


T = TypeVar("T")
SWITCH_INTERVAL = 0.00005  # seconds
SMALL_WORK = 1e8  # multiply-adds per step below which one thread is faster (see above)
FREE_ENERGY_EVERY = 25  # steps between two measurements of the train/validation free energy

IDLE, TRAINING, PAUSED, FINISHED, FAILED = "idle", "training", "paused", "finished", "failed"


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


class TrainingRun:
    """One job trained in a worker thread, controlled from a page."""

    def __init__(
        self,
        job: Job,
        *,
        caps: Caps = Caps(),
        history_limit: int = 5000,
        picture_interval: float = 0.4,
    ) -> None:
        self.caps = caps
        self.picture_interval = picture_interval
        self._history_limit = history_limit
        self._step_lock = threading.Lock()  # held while the job changes
        self._data_lock = threading.Lock()  # held while the snapshot data changes
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._install(job)
        weakref.finalize(self, self._stop.set)

    def _install(self, job: Job) -> None:
        self.job = job
        self._state = IDLE
        self._steps = 0
        self._seconds = 0.0
        self._history: deque[dict[str, float]] = deque(maxlen=self._history_limit)
        self._latest: dict[str, float] = {}
        self._pictures: dict[str, np.ndarray] = {}
        self._message = ""
        self._version = 0
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
                history=list(self._history) if history else [],
                pictures=dict(self._pictures),
                message=self._message,
                version=self._version,
            )

    def read(self, reader: Callable[[Job], T]) -> T:
        """``reader(job)`` between two updates, so it sees one consistent model."""
        with self._step_lock:
            return reader(self.job)

    # ---- control -------------------------------------------------------------------------

    def start(self) -> None:
        """Train in the background until paused, stopped, capped or failed."""
        if self._state in (FINISHED, FAILED):
            return
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

    def step(self) -> RunSnapshot:
        """Exactly one update, while paused or idle (a running run is paused first)."""
        self.pause()
        if self._state in (FINISHED, FAILED):
            return self.snapshot(history=False)
        self._one_update(force_pictures=True)
        if self._state == IDLE:
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

    # ---- the update ----------------------------------------------------------------------

    def _set_state(self, state: str, message: str = "") -> None:
        with self._data_lock:
            self._state = state
            if message:
                self._message = message
            self._version += 1

    def _one_update(self, force_pictures: bool = False, from_worker: bool = False) -> bool:
        """One job step with bookkeeping; False when the run must not go on."""
        with self._step_lock:
            if from_worker and self._state != TRAINING:
                return True  # paused between the worker's check and here: no update
            if self._steps >= self.caps.max_steps or self._seconds >= self.caps.max_seconds:
                self._set_state(FINISHED, self._cap_message())
                return False
            started = time.perf_counter()
            try:
                metrics = self.job.train_step()
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
                self._history.append(record)
                self._latest = record
                if pictures is not None:
                    self._pictures = pictures
                self._version += 1
            return True

    def _cap_message(self) -> str:
        if self._steps >= self.caps.max_steps:
            return f"Stopped at this server's limit of {self.caps.max_steps} steps per run."
        return f"Stopped at this server's limit of {self.caps.max_seconds:.0f} s of training."


def intra_op_threads(work_per_step: float | None) -> int:
    """Threads for one worker's torch operations (set per thread).

    Outside the main thread, small products run faster on one thread than on two (measured:
    650 against 305 steps/s for 100 hidden units and batches of 100), large ones still gain
    from more (78 against 55 steps/s at 500 and 500).
    """
    available = max(1, min(os.cpu_count() or 1, 2))
    if work_per_step is not None and work_per_step < SMALL_WORK:
        return 1
    return available


def _worker(run_reference: Callable[[], TrainingRun | None], stop: threading.Event) -> None:
    """Train while the run exists, is training and has not been told to stop."""
    # A training step releases the GIL around each of its many small torch operations; with
    # the default 5 ms switch interval, a busy page-drawing thread makes the worker wait up to
    # 5 ms to take it back each time. A short interval keeps the worker at full speed.
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
    run = run_reference()
    if run is not None:
        torch.set_num_threads(intra_op_threads(getattr(run.job, "work_per_step", None)))
        del run
    while not stop.is_set():
        run = run_reference()
        if run is None:
            return
        if run.state != TRAINING:
            del run
            stop.wait(0.02)
            continue
        if not run._one_update(from_worker=True):
            return
        del run


# ---- the jobs ----------------------------------------------------------------------------


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
    validation_fraction: float = 0.1
    extra: dict = field(default_factory=dict)


class RBMJob:
    """An RBM on a binarized dataset, trained one mini-batch per step."""

    def __init__(self, dataset: Dataset, settings: RBMJobSettings, caps: Caps = Caps()) -> None:
        caps.check(hidden_units=settings.hidden_units, batch_size=settings.batch_size)
        self.settings = settings
        self.dataset = dataset
        train, validation = train_validation_split(
            dataset, settings.validation_fraction, settings.seed
        )
        self.train = torch.from_numpy(binarize(train.images))
        self.train_labels = train.labels
        self.validation = torch.from_numpy(binarize(validation.images))
        self.validation_labels = validation.labels
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
        self._order = torch.randperm(
            len(self.train), generator=torch.Generator().manual_seed(settings.seed)
        )
        self._position = 0
        self.epoch = 0

    @property
    def work_per_step(self) -> float:
        """Multiply-adds of one update, roughly: (k + 2) products of batch × visible × hidden."""
        s = self.settings
        return float(s.batch_size * self.rbm.n_visible * s.hidden_units * (s.k + 2))

    def apply(self, settings: RBMJobSettings) -> None:
        """Take over the settings that change without a reset."""
        self.trainer.learning_rate = settings.learning_rate
        self.trainer.k = settings.k
        self.trainer.momentum = settings.momentum
        self.trainer.weight_decay = settings.weight_decay
        self.settings = settings

    def train_step(self) -> dict[str, float]:
        size = min(self.settings.batch_size, len(self.train))
        if self._position + size > len(self.train):
            self._order = torch.randperm(len(self.train))
            self._position = 0
            self.epoch += 1
        batch = self.train[self._order[self._position : self._position + size]]
        self._position += size
        metrics = self.trainer.step(batch)
        record = {
            "epoch": self.epoch + self._position / len(self.train),
            "surrogate_cost": metrics.surrogate_cost,
            "reconstruction_error": metrics.reconstruction_error,
            "pseudo_log_likelihood": metrics.pseudo_log_likelihood,
        }
        if self.trainer.steps_done % FREE_ENERGY_EVERY == 1:
            record.update(self.free_energy_gap())
        return record

    def free_energy_gap(self, n: int = 500) -> dict[str, float]:
        """Mean F(v) on fixed training and validation images: a widening gap is overfitting."""
        with torch.no_grad():
            train = self.rbm.free_energy(self.train[:n]).mean().item()
            validation = self.rbm.free_energy(self.validation[:n]).mean().item()
        return {"free_energy_train": train, "free_energy_validation": validation}

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


class GANJob:
    """A GAN on a dataset scaled to [-1, 1], trained one k:1 step at a time."""

    def __init__(self, dataset: Dataset, config: GANConfig, caps: Caps = Caps()) -> None:
        caps.check(batch_size=config.batch_size)
        self.dataset = dataset
        self.trainer = GANTrainer(config, to_tanh_range(dataset.images))

    def train_step(self) -> dict[str, float]:
        report = self.trainer.step()
        return {
            "discriminator_loss": report.discriminator_loss,
            "generator_loss": report.generator_loss,
            "d_real": report.d_real,
            "d_fake": report.d_fake,
        }

    def pictures(self) -> dict[str, np.ndarray]:
        return {"fixed_noise": (self.trainer.fixed_samples() + 1) / 2}
