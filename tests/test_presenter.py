"""Links for a class (pages.kit.presenter): hidden settings keep their values and their charts,
an unknown name gets a notice, the presenter parameters survive the page rewriting its link,
and "Share for class" builds the link from the settings as they are."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from streamlit.testing.v1 import AppTest

from tests.helpers import fresh_page


def styles(app: AppTest) -> str:
    return " ".join(element.proto.body for element in app.get("html"))


def test_a_link_hides_settings_but_the_page_keeps_using_them():
    app = fresh_page("../pages/rbm.py", {"dataset": "digits", "lr": "0.1", "hide": "lr,k,presets"})
    assert not app.exception and not app.warning
    # hidden by a style rule on their keys: the widgets are still there, with the link's values
    rule = next(body for body in styles(app).split("</style>") if ".st-key-rbm_lr" in body)
    selectors, declaration = rule.split("<style>")[1].split("{")
    assert {s.strip() for s in selectors.split(",")} == {
        ".st-key-rbm_lr",
        ".st-key-rbm_k",
        ".st-key-rbm_presets",
    }
    assert declaration.strip() == "display: none !important; }"
    assert app.sidebar.select_slider(key="rbm_lr").value == 0.1
    next(b for b in app.button if b.label == "Step").click().run()
    assert app.session_state["rbm_lr"] == 0.1
    # the page rewrites its link from its settings and keeps the presenter's parameters
    assert app.query_params["hide"] == "lr,k,presets" and app.query_params["lr"] == "0.1"


def test_an_unknown_name_to_hide_gets_a_notice_that_lists_the_known_ones():
    app = fresh_page("../pages/gan.py", {"dataset": "digits", "hide": "lr_g,learning_rate"})
    (notice,) = app.warning
    assert "learning_rate" in notice.value and "lr_g, lr_d, k" in notice.value
    assert ".st-key-gan_lr_g" in styles(app)


def test_share_for_class_builds_the_link_from_the_settings_as_they_are():
    def page():
        import streamlit as st

        from pages.kit.presenter import share_link
        from pages.settings.table import Setting

        link = (Setting("lr", "lr", 0.05, choices=[0.05, 0.1]), Setting("k", "k", 1, low=1))
        st.session_state.setdefault("lr", 0.1)
        st.session_state.setdefault("k", 1)
        st.write(share_link(link, ["lr", "presets"], True))
        st.write(share_link(link, [], False))

    app = AppTest.from_function(page).run()
    first, second = (block.value for block in app.markdown)
    query = parse_qs(urlsplit(first).query)
    # the setting that differs from its default, what to hide, and the projector layout
    assert query == {"lr": ["0.1"], "hide": ["lr,presets"], "present": ["1"]}
    assert parse_qs(urlsplit(second).query) == {"lr": ["0.1"]}


def _bounded_picture_page():
    from pages.kit.widgets import bounded_image

    bounded_image("<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'></svg>", 400)


def test_on_a_projector_pictures_grow_with_the_column():
    """A bounded picture (the replays' grids) keeps its 400 px on a laptop; under present=1 it
    is as wide as its column, so a projector's screen is filled (the style caps its height)."""
    widths = {}
    for present in (False, True):
        app = AppTest.from_function(_bounded_picture_page)
        if present:
            app.query_params["present"] = "1"
        app.run()
        assert not app.exception
        block = next(iter(app._tree[0].children.values()))
        widths[present] = block.proto.width_config
    assert widths[False].pixel_width == 400 and not widths[False].use_stretch
    assert widths[True].use_stretch
