"""A compare link, "run A, then run B" (pages.kit.compare): Share for class writes an earlier
run's settings and what today's change; the page opened from it offers Run B, which starts a
new run with them while run A stays beside it; a malformed ``then`` is a sentence."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from pages.kit.compare import read_then, then_text
from pages.settings.gan_2d import SETTINGS
from tests.helpers import chart_words, fresh_page

DEFAULTS = {s.name: s.default for s in SETTINGS}


def test_then_names_what_run_b_changes_and_reads_back():
    b = DEFAULTS | {"k": 10, "lr_g": 0.002, "saturating": True}
    text = then_text(DEFAULTS, b, SETTINGS)
    assert text == "lr_g:0.002,k:10,saturating:1"  # in the table's order
    keys = {s.name: s.key for s in SETTINGS}
    assert read_then(text, SETTINGS) == {
        keys["k"]: 10,
        keys["lr_g"]: 0.002,
        keys["saturating"]: True,
    }


@pytest.mark.parametrize(
    "text, says", [("k:100", "must lie between"), ("kk:1", "not name:value"), ("k", "name:value")]
)
def test_a_malformed_then_is_a_sentence(text, says):
    with pytest.raises(ValueError, match=says):
        read_then(text, SETTINGS)


@given(st.text(max_size=120))
def test_any_then_is_read_or_refused_with_a_value_error(text):
    try:
        values = read_then(text, SETTINGS)
    except ValueError as error:
        assert str(error).endswith(".") or str(error).endswith(").")
    else:
        assert set(values) <= {s.key for s in SETTINGS}


def test_share_for_class_writes_run_a_and_then():
    def page():
        import streamlit as st

        from pages.kit.presenter import share_link
        from pages.settings.table import Setting

        link = (Setting("k", "k", 1, low=1, high=25, integer=True),)
        st.session_state.setdefault("k", 10)
        st.write(share_link(link, [], False, run_a={"k": 3}))

    app = AppTest.from_function(page).run()
    assert parse_qs(urlsplit(app.markdown[0].value).query) == {"k": ["3"], "then": ["k:10"]}


def test_run_b_keeps_run_a_beside_it():
    page = fresh_page("../pages/gan_2d.py", {"k": "1", "then": "k:10"})
    assert any("compares two runs" in i.value for i in page.info)
    for _ in range(2):
        next(b for b in page.button if b.label == "Step").click().run()
    next(b for b in page.button if b.label == "Run B").click().run()
    assert not page.exception and page.session_state["g2_k"] == 10
    next(b for b in page.button if b.label == "Step").click().run()
    assert "k 1 → 10" in chart_words(page)
    assert next(b for b in page.button if b.label == "Run B is on").disabled
    bad = fresh_page("../pages/gan_2d.py", {"then": "k:100"})
    assert any("must lie between" in w.value for w in bad.warning) and not bad.exception
