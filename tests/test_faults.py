"""Faults under load: while two visitors train, four others break things in their own sessions.

One real `streamlit run` server, Debian's Chromium through Playwright, one browser context
(one Streamlit session) per visitor. Each fault must give its own visitor a message, and the
two healthy sessions must keep training throughout, with no traceback anywhere.
"""

from __future__ import annotations

import re
import time

import pytest
import torch

from serving.browser import CHROMIUM, CHROMIUM_FLAGS, free_port, require_chromium, served_process

pytestmark = pytest.mark.slow  # Chromium and a served dashboard

pytest.importorskip("playwright.sync_api")
require_chromium()

STATUS = re.compile(r"(\w+) — step (\d+)")
# Every 100 ms, note any exception the page shows, however briefly.
WATCH_EXCEPTIONS = """() => {
  window.__exceptions = [];
  setInterval(() => {
    for (const shown of document.querySelectorAll('[data-testid="stException"]')) {
      if (!window.__exceptions.includes(shown.innerText)) window.__exceptions.push(shown.innerText);
    }
  }, 100);
}"""


def status(page) -> tuple[str, int]:
    match = STATUS.search(page.get_by_text(STATUS).first.inner_text(timeout=10_000))
    return match.group(1), int(match.group(2))


def test_each_fault_stays_in_its_own_session_while_others_train(tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    from core.rbm.model import RBM, checkpoint_bytes

    # Online datasets come from a mirror that refuses at once (nothing listens on the port),
    # into an empty cache: the "offline download" visitor.
    monkeypatch.setenv("RBM_GAN_MIRRORS", f"http://127.0.0.1:{free_port()}/")
    monkeypatch.setenv("RBM_GAN_CACHE", str(tmp_path / "cache"))
    overflowing = RBM(64, 20, seed=0)
    with torch.no_grad():
        overflowing.W.fill_(1e38)  # finite, but W·v overflows: the first update is NaN
    (tmp_path / "overflowing.pt").write_bytes(checkpoint_bytes(overflowing))
    (tmp_path / "corrupt.pt").write_bytes(b"\x80\x02 not a torch file")

    with sync_playwright() as playwright, served_process(timeout=60) as (url, _):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        errors: list[str] = []

        def visitor(path: str):
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.on("pageerror", lambda error: errors.append(f"{path}: {error}"))
            page.goto(f"{url}{path}", timeout=60_000)
            page.evaluate(WATCH_EXCEPTIONS)
            return page

        healthy = [visitor("/rbm?epochs=200"), visitor("/gan?dataset=digits")]
        for page in healthy:
            start = page.get_by_role("button", name="Start", exact=True)
            start.wait_for(timeout=60_000)
            start.click()
        for page in healthy:
            page.get_by_text(re.compile(r"(Training|Waiting)")).first.wait_for(timeout=30_000)
        before = [status(page)[1] for page in healthy]

        # 1. A run that diverges: its worker raises, the run stops with a message.
        diverging = visitor("/rbm?dataset=digits&hidden=20")
        diverging.get_by_role("button", name="Start", exact=True).wait_for(timeout=60_000)
        checkpoint = "input[type=file][accept$='.pt']"  # not your digit's photo
        diverging.locator(checkpoint).set_input_files(str(tmp_path / "overflowing.pt"))
        diverging.get_by_text("Continuing from overflowing.pt").wait_for(timeout=20_000)
        diverging.get_by_role("button", name="Start", exact=True).click()
        diverging.get_by_text(re.compile(r"Training stopped: .*diverged")).wait_for(timeout=20_000)
        # 2. A corrupt checkpoint: refused, the visitor's GAN unchanged.
        corrupt = visitor("/gan")
        corrupt.get_by_role("button", name="Start", exact=True).wait_for(timeout=60_000)
        corrupt.locator(checkpoint).set_input_files(str(tmp_path / "corrupt.pt"))
        corrupt.get_by_text("The current GAN is unchanged").wait_for(timeout=20_000)
        # 3. A link full of garbage: notices, defaults, a page that works.
        garbage = visitor("/rbm?hidden=abc&lr=-5&k=1e999&seed=%3Cscript%3E&junk=1")
        garbage.get_by_role("button", name="Start", exact=True).wait_for(timeout=60_000)
        for name in ("hidden", "lr", "k", "seed"):
            garbage.get_by_text(re.compile(f"“{name}=.*” in the link")).wait_for(timeout=10_000)
        # 4. A dataset that must be downloaded, offline: a clear message, no hang.
        offline = visitor("/rbm?dataset=fashion-mnist")
        offline.get_by_text(re.compile(r"Could not download 'fashion-mnist'")).wait_for(
            timeout=30_000
        )

        time.sleep(1.0)
        after = [status(page) for page in healthy]
        assert [state for state, _ in after] == ["Training", "Training"] or all(
            state in ("Training", "Waiting") for state, _ in after
        )
        assert all(steps > first for (_, steps), first in zip(after, before, strict=True))
        moving = [status(page)[1] for page in healthy]
        time.sleep(1.5)
        assert all(  # and they are still training now
            status(page)[1] > steps for page, steps in zip(healthy, moving, strict=True)
        )
        for page in healthy + [diverging, corrupt, garbage, offline]:
            assert page.evaluate("() => window.__exceptions") == [], page.url
        assert status(diverging)[0] == "Failed"
        assert errors == []
        browser.close()
