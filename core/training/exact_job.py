"""The job of the "RBM up close" page: your small RBM, trained by CD-k, PCD-k or exact gradient
ascent, and beside it the same model trained by CD-1, CD-10, PCD-1 and the exact gradient on
the same mini-batches from the same start, each one's exact log-likelihood at every step."""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import numpy as np
import torch

from core.data.tiny import TinyDataset, state_images
from core.data.validation import check_positive, check_positive_int
from core.rbm.exact import (
    MAX_HIDDEN,
    EstimateQuality,
    Gradient,
    SlowMotionUpdate,
    compare_estimates,
    exact_distribution,
    exact_gradient,
    slow_motion_update,
)
from core.rbm.likelihood import log_partition_exact
from core.rbm.model import RBM
from core.rbm.trainer import RBMTrainer
from core.sampling import RandomSource

METHODS = ("CD", "PCD", "exact")
REFERENCES = (("CD-1", "CD", 1), ("CD-10", "CD", 10), ("PCD-1", "PCD", 1), ("exact", "exact", 1))
PERSISTENT_CHAINS = 100


@dataclass
class ExactSettings:
    """The page's settings: method, k and learning rate change live; the rest need a Reset."""

    hidden_units: int = 8
    method: str = "CD"
    k: int = 1
    learning_rate: float = 0.2
    seed: int = 0
    batch_size: int = 10
    steps: int = 5000  # the run ends here (raise it to go on)

    def check(self) -> None:
        """Raise ValueError naming the first setting out of range."""
        check_positive_int("hidden_units", self.hidden_units)
        if self.hidden_units > MAX_HIDDEN:
            raise ValueError(f"hidden_units must be at most {MAX_HIDDEN} for exact sums.")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, not {self.method!r}.")
        check_positive_int("k", self.k)
        check_positive("learning_rate", self.learning_rate)
        check_positive_int("batch_size", self.batch_size)
        check_positive_int("steps", self.steps)


class Learner:
    """One RBM and the rule that trains it: CD-k, PCD-k (core.rbm.trainer) or exact ascent."""

    def __init__(self, data: TinyDataset, hidden: int, method: str, k: int, rate: float, seed: int):
        self.rbm = RBM(data.n_pixels, hidden, seed=seed, dtype=torch.float64)
        self.trainer = RBMTrainer(
            self.rbm, learning_rate=rate, k=k, n_persistent_chains=PERSISTENT_CHAINS, seed=seed
        )
        self.method = "CD"
        self.set_rule(method, k, rate)
        self.codes, self.p_data = data.distribution()
        self.data = torch.from_numpy(state_images(self.codes, data.n_pixels)).double()

    def set_rule(self, method: str, k: int, rate: float) -> None:
        if (method == "PCD") != self.trainer.persistent:
            self.trainer.reset_chains()  # fresh chains when switching to or from PCD
        self.method = method
        self.trainer.persistent = method == "PCD"
        self.trainer.k, self.trainer.learning_rate = k, rate

    def step(self, batch: torch.Tensor) -> None:
        if self.method == "exact":  # the whole data distribution, not the batch
            gradient = exact_gradient(self.rbm, self.codes, self.p_data)
            rate = float(self.trainer.learning_rate)
            with torch.no_grad():
                for parameter, change in zip(
                    (self.rbm.W, self.rbm.b, self.rbm.c), gradient, strict=True
                ):
                    parameter.add_(change, alpha=rate)
        else:
            self.trainer.step(batch, compute_metrics=False, checked=True)

    def log_likelihood(self) -> float:
        """The exact average log-likelihood Σ p_data(v) log P(v) (log Z over the smaller layer)."""
        with torch.no_grad():
            log_z = log_partition_exact(self.rbm.W, self.rbm.b, self.rbm.c)
            free_energy = self.rbm.free_energy(self.data, checked=True)
            return float(-(torch.from_numpy(self.p_data) @ free_energy)) - log_z


