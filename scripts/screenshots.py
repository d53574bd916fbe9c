"""The README's screenshots: each page of the served dashboard in Chromium, trained a little
and paused, at a projector's 1920×1080 (and, with --sizes, a laptop's and a phone's).

    python scripts/screenshots.py               # docs/screenshots/*.png (one per page)
    python scripts/screenshots.py --sizes 1366x768 390x844 --out /tmp/shots
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from serving.browser import CHROMIUM, CHROMIUM_FLAGS, served_process

ROOT = Path(__file__).resolve().parents[1]

PAGES = {  # name: (path, seconds of training before the pause; 0: no training, its Start)
    "home": ("/", 0, ""),
    "rbm": ("/rbm?epochs=200", 6, "Start"),
    "gan": ("/gan", 12, "Start"),
    "gan_2d": ("/gan-2d", 6, "Play"),
    "rbm_exact": ("/rbm-exact", 8, "Play"),
}


def shoot(page, url: str, seconds: float, start: str, path: Path) -> None:
    page.goto(url)
    if seconds:
        page.get_by_role("button", name=start, exact=True).click()
        page.get_by_text(re.compile(r"Training — step \d+")).wait_for(timeout=30_000)
        page.wait_for_timeout(seconds * 1000)
        page.get_by_role("button", name="Pause", exact=True).click()
        page.get_by_text(re.compile(r"Paused — step")).wait_for(timeout=10_000)
    page.get_by_test_id("stImage").first.wait_for(timeout=30_000)  # a picture drawn
    page.wait_for_timeout(2500)  # the charts drawn
    page.screenshot(path=str(path))


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1920x1080"])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with served_process(timeout=60) as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for size in args.sizes:
            width, height = (int(n) for n in size.split("x"))
            for name, (path, seconds, start) in PAGES.items():
                context = browser.new_context(viewport={"width": width, "height": height})
                suffix = "" if len(args.sizes) == 1 else f"_{size}"
                shoot(
                    context.new_page(), url + path, seconds, start, args.out / f"{name}{suffix}.png"
                )
                context.close()
                print(f"{name} at {size}", flush=True)
        browser.close()


if __name__ == "__main__":
    main()
