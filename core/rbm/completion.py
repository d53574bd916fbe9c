"""What an RBM makes of one image: the hidden units it activates, how typical its free energy
is, and pattern completion, the thing a Boltzmann machine does that a feed-forward net cannot.

Completion clamps the known pixels to the image and lets Gibbs sampling fill in the rest:

    h ~ P(h | v) = σ(c + W v)       v_unknown ~ P(v_unknown | h) = σ(b + Wᵀh)_unknown

with v_known fixed throughout, so the chain samples P(v_unknown | v_known), the model's guess
of the missing part given the part it sees. Its mean over the chain's last half is that
distribution's average picture. Cleaning is the same chain with every pixel free, started at
the noisy image: the chain walks downhill in F(v), towards the digits the model knows.

Every chain draws from a generator of its own, seeded by the caller (never training's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.data.validation import check_positive_int
from core.sampling import RandomSource, bernoulli

MAX_STEPS = 100_000  # Gibbs steps one completion may ask for
MAX_FRAMES = 1_000  # pictures one completion may keep
MAX_CHAINS = 64  # chains side by side for one image


@dataclass(frozen=True)
class Completion:
    """A clamped Gibbs chain's pictures, each of the RBM's D pixels as a flat float32 row."""

    frames: list[tuple[int, np.ndarray]]  # (step, P(v | h) with the known pixels kept), step 0 on
    mean: np.ndarray  # P(v | h) averaged over the last half of the steps; known pixels exact
    sample: np.ndarray  # the chain's last state: unknown pixels 0 or 1, known ones as given
    unknown: np.ndarray  # bool, True where the chain was free


def _image(rbm, v: np.ndarray, name: str = "v") -> torch.Tensor:
    """One image of the RBM's D pixels (any shape with D values) as a (1, D) tensor on its
    device, checked finite and in [0, 1]."""
    v = np.asarray(v)
    if v.size != rbm.n_visible:
        raise ValueError(f"{name} must have the RBM's {rbm.n_visible} pixels, got shape {v.shape}.")
    if not (np.issubdtype(v.dtype, np.number) or v.dtype == np.bool_):
        raise ValueError(f"{name} must be numeric, got dtype {v.dtype}.")
    return rbm.as_visible(v.reshape(1, -1).astype(np.float32))


def _mask(rbm, unknown: np.ndarray) -> torch.Tensor:
    """A (1, D) bool tensor from a mask of D values (bool, or 0 and 1)."""
    unknown = np.asarray(unknown)
    if unknown.size != rbm.n_visible:
        raise ValueError(
            f"unknown must mark each of the RBM's {rbm.n_visible} pixels, got shape "
            f"{unknown.shape}."
        )
    if unknown.dtype != np.bool_:
        if not np.issubdtype(unknown.dtype, np.number) or not np.isin(unknown, (0, 1)).all():
            raise ValueError("unknown must be a bool mask (True where a pixel is unknown).")
        unknown = unknown.astype(bool)
    return torch.as_tensor(unknown.reshape(1, -1), device=rbm.device)


@torch.no_grad()
def hidden_activations(rbm, v: np.ndarray) -> np.ndarray:
    """P(h_j = 1 | v) = σ(c_j + W_j v) for one image: a float32 row of the H hidden units."""
    return rbm.hidden_probabilities(_image(rbm, v))[0].cpu().numpy()


@torch.no_grad()
def free_energies(rbm, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """F(v) = -bᵀv - Σ_j log(1 + exp(c_j + W_j v)) of each row of ``images`` (n, D)."""
    images = np.asarray(images)
    if images.ndim != 2 or images.shape[1] != rbm.n_visible or images.shape[0] == 0:
        raise ValueError(
            f"images must be rows of the RBM's {rbm.n_visible} pixels, got shape {images.shape}."
        )
    parts = [
        rbm.free_energy(images[start : start + batch_size].astype(np.float32)).cpu().numpy()
        for start in range(0, len(images), batch_size)
    ]
    return np.concatenate(parts)


def free_energy_rank(rbm, v: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(F(v), the share of the reference images whose F is higher). Lower F is more probable
    (P(v) ∝ exp(-F(v))), so the share says "more typical than 62% of training digits"."""
    energy = float(free_energies(rbm, _image(rbm, v).cpu().numpy())[0])
    reference_energies = free_energies(rbm, reference)
    return energy, float(np.mean(reference_energies > energy))


