"""Many visitors at once: N browser sessions on one dashboard, each training its own RBM.

    python bench/load_test.py                      # N = 1, 5, 10, 20; 20 s of training each
    python bench/load_test.py --sessions 1 5 --seconds 10
    python bench/load_test.py --sessions 10 20 --replicas 2   # through nginx (deploy/hall.py)

Starts the real dashboard on 127.0.0.1, opens N browser contexts in Debian's Chromium (each
its own Streamlit session), opens the RBM page in each with its own number of hidden units in
the link (and mini-batches of 10 for 200 epochs, so that no run ends while it is watched),
presses Start everywhere, waits until every page trains, and watches for a bounded time.
Reports per N: the server's resident memory when started, warm (after a first visitor has come
and gone: libraries and the shared dataset loaded), at the end and after the tabs are closed
and their sessions released; memory per session; training steps per second per session; how
often each page's status line and its charts changed (counted in the page) and the longest the
status line stayed the same;
errors; and whether every session saw only its own model (the hidden units its link asked for).
With --replicas N the server is N replicas behind nginx (deploy/hall.py), each on its share of
the cores: memory is their sum (and each one's when loaded), and nginx's log tells how many
sessions each replica held and whether every browser stayed on one replica.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import re
import statistics
import sys
import time
from pathlib import Path

from serving.browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    READ_WATCH,
    WATCH_STATUS,
    memory_group,
    served_process,
    status,
)

ROOT = Path(__file__).resolve().parents[1]

SESSION_TTL = 5  # seconds a closed tab's session lingers (Streamlit's default is 120)
SETTLE = 3  # seconds between the last page showing "Training" and the measurement
START_SHOWN_WITHIN = 600  # seconds every page has to show "Training" after its Start


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def threads(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


def shown_steps(page, index: int, errors: list[str], otherwise: int) -> int:
    """The step count a page's status line shows; a page that cannot show it within a minute
    (a starved browser, a dead server) is an error, counted as ``otherwise``."""
    try:
        return status(page, timeout=60_000)[1]
    except Exception as error:
        errors.append(f"session {index}: {type(error).__name__} reading its status line")
        return otherwise


class Servers:
    """One dashboard process, or a hall of replicas behind nginx: their URL and process ids."""

    def __init__(self, url: str, pids: list[int], run_dir: Path | None = None) -> None:
        self.url, self.pids, self.run_dir = url, pids, run_dir
        self.usage = None  # under a memory cap: a function giving (peak MB, times it was hit)

    def memory(self) -> float:
        return sum(resident_mb(pid) for pid in self.pids)

    def threads(self) -> int:
        return sum(threads(pid) for pid in self.pids)

    def stickiness(self) -> tuple[dict[str, int], bool]:
        """From nginx's log: sessions (WebSocket opens by distinct browsers) per replica, and
        whether every browser's requests all went to one replica."""
        if self.run_dir is None:
            return {}, True
        upstreams, sessions = collections.defaultdict(set), collections.defaultdict(set)
        for line in (self.run_dir / "nginx-access.log").read_text().splitlines():
            found = re.search(r"replica=(\S+) upstream=(\S+)", line)
            if not found or found.group(1) == "-" or found.group(2) == "-":
                continue
            upstreams[found.group(1)].add(found.group(2))
            if "/_stcore/stream" in line:
                sessions[found.group(2)].add(found.group(1))
        per_replica = {upstream: len(browsers) for upstream, browsers in sessions.items()}
        return per_replica, all(len(seen) == 1 for seen in upstreams.values())


