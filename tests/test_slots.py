"""Runs that share the training slots: turns, waiting, and how short the turns get."""

from __future__ import annotations

import time

import pytest

from core.training.rbm_job import RBMJob, RBMJobSettings
from core.training.runs import TrainingRun
from tests.helpers import wait_for


def test_runs_share_training_slots_in_turn_and_a_waiting_run_says_so(digits):
    from core.training.slots import SlotPool

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


@pytest.mark.slow
def test_with_many_runs_the_turns_shorten_so_every_run_moves_on_often(digits):
    from core.training.slots import SlotPool

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