def lower_half(shape: tuple[int, int] = (28, 28)) -> np.ndarray:
    """A flat bool mask of an image of ``shape``, True (unknown) on its lower half."""
    mask = np.zeros(shape, dtype=bool)
    mask[shape[0] // 2 :] = True
    return mask.reshape(-1)


def right_half(shape: tuple[int, int] = (28, 28)) -> np.ndarray:
    """A flat bool mask of an image of ``shape``, True (unknown) on its right half."""
    mask = np.zeros(shape, dtype=bool)
    mask[:, shape[1] // 2 :] = True
    return mask.reshape(-1)


def corrupt(v: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(v with ``share`` of its pixels flipped, v_i → 1 - v_i; the flipped pixels' bool mask),
    the pixels chosen by a generator seeded with ``seed``. Exactly round(share · D) flip."""
    v = np.asarray(v, dtype=np.float32)
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must lie in [0, 1], got {share!r}.")
    if v.size == 0 or not np.isfinite(v).all() or v.min() < 0 or v.max() > 1:
        raise ValueError("v must be a non-empty image with finite pixels in [0, 1].")
    flat = v.reshape(-1)
    chosen = np.random.default_rng(seed).permutation(flat.size)[: round(share * flat.size)]
    flipped = np.zeros(flat.size, dtype=bool)
    flipped[chosen] = True
    noisy = np.where(flipped, 1.0 - flat, flat).astype(np.float32)
    return noisy.reshape(v.shape), flipped.reshape(v.shape)


def _frame_steps(steps: int, frames: int) -> set[int]:
    """``frames`` steps spread evenly from 0 to ``steps`` (both kept when frames ≥ 2)."""
    if frames == 1:
        return {steps}
    return {round(i * steps / (frames - 1)) for i in range(frames)}


@dataclass(frozen=True)
class Chain:
    """What ``clamped_chain`` returns, one row per chain, tensors on the RBM's device."""

    mean: torch.Tensor  # P(v | h) averaged over the last half of the steps, known pixels exact
    sample: torch.Tensor  # the last state
    free_energy: torch.Tensor  # F(v) of the states over the last half of the steps, averaged
    frames: list[tuple[int, np.ndarray]]  # (step, P(v | h) of every row) at the recorded steps


@torch.no_grad()
def clamped_chain(
    rbm,
    v: torch.Tensor,
    unknown: torch.Tensor,
    start: torch.Tensor,
    steps: int,
    random: RandomSource,
    record: set[int] = frozenset(),
    evidence: torch.Tensor | None = None,
) -> Chain:
    """Gibbs steps on rows v (n, D), the pixels where ``unknown`` is False held at v, the others
    starting at ``start``, with ``evidence`` (n, D) added to the visible units' input b + Wᵀh
    when given (what a noisy image says of each pixel: see ``clean``). ``unknown`` broadcasts
    against v; tensors on the RBM's device."""
    W, b, c = rbm.W, rbm.b, rbm.c
    visible_bias = b if evidence is None else b + evidence
    state = torch.where(unknown, start, v)
    frames = [(0, state.cpu().numpy())] if 0 in record else []
    total = torch.zeros_like(v)
    energy = torch.zeros(v.shape[0], dtype=v.dtype, device=v.device)
    averaged_from = steps // 2 + 1
    for step in range(1, steps + 1):
        hidden_input = torch.addmm(c, state, W.t())
        if step - 1 >= averaged_from:  # F of the state step - 1 left, from the input at hand
            energy += rbm.free_energy(state, hidden_input, checked=True)
        h = bernoulli(torch.sigmoid(hidden_input), random)
        probabilities = torch.where(unknown, torch.sigmoid(torch.addmm(visible_bias, h, W)), v)
        state = torch.where(unknown, bernoulli(probabilities, random), v)
        if step >= averaged_from:
            total += probabilities
        if step in record:
            frames.append((step, probabilities.cpu().numpy()))
    energy += rbm.free_energy(state, checked=True)
    kept = steps - averaged_from + 1
    mean = torch.where(unknown, total / kept, v)
    return Chain(mean, state, energy / kept, frames)


CHAINS = 8  # chains run side by side for one image (one product each step: as fast as one)


def complete(
    rbm,
    v: np.ndarray,
    unknown: np.ndarray,
    steps: int = 100,
    seed: int = 0,
    frames: int = 20,
    *,
    chains: int = CHAINS,
    start: np.ndarray | None = None,
) -> Completion:
    """Fill in the pixels of ``v`` where ``unknown`` is True by ``steps`` Gibbs steps with the
    known pixels clamped (see the module). ``chains`` chains run at once from the same start
    and the one whose states had the lowest mean F(v), the most probable, is kept: a chain can
    settle in a lesser digit, and the most probable of a few is right more often
    (docs/performance.md). The unknown pixels start blank, or at ``start``: from the training
    images' mean, with 300 steps, the completion is judged right as often as the nearest
    training image's half. Its own generator from ``seed``; ``frames`` pictures of the kept
    chain."""
    steps = _checked_count("steps", steps, MAX_STEPS)
    frames = _checked_count("frames", frames, MAX_FRAMES)
    chains = _checked_count("chains", chains, MAX_CHAINS)
    image, mask = _image(rbm, v), _mask(rbm, unknown)
    first = torch.zeros_like(image) if start is None else _image(rbm, start, "start")
    record = _frame_steps(steps, min(frames, steps + 1))
    mean, sample, pictures = _chains(rbm, image, mask, first, steps, seed, chains, record)
    return Completion(pictures, mean[0].cpu().numpy(), sample[0].cpu().numpy(), _flat(mask))


def complete_many(
    rbm,
    images: np.ndarray,
    unknown: np.ndarray,
    steps: int = 100,
    seed: int = 0,
    *,
    chains: int = CHAINS,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``complete`` for rows of images (n, D) with one mask for all: (mean, sample) per row."""
    steps = _checked_count("steps", steps, MAX_STEPS)
    chains = _checked_count("chains", chains, MAX_CHAINS)
    rows, mask = _rows(rbm, images), _mask(rbm, unknown)
    first = torch.zeros_like(rows) if start is None else _image(rbm, start, "start").expand_as(rows)
    mean, sample, _ = _chains(rbm, rows, mask, first, steps, seed, chains)
    return mean.cpu().numpy(), sample.cpu().numpy()


def clean(
    rbm,
    noisy: np.ndarray,
    steps: int = 100,
    seed: int = 0,
    frames: int = 20,
    *,
    share: float = 0.2,
    chains: int = CHAINS,
) -> Completion:
    """Let the chain pull a noisy image back: every pixel free, started at ``noisy`` itself.

    A plain chain would forget the image within a few steps and wander to any digit. If each
    pixel was flipped with probability ``share``, the clean image's posterior is the RBM with
    each visible input raised by the noisy pixel's evidence, log((1 − share) / share) · (2ṽ − 1)
    (the flip model's log odds), and the chain samples that instead (``share`` = 0.5: no
    evidence, the plain chain). The mean is averaged over ``chains`` chains; the frames and
    the sample are the first chain's."""
    steps = _checked_count("steps", steps, MAX_STEPS)
    frames = _checked_count("frames", frames, MAX_FRAMES)
    chains = _checked_count("chains", chains, MAX_CHAINS)
    image = _image(rbm, noisy, "noisy")
    record = _frame_steps(steps, min(frames, steps + 1))
    mean, sample, pictures = _cleaned(rbm, image, steps, seed, chains, share, record)
    mask = np.ones(rbm.n_visible, dtype=bool)
    return Completion(pictures, mean[0].cpu().numpy(), sample[0].cpu().numpy(), mask)


def clean_many(
    rbm,
    noisy: np.ndarray,
    steps: int = 100,
    seed: int = 0,
    *,
    share: float = 0.2,
    chains: int = CHAINS,
) -> tuple[np.ndarray, np.ndarray]:
    """``clean`` for rows of noisy images (n, D): (mean, sample) per row."""
    steps = _checked_count("steps", steps, MAX_STEPS)
    chains = _checked_count("chains", chains, MAX_CHAINS)
    mean, sample, _ = _cleaned(rbm, _rows(rbm, noisy), steps, seed, chains, share)
    return mean.cpu().numpy(), sample.cpu().numpy()


def _cleaned(rbm, rows, steps, seed, chains, share, record=frozenset()):
    if not 0.0 < share <= 0.5:
        raise ValueError(f"share must lie in (0, 0.5], got {share!r}.")
    evidence = float(np.log((1.0 - share) / share)) * (2.0 * rows - 1.0)
    mask = torch.ones_like(rows[:1], dtype=torch.bool)
    return _chains(rbm, rows, mask, rows, steps, seed, chains, record, evidence, keep="average")


def _chains(
    rbm, rows, mask, start, steps, seed, chains, record=frozenset(), evidence=None, keep="lowest"
):
    """``chains`` chains for each row, side by side: (mean, sample) per row, the kept chain's
    (the lowest mean F) or, with ``keep="average"``, the chains' average mean and the first
    chain's sample; and the frames of row 0's kept (or first) chain."""
    n = rows.shape[0]
    repeat = (lambda t: t.repeat_interleave(chains, dim=0)) if chains > 1 else (lambda t: t)
    if mask.shape[0] > 1:
        mask = repeat(mask)
    run = clamped_chain(
        rbm,
        repeat(rows),
        mask,
        repeat(start),
        steps,
        RandomSource(seed, rbm.device),
        record,
        None if evidence is None else repeat(evidence),
    )
    means = run.mean.reshape(n, chains, -1)
    samples = run.sample.reshape(n, chains, -1)
    if keep == "average":
        kept = torch.zeros(n, dtype=torch.long, device=rows.device)
        mean = means.mean(dim=1)
        mean = torch.where(mask[:1] if mask.shape[0] == 1 else mask[::chains], mean, rows)
    else:
        kept = run.free_energy.reshape(n, chains).argmin(dim=1)
        mean = means[torch.arange(n, device=rows.device), kept]
    sample = samples[torch.arange(n, device=rows.device), kept]
    row = int(kept[0])
    return mean, sample, [(step, pictures[row]) for step, pictures in run.frames]


def _rows(rbm, images: np.ndarray) -> torch.Tensor:
    """Rows of the RBM's D pixels as an (n, D) tensor on its device, checked."""
    images = np.asarray(images)
    if images.ndim != 2 or images.shape[1] != rbm.n_visible:
        raise ValueError(
            f"images must be rows of the RBM's {rbm.n_visible} pixels, got shape {images.shape}."
        )
    return rbm.as_visible(images.astype(np.float32))


def _flat(mask: torch.Tensor) -> np.ndarray:
    return mask[0].cpu().numpy().copy()


def _checked_count(name: str, value: int, most: int) -> int:
    value = check_positive_int(name, value)
    if value > most:
        raise ValueError(f"{name} may be at most {most:,}, got {value:,}.")
    return value
