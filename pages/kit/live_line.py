"""The live status line of a training page, kept moving by the browser rather than by reruns.

Every run of a Streamlit fragment makes Streamlit's front end redraw the whole page in the
browser (every component of it, a large share of the browser's CPU; docs/performance.md),
however little the fragment changes. The status line with its step counter
changes at every refresh; the charts need not. So while a run trains, a small script in the
page (a Streamlit component, mounted in the live fragment) asks the server for the line's
few fields at the status period, over a route of dashboard.py's ``st.App`` (mounted_routes),
and writes them into the line itself, at a small fraction of a redraw's cost; the fragment
reruns only as often as the charts are redrawn. When the run stops training (finished,
paused, failed or released), the script reruns the fragment, which draws the page's new
state.

Served by another entry point (or in AppTest) the route is not there: ``served`` stays False
and the fragment redraws the status line itself at the status period.
"""

from __future__ import annotations

import logging
import secrets
import threading
import weakref
from collections.abc import Callable

import streamlit as st
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

PATH = "api/live-status"  # under the server's base URL path, if it has one
NO_STORE = {"Cache-Control": "no-store"}

served = False  # True once dashboard.py's App has the route (see mounted_routes)
served_path = "/" + PATH
_lines: weakref.WeakValueDictionary[str, LiveLine] = weakref.WeakValueDictionary()
_lock = threading.Lock()
_log = logging.getLogger(__name__)


class LiveLine:
    """A page's status line as the route serves it: ``fields()`` gives the line's state (the
    run's), label, steps, rest, notice and the time they were taken (see
    pages.kit.live.status_fields), or None once the run is released; ``source(line)`` makes
    them from what the page keeps on the line. Owned by the page's PageSession; the route
    forgets it when the session goes."""

    def __init__(self, source: Callable[[LiveLine], dict | None]) -> None:
        self.token = secrets.token_urlsafe(18)  # the page's key to its own line, not guessable
        self._source = source
        with _lock:
            _lines[self.token] = self

    def fields(self) -> dict | None:
        return self._source(self)


def line_for(token: str) -> LiveLine | None:
    with _lock:
        return _lines.get(token)


def status_endpoint(request: Request) -> JSONResponse:
    """GET api/live-status?line=TOKEN: the line's fields as JSON; 404 once the line is gone.
    A plain function, so Starlette runs it in its thread pool, off the event loop."""
    line = line_for(request.query_params.get("line", ""))
    fields = None
    if line is not None:
        try:
            fields = line.fields()
        except Exception:  # a bug, not a released run (that gives None): say so in the log
            _log.exception("The live status line could not be made.")
    if fields is None:
        return JSONResponse({"state": "gone"}, status_code=404, headers=NO_STORE)
    return JSONResponse(fields, headers=NO_STORE)


def mounted_routes() -> list[Route]:
    """The routes for dashboard.py's App (under server.baseUrlPath, as Streamlit's own are);
    from then on the pages use them."""
    global served, served_path
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    served_path = f"/{base}/{PATH}" if base else f"/{PATH}"
    served = True
    return [Route(served_path, status_endpoint, methods=["GET"])]


# The component's function runs again at every rerun of the fragment, with fresh fields (its
# cleanup only when the line is unmounted): one polling loop per line, the latest call's, and
# fields older than those shown (a fragment's, computed before it drew its charts) are not
# shown. It writes text only (textContent), never markup. When the run is no longer training,
# or the server no longer knows the line, it sets the "ended" trigger (once, until the line is
# drawn training again), which reruns the fragment.
JS = """
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let line = parentElement.querySelector(".live-line");
  if (!line) {
    line = document.createElement("div");
    line.className = "live-line";
    line.innerHTML =
      '<p class="live-status"><strong class="live-label"></strong> — step ' +
      '<strong class="live-steps"></strong><span class="live-rest"></span>' +
      '<span class="live-help" aria-label="help">?</span></p>' +
      '<div class="live-notice" hidden></div>';
    parentElement.appendChild(line);
  }
  let poll = parentElement.__livePoll;
  if (!poll) {
    poll = parentElement.__livePoll = { timer: null, generation: 0, ended: null, shownAt: -1 };
  }
  const generation = ++poll.generation;  // this call's loop; an older one stops
  const show = (fields) => {
    if (fields.at < poll.shownAt) return;  // older than what the line shows
    poll.shownAt = fields.at;
    line.querySelector(".live-label").textContent = fields.label;
    line.querySelector(".live-steps").textContent = fields.steps;
    line.querySelector(".live-rest").textContent = fields.rest;
    const notice = line.querySelector(".live-notice");
    notice.textContent = fields.notice || "";
    notice.hidden = !fields.notice;
  };
  const end = () => {
    if (poll.ended !== data.url) {
      poll.ended = data.url;
      setTriggerValue("ended", Date.now());
    }
  };
  line.querySelector(".live-help").title = data.help;
  if (poll.timer !== null) clearTimeout(poll.timer);
  poll.timer = null;
  if (data.fields.state !== "training") {
    show(data.fields);
    end();
    return;
  }
  poll.ended = null;  // training (again): the next end is news
  show(data.fields);
  const tick = async () => {
    poll.timer = null;
    if (generation !== poll.generation) return;
    try {
      const response = await fetch(data.url, {
        cache: "no-store",
        signal: AbortSignal.timeout(Math.max(5000, data.every * 4000)),
      });
      if (generation !== poll.generation) return;
      const fields = await response.json();
      if (generation !== poll.generation) return;
      if (!response.ok || fields.state !== "training") {
        if (response.ok) show(fields);
        end();
        return;
      }
      show(fields);
    } catch (error) {
      // out of reach or slow for now: ask again at the next period
    }
    if (generation === poll.generation) poll.timer = setTimeout(tick, data.every * 1000);
  };
  poll.timer = setTimeout(tick, data.every * 1000);
  return () => {
    if (generation !== poll.generation) return;  // a later call owns the loop
    poll.generation += 1;
    if (poll.timer !== null) clearTimeout(poll.timer);
    poll.timer = null;
  };
}
"""

CSS = """
.live-line .live-status { margin: 0 0 1rem 0; }
.live-line .live-help {
  display: inline-flex; align-items: center; justify-content: center;
  width: 1.1em; height: 1.1em; margin-left: 0.4em; border-radius: 50%;
  border: 1px solid currentColor; font-size: 0.75em; opacity: 0.6; cursor: help;
  vertical-align: middle;
}
.live-line .live-notice {
  margin: -0.6rem 0 0.8rem 0; font-size: 0.85em; opacity: 0.75; color: inherit;
}
.live-line .live-notice[hidden] { display: none; }
"""

_component = st.components.v2.component("live_status_line", js=JS, css=CSS, isolate_styles=False)


def live_line_view(line: LiveLine, fields: dict, every: float, help: str, key: str) -> None:
    """Mount the line (from a fragment): it shows ``fields`` (the line's, just taken), then,
    while the run trains, asks the server for new ones every ``every`` seconds."""
    _component(
        data={
            "url": f"{served_path}?line={line.token}",
            "every": every,
            "help": help,
            "fields": fields,
        },
        key=key,
        on_ended_change=lambda: None,  # the trigger reruns the fragment; nothing more to do
    )
