"""The GAN's view of one image: what D says of it, and whether G can draw it.

D's verdict is D(x) = σ(logit) with dropout off, placed among D's outputs on real images.
Finding the image in G searches the noise space for the z whose G(z) is nearest it,

    min_z  ‖G(z) − x‖² / P  +  prior · ½‖z‖² / dim      (Gaussian noise)
    min_z  ‖G(z) − x‖² / P,  z kept in [−1, 1]^dim      (uniform noise: clamped after each step)

by Adam on z alone, from a few random starts at once (the best one kept): the prior keeps z
where the noise puts it, so G(z) stays one of G's own images. A large final distance means G
cannot draw that image; the distance to the nearest training image gives it a scale.

G is searched as a copy in inference mode (BatchNorm from its running statistics), so the
run's own networks, their modes and their weights are untouched; every random number comes
from a generator of its own, seeded by the caller (never training's).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.data.validation import check_non_negative, check_positive, check_positive_int

MAX_STEPS = 10_000  # Adam steps one search may ask for
MAX_STARTS = 64  # random starts searched at once
STARTS = 8


@dataclass(frozen=True)
class Projection:
    """Where the search for an image in G's noise space ended."""

    z: np.ndarray  # (noise_dim,) the best start's z
    image: np.ndarray  # G(z), (n_pixels,) in [-1, 1]
    distances: list[tuple[int, float]]  # (Adam step, the best start's ‖G(z) − x‖² / P) so far
    distance: float  # ‖G(z) − x‖² / P at the end


def _pixels(images: np.ndarray, n_pixels: int, name: str) -> np.ndarray:
    """``images`` as float32 rows of ``n_pixels`` in [-1, 1] (one image may come in any shape
    with n_pixels values), checked finite."""
    images = np.asarray(images)
    if not (np.issubdtype(images.dtype, np.floating) or np.issubdtype(images.dtype, np.integer)):
        raise ValueError(f"{name} must be numeric, got dtype {images.dtype}.")
    if images.size == n_pixels:
        images = images.reshape(1, n_pixels)
    if images.ndim != 2 or images.shape[1] != n_pixels or images.shape[0] == 0:
        raise ValueError(f"{name} must be rows of {n_pixels} pixels, got shape {images.shape}.")
    low, high = float(np.min(images)), float(np.max(images))
    if not (np.isfinite(low) and np.isfinite(high)) or low < -1 - 1e-6 or high > 1 + 1e-6:
        raise ValueError(
            f"{name} must hold finite pixels in [-1, 1] (to_tanh_range); found values from "
            f"{low:.4g} to {high:.4g}."
        )
    return images.astype(np.float32, copy=False)


@torch.no_grad()
def discriminator_outputs(trainer, images_tanh: np.ndarray) -> np.ndarray:
    """D(x) = σ(D's logit) of each row of ``images_tanh``, dropout off (D put in inference mode
    for the call and returned to the mode it was in)."""
    images = _pixels(images_tanh, trainer.config.n_pixels, "images_tanh")
    discriminator = trainer.discriminator
    was_training = discriminator.training
    discriminator.eval()
    try:
        logits = discriminator(torch.as_tensor(images, device=trainer.device))
    finally:
        discriminator.train(was_training)
    return torch.sigmoid(logits).cpu().numpy()


def discriminator_verdict(
    trainer, x_tanh: np.ndarray, real_outputs: np.ndarray
) -> tuple[float, float]:
    """(D(x) for one image, the share of ``real_outputs``, D's outputs on real images, below
    it): "D calls your drawing real with 0.83, higher than 70% of real digits"."""
    x = _pixels(x_tanh, trainer.config.n_pixels, "x_tanh")
    if x.shape[0] != 1:
        raise ValueError(f"x_tanh must be one image, got {x.shape[0]}.")
    real = np.asarray(real_outputs, dtype=np.float64).reshape(-1)
    if real.size == 0 or not np.isfinite(real).all() or real.min() < 0 or real.max() > 1:
        raise ValueError("real_outputs must be D's outputs on real images: numbers in [0, 1].")
    verdict = float(discriminator_outputs(trainer, x)[0])
    return verdict, float(np.mean(real < verdict))


def frozen_generator(trainer) -> nn.Module:
    """A copy of the network G's samples come from (G, or its average) in inference mode, its
    weights without gradients: take it under the run's lock, then search outside it."""
    network = copy.deepcopy(trainer.sampler())
    network.eval()
    network.requires_grad_(False)
    return network


