"""Sample-quality metrics: the reference classifiers, coverage, classifier FID, Parzen."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core.data.datasets import from_tanh_range, load_dataset, to_tanh_range, train_validation_split
from core.gan.trainer import GANConfig, GANTrainer
from core.judge.classifier import (
    NOT_A_DIGIT,
    DigitClassifier,
    classifier_path,
    load_classifier,
    not_digits,
)
from core.judge.quality import (
    class_coverage,
    confident_share,
    frechet_distance,
    parzen_estimate,
    parzen_log_likelihood,
    sample_quality,
)


@pytest.fixture(scope="module")
def digits_classifier():
    return load_classifier(classifier_path((8, 8)))


def one_hot_probabilities(classes: list[int], confidence: float = 0.9) -> np.ndarray:
    rows = np.full((len(classes), 10), (1 - confidence) / 9)
    rows[np.arange(len(classes)), classes] = confidence
    return rows


def test_coverage_of_a_collapsed_and_of_a_balanced_generator():
    collapsed = class_coverage(one_hot_probabilities([3] * 50))
    assert collapsed.entropy == 0.0
    assert collapsed.shares[3] == 1.0 and collapsed.shares.sum() == 1.0
    balanced = class_coverage(one_hot_probabilities(list(range(10)) * 5))
    assert balanced.entropy == pytest.approx(math.log(10))
    assert balanced.normalized_entropy == pytest.approx(1.0)
    two = class_coverage(one_hot_probabilities([1, 1, 1, 7]))
    assert two.entropy == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))
    with pytest.raises(ValueError):
        class_coverage(np.zeros((0, 10)))


def test_confident_share_counts_rows_at_or_above_the_threshold():
    probabilities = np.vstack(
        [
            one_hot_probabilities([0, 1], 0.95),
            one_hot_probabilities([2], 0.8),
            one_hot_probabilities([4], 0.5),
        ]
    )
    assert confident_share(probabilities) == 0.75
    assert confident_share(probabilities, threshold=0.9) == 0.5


def test_with_a_not_a_digit_column_rejected_samples_count_as_neither_digit_nor_confident():
    rows = np.zeros((4, 11))
    rows[0, 3] = rows[1, 3] = 0.9  # two confident 3s
    rows[2, 7] = 0.6  # a 7, not confident
    rows[3, NOT_A_DIGIT] = 0.95  # not a digit, however sure
    rows[:, :10] += (1 - rows.sum(axis=1, keepdims=True)) / 10
    coverage = class_coverage(rows)
    assert coverage.rejected == 0.25 and coverage.shares.sum() == pytest.approx(0.75)
    assert len(coverage.shares) == 10 and coverage.shares[3] == 0.5
    taken = np.array([2 / 3, 1 / 3])  # among the three taken for digits
    assert coverage.entropy == pytest.approx(-(taken * np.log(taken)).sum())
    assert confident_share(rows) == 0.5
    all_rejected = np.zeros((5, 11))
    all_rejected[:, NOT_A_DIGIT] = 1.0
    assert class_coverage(all_rejected).entropy == 0.0
    assert confident_share(all_rejected) == 0.0


def test_not_digits_are_six_kinds_of_images_in_range(digits):
    made = not_digits(digits.images, digits.labels, digits.image_shape, 600, seed=3)
    assert made.shape[1] == digits.n_pixels and 500 <= len(made) <= 600  # overlays: 2 classes
    assert made.dtype == np.float32 and made.min() >= 0.0 and made.max() <= 1.0
    again = not_digits(digits.images, digits.labels, digits.image_shape, 600, seed=3)
    assert np.array_equal(made, again)
    # none of them is a copy of a real digit
    distances = ((made[:, None, :] - digits.images[None, :200, :]) ** 2).sum(axis=2)
    assert distances.min() > 0.5


def test_frechet_distance_on_known_inputs():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 6)) @ rng.normal(size=(6, 6))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    shift = np.arange(6.0)
    # Same covariance, moved mean: the distance is the squared shift.
    assert frechet_distance(a, a + shift) == pytest.approx(shift @ shift, rel=1e-6)
    # Scaled by 2: Tr(C + 4C − 2·2C) = Tr(C), plus the moved mean ‖μ‖².
    mean = a.mean(axis=0)
    expected = mean @ mean + np.trace(np.cov(a, rowvar=False))
    assert frechet_distance(a, 2 * a) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError):
        frechet_distance(a, a[:, :5])


def test_parzen_matches_the_formula_written_out():
    rng = np.random.default_rng(1)
    samples, points, sigma = rng.random((7, 3)), rng.random((4, 3)), 0.3
    brute = [
        math.log(
            np.mean(
                [
                    np.exp(-((x - s) ** 2).sum() / (2 * sigma**2)) / (2 * math.pi * sigma**2) ** 1.5
                    for s in samples
                ]
            )
        )
        for x in points
    ]
    np.testing.assert_allclose(parzen_log_likelihood(samples, points, sigma, batch_size=3), brute)
    with pytest.raises(ValueError, match="sigma"):
        parzen_log_likelihood(samples, points, 0.0)


def test_parzen_picks_the_sigma_that_fits_the_validation_set():
    rng = np.random.default_rng(2)
    draw = lambda n: rng.normal(scale=0.2, size=(n, 2))  # noqa: E731
    estimate = parzen_estimate(draw(2000), draw(300), draw(300), sigmas=np.logspace(-3, 1, 9))
    assert estimate.sigma == max(estimate.validation_by_sigma, key=estimate.validation_by_sigma.get)
    assert 0.01 < estimate.sigma < 1  # neither extreme of the grid
    exact = -math.log(2 * math.pi * 0.2**2) - 1  # E[log N(x; 0, 0.04 I)] in 2-D
    assert estimate.mean == pytest.approx(exact, abs=0.3)
    assert 0 < estimate.standard_error < 0.2


@pytest.mark.slow
def test_shipped_classifiers_load_weights_only_and_recognise_real_digits(digits, digits_classifier):
    _, held_out = train_validation_split(digits, 0.2, seed=0)  # the split it was scored on
    probabilities, features = digits_classifier.predict(held_out.images)
    assert (probabilities.argmax(axis=1) == held_out.labels).mean() > 0.95
    assert features.shape == (held_out.n_samples, 128)
    mnist = load_dataset("mnist-5k")
    mnist_classifier = load_classifier(classifier_path((28, 28)))
    probabilities, _ = mnist_classifier.predict(mnist.images[::5])
    assert (probabilities.argmax(axis=1) == mnist.labels[::5]).mean() > 0.97
    # Real digits are recognised confidently and cover every class.
    assert confident_share(probabilities) > 0.9
    assert class_coverage(probabilities).normalized_entropy > 0.99


@pytest.mark.parametrize("shape", [(8, 8), pytest.param((28, 28), marks=pytest.mark.slow)])
def test_the_judge_calls_noise_no_digit_and_real_digits_digits(shape, digits):
    """Both ends of "samples judged digits": noise, blobs and an untrained GAN's samples score
    about 0; real digits about the classifier's accuracy."""
    dataset = digits if shape == (8, 8) else load_dataset("mnist-5k")
    classifier = load_classifier(classifier_path(shape))
    assert classifier.out.out_features == 11
    rng = np.random.default_rng(7)
    noise = rng.random((500, dataset.n_pixels)).astype(np.float32)
    assert confident_share(classifier.predict(noise)[0]) <= 0.02
    assert class_coverage(classifier.predict(noise)[0]).rejected >= 0.95
    # fresh non-digits of a seed it was not trained on
    fresh = not_digits(dataset.images, dataset.labels, shape, 600, seed=99)
    assert confident_share(classifier.predict(fresh)[0]) <= 0.05
    untrained = GANTrainer(
        GANConfig(n_pixels=dataset.n_pixels, seed=5), to_tanh_range(dataset.images)
    )
    at_step_one = classifier.predict(from_tanh_range(untrained.generate(500)))[0]
    assert confident_share(at_step_one) <= 0.05
    if shape == (8, 8):
        _, real = train_validation_split(digits, 0.2, seed=0)  # the fifth it was scored on
    else:
        real = dataset  # (its own training images; the MNIST test set is for the script)
    probabilities = classifier.predict(real.images[:1000])[0]
    accuracy = (probabilities.argmax(axis=1) == real.labels[:1000]).mean()
    assert accuracy > 0.95
    assert abs(confident_share(probabilities) - accuracy) < 0.06
    assert class_coverage(probabilities).rejected < 0.03


