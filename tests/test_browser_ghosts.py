"""Earlier runs in a real browser, at a laptop's size: train the GAN with k = 1, Reset to
k = 10, train; every curve panel draws both runs with the earlier one's name, the samples of
both stand side by side at the same step, and the earlier run can be hidden and pinned.
Screenshots go to tests/artifacts."""

from __future__ import annotations

import base64
import re
import urllib.parse

import pytest

from serving.browser import served_dashboard, slider_to_end
from tests.test_browser import ARTIFACTS, CURVES, status

pytestmark = pytest.mark.slow  # Chromium and a served dashboard

sync_api = pytest.importorskip("playwright.sync_api")

NAME = "k 1 → 10"


def train_to(page, steps: int) -> None:
    """Start (or Resume) and pause once the run has passed ``steps``."""
    page.get_by_role("button", name=re.compile("^(Start|Resume)$")).first.click()
    page.wait_for_function(
        f"() => /Training — step ([0-9,]+)/.test(document.body.innerText) && "
        f"parseInt(document.body.innerText.match(/step ([0-9,]+)/)[1].replace(/,/g, '')) "
        f">= {steps}",
        timeout=120_000,
    )
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_text(re.compile(r"Paused — step \d+")).first.wait_for(timeout=30_000)


def picture_text(page, source: str) -> str:
    """An SVG picture's text: inline in its address (base64 or not), or a media file."""
    if not source.startswith("data:"):
        return page.request.get(source).text()
    head, _, body = source.partition(",")
    if head.endswith(";base64"):
        return base64.b64decode(body).decode()
    return urllib.parse.unquote(body)


def panels_naming(page, name: str) -> int:
    """How many curve panels draw a line called ``name``."""
    sources = page.locator(CURVES).evaluate_all("pictures => pictures.map(p => p.src)")
    pictures = [picture_text(page, source) for source in sources]
    return sum(f'data-label="{name}"' in picture for picture in pictures)


def test_a_run_with_k_1_stays_beside_the_run_with_k_10(browser):
    with served_dashboard() as url:
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        page = context.new_page()
        try:
            page.goto(f"{url}/gan?dataset=mnist-5k&k=1")
            page.get_by_role("button", name="Start", exact=True).wait_for(timeout=60_000)
            train_to(page, 40)
            slider_to_end(page, "D updates per G update (k)")
            page.get_by_role("button", name="Reset", exact=True).click()
            page.get_by_text(re.compile(r"— step 0\b")).first.wait_for(timeout=30_000)
            train_to(page, 12)
            assert status(page)[0] == "Paused"
            page.get_by_text("Samples at step 10").wait_for(timeout=30_000)
            panels = page.locator(CURVES).count()
            assert panels >= 6 and panels_naming(page, NAME) >= 3  # every panel with curves
            page.get_by_text("Samples at step 10").evaluate("e => e.scrollIntoView()")
            page.screenshot(path=str(ARTIFACTS / "ghosts-gan-1366-samples.png"))
            page.locator(CURVES).nth(2).evaluate("e => e.scrollIntoView()")
            page.screenshot(path=str(ARTIFACTS / "ghosts-gan-1366-curves.png"))
            row = page.get_by_text("Earlier runs").first
            row.scroll_into_view_if_needed()
            toggle = page.locator('[data-testid="stCheckbox"] label')
            toggle.filter(has_text="Keep this run").first.click()
            page.wait_for_timeout(500)
            toggle.filter(has_text=re.compile("^Show$")).first.click()
            page.wait_for_function(
                "() => !document.body.innerText.includes('Samples at step 10')", timeout=30_000
            )
            assert panels_naming(page, NAME) == 0  # hidden: in no panel
            assert page.get_by_role("switch", name="Keep this run").first.is_checked()
            page.screenshot(path=str(ARTIFACTS / "ghosts-gan-1366-hidden.png"))
        finally:
            context.close()