def project(
    trainer,
    target_tanh: np.ndarray,
    steps: int = 300,
    learning_rate: float = 0.05,
    prior: float = 0.1,
    seed: int = 0,
    every: int = 10,
    progress: Callable[[int, float], None] | None = None,
    *,
    starts: int = STARTS,
    generator: nn.Module | None = None,
) -> Projection:
    """Search G's noise space for the z whose G(z) is nearest ``target_tanh`` (see the module):
    ``steps`` Adam steps on ``starts`` random z at once, drawn from the GAN's noise by a
    generator seeded with ``seed``. Every ``every`` steps the best start's distance is recorded
    (and passed to ``progress(step, distance)``, for a live chart). ``generator``: a
    ``frozen_generator`` taken beforehand (else one is copied from ``trainer`` now)."""
    target = _pixels(target_tanh, trainer.config.n_pixels, "target_tanh")
    if target.shape[0] != 1:
        raise ValueError(f"target_tanh must be one image, got {target.shape[0]}.")
    z, images, distances, history = project_many(
        trainer,
        target,
        steps,
        learning_rate,
        prior,
        seed,
        every,
        progress,
        starts=starts,
        generator=generator,
    )
    return Projection(z[0], images[0], history, float(distances[0]))


def project_many(
    trainer,
    targets_tanh: np.ndarray,
    steps: int = 300,
    learning_rate: float = 0.05,
    prior: float = 0.1,
    seed: int = 0,
    every: int = 10,
    progress: Callable[[int, float], None] | None = None,
    *,
    starts: int = STARTS,
    generator: nn.Module | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[int, float]]]:
    """``project`` for rows of targets at once (each with its own starts): (z per target,
    G(z) per target, each final distance, and the first target's recorded distances)."""
    config = trainer.config
    targets = _pixels(targets_tanh, config.n_pixels, "targets_tanh")
    steps = check_positive_int("steps", steps)
    if steps > MAX_STEPS:
        raise ValueError(f"steps may be at most {MAX_STEPS:,}, got {steps:,}.")
    starts = check_positive_int("starts", starts)
    if starts > MAX_STARTS:
        raise ValueError(f"starts may be at most {MAX_STARTS}, got {starts}.")
    learning_rate = check_positive("learning_rate", learning_rate)
    prior = check_non_negative("prior", prior)
    every = check_positive_int("every", every)
    network = frozen_generator(trainer) if generator is None else generator
    device = next(network.parameters()).device
    n, dim = targets.shape[0], config.noise_dim
    # the starts, drawn on the CPU from the seed alone (the same z on any device)
    random = torch.Generator().manual_seed(int(seed))
    if config.noise == "gaussian":
        z = torch.randn((n * starts, dim), generator=random)
    else:
        z = torch.rand((n * starts, dim), generator=random).mul_(2).sub_(1)
    z = z.to(device).requires_grad_(True)
    goal = torch.as_tensor(targets, device=device).repeat_interleave(starts, dim=0)
    optimizer = torch.optim.Adam([z], lr=learning_rate)
    history: list[tuple[int, float]] = []
    for step in range(steps + 1):
        distance = ((network(z) - goal) ** 2).mean(dim=1)
        if step % every == 0 or step == steps:
            best = float(distance.detach()[:starts].min())
            history.append((step, best))
            if progress is not None:
                progress(step, best)
        if step == steps:
            break
        loss = distance
        if config.noise == "gaussian" and prior:
            loss = loss + prior * 0.5 * (z**2).sum(dim=1) / dim
        optimizer.zero_grad(set_to_none=True)
        loss.sum().backward()  # each start's loss depends on its own z alone
        optimizer.step()
        if config.noise != "gaussian":
            with torch.no_grad():
                z.clamp_(-1.0, 1.0)
    with torch.no_grad():
        distance = distance.detach().reshape(n, starts)
        best = distance.argmin(dim=1) + torch.arange(n, device=device) * starts
        chosen = z.detach()[best]
        images = network(chosen)
    return (
        chosen.cpu().numpy(),
        images.cpu().numpy(),
        distance.min(dim=1).values.cpu().numpy(),
        history,
    )


def nearest_training_distance(target: np.ndarray, images: np.ndarray) -> tuple[float, int]:
    """(‖x − x_i‖² / P to the nearest row x_i of ``images``, its index), both in the same
    range as ``target`` (one image of P values)."""
    target = np.asarray(target, dtype=np.float32).reshape(-1)
    images = np.asarray(images)
    if images.ndim != 2 or images.shape[0] == 0 or images.shape[1] != target.size:
        raise ValueError(
            f"images must be rows of the target's {target.size} pixels, got {images.shape}."
        )
    if not np.isfinite(target).all():
        raise ValueError("The target holds NaN or inf.")
    best, index = np.inf, -1
    for start in range(0, len(images), 1000):  # a chunk at a time: no n × P copy
        chunk = images[start : start + 1000].astype(np.float32)
        distances = ((chunk - target) ** 2).mean(axis=1)
        if distances.min() < best:
            best, index = float(distances.min()), start + int(distances.argmin())
    if not np.isfinite(best):
        raise ValueError("The images hold NaN or inf.")
    return best, index
