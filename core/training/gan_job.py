"""What a GAN run trains: the GAN on a dataset scaled to [-1, 1], one k:1 step per update,
with the sample quality, pictures and timeline its page shows (an RBM's:
core/training/rbm_job.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.data.datasets import Dataset, to_tanh_range
from core.devices import resolve_device
from core.gan.trainer import GANConfig, GANTrainer, checkpoint_bytes
from core.judge.fid import real_for_fid
from core.training.caps import Caps
from core.training.pace import seconds_per_step
from core.training.rbm_job import shared_from_dataset

# Discriminator updates between two measurements of sample quality: every 250 steps at k = 1,
# every 50 at k = 5, so a slow k:1 run still draws its FID as a line within a lesson's minutes
# (a measurement costs about what a k = 1 step does, so its share of the time stays the same).
QUALITY_EVERY = 250
TIMELINE_FRAMES = 48  # fixed-noise snapshots kept for the timeline (thinned when full)
# What a page draws takes its own random numbers, seeded from the run's seed plus these (the
# training's generator is the trainer's alone, so a seed reproduces the run however often and
# whenever the pages looked): the quality measure's and D's histogram's the same each time
# (the same z, the same real images, as the fixed-noise grid), the on-demand samples' a stream.
QUALITY_SEED_OFFSET = 101
HISTOGRAM_SEED_OFFSET = 102
ON_DEMAND_SEED_OFFSET = 103


@dataclass(frozen=True)
class GANLiveSettings:
    """What a GAN page hands its run at each rerun: the config, whose live fields the job takes
    over, and the speed, which is the run's and no part of the model (nor of its checkpoint)."""

    config: GANConfig
    steps_per_second: float = 0.0  # 0: as fast as the machine goes


