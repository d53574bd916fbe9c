"""The "GAN in 2-D" page: do its presets show what they say, how fast does it train headless,
and how fast, how often redrawn and how soon all 8 modes are covered, in the page in Chromium?

    python bench/bench_gan_2d.py [--seconds 20] [--skip-browser]

Prints the CPU; for each preset, headless on one thread for ``--seconds``: steps, modes
covered, mean D(x) and D(G(z)), the mean length of G's arrows, KL and JS, at a few times; then
the headless steps/s at batch 256, and in the page (the healthy ring, medians of 3): steps/s,
picture redraws/s, and the seconds from Play to all 8 modes covered.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

import numpy as np
import torch

from bench.machine import describe
from core.data.toy2d import BUILT_IN
from core.training.gan2d_job import GAN2DJob
from pages.settings.gan_2d import PRESETS, SETTINGS, job_settings
from pages.settings.table import preset_values


def preset_job(preset: dict) -> GAN2DJob:
    values = preset_values(SETTINGS, preset)
    job = GAN2DJob(BUILT_IN[values["data"]](), job_settings(values))
    while job.head_start_left:  # D's head start first: the watch starts when the game does
        job.train_step()
    return job


def watch(job: GAN2DJob, seconds: float, marks: int = 4) -> list[str]:
    """Train for ``seconds``; at ``marks`` even times, what the preset's sentence talks about."""
    lines, started, record = (
        [],
        time.perf_counter(),
        {"d_real": float("nan"), "d_fake": float("nan")},
    )
    for mark in range(0, marks + 1):
        while time.perf_counter() - started < seconds * mark / marks:
            record = job.train_step()
        quality = job.quality()
        fake = job.trainer.fixed_samples()
        arrows = float(np.linalg.norm(job.arrows(fake), axis=1).mean())
        lines.append(
            f"  {time.perf_counter() - started:5.1f} s, step {job.trainer.generator_updates:5d}: "
            f"modes {quality.get('modes_covered', float('nan')):.0f}/8, "
            f"D(x) {record['d_real']:.2f}, D(G(z)) {record['d_fake']:.2f}, "
            f"arrow length {arrows:.3f}, KL {quality['kl']:.2f}, JS {quality['js']:.3f}, "
            f"on a mode {quality.get('on_a_mode', float('nan')):.0%}"
        )
    return lines


def first_full_coverage(values: dict, limit: float) -> tuple[float, int]:
    """Seconds and steps (headless) until all 8 modes are covered, checked every 10 steps."""
    job = preset_job(values)
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        for _ in range(10):
            job.train_step()
        if job.quality().get("modes_covered", 0) == 8:
            return time.perf_counter() - started, job.trainer.generator_updates
    return float("nan"), job.trainer.generator_updates


def in_the_page(rounds: int = 3, limit: float = 25.0) -> dict:
    """The healthy ring in Chromium: steps/s, picture redraws/s, seconds from Play to 8 modes."""
    from playwright.sync_api import sync_playwright

    from serving.browser import CHROMIUM, CHROMIUM_FLAGS, READ_WATCH, WATCH_STATUS, served_process

    results = {"steps/s": [], "redraws/s": [], "seconds to 8 modes": []}
    with served_process(timeout=60) as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for _ in range(rounds):
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(f"{url}/gan-2d")
            page.get_by_role("button", name="Play", exact=True).click()
            played = time.monotonic()
            status = page.get_by_text(re.compile(r"Training — step \d+"))
            status.wait_for(timeout=30_000)
            page.evaluate(WATCH_STATUS)
            first = int(re.search(r"step (\d+)", status.inner_text()).group(1))
            watched_from = time.monotonic()
            covered = float("nan")
            while time.monotonic() - played < limit:
                text = page.get_by_test_id("stMetric").filter(has_text="Modes covered").inner_text()
                if re.search(r"\b8 of 8\b", text) and covered != covered:
                    covered = time.monotonic() - played
                if covered == covered and time.monotonic() - watched_from > 5:
                    break
                page.wait_for_timeout(100)
            seconds = time.monotonic() - watched_from
            watched = page.evaluate(READ_WATCH)
            last = int(re.search(r"step (\d+)", status.inner_text()).group(1))
            results["steps/s"].append((last - first) / seconds)
            results["redraws/s"].append(watched["charts"] / seconds)
            results["seconds to 8 modes"].append(covered)
            page.close()
        browser.close()
    return {key: statistics.median(values) for key, values in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(describe(), flush=True)
    for name, (values, _) in PRESETS.items():
        print(f"{name}:", flush=True)
        for line in watch(preset_job(values), args.seconds):
            print(line, flush=True)
    proxy = {**PRESETS["Saturating loss"][0], "saturating": False}
    print("Saturating loss, the same with the proxy loss:", flush=True)
    for line in watch(preset_job(proxy), args.seconds / 4, marks=1):
        print(line, flush=True)
    seconds, steps = first_full_coverage(PRESETS["Healthy ring"][0], args.seconds)
    print(f"healthy ring, headless: all 8 modes covered after {steps} steps, {seconds:.1f} s")
    job = preset_job(PRESETS["Healthy ring"][0])
    started, steps = time.perf_counter(), 0
    while time.perf_counter() - started < 5:
        job.train_step()
        steps += 1
    headless = steps / (time.perf_counter() - started)
    print(f"headless, batch 256, one thread: {headless:.0f} steps/s", flush=True)
    if not args.skip_browser:
        page = in_the_page()
        print(
            f"in the page (healthy ring, medians of 3): {page['steps/s']:.0f} steps/s "
            f"({page['steps/s'] / headless:.0%} of headless), pictures redrawn "
            f"{page['redraws/s']:.2f}/s, all 8 modes covered {page['seconds to 8 modes']:.1f} s "
            "after Play"
        )


if __name__ == "__main__":
    main()
