"""The RBM and GAN jobs a run trains: live settings, evaluations, views, and shared data."""

from __future__ import annotations

import gc
import sys
import time

import numpy as np
import pytest
import torch

from core.data.datasets import binarize, train_validation_split
from core.gan.trainer import GANConfig
from core.training.gan_job import GANJob
from core.training.rbm_job import RBMJob, RBMJobSettings
from core.training.runs import TrainingRun
from tests.helpers import rbm_run, wait_for


def test_learning_rate_changes_apply_without_a_reset(digits):
    run = rbm_run(digits)
    run.step()
    settings = RBMJobSettings(hidden_units=16, batch_size=20, learning_rate=0.2, k=2)
    run.job.apply(settings)
    run.step()
    assert run.job.trainer.learning_rate == 0.2 and run.job.trainer.k == 2
    assert run.snapshot().steps == 2


def test_gan_job_trains_and_draws_the_fixed_noise_grid(digits):
    config = GANConfig(
        n_pixels=64, generator_hidden=(32, 64), discriminator_hidden=(64, 32), batch_size=32
    )
    run = TrainingRun(GANJob(digits, config), picture_interval=0.0)
    snapshot = run.step()
    grid = snapshot.pictures["fixed_noise"]
    assert grid.shape == (64, 64) and 0 <= grid.min() and grid.max() <= 1
    assert {"discriminator_loss", "generator_loss", "d_real", "d_fake"} <= set(snapshot.latest)
    run.start()
    wait_for(lambda: run.snapshot().steps >= 10)
    run.close()
    assert not np.array_equal(run.snapshot().pictures["fixed_noise"], grid)


def test_gibbs_frames_and_loading_weights(digits):
    job = RBMJob(digits, RBMJobSettings(hidden_units=16, batch_size=20))
    frames = job.gibbs_frames("noise", k=5, n_chains=4)
    assert len(frames) == 6 and frames[0].shape == (4, 64)
    assert set(np.unique(frames[0])) <= {0.0, 1.0}  # the start is binary noise
    sevens = job.gibbs_frames("digit", digit=7, k=1, n_chains=3)
    labels = job.train_labels
    assert any(np.array_equal(sevens[0][0], row) for row in job.train[labels == 7].numpy())
    other = RBMJob(digits, RBMJobSettings(hidden_units=16, batch_size=20, seed=5))
    job.load_weights(other.rbm)
    assert torch.equal(job.rbm.W, other.rbm.W)
    with pytest.raises(ValueError, match="hidden units"):
        job.load_weights(RBMJob(digits, RBMJobSettings(hidden_units=8)).rbm)


def test_analysis_views(digits):
    job = RBMJob(digits, RBMJobSettings(hidden_units=16, batch_size=20))
    per_epoch = len(job.train) // 20
    records = [job.train_step() for _ in range(per_epoch + 1)]
    measured = [i + 1 for i, r in enumerate(records) if r.get("evaluation")]
    assert measured == [1, per_epoch]  # the first step and the end of the first epoch
    for record in (records[0], records[per_epoch - 1]):
        assert np.isfinite([record[k] for k in record]).all()
        assert record["free_energy_gap"] == pytest.approx(
            record["free_energy_validation"] - record["free_energy_train"]
        )
    assert "log_likelihood_train" not in records[0]  # 16 hidden units: no exact log Z each time
    views = job.latent_views()
    assert views["activations"].shape == (64, 16)
    assert views["class_means"].shape == (10, 16) and list(views["classes"]) == list(range(10))
    assert views["projection"].shape == (len(views["labels"]), 2)
    # The first principal direction carries the most variance.
    assert views["projection"][:, 0].var() >= views["projection"][:, 1].var()
    energies = job.free_energy_samples(n=50, gibbs_steps=20)
    assert set(energies) == {"data", "model samples", "noise"}
    # Even a briefly trained model gives data lower free energy than random noise.
    assert energies["data"].mean() < energies["noise"].mean()


