"""The lecture's GAN on points in the plane: the same engine (core.gan.trainer's GANTrainer, its k:1
step, its proxy and saturating losses, its two Adam optimisers) with small MLPs, and what a
page draws of it: D(x) over the plane, where G's loss pushes each generated point, how G bends
its noise, and one k:1 step taken frame by frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F_nn

from core.data.toy2d import PointSet, grid_centres, grid_density, kl_and_js, mode_coverage
from core.data.validation import check_non_negative_int, check_positive_int
from core.gan.trainer import GANConfig, GANTrainer
from core.training.pace import seconds_per_step

MAX_DEPTH = 4
MAX_WIDTH = 256
MAX_BATCH = 1024
FIELD_BINS = 48  # D(x) is drawn on a FIELD_BINS × FIELD_BINS grid
SHOWN_POINTS = 384  # generated points drawn (from fixed noise), and as many real ones
QUALITY_EVERY = 10  # steps between two measures of KL, JS and modes covered
QUALITY_SAMPLES = 2000


@dataclass
class GAN2DSettings:
    """The 2-D page's settings; rates, k, the generator loss and the batch change live."""

    noise_dim: int = 2
    noise: str = "gaussian"
    generator_depth: int = 2
    generator_width: int = 64
    discriminator_depth: int = 2
    discriminator_width: int = 64
    generator_loss: str = "proxy"
    k: int = 1
    learning_rate_generator: float = 1e-3
    learning_rate_discriminator: float = 1e-3
    batch_size: int = 256
    seed: int = 0
    steps_per_second: float = 0.0  # 0: as fast as the machine goes
    head_start: int = 0  # D-only updates before the game starts (D then wins the first round)

    def config(self) -> GANConfig:
        """The engine's config (checked): MLPs of depth × width, no dropout, 2 outputs."""
        if self.noise_dim not in (1, 2):
            raise ValueError(f"noise_dim must be 1 or 2, got {self.noise_dim!r}.")
        for name, cap in (
            ("generator_depth", MAX_DEPTH),
            ("discriminator_depth", MAX_DEPTH),
            ("generator_width", MAX_WIDTH),
            ("discriminator_width", MAX_WIDTH),
            ("batch_size", MAX_BATCH),
        ):
            value = check_positive_int(name, getattr(self, name))
            if value > cap:
                raise ValueError(f"{name} must be at most {cap}, got {value}.")
        config = GANConfig(
            n_pixels=2,
            noise_dim=self.noise_dim,
            generator_hidden=(self.generator_width,) * self.generator_depth,
            discriminator_hidden=(self.discriminator_width,) * self.discriminator_depth,
            dropout=0.0,
            noise=self.noise,
            generator_loss=self.generator_loss,
            k=self.k,
            learning_rate_generator=self.learning_rate_generator,
            learning_rate_discriminator=self.learning_rate_discriminator,
            batch_size=self.batch_size,
            seed=self.seed,
        )
        config.validate()
        return config


@dataclass(frozen=True)
class SlowFrame:
    """One frame of a k:1 step in slow motion: the plane after an update, and its numbers."""

    title: str
    field: np.ndarray
    fake: np.ndarray
    arrows: np.ndarray | None
    terms: dict[str, float]


