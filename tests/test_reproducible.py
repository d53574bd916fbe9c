"""A seed reproduces the run: training's random numbers belong to training alone.

Same settings and seed give bit-identical parameters (and optimizer state, chains and the
training's own generators) at step N however often, and when, a page drew its views: pictures,
quality measures, dreams, on-demand samples, slow motion, gradient comparisons. Each job is
trained twice, once headless and once with every view drawn between steps (and someone else
drawing from torch's and numpy's global generators, as another session or the judge may), and
once while a page draws its views from another thread as the run's worker trains.

Every run here trains on one torch thread: the thread count itself changes the last bits of
some products (MKL's and torch's kernels split their work by it), so "the same machine" means
the same count too.
"""

from __future__ import annotations

import copy
import threading

import numpy as np
import pytest
import torch

from core.data.tiny import bars_and_stripes
from core.data.toy2d import ring
from core.gan.trainer import GANConfig, GANTrainer
from core.judge.classifier import classifier_path, load_classifier
from core.sampling import RandomSource
from core.training.caps import Caps
from core.training.exact_job import ExactRBMJob, ExactSettings
from core.training.gan2d_job import GAN2DJob, GAN2DSettings
from core.training.gan_job import GANJob
from core.training.process import threads_for_this_thread
from core.training.rbm_job import RBMJob, RBMJobSettings
from core.training.runs import FAILED, TrainingRun
from tests.helpers import wait_for

STEPS = 24
VIEWS_BEFORE_STEP = {0: 1, 1: 2, 4: 1, 9: 3, 13: 1, 20: 2, 23: 1}  # step: how often views drawn


@pytest.fixture(scope="module")
def judge():
    return load_classifier(classifier_path((8, 8)))


@pytest.fixture(autouse=True)
def one_thread():
    """This thread's torch operations on one thread, as before afterwards."""
    before = torch.get_num_threads()
    threads_for_this_thread(1)
    yield
    threads_for_this_thread(before)


def assert_identical(a, b, where: str = "state") -> None:
    """``a`` and ``b`` equal bit for bit: tensors, arrays, numbers, and containers of them."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype, where
        assert torch.equal(a, b), where
    elif isinstance(a, np.ndarray):
        assert np.array_equal(a, b), where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            assert_identical(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b), where
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_identical(x, y, f"{where}[{index}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def others_draw() -> None:
    """Someone else in the process draws from the global generators (a session, a judge)."""
    torch.rand(97)
    torch.randperm(31)
    np.random.random(13)


def random_state(source: RandomSource) -> dict:
    return {
        "torch": source.torch_generator.get_state(),
        "numpy": [stream.bit_generator.state for stream in source._streams],
    }


def trained(job, views=None, steps: int = STEPS) -> list[dict[str, float]]:
    """``steps`` training steps, with ``views(job)`` drawn between them (if given)."""
    records = []
    for step in range(steps):
        for _ in range(VIEWS_BEFORE_STEP.get(step, 0) if views else 0):
            views(job)
        records.append(job.train_step())
    if views:
        views(job)
    return records


# ---- the RBM, CD and PCD ------------------------------------------------------------------


def rbm_job(digits, persistent: bool) -> RBMJob:
    settings = RBMJobSettings(hidden_units=10, batch_size=20, k=2, persistent=persistent, seed=3)
    return RBMJob(digits, settings)


def rbm_views(job: RBMJob) -> None:
    """Everything the RBM page draws from a model, on demand or on the worker's timer."""
    job.pictures()
    job.reconstruction_steps = 3
    job.pictures()
    job.reconstruction_steps = 1
    job.evaluate()
    job.latent_views(n=100)
    job.free_energy_samples(n=20, gibbs_steps=5)
    job.gibbs_frames("noise", k=3, n_chains=4)
    job.gibbs_frames("digit", digit=3, k=2, n_chains=4)
    for sampler in ("plain", "annealed"):
        job.dreams(sampler, n=8, steps=5)
    if job.trainer.persistent and job.trainer.persistent_hidden is not None:
        job.dreams("persistent")
    job.estimate_log_likelihood(n_betas=20)
    job.checkpoint("digits")
    others_draw()


def rbm_state(job: RBMJob) -> dict:
    trainer = job.trainer
    return {
        "parameters": dict(job.rbm.state_dict()),
        "chains": trainer.persistent_hidden,
        "velocity": trainer._velocity,
        "random": random_state(trainer.random),
        "order": (job._order, job._position, job.epoch),
    }


@pytest.mark.parametrize("persistent", [False, True], ids=["CD", "PCD"])
def test_rbm_views_leave_the_run_as_it_was(digits, persistent):
    headless, watched = rbm_job(digits, persistent), rbm_job(digits, persistent)
    records = trained(headless)
    assert_identical(trained(watched, rbm_views), records, "records")
    assert_identical(rbm_state(watched), rbm_state(headless))


