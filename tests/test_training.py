"""The live training run: control, isolation, caps, failures and cleanup."""

from __future__ import annotations

import gc
import itertools
import threading
import time
import weakref
from pathlib import Path

import numpy as np
import pytest
import torch

from core.gan import GANConfig
from core.training import (
    FAILED,
    FINISHED,
    IDLE,
    PAUSED,
    TRAINING,
    Caps,
    GANJob,
    RBMJob,
    RBMJobSettings,
    TrainingRun,
)


def rbm_run(digits, **overrides) -> TrainingRun:
    settings = RBMJobSettings(hidden_units=16, batch_size=20, **overrides)
    return TrainingRun(RBMJob(digits, settings), picture_interval=0.05)


def wait_for(condition, timeout=10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def test_start_trains_in_the_background_and_snapshots_are_consistent(digits):
    run = rbm_run(digits)
    assert run.state == IDLE and run.snapshot().steps == 0
    run.start()
    wait_for(lambda: run.snapshot().steps >= 30)
    snapshot = run.snapshot()
    assert snapshot.state == TRAINING
    assert [record["step"] for record in snapshot.history] == list(
        range(1, len(snapshot.history) + 1)
    )
    assert snapshot.latest["step"] >= snapshot.history[-1]["step"]
    assert set(snapshot.pictures) == {"originals", "reconstructions", "filters"}
    run.close()


def test_pause_really_stops_updates(digits):
    run = rbm_run(digits)
    run.start()
    wait_for(lambda: run.snapshot().steps >= 10)
    started = time.perf_counter()
    run.pause()
    assert time.perf_counter() - started < 0.5
    steps = run.snapshot().steps
    weights = run.job.rbm.W.clone()
    time.sleep(0.3)
    assert run.snapshot().steps == steps and run.state == PAUSED
    assert torch.equal(run.job.rbm.W, weights)
    run.resume()
    wait_for(lambda: run.snapshot().steps > steps + 5)
    run.close()


def test_step_does_exactly_one_update(digits):
    run = rbm_run(digits)
    before = run.job.rbm.W.clone()
    snapshot = run.step()
    assert snapshot.steps == 1 and run.state == PAUSED
    assert not torch.equal(run.job.rbm.W, before)
    assert "reconstructions" in snapshot.pictures
    run.step()
    run.step()
    assert run.snapshot().steps == 3 and run.job.trainer.steps_done == 3


def test_reset_clears_everything(digits):
    run = rbm_run(digits)
    for _ in range(5):
        run.step()
    run.reset(RBMJob(digits, RBMJobSettings(hidden_units=8, batch_size=20)))
    snapshot = run.snapshot()
    assert (snapshot.state, snapshot.steps, snapshot.history, snapshot.pictures) == (
        IDLE,
        0,
        [],
        {},
    )
    assert run.job.rbm.n_hidden == 8


def test_two_runs_are_independent(digits):
    first, second = rbm_run(digits, seed=1), rbm_run(digits, seed=1)
    first.start()
    wait_for(lambda: first.snapshot().steps >= 20)
    first.pause()
    assert second.snapshot().steps == 0
    second_weights = second.job.rbm.W.clone()
    for _ in range(3):
        second.step()
    assert first.job.rbm is not second.job.rbm
    assert not torch.equal(second.job.rbm.W, second_weights)
    # The same seed and the same number of steps give the same model: nothing leaked between.
    replay = rbm_run(digits, seed=1)
    for _ in range(3):
        replay.step()
    torch.testing.assert_close(replay.job.rbm.W, second.job.rbm.W)
    first.close()


def test_caps_end_a_run_and_refuse_oversized_requests(digits):
    run = TrainingRun(RBMJob(digits, RBMJobSettings(hidden_units=8)), caps=Caps(max_steps=25))
    run.start()
    wait_for(lambda: run.state == FINISHED)
    snapshot = run.snapshot()
    assert snapshot.steps == 25 and "limit of 25 steps" in snapshot.message
    run.step()
    assert run.snapshot().steps == 25
    timed = TrainingRun(RBMJob(digits, RBMJobSettings(hidden_units=8)), caps=Caps(max_seconds=0.2))
    timed.start()
    wait_for(lambda: timed.state == FINISHED)
    assert "s of training" in timed.snapshot().message
    assert timed.snapshot().seconds >= 0.2
    with pytest.raises(ValueError, match="5000 hidden units is above this server's limit"):
        RBMJob(digits, RBMJobSettings(hidden_units=5000), Caps(max_hidden_units=1000))
    with pytest.raises(ValueError, match="batch size"):
        GANJob(digits, GANConfig(n_pixels=64, batch_size=4096), Caps(max_batch_size=1000))


def test_a_diverging_job_fails_with_a_message_not_a_traceback(digits):
    run = rbm_run(digits, learning_rate=1e37, momentum=0.9)
    run.start()
    wait_for(lambda: run.state == FAILED)
    snapshot = run.snapshot()
    assert "TrainingDivergedError" in snapshot.message and "last finite" in snapshot.message
    assert torch.isfinite(run.job.rbm.W).all()


def test_a_dropped_run_stops_its_worker(digits):
    run = rbm_run(digits)
    run.start()
    for _ in range(500):
        if run.snapshot().steps >= 5:
            break
        time.sleep(0.01)
    thread = run._thread
    assert thread.is_alive()
    del run  # the browser session went away
    gc.collect()
    thread.join(timeout=5)
    assert not thread.is_alive()


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


def test_snapshots_never_wait_for_a_slow_step(digits):
    release = threading.Event()

    class SlowJob:
        def train_step(self):
            release.wait(2)
            return {"loss": 1.0}

        def pictures(self):
            return {}

    run = TrainingRun(SlowJob())
    run.start()
    time.sleep(0.05)
    started = time.perf_counter()
    run.snapshot()
    assert time.perf_counter() - started < 0.05
    release.set()
    run.close()


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


def test_history_keeps_the_whole_run_at_a_coarser_resolution():
    from core.training import History

    history = History(limit=100)
    for step in range(1, 1001):
        history.append({"step": float(step), "loss": 1.0 / step}, evaluation=False)
        if step % 250 == 0:
            history.append({"step": float(step), "evaluation": 1.0}, evaluation=True)
    steps = [r["step"] for r in history.records if "loss" in r]
    assert len(history) <= 100 and history.stride > 1
    assert steps[0] <= history.stride and steps[-1] > 1000 - 2 * history.stride
    assert len(set(np.diff(steps))) == 1  # evenly spaced
    assert [r["step"] for r in history.records if "evaluation" in r] == [250, 500, 750, 1000]
    with pytest.raises(ValueError):
        History(limit=1)


def test_a_run_finishes_after_its_epochs_and_goes_on_when_given_more(digits):
    settings = RBMJobSettings(hidden_units=8, batch_size=500, epochs=2)
    job = RBMJob(digits, settings)
    run = TrainingRun(job)
    run.start()
    wait_for(lambda: run.state == FINISHED)
    assert "2 epochs" in run.snapshot().message and job.epoch == 2
    steps = run.snapshot().steps
    run.start()  # nothing more to do: stays finished
    assert run.state == FINISHED and run.snapshot().steps == steps
    job.apply(RBMJobSettings(hidden_units=8, batch_size=500, epochs=3))
    run.start()
    wait_for(lambda: run.state == FINISHED and job.epoch == 3)
    assert run.snapshot().steps > steps
    with pytest.raises(ValueError, match="epochs"):
        job.apply(RBMJobSettings(hidden_units=8, batch_size=500, epochs=10_000))
    run.close()


def test_gan_job_steps_d_only_g_only_quality_and_timeline(digits, monkeypatch):
    import core.training
    from core.classifier import classifier_path, load_classifier

    TIMELINE_FRAMES = 8
    monkeypatch.setattr(core.training, "TIMELINE_FRAMES", TIMELINE_FRAMES)
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


def test_runs_share_training_slots_in_turn_and_a_waiting_run_says_so(digits):
    from core.training import SlotPool

    pool = SlotPool(1, slice_seconds=0.2)
    runs = [
        TrainingRun(RBMJob(digits, RBMJobSettings(hidden_units=8, epochs=200)), slots=pool)
        for _ in range(2)
    ]
    runs[0].start()
    wait_for(lambda: runs[0].snapshot().steps > 5)
    assert runs[0].snapshot().waiting == -1  # alone: it trains without pause
    runs[1].start()
    seen_waiting = set()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(seen_waiting) < 2:
        for index, run in enumerate(runs):
            if run.snapshot().waiting >= 0:
                seen_waiting.add(index)
        time.sleep(0.01)
    assert seen_waiting == {0, 1}  # each had to wait for the other at some point
    before = [run.snapshot().steps for run in runs]
    time.sleep(1.0)
    after = [run.snapshot().steps for run in runs]
    assert all(a > b for a, b in zip(after, before, strict=True))  # both progress, in turn
    runs[0].pause()  # a paused run gives its slot away at once
    steps = runs[1].snapshot().steps
    time.sleep(0.3)
    assert runs[1].snapshot().waiting == -1 and runs[1].snapshot().steps > steps
    for run in runs:
        run.close()
    assert pool.waiting() == 0 and not any(pool.holds(t) for t in range(10))
    with pytest.raises(ValueError):
        SlotPool(0)


def test_with_many_runs_the_turns_shorten_so_every_run_moves_on_often(digits):
    from core.training import SlotPool

    pool = SlotPool(1, slice_seconds=0.3, min_turn_seconds=0.01)
    assert pool.turn_seconds() == pytest.approx(0.3)
    runs = [
        TrainingRun(RBMJob(digits, RBMJobSettings(hidden_units=8, epochs=200)), slots=pool)
        for _ in range(6)
    ]
    for run in runs:
        run.start()
    wait_for(lambda: pool.waiting() == 5)
    assert pool.wanting() == 6
    assert pool.turn_seconds() == pytest.approx(0.05)  # 0.3 s shared by six runs
    windows = []
    for _ in range(4):  # in every 0.6 s (twice the slice), every run took steps
        before = [run.snapshot().steps for run in runs]
        time.sleep(0.6)
        windows.append([run.snapshot().steps - b for run, b in zip(runs, before, strict=True)])
    for run in runs:
        run.close()
    assert all(all(moved > 0 for moved in window) for window in windows), windows


def test_numpy_linear_algebra_leaves_the_cores_to_torch():
    import importlib

    from threadpoolctl import threadpool_info

    importlib.import_module("core")  # first, as the pages and benchmarks do
    importlib.import_module("scipy.linalg")  # scipy brings its own OpenBLAS, loaded after

    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas), blas


