"""AppTest tests of the "GAN in 2-D" page: controls, steps of each kind, the slow motion,
presets, uploads good and bad, settings from the link."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import fresh_page


def fresh(query: dict | None = None) -> AppTest:
    return fresh_page("../pages/gan_2d.py", query)


@pytest.fixture()
def page() -> AppTest:
    return fresh()


def button(app: AppTest, label: str):
    return next(b for b in app.button if b.label == label)


def steps(app: AppTest) -> int:
    line = next(block.value for block in app.markdown if "step **" in block.value)
    return int(line.split("step **")[1].split("**")[0])


def test_every_control_is_there_and_each_kind_of_step_counts(page):
    assert not page.exception
    labels = {b.label for b in page.button}
    assert {"Play", "Pause", "Step", "Step D only", "Step G only", "Reset"} <= labels
    assert {"Healthy ring", "Mode collapse", "Saturating loss"} <= labels
    assert [m.label for m in page.metric] == ["D(x)", "D(G(z))", "JS", "G's push", "Modes covered"]
    for label, count in (("Step", 1), ("Step D only", 2), ("Step G only", 3)):
        button(page, label).click().run()
        assert not page.exception and steps(page) == count


def test_the_slow_motion_walks_from_before_the_step_to_gs_update(page):
    page.sidebar.slider(key="g2_k").set_value(2).run()
    button(page, "Take one step in slow motion").click().run()
    assert not page.exception and steps(page) == 1
    frames = [page.dataframe[0].value["term"].tolist()] if page.dataframe else [[]]
    for _ in range(3):
        button(page, "Next").click().run()
        frames.append(page.dataframe[0].value["term"].tolist())
    assert frames[0] == []  # before the step: the plane alone
    assert frames[1][:2] == ["mean log D(x)", "mean log(1 − D(G(z)))"]  # D's two updates
    assert frames[3][0].startswith("−log D(G(z))")  # then G's
    assert button(page, "Next").disabled
    formulas = " ".join(block.value for block in page.latex)
    assert r"\min_G" in formulas and r"\max_D" not in formulas  # G's formula now
    button(page, "Step").click().run()  # the model moves on: the frames are of the past
    assert not page.dataframe and any("trained on since" in c.value for c in page.caption)


@pytest.mark.slow
def test_a_preset_starts_a_new_run_with_its_settings_and_keeps_its_sentence(page):
    button(page, "Step").click().run()
    button(page, "Mode collapse").click().run()
    assert not page.exception and steps(page) == 0
    assert page.session_state["g2_lr_g"] == 1e-2 and page.session_state["g2_lr_d"] == 1e-4
    assert "Mode collapse" in page.info[0].value
    button(page, "Step").click().run()
    assert "Mode collapse" in page.info[0].value


@pytest.mark.slow
def test_own_data_before_any_points_keeps_the_ring_and_says_what_to_do(page):
    button(page, "Step").click().run()
    page.sidebar.selectbox(key="g2_data").set_value("Upload a CSV").run()
    assert not page.exception
    assert any("No points yet" in i.value for i in page.info)
    assert page.get("file_uploader")  # uploads themselves: tests/test_browser.py
    assert steps(page) == 1 and not button(page, "Step").disabled  # the ring's run goes on


def test_the_link_sets_the_page_and_refuses_bad_values():
    app = fresh({"k": "3", "noise_dim": "1", "data": "Two moons", "lr_g": "7"})
    assert not app.exception
    assert app.session_state["g2_k"] == 3 and app.session_state["g2_noise_dim"] == 1
    assert any("lr_g=7" in w.value for w in app.warning)
    assert any("half circles" in c.value for c in app.caption)
    assert not [m for m in app.metric if m.label == "Modes covered"]  # moons have no modes


def log_panels(app: AppTest) -> list[str]:
    """The titles of the chart panels drawn on a log axis."""
    from tests.helpers import page_charts

    titles = []
    for root, ns in page_charts(app):
        texts = [t for t in root.iter() if t.tag == f"{ns}text"]
        for rect in root.iter(f"{ns}rect"):
            if rect.get("data-scale") == "log":  # the panel whose title sits just above it
                top = float(rect.get("y"))
                above = [t for t in texts if float(t.get("y")) < top]
                titles.append(max(above, key=lambda t: float(t.get("y"))).text)
    return titles


@pytest.mark.slow
def test_a_log_scale_puts_the_losses_and_divergences_on_a_log_axis(page):
    for _ in range(3):
        button(page, "Step").click().run()
    assert page.toggle(key="g2_log_scale").value is False and log_panels(page) == []
    page.toggle(key="g2_log_scale").set_value(True).run()
    assert not page.exception
    assert "Losses" in log_panels(page) and "D(x) and D(G(z))" not in log_panels(page)
    # the saturating loss log(1 − D(G(z))) is below 0: left out, and the panel says so
    page.sidebar.checkbox(key="g2_saturating").check().run()
    button(page, "Step").click().run()
    assert not page.exception
    from tests.helpers import chart_words

    assert "value ≤ 0 left out (log scale)" in chart_words(page).replace("values", "value")


def test_a_presets_sentence_goes_when_its_settings_no_longer_hold(page):
    """The sentence describes the preset's settings: changing the data (or any setting it
    sets) takes it away, even before a Reset; set back, it returns."""
    button(page, "Mode collapse").click().run()
    assert "Mode collapse" in page.info[0].value
    page.sidebar.selectbox(key="g2_data").set_value("Two moons").run()
    assert not page.exception
    assert not any("Mode collapse" in info.value for info in page.info)
    page.sidebar.selectbox(key="g2_data").set_value("Ring of 8 Gaussians").run()
    assert any("Mode collapse" in info.value for info in page.info)
    page.sidebar.select_slider(key="g2_lr_g").set_value(1e-3).run()  # a live one too
    assert not any("Mode collapse" in info.value for info in page.info)


def test_preset_sentences_are_read_in_the_sidebar_not_in_tooltips(page):
    """A preset button's tooltip spread over the page and covered its Play row: the
    sentences are in an expander under the buttons instead."""
    presets = [b for b in page.sidebar.button if b.key and b.key.startswith("g2_preset_")]
    assert len(presets) >= 5 and not any(b.help for b in presets)
    (expander,) = [e for e in page.sidebar.expander if e.label == "What each preset shows"]
    text = " ".join(block.value for block in expander.markdown)
    assert "**Mode collapse**: G learns a hundred times faster" in text
