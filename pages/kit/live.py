"""The live view of a training page: one fragment that redraws the status line and the
charts while the run trains, at periods that follow the server's load."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import streamlit as st

from core.training.runs import FAILED, FINISHED, TRAINING, RunSnapshot, TrainingRun
from pages.kit import live_line
from pages.kit.session import PageSession
from pages.kit.widgets import picture_columns


def refresh_periods(load: int, base: float) -> tuple[float, float]:
    """How often a page redraws while its run trains: (status line, charts and pictures),
    at a server ``load`` (SlotPool.load: runs training, or open, on this server).

    Charts and image grids are most of what a refresh costs, on the server and in every
    visitor's browser. With more runs on the server they are redrawn less often (down to
    every 8 base periods), while the status line with the step counter keeps moving at least
    every 0.7 s: every visitor still sees their model advance.
    """
    if load <= 3:
        return base, base
    if load <= 6:
        return base, 2 * base
    if load <= 12:
        return max(base, 0.6), 4 * base
    return max(base, 0.7), 8 * base


def live_fragment(
    session: PageSession,
    prefix: str,
    base: float,
    *,
    detail: Callable[[RunSnapshot], str],
    help: str,
    finished: Callable,
    draw: Callable[[float | None], None],
) -> None:
    """The page's one live fragment: the status line (which moves by itself between the
    fragment's runs where the server has the live route), then ``draw(timer)``: the charts
    and pictures, from a new snapshot only as often as the server's load allows (see
    charts_snapshot). Every fragment run costs each browser a redraw of the whole page, so
    one fragment, not two. ``base`` is the page's refresh period alone on the server."""
    run = session.run
    timer = live_period(run, base)

    @st.fragment(run_every=timer)
    def live() -> None:
        run.watched()  # a run nobody's page refreshes rests (TrainingRun.rest_unwatched_after)
        live_status_view(run, session, prefix, detail, help, timer, base, finished)
        draw(timer)

    st.session_state[f"{prefix}_was_training"] = run.state == TRAINING
    live()
    if timer is None:
        reconnect_rerun()


@st.fragment(run_every=60)
def reconnect_rerun() -> None:
    """Nothing, once a minute. A browser that reconnects (to a restarted server, or to another
    replica) reruns the page only where a fragment has a timer; without one, a paused page
    would go on showing a model that the new session does not have."""


def live_period(run: TrainingRun, base: float) -> float | None:
    """run_every for the page's live fragment, from the server's load at this full rerun;
    None when the run does not train. Where the status line moves by itself
    (live_line.served), the fragment only redraws the charts: their period; otherwise the
    status line's. Kept until the next full rerun: a fragment that reruns the whole page to
    take new periods blanked pages under load (docs/architecture.md)."""
    if run.state != TRAINING:
        return None
    status, charts = refresh_periods(run.slots.load(), base)
    return charts if live_line.served else status


def charts_cadence(timer: float, period: float) -> float:
    """How often charts_snapshot gives a fragment on a ``timer`` a new snapshot when the load
    asks for one every ``period``: at the first tick at least period − timer/2 after the last."""
    return timer * max(1, math.ceil(period / timer - 0.5 - 1e-9))


def charts_snapshot(run: TrainingRun, session: PageSession, base: float, timer: float | None):
    """The snapshot the live fragment draws its charts from: a fresh one once the chart period
    that the server's load asks for now has passed since the last, else the last one again.

    Drawn again from the same snapshot, the pictures are the same bytes, which Streamlit
    sends as references the browser already holds: so the charts follow the load without a
    whole-page rerun. ``timer`` is the fragment's own period."""
    redraw_if_released(run)
    now = time.monotonic()
    job = id(run.job)  # a Reset installs a new job in the same run
    last = session.charts_snapshot
    if (
        last is not None
        and last[2] == job
        and timer
        and run.state == TRAINING
        and last[1].state == TRAINING
    ):
        _, period = refresh_periods(run.slots.load(), base)
        if period > timer and now - last[0] < period - timer / 2:  # due at the nearest tick
            return last[1]
    snapshot = run.snapshot()
    session.charts_snapshot = (now, snapshot, job)
    return snapshot


def drawn_once(session: PageSession, name: str, snapshot, options, draw):
    """``draw()`` once per snapshot (and ``options``): the live fragment draws the same
    snapshot's charts again at every refresh until the load lets a new one in (see
    charts_snapshot), and a chart drawn afresh each time would cost the server what the
    browser saves."""
    cache = session.drawn
    last = cache.get(name)
    if last is not None and last[0] is snapshot and last[1] == options:
        return last[2]
    picture = draw()
    cache[name] = (snapshot, options, picture)  # the snapshot kept: its id is not reused
    return picture


def curves_beside(session: PageSession, snapshot, key: str, options, draw, controls=None):
    """The live view's two columns: on the right the curve panels (pictures, drawn once per
    snapshot and ``options``), in a container the tests find by ``key``, under the widgets
    ``controls()`` draws (a log-scale toggle, say); the left column is returned for the
    pictures to watch. On a phone the columns stack, the left one first."""
    left, right = st.columns([2, 3], gap="medium")
    with right.container(key=key):
        if controls is not None:
            controls()
        picture_columns(drawn_once(session, "curves", snapshot, options, draw))
    return left


