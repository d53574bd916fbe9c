"""The GAN engine: architecture, losses, the k:1 schedule, pictures and bad input."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from core.data.datasets import load_dataset, to_tanh_range
from core.gan.trainer import (
    Discriminator,
    GANConfig,
    GANDivergedError,
    GANTrainer,
    Generator,
    SeededDropout,
    discriminator_loss_value,
    generator_loss_value,
)
from core.sampling import RandomSource


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return to_tanh_range(load_dataset("digits").images)


def snapshot(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def unchanged(before: list[torch.Tensor], module: torch.nn.Module) -> bool:
    return all(torch.equal(a, b) for a, b in zip(before, module.parameters(), strict=True))


def small_config(**overrides) -> GANConfig:
    settings = dict(
        n_pixels=64,
        generator_hidden=(32, 64),
        discriminator_hidden=(64, 32),
        batch_size=32,
        seed=0,
    )
    settings.update(overrides)
    return GANConfig(**settings)


def test_the_seed_architecture_and_output_ranges():
    generator = Generator(100, (128, 256, 512, 1024), 784)
    discriminator = Discriminator(784, (1024, 512, 256), 0.3)
    linear_g = [m for m in generator.modules() if isinstance(m, torch.nn.Linear)]
    linear_d = [m for m in discriminator.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear_g] == [
        (100, 128),
        (128, 256),
        (256, 512),
        (512, 1024),
        (1024, 784),
    ]
    assert [(m.in_features, m.out_features) for m in linear_d] == [
        (784, 1024),
        (1024, 512),
        (512, 256),
        (256, 1),
    ]
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in generator.modules()) == 4
    dropouts = [m for m in discriminator.modules() if isinstance(m, SeededDropout)]
    assert [m.p for m in dropouts] == [0.3, 0.3, 0.3]
    slopes = {
        m.negative_slope for m in discriminator.modules() if isinstance(m, torch.nn.LeakyReLU)
    }
    assert slopes == {0.2}
    z = torch.rand(16, 100) * 2 - 1
    images = generator(z)
    assert images.shape == (16, 784)
    assert images.min() >= -1 and images.max() <= 1
    logits = discriminator(images)
    assert logits.shape == (16,)


def test_seeded_dropout_drops_and_rescales_in_training_only():
    dropout = SeededDropout(0.3)
    dropout.random = RandomSource(seed=0)
    x = torch.ones(400, 500)
    y = dropout(x)
    assert abs((y == 0).float().mean().item() - 0.3) < 0.01
    torch.testing.assert_close(y[y != 0], torch.full_like(y[y != 0], 1 / 0.7))
    assert abs(y.mean().item() - 1.0) < 0.02  # the expectation is kept
    dropout.eval()
    assert torch.equal(dropout(x), x)


def test_losses_match_their_formulas():
    logits = torch.tensor([-3.0, -0.5, 0.0, 2.0])
    d = torch.sigmoid(logits)
    torch.testing.assert_close(generator_loss_value(logits, "proxy"), (-torch.log(d)).mean())
    torch.testing.assert_close(generator_loss_value(logits, "minimax"), torch.log(1 - d).mean())
    real_logits = torch.tensor([1.0, 2.0])
    fake_logits = torch.tensor([-1.0, 0.5])
    expected = 0.5 * (
        -torch.log(torch.sigmoid(real_logits)).mean()
        - torch.log(1 - torch.sigmoid(fake_logits)).mean()
    )
    torch.testing.assert_close(discriminator_loss_value(real_logits, fake_logits), expected)
    # The reason for the proxy: with D(G(z)) ≈ 0 the minimax gradient vanishes.
    confident = torch.tensor([-8.0], requires_grad=True)
    generator_loss_value(confident, "minimax").backward()
    minimax_grad = confident.grad.abs().item()
    confident.grad = None
    generator_loss_value(confident, "proxy").backward()
    assert confident.grad.abs().item() > 1000 * minimax_grad


@pytest.mark.parametrize("k", [1, 3])
def test_k_discriminator_updates_per_generator_update(digits, k):
    trainer = GANTrainer(small_config(k=k), digits)
    d_calls, g_calls = [], []
    original_d, original_g = trainer.optimizer_d.step, trainer.optimizer_g.step
    trainer.optimizer_d.step = lambda *a, **kw: (d_calls.append(1), original_d(*a, **kw))[1]
    trainer.optimizer_g.step = lambda *a, **kw: (g_calls.append(1), original_g(*a, **kw))[1]
    for _ in range(4):
        report = trainer.step()
    assert len(d_calls) == 4 * k and len(g_calls) == 4
    assert trainer.discriminator_updates == 4 * k and trainer.generator_updates == 4
    assert 0 < report.d_real < 1 and 0 < report.d_fake < 1
    assert report.discriminator_grad_norm > 0 and report.generator_grad_norm > 0


def test_d_only_and_g_only_touch_only_their_network(digits):
    trainer = GANTrainer(small_config(), digits)
    g_before, d_before = snapshot(trainer.generator), snapshot(trainer.discriminator)
    trainer.update_discriminator()
    assert unchanged(g_before, trainer.generator)
    assert not unchanged(d_before, trainer.discriminator)
    d_after = snapshot(trainer.discriminator)
    trainer.update_generator()
    assert unchanged(d_after, trainer.discriminator)
    assert not unchanged(g_before, trainer.generator)


def test_learning_rates_and_k_change_without_a_reset(digits):
    trainer = GANTrainer(small_config(), digits)
    trainer.step()
    trainer.config.learning_rate_generator = 1e-3
    trainer.config.k = 2
    trainer.step()
    assert trainer.optimizer_g.param_groups[0]["lr"] == 1e-3
    assert trainer.discriminator_updates == 3


def test_noise_distributions(digits):
    uniform = GANTrainer(small_config(), digits).sample_noise(5000)
    assert uniform.min() >= -1 and uniform.max() <= 1
    assert uniform.mean().abs() < 0.02 and abs(uniform.var().item() - 1 / 3) < 0.02
    gaussian = GANTrainer(small_config(noise="gaussian"), digits).sample_noise(5000)
    assert gaussian.abs().max() > 2.5 and abs(gaussian.std().item() - 1) < 0.03


def test_fixed_noise_fresh_samples_and_interpolation(digits):
    trainer = GANTrainer(small_config(), digits, n_fixed_noise=16)
    first = trainer.fixed_samples()
    np.testing.assert_array_equal(first, trainer.fixed_samples())
    assert first.shape == (16, 64)
    trainer.step()
    assert not np.array_equal(first, trainer.fixed_samples())  # same z, new G
    fresh = trainer.generate(8)
    assert fresh.shape == (8, 64) and np.abs(fresh).max() <= 1
    z0, z1 = trainer.sample_noise(2)
    row = trainer.interpolate(z0, z1, steps=7)
    assert row.shape == (7, 64)
    np.testing.assert_allclose(row[0], trainer.generate(z0[None])[0], atol=1e-6)
    np.testing.assert_allclose(row[-1], trainer.generate(z1[None])[0], atol=1e-6)


def test_same_seed_same_run(digits):
    a = GANTrainer(small_config(seed=5), digits)
    b = GANTrainer(small_config(seed=5), digits)
    report_a, report_b = a.step(), b.step()
    assert report_a == report_b
    np.testing.assert_array_equal(a.fixed_samples(), b.fixed_samples())


def test_checkpoint_round_trip_and_rejection(digits, tmp_path):
    trainer = GANTrainer(small_config(), digits)
    trainer.step()
    buffer = io.BytesIO()
    torch.save(trainer.checkpoint(), buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)
    other = GANTrainer(small_config(seed=9), digits)
    other.load_checkpoint(loaded)
    np.testing.assert_allclose(
        other.generate(trainer.fixed_noise), trainer.fixed_samples(), atol=1e-6
    )
    wrong_shape = GANTrainer(small_config(generator_hidden=(16, 16)), digits)
    before = snapshot(wrong_shape.generator)
    with pytest.raises(ValueError, match="does not match"):
        wrong_shape.load_checkpoint(loaded)
    assert unchanged(before, wrong_shape.generator)
    with pytest.raises(ValueError, match="not a GAN checkpoint"):
        wrong_shape.load_checkpoint({"W": torch.zeros(2)})


def test_the_average_of_g_follows_its_formula(digits):
    decay = 0.9
    trainer = GANTrainer(small_config(average_decay=decay), digits)
    expected = snapshot(trainer.generator)  # the average starts from G as initialised
    for _ in range(5):
        trainer.step()
        expected = [
            decay * a + (1 - decay) * w
            for a, w in zip(expected, snapshot(trainer.generator), strict=True)
        ]
    for want, got in zip(expected, trainer.average.parameters(), strict=True):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    assert not unchanged(snapshot(trainer.generator), trainer.average)  # not G itself


def test_samples_come_from_the_average_with_its_own_statistics(digits):
    trainer = GANTrainer(small_config(average_decay=0.9), digits)
    for _ in range(5):
        trainer.step()
    z = trainer.sample_noise(16)
    samples = trainer.generate(z)
    # BatchNorm statistics measured for the average's weights, on 512 draws of the
    # trainer's fixed statistics stream: the first layer's running mean is their mean.
    stream = torch.Generator().manual_seed(GANTrainer.AVERAGE_STATISTICS_SEED)
    draws = trainer.sample_noise(GANTrainer.AVERAGE_STATISTICS_SAMPLES, stream)
    first_linear, first_norm = trainer.average.net[0], trainer.average.net[1]
    with torch.no_grad():
        torch.testing.assert_close(first_norm.running_mean, first_linear(draws).mean(0))
        np.testing.assert_allclose(samples, trainer.average(z).numpy(), atol=1e-6)
    trainer.generator.eval()
    with torch.no_grad():
        from_g = trainer.generator(z).numpy()
    assert np.abs(samples - from_g).max() > 1e-3
    # Sampling draws nothing from the run's own stream: training goes on as without it.
    twin = GANTrainer(small_config(average_decay=0.9), digits)
    for _ in range(5):
        twin.step()
    twin.sample_noise(16)
    assert trainer.step() == twin.step()


def test_the_average_switches_on_and_off_between_steps(digits):
    trainer = GANTrainer(small_config(), digits)
    trainer.step()
    assert trainer.average is None and trainer.sampler() is trainer.generator
    trainer.config.average_decay = 0.5
    trainer.step()
    assert trainer.average is not None
    started_from = snapshot(trainer.generator)
    trainer.step()
    for a, w, w_new in zip(
        trainer.average.parameters(), started_from, trainer.generator.parameters(), strict=True
    ):
        torch.testing.assert_close(a, 0.5 * w + 0.5 * w_new)
    trainer.config.average_decay = 0.0
    assert trainer.sampler() is trainer.generator
    trainer.step()
    assert trainer.average is None


def test_a_checkpoint_keeps_the_average(digits):
    trainer = GANTrainer(small_config(average_decay=0.9), digits)
    for _ in range(3):
        trainer.step()
    buffer = io.BytesIO()
    torch.save(trainer.checkpoint(), buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)
    assert "average" in loaded
    other = GANTrainer(small_config(average_decay=0.9, seed=4), digits)
    other.load_checkpoint(loaded)
    np.testing.assert_allclose(
        other.generate(trainer.fixed_noise), trainer.fixed_samples(), atol=1e-6
    )
    # A checkpoint from a run without averaging starts the average from its G.
    plain = GANTrainer(small_config(), digits)
    plain.step()
    other.load_checkpoint(plain.checkpoint())
    for a, w in zip(other.average.parameters(), plain.generator.parameters(), strict=True):
        torch.testing.assert_close(a, w)


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"k": 0}, "k must be a positive integer"),
        ({"batch_size": 0}, "batch_size"),
        ({"learning_rate_generator": -1.0}, "learning_rate_generator"),
        ({"learning_rate_discriminator": float("nan")}, "learning_rate_discriminator"),
        ({"generator_hidden": (32, 0)}, "generator_hidden"),
        ({"noise": "laplace"}, "noise"),
        ({"generator_loss": "wasserstein"}, "generator_loss"),
        ({"average_decay": 1.0}, "average_decay"),
        ({"average_decay": -0.5}, "average_decay"),
    ],
)
def test_bad_settings_raise_value_error(digits, overrides, message):
    with pytest.raises(ValueError, match=message):
        GANTrainer(small_config(**overrides), digits)


def test_bad_data_raises_value_error(digits):
    with pytest.raises(ValueError, match=r"shape \(n, 784\)"):
        GANTrainer(GANConfig(), digits)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        GANTrainer(small_config(), digits * 3)
    with pytest.raises(ValueError, match="empty"):
        GANTrainer(small_config(), np.zeros((0, 64), dtype=np.float32))


def test_nan_stops_the_run_and_keeps_finite_weights(digits):
    trainer = GANTrainer(small_config(), digits.copy())  # its data shares the array: poisoned
    trainer.step()
    generator_before = snapshot(trainer.generator)
    discriminator_before = snapshot(trainer.discriminator)
    trainer.data[:] = float("nan")  # poisoned data, as a bad upload could bring
    with pytest.raises(GANDivergedError, match="last finite"):
        trainer.step()
    assert unchanged(generator_before, trainer.generator)
    assert unchanged(discriminator_before, trainer.discriminator)


@pytest.mark.parametrize(
    "setting, value",
    [
        ("learning_rate_generator", "0.1"),  # a number in a string: not one for the optimizer
        ("learning_rate_discriminator", 0.0),
        ("k", 0),
        ("batch_size", True),
        ("dropout", 1.0),
        ("average_decay", True),
        ("betas", (0.5, 1.0)),
        ("generator_hidden", (128, 0)),
        ("noise", "cauchy"),
    ],
)
def test_a_setting_out_of_range_is_refused_by_name(setting, value):
    with pytest.raises(ValueError, match=setting):
        GANConfig(**{setting: value}).validate()
    GANConfig().validate()  # the defaults pass


def test_a_checkpoints_step_count_is_checked_like_its_weights(digits):
    from core.data.checkpoints import write_checkpoint
    from core.gan.trainer import load_checkpoint_bytes

    config = small_config()
    trainer = GANTrainer(config, digits)
    for steps, accepted in ((7000, 7000), (None, 0), ("12", 12)):
        data = write_checkpoint({**trainer.checkpoint(), "steps": steps})
        assert load_checkpoint_bytes(data, config)["steps"] == accepted
    for steps in ("many", float("inf"), -3, 1e12):
        data = write_checkpoint({**trainer.checkpoint(), "steps": steps})
        with pytest.raises(ValueError, match="The checkpoint's steps"):
            load_checkpoint_bytes(data, config)
