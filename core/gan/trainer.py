"""The MLP GAN of the lecture: generator G, discriminator D and the k:1 training step.

    G: z (100) → Dense 128 → BN → LReLU(0.2) → 256 → BN → LReLU → 512 → BN → LReLU
                → 1024 → BN → LReLU → Dense (pixels) → tanh
    D: x → Dense 1024 → LReLU(0.2) → Dropout(0.3) → 512 → LReLU → Dropout → 256 → LReLU
                → Dropout → Dense 1 → sigmoid (kept as a logit; D(x) = σ(logit))

    min_G max_D  E_x[log D(x)] + E_z[log(1 - D(G(z)))]

One training step is k updates of D (each on a real batch and a fresh fake batch, binary
cross-entropy with real = 1 and fake = 0) followed by one update of G, which by default
minimises the non-saturating "proxy" loss -log D(G(z)) instead of the saturating
log(1 - D(G(z))).

Optionally, G's weights are also averaged over the run (an exponential moving average,
w̄ ← d·w̄ + (1 − d)·w after every G update), and samples come from the average: it smooths
the oscillation of adversarial training, so recognisable digits come in fewer steps.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F_nn
from torch import nn

from core.data.checkpoints import (
    MAX_CHECKPOINT_BYTES,
    all_finite,
    checked_tensors,
    read_checkpoint,
    training_count,
    write_checkpoint,
)
from core.gan.config import GENERATOR_LOSSES, GANConfig
from core.gan.networks import Discriminator, Generator, SeededDropout
from core.sampling import RandomSource


class GANDivergedError(FloatingPointError):
    """A loss or gradient became NaN or inf; the weights were left at their last finite values."""


@dataclass(frozen=True)
class GANStepReport:
    """What one training step (or one D-only / G-only update) reports."""

    discriminator_loss: float
    generator_loss: float
    d_real: float  # mean D(x) over the last real batch
    d_fake: float  # mean D(G(z)) over the last fake batch
    discriminator_grad_norm: float
    generator_grad_norm: float

    def record(self) -> dict[str, float]:
        """The report as a run's record (the names its pages' curves read)."""
        return asdict(self)


def generator_loss_value(fake_logits: torch.Tensor, kind: str) -> torch.Tensor:
    """The generator's loss from D's logits on G(z).

    proxy:   -log D(G(z))       = softplus(-logit), strong gradients while D rejects fakes;
    minimax: log(1 - D(G(z)))   = -softplus(logit), which saturates when D(G(z)) ≈ 0.
    """
    if kind == "proxy":
        return F_nn.softplus(-fake_logits).mean()
    if kind == "minimax":
        return -F_nn.softplus(fake_logits).mean()
    raise ValueError(f"generator_loss must be one of {GENERATOR_LOSSES}, got {kind!r}.")


def discriminator_loss_value(
    real_logits: torch.Tensor, fake_logits: torch.Tensor, real_label: float = 1.0
) -> torch.Tensor:
    """Binary cross-entropy with real = ``real_label`` (1, or less for one-sided label
    smoothing) and fake = 0, averaged over the two halves."""
    real = F_nn.binary_cross_entropy_with_logits(
        real_logits, torch.full_like(real_logits, real_label)
    )
    fake = F_nn.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return 0.5 * (real + fake)


def _gradient_norm(module: nn.Module) -> torch.Tensor:
    norms = [p.grad.norm() for p in module.parameters() if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack(norms)) if norms else torch.tensor(0.0)


class GANTrainer:
    """A GAN, its two Adam optimizers, its real data and the k:1 schedule.

    ``data`` holds real images as rows of pixels in [-1, 1]
    (see ``core.data.datasets.to_tanh_range``).
    """

    def __init__(
        self,
        config: GANConfig,
        data: np.ndarray | torch.Tensor,
        *,
        device: str | torch.device = "cpu",
        n_fixed_noise: int = 64,
    ) -> None:
        config.validate()
        self.config = config
        self.device = torch.device(device)
        data = torch.as_tensor(np.asarray(data) if not isinstance(data, torch.Tensor) else data)
        if data.ndim != 2 or data.shape[1] != config.n_pixels:
            raise ValueError(
                f"data must have shape (n, {config.n_pixels}) for this GAN, "
                f"got {tuple(data.shape)}."
            )
        if data.shape[0] < 1:
            raise ValueError("data is empty: the discriminator needs real images.")
        data = data.to(device=self.device, dtype=torch.float32)
        if not torch.isfinite(data).all() or data.min() < -1 - 1e-6 or data.max() > 1 + 1e-6:
            raise ValueError(
                "data must hold finite pixels in [-1, 1]; scale it with to_tanh_range."
            )
        self.data = data
        # G's and D's first weights from the seed, on a generator of their own (the numbers a
        # global torch.manual_seed(seed) gave): runs built at once never mix their draws.
        initial = torch.Generator().manual_seed(config.seed)
        self.generator = Generator(
            config.noise_dim, config.generator_hidden, config.n_pixels, generator=initial
        )
        self.discriminator = Discriminator(
            config.n_pixels, config.discriminator_hidden, config.dropout, generator=initial
        )
        self.generator.to(self.device)
        self.discriminator.to(self.device)
        self.optimizer_g = torch.optim.Adam(  # fused: one kernel for all parameters
            self.generator.parameters(),
            lr=config.learning_rate_generator,
            betas=config.betas,
            fused=True,
        )
        self.optimizer_d = torch.optim.Adam(
            self.discriminator.parameters(),
            lr=config.learning_rate_discriminator,
            betas=config.betas,
            fused=True,
        )
        self.random = torch.Generator(device=self.device).manual_seed(config.seed)
        self.dropout_random = RandomSource(config.seed, self.device)
        for module in self.discriminator.modules():
            if isinstance(module, SeededDropout):
                module.random = self.dropout_random
        # The fixed noise is the CPU's first draw for this seed on any device (a CUDA generator
        # draws other numbers), so a checkpoint shows the same digits wherever it is loaded.
        first = self.random if self.device.type == "cpu" else torch.Generator()
        self.fixed_noise = self.sample_noise(n_fixed_noise, first.manual_seed(config.seed))
        self.discriminator_updates = 0
        self.generator_updates = 0
        self.real_images_seen = 0  # real images D has been shown (a page's x axis)
        self.average: Generator | None = None
        self._average_statistics_at = -1
        self._update_average()
        self._order = torch.empty(0, dtype=torch.long)
        self._position = 0
        # D's logits on the last D update's (real, fake) and on G's last batch: each loss's terms
        self.last_discriminator_logits = self.last_generator_logits = None

    # ---- noise and real batches ----------------------------------------------------------

    def sample_noise(self, n: int, random: torch.Generator | None = None) -> torch.Tensor:
        """z ~ U(-1, 1)^noise_dim (or N(0, 1)), one row per sample, on this GAN's device (from
        ``random`` if given, drawn where that generator lives: a CPU one gives the same z
        whatever the device)."""
        shape = (int(n), self.config.noise_dim)
        random = self.random if random is None else random
        if self.config.noise == "gaussian":
            z = torch.randn(shape, generator=random, device=random.device)
        else:
            z = torch.rand(shape, generator=random, device=random.device).mul_(2).sub_(1)
        return z.to(self.device)

    def real_batch(self) -> torch.Tensor:
        """The next batch of real images, walking a fresh shuffle of the data each epoch."""
        size = min(self.config.batch_size, self.data.shape[0])
        if self._position + size > self._order.numel():
            self._order = torch.randperm(
                self.data.shape[0], generator=self.random, device=self.device
            )
            self._position = 0
        indices = self._order[self._position : self._position + size]
        self._position += size
        self.real_images_seen += size
        return self.data[indices]

    # ---- updates -------------------------------------------------------------------------

    def _apply_hyperparameters(self) -> None:
        self.config.validate()
        for group in self.optimizer_g.param_groups:
            group["lr"] = self.config.learning_rate_generator
            group["betas"] = self.config.betas
        for group in self.optimizer_d.param_groups:
            group["lr"] = self.config.learning_rate_discriminator
            group["betas"] = self.config.betas

    @staticmethod
    def _check_finite(loss: torch.Tensor, norm: torch.Tensor, who: str, optimizer) -> None:
        if not (torch.isfinite(loss) and torch.isfinite(norm)):
            optimizer.zero_grad(set_to_none=True)
            raise GANDivergedError(
                f"Training diverged: the {who} loss or its gradient became NaN or inf. The "
                "weights keep their last finite values; lower the learning rates or reset."
            )

    def update_discriminator(self) -> tuple[float, float, float, float]:
        """One D update on a real batch and a fresh fake batch: (loss, D(x), D(G(z)), ‖∇‖)."""
        self._apply_hyperparameters()
        self.generator.train()
        self.discriminator.train()
        real = self.real_batch()
        with torch.no_grad():
            fake = self.generator(self.sample_noise(real.shape[0]))
        self.optimizer_d.zero_grad(set_to_none=True)
        # One pass over real and fake together: D has no batch statistics, so this equals two
        # passes, with larger (faster) matrix products.
        logits = self.discriminator(torch.cat((real, fake)))
        real_logits, fake_logits = logits[: real.shape[0]], logits[real.shape[0] :]
        loss = discriminator_loss_value(real_logits, fake_logits, self.config.real_label)
        self.last_discriminator_logits = (real_logits.detach(), fake_logits.detach())
        loss.backward()
        norm = _gradient_norm(self.discriminator)
        self._check_finite(loss, norm, "discriminator", self.optimizer_d)
        self.optimizer_d.step()
        self.discriminator_updates += 1
        return (
            loss.item(),
            torch.sigmoid(real_logits).mean().item(),
            torch.sigmoid(fake_logits).mean().item(),
            norm.item(),
        )

    def update_generator(self) -> tuple[float, float, float]:
        """One G update against the current D: (loss, D(G(z)), ‖∇‖)."""
        self._apply_hyperparameters()
        self.generator.train()
        self.discriminator.train()
        z = self.sample_noise(min(self.config.batch_size, max(self.data.shape[0], 1)))
        self.optimizer_g.zero_grad(set_to_none=True)
        for parameter in self.discriminator.parameters():
            parameter.requires_grad_(False)
        try:
            fake_logits = self.discriminator(self.generator(z))
            loss = generator_loss_value(fake_logits, self.config.generator_loss)
            self.last_generator_logits = fake_logits.detach()
            loss.backward()
        finally:
            for parameter in self.discriminator.parameters():
                parameter.requires_grad_(True)
        norm = _gradient_norm(self.generator)
        self._check_finite(loss, norm, "generator", self.optimizer_g)
        self.optimizer_g.step()
        self.generator_updates += 1
        self._update_average()
        return loss.item(), torch.sigmoid(fake_logits).mean().item(), norm.item()

    def step(self) -> GANStepReport:
        """k discriminator updates, then one generator update."""
        self._apply_hyperparameters()
        for _ in range(int(self.config.k)):
            d_loss, d_real, d_fake, d_norm = self.update_discriminator()
        g_loss, g_fake, g_norm = self.update_generator()
        return GANStepReport(d_loss, g_loss, d_real, d_fake, d_norm, g_norm)

    # ---- G's average -----------------------------------------------------------------------

    AVERAGE_STATISTICS_SAMPLES = 512
    AVERAGE_STATISTICS_SEED = 20_140_610

    @torch.no_grad()
    def _update_average(self) -> None:
        """w̄ ← d·w̄ + (1 − d)·w for G's weights; started from G when switched on, gone when off."""
        decay = float(self.config.average_decay)
        if decay == 0:
            self.average = None
            return
        if self.average is None:
            self.average = copy.deepcopy(self.generator)
        else:
            torch._foreach_lerp_(
                list(self.average.parameters()), list(self.generator.parameters()), 1 - decay
            )
        self._average_statistics_at = -1

    @torch.no_grad()
    def sampler(self) -> nn.Module:
        """The network samples come from: G, or G's average when it is on.

        G's running BatchNorm statistics belong to its past weights, not to the average, so
        the average's are measured afresh: once per G update, on 512 draws of one fixed noise
        stream, so the same weights give the same pictures whatever run they come from.
        """
        if self.average is None or self.config.average_decay == 0:
            return self.generator
        if self._average_statistics_at != self.generator_updates:
            for layer in self.average.modules():
                if isinstance(layer, nn.BatchNorm1d):
                    layer.reset_running_stats()
                    layer.momentum = None  # a plain average over what follows
            self.average.train()
            stream = torch.Generator().manual_seed(self.AVERAGE_STATISTICS_SEED)  # any device
            self.average(self.sample_noise(self.AVERAGE_STATISTICS_SAMPLES, stream))
            self._average_statistics_at = self.generator_updates
        self.average.eval()
        return self.average

    # ---- pictures ------------------------------------------------------------------------

    @torch.no_grad()
    def generate(self, z: torch.Tensor | int) -> np.ndarray:
        """G(z) in [-1, 1] as numpy rows (BatchNorm in inference mode); an int draws fresh z.

        With averaging on, the images come from G's average (see ``sampler``)."""
        return self.generated(z).cpu().numpy()

    @torch.no_grad()
    def generated(self, z: torch.Tensor | int) -> torch.Tensor:
        """``generate``'s images as a tensor on this GAN's device (for D to judge there)."""
        if isinstance(z, int):
            z = self.sample_noise(z)
        z = torch.as_tensor(z, dtype=torch.float32, device=self.device)
        if z.ndim != 2 or z.shape[1] != self.config.noise_dim:
            raise ValueError(
                f"z must have shape (n, {self.config.noise_dim}), got {tuple(z.shape)}."
            )
        network = self.sampler()
        if network is not self.generator:
            return network(z)
        self.generator.eval()
        try:
            return self.generator(z)
        finally:
            self.generator.train()

    def fixed_samples(self) -> np.ndarray:
        """G of the same fixed noise every time, so a page shows one set of digits forming."""
        return self.generate(self.fixed_noise)

    def interpolate(
        self, z_start: torch.Tensor, z_end: torch.Tensor, steps: int = 10
    ) -> np.ndarray:
        """G along the straight line from z_start to z_end, ``steps`` images."""
        if steps < 2:
            raise ValueError(f"steps must be at least 2, got {steps}.")
        z_start = torch.as_tensor(z_start, dtype=torch.float32, device=self.device).reshape(1, -1)
        z_end = torch.as_tensor(z_end, dtype=torch.float32, device=self.device).reshape(1, -1)
        weights = torch.linspace(0, 1, steps, device=self.device).unsqueeze(1)
        return self.generate((1 - weights) * z_start + weights * z_end)

    # ---- checkpoints ---------------------------------------------------------------------

    def checkpoint(self) -> dict:
        """State dicts and a small config, for torch.save (load with weights_only=True)."""
        return {
            "kind": "gan",
            "config": self.config.to_dict(),
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            **({"average": self.average.state_dict()} if self.average is not None else {}),
        }

    def load_checkpoint(self, checkpoint: dict) -> None:
        """Load G and D from ``checkpoint``; on any mismatch raise ValueError, changing nothing."""
        generator, discriminator, average = checkpoint_networks(checkpoint, self.config)
        self.generator.load_state_dict(generator.state_dict())
        self.discriminator.load_state_dict(discriminator.state_dict())
        if self.average is not None:
            self.average.load_state_dict(average.state_dict())
            self._average_statistics_at = -1


