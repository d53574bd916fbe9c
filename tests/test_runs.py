"""The live training run: control, isolation, caps, failures and its bounded history."""

from __future__ import annotations

import gc
import threading
import time

import numpy as np
import pytest
import torch

from core.gan.trainer import GANConfig
from core.training.caps import Caps
from core.training.gan_job import GANJob
from core.training.rbm_job import RBMJob, RBMJobSettings
from core.training.runs import FAILED, FINISHED, IDLE, PAUSED, TRAINING, TrainingRun
from tests.helpers import rbm_run, wait_for


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
    assert set(snapshot.pictures) == {"originals", "reconstructions", "after_one_step", "filters"}
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


def test_can_train_says_whether_start_would_train(digits):
    run = rbm_run(digits)
    assert run.can_train  # idle
    run.start()
    assert not run.can_train  # training already
    run.pause()
    assert run.can_train  # paused: Resume trains
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
    assert "press Reset" in snapshot.message and not run.can_train
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
    thread = run.worker
    assert thread.is_alive()
    del run  # the browser session went away
    gc.collect()
    thread.join(timeout=5)
    assert not thread.is_alive()


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


def test_history_keeps_the_whole_run_at_a_coarser_resolution():
    from core.training.history import History

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
    assert "raise Epochs to train on, or press Reset" in run.snapshot().message  # how to go on
    steps = run.snapshot().steps
    assert not run.can_train  # so the page disables Start and Resume
    run.start()  # nothing more to do: stays finished
    assert run.state == FINISHED and run.snapshot().steps == steps
    job.apply(RBMJobSettings(hidden_units=8, batch_size=500, epochs=3))
    assert run.can_train
    run.start()
    wait_for(lambda: run.state == FINISHED and job.epoch == 3)
    assert run.snapshot().steps > steps
    with pytest.raises(ValueError, match="epochs"):
        job.apply(RBMJobSettings(hidden_units=8, batch_size=500, epochs=10_000))
    run.close()


def test_more_epochs_right_after_finishing_always_trains_on(digits):
    # Raising Epochs and pressing Resume the moment a run finishes once met a worker thread
    # that was alive but leaving, so nothing trained and the run showed "training" forever.
    job = RBMJob(digits, RBMJobSettings(hidden_units=8, batch_size=900, epochs=1))
    run = TrainingRun(job)
    run.start()
    for epochs in range(2, 12):
        deadline = time.monotonic() + 10
        while run.state != FINISHED:  # spin, not sleep: Resume within microseconds of the end
            assert time.monotonic() < deadline, f"stuck {run.state} at epoch {job.epoch}"
            time.sleep(0)  # let the worker have the interpreter
        job.apply(RBMJobSettings(hidden_units=8, batch_size=900, epochs=epochs))
        run.start()
    wait_for(lambda: run.state == FINISHED and job.epoch == 11)
    run.close()


def test_a_loaded_model_stands_at_its_own_step_with_its_pictures_and_first_metrics(digits):
    trained = rbm_run(digits)
    for _ in range(7):
        trained.step()
    weights = trained.read(lambda job: job.rbm)
    run = TrainingRun(
        RBMJob(digits, RBMJobSettings(hidden_units=16, batch_size=20, epochs=50)),
        caps=Caps(max_steps=5),
    )
    run.adopt(lambda job: job.load_weights(weights, steps=7, epochs=0.5))
    snapshot = run.snapshot()
    # paused at the model's step, with pictures and a first point on the curves: nothing
    # waits for an update to show the model
    assert (snapshot.state, snapshot.steps) == (PAUSED, 7)
    assert snapshot.pictures and snapshot.pictures_version == 1
    assert [r["step"] for r in snapshot.history] == [7.0]
    assert "free_energy_train" in snapshot.history[0]
    assert run.read(lambda job: torch.equal(job.rbm.W, weights.W))
    # the step count goes on from there, and the cap counts this run's own steps
    for _ in range(5):
        run.step()
    assert run.snapshot().steps == 12
    assert not run.can_train and run.step().steps == 12
    # a load that fails changes nothing
    with pytest.raises(ValueError, match="hidden units"):
        run.adopt(lambda job: job.load_weights(RBMJob(digits, RBMJobSettings(hidden_units=8)).rbm))
    assert run.snapshot().steps == 12
    run.close()
    trained.close()


class HalfwayProbe:
    """A job whose step reads its setting twice, with a pause between: a change that lands
    inside a step shows as two different readings."""

    def __init__(self) -> None:
        self.setting, self.torn = 0, 0

    def train_step(self) -> dict[str, float]:
        first = self.setting
        time.sleep(0.001)
        self.torn += first != self.setting
        return {"setting": float(first)}

    def pictures(self) -> dict:
        return {}

    def apply(self, setting: int) -> None:
        self.setting = setting


@pytest.mark.slow
def test_live_settings_land_between_steps_never_inside_one():
    run = TrainingRun(HalfwayProbe(), picture_interval=1e9)
    run.start()
    wait_for(lambda: run.snapshot().steps >= 3)
    for setting in range(1, 300):
        run.apply(setting)
        time.sleep(0.0005)
    assert run.snapshot().steps > 10
    run.close()
    assert run.job.torn == 0 and run.job.setting == 299


def test_a_run_nobody_watches_rests_and_trains_on_when_watched_again(digits):
    run = TrainingRun(
        RBMJob(digits, RBMJobSettings(hidden_units=16, batch_size=20)), rest_unwatched_after=0.3
    )
    run.start()
    wait_for(lambda: run.resting(), timeout=10)
    resting = run.snapshot(history=False)
    assert resting.state == PAUSED and "nobody watches" in resting.rested
    time.sleep(0.3)
    assert run.snapshot(history=False).steps == resting.steps  # no step while it rests
    run.watched()  # its page is back
    assert run.state == TRAINING and not run.resting()
    assert run.snapshot().rested.startswith("paused while nobody watched, ")
    wait_for(lambda: run.snapshot(history=False).steps > resting.steps)
    # a run paused by hand stays paused when its page comes back
    run.pause()
    run.watched()
    assert run.state == PAUSED
    run.close()


@pytest.mark.slow
def test_keep_going_trains_on_unwatched_and_a_notebook_run_never_rests(digits):
    settings = RBMJobSettings(hidden_units=16, batch_size=20)
    away = TrainingRun(RBMJob(digits, settings), rest_unwatched_after=0.2)
    away.keep_going = True
    notebook = TrainingRun(RBMJob(digits, settings))  # no view at all
    away.start()
    notebook.start()
    time.sleep(1.0)
    for run in (away, notebook):
        first = run.snapshot(history=False).steps
        wait_for(lambda run=run, first=first: run.snapshot(history=False).steps > first + 3)
        assert run.state == TRAINING and not run.resting()
        run.close()
