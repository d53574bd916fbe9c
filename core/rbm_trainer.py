"""CD-k and PCD-k for core.rbm's RBM: one update from a mini-batch, with its metrics.

The update climbs the CD-k (or, with persistent chains, PCD-k) estimate of the
log-likelihood gradient: <h vᵀ> under the data minus under the chains' samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from core.rbm import RBM
from core.sampling import RandomSource, bernoulli
from core.validation import check_non_negative, check_positive, check_positive_int

# Parameters below this in size cannot overflow float32 (3.4e38), even summed over a million
# pixels: while a trainer's bound stays under it, its update needs no finiteness check.
FINITE_BOUND = 1e30


class TrainingDivergedError(FloatingPointError):
    """A training update produced NaN or inf; the model keeps its last finite parameters."""


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
        self._ones_cache: dict[tuple, torch.Tensor] = {}
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
        # A bound kept in plain numbers says whether this update can leave a parameter NaN,
        # inf or beyond FINITE_BOUND in size (where W v may overflow). Where it cannot (any
        # ordinary run: a plain fit checks nothing), the update is made in place; where it
        # can, on copies, kept only if they are measured within the bound, so a diverging
        # run keeps its last finite parameters.
        bound = self._next_bound(rate, decay)
        trusted = bound < FINITE_BOUND
        new_W, new_b, new_c = (W, b, c) if trusted else (W.clone(), b.clone(), c.clone())
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
            for target, velocity, delta in zip(
                (new_W, new_b, new_c), self._velocity, deltas, strict=True
            ):
                target.add_(velocity.mul_(float(self.momentum)).add_(delta))
        else:
            # The scaling and the addition fused into the products.
            new_W.addmm_(h_data.t(), v, beta=1.0 - rate * decay, alpha=scale_data)
            new_W.addmm_(h_model.t(), v_model, alpha=-scale_model)
            ones_data, ones_model = self._ones(n, v), self._ones(v_model.shape[0], v)
            new_b.addmv_(v.t(), ones_data, alpha=scale_data)
            new_b.addmv_(v_model.t(), ones_model, alpha=-scale_model)
            new_c.addmv_(h_data.t(), ones_data, alpha=scale_data)
            new_c.addmv_(h_model.t(), ones_model, alpha=-scale_model)
        if not trusted:
            bound = float(torch.stack([t.abs().max() for t in (new_W, new_b, new_c)]).max())
            if not bound < FINITE_BOUND:
                self.reset_chains()
                raise TrainingDivergedError(
                    f"Training diverged at step {self.steps_done + 1}: the update would put "
                    f"NaN, inf or values beyond {FINITE_BOUND:g} in the weights (learning rate "
                    f"{rate:g} may be too high). The model keeps its last finite parameters; "
                    "lower the learning rate or reset."
                )
            W.copy_(new_W)
            b.copy_(new_b)
            c.copy_(new_c)
        self._bound, self._bound_for = bound, self._parameters_now()
        self.steps_done += 1
        return metrics

    def _ones(self, n: int, like: torch.Tensor) -> torch.Tensor:
        """A vector of n ones (for a product that sums rows), made once per size."""
        key = (n, like.dtype, like.device)
        if key not in self._ones_cache:
            self._ones_cache[key] = torch.ones(n, dtype=like.dtype, device=like.device)
        return self._ones_cache[key]

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