class GANJob:
    """A GAN on a dataset scaled to [-1, 1], trained one k:1 step at a time.

    With a reference ``classifier`` (see core.judge.classifier) it measures the quality of fresh
    samples every QUALITY_EVERY discriminator updates: the share recognised confidently, the
    coverage of the classes and the classifier FID. It keeps a timeline of the fixed-noise grid.
    """

    LIVE = (
        "learning_rate_generator",
        "learning_rate_discriminator",
        "k",
        "generator_loss",
        "average_decay",
    )

    def __init__(
        self,
        dataset: Dataset,
        config: GANConfig,
        caps: Caps = Caps(),
        classifier=None,
        device: str | torch.device = "cpu",
    ) -> None:
        caps.check(batch_size=config.batch_size)
        self.caps = caps
        self.dataset = dataset
        self.device = device = resolve_device(device)  # G, D and the data; the judge stays on CPU
        self._data = shared_from_dataset(
            dataset,
            ("tanh range", str(device)),
            lambda: torch.from_numpy(to_tanh_range(dataset.images)).to(device),
        )
        self.trainer = GANTrainer(config, self._data.value, device=device)
        self.classifier = classifier
        self.real_features = None
        if classifier is not None:
            self.real_features = classifier.predict(real_for_fid(dataset)[0])[1]
        self.timeline: list[tuple[int, np.ndarray]] = []
        self._timeline_every = 1
        self._pictures_drawn = 0
        self.latest_quality: dict[str, np.ndarray] = {}
        self._on_demand = self._view_random(ON_DEMAND_SEED_OFFSET)  # "new sample" moves it on
        self.seconds_per_step = 0.0  # the run's worker waits this long between steps
        self._quality_due = 0  # D's update count at which sample quality is measured next

    def _view_random(self, offset: int) -> torch.Generator:
        """A CPU generator of its own for a view (its z then the same on any device)."""
        return torch.Generator().manual_seed(self.trainer.config.seed + offset)

    @property
    def config(self) -> GANConfig:
        return self.trainer.config

    ALBUM_KEY = "fixed_noise"  # the samples a run's album keeps (core.training.album)

    @property
    def steps(self) -> int:
        return self.trainer.generator_updates

    @property
    def images_seen(self) -> int:
        """Real images D has been shown: an x axis that counts data, whatever k and batch."""
        return self.trainer.real_images_seen

    def apply(self, settings: GANConfig | GANLiveSettings) -> None:
        """Take over the settings that change without a reset (learning rates, k, loss, batch)
        and, from GANLiveSettings, the speed (a bare GANConfig leaves the speed as it is)."""
        paced = isinstance(settings, GANLiveSettings)
        config = settings.config if paced else settings
        self.caps.check(batch_size=config.batch_size)
        config.validate()
        pace = seconds_per_step(settings.steps_per_second) if paced else self.seconds_per_step
        current = self.trainer.config
        for name in (*self.LIVE, "batch_size"):
            setattr(current, name, getattr(config, name))
        self.seconds_per_step = pace

    def _record(self, report) -> dict[str, float]:
        record = report.record()
        if self.classifier is not None and self.trainer.discriminator_updates >= self._quality_due:
            record.update(self.quality())
            self._quality_due = self.trainer.discriminator_updates + QUALITY_EVERY
        return record

    def train_step(self) -> dict[str, float]:
        return self._record(self.trainer.step())

    def load(self, checkpoint: dict) -> tuple[int, dict[str, float]]:
        """Continue from a checkpoint (see GANTrainer.load_checkpoint), at the step it says it
        reached; returns that step and the samples' quality there (when there is a judge)."""
        self.trainer.load_checkpoint(checkpoint)
        steps = max(0, int(checkpoint.get("steps", 0)))
        self.trainer.generator_updates = steps
        self.timeline, self._timeline_every = [], 1
        self._quality_due = self.trainer.discriminator_updates + QUALITY_EVERY
        if not steps:
            return 0, {}
        return steps, (self.quality() if self.classifier is not None else {})

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
        """Sample quality of n samples (of the same n noise vectors each time, not the
        fixed-noise grid's), judged by the reference classifier."""
        from core.judge.quality import sample_quality

        z = self.trainer.sample_noise(n, self._view_random(QUALITY_SEED_OFFSET))
        generated = (self.trainer.generate(z) + 1) / 2
        result = sample_quality(self.classifier, generated, self.real_features)
        shares = np.append(result.coverage.shares, result.coverage.rejected)
        self.latest_quality = {"class_shares": shares}  # the ten digits, then "not a digit"
        return {
            "evaluation": 1.0,
            "confident_share": result.confident_share,
            "not_a_digit": result.coverage.rejected,
            "coverage_entropy": result.coverage.entropy,
            "classifier_fid": result.classifier_fid,
        }

    @torch.no_grad()
    def discriminator_outputs(self, n: int = 256) -> dict[str, np.ndarray]:
        """D's output (a probability) on n real images and n generated ones (the same images
        and noise each time), dropout off."""
        random = self._view_random(HISTOGRAM_SEED_OFFSET)
        chosen = torch.randperm(len(self.trainer.data), generator=random)[:n]
        real = self.trainer.data[chosen.to(self.device)]
        fake = self.trainer.generated(self.trainer.sample_noise(n, random))
        discriminator = self.trainer.discriminator
        discriminator.eval()
        try:
            return {
                "real images": torch.sigmoid(discriminator(real)).flatten().cpu().numpy(),
                "generated images": torch.sigmoid(discriminator(fake)).flatten().cpu().numpy(),
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

    # ---- what the page asks for on demand, between two updates ------------------------------

    def samples(self, n: int) -> np.ndarray:
        """``n`` images of G as it is now, in [-1, 1], of new noise (the page's own)."""
        return self.trainer.generate(self.trainer.sample_noise(n, self._on_demand))

    def interpolation(self, steps: int = 10) -> np.ndarray:
        """G's images along the line between two new noise vectors."""
        ends = self.trainer.sample_noise(2, self._on_demand)
        return self.trainer.interpolate(ends[0], ends[1], steps=steps)

    def new_noise(self) -> np.ndarray:
        """One new noise vector z."""
        return self.trainer.sample_noise(1, self._on_demand).cpu().numpy()[0]

    def generated_from(self, z: np.ndarray) -> np.ndarray:
        """G(z) for one noise vector."""
        return self.trainer.generate(torch.from_numpy(z[None, :]).float())

    def digit_verdict(self, x_tanh: np.ndarray) -> tuple[float, float, dict[str, np.ndarray]]:
        """D(x) of one image in [-1, 1] (your digit), the share of real images D rates lower,
        and D's outputs on real and generated images (the histogram it is placed on)."""
        from core.gan.projection import discriminator_verdict

        outputs = self.discriminator_outputs()
        verdict, share = discriminator_verdict(self.trainer, x_tanh, outputs["real images"])
        return verdict, share, outputs

    def frozen_generator(self):
        """A copy of G (or its average) to search its noise space with while the run trains."""
        from core.gan.projection import frozen_generator

        return frozen_generator(self.trainer)

    def timeline_frames(self) -> list[tuple[int, np.ndarray]]:
        """The fixed-noise grids kept so far, with their steps."""
        return list(self.timeline)

    def checkpoint(self, dataset: str, steps: int) -> bytes:
        """G and D as a checkpoint file, at the step the page shows."""
        return checkpoint_bytes(self.trainer, dataset=dataset, steps=steps)