def test_a_damaged_classifier_file_is_reported(tmp_path):
    path = tmp_path / "broken.pt"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="Could not load the digit classifier"):
        load_classifier(path)
    with pytest.raises(ValueError, match="No reference classifier"):
        classifier_path((5, 5))
    with pytest.raises(ValueError, match="pixels"):
        DigitClassifier((8, 8))(torch.zeros(2, 63))


@pytest.mark.slow
def test_a_short_gan_run_on_digits_lowers_the_classifier_fid(digits, digits_classifier):
    real_features = digits_classifier.predict(digits.images)[1]
    trainer = GANTrainer(
        GANConfig(n_pixels=64, batch_size=64, seed=0), to_tanh_range(digits.images)
    )
    before = sample_quality(
        digits_classifier, from_tanh_range(trainer.generate(500)), real_features
    )
    for _ in range(150):
        trainer.step()
    after = sample_quality(digits_classifier, from_tanh_range(trainer.generate(500)), real_features)
    assert after.classifier_fid < 0.5 * before.classifier_fid
    assert after.coverage.entropy > before.coverage.entropy
    assert after.confident_share > before.confident_share


@pytest.mark.slow
def test_fid_references_put_real_images_near_0_and_the_pretrained_gan_between():
    from pathlib import Path

    from core.data.checkpoints import read_checkpoint
    from core.judge.fid import fid_references, real_for_fid
    from core.judge.quality import frechet_distance

    mnist = load_dataset("mnist-5k")
    classifier = load_classifier(classifier_path((28, 28)))
    pretrained = Path(__file__).resolve().parents[1] / "assets" / "gan_mnist-5k.pt"
    references = fid_references(classifier, mnist, read_checkpoint(pretrained.read_bytes(), "gan"))
    noise = np.random.default_rng(0).random((500, 784)).astype(np.float32)
    real_features = classifier.predict(real_for_fid(mnist)[0])[1]
    noise_fid = frechet_distance(classifier.predict(noise)[1], real_features)
    assert references["real images"] < references["the pretrained GAN"] < 0.5 * noise_fid
    assert references["real images"] < 0.05 * noise_fid