@contextlib.contextmanager
def serving(replicas: int, options: list[str], server_cpus: set[int] | None, memory_mb: int = 0):
    if not replicas:
        with contextlib.ExitStack() as stack:
            group, usage = (
                stack.enter_context(memory_group(memory_mb)) if memory_mb else (None, None)
            )
            url, process = stack.enter_context(
                served_process(timeout=60, options=options, cpus=server_cpus, memory_group=group)
            )
            servers = Servers(url, [process.pid])
            servers.usage = usage
            yield servers
        return
    from deploy import hall

    run_dir = Path(f"/tmp/rbm-gan-load-hall-{os.getpid()}")
    cores = len(server_cpus or os.sched_getaffinity(0))
    started = hall.start(
        replicas, hall.free_port(), max(1, cores // replicas), run_dir, options=options
    )
    try:
        yield Servers(started.url, [r.pid for r in started.replicas], run_dir)
    finally:
        hall.stop(run_dir)


def one_round(
    playwright,
    n: int,
    seconds: float,
    server_cpus: set[int] | None = None,
    replicas: int = 0,
    memory_mb: int = 0,
) -> dict:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    options = [f"--server.disconnectedSessionTTL={SESSION_TTL}"]
    with serving(replicas, options, server_cpus, memory_mb) as servers:
        url = servers.url
        cold = servers.memory()
        # Warm up as a first visitor would: the libraries and the shared dataset load once per
        # process and stay; "where the server started" is after that visitor has left.
        context = browser.new_context()
        warm_up = context.new_page()
        warm_up.goto(f"{url}/rbm", timeout=120_000)
        warm_up.get_by_role("button", name="Start", exact=True).wait_for(timeout=120_000)
        context.close()
        time.sleep(SESSION_TTL + 5)
        idle = servers.memory()
        idle_threads = servers.threads()
        contexts, pages, errors = [], [], []
        for i in range(n):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{url}/rbm?hidden={20 + i}&batch=10&epochs=200", timeout=120_000)
            contexts.append(context)
            pages.append(page)
        for page in pages:
            page.get_by_role("button", name="Start", exact=True).wait_for(timeout=120_000)
            page.get_by_role("button", name="Start", exact=True).click()
        clicked = time.perf_counter()
        for page in pages:  # every page has taken its Start (training, or waiting for a slot)
            page.get_by_text(re.compile(r"Training — step")).first.wait_for(
                timeout=START_SHOWN_WITHIN * 1000
            )
        all_started = time.perf_counter() - clicked
        time.sleep(SETTLE)
        first = [shown_steps(page, index, errors, 0) for index, page in enumerate(pages)]
        for page in pages:  # each page counts its own redraws, in the browser
            page.evaluate(WATCH_STATUS)
        started = time.perf_counter()
        time.sleep(seconds)
        watched = [page.evaluate(READ_WATCH) for page in pages]
        elapsed = time.perf_counter() - started
        seen = [shown_steps(page, i, errors, first[i]) for i, page in enumerate(pages)]
        loaded = servers.memory()
        each_loaded = [resident_mb(pid) for pid in servers.pids]
        loaded_threads = servers.threads()
        own_model = True
        for index, page in enumerate(pages):
            try:
                page.get_by_text("Settings of this run").click(timeout=60_000)
                settings = page.get_by_test_id("stJson").inner_text(timeout=30_000)
            except Exception as error:  # a page that does not answer is an error; keep a look
                errors.append(f"session {index}: {type(error).__name__} reading its settings")
                (ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
                page.screenshot(path=ROOT / "bench" / "out" / f"load_session_{index}.png")
                own_model = False
                continue
            flat = re.sub(r"[\s\"]", "", settings)
            shown = re.search(r"hidden_units:(\d+)", flat)
            own_model &= bool(shown) and int(shown.group(1)) == 20 + index
            if page.get_by_test_id("stException").count():
                errors.append(f"session {index}: an exception on the page")
        for context in contexts:
            context.close()
        time.sleep(SESSION_TTL + 10)  # the sessions are released and their runs closed
        released = servers.memory()
        released_threads = servers.threads()
        per_replica, sticky = servers.stickiness()
        capped = servers.usage() if servers.usage else None
    browser.close()
    for error in errors:
        print(f"  error: {error}", file=sys.stderr)
    rates = [(s - f) / elapsed for s, f in zip(seen, first, strict=True)]
    refreshes = [w["count"] / elapsed for w in watched]
    charts = [w["charts"] / elapsed for w in watched]
    gaps = [w["longest_gap"] / 1000 for w in watched]
    return {
        "n": n,
        "cold": cold,
        "idle": idle,
        "loaded": loaded,
        "released": released,
        "per_session": (loaded - idle) / n,
        "steps_median": statistics.median(rates),
        "steps_min": min(rates),
        "steps_total": sum(rates),
        "refresh_median": statistics.median(refreshes),
        "refresh_min": min(refreshes),
        "charts_median": statistics.median(charts),
        "charts_min": min(charts),
        "longest_gap": max(gaps),
        "all_started": all_started,
        "errors": len(errors),
        "own_model": own_model,
        "threads": f"{idle_threads} / {loaded_threads} / {released_threads}",
        "each_loaded": each_loaded,
        "per_replica": per_replica,
        "sticky": sticky,
        "capped": capped,
    }


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 10, 20])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--split-cores",
        action="store_true",
        help="the server on the first core alone, the browsers (and this script) on the others: "
        "what one core of server does when the visitors' browsers run elsewhere",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=0,
        help="serve through nginx from this many replicas, each on its share of the cores",
    )
    parser.add_argument(
        "--memory-mb",
        type=int,
        default=0,
        help="hold the server to this much memory (a cgroup v1 group; root), as a container's "
        "limit: 2700 for Streamlit Community Cloud's",
    )
    args = parser.parse_args()
    server_cpus = None
    if args.split_cores:
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) < 2:
            parser.error("--split-cores needs two cores or more")
        server_cpus = {cores[0]}
        os.sched_setaffinity(0, set(cores[1:]))  # Chromium and its driver inherit this
        print(f"Server on core {cores[0]} alone; browsers on cores {cores[1:]}.\n")
    print(
        "| sessions | server MB started / warm / loaded / after close | MB per session | "
        "steps/s per session (median, min; total) | status refreshes/s per session (median, "
        "min) | chart refreshes/s (median, min) | "
        "longest time a page went unchanged | last Start shown after | errors | "
        "own model | server threads idle / loaded / after close |"
    )
    print("| ---: | --- | ---: | --- | --- | --- | ---: | ---: | ---: | --- | --- |")
    with sync_playwright() as playwright:
        for n in args.sessions:
            r = one_round(playwright, n, args.seconds, server_cpus, args.replicas, args.memory_mb)
            print(
                f"| {r['n']} | {r['cold']:.0f} / {r['idle']:.0f} / {r['loaded']:.0f} / "
                f"{r['released']:.0f} ({r['released'] / r['idle'] - 1:+.0%}) | "
                f"{r['per_session']:.1f} | {r['steps_median']:.0f}, {r['steps_min']:.0f}; "
                f"{r['steps_total']:.0f} | {r['refresh_median']:.2f}, {r['refresh_min']:.2f} | "
                f"{r['charts_median']:.2f}, {r['charts_min']:.2f} | "
                f"{r['longest_gap']:.1f} s | {r['all_started']:.1f} s | "
                f"{r['errors']} | {'yes' if r['own_model'] else 'NO'} | {r['threads']} |",
                flush=True,
            )
            if r["capped"]:
                peak, hits = r["capped"]
                print(f"    under {args.memory_mb} MB: peak {peak:.0f} MB, cap hit {hits} times")
            if args.replicas:
                print(
                    f"    replicas: MB loaded {', '.join(f'{m:.0f}' for m in r['each_loaded'])}; "
                    f"sessions per replica {sorted(r['per_replica'].values())}; every browser "
                    f"on one replica: {'yes' if r['sticky'] else 'NO'}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
