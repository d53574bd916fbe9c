"""A class opening the link together on a server that has just started: how long until Home's
title, and its three sample pictures, are visible in Chromium.

    python bench/bench_cold_start.py [--rounds 1]    # needs Debian's chromium and playwright

Each round starts `streamlit run dashboard.py` afresh (the browser is already open) and times,
from the server's start: its health check answering, Home's title visible, and Home's three
pictures (real digits, the RBM's dreams, the GAN's samples) decoded in the page.
"""

from __future__ import annotations

import argparse
import time

from bench.machine import cpu_name
from serving.browser import CHROMIUM, CHROMIUM_FLAGS, served_process

TITLE = "Generative models, live"
PICTURES_SHOWN = """() => {
  const images = [...document.querySelectorAll('[data-testid="stImage"] img')];
  return images.length >= 3 && images.slice(0, 3).every(i => i.complete && i.naturalWidth > 0);
}"""


def one_round(browser) -> dict[str, float]:
    """Seconds from the server's start to its health check, Home's title and its pictures."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    started = time.perf_counter()
    with served_process(timeout=120) as (url, _):
        times = {"healthy": time.perf_counter() - started}
        page.goto(url)
        page.get_by_text(TITLE).wait_for(timeout=120_000)
        times["title"] = time.perf_counter() - started
        page.wait_for_function(PICTURES_SHOWN, timeout=120_000, polling=50)
        times["pictures"] = time.perf_counter() - started
    page.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"machine: {cpu_name()}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for round_ in range(1, args.rounds + 1):
            times = one_round(browser)
            print(
                f"round {round_}: server healthy {times['healthy']:.1f} s, Home's title "
                f"{times['title']:.1f} s, its pictures {times['pictures']:.1f} s after start",
                flush=True,
            )
        browser.close()


if __name__ == "__main__":
    main()
