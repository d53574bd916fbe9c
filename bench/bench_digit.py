"""Your digit, timed in Chromium while the page's run trains: from the pen lifting to the
drawing's views (the RBM's activations and F(v); D's verdict), a completion of 100 Gibbs steps,
and G searched for 300 Adam steps. Goals (issue 32): views within 0.3 s, a completion within
2 s, on a 2-core machine.

Timed by the page's own clock: from the pointer lifting (the pen, or the button's click) to
the moment the sentence is in the page (a MutationObserver). Waiting through Playwright alone
would add its polling, up to half a second, to every figure.

    python bench/bench_digit.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics

from bench.machine import cpu_name
from serving.browser import CHROMIUM, CHROMIUM_FLAGS, draw_a_one, served_process

JUDGED = re.compile(r"The judge (reads|is unsure|calls)")


# Installed before the pointer lifts: the lift's time, then the first time the text matches.
WATCH = """(pattern) => {
  const text = new RegExp(pattern);
  window.__lifted = null;
  window.__shown = null;
  window.addEventListener("pointerup", () => { window.__lifted = performance.now(); },
                          { capture: true, once: true });
  const observer = new MutationObserver(() => {
    if (window.__lifted !== null && text.test(document.body.textContent)) {
      window.__shown = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true });
}"""


def watch(page, text: re.Pattern) -> None:
    page.evaluate(WATCH, text.pattern)


def timed(page) -> float:
    """Seconds from the pointer lifting to the watched text, on the page's clock."""
    page.wait_for_function("window.__shown !== null", timeout=60_000)
    return page.evaluate("(window.__shown - window.__lifted) / 1000")


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
        watch(page, JUDGED)
        draw_a_one(page)
        views = timed(page)
        page.get_by_text(re.compile(r"more typical than")).wait_for()
        go = page.get_by_role("button", name="Go")
        go.scroll_into_view_if_needed()
        watch(page, re.compile("the mean of the last half"))
        go.click()
        completion = timed(page)
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
        watch(page, re.compile(r"D calls your drawing real"))
        draw_a_one(page)
        verdict = timed(page)
        search = page.get_by_role("button", name="Search")
        search.scroll_into_view_if_needed()
        watch(page, re.compile(r"G\(z\) is \d"))
        search.click()
        found = timed(page)
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
