"""An RBM small enough to see whole: its exact distribution, its exact log-likelihood gradient,
how well CD-k and PCD-k estimate that gradient, and one CD update taken apart.

With D ≤ 16 visible units every visible state can be listed (2**D ≤ 65,536), so

    P(v) = e^{−F(v)} / Z,   Z = Σ_v e^{−F(v)},
    ∂/∂W ⟨log P(v)⟩_data = ⟨P(h=1|v) vᵀ⟩_data − ⟨P(h=1|v) vᵀ⟩_model

are sums, not estimates (the model term over every state of the smaller layer). Everything
here works in float64 on the RBM of core.rbm.model; the estimates come from its own trainer
(core.rbm.trainer).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F_nn

from core.data.tiny import MAX_PIXELS, TinyDataset, state_images
from core.rbm.likelihood import all_states
from core.rbm.model import RBM
from core.rbm.trainer import RBMTrainer
from core.sampling import RandomSource, bernoulli

MAX_HIDDEN = 12


def check_small(rbm: RBM) -> None:
    """Raise ValueError unless the RBM is small enough to enumerate here."""
    if rbm.n_visible > MAX_PIXELS or rbm.n_hidden > MAX_HIDDEN:
        raise ValueError(
            f"An exact view needs at most {MAX_PIXELS} visible and {MAX_HIDDEN} hidden units; "
            f"this RBM has {rbm.n_visible} and {rbm.n_hidden}."
        )


@dataclass(frozen=True)
class ExactDistribution:
    """P(v) of a small RBM over every visible state (indexed by state number)."""

    log_z: float
    free_energy: np.ndarray  # F(v) of every state
    log_p: np.ndarray  # log P(v) = −F(v) − log Z

    def log_likelihood(self, codes: np.ndarray, p_data: np.ndarray) -> float:
        """The average log-likelihood Σ_v p_data(v) log P(v) of a data distribution."""
        return float((p_data * self.log_p[codes]).sum())

    def kl_divergence(self, codes: np.ndarray, p_data: np.ndarray) -> float:
        """KL(data ‖ model) = Σ_v p_data(v) log(p_data(v) / P(v)), in nats."""
        return float((p_data * (np.log(p_data) - self.log_p[codes])).sum())


def exact_distribution(rbm: RBM) -> ExactDistribution:
    """F(v), log Z and log P(v) for every visible state, in float64."""
    check_small(rbm)
    with torch.no_grad():
        W, b, c = rbm.W.double(), rbm.b.double(), rbm.c.double()
        states = all_states(0, 1 << rbm.n_visible, rbm.n_visible)
        free_energy = -(states @ b) - F_nn.softplus(torch.addmm(c, states, W.t())).sum(dim=1)
        log_z = torch.logsumexp(-free_energy, dim=0)
        return ExactDistribution(float(log_z), free_energy.numpy(), (-free_energy - log_z).numpy())


def exact_log_likelihood(rbm: RBM, codes: np.ndarray, p_data: np.ndarray) -> torch.Tensor:
    """Σ_v p_data(v) log P(v) as a differentiable function of W, b, c (for tests and autograd):
    log Z summed over every visible state."""
    states = all_states(0, 1 << rbm.n_visible, rbm.n_visible, rbm.W.dtype)

    def free_energy(v: torch.Tensor) -> torch.Tensor:
        return -(v @ rbm.b) - F_nn.softplus(v @ rbm.W.t() + rbm.c).sum(dim=1)

    data = torch.from_numpy(state_images(codes, rbm.n_visible)).to(rbm.W.dtype)
    weights = torch.as_tensor(p_data, dtype=rbm.W.dtype)
    return -(weights * free_energy(data)).sum() - torch.logsumexp(-free_energy(states), dim=0)


class Gradient(NamedTuple):
    """A gradient (or an update) for W (H × D), b (D) and c (H)."""

    W: torch.Tensor
    b: torch.Tensor
    c: torch.Tensor

    def flat(self) -> torch.Tensor:
        return torch.cat([self.W.reshape(-1), self.b, self.c])

    def cosine(self, other: Gradient) -> float:
        """cos of the angle between the two, as flat vectors (1: the same direction)."""
        a, b = self.flat(), other.flat()
        return float(a @ b / (a.norm() * b.norm()).clamp_min(1e-300))


def data_statistics(rbm: RBM, codes: np.ndarray, p_data: np.ndarray) -> Gradient:
    """The positive phase, exactly: ⟨P(h=1|v) vᵀ⟩, ⟨v⟩ and ⟨P(h=1|v)⟩ under the data."""
    v = torch.from_numpy(state_images(codes, rbm.n_visible)).double()
    weights = torch.as_tensor(p_data, dtype=torch.float64)
    h = torch.sigmoid(torch.addmm(rbm.c.double(), v, rbm.W.double().t()))
    weighted_h = h * weights[:, None]
    return Gradient(weighted_h.t() @ v, weights @ v, weighted_h.sum(dim=0))


def model_statistics(rbm: RBM) -> Gradient:
    """The negative phase, exactly: the same averages under the model's P(v, h), summed over
    every state of the smaller layer."""
    check_small(rbm)
    W, b, c = rbm.W.double(), rbm.b.double(), rbm.c.double()
    if rbm.n_hidden < rbm.n_visible:  # Σ_h P(h) h E[v | h]ᵀ
        h = all_states(0, 1 << rbm.n_hidden, rbm.n_hidden)
        visible_input = torch.addmm(b, h, W)
        log_weight = h @ c + F_nn.softplus(visible_input).sum(dim=1)
        p = torch.softmax(log_weight, dim=0)
        v_mean = torch.sigmoid(visible_input)
        weighted_h = h * p[:, None]
        return Gradient(weighted_h.t() @ v_mean, p @ v_mean, weighted_h.sum(dim=0))
    v = all_states(0, 1 << rbm.n_visible, rbm.n_visible)  # Σ_v P(v) E[h | v] vᵀ
    hidden_input = torch.addmm(c, v, W.t())
    p = torch.softmax(v @ b + F_nn.softplus(hidden_input).sum(dim=1), dim=0)
    weighted_h = torch.sigmoid(hidden_input) * p[:, None]
    return Gradient(weighted_h.t() @ v, p @ v, weighted_h.sum(dim=0))


def exact_gradient(rbm: RBM, codes: np.ndarray, p_data: np.ndarray) -> Gradient:
    """∂/∂(W, b, c) of the average log-likelihood Σ_v p_data(v) log P(v): data − model."""
    with torch.no_grad():
        data, model = data_statistics(rbm, codes, p_data), model_statistics(rbm)
        return Gradient(*(d - m for d, m in zip(data, model, strict=True)))


def estimated_gradient(trainer: RBMTrainer, batch: torch.Tensor) -> Gradient:
    """What ``trainer`` (CD-k or PCD-k, learning rate 1, no momentum or decay) would add to the
    parameters for ``batch``: its estimate of the gradient. The model is left unchanged; a
    PCD trainer's chains move on, as they would in training."""
    rbm = trainer.rbm
    before = [p.detach().clone() for p in (rbm.W, rbm.b, rbm.c)]
    trainer.step(batch, compute_metrics=False)
    after = [p.detach().clone() for p in (rbm.W, rbm.b, rbm.c)]
    with torch.no_grad():
        for parameter, value in zip((rbm.W, rbm.b, rbm.c), before, strict=True):
            parameter.copy_(value)
    return Gradient(*(a - b for a, b in zip(after, before, strict=True)))