@pytest.mark.slow
def test_the_real_images_for_fid_hold_every_digit_though_the_file_is_sorted():
    from core.judge.fid import REAL_FOR_FID, real_for_fid

    mnist = load_dataset("mnist-5k")
    assert (np.diff(mnist.labels) >= 0).all()  # the file is sorted by digit
    real, others = real_for_fid(mnist, 500)
    assert len(real) == REAL_FOR_FID and len(others) == 500
    pairs = zip(mnist.images, mnist.labels, strict=True)
    labels = {image.tobytes(): label for image, label in pairs}
    counts = np.bincount([labels[image.tobytes()] for image in real], minlength=10)
    assert counts.min() >= 70  # about 100 of each
    assert not {image.tobytes() for image in real} & {image.tobytes() for image in others}


def test_the_judge_is_left_out_where_the_classes_are_not_digits():
    """On clothes the digit CNN's verdicts would mean nothing: the pages get no judge there
    (and say why), and keep it on both digit datasets."""
    import dataclasses

    from core.data.datasets import FASHION_CLASS_NAMES
    from pages.kit.session import NOT_DIGITS, digit_judge

    digits = load_dataset("digits")
    assert digit_judge(digits) is not None
    clothes = dataclasses.replace(digits, name="fashion-mnist", class_names=FASHION_CLASS_NAMES)
    assert digit_judge(clothes) is None
    assert "digits only" in NOT_DIGITS.format(name=clothes.name)