MAX_UNITS = 16_384  # the widest layer (pixels, noise or hidden) a checkpoint may claim


def checkpoint_networks(
    checkpoint: dict, config: GANConfig, max_units: int = MAX_UNITS
) -> tuple[nn.Module, ...]:
    """G, D and G's average from a checkpoint dict, checked to fit a GAN of ``config``'s
    shape; ValueError for anything else. A checkpoint without an average starts one from G.

    Nothing is built before the file's config is checked (every layer at most ``max_units``
    wide, and the shape of ``config``'s GAN) and its tensors are checked against the shapes
    that GAN's state dicts have (taken from networks on the meta device, which hold no
    numbers)."""
    if not isinstance(checkpoint, dict) or checkpoint.get("kind") != "gan":
        raise ValueError("This file is not a GAN checkpoint of this dashboard.")
    stored = GANConfig.from_dict(checkpoint.get("config", {}))
    widest = max(stored.n_pixels, stored.noise_dim, *stored.generator_hidden)
    widest = max(widest, *stored.discriminator_hidden)
    if widest > max_units:
        raise ValueError(
            f"The checkpoint claims a layer of {widest:,} units; this dashboard builds at most "
            f"{max_units:,}."
        )
    shape = ("n_pixels", "noise_dim", "generator_hidden", "discriminator_hidden")
    if any(getattr(stored, name) != getattr(config, name) for name in shape):
        raise ValueError(
            "The checkpoint's model shape does not match this GAN "
            f"({stored.n_pixels} pixels, hidden {stored.generator_hidden} / "
            f"{stored.discriminator_hidden}); reset with matching settings first."
        )
    with torch.device("meta"):  # the shapes alone: nothing allocated, no random numbers drawn
        expected_g = Generator(stored.noise_dim, stored.generator_hidden, stored.n_pixels)
        expected_d = Discriminator(stored.n_pixels, stored.discriminator_hidden, stored.dropout)
    for name, network in (("generator", expected_g), ("discriminator", expected_d)):
        shapes = {
            key: (tuple(t.shape), t.is_floating_point()) for key, t in network.state_dict().items()
        }
        checked_tensors(checkpoint.get(name), shapes, name)
        if name == "generator" and "average" in checkpoint:
            checked_tensors(checkpoint["average"], shapes, "average")
    generator = Generator(stored.noise_dim, stored.generator_hidden, stored.n_pixels)
    discriminator = Discriminator(stored.n_pixels, stored.discriminator_hidden, stored.dropout)
    average = copy.deepcopy(generator)
    try:
        generator.load_state_dict(checkpoint["generator"])
        discriminator.load_state_dict(checkpoint["discriminator"])
        average.load_state_dict(checkpoint.get("average", checkpoint["generator"]))
    except (KeyError, RuntimeError, TypeError, AttributeError) as error:
        raise ValueError(f"The checkpoint's weights do not fit this GAN: {error}") from None
    return generator, discriminator, average


def checkpoint_bytes(trainer: GANTrainer, **extra) -> bytes:
    """G, D (and G's average) as a torch file with the config and ``extra`` (the dataset)."""
    return write_checkpoint({**trainer.checkpoint(), **extra})


def load_checkpoint_bytes(
    data: bytes, config: GANConfig, max_bytes: int = MAX_CHECKPOINT_BYTES
) -> dict:
    """The checkpoint dict in ``data``, checked to fit a GAN of ``config``'s shape with finite
    weights (read with ``weights_only=True``); ValueError with a sentence for anything else."""
    checkpoint = read_checkpoint(data, "gan", max_bytes)
    checkpoint["steps"] = int(training_count(checkpoint.get("steps"), "steps", 1e9))
    networks = checkpoint_networks(checkpoint, config)
    if not all_finite(t for network in networks for t in network.state_dict().values()):
        raise ValueError("The checkpoint's weights hold NaN or inf.")
    return checkpoint
