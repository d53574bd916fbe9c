"""A lone run gets the machine's cores when that is faster, a run among others its share, and
Pause stays fast either way."""

from __future__ import annotations

import time

import pytest
import torch

from core.training import process
from core.training.rbm_job import RBMJob, RBMJobSettings
from core.training.runs import TrainingRun
from core.training.slots import SlotPool
from core.training.threads import (
    SETTLE_SECONDS,
    TRIAL_SECONDS,
    TRIAL_STEPS,
    TURNS,
    ThreadChoice,
)
from pages.kit.live import status_fields
from tests.helpers import wait_for


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run_trial(choice: ThreadChoice, clock: Clock, seconds_per_step: dict[int, float]) -> int:
    """Steps on whatever count the choice asks for, each taking its count's time, until the
    trials are over; the count it then keeps."""
    tried = []
    for _ in range(10_000):
        count = choice.count(alone=True)
        tried.append(count)
        clock.now += seconds_per_step[count]
        choice.stepped()
        if not choice.trying:
            turns = [c for i, c in enumerate(tried) if i == 0 or tried[i - 1] != c]
            expected = [choice.lone, choice.shared] * TURNS  # alternating turns (the last
            assert turns == expected[len(expected) - len(turns) :]  # of a trial under way)
            return choice.count(alone=True)
    raise AssertionError("the trials never ended")


@pytest.mark.parametrize("faster, slower", [(4, 1), (1, 4)])
def test_a_lone_worker_keeps_the_faster_count(faster, slower):
    # in the page, with a browser on the same two cores, one thread was the faster for both
    # the RBM and the GAN (11.4 GAN steps/s against 6.2 on two; headless, two do 18.4)
    clock = Clock()
    choice = ThreadChoice(shared=1, lone=4, clock=clock)
    kept = run_trial(choice, clock, {faster: 0.01, slower: 0.03})
    assert kept == faster
    assert choice.rates[faster] == pytest.approx(100, rel=0.05)
    assert choice.rates[slower] == pytest.approx(100 / 3, rel=0.05)


def test_each_count_is_timed_long_enough_and_the_first_step_is_not_timed():
    clock = Clock()
    choice = ThreadChoice(shared=1, lone=2, clock=clock)
    assert choice.count(alone=True) == 2  # every core first
    clock.now += 5.0  # a first step on a new count: slow (threads start), not counted
    choice.stepped()
    for _ in range(TRIAL_STEPS - 1):
        clock.now += TRIAL_SECONDS  # long steps: the trial still waits for enough of them
        choice.stepped()
        assert choice.count(alone=True) == 2
    clock.now += TRIAL_SECONDS
    choice.stepped()
    assert choice.rates == {2: pytest.approx(1 / TRIAL_SECONDS)}
    assert choice.count(alone=True) == 1  # now the shared count is timed


def test_others_training_get_the_shared_count_and_a_pause_restarts_the_trial():
    clock = Clock()
    choice = ThreadChoice(shared=1, lone=2, clock=clock)
    choice.count(alone=True)
    choice.stepped()
    clock.now += 0.5
    choice.stepped()
    assert choice.count(alone=False) == 1  # a second run came
    clock.now += 60  # it trains a while; this worker's time then must not count
    assert choice.count(alone=True) == 2
    choice.stepped()  # warms up again, untimed
    clock.now += 0.1
    choice.stepped()
    assert choice.rates == {}


def test_time_spent_among_other_runs_never_counts_in_a_trial():
    # a step taken while others train (waiting for the slot included) must not be timed as
    # a turn of the shared count: it once made a long wait look like a slow count
    clock = Clock()
    choice = ThreadChoice(shared=1, lone=2, clock=clock)
    while choice.count(alone=True) == 2:  # the first turn, on every core
        clock.now += 0.05
        choice.stepped()
    assert choice.count(alone=False) == 1  # the shared count's turn is next: another run
    clock.now += 0.05
    choice.stepped()
    clock.now += 10.0  # a long wait for the slot, after which this run is alone again
    assert run_trial(choice, clock, {2: 0.05, 1: 0.05 * 0.9}) == 1  # one thread is faster
    assert choice.rates[1] == pytest.approx(20 / 0.9, rel=0.05)


def test_the_choice_is_timed_again_after_a_while():
    clock = Clock()
    choice = ThreadChoice(shared=1, lone=2, clock=clock)
    assert run_trial(choice, clock, {2: 0.01, 1: 0.02}) == 2
    clock.now += SETTLE_SECONDS / 2
    assert choice.count(alone=True) == 2 and len(choice.rates) == 2
    clock.now += SETTLE_SECONDS  # conditions may have changed (a browser, another page)
    assert run_trial(choice, clock, {2: 0.03, 1: 0.02}) == 1


def test_one_core_means_one_count():
    choice = ThreadChoice(shared=1, lone=1)
    assert choice.count(alone=True) == 1 and choice.count(alone=False) == 1


class CountingJob(RBMJob):
    """A real RBM job that notes how many threads torch had for each of its steps."""

    seen: list[int]

    def train_step(self):
        self.seen.append(torch.get_num_threads())
        return super().train_step()


def counting_run(digits, pool: SlotPool) -> TrainingRun:
    job = CountingJob(digits, RBMJobSettings(hidden_units=64, batch_size=100, epochs=200))
    job.seen = []
    return TrainingRun(job, slots=pool)


@pytest.mark.skipif(process.usable_cores() < 2, reason="needs two cores")
def test_a_lone_run_trains_on_every_core_and_shares_them_when_another_starts(digits):
    cores = process.usable_cores()
    pool = SlotPool(1, slice_seconds=0.2, worker_threads=1)
    first, second = counting_run(digits, pool), counting_run(digits, pool)
    first.start()
    try:
        # alone: the first trial is on every core, and the status line says so
        seen = []
        wait_for(
            lambda: (
                cores in first.job.seen
                and seen.append(first.snapshot()) is None
                and seen[-1].threads == cores
            )
        )
        fields = status_fields(first, seen[-1], "", None, None)
        assert f"on {cores} CPU threads" in fields["rest"]
        second.start()  # a second visitor: both train on the shared count, in turns
        steps = {run: run.snapshot().steps for run in (first, second)}
        wait_for(lambda: all(run.snapshot().steps > steps[run] + 20 for run in (first, second)))
        for run in (first, second):
            recent = run.job.seen[-10:]
            assert recent == [1] * 10, recent
        started = time.perf_counter()
        first.pause()
        assert time.perf_counter() - started < 0.5
        second.pause()
        before = len(second.job.seen)
        second.start()  # alone again: every core again (the trial begins anew)
        wait_for(lambda: cores in second.job.seen[before:])
    finally:
        first.close()
        second.close()
