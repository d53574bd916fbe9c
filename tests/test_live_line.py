"""The live status line's route: what it serves for a page's run, and when it stops."""

from __future__ import annotations

import asyncio
import gc
import json

import pytest
from starlette.applications import Starlette
from streamlit import config

from core.training.rbm_job import RBMJob, RBMJobSettings
from core.training.runs import TrainingRun
from core.training.slots import SlotPool
from pages.kit import live, live_line
from pages.kit.session import PageSession, close_session
from tests.helpers import wait_for


@pytest.fixture(scope="module")
def server():
    """The route as dashboard.py mounts it, in a Starlette app (Starlette runs the endpoint in
    its thread pool, as in the dashboard)."""
    served = live_line.served
    app = Starlette(routes=live_line.mounted_routes())
    live_line.served = served  # the pages in this process keep drawing the line themselves
    return app


def request(app, path: str, query: str) -> tuple[int, dict, bytes]:
    """GET path?query from the ASGI app: status, headers, body."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8501),
    }
    asyncio.run(app(scope, receive, send))
    headers = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    return sent[0]["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


def asker(app):
    def ask(token: str) -> tuple[int, dict, str]:
        status, headers, body = request(app, "/api/live-status", f"line={token}")
        return status, json.loads(body), headers["cache-control"]

    return ask


def detail(snapshot) -> str:
    return f", epoch {snapshot.latest.get('epoch', 0.0):.2f} of 200"


def test_the_route_serves_a_page_its_own_run_until_the_session_ends(digits, server):
    ask = asker(server)
    pool = SlotPool(2)
    runs = [
        TrainingRun(RBMJob(digits, RBMJobSettings(hidden_units=h, epochs=200)), slots=pool)
        for h in (8, 9)
    ]
    sessions = [PageSession(run=run, made_with="digits") for run in runs]
    lines = [
        live.page_line(s, run, detail, 3.2, 0.4) for s, run in zip(sessions, runs, strict=True)
    ]
    assert live.page_line(sessions[0], runs[0], detail, 3.2, 0.4) is lines[0]  # one per page
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
        # the fragment's timer (3.2 s) against the page's period (0.4 s): the charts' cadence
        assert " · charts every 3.2 s while 2 runs are open here" in fields["rest"]
        code, later, _ = ask(lines[0].token)
        assert later["steps"] >= fields["steps"] and later["at"] > fields["at"]
        # the other page's line: its own run, which has not started
        code, other, _ = ask(lines[1].token)
        assert code == 200 and other["state"] == "idle" and other["steps"] == 0
        assert ask("not-a-line")[0] == 404
        runs[0].pause()
        assert ask(lines[0].token)[1]["state"] == "paused"  # what makes the page redraw itself
    finally:
        for session in sessions:
            close_session(session)  # the sessions end
    # released, the runs no longer have a model: their lines are gone at once ...
    assert ask(lines[0].token) == (404, {"state": "gone"}, "no-store")
    token = lines[1].token
    del lines, sessions
    gc.collect()
    assert live_line.line_for(token) is None  # ... and forgotten with their sessions


def test_a_waiting_run_says_so_in_the_line(digits, server):
    ask = asker(server)
    pool = SlotPool(1, slice_seconds=30.0, min_turn_seconds=30.0)
    first, second = (
        TrainingRun(RBMJob(digits, RBMJobSettings(hidden_units=8, epochs=200)), slots=pool)
        for _ in range(2)
    )
    line = live.page_line(PageSession(run=second), second, lambda snapshot: "", 3.2, 0.4)
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
        assert live.live_period(runs[0], 0.4) == expected
    finally:
        for run in runs:
            run.release()


def test_the_route_sits_under_the_servers_base_path(monkeypatch):
    """Streamlit serves its own routes under server.baseUrlPath; the line's goes there too."""
    monkeypatch.setattr(live_line, "served", False)
    monkeypatch.setattr(live_line, "served_path", live_line.served_path)
    before = config.get_option("server.baseUrlPath")
    config.set_option("server.baseUrlPath", "/class/")
    try:
        routes = live_line.mounted_routes()
    finally:
        config.set_option("server.baseUrlPath", before)
    assert live_line.served and [route.path for route in routes] == ["/class/api/live-status"]
    app = Starlette(routes=routes)
    status, headers, body = request(app, "/class/api/live-status", "line=nobody")
    assert status == 404 and json.loads(body) == {"state": "gone"}
    assert request(app, "/api/live-status", "line=nobody")[0] == 404
    assert headers["cache-control"] == "no-store"
