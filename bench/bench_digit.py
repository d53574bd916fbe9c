"""Your digit, timed in Chromium while the page's run trains: from the pen lifting to the
drawing's views (the RBM's activations and F(v); D's verdict), a completion of 100 Gibbs steps,
and G searched for 300 Adam steps. Goals (issue 32): views within 0.3 s, a completion within
2 s, on a 2-core machine.

    python bench/bench_digit.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time

from bench.machine import cpu_name
from serving.browser import CHROMIUM, CHROMIUM_FLAGS, draw_a_one, served_process

JUDGED = re.compile(r"The judge (reads|is unsure|calls)")


def timed(page, pressed: float, text: re.Pattern) -> float:
    page.get_by_text(text).first.wait_for(timeout=60_000)
    return time.perf_counter() - pressed


def start(page, training: bool) -> None:
    """Start the page's run (the measure is while it trains), or leave it idle."""
    if training:
        page.get_by_role("button", name="Start", exact=True).click(timeout=60_000)
        page.get_by_text(re.compile(r"Training — step \d+")).wait_for(timeout=30_000)
    else:
        page.get_by_role("button", name="Start", exact=True).wait_for(timeout=60_000)


def rbm_round(browser, url: str, training: bool) -> dict[str, float]:
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    try:
        page.goto(f"{url}/rbm?dataset=mnist-5k&epochs=200")
        start(page, training)
        page.get_by_role("heading", name="Your digit").scroll_into_view_if_needed()
        views = timed(page, draw_a_one(page), JUDGED)
        page.get_by_text(re.compile(r"more typical than")).wait_for()
        go = page.get_by_role("button", name="Go")
        go.scroll_into_view_if_needed()
        pressed = time.perf_counter()
        go.click()
        completion = timed(page, pressed, re.compile("the mean of the last half"))
        return {"RBM views": views, "completion, 300 Gibbs steps": completion}
    finally:
        page.context.close()


def gan_round(browser, url: str, training: bool) -> dict[str, float]:
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    try:
        page.goto(f"{url}/gan?dataset=mnist-5k")
        if not training:  # D and G need a step to have something to say
            page.get_by_role("button", name="Step", exact=True).click(timeout=60_000)
        start(page, training)
        page.get_by_role("heading", name="Your digit").scroll_into_view_if_needed()
        verdict = timed(page, draw_a_one(page), re.compile(r"D calls your drawing real"))
        search = page.get_by_role("button", name="Search")
        search.scroll_into_view_if_needed()
        pressed = time.perf_counter()
        search.click()
        found = timed(page, pressed, re.compile(r"G\(z\) is \d"))
        return {"D's verdict": verdict, "G searched, 300 Adam steps": found}
    finally:
        page.context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle", action="store_true", help="no run training meanwhile")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    load = os.getloadavg()[0]
    seconds: dict[str, list[float]] = {}
    with served_process(timeout=60) as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for _ in range(args.rounds):
            for measure in (rbm_round, gan_round):
                for name, value in measure(browser, url, not args.idle).items():
                    seconds.setdefault(name, []).append(value)
        browser.close()
    print(
        f"{cpu_name()}, {os.cpu_count()} cores, load average {load:.1f} at the start; "
        f"{'no run training' if args.idle else 'a run training on the same page'}; "
        f"median of {args.rounds}"
    )
    print("| measure | median s | all |")
    print("| --- | ---: | --- |")
    for name, values in seconds.items():
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"| {name} | {statistics.median(values):.2f} | {shown} |")


if __name__ == "__main__":
    main()
