"""Runs that nobody watches rest: the 2-D page's speed with a GAN left behind, and the
server's CPU once the last tab closes.

    python bench/bench_unwatched.py [--seconds 10]     # needs Debian's chromium and playwright

On one served dashboard, in Chromium: (1) the 2-D page alone plays for ``--seconds`` and its
steps per second are read off its status line; (2) in a new browser the GAN page starts, the
visitor moves to the 2-D page inside the app (the GAN's run left behind, "keep training while
I'm away" off) and plays it, measured as long from just after the GAN should have rested; then
goes back to the GAN page and reads how far the GAN trained while away; (3) every tab closes,
and the server's CPU (user + system time of its process, per second of wall time) is sampled
until it falls under 5% of one core.
"""

from __future__ import annotations

import argparse
import os
import time

from bench.machine import describe
from pages.kit.session import UNWATCHED_SECONDS
from serving.browser import CHROMIUM, CHROMIUM_FLAGS, served_process, status

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process, all its threads, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def play_rate(page, button: str, seconds: float, settle: float = 1.0) -> float:
    """Press ``button`` and return the steps per second the status line shows over
    ``seconds``, from ``settle`` seconds after the first step."""
    page.get_by_role("button", name=button).click()
    page.get_by_text("Training — step").first.wait_for(timeout=30_000)
    time.sleep(settle)  # past the first step's set-up (and a left run's last seconds)
    _, first = status(page)
    started = time.monotonic()
    time.sleep(seconds)
    _, last = status(page)
    return (last - first) / (time.monotonic() - started)


def nav(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    print(describe(), flush=True)
    with served_process() as (url, server), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        alone_context = browser.new_context(viewport={"width": 1366, "height": 768})
        alone = alone_context.new_page()
        alone.goto(f"{url}/gan-2d")
        alone.get_by_role("button", name="Play").wait_for(timeout=60_000)
        rate_alone = play_rate(alone, "Play", args.seconds)
        alone.get_by_role("button", name="Pause").click()
        alone_context.close()

        context = browser.new_context(viewport={"width": 1366, "height": 768})
        page = context.new_page()
        page.goto(f"{url}/gan")
        page.get_by_role("button", name="Start").click()
        page.get_by_text("Training — step").first.wait_for(timeout=60_000)
        time.sleep(3.0)
        _, left_at = status(page)
        nav(page, "GAN in 2-D")
        page.get_by_role("button", name="Play").wait_for(timeout=60_000)
        rate_beside = play_rate(page, "Play", args.seconds, settle=UNWATCHED_SECONDS + 1)
        page.get_by_role("button", name="Pause").click()
        away = time.monotonic()
        nav(page, "Generative Adversarial Network")
        page.get_by_text(" — step").first.wait_for(timeout=60_000)
        _, back_at = status(page)
        print(
            f"2-D page alone: {rate_alone:.1f} steps/s; with the GAN left behind, from "
            f"{UNWATCHED_SECONDS + 1:.0f} s after leaving it: {rate_beside:.1f} steps/s "
            f"({rate_beside / rate_alone:.0%} of alone)\n"
            f"the GAN trained {back_at - left_at} steps in the "
            f"~{args.seconds + UNWATCHED_SECONDS + 2:.0f} s the "
            f"visitor was away (left at step {left_at}, back at {back_at}; "
            f"{time.monotonic() - away:.1f} s to come back)",
            flush=True,
        )
        time.sleep(3.0)  # it trains again, watched
        context.close()  # the last tab closes
        closed = time.monotonic()
        last_cpu, last_at = cpu_seconds(server.pid), time.monotonic()
        quiet_after = None
        samples = []
        while time.monotonic() - closed < 20:
            time.sleep(0.5)
            cpu, now = cpu_seconds(server.pid), time.monotonic()
            share = (cpu - last_cpu) / (now - last_at)
            samples.append(f"{now - closed:.1f} s: {share:.0%}")
            if share < 0.05 and quiet_after is None:
                quiet_after = now - closed
            last_cpu, last_at = cpu, now
        browser.close()
    print("server CPU after the last tab closed (share of one core):", ", ".join(samples))
    print(
        "under 5% after "
        + (f"{quiet_after:.1f} s" if quiet_after is not None else "more than 20 s"),
        flush=True,
    )


if __name__ == "__main__":
    main()
