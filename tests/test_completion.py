"""Pattern completion and what an image activates (core/rbm/completion.py): against exact
sums on a small RBM, clamped pixels that never change, cleaning by the flip model's posterior,
an RBM trained for a moment completing half digits better than leaving them blank, and inputs
that are refused with a sentence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.data.datasets import binarize
from core.judge.classifier import classifier_path, load_classifier
from core.rbm.completion import (
    clean,
    clean_many,
    complete,
    complete_many,
    corrupt,
    free_energies,
    free_energy_rank,
    hidden_activations,
    lower_half,
    right_half,
)
from core.rbm.estimator import BernoulliRBM
from core.rbm.likelihood import all_states
from core.rbm.model import RBM


def small_rbm(n_visible: int = 8, n_hidden: int = 4, scale: float = 1.5) -> RBM:
    rbm = RBM(n_visible, n_hidden, seed=3)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        rbm.W.copy_(torch.randn(n_hidden, n_visible, generator=generator) * scale)
        rbm.b.copy_(torch.randn(n_visible, generator=generator))
        rbm.c.copy_(torch.randn(n_hidden, generator=generator))
    return rbm


def exact_marginals(rbm: RBM, log_weight) -> np.ndarray:
    """P(v_i = 1) under p(v) ∝ exp(-F(v) + log_weight(v)), by summing over every state."""
    states = all_states(0, 2**rbm.n_visible, rbm.n_visible, dtype=torch.float64)
    W, b, c = (t.double() for t in (rbm.W, rbm.b, rbm.c))
    log_p = states @ b + torch.nn.functional.softplus(states @ W.t() + c).sum(dim=1)
    p = torch.softmax(log_p + log_weight(states), dim=0)
    return (p[:, None] * states).sum(dim=0).numpy()


@pytest.fixture(scope="module")
def digits_rbm(digits):
    """An RBM trained for 20 epochs (a fraction of a second) on 1,500 binarized 8×8 digits."""
    images = binarize(digits.images)
    estimator = BernoulliRBM(64, learning_rate=0.05, batch_size=10, n_iter=20, random_state=0)
    return estimator.fit(images[:1500]).rbm_, images, digits.labels


def test_the_masks_mark_half_of_the_image():
    lower, right = lower_half(), right_half()
    assert lower.shape == right.shape == (784,) and lower.dtype == bool
    assert lower.sum() == right.sum() == 392
    assert lower.reshape(28, 28)[14:].all() and not lower.reshape(28, 28)[:14].any()
    assert right.reshape(28, 28)[:, 14:].all() and not right.reshape(28, 28)[:, :14].any()
    assert lower_half((8, 8)).sum() == 32


def test_hidden_activations_and_free_energy_are_the_models_own():
    rbm = small_rbm()
    v = np.array([1, 0, 1, 1, 0, 0, 1, 0], dtype=np.float32)
    expected = torch.sigmoid(rbm.c + rbm.W @ torch.as_tensor(v)).numpy()
    np.testing.assert_allclose(hidden_activations(rbm, v), expected, rtol=1e-6)
    np.testing.assert_allclose(hidden_activations(rbm, v.reshape(2, 4)), expected, rtol=1e-6)
    reference = all_states(0, 256, 8).numpy()
    energies = free_energies(rbm, reference)
    energy, share = free_energy_rank(rbm, v, reference)
    assert energy == pytest.approx(float(rbm.free_energy(torch.as_tensor(v)[None])[0]))
    assert share == pytest.approx(np.mean(energies > energy))
    # the most probable state is more typical than every other; the least, than none (up to
    # itself, whose F alone and in a batch may differ in the last bit)
    best, worst = reference[energies.argmin()], reference[energies.argmax()]
    assert free_energy_rank(rbm, best, reference)[1] >= 255 / 256
    assert free_energy_rank(rbm, worst, reference)[1] <= 1 / 256


def test_clamped_pixels_never_change():
    rbm = small_rbm(16, 6)
    v = (np.arange(16) % 3 == 0).astype(np.float32)
    unknown = np.arange(16) >= 9
    result = complete(rbm, v, unknown, steps=40, seed=1, frames=9)
    assert [step for step, _ in result.frames] == [0, 5, 10, 15, 20, 25, 30, 35, 40]
    for _, picture in result.frames:
        np.testing.assert_array_equal(picture[~unknown], v[~unknown])
    np.testing.assert_array_equal(result.mean[~unknown], v[~unknown])
    np.testing.assert_array_equal(result.sample[~unknown], v[~unknown])
    assert set(np.unique(result.sample[unknown])) <= {0.0, 1.0}
    assert 0 <= result.mean.min() and result.mean.max() <= 1
    np.testing.assert_array_equal(result.unknown, unknown)
    # grey pixels are clamped as given too, and rows at once keep theirs
    grey = np.linspace(0, 1, 16, dtype=np.float32)
    np.testing.assert_array_equal(complete(rbm, grey, unknown).mean[~unknown], grey[~unknown])
    rows = np.tile(grey, (5, 1))
    mean, sample = complete_many(rbm, rows, unknown, steps=7, chains=3)
    np.testing.assert_array_equal(mean[:, ~unknown], rows[:, ~unknown])
    np.testing.assert_array_equal(sample[:, ~unknown], rows[:, ~unknown])


def test_a_completion_samples_the_models_own_conditional():
    rbm = small_rbm()
    v = np.array([1, 0, 1, 1, 0, 0, 0, 0], dtype=np.float32)
    unknown = np.arange(8) >= 4
    clamp = torch.as_tensor(v[:4], dtype=torch.float64)

    def clamped(states):  # log weight: -inf unless the known pixels match v
        matches = (states[:, :4] == clamp).all(dim=1)
        return torch.where(matches, 0.0, -torch.inf)

    exact = exact_marginals(rbm, clamped)
    # one chain per row (keeping the most probable of several would favour one mode)
    mean, _ = complete_many(rbm, np.tile(v, (3000, 1)), unknown, steps=30, chains=1, seed=2)
    np.testing.assert_allclose(mean.mean(axis=0), exact, atol=0.02)


def test_cleaning_samples_the_flip_models_posterior():
    rbm = small_rbm()
    noisy = np.array([1, 1, 0, 1, 0, 1, 0, 0], dtype=np.float32)
    share = 0.2
    odds = float(np.log((1 - share) / share))
    target = torch.as_tensor(noisy, dtype=torch.float64)

    def flips(states):  # log P(ṽ | v) up to a constant: each agreeing pixel is (1 − share)/share
        return odds * (states == target).double().sum(dim=1)

    exact = exact_marginals(rbm, flips)
    mean, _ = clean_many(rbm, np.tile(noisy, (3000, 1)), steps=30, share=share, chains=1)
    np.testing.assert_allclose(mean.mean(axis=0), exact, atol=0.02)
    # share 0.5: the noisy image says nothing, and the chain samples the RBM itself
    prior, _ = clean_many(rbm, np.tile(noisy, (3000, 1)), steps=30, share=0.5, chains=1)
    np.testing.assert_allclose(prior.mean(axis=0), exact_marginals(rbm, lambda s: 0), atol=0.02)
    result = clean(rbm, noisy, steps=10, seed=3, frames=3)
    assert result.unknown.all() and [s for s, _ in result.frames] == [0, 5, 10]
    np.testing.assert_array_equal(result.frames[0][1], noisy)  # it starts at the noisy image


def test_corrupt_flips_the_share_it_is_given():
    v = (np.arange(784) % 5 == 0).astype(np.float32).reshape(28, 28)
    noisy, flipped = corrupt(v, 0.2, seed=4)
    assert noisy.shape == flipped.shape == (28, 28) and flipped.sum() == round(0.2 * 784)
    np.testing.assert_array_equal(noisy[flipped], 1 - v[flipped])
    np.testing.assert_array_equal(noisy[~flipped], v[~flipped])
    np.testing.assert_array_equal(corrupt(v, 0.2, seed=4)[0], noisy)
    assert not np.array_equal(corrupt(v, 0.2, seed=5)[0], noisy)
    assert corrupt(v, 0.0, 0)[1].sum() == 0 and corrupt(v, 1.0, 0)[1].all()


def test_a_briefly_trained_rbm_completes_half_digits_better_than_blank(digits_rbm):
    rbm, images, labels = digits_rbm
    held_out, truth = images[1500:], labels[1500:]
    judge = load_classifier(classifier_path((8, 8)))

    def right_share(pixels: np.ndarray) -> float:
        probabilities, _ = judge.predict(pixels.astype(np.float32))
        return float((probabilities.argmax(axis=1) == truth).mean())

    for unknown in (lower_half((8, 8)), right_half((8, 8))):
        mean, _ = complete_many(rbm, held_out, unknown, steps=100, seed=0)
        blank = held_out * ~unknown
        wrong = np.abs(mean - held_out)[:, unknown].mean()
        assert wrong < 0.8 * np.abs(blank - held_out)[:, unknown].mean()
        assert right_share(mean) > right_share(blank) + 0.05


def test_completion_draws_from_its_own_generator_only():
    rbm = small_rbm(16, 6)
    v, unknown = np.zeros(16, dtype=np.float32), np.arange(16) < 8
    torch.manual_seed(0)
    before = torch.random.get_rng_state()
    first = complete(rbm, v, unknown, steps=20, seed=7)
    clean(rbm, v, steps=5, seed=7)
    assert torch.equal(torch.random.get_rng_state(), before)  # training's numbers untouched
    again = complete(rbm, v, unknown, steps=20, seed=7)
    np.testing.assert_array_equal(first.mean, again.mean)
    other = complete(rbm, v, unknown, steps=20, seed=8)
    assert not np.array_equal(first.mean, other.mean)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda rbm: hidden_activations(rbm, np.zeros(7)), "8 pixels"),
        (lambda rbm: hidden_activations(rbm, np.full(8, np.nan)), "NaN"),
        (lambda rbm: hidden_activations(rbm, np.full(8, 3.0)), "\\[0, 1\\]"),
        (lambda rbm: hidden_activations(rbm, np.array(["a"] * 8)), "numeric"),
        (lambda rbm: free_energy_rank(rbm, np.zeros(8), np.zeros((0, 8))), "rows"),
        (lambda rbm: complete(rbm, np.zeros(8), np.ones(7, bool)), "mark each"),
        (lambda rbm: complete(rbm, np.zeros(8), np.full(8, 2)), "bool mask"),
        (lambda rbm: complete(rbm, np.zeros(8), np.ones(8, bool), steps=0), "steps"),
        (lambda rbm: complete(rbm, np.zeros(8), np.ones(8, bool), steps=10**6), "at most"),
        (lambda rbm: complete(rbm, np.zeros(8), np.ones(8, bool), frames=0), "frames"),
        (lambda rbm: complete(rbm, np.zeros(8), np.ones(8, bool), chains=1000), "at most"),
        (lambda rbm: clean(rbm, np.zeros(8), share=0.7), "share"),
        (lambda rbm: corrupt(np.zeros(8), 1.5, 0), "share"),
        (lambda rbm: corrupt(np.full(8, np.inf), 0.1, 0), "finite"),
    ],
)
def test_bad_inputs_are_refused_with_a_sentence(call, match):
    with pytest.raises(ValueError, match=match):
        call(small_rbm())
