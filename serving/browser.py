"""The real dashboard in a real browser: served on a free port, and watched in the page (used
by the browser tests, and by the benchmarks that drive the pages)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

STATUS = re.compile(r"(\w+) — step (\d+)")
# In each page: every 50 ms, look at the status line ("Training — step N, … s of training")
# and at the pictures: count how often any changed (and how often the first), and the longest
# time the status line stayed the same. It reads text and attributes only (no innerText,
# which lays the page out), so that twenty watched pages cost their browser little.
WATCH_STATUS = """() => {
  const watch = {count: 0, last: null, lastChange: performance.now(), longestGap: 0,
                 charts: 0, lastChart: null, firstCharts: 0, lastFirst: null, line: null};
  window.__statusWatch = watch;
  const isStatus = e => e && e.isConnected && /— step \\d+/.test(e.textContent);
  setInterval(() => {
    // every picture's address, shortened (length and tail): a change in any is a redraw
    const pictures = [...document.querySelectorAll('[data-testid="stImage"] img')];
    const chart = pictures.length ? pictures.map(p => {
      const src = p.getAttribute('src') || '';
      return src.length + src.slice(-24);
    }).join('|') : null;
    if (chart !== null && chart !== watch.lastChart) {
      if (watch.lastChart !== null) watch.charts += 1;
      watch.lastChart = chart;
    }
    const first = pictures.length ? pictures[0].getAttribute('src') : null;
    if (first !== null && first !== watch.lastFirst) {
      if (watch.lastFirst !== null) watch.firstCharts += 1;
      watch.lastFirst = first;
    }
    if (!isStatus(watch.line))
      watch.line = [...document.querySelectorAll(
        '.live-status, [data-testid="stMarkdownContainer"]')].find(isStatus);
    const text = watch.line ? watch.line.textContent : null;
    if (text === null || text === watch.last) return;
    const now = performance.now();
    if (watch.last !== null) {
      watch.count += 1;
      watch.longestGap = Math.max(watch.longestGap, now - watch.lastChange);
    }
    watch.last = text;
    watch.lastChange = now;
  }, 50);
}"""
READ_WATCH = """() => {
  const watch = window.__statusWatch;
  const now = performance.now();
  return {count: watch.count, charts: watch.charts, first_charts: watch.firstCharts,
          longest_gap: Math.max(watch.longestGap, now - watch.lastChange)};
}"""


def status(page, timeout: float = 10_000) -> tuple[str, int]:
    match = STATUS.search(page.get_by_text(STATUS).first.inner_text(timeout=timeout))
    return match.group(1), int(match.group(2))


def require_chromium() -> None:
    """Skip the calling test module where Debian's Chromium is missing; under CI, which
    installs it, a missing browser is an error instead of a skip."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError("Chromium is missing: .ci/run installs Debian's chromium package.")
        import pytest

        pytest.skip("Debian's chromium is not installed here", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


CGROUP_V1 = Path("/sys/fs/cgroup/memory")


@contextlib.contextmanager
def memory_group(megabytes: int):
    """A cgroup v1 memory group of ``megabytes``, as a container's limit (needs root), for a
    server to start in (served_process's ``memory_group``: its whole memory is counted from its
    first byte, which a process moved in later is not); yields the group's directory and a
    function giving (peak MB, times the cap was hit)."""
    group = CGROUP_V1 / f"rbm-gan-{os.getpid()}-{time.monotonic_ns()}"
    group.mkdir()
    try:
        (group / "memory.limit_in_bytes").write_text(str(megabytes << 20))

        def usage() -> tuple[float, int]:
            peak = int((group / "memory.max_usage_in_bytes").read_text()) / 2**20
            return peak, int((group / "memory.failcnt").read_text())

        yield group, usage
    finally:
        for _ in range(50):  # its server has ended (or ends now)
            with contextlib.suppress(OSError):
                group.rmdir()
                break
            time.sleep(0.1)


@contextlib.contextmanager
def served_dashboard(timeout: float = 30.0) -> Iterator[str]:
    """`streamlit run dashboard.py` on a free localhost port; yields its URL once healthy."""
    with served_process(timeout) as (url, _):
        yield url


@contextlib.contextmanager
def served_process(
    timeout: float = 30.0,
    options: Sequence[str] = (),
    cpus: set[int] | None = None,
    script: str = "dashboard.py",
    memory_group: Path | None = None,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Like served_dashboard, yielding the URL and the server process; ``options`` are extra
    `streamlit run` flags such as "--server.disconnectedSessionTTL=5"; ``cpus`` keeps the
    server on those cores; ``script`` (relative to the repository, which is on its path) is
    what it serves; ``memory_group``, a cgroup v1 directory, holds the server from its start."""

    def before_exec() -> None:
        if cpus:
            os.sched_setaffinity(0, cpus)
        if memory_group is not None:
            (memory_group / "cgroup.procs").write_text(str(os.getpid()))

    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            script,
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            *options,
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        },
        preexec_fn=before_exec if cpus or memory_group is not None else None,
        stdout=subprocess.DEVNULL,  # never a pipe nobody reads: a full pipe would stall it
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"streamlit did not start within {timeout:.0f} s") from None
                time.sleep(0.05)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def slider_to_end(page, label: str) -> None:
    """Move the sidebar slider called ``label`` to its largest value with the keyboard."""
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role("slider")
    slider.focus()
    slider.press("End")
    page.wait_for_timeout(300)


def draw_a_one(page, pad_index: int = 0, touch: bool = False) -> float:
    """A downward stroke with the mouse, or a finger (``touch``: the page's context needs
    has_touch), on a drawing pad (pages.kit.drawing_pad), a "1": the moment the pen lifted
    (time.perf_counter)."""
    canvas = page.locator("canvas.pad-canvas").nth(pad_index)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y, side = box["x"], box["y"], box["width"]
    path = [(x + 0.48 * side, y + 0.2 * side)]
    path += [(x + 0.5 * side, y + (0.2 + 0.03 * step) * side) for step in range(1, 21)]
    if touch:  # as a touch screen sends it: start, moves, end
        cdp = page.context.new_cdp_session(page)
        for kind, (px, py) in zip(["touchStart"] + ["touchMove"] * 20, path, strict=True):
            cdp.send(
                "Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": px, "y": py}]}
            )
        lifted = time.perf_counter()
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        cdp.detach()
        return lifted
    page.mouse.move(*path[0])
    page.mouse.down()
    for px, py in path[1:]:
        page.mouse.move(px, py, steps=2)
    lifted = time.perf_counter()
    page.mouse.up()
    return lifted
