"""CD-k and PCD-k for core.rbm.model's RBM: one update from a mini-batch, with its metrics.

The update climbs the CD-k (or, with persistent chains, PCD-k) estimate of the
log-likelihood gradient: <h vᵀ> under the data minus under the chains' samples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from core.data.validation import check_non_negative, check_positive, check_positive_int
from core.rbm.model import RBM
from core.sampling import RandomSource, bernoulli

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


class Stacked:
    """An array of n data rows, then the chains' rows, a view of each part, and the whole
    transposed (views made once: each costs a call)."""

    def __init__(self, rows: torch.Tensor, n: int) -> None:
        self.all, self.data, self.model, self.all_t = rows, rows[:n], rows[n:], rows.t()


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
        self._cache: dict[str, tuple] = {}  # arrays for the current batch size (_kept)
        self.validate_hyperparameters()

    def validate_hyperparameters(self) -> None:
        """Raise ValueError for a learning rate, k, momentum or weight decay out of range."""
        check_positive("learning_rate", self.learning_rate)
        check_positive_int("k", self.k)
        check_non_negative("momentum", self.momentum, upper=1.0)
        check_non_negative("weight_decay", self.weight_decay)

    def __getstate__(self) -> dict:
        """Pickled (with a fitted estimator, say) without the arrays kept for the current batch
        size: they are made again at the next update."""
        state = self.__dict__.copy()
        state["_cache"] = {}
        return state

    def __setstate__(self, state: dict) -> None:
        state.pop("_ones_cache", None)  # a trainer pickled before the arrays were kept by name
        state.setdefault("_cache", {})
        self.__dict__.update(state)

    def _run_chain(
        self, h: torch.Tensor, k: int, Wt: torch.Tensor, out: torch.Tensor
    ) -> torch.Tensor:
        """k steps h → v → h ... ending on v: the last v sampled into ``out``; returns its
        P(v | h). ``Wt`` is W transposed (a view, made once per update)."""
        W, b, c = self.rbm.W, self.rbm.b, self.rbm.c
        for step in range(k):
            v_model_mean = torch.addmm(b, h, W).sigmoid_()  # in place: one batch × D less
            if step < k - 1:
                v_model = bernoulli(v_model_mean, self.random)
                h = bernoulli(torch.addmm(c, v_model, Wt).sigmoid_(), self.random)
            else:
                self.random.bernoulli(v_model_mean, out=out)
        return v_model_mean

    def reset_chains(self) -> None:
        """Forget the persistent chains and the momentum."""
        self.persistent_hidden = None
        self._velocity = None
        self._velocity_bound = 0.0

    @torch.no_grad()
    def step(
        self,
        v: torch.Tensor,
        *,
        compute_metrics: bool = True,
        checked: bool = False,
        rows: torch.Tensor | None = None,
    ) -> StepMetrics | None:
        """One parameter update from the batch ``v``; returns its metrics when asked.

        ``checked=True`` skips input validation (the caller has already validated ``v``).
        With ``rows`` (indices), the batch is those rows of ``v``, gathered straight into the
        update's own array: one copy of the batch fewer than gathering them first.
        """
        rbm = self.rbm
        if not checked:
            self.validate_hyperparameters()
            v = rbm.as_visible(v)
        W, b, c = rbm.W, rbm.b, rbm.c
        Wt = W.t()
        random = self.random
        n = v.shape[0] if rows is None else rows.shape[0]
        k = int(self.k)
        if self.persistent and self.persistent_hidden is None:
            self.persistent_hidden = torch.zeros(
                self.n_persistent_chains, rbm.n_hidden, device=v.device, dtype=v.dtype
            )
        m = self.persistent_hidden.shape[0] if self.persistent else n  # the chains' rows

        # The data's rows and the chains' rows stacked in one array, visible and hidden, so
        # that each term of the update is one product over both (half the calls: at small
        # batches the calls, not the arithmetic, take the time). The chains' samples are
        # drawn straight into their rows, so stacking costs one copy of the batch.
        visible = self._stacked("visible", n, m, rbm.n_visible, v)
        if rows is None:
            visible.data.copy_(v)
        else:
            torch.index_select(v, 0, rows, out=visible.data)
        v, v_model = visible.data, visible.model
        hidden_input = self._stacked("hidden input", n, m, rbm.n_hidden, v)
        # P(h | v): over the hidden input itself where no metric needs that input afterwards
        h = self._stacked("hidden", n, m, rbm.n_hidden, v) if compute_metrics else hidden_input
        if self.persistent:
            # PCD: the chains continue from their last hidden state.
            v_model_mean = self._run_chain(self.persistent_hidden, k, Wt, out=v_model)
            torch.addmm(c, visible.all, Wt, out=hidden_input.all)
            torch.sigmoid(hidden_input.all, out=h.all)
            self.persistent_hidden = bernoulli(h.model, random)
        else:
            # CD: the chains start at the data.
            torch.addmm(c, v, Wt, out=hidden_input.data)
            torch.sigmoid(hidden_input.data, out=h.data)
            v_model_mean = self._run_chain(bernoulli(h.data, random), k, Wt, out=v_model)
            torch.addmm(c, v_model, Wt, out=hidden_input.model)
            torch.sigmoid(hidden_input.model, out=h.model)

        # The batch's metrics describe the model that produced the samples (before the update).
        metrics = None
        if compute_metrics:
            free_energy_data = rbm.free_energy(v, hidden_input.data, checked=True)
            free_energy_model = rbm.free_energy(v_model, hidden_input.model, checked=True)
            flip_index = torch.randint(
                0, rbm.n_visible, (n,), generator=random.torch_generator, device=v.device
            )
            pseudo = rbm.pseudo_log_likelihood(
                v, flip_index, hidden_input=hidden_input.data, checked=True
            )
            if self.persistent or k > 1:
                h_first = bernoulli(h.data, random)
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
        # With the hidden rows scaled by 1/n (data) and −1/m (chains), each sum over the
        # stacked rows is one product: ΔW = lr (hᵀ v − λ W), Δb = lr vᵀ (1/n, −1/m), Δc = lr hᵀ 1.
        rate = float(self.learning_rate)
        decay = float(self.weight_decay)
        row_weights, row_scales = self._row_weights(n, m, v)
        h.all.mul_(row_scales)
        ones = self._ones(n + m, v)
        # A bound kept in plain numbers says whether this update can leave a parameter NaN,
        # inf or beyond FINITE_BOUND in size (where W v may overflow). Where it cannot (any
        # ordinary run: a plain fit checks nothing), the update is made in place; where it
        # can, on copies, kept only if they are measured within the bound, so a diverging
        # run keeps its last finite parameters.
        bound = self._next_bound(rate, decay, (W, b, c))
        trusted = bound < FINITE_BOUND
        new_W, new_b, new_c = (W, b, c) if trusted else (W.clone(), b.clone(), c.clone())
        if self.momentum:
            deltas = (  # (with beta = 0 the first argument is not read)
                torch.addmm(W, h.all_t, visible.all, beta=-rate * decay, alpha=rate),
                torch.addmv(b, visible.all_t, row_weights, beta=0.0, alpha=rate),
                torch.addmv(c, h.all_t, ones, beta=0.0, alpha=rate),
            )
            if self._velocity is None:
                self._velocity = tuple(torch.zeros_like(delta) for delta in deltas)
            for target, velocity, delta in zip(
                (new_W, new_b, new_c), self._velocity, deltas, strict=True
            ):
                target.add_(velocity.mul_(float(self.momentum)).add_(delta))
        else:
            new_W.addmm_(h.all_t, visible.all, beta=1.0 - rate * decay, alpha=rate)
            new_b.addmv_(visible.all_t, row_weights, alpha=rate)
            new_c.addmv_(h.all_t, ones, alpha=rate)
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
        self._bound, self._bound_for = bound, self._versions((W, b, c))
        self.steps_done += 1
        return metrics

    def _kept(self, name: str, key: tuple, make: Callable[[], Any]) -> Any:
        """``make()``, kept from one update to the next while ``key`` (its sizes, say) holds:
        one of each name, so a caller whose batch sizes vary keeps no more than one."""
        kept = self._cache.get(name)
        if kept is None or kept[0] != key:
            kept = self._cache[name] = (key, make())
        return kept[1]

    def _ones(self, n: int, like: torch.Tensor) -> torch.Tensor:
        """A vector of n ones (for a product that sums rows)."""
        return self._kept(
            "ones",
            (n, like.dtype, like.device),
            lambda: torch.ones(n, dtype=like.dtype, device=like.device),
        )

    def _stacked(self, name: str, n: int, m: int, width: int, like: torch.Tensor) -> Stacked:
        """n data rows and m chain rows of ``width`` in one array. It lives within one update,
        but is kept for the next: a new one would be new memory, paged in afresh each time."""
        return self._kept(
            name,
            (n, m, width, like.dtype, like.device),
            lambda: Stacked(torch.empty(n + m, width, dtype=like.dtype, device=like.device), n),
        )

    def _row_weights(self, n: int, m: int, like: torch.Tensor) -> tuple:
        """1/n repeated n times, then −1/m m times (Δb is rate times the stacked rows' vᵀ of
        it), and the same as a column (that scales the hidden rows)."""

        def make() -> tuple:
            weights = torch.full((n + m,), 1 / n, dtype=like.dtype, device=like.device)
            weights[n:] = -1 / m
            return weights, weights.unsqueeze(1)

        return self._kept("row weights", (n, m, like.dtype, like.device), make)

    @staticmethod
    def _versions(parameters: tuple) -> tuple:
        """Which tensors the parameters are and how often each was written in place."""
        W, b, c = parameters
        return (id(W), W._version, id(b), b._version, id(c), c._version)

    def _next_bound(self, rate: float, decay: float, parameters: tuple) -> float:
        """An upper bound on every |parameter| after this update, from one before it.

        Each data and model term of an update (<h vᵀ>, <v>, <h> over a batch in [0, 1]) lies
        in [0, 1], so a step moves a parameter by at most rate (1 + decay |W|), scaled by
        |1 - rate·decay| for W without momentum. The bound before is measured afresh whenever
        the parameters were written by anything but this trainer (a load, a reset)."""
        if self._bound_for != self._versions(parameters):
            self._bound = float(torch.stack([t.abs().max() for t in parameters]).max())
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
