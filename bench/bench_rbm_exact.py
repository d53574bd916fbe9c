"""The "RBM up close" page: do its presets show what they say, how fast does its race train
headless, and how often does the page redraw while it plays in Chromium?

    python bench/bench_rbm_exact.py [--steps 5000] [--skip-browser]

Prints the CPU, each preset's numbers (final exact log-likelihoods beside the ceiling −H(data),
the largest fall between two updates, the data states among the model's most probable), the
updates per second headless (with and without the race), and in the page: updates per
second, picture redraws per second and the status line's moves per second, medians of 3.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

import numpy as np

from bench.machine import describe
from core.data.tiny import BUILT_IN
from core.training.exact_job import ExactRBMJob, ExactSettings
from pages.settings.rbm_exact import PRESETS, SETTINGS, job_settings
from pages.settings.table import preset_values


def run_preset(preset: dict, steps: int) -> dict:
    """A preset trained headless for ``steps`` updates: what its sentence talks about."""
    values = preset_values(SETTINGS, preset) | {"updates": steps}
    data = BUILT_IN[values["data"]]()
    job = ExactRBMJob(data, job_settings(values), values["race"])
    history = [job.train_step() for _ in range(steps)]
    yours = np.array([record["log_likelihood"] for record in history])
    codes, _ = data.distribution()
    top = np.argsort(-job.pictures()["log_p"])[: len(codes)]
    return {
        "ceiling": -data.entropy(),
        "final": {key: history[-1][key] for key in history[-1] if key.startswith("log_l")},
        "largest fall": float(-np.diff(yours).min()),
        "data states on top": f"{len(set(top) & set(codes))} of {len(codes)}",
    }


def headless_speed(name: str, hidden: int, compare: bool, seconds: float = 3.0) -> float:
    job = ExactRBMJob(BUILT_IN[name](), ExactSettings(hidden_units=hidden, steps=10**6), compare)
    started, steps = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        job.train_step()
        steps += 1
    return steps / (time.perf_counter() - started)


def in_the_page(seconds: float = 5.0, rounds: int = 3) -> dict:
    """Play on the default page in Chromium: updates/s, picture redraws/s, status moves/s."""
    from playwright.sync_api import sync_playwright

    from serving.browser import CHROMIUM, CHROMIUM_FLAGS, READ_WATCH, WATCH_STATUS, served_process

    results = {"updates/s": [], "redraws/s": [], "status moves/s": []}
    with served_process(timeout=60) as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for _ in range(rounds):
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(f"{url}/rbm-exact?updates=50000")
            page.get_by_role("button", name="Play", exact=True).click()
            status = page.get_by_text(re.compile(r"Training — step \d+"))
            status.wait_for(timeout=30_000)
            page.wait_for_timeout(1000)
            page.evaluate(WATCH_STATUS)
            first = int(re.search(r"step (\d+)", status.inner_text()).group(1))
            page.wait_for_timeout(seconds * 1000)
            watched = page.evaluate(READ_WATCH)
            last = int(re.search(r"step (\d+)", status.inner_text()).group(1))
            results["updates/s"].append((last - first) / seconds)
            results["redraws/s"].append(watched["charts"] / seconds)
            results["status moves/s"].append(watched["count"] / seconds)
            page.close()
        browser.close()
    return {key: statistics.median(values) for key, values in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()
    print(describe(), flush=True)
    for name, (values, _) in PRESETS.items():
        result = run_preset(values, args.steps)
        finals = ", ".join(
            f"{k.replace('log_likelihood', 'LL')} {v:.3f}" for k, v in result["final"].items()
        )
        print(
            f"{name}: ceiling {result['ceiling']:.3f}; {finals}; largest fall of yours between two "
            f"updates {result['largest fall']:.3f}; data states among the most probable: "
            f"{result['data states on top']}",
            flush=True,
        )
    for name, hidden in (("Bars and stripes 3×3", 8), ("Bars and stripes 4×4", 12)):
        alone = headless_speed(name, hidden, False)
        race = headless_speed(name, hidden, True)
        print(
            f"headless, {name}, {hidden} hidden: {alone:.0f} updates/s alone, "
            f"{race:.0f} with the race"
        )
    if not args.skip_browser:
        page = in_the_page()
        headless = headless_speed("Bars and stripes 3×3", 8, True)
        print(
            f"in the page (Bars and stripes 3×3, 8 hidden, race on), medians of 3 × 5 s: "
            f"{page['updates/s']:.0f} updates/s ({page['updates/s'] / headless:.0%} of headless "
            f"{headless:.0f}), pictures redrawn {page['redraws/s']:.2f}/s, status line "
            f"{page['status moves/s']:.2f}/s"
        )


if __name__ == "__main__":
    main()
