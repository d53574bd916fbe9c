"""Likelihoods of an RBM: the exact partition function of a small model, and annealed
importance sampling (AIS) for a large one (Salakhutdinov & Murray, 2008).

The functions take the parameters W (H x D), b (D) and c (H) as tensors, so that they serve
the RBM module and anything else that holds the same parameters.

    log Z = log Σ_v Σ_h exp(-E(v, h)) = log Σ_h exp(cᵀh + Σ_i log(1 + exp(b_i + [Wᵀh]_i)))
    log P(v) = -F(v) - log Z
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F_nn

from core.sampling import RandomSource, bernoulli

EXACT_MAX_UNITS = 20
"""Enumeration sums over 2**units states of the smaller layer: 2**20 takes seconds at 784
visible units; each unit more doubles it."""

_ENUMERATION_ELEMENTS = 1 << 22  # states x other-layer units per chunk: about 32 MB in float64


def all_states(
    start: int, stop: int, n_units: int, dtype: torch.dtype = torch.float64, device="cpu"
) -> torch.Tensor:
    """The binary states numbered start..stop-1, one per row, bit j in column j."""
    numbers = torch.arange(start, stop, device=device, dtype=torch.int64)
    bits = torch.arange(n_units, device=device, dtype=torch.int64)
    return ((numbers.unsqueeze(1) >> bits) & 1).to(dtype)


def log_partition_exact(
    W: torch.Tensor, b: torch.Tensor, c: torch.Tensor, *, max_units: int = EXACT_MAX_UNITS
) -> float:
    """log Z by enumerating every state of the smaller layer, in float64.

    Raises ValueError when the smaller layer has more than ``max_units`` units.
    """
    n_hidden, n_visible = W.shape
    smaller = min(n_hidden, n_visible)
    if smaller > max_units:
        raise ValueError(
            f"Exact log Z would enumerate 2**{smaller} states (the smaller layer has {smaller} "
            f"units); the limit is 2**{max_units}. Use log_partition_ais() for a model this size."
        )
    with torch.no_grad():
        W64, b64, c64 = W.double(), b.double(), c.double()
        if n_hidden <= n_visible:
            enumerated_bias, other_bias, weights = c64, b64, W64  # sum over h
        else:
            enumerated_bias, other_bias, weights = b64, c64, W64.t()  # sum over v
        chunk = max(1, _ENUMERATION_ELEMENTS // max(n_hidden, n_visible))
        totals = []
        for start in range(0, 1 << smaller, chunk):
            stop = min(start + chunk, 1 << smaller)
            states = all_states(start, stop, smaller, torch.float64, W.device)
            log_terms = states @ enumerated_bias + F_nn.softplus(
                torch.addmm(other_bias, states, weights)
            ).sum(dim=1)
            totals.append(torch.logsumexp(log_terms, dim=0))
        return float(torch.logsumexp(torch.stack(totals), dim=0).item())


@dataclass(frozen=True)
class AISResult:
    """An AIS estimate of log Z with the ±3 standard-error interval of Salakhutdinov & Murray.

    ``log_z_low`` is -inf when the interval on Z reaches down to zero (too few runs).
    """

    log_z: float
    log_z_low: float
    log_z_high: float
    log_z_base: float
    n_runs: int
    n_betas: int
    log_weights: np.ndarray


def annealing_schedule(n_betas: int) -> torch.Tensor:
    """Inverse temperatures 0 = β_0 < ... < β_K = 1, denser near 1.

    Salakhutdinov & Murray used 500 even steps up to 0.5, 4,000 up to 0.9 and 10,000 up to
    1 (14,500 in all); this keeps the three stretches' shares for any number of betas.
    """
    if n_betas < 3:
        raise ValueError(f"n_betas must be at least 3, got {n_betas}.")
    if n_betas < 30:  # too few to split into three stretches
        return torch.linspace(0.0, 1.0, n_betas, dtype=torch.float64)
    shares = np.array([500, 4000, 10000], dtype=float)
    counts = np.maximum(1, np.round(shares / shares.sum() * (n_betas - 1)).astype(int))
    counts[-1] = max(1, (n_betas - 1) - counts[:-1].sum())
    pieces = [
        np.linspace(0.0, 0.5, counts[0], endpoint=False),
        np.linspace(0.5, 0.9, counts[1], endpoint=False),
        np.linspace(0.9, 1.0, counts[2] + 1),
    ]
    return torch.as_tensor(np.concatenate(pieces), dtype=torch.float64)


def base_rate_biases(data: torch.Tensor | np.ndarray | None, n_visible: int) -> torch.Tensor:
    """Visible biases of the base-rate model: log-odds of each pixel's smoothed mean in ``data``."""
    if data is None:
        return torch.zeros(n_visible, dtype=torch.float64)
    data = torch.as_tensor(np.asarray(data) if not isinstance(data, torch.Tensor) else data)
    if data.ndim != 2 or data.shape[1] != n_visible:
        raise ValueError(f"data must have shape (n, {n_visible}), got {tuple(data.shape)}.")
    total = data.double().sum(dim=0)
    mean = (total + 1.0) / (data.shape[0] + 2.0)  # Laplace smoothing keeps the log-odds finite
    return torch.log(mean) - torch.log1p(-mean)


