"""A real browser: `streamlit run dashboard.py`, Debian's Chromium driven by Playwright."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from PIL import Image

from serving.browser import (
    require_chromium,
    served_dashboard,
    served_process,
    slider_to_end,
)

pytestmark = pytest.mark.slow  # Chromium and a served dashboard

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
require_chromium()

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server():
    with served_dashboard() as url:
        yield url


def status(page) -> tuple[str, int]:
    text = page.get_by_text(re.compile(r"— step \d+")).first.inner_text()
    match = re.search(r"(\w+) — step (\d+)", text)
    return match.group(1), int(match.group(2))


SVG_CHART = "img[src^='data:image/svg+xml']"
CURVES = "[class*='curves'] img"  # the curve panels (pictures) in their keyed container


def test_a_deep_link_as_a_fresh_servers_first_request_gets_the_navigation(browser):
    """Streamlit takes a pages/ folder beside its main script for an old-style multipage app
    until a session calls st.navigation; a link to a page, opened before anyone saw the home
    page, must still get the titled navigation, the page config and the link's settings."""
    with served_process() as (url, _):
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        page.goto(f"{url}/gan?k=3&dataset=digits")
        page.get_by_role("button", name="Start", exact=True).wait_for(timeout=30_000)
        navigation = page.get_by_test_id("stSidebarNav")
        titles = [text.split("\n")[-1] for text in navigation.get_by_role("link").all_inner_texts()]
        assert titles == [
            "Home",
            "Restricted Boltzmann Machine",
            "Generative Adversarial Network",
            "GAN in 2-D",
            "RBM up close",
        ]
        assert page.title() == "GAN, live"
        k = page.locator('[data-testid="stSlider"]').filter(has_text="D updates per G update")
        assert k.get_by_test_id("stSliderThumbValue").inner_text() == "3"
        assert "k=3" in page.url and not page.get_by_text("in the link").count()
        page.close()


def test_rbm_page_trains_draws_and_pauses(server, browser):
    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    page.goto(f"{server}/rbm")
    page.get_by_role("button", name="Start", exact=True).wait_for(timeout=30_000)
    # Opened by its URL, the page still sits in the dashboard's navigation, with its title.
    navigation = page.get_by_test_id("stSidebarNav")
    assert navigation.get_by_text("Restricted Boltzmann Machine").is_visible()
    assert navigation.get_by_text("Home", exact=True).first.is_visible()
    slider_to_end(page, "Epochs")  # long enough to be paused while it trains
    page.get_by_role("button", name="Start", exact=True).click()

    # The loss chart gains points and the image grids appear while it trains.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state, steps = status(page)
        if state == "Training" and steps >= 50 and page.locator("img").count() >= 3:
            break
        time.sleep(0.25)
    else:
        pytest.fail(f"no training progress in the browser: {status(page)}")
    first_steps = status(page)[1]
    chart = page.locator(CURVES).first  # the curves are pictures
    first_chart = chart.get_attribute("src")
    time.sleep(1.0)
    assert status(page)[1] > first_steps  # the live view refreshes on its own
    assert chart.get_attribute("src") != first_chart  # and its chart is redrawn
    assert page.get_by_text(re.compile("Filters: rows of W")).is_visible()
    assert page.locator(CURVES).count() == 6  # each curve panel is a picture of its own
    svg_charts = page.locator(SVG_CHART).count()
    plotly_charts = page.locator(".js-plotly-plot").count()  # "Look inside" has its own

    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_text(re.compile(r"Paused — step")).wait_for(timeout=5_000)
    paused_at = status(page)[1]
    time.sleep(1.5)
    assert status(page) == ("Paused", paused_at)  # the step counter stopped
    # paused, the curves keep their look: the same pictures, no chart of another style
    assert page.locator(SVG_CHART).count() == svg_charts
    assert page.locator(".js-plotly-plot").count() == plotly_charts
    with page.expect_download() as download:  # files are made when their button is clicked
        page.get_by_role("button", name="Filters (PNG)").click()
    picture = Image.open(download.value.path())
    # enlarged for the file: eight filters of 28 pixels make a grid under 300 pixels wide
    assert picture.format == "PNG" and picture.width >= 400

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "rbm_page.png"), full_page=True)
    assert (ARTIFACTS / "rbm_page.png").stat().st_size > 20_000
    page.close()