def test_the_load_counts_open_pages_before_they_train(digits):
    """A class opens the page, then presses Start one after another: the first Starts must
    already see the class (a page keeps the timers of its last full rerun), and a run that is
    released or collected stops counting."""
    from app_pages.common import live_period
    from core.training import SlotPool

    pool = SlotPool(1)
    runs = [
        TrainingRun(RBMJob(digits, RBMJobSettings(hidden_units=8, epochs=200)), slots=pool)
        for _ in range(20)
    ]
    assert pool.wanting() == 0 and pool.load() == 20
    first = runs[0]
    first.start()
    try:
        wait_for(lambda: first.snapshot().steps > 0)
        assert live_period(first, 0.4) == 0.7  # the first Start of twenty open pages
        for run in runs[10:]:
            run.release()  # their sessions ended
        assert pool.load() == 10
        del runs[1:]
        gc.collect()
        assert pool.load() == 1 and pool.wanting() == 1
        assert live_period(first, 0.4) == 0.4  # alone again: the page's own pace
    finally:
        first.release()
    assert pool.load() == 0


def test_a_busy_server_slows_the_charts_before_the_step_counter():
    from core.training import refresh_periods

    base = 0.4
    loads = range(0, 41)
    periods = [refresh_periods(n, base) for n in loads]
    assert periods[1] == (base, base)  # alone: everything at the page's own pace
    charts = [c for _, c in periods]
    assert charts == sorted(charts) and charts[-1] == 8 * base  # slower with load, bounded
    assert all(status <= max(base, 0.7) for status, _ in periods)  # the counter keeps moving
    assert all(status <= c for status, c in periods)
    # Fifty runs' pages at these periods ask for fewer redraws per second than ten at the base.
    at_fifty = 50 * (1 / periods[-1][1])
    assert at_fifty < 10 * (1 / base)


