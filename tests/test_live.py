"""A page's live view: refresh periods that follow the load, charts drawn once per snapshot,
and what happens when a session ends."""

from __future__ import annotations

import gc
import itertools
import time
import weakref

import pytest

from core.training.rbm_job import RBMJob, RBMJobSettings
from core.training.runs import FINISHED, PAUSED, TrainingRun
from pages.kit import live
from pages.kit.session import PageSession, close_session
from tests.helpers import rbm_run, wait_for


def test_the_load_counts_open_pages_before_they_train(digits):
    """A class opens the page, then presses Start one after another: the first Starts must
    already see the class (a page keeps the timers of its last full rerun), and a run that is
    released or collected stops counting."""
    from core.training.slots import SlotPool
    from pages.kit.live import live_period

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
    from pages.kit.live import refresh_periods

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
    run = rbm_run(digits, epochs=200)
    session = PageSession(run=run)
    run.start()
    try:
        wait_for(lambda: run.snapshot().steps > 0)
        load = {"periods": (0.4, 0.4)}  # as when the page was drawn: every run draws afresh
        monkeypatch.setattr(live, "refresh_periods", lambda runs, base: load["periods"])
        first = live.charts_snapshot(run, session, 0.4, 0.4)
        time.sleep(0.1)  # even a timer that fires early
        second = live.charts_snapshot(run, session, 0.4, 0.4)
        assert second is not first and second.steps > first.steps
        load["periods"] = (0.7, 3.2)  # a class started training: charts every 3.2 s
        time.sleep(0.4)
        assert live.charts_snapshot(run, session, 0.4, 0.4) is second  # drawn again, same data
        monkeypatch.setattr(time, "monotonic", lambda real=time.monotonic: real() + 3.2)
        assert live.charts_snapshot(run, session, 0.4, 0.4) is not second  # due again
        current = live.charts_snapshot(run, session, 0.4, 0.4)
        run.reset(RBMJob(digits, RBMJobSettings(hidden_units=16, batch_size=20, epochs=200)))
        run.start()  # a Reset and Start under the same load: the new job's snapshot at once
        wait_for(lambda: run.snapshot().steps > 0)
        assert live.charts_snapshot(run, session, 0.4, 0.4) is not current
        run.pause()
        paused = live.charts_snapshot(run, session, 0.4, None)  # paused: the current state
        assert paused.state == PAUSED
    finally:
        run.close()


@pytest.mark.parametrize(("timer", "period"), [(0.7, 3.2), (0.6, 1.6), (0.4, 0.8), (0.4, 0.4)])
def test_the_status_line_gives_the_charts_real_cadence(digits, monkeypatch, timer, period):
    """The status line says how often the charts redraw: the figure must be what
    charts_snapshot does with the fragment's timer, not the load's period."""
    run = rbm_run(digits, epochs=200)
    run.start()
    try:
        wait_for(lambda: run.snapshot().steps > 0)
        clock = {"now": 1000.0}
        monkeypatch.setattr(time, "monotonic", lambda: clock["now"])
        monkeypatch.setattr(live, "refresh_periods", lambda load, base: (timer, period))
        session = PageSession(run=run)
        fresh, last = [], None
        for tick in range(60):
            clock["now"] = 1000.0 + tick * timer
            snapshot = live.charts_snapshot(run, session, 0.4, timer)
            if snapshot is not last:
                fresh.append(clock["now"])
                last = snapshot
        gaps = {round(b - a, 6) for a, b in itertools.pairwise(fresh)}
        assert gaps == {round(live.charts_cadence(timer, period), 6)}
    finally:
        run.close()


def test_a_snapshot_s_charts_are_drawn_once(digits):
    """The live fragment draws the same snapshot again until the load lets a new one in; its
    charts are made once per snapshot (and view options), not at every refresh."""
    from pages.kit.live import drawn_once

    run = rbm_run(digits)
    run.step()
    session = PageSession(run=run)
    drawn = []

    def draw(snapshot, options):
        return drawn_once(
            session, "curves", snapshot, options, lambda: drawn.append(1) or f"{len(drawn)}"
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

    class Redraw(Exception):
        pass

    def rerun():
        raise Redraw

    monkeypatch.setattr(live.st, "rerun", rerun)
    run = rbm_run(digits)
    live.charts_snapshot(run, PageSession(run=run), 0.4, 0.4)  # a live run: drawn, no redraw
    run.release()
    with pytest.raises(Redraw):
        live.charts_snapshot(run, PageSession(run=run), 0.4, 0.4)
    with pytest.raises(Redraw):
        live.live_status_view(
            run,
            PageSession(run=run),
            "rbm",
            lambda s: f"{run.job.settings.epochs}",
            "",
            0.4,
            0.4,
            None,
        )


def test_a_released_session_stops_its_run_and_drops_it(digits):
    run = TrainingRun(RBMJob(digits, RBMJobSettings(hidden_units=8, epochs=200)))
    run.start()
    wait_for(lambda: run.snapshot().steps > 3)
    worker = run.worker
    job = weakref.ref(run.job)
    session = PageSession(run=run, made_with="digits")
    session.drawn["curves"] = "a picture of the model"
    close_session(session)
    assert session.run is None and not session.drawn and not worker.is_alive()
    # Streamlit keeps a closed tab's session (and the page's last variables, this run among
    # them) for a while: the run itself must no longer hold the model and its data.
    gc.collect()
    assert job() is None and run.job is None
    run.start()  # a released run does not train again
    assert run.worker is None and run.state == FINISHED
    assert "ended" in run.snapshot().message
    close_session(PageSession())  # a session that never made a run
