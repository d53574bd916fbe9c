"""The two small pages in a real browser, on a server of their own (their timing is measured,
and their sessions must not load the other browser tests' server): "RBM up close" and "GAN in
2-D", each drawn on by mouse, played, watched and stepped."""

from __future__ import annotations

import re
import time

import pytest

from serving.browser import READ_WATCH, WATCH_STATUS, served_dashboard, slider_to_end
from tests.test_browser import ARTIFACTS, SVG_CHART, status

pytestmark = pytest.mark.slow  # Chromium and a served dashboard

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server():
    with served_dashboard() as url:
        yield url


# Counts how often the n-th picture on the page changes, every 50 ms.
WATCH_PICTURE = """(n) => {
  const watch = {changes: 0, last: null};
  window.__pictureWatch = watch;
  setInterval(() => {
    const picture = document.querySelectorAll('[data-testid="stImage"] img')[n];
    const source = picture ? picture.getAttribute('src') : null;
    if (source === null || source === watch.last) return;
    if (watch.last !== null) watch.changes += 1;
    watch.last = source;
  }, 50);
}"""


def test_rbm_up_close_trains_on_drawn_images_redraws_and_walks_one_update(server, browser):
    """Make a dataset by clicking cells, train on it, watch the page redraw at least twice a
    second while it plays, then walk through one update in slow motion."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{server}/rbm-exact")
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=30_000)
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="Your own images").click()
    cell = page.locator(".st-key-ex_cell_0_1 button")
    cell.wait_for(timeout=10_000)
    assert cell.inner_text() == "□"
    cell.click()
    page.wait_for_function(
        "() => document.querySelector('.st-key-ex_cell_0_1 button').innerText.includes('■')"
    )
    assert "own=3x3%3A110010001" in page.url or "own=3x3:110010001" in page.url
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_text("changed: press Reset").wait_for(state="detached", timeout=10_000)
    slider_to_end(page, "Updates")  # long enough to watch
    page.get_by_role("button", name="Play", exact=True).click()
    page.get_by_text(re.compile(r"Training — step \d+")).wait_for(timeout=10_000)
    page.evaluate(WATCH_STATUS)
    page.evaluate(WATCH_PICTURE, 2)  # the race: data, model, then its log-likelihood chart
    page.wait_for_timeout(4000)
    watched = page.evaluate(READ_WATCH)
    redraws = page.evaluate("() => window.__pictureWatch.changes")
    assert redraws >= 8, redraws  # the live view redrawn at least twice a second
    assert watched["count"] >= 8, watched  # and the status line moving as often
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_text(re.compile(r"Paused — step")).wait_for(timeout=5_000)
    assert status(page)[1] > 100

    page.get_by_role("button", name="Take the next batch").click()
    page.get_by_text("Step 1 · sample h ~ P(h | v)").wait_for(timeout=10_000)
    for title in ("Step 2 · sample", "Step 3 · the cost", "Step 4 · the gradient step"):
        page.get_by_role("button", name="Next", exact=True).click()
        page.get_by_text(title).wait_for(timeout=10_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "rbm_exact_page.png"), full_page=True)
    steps = status(page)[1]
    page.get_by_role("button", name="Apply this update").click()
    page.get_by_text(re.compile(rf"Paused — step {steps + 1}\b")).wait_for(timeout=10_000)
    assert page.get_by_test_id("stException").count() == 0
    page.close()


def choose_data(page, name: str) -> None:
    """Pick ``name`` in the sidebar's first select box (its "Data")."""
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first.click()
    page.keyboard.type(name)
    page.keyboard.press("Enter")


def test_gan_in_2d_plays_redraws_covers_the_ring_and_trains_on_drawn_and_uploaded_points(
    server, browser, tmp_path
):
    page = browser.new_page(viewport={"width": 1366, "height": 1000})
    page.goto(f"{server}/gan-2d")
    page.get_by_role("button", name="Play", exact=True).click()
    page.get_by_text(re.compile(r"Training — step \d+")).wait_for(timeout=30_000)
    played = time.monotonic()
    page.evaluate(WATCH_STATUS)  # the first picture is the plane
    modes = page.get_by_test_id("stMetric").filter(has_text="Modes covered")
    while "8 of 8" not in modes.inner_text():
        assert time.monotonic() - played < 20, modes.inner_text()  # the target: 20 s of Play
        page.wait_for_timeout(200)
    page.wait_for_timeout(3000)
    watched = page.evaluate(READ_WATCH)
    seconds = time.monotonic() - played
    assert watched["first_charts"] / seconds >= 4, watched  # the plane, several times a second
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_text(re.compile(r"Paused — step")).wait_for(timeout=5_000)
    assert status(page)[1] / seconds >= 50  # steps per second in the page (bench: ≥ 100)

    plane = page.locator(SVG_CHART).first.get_attribute("src")
    steps = status(page)[1]
    page.get_by_role("button", name="Step D only").click()
    page.get_by_text(re.compile(rf"Paused — step {steps + 1}\b")).wait_for(timeout=10_000)
    assert page.locator(SVG_CHART).first.get_attribute("src") != plane  # D's surface moved

    page.get_by_role("button", name="Mode collapse").click()
    # its sentence under the presets (in the sidebar, which may be closed), as the notice
    # "Mode collapse: …" (the expander of every preset's sentence has it too)
    notice = page.get_by_text(re.compile("^Mode collapse: G learns a hundred"))
    notice.wait_for(state="attached", timeout=10_000)
    page.get_by_text(re.compile(r"— step 0\b")).wait_for(timeout=10_000)  # a new run

    choose_data(page, "Draw your own")
    canvas = page.locator("canvas").last
    canvas.wait_for(timeout=10_000)
    box = canvas.bounding_box()
    for dx, dy in ((60, 60), (260, 80), (160, 250)):
        page.mouse.click(box["x"] + dx, box["y"] + dy)
        page.wait_for_timeout(300)
    page.get_by_text("3 point(s) placed").wait_for(timeout=10_000)
    page.get_by_role("button", name="Use these points").click()
    page.get_by_text("The 3 points you placed").first.wait_for(timeout=10_000)
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text(re.compile(r"Paused — step 1\b")).wait_for(timeout=10_000)
    page.get_by_text("Settings of this run").click()
    page.get_by_text('"Your points"').wait_for(timeout=5_000)  # trained on the drawing
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "gan_2d_page.png"), full_page=True)

    choose_data(page, "Upload a CSV")
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text("x,y\n1,2\n3,nan\n5,6\n")
    good.write_text("x,y\n" + "\n".join(f"{i % 7},{i % 5}" for i in range(60)))
    page.locator("input[type=file][accept$='.csv']").set_input_files(str(bad))
    page.get_by_text("bad.csv: Row 2 holds a NaN").wait_for(timeout=10_000)
    assert page.get_by_text("Nothing was changed").is_visible()
    page.locator("input[type=file][accept$='.csv']").set_input_files(str(good))
    page.get_by_text("good.csv: 60 points from your file").wait_for(timeout=10_000)
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text(re.compile(r"Paused — step 1\b")).wait_for(timeout=10_000)
    page.get_by_text('"Uploaded points"').wait_for(state="attached", timeout=5_000)
    assert page.get_by_test_id("stException").count() == 0
    page.close()