def test_charts_follow_the_load_without_a_page_rerun(digits, monkeypatch):
    """A page drawn while few runs trained keeps its fast fragment timer, but its charts are
    drawn from a new snapshot only as often as the current load allows; in between they are
    drawn again from the last one (the same pictures, which cost the browser nothing)."""
    import app_pages.common as common

    run = rbm_run(digits, epochs=200)
    holder: dict = {}
    run.start()
    try:
        wait_for(lambda: run.snapshot().steps > 0)
        load = {"periods": (0.4, 0.4)}  # as when the page was drawn: every run draws afresh
        monkeypatch.setattr(common, "refresh_periods", lambda runs, base: load["periods"])
        first = common.charts_snapshot(run, holder, 0.4, 0.4)
        time.sleep(0.1)  # even a timer that fires early
        second = common.charts_snapshot(run, holder, 0.4, 0.4)
        assert second is not first and second.steps > first.steps
        load["periods"] = (0.7, 3.2)  # a class started training: charts every 3.2 s
        time.sleep(0.4)
        assert common.charts_snapshot(run, holder, 0.4, 0.4) is second  # drawn again, same data
        monkeypatch.setattr(time, "monotonic", lambda real=time.monotonic: real() + 3.2)
        assert common.charts_snapshot(run, holder, 0.4, 0.4) is not second  # due again
        current = common.charts_snapshot(run, holder, 0.4, 0.4)
        run.reset(RBMJob(digits, RBMJobSettings(hidden_units=16, batch_size=20, epochs=200)))
        run.start()  # a Reset and Start under the same load: the new job's snapshot at once
        wait_for(lambda: run.snapshot().steps > 0)
        assert common.charts_snapshot(run, holder, 0.4, 0.4) is not current
        run.pause()
        paused = common.charts_snapshot(run, holder, 0.4, None)  # paused: the current state
        assert paused.state == PAUSED
    finally:
        run.close()


