"""What both pages share: the process-wide dataset cache, settings from the link, the status
line of a run, and the downloads row. (Not a page: navigation.py does not list it.)"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import streamlit as st

from app_pages import live_line
from core.data import load_dataset
from core.links import Setting, link_values, read_link
from core.training import FAILED, FINISHED, TRAINING, TrainingRun, refresh_periods
from core.viz import history_csv


@st.cache_resource(show_spinner="Loading the dataset…")
def cached_dataset(name: str):
    """Datasets are loaded once per process and shared read-only by every session."""
    return load_dataset(name)


def settings_from_link(prefix: str, link: Sequence[Setting]) -> None:
    """On a session's first run, take the settings from the link into the widgets' state
    (widgets are then created without defaults) and show a notice for each refused value."""
    if f"{prefix}_link_read" not in st.session_state:
        st.session_state[f"{prefix}_link_read"] = True
        values, notices = read_link(st.query_params.to_dict(), link)
        for setting in link:
            st.session_state.setdefault(setting.widget, values.get(setting.widget, setting.default))
        st.session_state[f"{prefix}_link_notices"] = notices
    for notice in st.session_state.get(f"{prefix}_link_notices", []):
        st.warning(notice, icon=":material/link_off:")


def settings_to_link(link: Sequence[Setting]) -> None:
    """Write the widgets' current values to the address bar, so the link reproduces them."""
    st.query_params.from_dict(link_values(st.session_state, link))


def control_row(controls) -> None:
    """One row of buttons from (label, material icon, callback, disabled) rows. Callbacks run
    before the page is drawn, so every button shows the state after the click."""
    for column, (label, icon, action, disabled) in zip(
        st.columns(len(controls)), controls, strict=True
    ):
        column.button(
            label, icon=f":material/{icon}:", on_click=action, disabled=disabled, width="stretch"
        )


def live_period(run: TrainingRun, base: float) -> float | None:
    """run_every for the page's live fragment, set from the server's load (SlotPool.load) at
    this full rerun; None when the run does not train. Where the status line moves by itself
    (live_line.served), the fragment only redraws the charts: their period in
    refresh_periods; otherwise the status line's.

    It is kept until the page's next full rerun (a click, a setting): a fragment that
    calls st.rerun() to take new ones races Streamlit's own queue of messages on a busy
    server. Under load the browser's timers ask for fragment reruns faster than the server
    sends them; a full rerun started from a fragment then lost the fragments' elements, and
    the next delta into them blanked the page ("Cannot set a node at a delta path": one page
    in twenty, within a minute, in the load test)."""
    if run.state != TRAINING:
        return None
    status, charts = refresh_periods(run.slots.load(), base)
    return charts if live_line.served else status


def charts_cadence(timer: float, period: float) -> float:
    """How often charts_snapshot gives a fragment on a ``timer`` a new snapshot when the load
    asks for one every ``period``: at the first tick at least period − timer/2 after the last."""
    return timer * max(1, math.ceil(period / timer - 0.5 - 1e-9))


def charts_snapshot(run: TrainingRun, holder: dict, base: float, timer: float | None):
    """The snapshot a page's live fragment draws its charts from: a fresh one once the chart
    period that the server's load (SlotPool.load) asks for now has passed since the last,
    else the last one again.

    Drawn again from the same snapshot, the pictures are the same bytes, which Streamlit
    sends as references to messages the browser already holds, and the browser has nothing
    to decode: so the status line refreshes at the fragment's period while the charts follow
    the load, and a page drawn while few runs trained (its timer set then) still redraws its
    charts less often when a class starts training after it, without the whole-page rerun
    that a fragment must not start (see live_period). ``timer`` is the fragment's own period:
    at no more load than when it was set, every run draws afresh."""
    redraw_if_released(run)
    now = time.monotonic()
    job = id(run.job)  # a Reset installs a new job in the same run
    last = holder.get("charts_snapshot")
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
    holder["charts_snapshot"] = (now, snapshot, job)
    return snapshot


def drawn_once(holder: dict, name: str, snapshot, options, draw):
    """``draw()`` once per snapshot (and ``options``): the live fragment draws the same
    snapshot's charts again at every refresh until the load lets a new one in (see
    charts_snapshot), and a chart drawn afresh each time would cost the server what the
    browser saves."""
    cache = holder.setdefault("drawn", {})
    last = cache.get(name)
    if last is not None and last[0] is snapshot and last[1] == options:
        return last[2]
    picture = draw()
    cache[name] = (snapshot, options, picture)  # the snapshot kept: its id is not reused
    return picture


def redraw_if_released(run: TrainingRun) -> None:
    """From a fragment: redraw the whole page when the session's run has been released (its
    session's cache was cleared, e.g. by "Clear cache"): the page then makes a new run, where
    the fragment's timer would otherwise keep drawing the released one, which has no model.
    Rare, so the whole-page rerun from a fragment is acceptable here."""
    if run.job is None:
        st.rerun()


def live_status_view(
    run: TrainingRun,
    holder: dict,
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
            line = page_line(holder, run, detail, timer, base)
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
    holder: dict, run: TrainingRun, detail, timer: float | None, base: float
) -> live_line.LiveLine:
    """The session's live line (one per page's holder, so it goes with the session), showing
    ``run`` with the page's ``detail`` and periods of this rerun."""
    line = holder.get("live_line")
    if line is None:
        line = holder["live_line"] = live_line.LiveLine(line_fields)
    line.run, line.detail, line.timer, line.base = run, detail, timer, base
    return line


def line_fields(line: live_line.LiveLine) -> dict | None:
    """A live line's fields now; None once its run is released (the page then makes a new
    one at its next full rerun)."""
    run = line.run
    if run.job is None:
        return None
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
    notice = ""
    if snapshot.waiting >= 0:
        notice = (
            f"Waiting for a free training slot ({snapshot.waiting} ahead): this server trains "
            f"{run.slots.size} run(s) at a time, and the runs take short turns (all of them "
            f"within about {run.slots.slice_seconds:g} s), so every visitor's model moves on."
        )
    return {
        "state": snapshot.state,
        "label": snapshot.state.capitalize(),
        "steps": snapshot.steps,
        "rest": f"{detail}, {snapshot.seconds:.1f} s of training{busy}",
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
        notice.info(fields["notice"], icon=":material/hourglass_top:")


def model_and_history_downloads(columns, model: tuple, snapshot, prefix):
    """The model file and the history CSV, in the first two of ``columns``; each file is made
    when its button is clicked (``model``'s data is a function), not at every rerun."""
    label, data, file_name, help_text = model
    columns[0].download_button(
        label,
        data,
        file_name,
        "application/octet-stream",
        icon=":material/download:",
        width="stretch",
        help=help_text,
        on_click="ignore",  # a download needs no rerun
    )
    columns[1].download_button(
        "History (CSV)",
        lambda: history_csv(snapshot.history),
        f"{prefix}_history.csv",
        "text/csv",
        icon=":material/download:",
        width="stretch",
        disabled=not snapshot.history,
        help="One row per step; after a long run, every "
        f"{snapshot.history_stride}th step (and every evaluation) is kept.",
        on_click="ignore",  # a download needs no rerun
    )


def upload_message(holder: dict) -> None:
    """The outcome of the last checkpoint upload, if any."""
    if holder.get("upload_message"):
        kind, text = holder["upload_message"]
        getattr(st, kind)(text)