class ExactRBMJob:
    """Your learner and the four references, one step each per mini-batch."""

    def __init__(self, data: TinyDataset, settings: ExactSettings, compare: bool = True) -> None:
        settings.check()
        self.data = data
        self.settings = settings
        self.entropy = data.entropy()
        self.images = torch.from_numpy(data.images).double()
        self.batches = np.random.default_rng(settings.seed)
        s = settings
        self.yours = Learner(data, s.hidden_units, s.method, s.k, s.learning_rate, s.seed)
        self.references = {
            name: Learner(data, s.hidden_units, method, k, s.learning_rate, s.seed)
            for name, method, k in (REFERENCES if compare else ())
        }
        self.steps_done = 0
        self.slow_motion_draws = RandomSource(settings.seed + 1)

    @property
    def rbm(self) -> RBM:
        return self.yours.rbm

    @property
    def done(self) -> str:
        if self.steps_done >= self.settings.steps:
            return (
                f"Trained for {self.settings.steps} updates: raise “Updates” to go on, "
                "or press Reset."
            )
        return ""

    def apply(self, settings: ExactSettings) -> None:
        """Take the live settings (method, k, learning rate, steps) for your learner; the
        references keep their rules but follow the learning rate."""
        settings.check()
        self.settings = settings
        self.yours.set_rule(settings.method, settings.k, settings.learning_rate)
        for learner in self.references.values():
            learner.trainer.learning_rate = settings.learning_rate

    def next_batch(self) -> torch.Tensor:
        """The next mini-batch of training, drawn (the batches move on)."""
        return self.images[self.batches.integers(0, len(self.images), self.settings.batch_size)]

    def _upcoming_batch(self) -> torch.Tensor:
        """The mini-batch training will draw next, looked at without drawing it."""
        batches = copy.deepcopy(self.batches)
        return self.images[batches.integers(0, len(self.images), self.settings.batch_size)]

    def train_step(self) -> dict[str, float]:
        batch = self.next_batch()
        for learner in (self.yours, *self.references.values()):
            learner.step(batch)
        self.steps_done += 1
        return self.measure()

    def measure(self) -> dict[str, float]:
        """Your model's exact log-likelihood and KL(data ‖ model), and each reference's."""
        log_likelihood = self.yours.log_likelihood()
        record = {"log_likelihood": log_likelihood, "kl": -self.entropy - log_likelihood}
        for name, learner in self.references.items():
            record[f"log_likelihood {name}"] = learner.log_likelihood()
        return record

    def pictures(self) -> dict[str, np.ndarray]:
        """Your model's whole distribution: F(v) and log P(v) of every state, and W, b, c."""
        distribution = exact_distribution(self.rbm)
        return {
            "free_energy": distribution.free_energy,
            "log_p": distribution.log_p,
            "log_z": np.array(distribution.log_z),
            "W": self.rbm.W.numpy().copy(),
        }

    def slow_motion(self) -> SlowMotionUpdate:
        """Your next update taken apart, on the next batch (nothing changes until
        take_update: not the model, nor the batches, nor training's random numbers; the
        update's draws are the slow motion's own). With exact ascent, the update also holds the
        exact step it takes."""
        trainer = self.yours.trainer
        chains = trainer.persistent_hidden if self.yours.method == "PCD" else None
        if self.yours.method == "PCD" and chains is None:
            chains = torch.zeros(PERSISTENT_CHAINS, self.rbm.n_hidden, dtype=torch.float64)
        rate = float(trainer.learning_rate)
        update = slow_motion_update(
            self.rbm, self._upcoming_batch(), int(trainer.k), rate, self.slow_motion_draws, chains
        )
        if self.yours.method == "exact":
            gradient = exact_gradient(self.rbm, self.yours.codes, self.yours.p_data)
            update = replace(update, exact_update=Gradient(*(rate * g for g in gradient)))
        return update

    def take_update(self, update: SlowMotionUpdate) -> dict[str, float]:
        """One step: your model takes the slow-motion update (the exact one with exact ascent;
        PCD's chains move on), and the race's learners step on the same batch, which training
        has then drawn: the batches go on as after any step."""
        change = update.exact_update if update.exact_update is not None else update.update
        with torch.no_grad():
            for parameter, delta in zip((self.rbm.W, self.rbm.b, self.rbm.c), change, strict=True):
                parameter.add_(delta)
        if update.next_chains is not None and self.yours.method == "PCD":
            self.yours.trainer.persistent_hidden = torch.from_numpy(update.next_chains)
        batch = torch.from_numpy(update.v)
        self.batches.integers(0, len(self.images), len(batch))  # the batch shown, now drawn
        for learner in self.references.values():
            learner.step(batch)
        self.steps_done += 1
        return self.measure()

    def compare_gradients(self, n_batches: int = 400) -> list[EstimateQuality]:
        """CD-1's, CD-k's and PCD-1's estimates at your model beside the exact gradient."""
        ks = sorted({1, int(self.yours.trainer.k), 10})
        estimators = [(f"CD-{k}", k, False) for k in ks] + [("PCD-1", 1, True)]
        _, qualities = compare_estimates(
            self.rbm,
            self.data,
            estimators,
            n_batches=n_batches,
            batch_size=self.settings.batch_size,
            seed=self.settings.seed,
        )
        return qualities