@pytest.mark.parametrize(("timer", "period"), [(0.7, 3.2), (0.6, 1.6), (0.4, 0.8), (0.4, 0.4)])
def test_the_status_line_gives_the_charts_real_cadence(digits, monkeypatch, timer, period):
    """The status line says how often the charts redraw: the figure must be what
    charts_snapshot does with the fragment's timer, not the load's period."""
    import app_pages.common as common

    run = rbm_run(digits, epochs=200)
    run.start()
    try:
        wait_for(lambda: run.snapshot().steps > 0)
        clock = {"now": 1000.0}
        monkeypatch.setattr(time, "monotonic", lambda: clock["now"])
        monkeypatch.setattr(common, "refresh_periods", lambda load, base: (timer, period))
        holder: dict = {}
        fresh, last = [], None
        for tick in range(60):
            clock["now"] = 1000.0 + tick * timer
            snapshot = common.charts_snapshot(run, holder, 0.4, timer)
            if snapshot is not last:
                fresh.append(clock["now"])
                last = snapshot
        gaps = {round(b - a, 6) for a, b in itertools.pairwise(fresh)}
        assert gaps == {round(common.charts_cadence(timer, period), 6)}
    finally:
        run.close()


def test_a_snapshot_s_charts_are_drawn_once(digits):
    """The live fragment draws the same snapshot again until the load lets a new one in; its
    charts are made once per snapshot (and view options), not at every refresh."""
    from app_pages.common import drawn_once

    run = rbm_run(digits)
    run.step()
    holder: dict = {}
    drawn = []

    def draw(snapshot, options):
        return drawn_once(
            holder, "curves", snapshot, options, lambda: drawn.append(1) or f"{len(drawn)}"
        )

    first = run.snapshot()
    assert draw(first, ("step", 0)) == "1"
    assert draw(first, ("step", 0)) == "1" and len(drawn) == 1  # the same picture again
    assert draw(first, ("epoch", 0)) == "2"  # another axis: drawn anew
    run.step()
    assert draw(run.snapshot(), ("epoch", 0)) == "3"  # a new snapshot: drawn anew
    run.close()


