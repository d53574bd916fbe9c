"""The GAN's view of one image (core/gan/projection.py): D's verdict with dropout off and its
mode given back, the z search that lowers its distance and finds what G can draw, with z kept
where the noise puts it, the run's networks and random numbers untouched, and inputs refused
with a sentence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.data.datasets import load_dataset, to_tanh_range
from core.gan.config import GANConfig
from core.gan.projection import (
    discriminator_outputs,
    discriminator_verdict,
    frozen_generator,
    nearest_training_distance,
    project,
    project_many,
)
from core.gan.trainer import GANTrainer


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return to_tanh_range(load_dataset("digits").images)


def small_gan(data: np.ndarray, steps: int = 30, **overrides) -> GANTrainer:
    """A GAN on 8×8 digits, trained ``steps`` steps (a fraction of a second)."""
    settings = dict(
        n_pixels=64,
        noise_dim=8,
        generator_hidden=(32, 64),
        discriminator_hidden=(64, 32),
        batch_size=32,
        seed=0,
    )
    settings.update(overrides)
    trainer = GANTrainer(GANConfig(**settings), data)
    for _ in range(steps):
        trainer.step()
    return trainer


def parameters(module: torch.nn.Module) -> list[torch.Tensor]:
    return [tensor.detach().clone() for tensor in module.parameters()]


def test_d_verdict_is_a_probability_with_dropout_off_and_the_mode_given_back(digits):
    trainer = small_gan(digits)
    real = discriminator_outputs(trainer, digits[:200])
    assert real.shape == (200,) and 0 <= real.min() and real.max() <= 1
    assert trainer.discriminator.training  # given back to training's mode
    verdict, share = discriminator_verdict(trainer, digits[300].reshape(8, 8), real)
    assert 0 <= verdict <= 1 and share == pytest.approx(np.mean(real < verdict))
    assert discriminator_verdict(trainer, digits[300], real)[0] == verdict  # no dropout
    trainer.discriminator.eval()
    discriminator_verdict(trainer, digits[300], real)
    assert not trainer.discriminator.training  # a mode it was put in stays too
    # the share says where the verdict sits among the real images' outputs
    assert discriminator_verdict(trainer, digits[300], np.array([0.0, 1.0]))[1] == 0.5


def test_the_z_search_lowers_its_distance_and_finds_what_g_can_draw(digits):
    trainer = small_gan(digits)
    drawable = trainer.generate(torch.rand(1, 8).mul(2).sub(1))[0]  # an image G draws
    seen = []
    found = project(
        trainer, drawable, steps=150, every=25, seed=1, progress=lambda *a: seen.append(a)
    )
    steps = [step for step, _ in found.distances]
    assert steps == [0, 25, 50, 75, 100, 125, 150] and seen == found.distances
    assert found.distance == pytest.approx(found.distances[-1][1], rel=1e-5)
    assert found.distance < 0.1 * found.distances[0][1]
    assert np.abs(found.z).max() <= 1  # uniform noise: z stays in [-1, 1]
    np.testing.assert_allclose(found.image, trainer.generate(found.z[None])[0], atol=1e-5)
    assert found.distance == pytest.approx(np.mean((found.image - drawable) ** 2), abs=1e-6)
    # a real digit: the search lowers its distance too
    digit = project(trainer, digits[400], steps=100, seed=1)
    assert digit.distance < 0.95 * digit.distances[0][1]


def test_the_search_leaves_the_run_alone(digits):
    trainer = small_gan(digits, average_decay=0.9)  # samples come from G's average
    # (the average's BatchNorm statistics are measured afresh for any picture: not compared)
    before = {name: parameters(getattr(trainer, name)) for name in ("generator", "average")}
    statistics = [tensor.clone() for tensor in trainer.generator.buffers()]
    gradients = [p.grad.clone() for p in trainer.generator.parameters()]  # training's last
    torch.manual_seed(0)
    state = torch.random.get_rng_state()
    first = project(trainer, digits[10], steps=20, seed=3)
    assert torch.equal(torch.random.get_rng_state(), state)  # training's numbers untouched
    for name, tensors in before.items():
        after = parameters(getattr(trainer, name))
        assert all(torch.equal(a, b) for a, b in zip(tensors, after, strict=True))
    assert all(map(torch.equal, statistics, trainer.generator.buffers()))
    assert trainer.generator.training
    assert all(
        torch.equal(g, p.grad)
        for g, p in zip(gradients, trainer.generator.parameters(), strict=True)
    )
    again = project(trainer, digits[10], steps=20, seed=3, generator=frozen_generator(trainer))
    np.testing.assert_array_equal(first.z, again.z)  # the seed alone decides


def test_a_gaussian_prior_keeps_z_near_the_origin(digits):
    trainer = small_gan(digits, noise="gaussian")
    target = digits[20]
    free = project(trainer, target, steps=200, prior=0.0, seed=2)
    kept = project(trainer, target, steps=200, prior=2.0, seed=2)
    assert np.linalg.norm(kept.z) < np.linalg.norm(free.z)
    assert kept.distance >= free.distance - 1e-6


def test_many_targets_at_once_match_one_at_a_time(digits):
    trainer = small_gan(digits)
    z, images, distances, _ = project_many(trainer, digits[:3], steps=30, seed=5, starts=4)
    assert z.shape == (3, 8) and images.shape == (3, 64) and distances.shape == (3,)
    alone = project(trainer, digits[0], steps=30, seed=5, starts=4)
    np.testing.assert_allclose(z[0], alone.z, atol=1e-4)
    assert distances[0] == pytest.approx(alone.distance, rel=1e-4)


def test_the_nearest_training_image():
    images = np.random.default_rng(0).uniform(-1, 1, (2500, 64)).astype(np.float32)
    distance, index = nearest_training_distance(images[1234], images)
    assert (distance, index) == (0.0, 1234)
    distance, index = nearest_training_distance(images[7] * 0.9, images)
    assert index == 7 and distance == pytest.approx(np.mean((images[7] * 0.1) ** 2))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda t, d: discriminator_verdict(t, d[0][:60], d[:10, 0]), "64 pixels"),
        (lambda t, d: discriminator_verdict(t, d[:2], np.array([0.5])), "one image"),
        (lambda t, d: discriminator_verdict(t, np.full(64, np.nan), np.array([0.5])), "finite"),
        (lambda t, d: discriminator_verdict(t, d[0] * 3, np.array([0.5])), "\\[-1, 1\\]"),
        (lambda t, d: discriminator_verdict(t, d[0], np.array([])), "real_outputs"),
        (lambda t, d: discriminator_verdict(t, d[0], np.array([1.5])), "real_outputs"),
        (lambda t, d: project(t, d[0], steps=0), "steps"),
        (lambda t, d: project(t, d[0], steps=10**6), "at most"),
        (lambda t, d: project(t, d[0], learning_rate=-1.0), "learning_rate"),
        (lambda t, d: project(t, d[0], prior=float("nan")), "prior"),
        (lambda t, d: project(t, d[0], starts=0), "starts"),
        (lambda t, d: project(t, np.array(["x"] * 64)), "numeric"),
        (lambda t, d: nearest_training_distance(d[0], d[:5, :10]), "rows"),
        (lambda t, d: nearest_training_distance(d[0], np.full((3, 64), np.nan)), "NaN"),
    ],
)
def test_bad_inputs_are_refused_with_a_sentence(digits, call, match):
    with pytest.raises(ValueError, match=match):
        call(small_gan(digits, steps=0), digits)