def redraw_if_released(run: TrainingRun) -> None:
    """From a fragment: redraw the whole page when the session's run has been released (its
    session's cache was cleared, e.g. by "Clear cache"): the page then makes a new run, where
    the fragment's timer would otherwise keep drawing the released one, which has no model.
    Rare, so the whole-page rerun from a fragment is acceptable here."""
    if run.job is None:
        st.rerun()


def live_status_view(
    run: TrainingRun,
    session: PageSession,
    prefix: str,
    detail,
    help: str,
    timer: float | None,
    base: float,
    finished,
) -> None:
    """The top of a page's live fragment (``timer``: its period): a failed or finished run's
    message, the status line (``detail(snapshot)`` after the step counter; ``finished`` shows
    the end message), and a whole-page redraw when training has ended.

    While the run trains on a server with the live route (live_line.served) and the fragment
    runs less often than the line should move (refresh_periods), the line is the live-line
    component, which asks the server for its fields at the status period; else it is drawn
    here, at every run of the fragment."""
    redraw_if_released(run)
    snapshot = run.snapshot(history=False)
    message = st.empty()  # the same elements at every refresh, shown or not
    if snapshot.state == FAILED:
        message.error(f"Training stopped: {snapshot.message} Press Reset to start again.")
    elif snapshot.state == FINISHED:
        finished(message, snapshot.message)
    fields = None
    if live_line.served and snapshot.state == TRAINING:
        status_every = refresh_periods(run.slots.load(), base)[0]
        if not timer or timer > status_every:  # else the fragment moves the line often enough
            line = page_line(session, run, detail, timer, base)
            fields = line.fields()
            if fields is not None and fields["state"] != TRAINING:
                snapshot = run.snapshot(history=False)  # it has just ended: draw the end
    if fields is not None and fields["state"] == TRAINING:
        live_line.live_line_view(line, fields, status_every, help, key=f"{prefix}_live_line")
    else:
        status_line(run, snapshot, detail(snapshot), help, timer=timer, base=base)
    if snapshot.state != TRAINING and st.session_state.get(f"{prefix}_was_training", False):
        st.rerun()  # training has ended: the buttons and the timers change (once per run)


def page_line(
    session: PageSession, run: TrainingRun, detail, timer: float | None, base: float
) -> live_line.LiveLine:
    """The session's live line (one per page session, so it goes with the session), showing
    ``run`` with the page's ``detail`` and periods of this rerun."""
    line = session.live_line
    if line is None:
        line = session.live_line = live_line.LiveLine(line_fields)
    line.run, line.detail, line.timer, line.base = run, detail, timer, base
    return line


def line_fields(line: live_line.LiveLine) -> dict | None:
    """A live line's fields now; None once its run is released (the page then makes a new
    one at its next full rerun)."""
    run = line.run
    if run.job is None:
        return None
    run.watched()  # the line asks only while its page is on screen: someone watches
    snapshot = run.snapshot(history=False)
    return status_fields(run, snapshot, line.detail(snapshot), line.timer, line.base)


def status_fields(
    run: TrainingRun, snapshot, detail: str, timer: float | None, base: float | None
) -> dict:
    """A run's status line in parts: its state, the state's label, the step count, the rest
    (``detail``, the time trained and how often its charts redraw when a busy server has
    slowed them beyond the page's ``base`` period; ``timer`` is the live fragment's period,
    which they follow at most), a notice while it waits for a slot ("" otherwise), and when
    they were taken (the server's monotonic clock, so that the page shows the latest)."""
    taken = time.monotonic()
    busy = ""
    if timer and base and snapshot.state == TRAINING:
        load = run.slots.load()
        charts_every = charts_cadence(timer, refresh_periods(load, base)[1])
        if charts_every > base:
            busy = f" · charts every {charts_every:.1f} s while {load} runs are open here"
    cores = ""
    if snapshot.state == TRAINING and snapshot.waiting < 0:
        if snapshot.device:  # a GPU: its name says more than the CPU threads queuing its work
            cores = f" · on {snapshot.device}"
        elif snapshot.threads:
            cores = f" · on {snapshot.threads} CPU thread{'s' if snapshot.threads > 1 else ''}"
    notice = ""
    if snapshot.waiting >= 0:
        notice = (  # one short line: it must not push the pictures below the fold
            f"Waiting for a free training slot ({snapshot.waiting} ahead): {run.slots.size} "
            f"run(s) train at a time here, in turns of {run.slots.slice_seconds:g} s or less, "
            "so every model moves on."
        )
    return {
        "state": snapshot.state,
        "label": snapshot.state.capitalize(),
        "steps": snapshot.steps,
        "rest": f"{detail}, {snapshot.seconds:.1f} s of training{cores}{busy}"
        + (f" · {snapshot.rested}" if snapshot.rested else ""),
        "notice": notice,
        "at": taken,
    }


def status_line(
    run: TrainingRun,
    snapshot,
    detail: str,
    help: str,
    timer: float | None = None,
    base: float | None = None,
) -> None:
    """State, step counter and time of a run (see status_fields), drawn by Streamlit; a
    notice while it waits for a slot."""
    fields = status_fields(run, snapshot, detail, timer, base)
    st.markdown(f"**{fields['label']}** — step **{fields['steps']}**{fields['rest']}", help=help)
    # One slot whether or not the notice shows: the live view keeps the same elements from
    # one refresh to the next (the notice comes and goes many times a second under load).
    notice = st.empty()
    if fields["notice"]:
        notice.caption(f":material/hourglass_top: {fields['notice']}")
