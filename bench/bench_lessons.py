"""The lessons in Chromium: each step's link opened at 1920×1080 as a projector shows it, its
run started and timed to the steps its claims need; then every claim measured headless on the
same link (lessons/steps.py), and claimed against measured written into docs/teaching.md.

    python bench/bench_lessons.py [--only "GAN 3"] [--shots DIR] [--no-write]

A screenshot of each step (present=1) goes to DIR (docs/screenshots/lessons by default). Run
it alone: it times the pages on this machine's cores.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import torch

from bench.machine import cpu_name
from lessons.steps import LESSONS, Step
from lessons.write import BEGIN, END, PATH, document
from serving.browser import CHROMIUM, CHROMIUM_FLAGS, served_process, status

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "lessons"
START = {"rbm": "Start", "gan": "Start", "gan-2d": "Play", "rbm-exact": "Play"}


def needed_steps(step: Step) -> int:
    """The most steps any claim of the step needs from the step's own link."""
    return max(
        (run.steps for c in step.claims for _, run in c.runs if run.link == step.link), default=0
    )


def fresh_page(browser):
    """A page of a new visitor (no cookie: no page session kept from the step before), as a
    projector at 1920×1080 shows it."""
    return browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()


def page_seconds(browser, url: str, step: Step, shot: Path) -> tuple[float, int]:
    """Open the step's link, start its run and wait for the steps its claims need (at most 10
    minutes); the seconds from the press to that step, and the step reached."""
    path = urlsplit(step.link).path.strip("/")
    page = fresh_page(browser)
    page.goto(url + step.link.removeprefix("http://localhost:8501"))
    try:
        if not path:  # Home: nothing trains
            page.get_by_text("Generative models, live").first.wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(shot))
            return 0.0, 0
        button = page.get_by_role("button", name=START[path], exact=True)
        button.wait_for(timeout=60_000)
        wanted = needed_steps(step)
        pressed = time.perf_counter()
        button.click()
        reached, state = 0, "Training"
        while reached < wanted and state != "Finished" and time.perf_counter() - pressed < 600:
            page.wait_for_timeout(250)
            try:
                state, reached = status(page, timeout=2_000)
            except Exception:  # the status line between two redraws
                continue
        seconds = time.perf_counter() - pressed
        page.screenshot(path=str(shot))
        return seconds, reached
    finally:
        page.context.close()


def pretrained_seconds(browser, url: str, link: str, shot: Path) -> float:
    """The RBM page: the pretrained RBM, then 64 annealed dreams; seconds to the dreams."""
    page = fresh_page(browser)
    page.goto(url + link.removeprefix("http://localhost:8501"))
    try:
        button = page.get_by_role("button", name="Start from the pretrained RBM")
        button.wait_for(timeout=60_000)
        pressed = time.perf_counter()
        button.click()
        page.get_by_text(re.compile("Continuing from the pretrained RBM")).first.wait_for(
            timeout=60_000
        )
        page.get_by_text("Annealed", exact=True).first.click()
        page.get_by_role("button", name="Dream 64 images").click()
        page.get_by_text(re.compile(r"P\(v \| h\)\. The model at step")).first.wait_for(
            timeout=120_000
        )
        seconds = time.perf_counter() - pressed
        page.screenshot(path=str(shot))
        return seconds
    finally:
        page.context.close()


def kept_rows(lines: list[str], measured: set[str]) -> list[str]:
    """The new table (its five heading lines, then rows) with the rows of the steps not
    measured now taken from docs/teaching.md, in the lessons' order."""
    step_of = lambda row: row.split("|")[1].strip()  # noqa: E731
    old = [row for row in PATH.read_text().splitlines() if row.startswith("| ")][2:]
    rows = [row for row in old if step_of(row) not in measured] + lines[5:]
    order = [
        f"{lesson.split(':')[0].removeprefix('The ')} {number}"
        for lesson, steps in LESSONS.items()
        for number in range(1, len(steps) + 1)
    ]
    return lines[:5] + sorted(rows, key=lambda row: order.index(step_of(row)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=None, help='steps such as "GAN 3"')
    parser.add_argument("--shots", type=Path, default=SHOTS)
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.shots.mkdir(parents=True, exist_ok=True)
    rows = []
    load = os.getloadavg()[0]  # other work on the machine slows the pages: say how much there was
    with served_process(timeout=60) as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for lesson, steps in LESSONS.items():
            short = lesson.split(":")[0].removeprefix("The ")
            for number, step in enumerate(steps, 1):
                name = f"{short} {number}"
                if args.only and name not in args.only:
                    continue
                shot = args.shots / f"{short.lower()}-{number}.png"
                if step.link:
                    seconds, reached = page_seconds(browser, url, step, shot)
                else:  # on the page the step before opened: the pretrained model
                    link = steps[number - 2].link
                    seconds, reached = pretrained_seconds(browser, url, link, shot), 0
                print(f"{name}: {reached} steps in {seconds:.0f} s in Chromium", flush=True)
                rows.append((name, step, seconds, reached))
        browser.close()
    torch.set_num_threads(2)
    lines = [
        BEGIN,
        f"Measured on {cpu_name()} ({torch.get_num_threads()} threads for the headless runs), "
        f"{time.strftime('%Y-%m-%d')}, load average {load:.1f} at the start. *Seconds in "
        "Chromium*: from pressing Start (or Play) to the last step the claims need, at 1920×1080 "
        "with `present=1`.",
        "",
        "| step | claimed | measured (headless, same link) | holds | steps | seconds in "
        "Chromium | minutes given |",
        "| --- | --- | --- | :-: | ---: | ---: | ---: |",
    ]
    for name, step, seconds, reached in rows:
        if not step.claims:
            lines.append(
                f"| {name} | (nothing to measure) | | | | {seconds:.0f} | {step.minutes} |"
            )
        for claim in step.claims:
            measured = claim.measure()
            lines.append(
                f"| {name} | {claim.said} | {measured.text} | {'yes' if measured.held else 'NO'} "
                f"| {reached or claim.steps:,} | {seconds:.0f} | {step.minutes} |"
            )
            print(lines[-1], flush=True)
    if args.only:  # the other steps' rows as the file has them
        lines = kept_rows(lines, {name for name, *_ in rows})
    lines.append(END)
    table = "\n".join(lines)
    if args.no_write:
        print(table)
        return
    PATH.write_text(document(PATH.read_text(), table))
    print(f"wrote {PATH}")


if __name__ == "__main__":
    main()