def test_a_reload_keeps_the_browsers_run_and_a_key_from_another_server_is_told(server, browser):
    """A reload or a reconnect starts a new Streamlit session; the run is kept per browser (a
    cookie), so it goes on. A second tab has its own. A cookie this server never issued means
    the model lived in a server that is gone: the page says so."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{server}/rbm?dataset=digits&hidden=23")
    page.get_by_role("button", name="Step", exact=True).click(timeout=30_000)
    page.get_by_text(re.compile(r"Paused — step 1\b")).wait_for(timeout=30_000)
    cookies = {cookie["name"]: cookie for cookie in context.cookies()}
    assert cookies["dashboard_browser"]["path"] == "/"
    page.reload()
    page.get_by_text(re.compile(r"Paused — step 1\b")).wait_for(timeout=30_000)
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text(re.compile(r"Paused — step 2\b")).wait_for(timeout=30_000)
    tab = context.new_page()  # a second tab of the same browser: a model of its own
    tab.goto(f"{server}/rbm?dataset=digits&hidden=23")
    tab.get_by_role("button", name="Step", exact=True).click(timeout=30_000)
    tab.get_by_text(re.compile(r"Paused — step 1\b")).wait_for(timeout=30_000)
    assert not tab.get_by_text("server that held your model").count()
    page.reload()  # the first tab still finds its own
    page.get_by_text(re.compile(r"Paused — step 2\b")).wait_for(timeout=30_000)
    context.close()

    stranger = browser.new_context(viewport={"width": 1400, "height": 1000})
    stranger.add_cookies([{"name": "dashboard_browser", "value": "k" * 24, "url": server}])
    page = stranger.new_page()
    page.goto(f"{server}/rbm?dataset=digits&hidden=23")
    notice = page.get_by_text("The server that held your model restarted")
    notice.wait_for(timeout=30_000)
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text(re.compile(r"Paused — step 1\b")).wait_for(timeout=30_000)
    notice.wait_for(state="detached", timeout=10_000)  # gone once the new model trains
    page.reload()  # and its key is known here from now on
    page.get_by_text(re.compile(r"Paused — step 1\b")).wait_for(timeout=30_000)
    assert not page.get_by_text("The server that held your model restarted").count()
    stranger.close()


def test_uploading_checkpoints(server, browser, tmp_path):
    from core.rbm.model import RBM, checkpoint_bytes

    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    page.goto(f"{server}/rbm")
    page.get_by_role("button", name="Start", exact=True).wait_for(timeout=30_000)
    upload = page.locator("input[type=file][accept$='.pt']")  # not your digit's photo

    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"this is not a checkpoint")
    upload.set_input_files(str(bad))
    page.get_by_text("not a readable checkpoint").wait_for(timeout=10_000)
    assert page.get_by_text("The current model is unchanged").is_visible()

    good = tmp_path / "rbm_50h.pt"
    good.write_bytes(checkpoint_bytes(RBM(784, 50, seed=3)))
    upload.set_input_files(str(good))
    page.get_by_text("Continuing from rbm_50h.pt").wait_for(timeout=10_000)
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text(re.compile(r"Paused — step 1\b")).wait_for(timeout=10_000)
    assert not page.get_by_text("press Reset").is_visible()  # the sliders follow the file
    page.close()


def test_the_replay_scrubs_to_a_checkpoint_and_continues_from_it(server, browser):
    from core.data.recordings import load_recording, recording_path

    recording = load_recording(recording_path(ROOT / "assets" / "gan_mnist-5k.pt"), "gan")
    step = min(recording.checkpoints)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{server}/gan")
    page.get_by_role("button", name="Start", exact=True).wait_for(timeout=30_000)
    page.get_by_text("Replay: the pretrained GAN").click()
    page.get_by_text("after 0 steps").wait_for(timeout=10_000)
    slider = page.get_by_role("slider", name="Recorded step")
    slider.focus()
    for _ in range(recording.steps.index(step)):  # a keypress moves one recorded step
        page.keyboard.press("ArrowRight")
    page.get_by_text(f"after {step:,} steps").wait_for(timeout=10_000)
    page.get_by_role("button", name=f"Continue training from step {step:,}").click()
    # the whole page reruns: the run stands at the checkpoint's step, paused, its grid drawn
    page.get_by_text(re.compile(rf"Paused — step {step}\b")).wait_for(timeout=20_000)
    page.get_by_text(f"Continuing from the pretrained GAN at step {step:,}").wait_for()
    page.close()


def test_gan_page_trains_samples_pauses_and_refuses_a_bad_upload(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    page.goto(f"{server}/gan?dataset=digits&batch=64")  # a shared link with settings
    start = page.get_by_role("button", name="Start", exact=True)
    start.wait_for(timeout=30_000)
    assert page.get_by_test_id("stSidebarNav").get_by_text("Generative Adversarial Network")
    start.click()

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state, steps = status(page)
        if state == "Training" and steps >= 30 and page.get_by_text("G(z) for the same 64 z"):
            if page.get_by_text("G(z) for the same 64 z").count():
                break
        time.sleep(0.25)
    else:
        pytest.fail(f"no GAN training in the browser: {status(page)}")
    first = status(page)[1]
    # the six curve panels, as pictures, and D's outputs and the coverage bars
    assert page.locator(CURVES).count() == 6 and page.locator(SVG_CHART).count() >= 8
    grid = page.get_by_test_id("stImage").filter(has_text="G(z) for the same 64 z").locator("img")
    first_grid = grid.get_attribute("src")
    deadline = time.monotonic() + 10
    while grid.get_attribute("src") == first_grid and time.monotonic() < deadline:
        time.sleep(0.2)
    assert grid.get_attribute("src") != first_grid  # the fixed-noise grid is redrawn
    assert status(page)[1] > first  # and the losses move on, on their own

    page.get_by_role("button", name="Sample", exact=True).click()
    page.get_by_text("64 fresh samples G(z)").wait_for(timeout=10_000)
    svg_charts = page.locator(SVG_CHART).count()
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_text(re.compile(r"Paused — step")).wait_for(timeout=5_000)
    paused_at = status(page)[1]
    time.sleep(1.0)
    assert status(page) == ("Paused", paused_at)
    # paused, the charts keep their look: the same pictures
    assert page.locator(CURVES).count() == 6 and page.locator(SVG_CHART).count() == svg_charts
    assert "batch=64" in page.url and "dataset=digits" in page.url
    # "Share for class" builds the link from the settings as they are, what to hide and the
    # projector layout
    page.get_by_role("button", name="Share for class").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("D updates per G update (k)", exact=True).click()  # by its label
    dialog.get_by_text(re.compile("Projector layout")).click()
    code = dialog.get_by_test_id("stCode")
    deadline = time.monotonic() + 15
    while "present=1" not in code.inner_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    link = code.inner_text()
    assert "dataset=digits" in link and "batch=64" in link and "hide=k" in link, link
    assert link.startswith(page.url.split("?")[0]) and "present=1" in link
    page.keyboard.press("Escape")

    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"\x80\x02 not a torch file")
    page.locator("input[type=file][accept$='.pt']").set_input_files(str(bad))
    page.get_by_text("The current GAN is unchanged").wait_for(timeout=10_000)
    assert status(page) == ("Paused", paused_at)  # nothing changed

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "gan_page.png"), full_page=True)
    page.close()


def test_the_live_line_moves_by_itself_and_tells_the_page_when_training_ends(browser):
    """A page whose live fragment has no timer (tests/apps/live_line_page.py): while the run
    trains, only the line's own requests to the server move its step counter, without a rerun
    of the fragment; when the run finishes, the line reruns the fragment, which redraws the
    page with the end message."""
    with served_process(script="tests/apps/live_line_app.py") as (url, _):
        page = browser.new_page()
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(f"{url}/?epochs=150")
        page.get_by_role("button", name="Start").click()
        page.get_by_text(re.compile(r"Training — step \d+")).wait_for(timeout=15_000)
        fragment_runs = page.get_by_text(re.compile(r"Fragment runs: \d+"))
        runs = fragment_runs.inner_text()
        seen = set()
        deadline = time.monotonic() + 10
        while len(seen) < 4 and time.monotonic() < deadline:
            state, steps = status(page)
            assert state == "Training"
            seen.add(steps)
            time.sleep(0.1)
        assert len(seen) >= 4, seen  # the counter moved, several times ...
        # ... with no run of the fragment: the line asked the server itself
        assert fragment_runs.inner_text() == runs
        polls = [u for u in requests if "/api/live-status?line=" in u]
        assert len(polls) >= 3 and len(set(polls)) == 1  # one line, asked again and again
        # the end message is drawn by Streamlit, in the page's redraw
        page.get_by_text("Finished the 150 epochs asked for: raise Epochs").wait_for(timeout=90_000)
        assert status(page)[0] == "Finished"
        ended = (fragment_runs.inner_text(), len(requests))
        assert ended[0] != runs
        time.sleep(2.0)  # and the line has stopped: no more requests, no more reruns
        assert (fragment_runs.inner_text(), len(requests)) == ended
        page.close()


def test_with_four_pages_open_the_rbm_page_line_is_moved_by_its_component(server, browser):
    """From four open runs the charts slow down (refresh_periods) and the status line is
    moved by the live-line component between the fragment's runs. (Last in this module: the
    pages it opens count as open runs until their sessions expire.)"""
    others = []
    for hidden in (21, 22, 23):
        other = browser.new_context().new_page()
        other.goto(f"{server}/rbm?hidden={hidden}")
        others.append(other)
    for other in others:
        other.get_by_role("button", name="Start", exact=True).wait_for(timeout=30_000)
    page = browser.new_page()
    polls = []
    page.on("request", lambda r: polls.append(r.url) if "/api/live-status?line=" in r.url else None)
    page.goto(f"{server}/rbm?batch=10&epochs=200")
    page.get_by_role("button", name="Start", exact=True).click()
    page.get_by_text(re.compile(r"Training — step \d+")).wait_for(timeout=15_000)
    busy = re.compile(r"charts every \d+\.\d s while \d+ runs are open here")
    page.get_by_text(busy).wait_for(timeout=5_000)
    first, asked = status(page)[1], len(polls)
    time.sleep(3.0)  # at most 0.7 s between polls, however many runs the module left open
    assert status(page)[1] > first and len(polls) - asked >= 3
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_text(re.compile(r"Paused — step")).wait_for(timeout=5_000)
    asked = len(polls)
    time.sleep(1.0)
    assert len(polls) == asked  # paused: drawn by Streamlit, nothing asked
    page.close()
    for other in others:
        other.context.close()