def test_fragments_redraw_the_page_when_the_run_was_released(digits, monkeypatch):
    """A session's cache can be cleared while its page is open (Streamlit's "Clear cache"):
    its run is released, and the live fragment, still on its timer, must not draw a run with
    no model (the page's next full rerun makes a new one)."""
    import app_pages.common as common

    class Redraw(Exception):
        pass

    def rerun():
        raise Redraw

    monkeypatch.setattr(common.st, "rerun", rerun)
    run = rbm_run(digits)
    common.charts_snapshot(run, {}, 0.4, 0.4)  # a live run: drawn, no redraw
    run.release()
    with pytest.raises(Redraw):
        common.charts_snapshot(run, {}, 0.4, 0.4)
    with pytest.raises(Redraw):
        common.live_status_view(
            run, {}, "rbm", lambda s: f"{run.job.settings.epochs}", "", 0.4, 0.4, None
        )


def test_a_released_session_stops_its_run_and_drops_it(digits):
    from core.training import close_session_run

    run = TrainingRun(RBMJob(digits, RBMJobSettings(hidden_units=8, epochs=200)))
    run.start()
    wait_for(lambda: run.snapshot().steps > 3)
    worker = run._thread
    job = weakref.ref(run.job)
    holder = {"run": run, "dataset": "digits"}
    close_session_run(holder)
    assert holder == {} and not worker.is_alive()
    # Streamlit keeps a closed tab's session (and the page's last variables, this run among
    # them) for a while: the run itself must no longer hold the model and its data.
    gc.collect()
    assert job() is None and run.job is None
    run.start()  # a released run does not train again
    assert run._thread is None and run.state == FINISHED
    assert "ended" in run.snapshot().message
    close_session_run({})  # a session that never made a run


def test_a_run_stopped_while_heaps_trim_ends_at_once(digits):
    """A worker trims its heap as it ends; a session closed inside trimming_heaps (another
    session's close, say) must not make it wait there, nor the closing thread for it."""
    from core.training import _trimming, trimming_heaps

    run = TrainingRun(RBMJob(digits, RBMJobSettings(hidden_units=8, epochs=200)))
    run.start()
    wait_for(lambda: run.snapshot().steps > 3)
    worker = run._thread
    started = time.perf_counter()
    with trimming_heaps(), trimming_heaps():  # nested, as a gc inside a close can be
        run.stop()
        assert _trimming[0] == 2
    assert time.perf_counter() - started < 2 and not worker.is_alive()
    assert _trimming[0] == 0


def test_runs_on_one_dataset_share_its_prepared_copy(digits):
    """Forty visitors at the default seed hold one binarized (RBM) or rescaled (GAN) copy of
    the dataset between them, not forty; training never writes into it."""
    from core.data import binarize, to_tanh_range, train_validation_split
    from core.training import _shared

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