def log_partition_ais(
    W: torch.Tensor,
    b: torch.Tensor,
    c: torch.Tensor,
    *,
    data: torch.Tensor | np.ndarray | None = None,
    n_runs: int = 100,
    n_betas: int = 14_500,
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
) -> AISResult:
    """Estimate log Z by annealed importance sampling from a base-rate model A to the RBM B.

    A has visible biases b_A (the base rates of ``data``, or zero) and no coupling to its hidden
    units, so log Z_A = Σ_i log(1 + exp(b_A,i)) + H log 2. The intermediate distributions are

        log p*_β(v) = (1 - β) b_Aᵀv + β bᵀv + Σ_j log(1 + exp(β (c_j + W_j v))),

    each visited by one Gibbs transition that leaves it invariant. The estimate is
    log Z_A + log mean(w) over ``n_runs`` independent runs, with the interval
    log(mean(w) ± 3 std(w) / sqrt(n_runs)). ``progress(fraction)`` is called about a hundred
    times; an exception it raises stops the run (that is how a page cancels it).
    """
    if n_runs < 2:
        raise ValueError(f"n_runs must be at least 2, got {n_runs}.")
    n_hidden, n_visible = W.shape
    betas = annealing_schedule(n_betas)
    device, dtype = W.device, W.dtype
    generator = RandomSource(int(seed), device)
    with torch.no_grad():
        base_bias = base_rate_biases(data, n_visible).to(device=device, dtype=dtype)
        bias_difference = b - base_bias
        log_z_base = float(
            F_nn.softplus(base_bias.double()).sum().item() + n_hidden * math.log(2.0)
        )

        v = bernoulli(torch.sigmoid(base_bias).expand(n_runs, n_visible), generator)
        log_weights = torch.zeros(n_runs, dtype=torch.float64, device=device)
        previous_beta = 0.0
        report_every = max(1, len(betas) // 100)
        for index in range(1, len(betas)):
            beta = float(betas[index])
            hidden_input = torch.addmm(c, v, W.t())
            increment = (beta - previous_beta) * (v @ bias_difference) + (
                F_nn.softplus(beta * hidden_input) - F_nn.softplus(previous_beta * hidden_input)
            ).sum(dim=1)
            log_weights += increment.double()
            if index < len(betas) - 1:
                h = bernoulli(torch.sigmoid(beta * hidden_input), generator)
                visible_input = torch.addmm(base_bias + beta * bias_difference, h, W, alpha=beta)
                v = bernoulli(torch.sigmoid(visible_input), generator)
            previous_beta = beta
            if progress is not None and index % report_every == 0:
                progress(index / (len(betas) - 1))

    log_weights_np = log_weights.cpu().numpy()
    shift = float(log_weights_np.max())
    weights = np.exp(log_weights_np - shift)
    mean = float(weights.mean())
    standard_error = float(weights.std(ddof=1) / math.sqrt(n_runs))
    low = mean - 3.0 * standard_error
    return AISResult(
        log_z=log_z_base + shift + math.log(mean),
        log_z_low=log_z_base + shift + math.log(low) if low > 0 else -math.inf,
        log_z_high=log_z_base + shift + math.log(mean + 3.0 * standard_error),
        log_z_base=log_z_base,
        n_runs=int(n_runs),
        n_betas=len(betas),
        log_weights=log_weights_np,
    )
