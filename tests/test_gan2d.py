"""The GAN on points in the plane: the engine's own trainer, G's arrows against finite
differences, the views' shapes, one step in slow motion, learning the ring, a paced run."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F_nn

from core.gan import GANTrainer
from core.gan2d import FIELD_BINS, SHOWN_POINTS, GAN2DJob, GAN2DSettings
from core.plane_pictures import plane_svg
from core.runs import TrainingRun
from core.slots import SlotPool
from core.toy2d import moons, ring
from tests.helpers import parsed_svg, wait_for


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_the_2d_gan_is_the_engines_gan_with_small_mlps():
    job = GAN2DJob(ring(), GAN2DSettings(generator_depth=3, generator_width=16, noise_dim=1))
    assert isinstance(job.trainer, GANTrainer)
    config = job.trainer.config
    assert (config.n_pixels, config.noise_dim, config.generator_hidden) == (2, 1, (16, 16, 16))
    assert config.dropout == 0.0
    for bad in (dict(noise_dim=3), dict(generator_depth=5), dict(discriminator_width=512)):
        with pytest.raises(ValueError):
            GAN2DSettings(**bad).config()


@pytest.mark.parametrize("loss", ["proxy", "minimax"])
def test_the_arrows_are_minus_the_gradient_of_gs_loss_at_each_point(loss):
    job = GAN2DJob(moons(), GAN2DSettings(generator_loss=loss))
    for _ in range(30):
        job.train_step()
    points = job.trainer.fixed_samples()[:20].astype(np.float64)
    arrows = job.arrows(points)
    discriminator = job.trainer.discriminator.double()
    try:

        def loss_at(x: np.ndarray) -> np.ndarray:  # G's loss for a point placed at x
            logits = discriminator(torch.from_numpy(x)).detach()
            return (F_nn.softplus(-logits) if loss == "proxy" else -F_nn.softplus(logits)).numpy()

        step = 1e-6
        for axis in range(2):
            shift = np.zeros(2)
            shift[axis] = step
            slope = (loss_at(points + shift) - loss_at(points - shift)) / (2 * step)
            assert np.allclose(arrows[:, axis], -slope, atol=1e-4)
    finally:
        discriminator.float()


def test_the_views_have_their_shapes_and_the_plane_draws_them():
    job = GAN2DJob(ring(), GAN2DSettings())
    pictures = job.pictures()
    assert pictures["field"].shape == (FIELD_BINS, FIELD_BINS)
    assert ((pictures["field"] > 0) & (pictures["field"] < 1)).all()
    assert pictures["fake"].shape == pictures["arrows"].shape == (SHOWN_POINTS, 2)
    assert pictures["manifold"].shape == (18, 60, 2)  # 9 lines along each noise axis
    one_d = GAN2DJob(ring(), GAN2DSettings(noise_dim=1, noise="uniform"))
    assert one_d.manifold().shape == (1, 60, 2)
    root, ns = parsed_svg(plane_svg(real=job.real_shown, **pictures))
    assert len(root.findall(f"{ns}image")) == 1  # D's surface
    paths = root.findall(f"{ns}path")
    dots = {p.get("stroke"): p.get("d").count("h0") for p in paths if "h0" in p.get("d")}
    assert sorted(dots.values()) == [SHOWN_POINTS, SHOWN_POINTS]  # real and generated


def test_a_slow_motion_step_shows_each_update_with_its_loss_terms():
    job = GAN2DJob(ring(), GAN2DSettings(k=3))
    record = job.slow_motion_step()
    frames = job.slow_frames
    assert [f.title for f in frames] == [
        "Before the step",
        "D update 1 of 3",
        "D update 2 of 3",
        "D update 3 of 3",
        "G update",
    ]
    for frame in frames[1:4]:  # V = mean log D(x) + mean log(1 − D(G(z))); D's loss is −V/2
        terms = frame.terms
        total = terms["mean log D(x)"] + terms["mean log(1 − D(G(z)))"]
        assert terms["V(D, G) = their sum (D climbs it)"] == pytest.approx(total)
        assert terms["D's loss −V/2"] == pytest.approx(-total / 2, rel=1e-5)
    assert not np.allclose(frames[0].field, frames[1].field)  # D moved
    assert not np.allclose(frames[3].fake, frames[4].fake)  # then G moved
    assert np.allclose(frames[3].fake, frames[0].fake)  # and not before
    g_terms = frames[4].terms
    assert record["generator_loss"] == pytest.approx(g_terms["−log D(G(z)) (proxy, G descends it)"])
    assert job.trainer.generator_updates == 1 and job.trainer.discriminator_updates == 3


def test_the_healthy_ring_covers_all_eight_modes_and_mode_collapse_does_not():
    healthy = GAN2DJob(ring(), GAN2DSettings())
    collapse = GAN2DJob(
        ring(), GAN2DSettings(learning_rate_generator=1e-2, learning_rate_discriminator=1e-4)
    )
    assert healthy.quality()["modes_covered"] < 8  # the untrained G is not the ring
    for _ in range(600):
        healthy.train_step()
        collapse.train_step()
    assert healthy.quality()["modes_covered"] == 8
    assert healthy.quality()["js"] < 0.25
    assert collapse.quality()["modes_covered"] <= 3


def test_a_head_start_lets_d_reject_gs_points_before_the_game():
    job = GAN2DJob(ring(), GAN2DSettings(head_start=200, learning_rate_discriminator=1e-2))
    assert job.trainer.discriminator_updates == 200 and job.trainer.generator_updates == 0
    fake = torch.from_numpy(job.trainer.fixed_samples())
    with torch.no_grad():
        assert float(torch.sigmoid(job.trainer.discriminator(fake)).median()) < 0.05


def test_a_paced_run_keeps_its_pace_and_still_pauses_at_once():
    job = GAN2DJob(ring(), GAN2DSettings(steps_per_second=20))
    run = TrainingRun(job, slots=SlotPool(1))
    run.start()
    time.sleep(1.0)
    started = time.perf_counter()
    run.pause()
    assert time.perf_counter() - started < 0.2
    steps = run.snapshot(history=False).steps
    assert 12 <= steps <= 24  # about 20 in the second
    job.apply(GAN2DSettings(steps_per_second=0))  # as fast as it goes again
    run.start()
    wait_for(lambda: run.snapshot(history=False).steps > steps + 60, timeout=5)
    run.stop()