# ---- the GAN ------------------------------------------------------------------------------


def gan_job(digits, judge, average_decay: float = 0.0) -> GANJob:
    config = GANConfig(
        n_pixels=64,
        generator_hidden=(32, 64),
        discriminator_hidden=(64, 32),
        batch_size=32,
        k=2,
        average_decay=average_decay,
        seed=3,
    )
    return GANJob(digits, config, classifier=judge)


def gan_views(job: GANJob) -> None:
    """Everything the GAN page draws: pictures (fixed noise, D's histogram), quality, samples,
    an interpolation, the latent explorer's noise and its G(z), the timeline, a checkpoint."""
    job.pictures()
    job.discriminator_outputs(n=64)
    job.quality(n=50)
    job.samples(8)
    job.interpolation(5)
    job.generated_from(job.new_noise())
    job.timeline_frames()
    job.checkpoint("digits", job.steps)
    others_draw()


def gan_state(trainer: GANTrainer) -> dict:
    average = trainer.average
    return {
        "G": dict(trainer.generator.state_dict()),
        "D": dict(trainer.discriminator.state_dict()),
        "G's average": None if average is None else dict(average.named_parameters()),
        "G's optimizer": trainer.optimizer_g.state_dict(),
        "D's optimizer": trainer.optimizer_d.state_dict(),
        "random": trainer.random.get_state(),
        "dropout": random_state(trainer.dropout_random),
        "order": (trainer._order, trainer._position),
        "updates": (trainer.discriminator_updates, trainer.generator_updates),
    }


@pytest.mark.parametrize("average_decay", [0.0, 0.9], ids=["G", "G's average"])
def test_gan_views_leave_the_run_as_it_was(digits, judge, average_decay):
    headless, watched = gan_job(digits, judge, average_decay), gan_job(digits, judge, average_decay)
    records = trained(headless)
    assert_identical(trained(watched, gan_views), records, "records")
    assert_identical(gan_state(watched.trainer), gan_state(headless.trainer))


def test_a_gan_built_while_others_draw_or_build_is_the_seeds_gan(digits):
    """Forty students opening one link at once: each GAN starts from its seed's weights, however
    the threads building GANs (and drawing from torch's global generator) interleave."""
    config = GANConfig(n_pixels=64, generator_hidden=(32, 64), discriminator_hidden=(64, 32))
    alone = GANTrainer(config, torch.zeros(1, 64))
    built, errors, stop = [], [], threading.Event()

    def build() -> None:
        try:
            for _ in range(5):
                built.append(GANTrainer(config, torch.zeros(1, 64)))
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    def draw() -> None:
        while not stop.is_set():
            torch.rand(64)

    drawer = threading.Thread(target=draw)
    builders = [threading.Thread(target=build) for _ in range(4)]
    drawer.start()
    for thread in builders:
        thread.start()
    for thread in builders:
        thread.join()
    stop.set()
    drawer.join()
    assert not errors and len(built) == 20
    for trainer in built:
        assert_identical(dict(trainer.generator.state_dict()), dict(alone.generator.state_dict()))
        assert_identical(
            dict(trainer.discriminator.state_dict()), dict(alone.discriminator.state_dict())
        )


# ---- the GAN in 2-D -----------------------------------------------------------------------


def gan2d_job(**overrides) -> GAN2DJob:
    settings = dict(
        generator_width=16, discriminator_width=16, batch_size=64, k=2, seed=3, head_start=2
    )
    return GAN2DJob(ring(), GAN2DSettings(**{**settings, **overrides}))


def gan2d_views(job: GAN2DJob) -> None:
    """The plane (D's field, G's points, arrows and bent noise), the quality measures and the
    slow-motion frames the 2-D page draws."""
    job.pictures()
    job.field()
    job.arrows(job.trainer.fixed_samples())
    job.manifold()
    job.quality()
    job.slow_motion_frames()
    others_draw()


def test_2d_gan_views_leave_the_run_as_it_was():
    headless, watched = gan2d_job(), gan2d_job()
    records = trained(headless)
    assert_identical(trained(watched, gan2d_views), records, "records")
    assert_identical(gan_state(watched.trainer), gan_state(headless.trainer))


def test_a_slow_motion_step_is_the_step_training_takes():
    """Stepping in slow motion (an explicit training step) follows the same run."""
    headless, slow = gan2d_job(head_start=0), gan2d_job(head_start=0)
    trained(headless, steps=12)
    for step in range(12):
        slow.slow_motion_step() if step % 3 == 1 else slow.train_step()
    assert_identical(gan_state(slow.trainer), gan_state(headless.trainer))


# ---- RBM up close -------------------------------------------------------------------------

BARS = bars_and_stripes(3)


