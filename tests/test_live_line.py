"""The live status line's route: what it serves for a page's run, and when it stops."""

from __future__ import annotations

import gc
import json
import time

import pytest
from starlette.requests import Request

from app_pages import common, live_line
from core.training import RBMJob, RBMJobSettings, SlotPool, TrainingRun, close_session_run


def wait_for(condition, timeout=10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def ask(token: str) -> tuple[int, dict, str]:
    """GET the route for ``token`` as Starlette hands it to the endpoint."""
    request = Request(
        {
            "type": "http",
            "method": "GET",
            "path": live_line.served_path,
            "query_string": f"line={token}".encode(),
            "headers": [],
        }
    )
    response = live_line.status_endpoint(request)
    return response.status_code, json.loads(response.body), response.headers["cache-control"]


def detail(snapshot) -> str:
    return f", epoch {snapshot.latest.get('epoch', 0.0):.2f} of 200"


def test_the_route_serves_a_page_its_own_run_until_the_session_ends(digits):
    pool = SlotPool(2)
    runs = [
        TrainingRun(RBMJob(digits, RBMJobSettings(hidden_units=h, epochs=200)), slots=pool)
        for h in (8, 9)
    ]
    holders = [{"run": run, "dataset": "digits"} for run in runs]
    lines = [common.page_line(h, run, detail) for h, run in zip(holders, runs, strict=True)]
    assert common.page_line(holders[0], runs[0], detail) is lines[0]  # one per page
    assert lines[0].token != lines[1].token and len(lines[0].token) >= 24
    runs[0].start()
    try:
        wait_for(lambda: runs[0].snapshot().steps > 5)
        code, fields, cache = ask(lines[0].token)
        assert code == 200 and cache == "no-store"
        assert fields["state"] == "training" and fields["label"] == "Training"
        assert (
            fields["steps"] >= 5
            and "of 200" in fields["rest"]
            and "s of training" in fields["rest"]
        )
        assert fields["notice"] == ""
        code, later, _ = ask(lines[0].token)
        assert later["steps"] >= fields["steps"]
        # the other page's line: its own run, which has not started
        code, other, _ = ask(lines[1].token)
        assert code == 200 and other["state"] == "idle" and other["steps"] == 0
        assert ask("not-a-line")[0] == 404
        runs[0].pause()
        assert ask(lines[0].token)[1]["state"] == "paused"  # what makes the page redraw itself
    finally:
        for holder in holders:
            close_session_run(holder)  # the sessions end
    # released, the runs no longer have a model: their lines are gone at once ...
    assert ask(lines[0].token) == (404, {"state": "gone"}, "no-store")
    token = lines[1].token
    del lines, holders
    gc.collect()
    assert live_line.line_for(token) is None  # ... and forgotten with their sessions


def test_a_waiting_run_says_so_in_the_line(digits):
    pool = SlotPool(1, slice_seconds=30.0, min_turn_seconds=30.0)
    first, second = (
        TrainingRun(RBMJob(digits, RBMJobSettings(hidden_units=8, epochs=200)), slots=pool)
        for _ in range(2)
    )
    holder = {"run": second}
    line = common.page_line(holder, second, lambda snapshot: "")
    first.start()
    try:
        wait_for(lambda: first.snapshot().steps > 0)
        second.start()
        wait_for(lambda: second.snapshot().waiting == 0)
        code, fields, _ = ask(line.token)
        assert code == 200 and fields["state"] == "training"
        assert fields["notice"].startswith("Waiting for a free training slot (0 ahead)")
    finally:
        first.release()
        second.release()


@pytest.mark.parametrize("served, expected", [(False, 0.7), (True, 3.2)])
def test_with_the_route_the_fragment_runs_only_for_the_charts(
    digits, monkeypatch, served, expected
):
    """Twenty open pages: the status line every 0.7 s and the charts every 3.2 s. With the
    route the line moves by itself, and the fragment (a redraw of the whole page in the
    browser) runs at the charts' period."""
    monkeypatch.setattr(live_line, "served", served)
    pool = SlotPool(1)
    runs = [
        TrainingRun(RBMJob(digits, RBMJobSettings(hidden_units=8, epochs=200)), slots=pool)
        for _ in range(20)
    ]
    runs[0].start()
    try:
        wait_for(lambda: runs[0].snapshot().steps > 0)
        assert common.live_period(runs[0], 0.4) == expected
    finally:
        for run in runs:
            run.release()
