"""The lecture's two MLPs: the generator G (noise to pixels in [-1, 1], BatchNorm and
LeakyReLU(0.2) after each hidden Dense, tanh out) and the discriminator D (pixels to a logit,
LeakyReLU(0.2) and Dropout(0.3) after each hidden Dense), initialised as Keras initialises."""

from __future__ import annotations

import torch
from torch import nn

from core.sampling import RandomSource


def glorot_initialise(module: nn.Module, generator: torch.Generator | None = None) -> None:
    """Dense weights ~ U(±sqrt(6 / (fan_in + fan_out))) and zero biases, as in the Keras seed.

    With ``generator`` (a CPU one) the weights come from it, after it has drawn past what
    nn.Linear drew when it was made (its own weights and biases, which these replace): the
    same weights a global ``torch.manual_seed`` of the generator's seed gave, but no other
    thread's draws from torch's global generator can come between (two sessions building a
    GAN at once, a judge loading)."""
    layers = [layer for layer in module.modules() if isinstance(layer, nn.Linear)]
    if generator is not None:
        for layer in layers:
            torch.empty_like(layer.weight, device="cpu").uniform_(generator=generator)
            torch.empty_like(layer.bias, device="cpu").uniform_(generator=generator)
    for layer in layers:
        nn.init.xavier_uniform_(layer.weight, generator=generator)
        nn.init.zeros_(layer.bias)


class Generator(nn.Module):
    """G(z): noise to pixels in [-1, 1] (initial weights from ``generator``, if given)."""

    def __init__(
        self,
        noise_dim: int,
        hidden: tuple[int, ...],
        n_pixels: int,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = noise_dim
        for size in hidden:
            layers += [nn.Linear(width, size), nn.BatchNorm1d(size), nn.LeakyReLU(0.2)]
            width = size
        layers += [nn.Linear(width, n_pixels), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        glorot_initialise(self, generator)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class SeededDropout(nn.Module):
    """Dropout whose masks come from the run's own RandomSource.

    Each run then has its own reproducible randomness (two sessions never disturb each
    other), and the masks are drawn several times faster than by ``nn.Dropout`` on the CPU.
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = float(p)
        self.random: RandomSource | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        if self.random is None:
            uniform = torch.rand(x.shape, device=x.device, dtype=x.dtype)
        else:
            uniform = self.random.uniform(x.shape, x.dtype).to(x.device)
        return x * uniform.ge_(self.p).mul_(1.0 / (1.0 - self.p))


class Discriminator(nn.Module):
    """D(x) as a logit: σ(D(x)) is the probability that x is real (initial weights from
    ``generator``, if given)."""

    def __init__(
        self,
        n_pixels: int,
        hidden: tuple[int, ...],
        dropout: float,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = n_pixels
        for size in hidden:
            layers += [nn.Linear(width, size), nn.LeakyReLU(0.2), SeededDropout(dropout)]
            width = size
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)
        glorot_initialise(self, generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)
