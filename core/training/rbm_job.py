"""What a training run trains: an RBM with its data, one update per step, with the
evaluations, pictures and views its page shows; datasets' derived arrays that runs share. (A
GAN's job: core/training/gan_job.py.)"""

from __future__ import annotations

import copy
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import torch

from core.data.datasets import Dataset, binarize, train_validation_split
from core.devices import resolve_device
from core.rbm.dreams import dream
from core.rbm.model import RBM, checkpoint_bytes
from core.rbm.trainer import RBMTrainer
from core.training.caps import Caps
from core.training.pace import seconds_per_step

T = TypeVar("T")
EVALUATE_EVERY = 200  # most steps between two evaluations (there is also one per epoch)
EXACT_MAX_HIDDEN = 12  # up to here each evaluation includes the exact log-likelihood (4096 states)
PICTURES_SEED_OFFSET = 3  # the pictures' chain draws from seed + 3 (training: seed itself)


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

    Forty visitors at the default seed share one binarized (RBM) or rescaled (GAN) copy
    instead of 16 MB of mnist-5k each. A job keeps the returned holder (the copy lives as long
    as some job does) and never writes into its arrays.
    """
    with _shared_lock:
        entry = _shared.get((id(dataset), key))
        if entry is None or entry.dataset is not dataset:
            entry = _Shared(dataset, make())
            _shared[(id(dataset), key)] = entry
        return entry


def _binarized_split(
    dataset: Dataset, validation_fraction: float, seed: int, device: torch.device
) -> tuple:
    train, validation = train_validation_split(dataset, validation_fraction, seed)
    return (
        torch.from_numpy(binarize(train.images)).to(device),
        train.labels,
        torch.from_numpy(binarize(validation.images)).to(device),
        validation.labels,
    )


@dataclass
class RBMJobSettings:
    """The RBM page's settings; learning rate, k, momentum, weight decay, epochs and the
    speed change live."""

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
    steps_per_second: float = 0.0  # 0: as fast as the machine goes
    extra: dict = field(default_factory=dict)


class RBMJob:
    """An RBM on a binarized dataset, trained one mini-batch per step on ``device`` (its data
    and model live there; every view comes back to the CPU as numpy)."""

    ALBUM_KEY = "after_one_step"  # what a run's album keeps (core.training.album): the same
    # chain's first step whatever the page's Gibbs steps, so two runs' pages are alike

    def __init__(
        self,
        dataset: Dataset,
        settings: RBMJobSettings,
        caps: Caps = Caps(),
        device: str | torch.device = "cpu",
    ) -> None:
        caps.check(
            hidden_units=settings.hidden_units,
            batch_size=settings.batch_size,
            epochs=settings.epochs,
        )
        self.caps = caps
        self.settings = settings
        self.seconds_per_step = seconds_per_step(settings.steps_per_second)  # the worker waits
        self.dataset = dataset
        self.device = device = resolve_device(device)
        fraction, seed = float(settings.validation_fraction), int(settings.seed)
        self._split = shared_from_dataset(
            dataset,
            ("binarized split", fraction, seed, str(device)),
            lambda: _binarized_split(dataset, fraction, seed, device),
        )
        self.train, self.train_labels, self.validation, self.validation_labels = self._split.value
        self.rbm = RBM(dataset.n_pixels, settings.hidden_units, seed=settings.seed, device=device)
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
        self._shuffle = torch.Generator().manual_seed(settings.seed)  # the same order anywhere
        self._order = self._shuffled()
        self._position = 0
        self.images_seen = 0  # training images shown since the run began (a page's x axis)
        self.epoch = 0
        self._last_evaluation = 0
        flips = torch.Generator().manual_seed(settings.seed + 1)
        self._eval_train = self.train[:500]
        self._eval_validation = self.validation[:500]
        self._eval_train_flips = torch.randint(
            dataset.n_pixels, (len(self._eval_train),), generator=flips
        ).to(device)
        self._eval_validation_flips = torch.randint(
            dataset.n_pixels, (len(self._eval_validation),), generator=flips
        ).to(device)

    def _shuffled(self) -> torch.Tensor:
        return torch.randperm(len(self.train), generator=self._shuffle).to(self.device)

    def _random(self, seed: int) -> torch.Generator:
        """A generator on this job's device (a CPU one cannot draw for CUDA tensors)."""
        return torch.Generator(device=self.device).manual_seed(seed)

    @property
    def done(self) -> str:
        """Why this job has finished ('' while it has epochs to go)."""
        if self.epoch >= self.settings.epochs:
            return (
                f"Finished the {self.settings.epochs} epochs asked for: raise Epochs to train "
                "on, or press Reset."
            )
        return ""

    def apply(self, settings: RBMJobSettings) -> None:
        """Take over the settings that change without a reset (rate, k, CD/PCD, epochs,
        speed)."""
        self.caps.check(epochs=settings.epochs)
        pace = seconds_per_step(settings.steps_per_second)  # checked before anything changes
        self.trainer.learning_rate = settings.learning_rate
        self.trainer.k = settings.k
        self.trainer.momentum = settings.momentum
        self.trainer.weight_decay = settings.weight_decay
        self.trainer.persistent = settings.persistent
        self.settings = settings
        self.seconds_per_step = pace

    def train_step(self) -> dict[str, float]:
        size = min(self.settings.batch_size, len(self.train))
        batch = self.train[self._order[self._position : self._position + size]]
        self._position += size
        self.images_seen += size
        metrics = self.trainer.step(batch)
        epoch_done = self._position + size > len(self.train)  # no full batch left
        if epoch_done:
            self._order = self._shuffled()
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
                hidden_input = self.rbm.hidden_input(images, checked=True)
                free_energy = self.rbm.free_energy(images, hidden_input, checked=True)
                noise = self._random(self.settings.seed + 2)  # the same noise each time
                record[f"free_energy_{name}"] = free_energy.mean().item()
                record[f"reconstruction_error_{name}"] = (
                    self.rbm.reconstruction_error(images, generator=noise).mean().item()
                )
                record[f"pseudo_log_likelihood_{name}"] = (
                    self.rbm.pseudo_log_likelihood(
                        images, flips, hidden_input=hidden_input, checked=True
                    )
                    .mean()
                    .item()
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
            activations = self.rbm.hidden_probabilities(self.validation[:n]).cpu().numpy()
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
        generator = self._random(self.settings.seed)
        noise = self._noise(n, generator)
        with torch.no_grad():
            samples, _ = self.rbm.gibbs_chain(noise, gibbs_steps, generator=generator)
            return {
                "data": self.rbm.free_energy(self.validation[:n]).cpu().numpy(),
                "model samples": self.rbm.free_energy(samples[-1]).cpu().numpy(),
                "noise": self.rbm.free_energy(noise).cpu().numpy(),
            }

    def _noise(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n images of fair coin flips, on this job's device."""
        uniform = torch.rand(n, self.rbm.n_visible, generator=generator, device=self.device)
        return (uniform < 0.5).float()

    def dreams(
        self, sampler: str, n: int = 64, steps: int = 1000, seed: int | None = None, progress=None
    ) -> np.ndarray:
        """Images the model dreams, as P(v | h): PCD's own chains as they stand ("persistent"),
        or ``n`` chains run ``steps`` Gibbs steps from noise at the data's base rates, plainly
        or annealed (see core.rbm.dreams), with ``seed`` (the run's own by default)."""
        if sampler == "persistent":
            hidden = self.trainer.persistent_hidden
            if not self.trainer.persistent or hidden is None:
                raise ValueError(
                    "Only PCD keeps chains from update to update: choose PCD as the negative "
                    "phase and train a few steps, or dream from noise."
                )
            with torch.no_grad():
                mean = torch.sigmoid(torch.addmm(self.rbm.b, hidden[:n], self.rbm.W))
                return mean.cpu().numpy()
        if sampler not in ("plain", "annealed"):
            raise ValueError(f"Unknown sampler {sampler!r}.")
        return dream(
            self.rbm,
            n,
            steps,
            annealed=sampler == "annealed",
            data=self.train,
            seed=self.settings.seed if seed is None else seed,
            progress=progress,
        )

    def gibbs_frames(
        self, start: str = "noise", digit: int = 0, k: int = 30, n_chains: int = 16
    ) -> list[np.ndarray]:
        """P(v | h) after each of k Gibbs steps, for chains started from noise or a digit."""
        generator = self._random(self.settings.seed)
        if start == "noise":
            v = self._noise(n_chains, generator)
        else:
            members = np.flatnonzero(self.train_labels == digit)
            if len(members) == 0:
                raise ValueError(f"There is no {digit} in the training data.")
            chosen = np.random.default_rng(self.settings.seed).choice(members, n_chains)
            v = self.train[torch.from_numpy(chosen).to(self.device)]
        with torch.no_grad():
            _, probabilities = self.rbm.gibbs_chain(v, k, generator=generator)
        return list(probabilities.cpu().numpy())

    def reference_digits(self, n: int) -> dict[str, np.ndarray]:
        """At most ``n`` of the run's training and of its validation images, binarized, as
        numpy: where your digit's F(v) is placed. The split is made once, when the job is, and
        never changes, so this needs no lock."""
        return {
            "training": self.train[:n].cpu().numpy(),
            "validation": self.validation[:n].cpu().numpy(),
        }

    def model_copy(self) -> RBM:
        """The model as it is now, copied to the CPU: views that take their time (your digit's
        completion) work on the copy while the run trains on."""
        return copy.deepcopy(self.rbm).cpu()

    def checkpoint(self, dataset: str) -> bytes:
        """The model as a checkpoint file, with the step and the epoch it has reached."""
        return checkpoint_bytes(
            self.rbm,
            dataset=dataset,
            steps=self.trainer.steps_done,
            epochs=round(self.epoch_progress, 4),
        )

    def load_weights(
        self, rbm: RBM, steps: int = 0, epochs: float = 0.0
    ) -> tuple[int, dict[str, float]]:
        """Continue from a checkpoint's weights (same shape as this job's RBM), trained for
        ``steps`` updates and ``epochs`` epochs (as its file says; 0 where it does not): the
        counters go on from there. Returns the step and the model's metrics at it."""
        if (rbm.n_visible, rbm.n_hidden) != (self.rbm.n_visible, self.rbm.n_hidden):
            raise ValueError(
                f"The checkpoint has {rbm.n_visible} visible and {rbm.n_hidden} hidden units; "
                f"this model has {self.rbm.n_visible} and {self.rbm.n_hidden}."
            )
        self.rbm.load_state_dict(rbm.state_dict())
        self.trainer.reset_chains()
        steps, epochs = max(0, int(steps)), max(0.0, float(epochs))
        self.trainer.steps_done = self._last_evaluation = steps
        self.epoch = int(epochs)  # and the way through the next one, in whole batches
        batch = min(self.settings.batch_size, len(self.train))
        self._position = int((epochs - self.epoch) * len(self.train)) // batch * batch
        if not steps:
            return 0, {}
        return steps, {"epoch": float(self.epoch), **self.evaluate()}

    reconstruction_steps = 1  # Gibbs steps between the originals and their samples; a page sets it

    def pictures(self) -> dict[str, np.ndarray]:
        """The first 32 training images, their reconstructions P(v | h) after
        ``reconstruction_steps`` Gibbs steps (and after one, the album's), and 64 filters (rows
        of W). The chain draws from
        its own generator, the same numbers each time (training's are training's alone: the
        seed reproduces the run however often the pictures were drawn)."""
        with torch.no_grad():
            originals = self.train[:32]
            _, probabilities = self.rbm.gibbs_chain(
                originals,
                int(self.reconstruction_steps),
                generator=self._random(self.settings.seed + PICTURES_SEED_OFFSET),
            )
            reconstructions = probabilities[-1].cpu().numpy().copy()
            return {
                "originals": originals.cpu().numpy().copy(),
                "reconstructions": reconstructions,
                "after_one_step": probabilities[1].cpu().numpy().copy()
                if len(probabilities) > 2
                else reconstructions,
                "filters": self.rbm.W[:64].cpu().numpy().copy(),
            }
