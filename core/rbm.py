"""The Bernoulli Restricted Boltzmann Machine, its CD-k / PCD-k trainer and its checkpoints
(scikit-learn's ``BernoulliRBM`` API is in core.estimator, which builds on this module).

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

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F_nn

from core import metrics
from core.checkpoints import MAX_CHECKPOINT_BYTES, all_finite, read_checkpoint, write_checkpoint
from core.sampling import RandomSource, bernoulli
from core.validation import check_non_negative, check_positive, check_positive_int

# Parameters below this in size cannot overflow float32 (3.4e38), even summed over a million
# pixels: while a trainer's bound stays under it, its update needs no finiteness check.
FINITE_BOUND = 1e30


class TrainingDivergedError(FloatingPointError):
    """A training update produced NaN or inf; the model keeps its last finite parameters."""


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

    def log_partition_exact(self, max_units: int = metrics.EXACT_MAX_UNITS) -> float:
        """log Z by summing over every state of the smaller layer (at most 2**max_units)."""
        return metrics.log_partition_exact(self.W, self.b, self.c, max_units=max_units)

    def log_partition_ais(self, **kwargs) -> metrics.AISResult:
        """log Z estimated by annealed importance sampling from a base-rate model.

        Keyword arguments go to :func:`core.metrics.log_partition_ais` (``data`` for the
        base rates, ``n_runs``, ``n_betas``, ``seed``).
        """
        return metrics.log_partition_ais(self.W, self.b, self.c, **kwargs)

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


def load_checkpoint_bytes(data: bytes, max_bytes: int = MAX_CHECKPOINT_BYTES) -> tuple[RBM, dict]:
    """An RBM and its config from checkpoint bytes; ValueError for anything else.

    The file is read with ``weights_only=True`` (no code runs), and must hold finite W, b, c
    of consistent shapes.
    """
    checkpoint = read_checkpoint(data, "rbm", max_bytes)
    try:
        config = dict(checkpoint["config"])
        state = checkpoint["state_dict"]
        rbm = RBM(int(config["n_visible"]), int(config["n_hidden"]), weight_scale=0.0)
        rbm.load_state_dict({name: torch.as_tensor(state[name]).float() for name in "Wbc"})
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"The checkpoint is incomplete or inconsistent: {error}") from None
    if not all_finite(rbm.parameters()):
        raise ValueError("The checkpoint's weights hold NaN or inf.")
    return rbm, config


@dataclass(frozen=True)
class StepMetrics:
    """What one training batch reports (means over the batch)."""

    surrogate_cost: float
    reconstruction_error: float
    pseudo_log_likelihood: float


class RBMTrainer:
    """CD-k or PCD-k training of an :class:`RBM`, with momentum and L2 weight decay.

    The learning rate, momentum, weight decay and k are plain attributes: changing them
    between steps takes effect at the next step. With ``persistent=True`` the negative chains
    carry over from batch to batch (PCD, also called stochastic maximum likelihood) instead of
    restarting at the data (CD).
    """

    def __init__(
        self,
        rbm: RBM,
        *,
        learning_rate: float = 0.1,
        k: int = 1,
        persistent: bool = False,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        n_persistent_chains: int = 100,
        seed: int | None = None,
    ) -> None:
        self.rbm = rbm
        self.learning_rate = learning_rate
        self.k = k
        self.persistent = bool(persistent)
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.n_persistent_chains = check_positive_int("n_persistent_chains", n_persistent_chains)
        self.random = RandomSource(seed, rbm.device)
        self.persistent_hidden: torch.Tensor | None = None
        self.steps_done = 0
        self._velocity: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        self._bound = self._velocity_bound = 0.0  # upper bounds on |W|, |b|, |c| and |velocity|
        self._bound_for: tuple = ()  # the parameters (and their versions) the bound is for
        self.validate_hyperparameters()

    def validate_hyperparameters(self) -> None:
        """Raise ValueError for a learning rate, k, momentum or weight decay out of range."""
        check_positive("learning_rate", self.learning_rate)
        check_positive_int("k", self.k)
        check_non_negative("momentum", self.momentum, upper=1.0)
        check_non_negative("weight_decay", self.weight_decay)

    def _run_chain(self, h: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """k steps h → v → h ... ending on v; returns (P(v | h), sampled v) of the last step."""
        W, b, c = self.rbm.W, self.rbm.b, self.rbm.c
        for step in range(k):
            v_model_mean = torch.addmm(b, h, W).sigmoid_()  # in place: one batch × D less
            v_model = bernoulli(v_model_mean, self.random)
            if step < k - 1:
                h = bernoulli(torch.sigmoid(torch.addmm(c, v_model, W.t())), self.random)
        return v_model_mean, v_model

    def reset_chains(self) -> None:
        """Forget the persistent chains and the momentum."""
        self.persistent_hidden = None
        self._velocity = None
        self._velocity_bound = 0.0

    @torch.no_grad()
    def step(
        self, v: torch.Tensor, *, compute_metrics: bool = True, checked: bool = False
    ) -> StepMetrics | None:
        """One parameter update from the batch ``v``; returns its metrics when asked.

        ``checked=True`` skips input validation (the caller has already validated ``v``).
        """
        rbm = self.rbm
        if not checked:
            self.validate_hyperparameters()
            v = rbm.as_visible(v)
        W, b, c = rbm.W, rbm.b, rbm.c
        random = self.random
        n = v.shape[0]
        k = int(self.k)

        if self.persistent:
            # PCD: the chains continue from their last hidden state. (Two products, not one
            # of the two batches stacked: the stacking copy cost more than the call it saves.)
            if self.persistent_hidden is None:
                self.persistent_hidden = torch.zeros(
                    self.n_persistent_chains, rbm.n_hidden, device=v.device, dtype=v.dtype
                )
            v_model_mean, v_model = self._run_chain(self.persistent_hidden, k)
            hidden_input = torch.addmm(c, v, W.t())
            model_hidden_input = torch.addmm(c, v_model, W.t())
            h_data, h_model = torch.sigmoid(hidden_input), torch.sigmoid(model_hidden_input)
            self.persistent_hidden = bernoulli(h_model, random)
        else:
            # CD: the chains start at the data.
            hidden_input = torch.addmm(c, v, W.t())
            h_data = torch.sigmoid(hidden_input)
            v_model_mean, v_model = self._run_chain(bernoulli(h_data, random), k)
            model_hidden_input = torch.addmm(c, v_model, W.t())
            h_model = torch.sigmoid(model_hidden_input)

        # The batch's metrics describe the model that produced the samples (before the update).
        metrics = None
        if compute_metrics:
            free_energy_data = rbm.free_energy(v, hidden_input, checked=True)
            free_energy_model = rbm.free_energy(v_model, model_hidden_input, checked=True)
            flip_index = torch.randint(
                0, rbm.n_visible, (n,), generator=random.torch_generator, device=v.device
            )
            pseudo = rbm.pseudo_log_likelihood(
                v, flip_index, hidden_input=hidden_input, checked=True
            )
            if self.persistent or k > 1:
                h_first = bernoulli(h_data, random)
                reconstruction = torch.sigmoid(torch.addmm(b, h_first, W))
            else:
                reconstruction = v_model_mean
            metrics = StepMetrics(
                surrogate_cost=float(free_energy_data.mean() - free_energy_model.mean()),
                reconstruction_error=float(((v - reconstruction) ** 2).mean()),
                pseudo_log_likelihood=float(pseudo.mean()),
            )

        # Step along the log-likelihood gradient (= minus the gradient of the surrogate
        # F(v) - F(v̂)), with data and model terms each averaged over their own rows:
        #   ΔW = lr (<h vᵀ>_data - <h vᵀ>_model - λ W),  Δb = lr (<v>_data - <v>_model), ...
        rate = float(self.learning_rate)
        decay = float(self.weight_decay)
        scale_data, scale_model = rate / n, rate / v_model.shape[0]
        if self.momentum:
            delta_W = torch.mm(h_data.t(), v).mul_(scale_data)
            delta_W.addmm_(h_model.t(), v_model, alpha=-scale_model)
            if decay:
                delta_W.add_(W, alpha=-rate * decay)
            deltas = (
                delta_W,
                v.sum(dim=0).mul_(scale_data).sub_(v_model.sum(dim=0), alpha=scale_model),
                h_data.sum(dim=0).mul_(scale_data).sub_(h_model.sum(dim=0), alpha=scale_model),
            )
            if self._velocity is None:
                self._velocity = tuple(torch.zeros_like(delta) for delta in deltas)
            for velocity, delta in zip(self._velocity, deltas, strict=True):
                velocity.mul_(float(self.momentum)).add_(delta)
            new_W = W + self._velocity[0]
            new_b, new_c = b + self._velocity[1], c + self._velocity[2]
        else:
            # The same update with the scaling and the addition fused into the products.
            new_W = torch.addmm(W, h_data.t(), v, beta=1.0 - rate * decay, alpha=scale_data)
            new_W.addmm_(h_model.t(), v_model, alpha=-scale_model)
            ones_data = torch.ones(n, dtype=v.dtype, device=v.device)
            ones_model = torch.ones(v_model.shape[0], dtype=v.dtype, device=v.device)
            new_b = torch.addmv(b, v.t(), ones_data, alpha=scale_data)
            new_b.addmv_(v_model.t(), ones_model, alpha=-scale_model)
            new_c = torch.addmv(c, h_data.t(), ones_data, alpha=scale_data)
            new_c.addmv_(h_model.t(), ones_model, alpha=-scale_model)

        # The new parameters were computed out of place: keep them only if every value is
        # finite and below FINITE_BOUND in size (beyond it, W v may overflow), so that a
        # diverging run keeps its last finite parameters. Measured only when a bound kept in
        # plain numbers cannot rule that out: a plain fit does no check at all.
        bound = self._next_bound(rate, decay)
        if not bound < FINITE_BOUND:
            bound = float(torch.stack([t.abs().max() for t in (new_W, new_b, new_c)]).max())
        if not bound < FINITE_BOUND:
            self.reset_chains()
            raise TrainingDivergedError(
                f"Training diverged at step {self.steps_done + 1}: the update would put NaN, "
                f"inf or values beyond {FINITE_BOUND:g} in the weights (learning rate {rate:g} "
                "may be too high). The model keeps its last finite parameters; lower the "
                "learning rate or reset."
            )
        W.copy_(new_W)
        b.copy_(new_b)
        c.copy_(new_c)
        self._bound, self._bound_for = bound, self._parameters_now()
        self.steps_done += 1
        return metrics

    def _parameters_now(self) -> tuple:
        return tuple((id(t), t._version) for t in (self.rbm.W, self.rbm.b, self.rbm.c))

    def _next_bound(self, rate: float, decay: float) -> float:
        """An upper bound on every |parameter| after this update, from one before it.

        Each data and model term of an update (<h vᵀ>, <v>, <h> over a batch in [0, 1]) lies
        in [0, 1], so a step moves a parameter by at most rate (1 + decay |W|), scaled by
        |1 - rate·decay| for W without momentum. The bound before is measured afresh whenever
        the parameters were written by anything but this trainer (a load, a reset)."""
        if self._bound_for != self._parameters_now():
            rbm = self.rbm
            self._bound = float(torch.stack([t.abs().max() for t in (rbm.W, rbm.b, rbm.c)]).max())
            self._velocity_bound = (
                float(torch.stack([t.abs().max() for t in self._velocity]).max())
                if self._velocity is not None
                else 0.0
            )
        if self.momentum:
            self._velocity_bound = float(self.momentum) * self._velocity_bound + rate * (
                1.0 + decay * self._bound
            )
            return self._bound + self._velocity_bound
        return max(1.0, abs(1.0 - rate * decay)) * self._bound + rate
