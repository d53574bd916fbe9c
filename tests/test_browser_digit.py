"""Your digit in a real browser: a stroke drawn on the RBM page's and the GAN page's drawing pad,
with the mouse at a laptop's size and a finger at a phone's, brings the model's views of it;
the RBM completes it and D judges it; the pad's Undo, Redo and Clear take the views away and
back. Screenshots go to tests/artifacts."""

from __future__ import annotations

import re
import time

import pytest

from serving.browser import draw_a_one, served_dashboard
from tests.test_browser import ARTIFACTS

pytestmark = pytest.mark.slow  # Chromium and a served dashboard

sync_api = pytest.importorskip("playwright.sync_api")

SIZES = [(1366, 768), (390, 844)]
JUDGED = re.compile(r"The judge (reads|is unsure|calls)")


def new_page(browser, width: int, height: int):
    """A laptop (mouse) or, below 1,000 pixels wide, a phone (touch)."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=width < 1000
    )
    return context, context.new_page()


@pytest.fixture(scope="module")
def server():
    with served_dashboard() as url:
        yield url


@pytest.mark.parametrize("width,height", SIZES)
def test_a_drawn_digit_lights_up_units_and_is_completed_on_the_rbm_page(
    server, browser, width, height
):
    context, page = new_page(browser, width, height)
    try:
        page.goto(f"{server}/rbm?dataset=mnist-5k")
        page.get_by_role("heading", name="Your digit").wait_for(timeout=60_000)
        page.get_by_text("Draw something first").first.wait_for(timeout=30_000)
        draw_a_one(page, touch=width < 1000)
        page.get_by_text(JUDGED).first.wait_for(timeout=30_000)
        page.get_by_text(
            re.compile(r"more typical than \d+% of 500 training digits and \d+% of 500 validation")
        ).wait_for()
        assert page.get_by_text("The hidden units it lights up most").count() == 1
        page.get_by_text("Your digit", exact=True).first.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"digit-rbm-{width}.png"))
        go = page.get_by_role("button", name="Go")
        go.scroll_into_view_if_needed()
        go.click()
        page.get_by_text(re.compile("the mean of the last half")).wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / f"digit-rbm-{width}-completed.png"))
        if width < 1000:
            return
        # paint the cells to hide on a second canvas over the digit, then complete those
        drawn = page.locator("canvas").count()  # the digit's canvas (its layers)
        page.get_by_text("cells I paint").click()
        deadline = time.monotonic() + 30
        while page.locator("canvas").count() <= drawn and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        painting = page.locator("canvas").last  # the painting canvas, below the digit's
        painting.scroll_into_view_if_needed()
        box = painting.bounding_box()
        page.mouse.move(box["x"] + 0.2 * box["width"], box["y"] + 0.7 * box["height"])
        page.mouse.down()
        page.mouse.move(box["x"] + 0.8 * box["width"], box["y"] + 0.7 * box["height"], steps=8)
        page.mouse.up()
        page.wait_for_timeout(500)
        page.get_by_role("button", name="Go").click()
        page.get_by_text(re.compile("the mean of the last half")).wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / f"digit-rbm-{width}-painted.png"))
    finally:
        context.close()


@pytest.mark.parametrize("width,height", SIZES)
def test_d_judges_a_drawn_digit_and_g_searches_for_it_on_the_gan_page(
    server, browser, width, height
):
    context, page = new_page(browser, width, height)
    try:
        page.goto(f"{server}/gan?dataset=mnist-5k")
        step = page.get_by_role("button", name="Step", exact=True)
        step.wait_for(timeout=60_000)
        for _ in range(3):  # a GAN that has trained a little: D and G have something to say
            step.click()
            page.wait_for_timeout(300)
        page.get_by_role("heading", name="Your digit").scroll_into_view_if_needed()
        page.get_by_text("Draw something first").first.wait_for(timeout=30_000)
        draw_a_one(page, touch=width < 1000)
        page.get_by_text(re.compile(r"D calls your drawing real with [01]\.\d\d")).wait_for(
            timeout=30_000
        )
        page.screenshot(path=str(ARTIFACTS / f"digit-gan-{width}.png"))
        search = page.get_by_role("button", name="Search")
        search.scroll_into_view_if_needed()
        search.click()
        page.get_by_text(re.compile(r"G\(z\) is \d\.\d+ from your digit")).wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / f"digit-gan-{width}-found.png"))
    finally:
        context.close()


def test_the_pad_s_undo_redo_and_clear_take_the_drawing_away_and_back(server, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(f"{server}/rbm?dataset=mnist-5k")
        page.get_by_text("Draw something first").first.wait_for(timeout=60_000)
        draw_a_one(page)
        page.get_by_text(JUDGED).first.wait_for(timeout=30_000)
        # a screen of two device pixels to a CSS pixel gets a pad drawn at its own resolution
        sides = page.locator("canvas.pad-canvas").evaluate("c => [c.width, c.clientWidth]")
        assert sides[0] == 2 * sides[1]
        tools = {name: page.get_by_role("button", name=name) for name in ("Undo", "Redo", "Clear")}
        tools["Undo"].first.click()
        page.get_by_text("Draw something first").first.wait_for(timeout=30_000)
        assert page.get_by_text(JUDGED).count() == 0
        tools["Redo"].first.click()
        page.get_by_text(JUDGED).first.wait_for(timeout=30_000)
        tools["Clear"].first.click()
        page.get_by_text("Draw something first").first.wait_for(timeout=30_000)
        tools["Redo"].first.click()  # nothing to redo after a clear: the pad stays empty
        page.wait_for_timeout(1000)
        assert page.get_by_text("Draw something first").count() >= 1
        assert page.get_by_text(JUDGED).count() == 0
    finally:
        context.close()