def test_your_digit_is_placed_among_the_run_s_own_training_and_validation_images(digits):
    job = RBMJob(digits, RBMJobSettings(hidden_units=16, batch_size=20))
    reference = job.reference_digits(100)
    train, held = reference["training"], reference["validation"]
    assert train.shape == (100, 64) and held.shape == (100, 64)
    assert set(np.unique(np.concatenate([train, held]))) <= {0.0, 1.0}  # as the RBM sees them
    assert np.array_equal(train, job.train[:100].numpy())
    assert np.array_equal(held, job.validation[:100].numpy())
    # the split the run trains on (10% held out by its seed), not the dataset's first images
    train_split, held_split = train_validation_split(digits, 0.1, seed=0)
    assert np.array_equal(train, binarize(train_split.images[:100]))
    assert np.array_equal(held, binarize(held_split.images[:100]))
    assert not np.array_equal(held, binarize(digits.images[:100]))


def test_evaluation_of_a_small_model_has_its_exact_log_likelihood(digits):
    job = RBMJob(digits, RBMJobSettings(hidden_units=8, batch_size=50, learning_rate=0.1))
    for _ in range(60):
        job.train_step()
    record = job.evaluate()
    log_z = job.rbm.log_partition_exact()
    expected = job.rbm.average_log_likelihood(job.validation[:500], log_z)
    assert record["log_likelihood_validation"] == pytest.approx(expected, abs=1e-6)
    assert record["log_likelihood_train"] > -64 * np.log(2)  # better than uniform pixels
    # The AIS estimate the page offers for larger models agrees with the exact value.
    estimate = job.estimate_log_likelihood(n_betas=3000)
    assert estimate["log_z"] == pytest.approx(log_z, abs=0.3)
    assert (
        estimate["ais_log_likelihood_validation_low"] - 0.05
        <= record["log_likelihood_validation"]
        <= estimate["ais_log_likelihood_validation_high"] + 0.05
    )


def test_gan_job_steps_d_only_g_only_quality_and_timeline(digits, monkeypatch):
    import core.training.gan_job
    from core.judge.classifier import classifier_path, load_classifier

    TIMELINE_FRAMES = 8
    monkeypatch.setattr(core.training.gan_job, "TIMELINE_FRAMES", TIMELINE_FRAMES)
    classifier = load_classifier(classifier_path(digits.image_shape))
    small = dict(n_pixels=64, batch_size=32, generator_hidden=(32, 64), discriminator_hidden=(64,))
    config = GANConfig(**small, seed=1)
    job = GANJob(digits, config, classifier=classifier)
    run = TrainingRun(job)
    run.step()
    record = run.snapshot().latest
    assert {"d_real", "d_fake", "generator_grad_norm", "confident_share", "classifier_fid"} <= set(
        record
    )
    assert 0 <= record["coverage_entropy"] <= np.log(10) + 1e-9
    # at its first step the GAN draws no digits: the judge says so (and the bars show it)
    assert record["confident_share"] < 0.1 and record["not_a_digit"] > 0.5
    shares = job.pictures()["class_shares"]
    assert len(shares) == 11 and shares.sum() == pytest.approx(1.0)
    assert shares[10] == pytest.approx(record["not_a_digit"])
    run.step(GANJob.train_discriminator_only)
    assert (job.trainer.discriminator_updates, job.trainer.generator_updates) == (2, 1)
    run.step(GANJob.train_generator_only)
    assert (job.trainer.discriminator_updates, job.trainer.generator_updates) == (2, 2)
    assert "generator_loss" not in run.snapshot().history[1]
    # Rates, k and the loss change live; the fixed noise stays.
    fixed = job.trainer.fixed_noise.clone()
    job.apply(GANConfig(**small, seed=1, k=3))
    run.step()
    assert job.trainer.discriminator_updates == 5 and torch.equal(fixed, job.trainer.fixed_noise)
    with pytest.raises(ValueError):
        job.apply(GANConfig(n_pixels=64, k=0))
    for _ in range(3 * TIMELINE_FRAMES):
        job.trainer.step()
        job.pictures()
    assert TIMELINE_FRAMES // 2 <= len(job.timeline) <= TIMELINE_FRAMES
    steps = [step for step, _ in job.timeline]
    assert steps == sorted(steps) and steps[0] <= 4  # the start of the run is kept
    run.close()


