"""A training page's Speed: one shared row in each table and the link, a live change that sets
the wait between a run's steps, a run that keeps the pace, and the same model at any pace."""

from __future__ import annotations

import importlib
import time

import pytest
import streamlit as st
import torch
from streamlit.testing.v1 import AppTest

from core.gan.trainer import GANConfig
from core.training.gan_job import GANJob, GANLiveSettings
from core.training.process import threads_for_this_thread
from core.training.rbm_job import RBMJob, RBMJobSettings
from core.training.runs import TrainingRun
from pages.kit.session import keeper
from pages.settings.table import SPEEDS, by_name, link_values, preset_values, read_link
from tests.helpers import wait_for

TRAINING_PAGES = {"rbm": "rbm_speed", "gan": "gan_speed", "gan_2d": "g2_speed"}
SMALL_GAN = dict(n_pixels=64, batch_size=16, generator_hidden=(16,), discriminator_hidden=(16,))


def table(page: str):
    return importlib.import_module(f"pages.settings.{page}")


def steps_per_second(page: str, values: dict) -> float:
    """The rate the page hands its run for the table's values."""
    module = table(page)
    if page == "gan":
        return module.live_settings(values, GANConfig(**module.config_values(values)))
    return module.job_settings(values)


@pytest.mark.parametrize("page", TRAINING_PAGES)
def test_each_training_page_has_the_shared_live_speed_in_its_table_and_link(page):
    settings = table(page).SETTINGS
    speed = by_name(settings)["speed"]
    assert speed.key == TRAINING_PAGES[page] and speed.live  # no Reset: training is the same
    assert list(speed.choices) == list(SPEEDS) and speed.default == "as fast as it goes"
    assert SPEEDS[speed.default] == 0.0 and {5.0, 1.0} <= set(SPEEDS.values())
    values, notices = read_link({"speed": "5 steps/s"}, settings)
    assert notices == [] and values == {speed.key: "5 steps/s"}
    assert link_values({speed.key: "1 step/s"}, settings) == {"speed": "1 step/s"}
    assert link_values({speed.key: speed.default}, settings) == {}  # the default stays out
    _, notices = read_link({"speed": "1000 steps/s"}, settings)
    assert "speed=1000 steps/s" in notices[0]
    chosen = preset_values(settings, {"speed": "5 steps/s"})
    assert steps_per_second(page, chosen).steps_per_second == 5.0
    assert steps_per_second(page, preset_values(settings, {})).steps_per_second == 0.0


def test_applying_a_speed_sets_the_wait_between_steps(digits):
    rbm = RBMJob(digits, RBMJobSettings(hidden_units=8, batch_size=20))
    assert rbm.seconds_per_step == 0.0
    rbm.apply(RBMJobSettings(hidden_units=8, batch_size=20, steps_per_second=5))
    assert rbm.seconds_per_step == pytest.approx(0.2)
    with pytest.raises(ValueError, match="steps_per_second"):  # refused whole: nothing changes
        rbm.apply(RBMJobSettings(learning_rate=0.5, steps_per_second=-1))
    assert rbm.seconds_per_step == pytest.approx(0.2) and rbm.trainer.learning_rate == 0.05

    config = GANConfig(**SMALL_GAN)
    gan = GANJob(digits, config)
    assert gan.seconds_per_step == 0.0
    gan.apply(GANLiveSettings(config, 20))
    assert gan.seconds_per_step == pytest.approx(0.05)
    gan.apply(GANConfig(**SMALL_GAN, k=3))  # a bare config (a notebook's) keeps the pace
    assert gan.seconds_per_step == pytest.approx(0.05) and gan.config.k == 3
    gan.apply(GANLiveSettings(config, 0))
    assert gan.seconds_per_step == 0.0


def small_job(kind: str, digits, rate: float):
    if kind == "RBM":
        return RBMJob(digits, RBMJobSettings(hidden_units=16, batch_size=20, steps_per_second=rate))
    job = GANJob(digits, GANConfig(**SMALL_GAN))
    job.apply(GANLiveSettings(job.config, rate))
    return job


@pytest.mark.parametrize("kind", ["RBM", "GAN"])
def test_a_run_at_5_steps_a_second_takes_about_5_a_second(digits, kind):
    run = TrainingRun(small_job(kind, digits, 5), picture_interval=0.05)
    run.start()
    wait_for(lambda: run.snapshot(history=False).steps >= 1)
    first, started = run.snapshot(history=False).steps, time.perf_counter()
    time.sleep(1.2)
    steps = run.snapshot(history=False).steps - first
    rate = steps / (time.perf_counter() - started)
    paused = time.perf_counter()
    run.pause()
    assert time.perf_counter() - paused < 0.3  # a wait between steps never holds up Pause
    run.close()
    assert 3.0 <= rate <= 6.0, rate  # unpaced, these small models take hundreds a second


class OnOneThread:
    """A job that trains on one torch thread in the run's worker (the thread count changes
    the last bits of some products; tests/test_reproducible.py)."""

    def __init__(self, job) -> None:
        self.job = job

    def __getattr__(self, name: str):
        return getattr(self.__dict__["job"], name)

    def train_step(self) -> dict[str, float]:
        threads_for_this_thread(1)
        return self.job.train_step()


@pytest.mark.parametrize("kind", ["RBM", "GAN"])
def test_a_slow_run_trains_the_same_model_as_a_fast_one(digits, kind):
    """The wait is the worker's: training's updates and random numbers are the seed's."""
    run = TrainingRun(OnOneThread(small_job(kind, digits, 100)), picture_interval=0.01)
    run.start()
    wait_for(lambda: run.snapshot(history=False).steps >= 20)
    run.pause()
    steps = run.snapshot(history=False).steps
    paced = run.job.job
    before = torch.get_num_threads()
    threads_for_this_thread(1)
    try:
        fast = small_job(kind, digits, 0)
        for _ in range(steps):
            fast.train_step()
    finally:
        threads_for_this_thread(before)
    run.close()
    if kind == "RBM":
        pairs = [(paced.rbm.W, fast.rbm.W), (paced.rbm.b, fast.rbm.b), (paced.rbm.c, fast.rbm.c)]
    else:
        pairs = [
            (a, b)
            for net in ("generator", "discriminator")
            for a, b in zip(
                getattr(paced.trainer, net).state_dict().values(),
                getattr(fast.trainer, net).state_dict().values(),
                strict=True,
            )
        ]
    assert all(torch.equal(a, b) for a, b in pairs)


def page_run(path: str, query: dict) -> tuple[AppTest, TrainingRun]:
    """A page opened fresh by a link, and its session's run."""
    st.cache_resource.clear()
    app = AppTest.from_file(path, default_timeout=90)
    for key, value in query.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception and not app.warning
    (_, session), *_ = keeper().values_of(app.session_state["browser_key"])
    return app, session.run


@pytest.mark.parametrize("page, key", [("rbm", "rbm_speed"), ("gan", "gan_speed")])
def test_a_lesson_link_sets_the_speed_and_the_slider_changes_it_live(page, key):
    app, run = page_run(f"../pages/{page}.py", {"dataset": "digits", "speed": "5 steps/s"})
    assert app.sidebar.select_slider(key=key).value == "5 steps/s"
    assert run.job.seconds_per_step == pytest.approx(0.2)
    app.sidebar.select_slider(key=key).set_value("1 step/s").run()
    assert not app.exception and not any("Reset" in info.value for info in app.info)
    assert run.job.seconds_per_step == pytest.approx(1.0)
    run.close()