class GAN2DJob:
    """A GAN on a set of points, one k:1 step per train_step, with the plane's views."""

    ALBUM_KEY = "fake"  # the points a run's album keeps (core.training.album)

    LIVE = (
        "learning_rate_generator",
        "learning_rate_discriminator",
        "k",
        "generator_loss",
        "batch_size",
    )

    def __init__(self, points: PointSet, settings: GAN2DSettings) -> None:
        self.points = points
        self.settings = settings
        self.trainer = GANTrainer(settings.config(), points.points, n_fixed_noise=SHOWN_POINTS)
        self.real_density = grid_density(points.points)
        self.grid = torch.from_numpy(grid_centres(FIELD_BINS))
        random = np.random.default_rng(settings.seed)
        shown = random.choice(len(points.points), min(SHOWN_POINTS, len(points.points)), False)
        self.real_shown = points.points[shown]
        self.quality_seed = settings.seed + 7  # its own noise, the same at every measure
        self.slow_frames: list[SlowFrame] = []
        self.slow_frames_at = (-1, -1)  # self.updates() right after them
        self.seconds_per_step = 0.0
        self.apply(settings)
        # D's head start: the run's first steps update D alone (in the run's worker, counted)
        self.head_start_left = check_non_negative_int("head_start", settings.head_start)

    def apply(self, settings: GAN2DSettings) -> None:
        """Take over the settings that change without a reset."""
        config = settings.config()
        pace = seconds_per_step(settings.steps_per_second)  # checked before anything changes
        for name in self.LIVE:
            setattr(self.trainer.config, name, getattr(config, name))
        self.settings = settings
        self.seconds_per_step = pace  # the run's worker waits this long between steps

    @property
    def images_seen(self) -> int:
        """Real points D has been shown (the page calls it "points seen")."""
        return self.trainer.real_images_seen

    # ---- training ---------------------------------------------------------------------------

    def train_step(self) -> dict[str, float]:
        if self.head_start_left:
            self.head_start_left -= 1
            return {**self.train_discriminator_only(), "head_start": 1.0}
        report = self.trainer.step()
        record = report.record()
        if self.trainer.generator_updates % QUALITY_EVERY == 1:
            record.update(self.quality())
        return record

    def train_discriminator_only(self) -> dict[str, float]:
        """One D update; G's weights unchanged (its BatchNorm statistics follow the batch it
        made for D, so its points in inference mode may shift a little)."""
        loss, d_real, d_fake, norm = self.trainer.update_discriminator()
        return {"discriminator_loss": loss, "d_real": d_real, "d_fake": d_fake}

    def train_generator_only(self) -> dict[str, float]:
        """One G update against the current D."""
        loss, d_fake, norm = self.trainer.update_generator()
        return {"generator_loss": loss, "d_fake": d_fake, "generator_grad_norm": norm}

    def quality(self) -> dict[str, float]:
        """KL(real ‖ generated) and JS between grid densities of the real points and of
        QUALITY_SAMPLES samples, and the modes covered where the data has modes. The samples'
        noise is the measure's own, the same each time: the numbers at a step are the model's,
        however often they were asked for, and training's random numbers stay training's."""
        noise = torch.Generator().manual_seed(self.quality_seed)
        z = self.trainer.sample_noise(QUALITY_SAMPLES, noise)
        samples = self.trainer.generate(z)
        kl, js = kl_and_js(self.real_density, grid_density(samples))
        record = {"evaluation": 1.0, "kl": kl, "js": js}
        if self.points.modes is not None:
            coverage = mode_coverage(samples, self.points.modes, self.points.mode_radius)
            record["modes_covered"] = float(coverage.covered)
            record["on_a_mode"] = coverage.on_a_mode
        return record

    def updates(self) -> tuple[int, int]:
        """How many updates D and G have had: the model's age."""
        return self.trainer.discriminator_updates, self.trainer.generator_updates

    # ---- what the page draws ----------------------------------------------------------------

    @torch.no_grad()
    def field(self) -> np.ndarray:
        """D(x) = P(real) at the centre of every cell of the grid (rows from the top)."""
        discriminator = self.trainer.discriminator
        probabilities = torch.sigmoid(discriminator(self.grid))
        return probabilities.reshape(FIELD_BINS, FIELD_BINS).numpy()

    def arrows(self, points: np.ndarray) -> np.ndarray:
        """−∂(G's loss)/∂x at each generated point x: the direction and strength with which
        G's update pushes it (−log D(x) for the proxy loss, log(1 − D(x)) for the saturating)."""
        x = torch.tensor(points, dtype=torch.float32, requires_grad=True)
        logits = self.trainer.discriminator(x)
        if self.trainer.config.generator_loss == "proxy":
            losses = F_nn.softplus(-logits)  # −log D(x)
        else:
            losses = -F_nn.softplus(logits)  # log(1 − D(x))
        (gradient,) = torch.autograd.grad(losses.sum(), x)
        return (-gradient).numpy()

    @torch.no_grad()
    def manifold(self, lines: int = 9, points: int = 60) -> np.ndarray:
        """G along lines of its noise space (lines × points × 2): for 2-D noise a grid of
        horizontal and vertical lines, for 1-D noise one line, showing how G bends the noise."""
        reach = 1.0 if self.trainer.config.noise == "uniform" else 2.5
        ticks = torch.linspace(-reach, reach, points)
        if self.trainer.config.noise_dim == 1:
            z = ticks.reshape(1, points, 1)
        else:
            levels = torch.linspace(-reach, reach, lines)
            along_x = torch.stack(torch.broadcast_tensors(ticks[None, :], levels[:, None]), -1)
            along_y = along_x.flip(-1)
            z = torch.cat([along_x, along_y])
        shape = z.shape
        return self.trainer.generate(z.reshape(-1, shape[-1])).reshape(shape[0], shape[1], 2)

    def pictures(self) -> dict[str, np.ndarray]:
        fake = self.trainer.fixed_samples()
        arrows = self.arrows(fake)
        return {
            "field": self.field(),
            "fake": fake,
            "arrows": arrows,
            "push": np.array(np.linalg.norm(arrows, axis=1).mean()),  # mean ‖arrow‖
            "manifold": self.manifold(),
        }

    # ---- one step in slow motion ------------------------------------------------------------

    def slow_motion_step(self) -> dict[str, float]:
        """One k:1 step taken frame by frame into ``slow_frames``: the plane before it, after
        each D update with its loss terms, and after the G update with G's arrows before it."""
        trainer = self.trainer
        fake = trainer.fixed_samples()
        frames = [SlowFrame("Before the step", self.field(), fake, self.arrows(fake), {})]
        k = int(trainer.config.k)
        for index in range(k):  # the terms are on the batch D saw; the plane is after its step
            loss, d_real, d_fake, _ = trainer.update_discriminator()
            fake = trainer.fixed_samples()  # G's BatchNorm statistics moved with the batch
            real_logits, fake_logits = trainer.last_discriminator_logits
            real_term = float(-F_nn.softplus(-real_logits).mean())  # mean log D(x)
            fake_term = float(-F_nn.softplus(fake_logits).mean())  # mean log(1 − D(G(z)))
            frames.append(
                SlowFrame(
                    f"D update {index + 1} of {k}",
                    self.field(),
                    fake,
                    None,
                    {
                        "mean log D(x)": real_term,
                        "mean log(1 − D(G(z)))": fake_term,
                        "V(D, G) = their sum (D climbs it)": real_term + fake_term,
                        "D's loss −V/2": loss,
                    },
                )
            )
        arrows = self.arrows(fake)  # where this G update pushes, against the final D
        g_loss, d_fake, g_norm = trainer.update_generator()
        logits = trainer.last_generator_logits
        proxy = trainer.config.generator_loss == "proxy"
        terms = {
            "−log D(G(z)) (proxy" + (", G descends it)" if proxy else ")"): float(
                F_nn.softplus(-logits).mean()
            ),
            "log(1 − D(G(z))) (saturating" + (")" if proxy else ", G descends it)"): float(
                -F_nn.softplus(logits).mean()
            ),
            "mean D(G(z))": d_fake,
            "‖∇G‖": g_norm,
        }
        after = trainer.fixed_samples()
        frames.append(SlowFrame("G update", self.field(), after, arrows, terms))
        self.slow_frames = frames
        self.slow_frames_at = self.updates()
        return {
            "discriminator_loss": loss,
            "generator_loss": g_loss,
            "d_real": d_real,
            "d_fake": d_fake,
            "generator_grad_norm": g_norm,
        }

    def slow_motion_frames(self) -> tuple[list[SlowFrame], bool]:
        """The last slow-motion step's frames, and whether the model is still where they left
        it (not trained on since)."""
        return self.slow_frames, self.slow_frames_at == self.updates()
