"""The Bernoulli Restricted Boltzmann Machine and its checkpoints (its CD-k / PCD-k trainer is
in core.rbm.trainer; scikit-learn's ``BernoulliRBM`` API in core.rbm.estimator, built on both).

Symbols, as on the dashboard: visible units v (D of them), hidden units h (H of them),
weights W (H x D), visible biases b, hidden biases c.

    E(v, h) = -bᵀv - cᵀh - hᵀWv
    F(v)    = -bᵀv - Σ_j log(1 + exp(c_j + W_j v))
    P(h_j = 1 | v) = σ(c_j + W_j v)        P(v_i = 1 | h) = σ(b_i + [Wᵀh]_i)

Training samples h from P(h|v), v̂ from P(v|h) (k steps), and descends the surrogate cost
F(v) - F(v̂), whose gradient is the CD-k (or, with persistent chains, PCD-k) estimate of the
negative log-likelihood gradient.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F_nn

from core.data.checkpoints import (
    MAX_CHECKPOINT_BYTES,
    checked_tensors,
    checkpoint_number,
    describe,
    read_checkpoint,
    write_checkpoint,
)
from core.data.validation import check_positive_int
from core.rbm import likelihood
from core.sampling import RandomSource, bernoulli


class RBM(torch.nn.Module):
    """A Bernoulli-Bernoulli RBM with weights W (H x D), visible biases b and hidden biases c."""

    def __init__(
        self,
        n_visible: int,
        n_hidden: int,
        *,
        weight_scale: float = 0.01,
        seed: int | None = None,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        n_visible = check_positive_int("n_visible", n_visible)
        n_hidden = check_positive_int("n_hidden", n_hidden)
        if weight_scale:
            generator = torch.Generator().manual_seed(seed) if seed is not None else None
            weights = torch.randn(n_hidden, n_visible, generator=generator, dtype=dtype)
            weights = weights.mul_(weight_scale)
        else:
            weights = torch.zeros(n_hidden, n_visible, dtype=dtype)
        self.W = torch.nn.Parameter(weights.to(device), requires_grad=False)
        self.b = torch.nn.Parameter(
            torch.zeros(n_visible, dtype=dtype, device=device), requires_grad=False
        )
        self.c = torch.nn.Parameter(
            torch.zeros(n_hidden, dtype=dtype, device=device), requires_grad=False
        )

    @property
    def n_visible(self) -> int:
        return int(self.W.shape[1])

    @property
    def n_hidden(self) -> int:
        return int(self.W.shape[0])

    @property
    def device(self) -> torch.device:
        return self.W.device

    @property
    def dtype(self) -> torch.dtype:
        return self.W.dtype

    def config(self) -> dict:
        """The small config a checkpoint stores beside the state dict."""
        return {"n_visible": self.n_visible, "n_hidden": self.n_hidden}

    # ---- input checking -------------------------------------------------------------------

    def as_visible(self, v: np.ndarray | torch.Tensor, *, check_range: bool = True) -> torch.Tensor:
        """``v`` as a 2-D tensor on the model's device and dtype, after checking it is valid."""
        tensor = torch.as_tensor(v)
        if tensor.dtype == torch.bool:
            tensor = tensor.to(self.dtype)
        if not (
            tensor.is_floating_point() or tensor.dtype in (torch.uint8, torch.int64, torch.int32)
        ):
            raise ValueError(f"v must be numeric, got dtype {tensor.dtype}.")
        if tensor.ndim == 1:
            tensor = tensor.unsqueeze(0)
        if tensor.ndim != 2:
            raise ValueError(
                f"v must be 2-D (n_samples, {self.n_visible}), got shape {tuple(tensor.shape)}."
            )
        if tensor.shape[0] == 0:
            raise ValueError("v is empty: it needs at least one sample.")
        if tensor.shape[1] != self.n_visible:
            raise ValueError(
                f"v has {tensor.shape[1]} features, but this RBM has "
                f"{self.n_visible} visible units."
            )
        tensor = tensor.to(device=self.device, dtype=self.dtype)
        if check_range:
            low, high = torch.aminmax(tensor)
            if not (torch.isfinite(low) and torch.isfinite(high)):
                raise ValueError("v contains NaN or inf.")
            if low < 0 or high > 1:
                raise ValueError(
                    f"v must hold values in [0, 1] (probabilities or binary pixels); "
                    f"found values from {low.item():.4g} to {high.item():.4g}."
                )
        return tensor

    def as_hidden(self, h: np.ndarray | torch.Tensor) -> torch.Tensor:
        tensor = torch.as_tensor(h)
        if tensor.ndim == 1:
            tensor = tensor.unsqueeze(0)
        if tensor.ndim != 2 or tensor.shape[1] != self.n_hidden:
            raise ValueError(
                f"h must have shape (n_samples, {self.n_hidden}), got {tuple(tensor.shape)}."
            )
        return tensor.to(device=self.device, dtype=self.dtype)

    # ---- the model's quantities -----------------------------------------------------------

    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """E(v, h) = -bᵀv - cᵀh - hᵀWv, one value per row."""
        v = self.as_visible(v)
        h = self.as_hidden(h)
        return -(v @ self.b) - (h @ self.c) - ((h @ self.W) * v).sum(dim=1)

    def hidden_input(self, v: torch.Tensor, *, checked: bool = False) -> torch.Tensor:
        """c + W v for each row: the hidden units' total input (``checked``: v is valid)."""
        v = v if checked else self.as_visible(v)
        return torch.addmm(self.c, v, self.W.t())

    def free_energy(
        self,
        v: torch.Tensor,
        hidden_input: torch.Tensor | None = None,
        *,
        checked: bool = False,
    ) -> torch.Tensor:
        """F(v) = -bᵀv - Σ_j log(1 + exp(c_j + W_j v)) = -log Σ_h exp(-E(v, h)).

        ``hidden_input`` reuses c + W v when the caller has it; ``checked``: v is valid."""
        v = v if checked else self.as_visible(v)
        if hidden_input is None:
            hidden_input = torch.addmm(self.c, v, self.W.t())
        return -(v @ self.b) - F_nn.softplus(hidden_input).sum(dim=1)

    def hidden_probabilities(self, v: torch.Tensor) -> torch.Tensor:
        """P(h_j = 1 | v) = σ(c_j + W_j v)."""
        return torch.sigmoid(torch.addmm(self.c, self.as_visible(v), self.W.t()))

    def visible_probabilities(self, h: torch.Tensor) -> torch.Tensor:
        """P(v_i = 1 | h) = σ(b_i + [Wᵀh]_i)."""
        return torch.sigmoid(torch.addmm(self.b, self.as_hidden(h), self.W))

    def sample_hidden(
        self, v: torch.Tensor, generator: RandomSource | torch.Generator | None = None
    ) -> torch.Tensor:
        """h ~ P(h | v), as 0/1 floats."""
        return bernoulli(self.hidden_probabilities(v), generator)

    def sample_visible(
        self, h: torch.Tensor, generator: RandomSource | torch.Generator | None = None
    ) -> torch.Tensor:
        """v ~ P(v | h), as 0/1 floats."""
        return bernoulli(self.visible_probabilities(h), generator)

    @torch.no_grad()
    def gibbs_chain(
        self,
        v: torch.Tensor,
        k: int = 1,
        *,
        generator: RandomSource | torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run k steps v → h → v of block Gibbs sampling from ``v``.

        Returns ``(samples, probabilities)``, each of shape (k + 1, n, D): ``samples[t]`` is
        the visible state after t steps (``samples[0]`` is ``v``) and ``probabilities[t]`` is
        P(v | h) that state was drawn from (``probabilities[0]`` is ``v``), which makes
        smoother pictures of the same chain.
        """
        k = check_positive_int("k", k)
        v = self.as_visible(v)
        samples = [v]
        probabilities = [v]
        for _ in range(k):
            h = bernoulli(torch.sigmoid(torch.addmm(self.c, v, self.W.t())), generator)
            mean = torch.sigmoid(torch.addmm(self.b, h, self.W))
            v = bernoulli(mean, generator)
            samples.append(v)
            probabilities.append(mean)
        return torch.stack(samples), torch.stack(probabilities)

    def pseudo_log_likelihood(
        self,
        v: torch.Tensor,
        flip_index: torch.Tensor | np.ndarray | None = None,
        generator: RandomSource | torch.Generator | None = None,
        *,
        hidden_input: torch.Tensor | None = None,
        checked: bool = False,
    ) -> torch.Tensor:
        """The one-bit-flip pseudo-log-likelihood D · log σ(F(ṽ) - F(v)) of each row.

        ṽ is v with one feature per row flipped (v_i → 1 - v_i); ``flip_index`` picks which,
        or a random one per row is drawn. This is scikit-learn's ``score_samples``.
        ``hidden_input`` reuses c + W v when the caller has it; ``checked``: v is valid.
        """
        v = v if checked else self.as_visible(v)
        n = v.shape[0]
        if flip_index is None:
            if isinstance(generator, RandomSource):
                generator = generator.torch_generator
            flip_index = torch.randint(
                0, self.n_visible, (n,), generator=generator, device=v.device
            )
        flip_index = torch.as_tensor(flip_index, device=v.device, dtype=torch.long)
        if hidden_input is None:
            hidden_input = torch.addmm(self.c, v, self.W.t())
        rows = torch.arange(n, device=v.device)
        change = 1.0 - 2.0 * v[rows, flip_index]  # +1 where a 0 becomes 1, -1 where a 1 becomes 0
        flipped_input = hidden_input + change.unsqueeze(1) * self.W[:, flip_index].t()
        # F(ṽ) - F(v): the visible-bias term changes by one pixel, the softplus sum by the flip.
        gap = -change * self.b[flip_index] - (
            F_nn.softplus(flipped_input).sum(dim=1) - F_nn.softplus(hidden_input).sum(dim=1)
        )
        return -self.n_visible * F_nn.softplus(-gap)

    def reconstruction_error(
        self, v: torch.Tensor, generator: RandomSource | torch.Generator | None = None
    ) -> torch.Tensor:
        """Mean squared error per row between v and P(v | h), h ~ P(h | v) (one Gibbs step)."""
        v = self.as_visible(v)
        h = bernoulli(torch.sigmoid(torch.addmm(self.c, v, self.W.t())), generator)
        return ((v - torch.sigmoid(torch.addmm(self.b, h, self.W))) ** 2).mean(dim=1)

    # ---- likelihood ------------------------------------------------------------------------

    def log_partition_exact(self, max_units: int = likelihood.EXACT_MAX_UNITS) -> float:
        """log Z by summing over every state of the smaller layer (at most 2**max_units)."""
        return likelihood.log_partition_exact(self.W, self.b, self.c, max_units=max_units)

    def log_partition_ais(self, **kwargs) -> likelihood.AISResult:
        """log Z estimated by annealed importance sampling from a base-rate model.

        Keyword arguments go to :func:`core.rbm.likelihood.log_partition_ais` (``data`` for the
        base rates, ``n_runs``, ``n_betas``, ``seed``).
        """
        return likelihood.log_partition_ais(self.W, self.b, self.c, **kwargs)

    def average_log_likelihood(self, v: torch.Tensor, log_z: float) -> float:
        """The mean of log P(v) = -F(v) - log Z over the rows of v, in nats."""
        with torch.no_grad():
            return float((-self.free_energy(v)).double().mean().item() - log_z)


def checkpoint_dict(rbm: RBM, **extra) -> dict:
    """The RBM as a checkpoint dict: state dict and a small config with ``extra`` in it."""
    state = {name: tensor.detach().cpu() for name, tensor in rbm.state_dict().items()}
    return {"kind": "rbm", "config": {**rbm.config(), **extra}, "state_dict": state}


def checkpoint_bytes(rbm: RBM, **extra) -> bytes:
    """The RBM as a torch file: state dict and a small config (loadable with weights_only)."""
    return write_checkpoint(checkpoint_dict(rbm, **extra))


# the most visible or hidden units a checkpoint may claim (a page passes its own, lower, cap)
MAX_UNITS = 16_384
MAX_CONFIG_TEXT = 1000  # characters in one of a checkpoint's config values


def load_checkpoint_bytes(
    data: bytes,
    max_bytes: int = MAX_CHECKPOINT_BYTES,
    *,
    max_hidden: int = MAX_UNITS,
    max_visible: int = MAX_UNITS,
) -> tuple[RBM, dict]:
    """An RBM and its config from checkpoint bytes; ValueError with a sentence for anything
    else.

    The file is read with ``weights_only=True`` (no code runs). Before anything is built, its
    config must claim at most ``max_hidden`` hidden and ``max_visible`` visible units (a page
    passes its own caps), its W, b, c must be stored tensors of the shapes those sizes give,
    finite, and its other config values plain numbers or short texts.
    """
    checkpoint = read_checkpoint(data, "rbm", max_bytes)
    config = checkpoint.get("config")
    if not isinstance(config, dict):
        raise ValueError(
            f"The checkpoint is incomplete: its config should be a dict, not {describe(config)}."
        )
    n_visible = checkpoint_number(config.get("n_visible"), "n_visible", 1, 1e18, integer=True)
    n_hidden = checkpoint_number(config.get("n_hidden"), "n_hidden", 1, 1e18, integer=True)
    if n_hidden > max_hidden:
        raise ValueError(
            f"The checkpoint has {n_hidden:,} hidden units, above this server's limit of "
            f"{max_hidden:,}."
        )
    if n_visible > max_visible:
        raise ValueError(
            f"The checkpoint has {n_visible:,} visible units, above this server's limit of "
            f"{max_visible:,}."
        )
    shapes = {
        "W": ((n_hidden, n_visible), True),
        "b": ((n_visible,), True),
        "c": ((n_hidden,), True),
    }
    tensors = checked_tensors(checkpoint.get("state_dict"), shapes, "state dict")
    for key, value in config.items():
        if not isinstance(key, str) or len(key) > 100:
            raise ValueError(
                f"The checkpoint's config has a key that is not a name: {describe(key)}."
            )
        if not isinstance(value, str | int | float | bool | type(None)) or (
            isinstance(value, str) and len(value) > MAX_CONFIG_TEXT
        ):
            raise ValueError(
                f"The checkpoint's config {key} is {describe(value)}, not a number or a short text."
            )
    rbm = RBM(n_visible, n_hidden, weight_scale=0.0)
    rbm.load_state_dict(tensors)  # copied into float32, whatever float type the file held
    return rbm, {**config, "n_visible": n_visible, "n_hidden": n_hidden}