@dataclass(frozen=True)
class EstimateQuality:
    """How an estimator's gradient compares with the exact one at one model."""

    name: str
    cosine_single: float  # cos(one batch's estimate, exact), averaged over the batches
    cosine_average: float  # cos(the estimates' average, exact): direction after the noise
    relative_bias: float  # ‖average estimate − exact‖ / ‖exact‖: what averaging can't remove
    relative_spread: float  # one batch's typical ‖estimate − average‖ / ‖exact‖: the noise
    noise_floor: float  # relative_spread / √batches: a bias below this is noise still left


def compare_estimates(
    rbm: RBM,
    data: TinyDataset,
    estimators: list[tuple[str, int, bool]],
    *,
    n_batches: int = 400,
    batch_size: int = 10,
    burn_in: int = 100,
    seed: int = 0,
) -> tuple[Gradient, list[EstimateQuality]]:
    """The exact gradient at ``rbm``, and each estimator's (name, k, persistent) estimates on
    the same ``n_batches`` mini-batches of ``data``, compared with it. PCD's chains first run
    ``burn_in`` batches with the model held still, as they would have followed it in training."""
    codes, p_data = data.distribution()
    exact = exact_gradient(rbm, codes, p_data)
    images = torch.from_numpy(data.images).double()
    picks = np.random.default_rng(seed).integers(0, len(images), (n_batches, batch_size))
    results = []
    for name, k, persistent in estimators:
        model = copy.deepcopy(rbm).double()
        trainer = RBMTrainer(
            model, learning_rate=1.0, k=k, persistent=persistent, n_persistent_chains=100, seed=seed
        )
        for index in range(burn_in if persistent else 0):
            estimated_gradient(trainer, images[picks[index % n_batches]])
        estimates = [estimated_gradient(trainer, images[pick]).flat() for pick in picks]
        stacked = torch.stack(estimates)
        average = stacked.mean(dim=0)
        exact_flat = exact.flat()
        norm = float(exact_flat.norm()) or 1.0
        cosines = (stacked @ exact_flat) / (stacked.norm(dim=1) * norm).clamp_min(1e-300)
        results.append(
            EstimateQuality(
                name,
                float(cosines.mean()),
                float(average @ exact_flat / (average.norm() * norm).clamp_min(1e-300)),
                float((average - exact_flat).norm()) / norm,
                float((stacked - average).norm(dim=1).mean()) / norm,
                float((stacked - average).norm(dim=1).mean()) / norm / n_batches**0.5,
            )
        )
    return exact, results


