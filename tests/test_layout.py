"""The RBM and GAN pages on a projector, a laptop and a phone, in Chromium: while a run trains,
the digit grid is in view without scrolling (on the two wide screens) beside the curves,
nothing is wider than the screen and no text is cut. Screenshots land in tests/artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from serving.browser import require_chromium, served_dashboard

pytestmark = pytest.mark.slow  # Chromium and a served dashboard

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
require_chromium()

pytest.importorskip("playwright.sync_api")

SIZES = [(1920, 1080), (1366, 768), (390, 844)]
PAGES = {  # the page's link, and the caption of the grid to watch
    "rbm": ("/rbm?epochs=200", "Training images v"),
    "gan": ("/gan", "G(z) for the same 64 z"),
}

# Elements of the main area wider than the window, and texts cut by their box (a button's
# label with an ellipsis, a heading that runs out of its column).
MEASURE = """() => {
  const width = window.innerWidth;
  const main = document.querySelector('[data-testid="stMain"]');
  const wide = [], cut = [];
  for (const el of main.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const style = getComputedStyle(el);
    if (style.opacity === '0' || style.visibility === 'hidden') continue;  // not drawn
    // visually hidden: a slider's range input, KaTeX's MathML copy of a formula
    if (el.closest('[style*="clip"], .katex-mathml')) continue;
    if (box.right > width + 1 || box.left < -1)
      wide.push(el.tagName + ' in ' + (el.closest('[data-testid]') || el).dataset.testid +
                ' "' + (el.textContent || '').slice(0, 40) + '" ' +
                Math.round(box.left) + '..' + Math.round(box.right));
  }
  const texts = 'button, h1, h2, h3, p, label, [data-testid="stCaptionContainer"]';
  for (const el of main.querySelectorAll(texts)) {
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
      cut.push(el.tagName + ': ' + el.innerText.slice(0, 60));
  }
  return {wide, cut, scroll: document.documentElement.scrollWidth, width};
}"""


@pytest.fixture(scope="module")
def server():
    with served_dashboard() as url:
        yield url


@pytest.mark.parametrize("name", PAGES)
def test_pages_fit_a_projector_a_laptop_and_a_phone(server, browser, name):
    path, grid_caption = PAGES[name]
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in SIZES:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.goto(server + path)
        page.get_by_role("button", name="Start", exact=True).click(timeout=30_000)
        page.get_by_text(re.compile(r"Training — step \d+")).first.wait_for(timeout=30_000)
        grid = page.get_by_test_id("stImage").filter(has_text=grid_caption).first
        grid.wait_for(timeout=30_000)
        # past the first seconds (a run may wait a moment for a training slot): as it trains
        page.get_by_text(re.compile(r"Training — step \d\d+")).first.wait_for(timeout=30_000)
        page.wait_for_timeout(1000)
        found = page.evaluate(MEASURE)
        page.screenshot(path=str(ARTIFACTS / f"layout_{name}_{width}x{height}.png"))
        where = f"{name} at {width}×{height}"
        assert found["scroll"] <= found["width"], f"{where}: the page scrolls sideways"
        assert not found["wide"], f"{where}: wider than the screen: {found['wide'][:5]}"
        assert not found["cut"], f"{where}: text cut: {found['cut'][:5]}"
        box = grid.bounding_box()
        curves = page.locator("[class*='curves'] img").first.bounding_box()
        if width >= 1366:
            # the grid to watch, whole, in the first screen, beside the curves
            assert box["y"] >= 0 and box["y"] + box["height"] <= height, f"{where}: {box}"
            assert curves["x"] > box["x"] + box["width"] and curves["y"] < height, where
        else:
            # a phone: one column, the grid first and as wide as the screen allows
            assert box["width"] >= width * 0.8 and curves["y"] > box["y"], where
        page.get_by_role("button", name="Pause", exact=True).click()  # the next size alone
        page.get_by_text(re.compile(r"Paused — step")).first.wait_for(timeout=10_000)
        context.close()


def test_a_presenter_link_on_a_projector(server, browser):
    """?present=1 with hidden settings at 1920×1080: the sidebar closed, text larger, the
    explanations left out, the hidden settings' widgets not shown and the others there."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.goto(server + "/gan?hide=lr_g,k,batch,presets&present=1")
    page.get_by_role("button", name="Start", exact=True).click(timeout=30_000)
    page.get_by_text(re.compile(r"Training — step \d\d+")).first.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "presenter_gan_1920x1080.png"))
    box = page.get_by_test_id("stSidebar").bounding_box()
    assert box["x"] + box["width"] <= 1  # closed: slid out of the screen
    shown = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('[class*="st-key-gan_"]')]
             .map(e => [e.className.match(/st-key-(\\S+)/)[1], getComputedStyle(e).display]))"""
    )
    assert {shown[k] for k in ("gan_lr_g", "gan_k", "gan_batch", "gan_presets")} == {"none"}
    assert "none" not in {shown[k] for k in ("gan_lr_d", "gan_seed", "gan_dataset")}
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "19px"
    # the explanation under the title is left out; the pictures keep their captions
    assert not page.get_by_text("A generator G turns noise z into images").is_visible()
    assert page.get_by_text(re.compile("G\\(z\\) for the same 64 z")).first.is_visible()
    assert "hide=" in page.url and "present=1" in page.url  # kept as the page rewrites it
    page.get_by_role("button", name="Pause", exact=True).click()
    context.close()
