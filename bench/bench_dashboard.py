"""The dashboard in a real browser: time to interactive, live refresh rate, Pause latency, and
training throughput in the page against the same run headless.

    python bench/bench_dashboard.py [--page gan]    # needs Debian's chromium and playwright

Runs the RBM page's default settings (mnist-5k, 100 hidden units, CD-1, batch 100), or the GAN
page's (the seed's networks and rates, batch 128, quality judged every 250 steps), and reports
medians of several rounds.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from pathlib import Path

import torch

from bench.machine import describe
from core.data.datasets import load_dataset
from core.gan.trainer import GANConfig
from core.judge.classifier import classifier_path, load_classifier
from core.training.gan_job import GANJob
from core.training.process import threads_for_this_thread, tune_process, worker_threads
from core.training.rbm_job import RBMJob, RBMJobSettings
from serving.browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    READ_WATCH,
    STATUS,
    WATCH_STATUS,
    served_process,
    slider_to_end,
    status,
)


def default_job(page: str):
    """The page's default run as a job, and how often the page asks it for pictures (s)."""
    dataset = load_dataset("mnist-5k")
    if page == "rbm":
        return RBMJob(dataset, RBMJobSettings(epochs=200)), 0.4
    classifier = load_classifier(classifier_path(dataset.image_shape))
    return GANJob(dataset, GANConfig(), classifier=classifier), 1.0


def headless_steps_per_second(seconds: float, page: str, threads: int | None = None) -> float:
    """The page's default run, trained in a plain loop (pictures as often as the page asks),
    on torch's default thread count or on ``threads``."""
    before = torch.get_num_threads()
    if threads is not None:
        threads_for_this_thread(threads)
    try:
        return _headless(seconds, page)
    finally:
        threads_for_this_thread(before)


def _headless(seconds: float, page: str) -> float:
    job, picture_interval = default_job(page)
    job.train_step()
    steps, started, last_pictures = 0, time.perf_counter(), 0.0
    while time.perf_counter() - started < seconds:
        job.train_step()
        steps += 1
        if time.perf_counter() - last_pictures >= picture_interval:
            job.pictures()
            last_pictures = time.perf_counter()
    return steps / (time.perf_counter() - started)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# In the page: the time of the click on Pause (the browser's own click event) and the first
# time after it that the status line says "Paused" (looked for at every animation frame, i.e.
# when the browser draws). Playwright's own click first waits for the button to be visible,
# stable and enabled, which a busy page delays; this is what a visitor sees.
WATCH_PAUSE = """() => {
  const watch = {clicked: null, shown: null};
  window.__pause = watch;
  const button = [...document.querySelectorAll('button')]
    .find(b => b.innerText.trim().endsWith('Pause'));
  button.addEventListener('click', () => { watch.clicked = performance.now(); }, true);
  const look = () => {
    const paused = [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
      .some(e => /^Paused — step/.test(e.innerText));
    if (watch.clicked !== null && paused) { watch.shown = performance.now(); return; }
    requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
}"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def thread_schedule(pid: int) -> dict[str, tuple[int, int]]:
    """Per thread of a process: nanoseconds on a CPU and runnable but waiting for one."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            on_cpu, waiting, _ = (task / "schedstat").read_text().split()
        except (OSError, ValueError):
            continue
        out[task.name] = (int(on_cpu), int(waiting))
    return out


def busiest_thread(before: dict, after: dict, seconds: float) -> tuple[float, float]:
    """The thread that ran most between two thread_schedule readings (the training worker):
    its share of the time on a CPU and runnable but waiting for one."""
    deltas = [
        (after[t][0] - before[t][0], after[t][1] - before[t][1]) for t in after if t in before
    ]
    on_cpu, waiting = max(deltas, default=(0, 0))
    return on_cpu / 1e9 / seconds, waiting / 1e9 / seconds


def browser_cpu_seconds() -> float:
    """CPU time so far of every Chromium process on the machine."""
    total = 0.0
    for folder in Path("/proc").iterdir():
        if folder.name.isdigit():
            try:
                name = (folder / "comm").read_text().strip()
            except OSError:
                continue
            if name.startswith(("chromium", "chrome")):
                total += cpu_seconds(int(folder.name))
    return total