@pytest.mark.slow
def test_runs_on_one_dataset_share_its_prepared_copy(digits):
    """Forty visitors at the default seed hold one binarized (RBM) or rescaled (GAN) copy of
    the dataset between them, not forty; training never writes into it."""
    from core.data.datasets import binarize, to_tanh_range, train_validation_split
    from core.training.rbm_job import _shared

    settings = RBMJobSettings(hidden_units=8, batch_size=20)
    first, second = RBMJob(digits, settings), RBMJob(digits, settings)
    other_seed = RBMJob(digits, RBMJobSettings(hidden_units=8, batch_size=20, seed=3))
    assert first.train is second.train and first.validation is second.validation
    assert other_seed.train is not first.train
    config = GANConfig(n_pixels=64, batch_size=32)
    gan_one, gan_two = GANJob(digits, config), GANJob(digits, config)
    assert gan_one.trainer.data.data_ptr() == gan_two.trainer.data.data_ptr()

    for job in (first, second, gan_one, gan_two):
        for _ in range(20):
            job.train_step()
        job.pictures()
    first.gibbs_frames("digit", digit=3, k=3)
    first.latent_views(n=100)
    first.free_energy_samples(n=50, gibbs_steps=3)
    first.estimate_log_likelihood(n_betas=20)
    train, validation = train_validation_split(digits, 0.1, 0)
    assert torch.equal(first.train, torch.from_numpy(binarize(train.images)))
    assert torch.equal(first.validation, torch.from_numpy(binarize(validation.images)))
    assert torch.equal(gan_one.trainer.data, torch.from_numpy(to_tanh_range(digits.images)))

    del first, second, other_seed, gan_one, gan_two, job
    gc.collect()
    assert not [key for key in _shared.keys() if key[0] == id(digits)]  # gone with the runs


@pytest.mark.slow
def test_a_storm_of_live_changes_never_lands_inside_a_step(digits):
    """A page hands its run live settings at every rerun (TrainingRun.apply, under the run's
    lock): CD↔PCD, k and the rate toggled thousands of times while the worker trains never
    catch a step half-way (PCD's chains read three times in one update)."""
    run = TrainingRun(RBMJob(digits, RBMJobSettings(hidden_units=16, batch_size=20, epochs=200)))
    run.start()
    wait_for(lambda: run.snapshot().steps >= 3)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # the worker and this thread take turns as often as they can
    started, toggle = time.monotonic(), 0
    while time.monotonic() - started < 1.5:
        toggle += 1
        run.apply(
            RBMJobSettings(
                hidden_units=16,
                batch_size=20,
                epochs=200,
                persistent=toggle % 2 == 1,
                k=1 + toggle % 3,
                learning_rate=(0.01, 0.1)[toggle % 2],
            )
        )
    sys.setswitchinterval(switch)
    stepped = run.snapshot().steps
    wait_for(lambda: run.snapshot().steps >= stepped + 5)
    snapshot = run.snapshot()
    run.close()
    assert snapshot.state == "training", snapshot.message
    assert np.isfinite(run.job.rbm.W.numpy()).all()


def test_gan_quality_is_measured_every_250_discriminator_updates_whatever_k(digits):
    """At k = 5 a step is five D updates: quality every 50 steps, so a slow run's FID is a line
    within a lesson's minutes; at k = 1 every 250 steps, as before."""
    from core.judge.classifier import classifier_path, load_classifier

    classifier = load_classifier(classifier_path(digits.image_shape))
    small = dict(n_pixels=64, batch_size=16, generator_hidden=(16,), discriminator_hidden=(16,))
    for k, expected in ((5, [1, 51, 101]), (1, [1])):
        job = GANJob(digits, GANConfig(**small, k=k), classifier=classifier)
        measured = [s for s in range(1, 121) if "classifier_fid" in job.train_step()]
        assert measured == expected, k
