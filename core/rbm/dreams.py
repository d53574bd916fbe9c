"""What an RBM dreams: samples drawn from noise by its own Gibbs chains, plainly or annealed
from a flat model to the RBM, and how a reference classifier judges them.

Annealing runs the chains through the distributions AIS uses
(core.rbm.likelihood.log_partition_ais),
p_β(v) ∝ exp((1 − β) b_Aᵀv + β bᵀv + Σ_j softplus(β (c_j + W_j v))), with β rising evenly
from near 0 (the data's base rates b_A, no coupling: every pixel on its own) to 1 (the RBM):
a chain then settles into a digit while the landscape is still smooth, instead of into the
nearest valley of the final one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from core.judge.quality import class_coverage
from core.rbm.likelihood import base_rate_biases
from core.sampling import RandomSource, bernoulli

SAMPLERS = {
    "plain": "Plain Gibbs from noise: v ~ P(v | h), h ~ P(h | v) over and over, from pixels "
    "drawn at the data's base rates. Where a chain lands is the valley of F(v) nearest its "
    "start, so a model whose valleys are uneven dreams mostly one or two digits.",
    "annealed": "Annealed from noise (β from 0 to 1): the same chains, but through "
    "flattened versions of the model, from every pixel on its own (β = 0) to the RBM (β = 1), "
    "so each chain picks its digit while the landscape is still smooth.",
}
RECOGNISED_AT = 0.8  # the judge's probability for one digit that counts as recognised


@dataclass(frozen=True)
class DreamVerdict:
    """The reference classifier's view of dreamed images."""

    recognised: float  # the share it gives one digit p ≥ RECOGNISED_AT
    class_shares: np.ndarray  # per digit, the share of all images recognised as that digit
    rejected: float  # the share it calls "not a digit"

    @property
    def unsure(self) -> float:
        """The share it neither recognises nor rejects: its best digit has p < RECOGNISED_AT.
        With the recognised digits and the rejected, the shares add up to 1."""
        return max(0.0, 1.0 - self.recognised - self.rejected)

    def classes_with(self, share: float = 0.05) -> int:
        """How many digits at least ``share`` of all the images are recognised as."""
        return int((self.class_shares >= share).sum())


@torch.no_grad()
def dream(
    rbm,
    n: int = 500,
    steps: int = 1000,
    *,
    annealed: bool = False,
    data: torch.Tensor | np.ndarray | None = None,
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
    up_to: float = 1.0,
) -> np.ndarray:
    """P(v | h) after ``steps`` Gibbs steps of ``n`` chains started from noise at the base
    rates of ``data`` (uniform noise without it), plainly or annealed (see the module) from
    β near 0 to ``up_to`` (1: the RBM itself)."""
    if n < 1 or steps < 1:
        raise ValueError(f"n and steps must be at least 1, got {n} and {steps}.")
    W, b, c = rbm.W, rbm.b, rbm.c
    base = base_rate_biases(data, rbm.n_visible).to(device=W.device, dtype=W.dtype)
    random = RandomSource(seed, W.device)
    v = bernoulli(torch.sigmoid(base).expand(n, rbm.n_visible).contiguous(), random)
    report_every = max(1, steps // 50)
    mean = v
    for step in range(1, steps + 1):
        beta = up_to * step / steps if annealed else 1.0
        h = bernoulli(torch.sigmoid(torch.addmm(c, v, W.t()).mul_(beta)), random)
        visible_input = torch.addmm(b, h, W).mul_(beta)
        if beta < 1.0:
            visible_input.add_(base, alpha=1.0 - beta)
        mean = torch.sigmoid(visible_input)
        v = bernoulli(mean, random)
        if progress is not None and step % report_every == 0:
            progress(step / steps)
    return mean.cpu().numpy()


def judge(classifier, images: np.ndarray) -> DreamVerdict:
    """The reference classifier's verdict on rows of pixels in [0, 1]."""
    probabilities, _ = classifier.predict(images)
    digits = probabilities[:, :10]
    recognised = digits.max(axis=1) >= RECOGNISED_AT
    top = digits.argmax(axis=1)
    shares = np.bincount(top[recognised], minlength=10) / len(images)
    return DreamVerdict(
        recognised=float(recognised.mean()),
        class_shares=shares,
        rejected=class_coverage(probabilities).rejected,
    )