def exact_job(method: str) -> ExactRBMJob:
    settings = ExactSettings(hidden_units=4, method=method, k=2, learning_rate=0.2, seed=3)
    return ExactRBMJob(BARS, settings)


def exact_views(job: ExactRBMJob) -> None:
    """The distribution, a batch taken apart (and not applied), the gradients compared."""
    job.pictures()
    job.measure()
    job.slow_motion()
    job.compare_gradients(n_batches=10)
    others_draw()


def exact_state(job: ExactRBMJob) -> dict:
    learners = {"yours": job.yours, **job.references}
    return {
        "learners": {
            name: {
                "parameters": dict(learner.rbm.state_dict()),
                "chains": learner.trainer.persistent_hidden,
                "random": random_state(learner.trainer.random),
            }
            for name, learner in learners.items()
        },
        "batches": job.batches.bit_generator.state,
        "steps": job.steps_done,
    }


@pytest.mark.parametrize("method", ["CD", "PCD", "exact"])
def test_rbm_up_close_views_leave_the_run_as_it_was(method):
    headless, watched = exact_job(method), exact_job(method)
    records = trained(headless)
    assert_identical(trained(watched, exact_views), records, "records")
    assert_identical(exact_state(watched), exact_state(headless))


def test_applying_a_slow_motion_update_takes_the_batch_it_showed():
    """An applied update is a step on the next batch: the batches go on as after a step."""
    shown, stepped = exact_job("PCD"), exact_job("PCD")
    trained(shown, steps=3)
    trained(stepped, steps=3)
    update = shown.slow_motion()
    assert_identical(shown.slow_motion().v, update.v)  # taking it apart twice: one batch
    shown.take_update(update)
    assert_identical(update.v, stepped.next_batch().numpy())
    assert shown.batches.bit_generator.state == stepped.batches.bit_generator.state


# ---- views drawn from another thread while the worker trains ------------------------------


def rbm_page(run: TrainingRun) -> None:
    """What the RBM page draws: views between two updates, dreams and AIS on a copy while
    training goes on."""
    run.read(lambda trained: rbm_views(trained.job))

    def frozen(trained):
        job = trained.job
        twin = copy.copy(job)
        twin.rbm = copy.deepcopy(job.rbm)
        return twin

    twin = run.read(frozen)
    twin.dreams("annealed", 8, 10, seed=7)
    twin.estimate_log_likelihood(n_betas=20)


def gan_page(run: TrainingRun) -> None:
    run.read(lambda trained: gan_views(trained.job))


class OnOneThread:
    """A job that trains on one torch thread in whichever thread steps it (the run's worker
    as the headless run here)."""

    def __init__(self, job) -> None:
        self.job = job

    def __getattr__(self, name: str):
        if name == "job":  # not set yet (a copy being made)
            raise AttributeError(name)
        return getattr(self.job, name)

    def train_step(self) -> dict[str, float]:
        threads_for_this_thread(1)
        return self.job.train_step()


@pytest.mark.parametrize("kind", ["RBM", "GAN"])
def test_a_page_drawing_while_the_worker_trains_ends_where_a_headless_run_does(digits, judge, kind):
    make = {
        "RBM": lambda: rbm_job(digits, persistent=True),
        "GAN": lambda: gan_job(digits, judge, average_decay=0.9),
    }[kind]
    page = {"RBM": rbm_page, "GAN": gan_page}[kind]
    state = {"RBM": rbm_state, "GAN": lambda job: gan_state(job.trainer)}[kind]
    run = TrainingRun(OnOneThread(make()), picture_interval=0.002, caps=Caps(max_steps=5000))
    stop, drawn, errors = threading.Event(), [0], []

    def draw() -> None:
        threads_for_this_thread(1)
        try:
            while not stop.is_set():
                page(run)
                run.snapshot()
                drawn[0] += 1
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    page_thread = threading.Thread(target=draw, name="page")
    run.start()
    page_thread.start()
    try:
        wait_for(lambda: errors or (run.snapshot().steps >= 40 and drawn[0] >= 4), timeout=30)
    finally:
        run.pause()
        stop.set()
        page_thread.join()
    assert not errors, errors
    snapshot = run.snapshot()
    assert snapshot.state != FAILED, snapshot.message
    headless = make()
    for _ in range(snapshot.steps):
        headless.train_step()
    assert_identical(state(run.job.job), state(headless))
    run.release()


def test_the_share_dialog_says_what_a_seed_promises():
    from streamlit.testing.v1 import AppTest

    def page():
        import streamlit as st

        from pages.kit.presenter import share_for_class
        from pages.settings.table import Setting

        st.session_state.setdefault("seed", 3)
        share_for_class((Setting("seed", "seed", 0, low=0),))

    app = AppTest.from_function(page).run()
    promise = [caption.value for caption in app.caption if "seed" in caption.value]
    assert len(promise) == 1
    assert "same machine" in promise[0] and "library versions" in promise[0]
