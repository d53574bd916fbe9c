"""What an earlier run keeps to be compared at the same step (core.training.album and the
runs' records): its samples at steps 1, 3, 10, 30, … whatever the picture interval, small;
and in every record the training images the model has been shown, so runs of different batch
sizes or k can share an axis."""

from __future__ import annotations

import numpy as np

from core.gan.trainer import GANConfig
from core.training.album import ALBUM_IMAGES, Album, album_step, as_images, page_at
from core.training.gan_job import GANJob
from core.training.rbm_job import RBMJob, RBMJobSettings
from core.training.runs import TrainingRun
from tests.helpers import wait_for


def test_album_steps_are_two_per_tenfold():
    steps = [s for s in range(-2, 30_001) if album_step(s)]
    assert steps == [1, 3, 10, 30, 100, 300, 1000, 3000, 10_000, 30_000]


def test_an_album_keeps_small_copies_at_its_steps_only():
    album = Album("samples")
    images = np.linspace(0, 1, 64 * 10).reshape(64, 10).astype(np.float32)
    for step in (1, 2, 3, 3, 4):
        album.keep(step, {"samples": images})
    assert [step for step, _ in album.pages] == [1, 3]  # step 3 once
    page = album.pages[0][1]
    assert page.dtype == np.uint8 and page.shape == (ALBUM_IMAGES, 10)
    assert np.abs(as_images(page) - images[:ALBUM_IMAGES]).max() <= 0.5 / 255 + 1e-6
    points = np.random.default_rng(0).uniform(-1, 1, (384, 2))
    plane = Album("fake")
    plane.keep(10, {"fake": points})
    assert plane.pages[0][1].shape == (384, 2)  # the plane's points, all of them, as they are
    assert np.allclose(as_images(plane.pages[0][1]), points, atol=1e-6)
    assert page_at(album.pages, 3)[0] == 3 and page_at(album.pages, 10) is None
    assert not Album(None).due(1)  # a job without an album keeps none


def test_a_run_takes_its_album_at_exactly_those_steps_whatever_its_picture_interval(digits):
    job = RBMJob(digits, RBMJobSettings(hidden_units=8, batch_size=20, epochs=200))
    run = TrainingRun(job, picture_interval=1e9)  # no other pictures after the first
    run.start()
    wait_for(lambda: run.snapshot(history=False).steps >= 32)
    run.close()
    album = run.snapshot().album
    assert [step for step, _ in album] == [1, 3, 10, 30]
    assert all(page.shape == (ALBUM_IMAGES, 64) for _, page in album)
    assert not np.array_equal(album[0][1], album[-1][1])  # the model moved in between
    assert run.snapshot(history=False).album == ()  # only with the history


def test_the_rbm_s_album_is_one_gibbs_step_whatever_the_page_s_slider(digits):
    job = RBMJob(digits, RBMJobSettings(hidden_units=8, batch_size=20))
    job.train_step()
    one = job.pictures()
    job.reconstruction_steps = 10
    ten = job.pictures()
    assert np.array_equal(ten[RBMJob.ALBUM_KEY], one["reconstructions"])
    assert not np.array_equal(ten["reconstructions"], one["reconstructions"])


def test_records_count_the_images_each_model_has_been_shown(digits):
    run = TrainingRun(RBMJob(digits, RBMJobSettings(hidden_units=8, batch_size=20)))
    for _ in range(3):
        run.step()
    assert [r["images"] for r in run.snapshot().history] == [20.0, 40.0, 60.0]
    config = GANConfig(
        n_pixels=64, generator_hidden=(16,), discriminator_hidden=(16,), batch_size=16, k=3
    )
    gan = TrainingRun(GANJob(digits, config), picture_interval=1e9)
    gan.step()  # k = 3: three batches of real images for D
    gan.step(GANJob.train_discriminator_only)  # one more
    gan.step(GANJob.train_generator_only)  # G alone sees no real image
    gan.job.apply(GANConfig(**{**config.__dict__, "batch_size": 8}))
    gan.step()  # three batches of the new size
    assert [r["images"] for r in gan.snapshot().history] == [48.0, 64.0, 64.0, 88.0]
