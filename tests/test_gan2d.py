"""The GAN on points in the plane: the engine's own trainer, G's arrows against finite
differences, the views' shapes, one step in slow motion, learning the ring, a paced run."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F_nn

from core.data.toy2d import moons, ring
from core.gan.trainer import GANTrainer
from core.pictures.plane import plane_svg
from core.training.gan2d_job import FIELD_BINS, SHOWN_POINTS, GAN2DJob, GAN2DSettings
from core.training.runs import TrainingRun
from core.training.slots import SlotPool
from tests.helpers import parsed_svg, wait_for


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
    layers = {key: pictures[key] for key in ("field", "fake", "arrows", "manifold")}
    assert float(pictures["push"]) == pytest.approx(
        np.linalg.norm(pictures["arrows"], axis=1).mean()
    )
    root, ns = parsed_svg(plane_svg(real=job.real_shown, **layers))
    assert len(root.findall(f"{ns}image")) == 1  # D's surface
    paths = root.findall(f"{ns}path")
    dots = {p.get("stroke"): p.get("d").count("h0") for p in paths if "h0" in p.get("d")}
    assert sorted(dots.values()) == [SHOWN_POINTS, SHOWN_POINTS]  # real and generated


def test_a_slow_motion_step_shows_each_update_with_its_loss_terms():
    job = GAN2DJob(ring(), GAN2DSettings(k=3))
    for _ in range(100):  # past the first steps, where G's BatchNorm statistics settle
        job.train_step()
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
    # then G: its update moves the points far more than the BatchNorm drift of a D update
    drift = np.abs(frames[3].fake - frames[2].fake).mean()
    assert np.abs(frames[4].fake - frames[3].fake).mean() > 3 * drift
    g_terms = frames[4].terms
    assert record["generator_loss"] == pytest.approx(g_terms["−log D(G(z)) (proxy, G descends it)"])
    assert job.updates() == (303, 101) == job.slow_frames_at


@pytest.mark.slow
def test_the_healthy_ring_covers_all_eight_modes_and_mode_collapse_does_not():
    healthy = GAN2DJob(ring(), GAN2DSettings())
    collapse = GAN2DJob(
        ring(), GAN2DSettings(learning_rate_generator=1e-2, learning_rate_discriminator=1e-4)
    )
    assert healthy.quality()["modes_covered"] < 8  # the untrained G is not the ring
    for _ in range(600):
        healthy.train_step()
        collapse.train_step()
    good, bad = healthy.quality(), collapse.quality()
    assert good["modes_covered"] == 8 and good["on_a_mode"] > 0.5 and good["js"] < 0.25
    assert bad["modes_covered"] <= 3 and bad["on_a_mode"] < 0.5 and bad["js"] > 0.4


def test_after_ds_head_start_the_saturating_loss_barely_pushes_g():
    settings = GAN2DSettings(head_start=200, learning_rate_discriminator=1e-2, k=5)
    job = GAN2DJob(ring(), settings)
    records = [job.train_step() for _ in range(200)]  # the head start: D alone, counted
    assert all(record.get("head_start") == 1.0 for record in records)
    assert job.updates() == (200, 0) and job.head_start_left == 0
    fake = job.trainer.fixed_samples()
    with torch.no_grad():
        assert (
            float(torch.sigmoid(job.trainer.discriminator(torch.from_numpy(fake))).median()) < 0.05
        )
    pushes = {}
    for loss in ("minimax", "proxy"):
        job.trainer.config.generator_loss = loss
        pushes[loss] = np.linalg.norm(job.arrows(fake), axis=1).mean()
    assert pushes["minimax"] < 0.2 * pushes["proxy"]  # about ten times weaker
    job.trainer.config.generator_loss = "minimax"
    job.slow_motion_step()
    labels = list(job.slow_frames[-1].terms)
    assert labels[1] == "log(1 − D(G(z))) (saturating, G descends it)"
    assert labels[0] == "−log D(G(z)) (proxy)"


@pytest.mark.slow
def test_a_paced_run_keeps_its_pace_and_still_pauses_at_once():
    job = GAN2DJob(ring(), GAN2DSettings(steps_per_second=20))
    run = TrainingRun(job, slots=SlotPool(1))
    run.start()
    waits = []
    for _ in range(20):  # alone, between its paced steps it waits for nobody
        time.sleep(0.05)
        waits.append(run.snapshot(history=False).waiting)
    assert waits == [-1] * 20
    started = time.perf_counter()
    run.pause()
    assert time.perf_counter() - started < 0.2
    steps = run.snapshot(history=False).steps
    assert 12 <= steps <= 24  # about 20 in the second
    job.apply(GAN2DSettings(steps_per_second=0))  # as fast as it goes again
    run.start()
    wait_for(lambda: run.snapshot(history=False).steps > steps + 60, timeout=5)
    run.stop()
