"""A drop-in replacement for scikit-learn's ``BernoulliRBM`` built on :mod:`core.rbm.model`."""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from core.data.validation import check_non_negative, check_positive, check_positive_int
from core.devices import resolve_device
from core.rbm.model import RBM
from core.rbm.trainer import RBMTrainer
from core.sampling import RandomSource, bernoulli

_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_RANGE_TOLERANCE = 1e-6


class BernoulliRBM(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """A drop-in replacement for ``sklearn.neural_network.BernoulliRBM``, trained with torch.

    Same constructor arguments, learned attributes and methods as scikit-learn's, plus
    ``k`` (Gibbs steps per update), ``persistent`` (PCD when True, as scikit-learn always
    does; CD when False), ``momentum``, ``weight_decay``, ``device`` and ``dtype``. With the
    defaults it trains like scikit-learn's: PCD-1 with ``batch_size`` persistent chains.
    """

    def __init__(
        self,
        n_components: int = 256,
        *,
        learning_rate: float = 0.1,
        batch_size: int = 10,
        n_iter: int = 10,
        verbose: int = 0,
        random_state: int | np.random.RandomState | None = None,
        k: int = 1,
        persistent: bool = True,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        device: str = "cpu",
        dtype: str = "float32",
    ) -> None:
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.verbose = verbose
        self.random_state = random_state
        self.k = k
        self.persistent = persistent
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.device = device
        self.dtype = dtype

    # ---- validation --------------------------------------------------------------------

    def _validate_params(self) -> None:
        check_positive_int("n_components", self.n_components)
        check_positive_int("batch_size", self.batch_size)
        check_positive_int("n_iter", self.n_iter)
        check_positive_int("k", self.k)
        check_positive("learning_rate", self.learning_rate)
        check_non_negative("momentum", self.momentum, upper=1.0)
        check_non_negative("weight_decay", self.weight_decay)
        if self.dtype not in _DTYPES:
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}.")
        resolve_device(self.device)

    def _validate_data(self, X, *, reset: bool, training: bool) -> np.ndarray:
        """X as a C-contiguous, writable float array, checked as scikit-learn checks it.

        Training data must also lie in [0, 1] (values within 1e-6 of it are clipped, which
        absorbs the rounding of a MinMaxScaler); like scikit-learn's, ``transform`` and
        ``score_samples`` accept any finite values.
        """
        if training or not hasattr(self, "rbm_"):
            dtype = _np_dtype(self.dtype)
        else:
            dtype = _np_dtype("float64" if self.rbm_.dtype == torch.float64 else "float32")
        try:
            array = validate_data(self, X, accept_sparse="csr", dtype=dtype, reset=reset)
        except TypeError as error:
            raise ValueError(f"X must be numeric: {error}") from None
        if sp.issparse(array):
            array = array.toarray()
        array = np.require(array, dtype=dtype, requirements=["C", "W"])
        if training:
            low, high = float(array.min()), float(array.max())
            if low < -_RANGE_TOLERANCE or high > 1 + _RANGE_TOLERANCE:
                raise ValueError(
                    "X must hold values in [0, 1] (binary pixels or probabilities); "
                    f"found values from {low!r} to {high!r}."
                )
            if low < 0 or high > 1:
                np.clip(array, 0, 1, out=array)
        return array

    def _check_fitted(self) -> RBM:
        if not hasattr(self, "rbm_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )
        return self.rbm_

    # ---- learned attributes, as numpy arrays like scikit-learn's ---------------------------

    @property
    def components_(self) -> np.ndarray:
        """W, shape (n_components, n_features)."""
        return self._check_fitted().W.detach().cpu().numpy()

    @components_.setter
    def components_(self, value: np.ndarray) -> None:
        value = np.asarray(value)
        if value.ndim != 2:
            raise ValueError(f"components_ must be 2-D, got shape {value.shape}.")
        if not hasattr(self, "rbm_") or tuple(self.rbm_.W.shape) != value.shape:
            self._validate_params()
            self.rbm_ = RBM(
                value.shape[1],
                value.shape[0],
                device=resolve_device(self.device),
                dtype=_DTYPES[self.dtype],
            )
            self.n_features_in_ = value.shape[1]
            self._trainer = None
        self.rbm_.W.copy_(torch.as_tensor(value, dtype=self.rbm_.dtype))

    @property
    def intercept_hidden_(self) -> np.ndarray:
        """c, shape (n_components,)."""
        return self._check_fitted().c.detach().cpu().numpy()

    @intercept_hidden_.setter
    def intercept_hidden_(self, value: np.ndarray) -> None:
        self._check_fitted().c.copy_(torch.as_tensor(np.asarray(value), dtype=self.rbm_.dtype))

    @property
    def intercept_visible_(self) -> np.ndarray:
        """b, shape (n_features,)."""
        return self._check_fitted().b.detach().cpu().numpy()

    @intercept_visible_.setter
    def intercept_visible_(self, value: np.ndarray) -> None:
        self._check_fitted().b.copy_(torch.as_tensor(np.asarray(value), dtype=self.rbm_.dtype))

    @property
    def h_samples_(self) -> np.ndarray:
        """The hidden states of the persistent chains, shape (batch_size, n_components)."""
        rbm = self._check_fitted()
        trainer = getattr(self, "_trainer", None)
        if trainer is None or trainer.persistent_hidden is None:
            return np.zeros((int(self.batch_size), rbm.n_hidden), dtype=_np_dtype(self.dtype))
        return trainer.persistent_hidden.detach().cpu().numpy()

    @h_samples_.setter
    def h_samples_(self, value: np.ndarray) -> None:
        rbm = self._check_fitted()
        value = np.asarray(value)
        if value.ndim != 2 or value.shape[1] != rbm.n_hidden:
            raise ValueError(f"h_samples_ must have shape (n_chains, {rbm.n_hidden}).")
        self._prepare(rbm.n_visible)
        self._trainer.n_persistent_chains = value.shape[0]
        self._trainer.persistent_hidden = torch.as_tensor(value, dtype=rbm.dtype).to(rbm.device)

    @property
    def _n_features_out(self) -> int:
        return self._check_fitted().n_hidden

    @classmethod
    def from_sklearn(cls, fitted, **overrides) -> BernoulliRBM:
        """Ours, with the parameters and learned weights of a fitted scikit-learn BernoulliRBM."""
        params = {
            name: getattr(fitted, name)
            for name in (
                "n_components",
                "learning_rate",
                "batch_size",
                "n_iter",
                "verbose",
                "random_state",
            )
        }
        ours = cls(**{**params, **overrides})
        ours.components_ = fitted.components_
        ours.intercept_hidden_ = fitted.intercept_hidden_
        ours.intercept_visible_ = fitted.intercept_visible_
        if hasattr(fitted, "h_samples_"):
            ours.h_samples_ = fitted.h_samples_
        return ours

    # ---- fitting -----------------------------------------------------------------------

    def _prepare(self, n_features: int) -> None:
        """Create the RBM and its trainer the first time, as scikit-learn does."""
        if not hasattr(self, "random_state_"):
            self.random_state_ = check_random_state(self.random_state)
        device = resolve_device(self.device)
        dtype = _DTYPES[self.dtype]
        if hasattr(self, "rbm_") and (self.rbm_.dtype != dtype or self.rbm_.device != device):
            self.rbm_.to(device=device, dtype=dtype)  # set_params changed them after a fit
            self._trainer = None
        if not hasattr(self, "rbm_"):
            self.rbm_ = RBM(
                n_features,
                int(self.n_components),
                weight_scale=0.0,
                device=device,
                dtype=_DTYPES[self.dtype],
            )
            weights = self.random_state_.normal(0, 0.01, (int(self.n_components), n_features))
            self.rbm_.W.copy_(torch.as_tensor(weights, dtype=self.rbm_.dtype))
        if getattr(self, "_trainer", None) is None:
            self._trainer = RBMTrainer(
                self.rbm_,
                learning_rate=self.learning_rate,
                k=self.k,
                persistent=self.persistent,
                momentum=self.momentum,
                weight_decay=self.weight_decay,
                n_persistent_chains=int(self.batch_size),
                seed=int(self.random_state_.randint(0, 2**31 - 1)),
            )
        trainer = self._trainer
        if trainer.n_persistent_chains != int(self.batch_size):
            trainer.n_persistent_chains = int(self.batch_size)
            trainer.persistent_hidden = None
        trainer.learning_rate = self.learning_rate
        trainer.k = self.k
        trainer.persistent = bool(self.persistent)
        trainer.momentum = self.momentum
        trainer.weight_decay = self.weight_decay

    def partial_fit(self, X, y=None) -> BernoulliRBM:
        """One update on the whole of X, as scikit-learn's ``partial_fit`` does."""
        self._validate_params()
        first_pass = not hasattr(self, "rbm_")
        array = self._validate_data(X, reset=first_pass, training=True)
        self._prepare(array.shape[1])
        v = torch.from_numpy(array).to(self.rbm_.device)
        self._trainer.step(v, compute_metrics=False, checked=True)
        return self

    def fit(self, X, y=None) -> BernoulliRBM:
        """Train on X for ``n_iter`` passes of shuffled mini-batches of ``batch_size``."""
        self._validate_params()
        array = self._validate_data(X, reset=True, training=True)
        for name in ("rbm_", "random_state_"):
            if hasattr(self, name):
                delattr(self, name)
        self._trainer = None
        self._prepare(array.shape[1])
        rbm, trainer = self.rbm_, self._trainer
        data = torch.from_numpy(array).to(rbm.device)
        n_samples = data.shape[0]
        batch_size = min(int(self.batch_size), n_samples)
        order_generator = torch.Generator().manual_seed(
            int(self.random_state_.randint(0, 2**31 - 1))
        )
        for iteration in range(1, int(self.n_iter) + 1):
            started = time.perf_counter()
            order = torch.randperm(n_samples, generator=order_generator).to(rbm.device)
            for start in range(0, n_samples, batch_size):
                rows = order[start : start + batch_size]
                trainer.step(data, rows=rows, compute_metrics=False, checked=True)
            if self.verbose:
                score = self.score_samples(array).mean()
                print(
                    f"[{type(self).__name__}] Iteration {iteration}, "
                    f"pseudo-likelihood = {score:.2f}, time = {time.perf_counter() - started:.2f}s"
                )
        return self

    # ---- using a fitted model ---------------------------------------------------------------

    def _visible_tensor(self, X) -> torch.Tensor:
        rbm = self._check_fitted()
        array = self._validate_data(X, reset=False, training=False)
        return torch.from_numpy(array).to(rbm.device)

    def transform(self, X) -> np.ndarray:
        """P(h = 1 | v) for each row of X, shape (n_samples, n_components)."""
        rbm = self._check_fitted()
        v = self._visible_tensor(X)
        with torch.no_grad():
            return torch.sigmoid(rbm.hidden_input(v, checked=True)).cpu().numpy()

    def free_energy(self, X) -> np.ndarray:
        """F(v) for each row of X."""
        rbm = self._check_fitted()
        v = self._visible_tensor(X)
        with torch.no_grad():
            return rbm.free_energy(v, checked=True).cpu().numpy()

    def score_samples(self, X) -> np.ndarray:
        """The pseudo-log-likelihood of each row, flipping the same bits scikit-learn flips."""
        rbm = self._check_fitted()
        v = self._visible_tensor(X)
        rng = check_random_state(self.random_state)
        flip_index = torch.from_numpy(rng.randint(0, v.shape[1], v.shape[0])).to(v.device)
        with torch.no_grad():
            return rbm.pseudo_log_likelihood(v, flip_index, checked=True).cpu().numpy()

    def gibbs(self, v) -> np.ndarray:
        """One Gibbs step: h ~ P(h | v), then v ~ P(v | h); boolean, as scikit-learn's."""
        rbm = self._check_fitted()
        visible = self._visible_tensor(v)
        if not hasattr(self, "random_state_"):
            self.random_state_ = check_random_state(self.random_state)
        source = RandomSource(int(self.random_state_.randint(0, 2**31 - 1)), rbm.device)
        with torch.no_grad():
            h = bernoulli(torch.sigmoid(torch.addmm(rbm.c, visible, rbm.W.t())), source)
            sample = bernoulli(torch.sigmoid(torch.addmm(rbm.b, h, rbm.W)), source)
        return sample.cpu().numpy().astype(bool)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = [self.dtype]
        return tags


def _np_dtype(name: str) -> type:
    return np.float64 if name == "float64" else np.float32
