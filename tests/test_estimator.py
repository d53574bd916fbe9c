"""Our BernoulliRBM as a drop-in replacement for scikit-learn's."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import BernoulliRBM as SklearnRBM
from sklearn.pipeline import Pipeline

from core.data.datasets import binarize, load_dataset
from core.rbm.estimator import BernoulliRBM
from core.rbm.trainer import TrainingDivergedError


@pytest.fixture(scope="module")
def digits():
    dataset = load_dataset("digits")
    return binarize(dataset.images).astype(np.float64), dataset.labels


@pytest.fixture(scope="module")
def fitted_sklearn(digits):
    X, _ = digits
    return SklearnRBM(n_components=32, learning_rate=0.05, n_iter=5, random_state=0).fit(X)


@pytest.mark.parametrize("dtype,tolerance", [("float64", 1e-10), ("float32", 2e-5)])
def test_transform_free_energy_and_score_samples_match_sklearn(
    digits, fitted_sklearn, dtype, tolerance
):
    X, _ = digits
    ours = BernoulliRBM.from_sklearn(fitted_sklearn, dtype=dtype)
    np.testing.assert_allclose(ours.components_, fitted_sklearn.components_, rtol=tolerance)
    np.testing.assert_allclose(
        ours.transform(X), fitted_sklearn.transform(X), rtol=tolerance, atol=tolerance
    )
    np.testing.assert_allclose(
        ours.free_energy(X), fitted_sklearn._free_energy(X), rtol=tolerance, atol=tolerance
    )
    # score_samples flips the same random bit per row (random_state=0) and so agrees exactly.
    theirs = fitted_sklearn.score_samples(X)
    np.testing.assert_allclose(ours.score_samples(X), theirs, rtol=10 * tolerance, atol=1e-3)
    assert np.std(theirs) > 1  # not a constant that would match by accident


def test_score_samples_on_non_binary_input_matches_sklearn(digits, fitted_sklearn):
    X = load_dataset("digits").images.astype(np.float64)  # grey levels in [0, 1]
    ours = BernoulliRBM.from_sklearn(fitted_sklearn, dtype="float64")
    np.testing.assert_allclose(ours.score_samples(X), fitted_sklearn.score_samples(X), rtol=1e-9)


def test_same_constructor_and_attributes_as_sklearn(digits):
    X, _ = digits
    theirs = SklearnRBM().get_params()
    ours = BernoulliRBM().get_params()
    assert set(theirs) <= set(ours)
    assert {name: ours[name] for name in theirs} == theirs
    assert {"k", "persistent", "device"} <= set(ours)

    model = BernoulliRBM(n_components=16, batch_size=20, n_iter=2, random_state=0)
    assert model.fit(X) is model
    assert model.components_.shape == (16, 64)
    assert model.intercept_hidden_.shape == (16,)
    assert model.intercept_visible_.shape == (64,)
    assert model.h_samples_.shape == (20, 16)
    assert set(np.unique(model.h_samples_)) <= {0.0, 1.0}
    assert model.n_features_in_ == 64
    assert model.transform(X).shape == (len(X), 16)
    assert model.fit_transform(X).shape == (len(X), 16)
    assert list(model.get_feature_names_out())[:2] == ["bernoullirbm0", "bernoullirbm1"]
    assert len(model.get_feature_names_out()) == 16
    assert model.partial_fit(X[:30]) is model
    sample = model.gibbs(X[:5])
    assert sample.shape == (5, 64) and sample.dtype == bool  # as scikit-learn's
    assert (sample != X[:5]).any()  # a real sampling step, not the input handed back


def test_initial_weights_equal_sklearns_for_the_same_seed(digits):
    X, _ = digits
    # A negligible learning rate leaves each model at its initial N(0, 0.01) draw.
    ours = BernoulliRBM(n_components=8, learning_rate=1e-12, random_state=42).partial_fit(X[:1])
    theirs = SklearnRBM(n_components=8, learning_rate=1e-12, random_state=42)
    theirs.partial_fit(X[:1])  # scikit-learn's returns None here; ours returns self
    np.testing.assert_allclose(ours.components_, theirs.components_, rtol=1e-5, atol=1e-9)
    assert 0.005 < ours.components_.std() < 0.015


def test_fit_reaches_sklearns_pseudo_likelihood(digits):
    X, _ = digits
    settings = dict(n_components=64, learning_rate=0.05, batch_size=10, n_iter=10)
    ours = np.mean(
        [BernoulliRBM(**settings, random_state=s).fit(X).score_samples(X).mean() for s in range(3)]
    )
    theirs = np.mean(
        [SklearnRBM(**settings, random_state=s).fit(X).score_samples(X).mean() for s in range(3)]
    )
    untrained = BernoulliRBM(**settings, random_state=0).partial_fit(X[:1]).score_samples(X).mean()
    assert ours > untrained + 10
    assert ours >= theirs - 1.0


def test_works_in_a_pipeline_and_grid_search(digits):
    X, y = digits
    pipeline = Pipeline(
        [
            ("rbm", BernoulliRBM(n_components=32, learning_rate=0.1, n_iter=20, random_state=0)),
            ("logistic", LogisticRegression(max_iter=500)),
        ]
    )
    search = GridSearchCV(pipeline, {"rbm__n_components": [16, 32], "rbm__k": [1, 2]}, cv=2)
    search.fit(X[:600], y[:600])
    assert len(search.cv_results_["mean_test_score"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()  # no fit failed
    # The hidden features carry the digit (scikit-learn's RBM scores about 0.8 here too).
    assert search.score(X[600:], y[600:]) > 0.75
    cloned = clone(search.best_estimator_.named_steps["rbm"])
    assert not hasattr(cloned, "rbm_")


def test_sparse_input_fits_like_dense_and_pickling_keeps_training_state(digits):
    X, _ = digits
    settings = dict(n_components=8, n_iter=2, random_state=0)
    sparse_model = BernoulliRBM(**settings).fit(sp.csr_matrix(X))
    dense_model = BernoulliRBM(**settings).fit(X)
    np.testing.assert_array_equal(sparse_model.components_, dense_model.components_)

    restored = pickle.loads(pickle.dumps(dense_model))
    np.testing.assert_array_equal(restored.transform(X), dense_model.transform(X))
    # The persistent chains and random streams survive: both continue identically.
    restored.partial_fit(X[:20])
    dense_model.partial_fit(X[:20])
    np.testing.assert_array_equal(restored.components_, dense_model.components_)
    np.testing.assert_array_equal(restored.h_samples_, dense_model.h_samples_)


def test_odd_but_valid_inputs(digits):
    X, _ = digits
    X32 = X.astype(np.float32)
    model = BernoulliRBM(n_components=8, n_iter=1, batch_size=5000, random_state=0)
    model.fit(X32[::-1])  # negative strides; batch larger than the data
    read_only = X32.copy()
    read_only.flags.writeable = False
    np.testing.assert_allclose(model.transform(read_only[::-1]), model.transform(X32[::-1]))
    # A scaler's rounding just above 1 is accepted for training and clipped.
    model.partial_fit(np.minimum(X + 1e-12, 1 + 2e-16))
    # transform accepts any finite values, as scikit-learn's does.
    assert np.isfinite(model.transform(X * 3 - 1)).all()


def test_set_params_after_fit_takes_effect(digits):
    X, _ = digits
    model = BernoulliRBM(n_components=8, n_iter=1, batch_size=10, random_state=0).fit(X)
    model.set_params(dtype="float64", batch_size=25)
    model.partial_fit(X[:50])
    assert model.components_.dtype == np.float64
    assert model.transform(X).dtype == np.float64
    assert model.h_samples_.shape == (25, 8)
    assert model.free_energy(X).shape == (len(X),)


def test_cd_mode_trains(digits):
    X, _ = digits
    untrained = BernoulliRBM(n_components=32, learning_rate=1e-12, random_state=0).partial_fit(X)
    model = BernoulliRBM(n_components=32, persistent=False, k=2, n_iter=5, random_state=0)
    assert model.fit(X).score_samples(X).mean() > untrained.score_samples(X).mean() + 10


def test_feature_names_out_needs_a_fit():
    with pytest.raises(NotFittedError):
        BernoulliRBM(n_components=3).get_feature_names_out()


@pytest.mark.parametrize(
    "X,message",
    [
        (np.zeros((0, 64)), "0 sample"),
        (np.full((3, 64), 2.0), r"\[0, 1\].*from 2.0 to 2.0"),
        (np.full((3, 64), -0.5), r"\[0, 1\]"),
        (np.full((3, 64), np.nan), "NaN"),
        (np.full((3, 64), np.inf), "infinity"),
        (np.zeros(64), "Expected 2D array"),
        ([["a"] * 64], "could not convert"),
    ],
)
def test_bad_training_data_raises_value_error(X, message):
    with pytest.raises(ValueError, match=message):
        BernoulliRBM(n_components=4).fit(X)


@pytest.mark.parametrize(
    "params,message",
    [
        ({"k": 0}, "k must be a positive integer"),
        ({"n_components": 0}, "n_components"),
        ({"batch_size": -5}, "batch_size"),
        ({"n_iter": 0}, "n_iter"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"dtype": "float16"}, "dtype"),
        ({"momentum": 1.5}, "momentum"),
        ({"weight_decay": -1}, "weight_decay"),
        ({"device": "cuda:99" if torch.cuda.is_available() else "cuda"}, "cuda|CUDA"),
    ],
)
def test_bad_parameters_raise_value_error(digits, params, message):
    X, _ = digits
    with pytest.raises(ValueError, match=message):
        BernoulliRBM(**params).fit(X)


def test_wrong_number_of_features_and_unfitted_use(digits):
    X, _ = digits
    with pytest.raises(NotFittedError):
        BernoulliRBM().transform(X)
    model = BernoulliRBM(n_components=4, n_iter=1).fit(X)
    with pytest.raises(ValueError, match="63 features.*expecting 64"):
        model.transform(X[:, :63])
    with pytest.raises(ValueError, match="63 features"):
        model.partial_fit(X[:, :63])


def test_diverging_fit_raises_and_keeps_finite_parameters(digits):
    X, _ = digits
    model = BernoulliRBM(n_components=8, learning_rate=1e37, momentum=0.9, n_iter=50)
    with pytest.raises(TrainingDivergedError, match="last finite"):
        model.fit(X)
    assert np.isfinite(model.components_).all()
    assert np.isfinite(model.intercept_visible_).all()
