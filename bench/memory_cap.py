"""Near the memory cap: a server held to a container's limit refuses new runs, and lives.

    python bench/memory_cap.py                  # a 900 MB cap, up to 40 visitors
    python bench/memory_cap.py --memory-mb 2700 --visitors 150 --page rbm

Starts the real dashboard on 127.0.0.1 inside a cgroup v1 memory group (as a container's limit;
needs root), then lets visitors come one after another in Debian's Chromium, each in its own
browser context: each opens the page and takes one Step (so its model and optimiser exist),
then stays. Prints, per visitor, whether it got a run or the refusal, and the group's memory
(less the page cache, as the page reads it) and its peak; at the end, whether the server still
answers and every admitted page still shows its model, and how often the cap was hit.
"""

from __future__ import annotations

import argparse
import re
import urllib.request
from pathlib import Path

from bench.load_test import memory_group
from bench.machine import describe
from serving import memory
from serving.browser import CHROMIUM, CHROMIUM_FLAGS, served_process

REFUSED = "near its memory limit"


def read_group(pid: int) -> memory.Memory:
    """What the page reads for the server (serving.memory), read here from outside it."""
    return memory.from_cgroup(membership=Path(f"/proc/{pid}/cgroup"))


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory-mb", type=int, default=900)
    parser.add_argument("--visitors", type=int, default=40)
    parser.add_argument("--page", default="gan", choices=["gan", "rbm"])
    parser.add_argument("--after-refusals", type=int, default=3, help="stop after this many")
    args = parser.parse_args()
    print(describe())
    print(f"Cap {args.memory_mb} MB, page /{args.page}, one Step per visitor.\n")
    print("| visitor | got | group MB in use, as the page reads it | peak MB | cap hits |")
    print("| ---: | --- | ---: | ---: | ---: |")
    with (
        memory_group(args.memory_mb) as (group, usage),
        served_process(timeout=60, memory_group=group) as (url, process),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        admitted, refused = [], 0
        for visitor in range(1, args.visitors + 1):
            page = browser.new_context().new_page()
            page.goto(f"{url}/{args.page}?dataset=mnist-5k", timeout=120_000)
            step = page.get_by_role("button", name="Step", exact=True)
            no = page.get_by_text(REFUSED)
            step.or_(no).first.wait_for(timeout=120_000)
            if no.count():
                refused += 1
                got = "refused"
            else:
                step.click()
                page.get_by_text(re.compile(r"Paused — step 1\b")).wait_for(timeout=120_000)
                admitted.append(page)
                got = "a run"
            used = read_group(process.pid).used / 2**20
            peak, hits = usage()
            print(f"| {visitor} | {got} | {used:.0f} | {peak:.0f} | {hits} |", flush=True)
            if refused >= args.after_refusals:
                break
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as response:
            alive = response.status == 200 and process.poll() is None
        showing = sum(
            bool(page.get_by_text(re.compile(r"Paused — step 1\b")).count()) for page in admitted
        )
        peak, hits = usage()
        print(
            f"\n{len(admitted)} runs admitted, {refused} refused; server answering: "
            f"{'yes' if alive else 'NO'}; admitted pages still showing their model: "
            f"{showing} of {len(admitted)}; peak {peak:.0f} MB of {args.memory_mb}; "
            f"cap hit {hits} times."
        )
        browser.close()


if __name__ == "__main__":
    main()