HEAP_PROBE = """
import ctypes, sys, threading
import core.training as training
libc = training._LIBC
def resident_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
def allocate(blocks):
    for _ in range(24):  # 24 MB in blocks below the mmap threshold: from the thread's heap
        block = libc.malloc(1 << 20)
        ctypes.memset(block, 1, 1 << 20)
        blocks.append(block)
def worker(end):
    blocks = []
    allocate(blocks)
    for block in blocks:
        libc.free(block)
    if end:
        training.release_thread_heap()
blocks = []
mode = sys.argv[1]
before = resident_mb()
if mode in ("worker", "worker ending well"):
    thread = threading.Thread(target=worker, args=(mode == "worker ending well",))
    thread.start(); thread.join()
else:  # a session's model: made in its worker's thread, freed by the thread that closes it
    thread = threading.Thread(target=allocate, args=(blocks,))
    thread.start(); thread.join()
    if mode == "freed while trimming":
        with training.trimming_heaps():
            for block in blocks: libc.free(block)
    else:
        for block in blocks: libc.free(block)
    training.return_memory()
print(resident_mb() - before)
"""


@pytest.mark.parametrize(
    "mode, without",
    [("worker ending well", "worker"), ("freed while trimming", "freed elsewhere")],
)
def test_memory_freed_in_a_threads_heap_goes_back(mode, without):
    """glibc keeps what was freed at the end of a thread's heap (malloc_trim does not return
    it): 24 MB freed by a worker, or by the thread closing a session, stay resident unless the
    worker ends with release_thread_heap or the closing thread frees inside trimming_heaps."""
    import subprocess
    import sys

    import core.training as training

    if training._LIBC is None:
        pytest.skip("glibc's malloc only")

    def kept_mb(how: str) -> float:
        result = subprocess.run(
            [sys.executable, "-c", HEAP_PROBE, how],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=Path(__file__).resolve().parents[1],
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return float(result.stdout.split()[-1])

    assert kept_mb(without) > 20  # the probe sees what glibc keeps
    assert kept_mb(mode) < 4


def test_a_threads_setting_stays_in_its_thread():
    """A page thread that draws with one thread must not cut the worker's matrix products to
    one thread (torch.set_num_threads sets MKL's count for the whole process)."""
    import re
    import threading

    from core.training import _thread_libraries, threads_for_this_thread

    if _thread_libraries() is None or torch.get_num_threads() < 2:
        pytest.skip("needs torch's libgomp and MKL and at least two threads")

    def counts() -> tuple[int, int]:
        info = torch.__config__.parallel_info()
        omp = int(re.search(r"omp_get_max_threads\(\) : (\d+)", info).group(1))
        mkl = int(re.search(r"mkl_get_max_threads\(\) : (\d+)", info).group(1))
        return omp, mkl

    seen: dict[str, tuple[int, int]] = {}
    worker_ready, drawn = threading.Event(), threading.Event()

    def worker() -> None:  # as the training worker: two threads, then computes
        threads_for_this_thread(2)
        torch.ones(64, 64) @ torch.ones(64, 64)
        worker_ready.set()
        drawn.wait(10)
        torch.ones(64, 64) @ torch.ones(64, 64)
        seen["worker"] = counts()

    def drawing() -> None:  # as a page's rerun: one thread, and some torch to draw
        threads_for_this_thread(1)
        torch.ones(64, 64) @ torch.ones(64, 64)
        seen["drawing"] = counts()

    training = threading.Thread(target=worker)
    training.start()
    worker_ready.wait(10)
    for _ in range(3):  # several reruns, each in a new thread
        rerun = threading.Thread(target=drawing)
        rerun.start()
        rerun.join()
    drawn.set()
    training.join()
    assert seen == {"drawing": (1, 1), "worker": (2, 2)}