@dataclass(frozen=True)
class SlowMotionUpdate:
    """One CD-k (or PCD-k) update taken apart, in the seed's four steps (numpy, float64)."""

    v: np.ndarray  # the batch (n × D)
    hidden_probabilities: np.ndarray  # Step 1: P(h=1 | v)
    h: np.ndarray  # Step 1: h ~ P(h | v)
    chain_means: list[np.ndarray]  # Step 2: P(v=1 | h) at each of the k Gibbs steps
    chain_samples: list[np.ndarray]  # Step 2: v̂ at each step; the last is v̂
    model_hidden_probabilities: np.ndarray  # P(h=1 | v̂)
    free_energy_data: np.ndarray  # Step 3: F(v)
    free_energy_model: np.ndarray  # Step 3: F(v̂)
    positive: np.ndarray  # Step 4: ⟨P(h=1|v) vᵀ⟩ over the batch (H × D)
    negative: np.ndarray  # Step 4: ⟨P(h=1|v̂) v̂ᵀ⟩ over the chains
    update: Gradient  # Step 4: α (positive − negative) and the biases' α (⟨v⟩ − ⟨v̂⟩), ...
    learning_rate: float
    persistent: bool
    next_chains: np.ndarray | None = None  # PCD: the chains' h after the update, as drawn
    exact_update: Gradient | None = None  # exact ascent: α × the exact gradient, taken instead

    @property
    def cost(self) -> float:
        """The surrogate cost F(v) − F(v̂), averaged: its gradient is the update's direction."""
        return float(self.free_energy_data.mean() - self.free_energy_model.mean())


def slow_motion_update(
    rbm: RBM,
    batch: torch.Tensor,
    k: int,
    learning_rate: float,
    random: RandomSource,
    chain_start: torch.Tensor | None = None,
) -> SlowMotionUpdate:
    """One update in the seed's steps, with the random draws in the order core.rbm.model's trainer
    makes them (so with the same random source it is the trainer's update, number for
    number). ``chain_start``: PCD's persistent hidden states (else CD: the chain starts at h).
    Nothing is changed: apply ``update`` to take the step."""
    with torch.no_grad():
        W, b, c = rbm.W, rbm.b, rbm.c
        v = rbm.as_visible(batch)
        hidden_input = torch.addmm(c, v, W.t())
        hidden_probabilities = torch.sigmoid(hidden_input)
        h = chain_start if chain_start is not None else bernoulli(hidden_probabilities, random)
        first_h = h
        means, samples = [], []
        for step in range(k):
            mean = torch.sigmoid(torch.addmm(b, h, W))
            v_model = bernoulli(mean, random)
            means.append(mean.numpy().copy())
            samples.append(v_model.numpy().copy())
            if step < k - 1:
                h = bernoulli(torch.sigmoid(torch.addmm(c, v_model, W.t())), random)
        model_input = torch.addmm(c, v_model, W.t())
        model_probabilities = torch.sigmoid(model_input)
        next_chains = None
        if chain_start is not None:  # PCD keeps h ~ P(h | v̂) for the next update
            next_chains = bernoulli(model_probabilities, random).numpy().copy()
        positive = hidden_probabilities.t() @ v / len(v)
        negative = model_probabilities.t() @ v_model / len(v_model)
        update = Gradient(
            learning_rate * (positive - negative),
            learning_rate * (v.mean(dim=0) - v_model.mean(dim=0)),
            learning_rate * (hidden_probabilities.mean(dim=0) - model_probabilities.mean(dim=0)),
        )
        return SlowMotionUpdate(
            v.numpy().copy(),
            hidden_probabilities.numpy().copy(),
            first_h.numpy().copy(),
            means,
            samples,
            model_probabilities.numpy().copy(),
            rbm.free_energy(v, hidden_input, checked=True).numpy().copy(),
            rbm.free_energy(v_model, model_input, checked=True).numpy().copy(),
            positive.numpy().copy(),
            negative.numpy().copy(),
            update,
            float(learning_rate),
            chain_start is not None,
            next_chains,
        )
