"""docs/teaching.md against the pages: every link opens its page without a notice (no value
refused, no unknown name to hide), with the settings it names, and its hidden controls hidden."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from pages.settings.table import format_value
from tests.helpers import fresh_page

ROOT = Path(__file__).resolve().parents[1]
# the home page is opened through the navigation, which serves it at "/" with its links
PAGES = {"": "navigation", "rbm": "rbm", "gan": "gan", "gan-2d": "gan_2d", "rbm-exact": "rbm_exact"}
PREFIXES = {"rbm": "rbm", "gan": "gan", "gan_2d": "g2", "rbm_exact": "ex"}
LINKS = re.findall(r"\((http://localhost:8501/[^)\s]*)\)", (ROOT / "docs/teaching.md").read_text())


def test_the_lessons_have_their_links():
    assert len(LINKS) >= 9
    assert {urlsplit(link).path.strip("/") for link in LINKS} == set(PAGES)


@pytest.mark.slow
@pytest.mark.parametrize("link", LINKS)
def test_each_lesson_link_opens_its_page_as_written(link):
    parts = urlsplit(link)
    page = PAGES[parts.path.strip("/")]
    query = dict(parse_qsl(parts.query))
    app = fresh_page(f"../pages/{page}.py", query)
    assert not app.exception and not app.warning, [w.value for w in app.warning]
    if page == "navigation":
        assert app.title[0].value.startswith("Generative models, live")  # the home page
        return
    # every setting the link names is set as written (the page's table says where)
    table = importlib.import_module(f"pages.settings.{page}").SETTINGS
    widgets = {setting.name: setting.key for setting in table}
    for name, value in query.items():
        if name in ("hide", "present"):
            continue
        assert format_value(app.session_state[widgets[name]]) == value, name
    # and its hidden controls have the style rule that hides them
    hidden = [n for n in query.get("hide", "").split(",") if n]
    rules = " ".join(element.proto.body for element in app.get("html"))
    for name in hidden:
        key = f"{PREFIXES[page]}_presets" if name == "presets" else widgets[name]
        assert f".st-key-{key}" in rules, name