def page_round(
    browser, window: float, server_cpus: set[int] | None, which: str
) -> dict[str, float]:
    started = time.perf_counter()
    with served_process(timeout=60, cpus=server_cpus) as (url, server):
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        page.goto(f"{url}/{which}")
        start_button = page.get_by_role("button", name="Start", exact=True)
        start_button.wait_for(timeout=60_000)
        interactive = time.perf_counter() - started
        if which == "rbm":
            slider_to_end(page, "Epochs")  # 200 epochs: the run outlasts the measurement

        start_button.click()
        while status(page)[0] != "Training":
            time.sleep(0.02)
        time.sleep(1.0)
        # Counted in the page, read twice: a Python loop polling the page fifty times a second
        # would take a share of the two cores from the run it measures.
        page.evaluate(WATCH_STATUS)
        first_steps, window_start = status(page)[1], time.perf_counter()
        server_cpu, browser_cpu = cpu_seconds(server.pid), browser_cpu_seconds()
        schedule = thread_schedule(server.pid)
        time.sleep(window)
        watched = page.evaluate(READ_WATCH)
        seen, elapsed = status(page)[1], time.perf_counter() - window_start
        line = page.get_by_text(STATUS).first.inner_text()
        threads = re.search(r"on (\d+) CPU thread", line)
        worker_on_cpu, worker_waiting = busiest_thread(
            schedule, thread_schedule(server.pid), elapsed
        )
        server_cores = (cpu_seconds(server.pid) - server_cpu) / elapsed
        browser_cores = (browser_cpu_seconds() - browser_cpu) / elapsed
        throughput = (seen - first_steps) / elapsed
        page.evaluate(WATCH_PAUSE)
        pressed = time.perf_counter()
        page.get_by_role("button", name="Pause", exact=True).click()
        page.get_by_text(re.compile(r"Paused — step")).wait_for(timeout=5_000)
        pause_driver = time.perf_counter() - pressed
        page.wait_for_function("() => window.__pause.shown !== null", timeout=5_000)
        pause_latency = page.evaluate("() => window.__pause.shown - window.__pause.clicked") / 1000
        page.close()
        return {
            "interactive": interactive,
            "refreshes": watched["charts"] / elapsed,
            "status": watched["count"] / elapsed,
            "throughput": throughput,
            "pause": pause_latency,
            "pause_driver": pause_driver,
            "server_cores": server_cores,
            "browser_cores": browser_cores,
            "worker_on_cpu": worker_on_cpu,
            "worker_waiting": worker_waiting,
            "threads": int(threads.group(1)) if threads else 0,
        }


def main() -> None:
    tune_process()  # the headless runs below run as tuned as the dashboard's server
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", choices=["rbm", "gan"], default="rbm")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--window", type=float, default=8.0, help="seconds of training watched")
    parser.add_argument(
        "--split-cores",
        action="store_true",
        help="the server on the first core alone, the browser (and this script) on the others, "
        "as when the visitor's browser runs on the visitor's machine; the headless runs still "
        "get every core",
    )
    args = parser.parse_args()
    print(describe())
    cores = sorted(os.sched_getaffinity(0))
    server_cpus = None
    if args.split_cores:
        if len(cores) < 2:
            parser.error("--split-cores needs two cores or more")
        server_cpus = {cores[0]}
        os.sched_setaffinity(0, set(cores[1:]))  # Chromium and its driver inherit this
        print(f"\nServer on core {cores[0]} alone; the browser on cores {cores[1:]}.")
    rounds = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for _ in range(args.rounds):
            rounds.append(page_round(browser, args.window, server_cpus, args.page))
        browser.close()
    os.sched_setaffinity(0, set(cores))
    # The same run headless, on torch's default thread count (every core: what a lone run may
    # take) and on the count a worker takes while others train (worker_threads).
    every_core = statistics.median(
        headless_steps_per_second(args.window, args.page) for _ in range(args.rounds)
    )
    shared = statistics.median(
        headless_steps_per_second(args.window, args.page, threads=worker_threads())
        for _ in range(args.rounds)
    )

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    ratio = median("throughput") / every_core
    print(f"\n## The {args.page.upper()} page in Chromium (medians of {args.rounds} rounds)\n")
    print("| measure | value | target |")
    print("| --- | ---: | ---: |")
    print(f"| interactive after `streamlit run` | {median('interactive'):.2f} s | ≤ 5 s |")
    print(f"| chart refreshes while training | {median('refreshes'):.1f} /s | ≥ 2 /s |")
    print(f"| status line (step counter) refreshes | {median('status'):.1f} /s | |")
    print(
        f"| Pause takes effect (click to 'Paused' shown, timed in the page) | "
        f"{median('pause'):.2f} s | ≤ 0.5 s |"
    )
    print(
        f"| same, timed from Python around Playwright's click (its checks before clicking "
        f"included) | {median('pause_driver'):.2f} s | |"
    )
    print(
        f"| the lone run in the page / the same run headless on torch's default "
        f"{torch.get_num_threads()} thread(s) | {median('throughput'):.2f} / {every_core:.2f} "
        f"steps/s = **{ratio:.0%}** | ≥ 90% |"
    )
    print(
        f"| same, headless on {worker_threads()} thread(s), a worker's share while others train "
        f"| {median('throughput'):.2f} / {shared:.2f} steps/s = "
        f"{median('throughput') / shared:.0%} | |"
    )
    print(
        f"| threads the page's worker trained on at the window's end (per round) | "
        f"{', '.join(str(r['threads']) for r in rounds)} | |"
    )
    print(
        f"| cores busy while training in the page: server (training and drawing) / Chromium | "
        f"{median('server_cores'):.2f} / {median('browser_cores'):.2f} of {os.cpu_count()} | |"
    )
    print(
        f"| the worker thread: share of the time on a CPU / runnable but waiting for a CPU "
        f"(taken by other threads, the browser's among them) | {median('worker_on_cpu'):.3f} / "
        f"{median('worker_waiting'):.3f} | |"
    )


if __name__ == "__main__":
    main()
