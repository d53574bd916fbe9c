"""The real dashboard in a real browser, shared by the browser test and the dashboard bench."""

from __future__ import annotations

import contextlib
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def served_dashboard(timeout: float = 30.0) -> Iterator[str]:
    """`streamlit run dashboard.py` on a free localhost port; yields its URL once healthy."""
    with served_process(timeout) as (url, _):
        yield url


@contextlib.contextmanager
def served_process(
    timeout: float = 30.0, options: Sequence[str] = ()
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Like served_dashboard, yielding the URL and the server process; ``options`` are extra
    `streamlit run` flags such as "--server.disconnectedSessionTTL=5"."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            *options,
        ],
        cwd=ROOT,
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
