"""AppTest tests of the RBM page: controls, Step, the live views, no exception."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.rbm.model import load_checkpoint_bytes
from pages.kit.session import keeper
from tests.helpers import chart_marks, chart_words, fresh_page, page_charts


@pytest.fixture()
def page() -> AppTest:
    st.cache_resource.clear()  # each test is a fresh browser session with its own run
    app = AppTest.from_file("../pages/rbm.py", default_timeout=60)
    app.session_state["rbm_dataset"] = "digits"  # small and fast
    return app.run()


def button(page: AppTest, label: str):
    return next(b for b in page.button if b.label == label)


def labels(elements) -> list[str]:
    return [element.label for element in elements]


def test_every_control_exists(page):
    assert not page.exception
    assert {"Dataset", "Negative phase"} <= set(
        labels(page.sidebar.selectbox) + labels(page.sidebar.radio)
    )
    assert {"Hidden units", "Gibbs steps per update (k)", "Epochs", "Momentum"} <= set(
        labels(page.sidebar.slider)
    )
    assert {"Learning rate", "Batch size", "Weight decay"} <= set(
        labels(page.sidebar.select_slider)
    )
    assert "Seed" in labels(page.sidebar.number_input)
    assert {"Start", "Pause", "Resume", "Step", "Reset"} <= set(labels(page.button))


def chart_texts(app: AppTest) -> str:
    """Titles, panel titles and legend names of every chart on the page (pictures and plotly)."""
    texts = [chart_words(app)]
    for chart in app.get("plotly_chart"):
        figure = json.loads(chart.proto.spec)
        layout = figure.get("layout", {})
        texts.append(layout.get("title", {}).get("text", ""))
        texts += [note.get("text", "") for note in layout.get("annotations", [])]
        texts += [trace.get("name", "") for trace in figure.get("data", [])]
    return "\n".join(texts)


def status_line(app: AppTest) -> str:
    return next(block.value for block in app.markdown if "step **" in block.value)


def test_step_trains_and_the_views_render(page):
    assert "step **0**" in status_line(page)
    next(b for b in page.button if b.label == "Step").click().run()
    assert not page.exception
    assert "step **1**" in status_line(page)
    specs = chart_texts(page)
    for title in (
        "Surrogate cost",
        "Reconstruction error",
        "Pseudo-log-likelihood",
        "Mean free energy F(v)",
        "Free-energy gap (validation − training)",
        "Log-likelihood (AIS)",  # 100 hidden units: estimated on demand
        "training images",
        "validation images",
        "P(h | v) for 64 images",
        "Mean activation per digit",
        "Hidden codes projected",
    ):
        assert title in specs
    assert "Free energy of data" not in specs  # the other view is not drawn
    captions = " ".join(caption for image in page.get("image") for caption in image.captions)
    assert "Filters" in captions and "Gibbs" in captions and "Training images" in captions
    page.segmented_control(key="rbm_look").set_value("Free energies").run()
    assert not page.exception
    specs = chart_texts(page)
    assert "Free energy of data, model samples and noise" in specs
    assert "P(h | v) for 64 images" not in specs


@pytest.mark.slow
def test_start_then_pause(page):
    page.session_state["rbm_batch"] = 10  # long enough not to finish its epochs during the test
    page.session_state["rbm_epochs"] = 200
    page.run()
    next(b for b in page.button if b.label == "Reset").click().run()
    next(b for b in page.button if b.label == "Start").click().run()
    time.sleep(1.0)
    page.run()
    assert "Training" in status_line(page)
    next(b for b in page.button if b.label == "Pause").click().run()
    first = status_line(page)
    assert "Paused" in first
    time.sleep(0.5)
    page.run()
    assert status_line(page) == first  # no update after the pause
    # paused: Resume goes on, Start (a run already begun) would do nothing
    assert not button(page, "Resume").disabled and button(page, "Start").disabled


def test_the_datasets_that_download_say_so_and_the_default_run_lasts(page):
    options = page.sidebar.selectbox(key="rbm_dataset").options
    assert "mnist (downloaded once: needs the internet)" in options
    assert "mnist-5k" in options and "digits" in options  # the offline ones, plain
    assert page.sidebar.slider(key="rbm_epochs").value == 200


@pytest.mark.slow
def test_start_and_resume_are_enabled_only_where_they_train(page):
    assert not button(page, "Start").disabled and button(page, "Resume").disabled  # idle
    page.sidebar.slider(key="rbm_epochs").set_value(1).run()  # live: one epoch only
    button(page, "Start").click().run()
    deadline = time.monotonic() + 30
    while "Finished" not in status_line(page) and time.monotonic() < deadline:
        time.sleep(0.2)
        page.run()
    assert any("raise Epochs to train on, or press Reset" in s.value for s in page.success)
    assert button(page, "Start").disabled and button(page, "Resume").disabled
    page.sidebar.slider(key="rbm_epochs").set_value(2).run()  # more epochs: it may go on
    assert not button(page, "Resume").disabled


def test_the_settings_of_this_run_follow_live_changes(page):
    page.sidebar.select_slider(key="rbm_lr").set_value(0.2).run()
    shown = json.loads(page.get("json")[0].proto.body)
    assert shown["learning_rate"] == 0.2 and shown["dataset"] == "digits"


def test_a_shape_change_asks_for_a_reset(page):
    page.sidebar.slider(key="rbm_hidden").set_value(32).run()
    assert any("press Reset" in info.value for info in page.info)
    start = next(b for b in page.button if b.label == "Start")
    assert start.disabled
    next(b for b in page.button if b.label == "Reset").click().run()
    assert not page.info
    assert not page.exception


@pytest.mark.slow
def test_gibbs_chain_from_noise_and_from_a_digit(page):
    next(b for b in page.button if b.label == "Run the chain").click().run()
    assert not page.exception
    captions = [c for image in page.get("image") for c in image.captions]
    assert "after 0 steps" in captions and "after 30 steps" in captions
    page.radio(key="rbm_chain_start").set_value("a digit").run()
    page.number_input(key="rbm_chain_digit").set_value(7).run()
    next(b for b in page.button if b.label == "Run the chain").click().run()
    assert not page.exception and not page.error


@pytest.mark.slow
def test_exports_are_offered(page):
    next(b for b in page.button if b.label == "Step").click().run()
    labels = [str(element.proto.label) for element in page.get("download_button")]
    assert {
        "Model (.pt)",
        "History (CSV)",
        "Originals (PNG)",
        "Samples (PNG)",
        "Filters (PNG)",
    } <= set(labels)


@pytest.mark.slow
def test_the_gibbs_steps_slider_changes_the_samples_view(page):
    next(b for b in page.button if b.label == "Step").click().run()
    page.slider(key="rbm_view_steps").set_value(10).run()
    assert not page.exception
    captions = [c for image in page.get("image") for c in image.captions]
    assert "After 10 Gibbs steps: P(v | h)" in captions


PRETRAINED_RBM = Path(__file__).resolve().parents[1] / "assets" / "rbm_mnist-5k_500h_pcd.pt"


def x_tick_labels(app: AppTest, title: str) -> list[str]:
    """The x axis's labels of the chart panel called ``title``: its lowest row of texts."""
    for root, ns in page_charts(app):
        texts = list(root.iter(f"{ns}text"))
        if texts and texts[0].text == title:
            numbers = [t for t in texts if re.fullmatch(r"[\d,.\-]+", t.text or "")]
            bottom = max(float(t.get("y")) for t in numbers)
            return [t.text for t in numbers if float(t.get("y")) == bottom]
    raise AssertionError(f"no panel {title}")


@pytest.mark.slow
def test_the_pretrained_rbm_keeps_the_links_settings_and_draws_its_recorded_curves():
    """Loading it rewrote the link's settings (rate 0.005 became 0.001, epochs 150 became
    200), and its curves were one point each over ticks 6,849.6 6,849.8 …: now the settings
    stay, a notice says how the model's own differ, and the curves begin at the recorded
    checkpoints of its training, over whole steps."""
    link = {"hidden": "500", "lr": "0.005", "momentum": "0.9", "epochs": "150", "method": "PCD"}
    app = fresh_page("../pages/rbm.py", link)
    next(b for b in app.button if b.label == "Start from the pretrained RBM").click().run()
    assert not app.exception
    sidebar = app.sidebar
    assert sidebar.select_slider(key="rbm_lr").value == 0.005
    assert sidebar.slider(key="rbm_epochs").value == 150
    assert sidebar.slider(key="rbm_momentum").value == 0.9
    assert sidebar.radio(key="rbm_method").value == "PCD"
    assert all(app.query_params[name] in (value, [value]) for name, value in link.items())
    message = next(b.value for b in app.success if "Continuing from the pretrained RBM" in b.value)
    assert "last trained with rate 0.001, momentum 0.5" in message
    assert "goes on with yours: rate 0.005, momentum 0.9" in message
    assert "trained 150 epochs, as many as Epochs asks for: raise Epochs" in message
    assert "recorded checkpoints (steps 452 and 2,203)" in message
    assert "Hidden units" not in message  # the link's 500 fit the model
    (line,) = [
        m
        for m in chart_marks(app, "training images", "Mean free energy")
        if m.tag.endswith("polyline")
    ]
    assert len(line.get("points").split()) == 3  # steps 452, 2,203 and 6,850
    for title in ("Mean free energy F(v)", "Reconstruction error"):
        labels = x_tick_labels(app, title)
        assert len(labels) >= 3 and all("." not in label for label in labels), labels


@pytest.mark.slow
def test_start_from_the_pretrained_rbm():
    st.cache_resource.clear()
    app = AppTest.from_file("../pages/rbm.py", default_timeout=60).run()  # mnist-5k
    next(b for b in app.button if b.label == "Start from the pretrained RBM").click().run()
    assert not app.exception
    assert any("Continuing from the pretrained RBM" in block.value for block in app.success)
    config = load_checkpoint_bytes(PRETRAINED_RBM.read_bytes())[1]
    assert app.sidebar.slider(key="rbm_hidden").value == config["n_hidden"]
    # the one setting the model needs changed, and the page says so
    message = next(b.value for b in app.success if "Continuing from" in b.value)
    assert f"Hidden units now read {config['n_hidden']}, the model's own (they were 100)" in message
    assert not app.info  # no reset needed: the settings match the model
    # drawn at once, at the model's own step and epoch, as its file says
    assert f"step **{config['steps']}**" in status_line(app) and "Paused" in status_line(app)
    assert f"epoch {float(config['epochs']):.2f}" in status_line(app)
    captions = " ".join(caption for image in app.get("image") for caption in image.captions)
    assert f"Filters: rows of W, step {config['steps']}" in captions
    assert "Training images" in captions


@pytest.mark.slow
def test_a_small_model_shows_its_exact_log_likelihood_and_a_large_one_offers_ais(page):
    assert any(b.label == "Estimate the log-likelihood (AIS)" for b in page.button)
    next(b for b in page.button if b.label == "Estimate the log-likelihood (AIS)").click().run()
    assert not page.exception
    message = next(block.value for block in page.success if "log Z" in block.value)
    assert "validation images" in message
    specs = chart_texts(page)
    assert "ais_log_likelihood" not in specs  # the chart shows labels, not keys
    # the chart already holds the estimate: no placeholder, a point at its value
    assert "Press “Estimate" not in specs
    train = float(re.search(r"training images (-?\d+\.\d+) nats", message).group(1))
    points = [
        float(mark.get("data-value"))
        for mark in chart_marks(page, "training images", "Log-likelihood (AIS)")
        if mark.tag.endswith("circle")
    ]
    assert any(abs(value - train) < 0.01 for value in points)
    page.radio(key="rbm_x_axis").set_value("images seen").run()  # the estimate stays drawn
    assert "Press “Estimate" not in chart_texts(page)
    assert [m for m in chart_marks(page, "training images", "Log-likelihood (AIS)")]
    page.radio(key="rbm_x_axis").set_value("steps").run()
    page.sidebar.slider(key="rbm_hidden").set_value(10).run()
    next(b for b in page.button if b.label == "Reset").click().run()
    next(b for b in page.button if b.label == "Step").click().run()
    assert not any(b.label == "Estimate the log-likelihood (AIS)" for b in page.button)
    assert "Log-likelihood, exact" in chart_texts(page)
    page.radio(key="rbm_x_axis").set_value("epochs").run()
    assert not page.exception


@pytest.mark.slow
def test_a_link_restores_the_rbm_settings_and_garbage_falls_back():
    st.cache_resource.clear()
    app = AppTest.from_file("../pages/rbm.py", default_timeout=60)
    for key, value in {"dataset": "digits", "hidden": "24", "lr": "0.1", "method": "PCD"}.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception and not app.warning
    assert app.sidebar.slider(key="rbm_hidden").value == 24
    assert app.sidebar.select_slider(key="rbm_lr").value == 0.1
    assert app.sidebar.radio(key="rbm_method").value == "PCD"
    next(b for b in app.button if b.label == "Step").click().run()
    assert "step **1**" in status_line(app)

    st.cache_resource.clear()
    app = AppTest.from_file("../pages/rbm.py", default_timeout=60)
    for key, value in {"dataset": "cifar", "hidden": "99999", "k": "two"}.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception
    notices = " ".join(w.value for w in app.warning)
    assert "dataset=cifar" in notices and "hidden=99999" in notices and "k=two" in notices
    assert app.sidebar.selectbox(key="rbm_dataset").value == "mnist-5k"
    assert app.sidebar.slider(key="rbm_hidden").value == 100


@pytest.mark.slow
def test_dreams_show_the_samples_and_what_the_judge_sees_in_them(page):
    button(page, "Step").click().run()
    assert page.segmented_control(key="rbm_dream_sampler").value == "annealed"
    page.select_slider(key="rbm_dream_steps").set_value(100).run()
    button(page, "Dream 64 images").click().run()
    assert not page.exception and not page.error
    captions = " ".join(c for image in page.get("image") for c in image.captions)
    assert "Annealed from noise, after 100 Gibbs steps: P(v | h). The model at step 1." in captions
    title = "What the CNN sees: a digit (p ≥ 0.8), unsure (?) or none"
    assert title in chart_words(page)
    assert len(chart_marks(page, "none", title)) == len(chart_marks(page, "?", title)) == 1
    verdict = next(
        block.value for block in page.markdown if "reference CNN recognises" in block.value
    )
    assert re.search(r"\*\*\d+%\*\* of these images", verdict)
    # a CD run keeps no chains: the page says so instead of drawing nothing
    page.segmented_control(key="rbm_dream_sampler").set_value("persistent").run()
    button(page, "Dream 64 images").click().run()
    assert "Only PCD keeps chains" in page.error[0].value


@pytest.mark.slow
def test_the_dream_presets_set_up_a_500_unit_model_and_say_what_to_watch(page):
    button(page, "Dream digits (PCD)").click().run()
    assert not page.exception
    assert page.sidebar.slider(key="rbm_hidden").value == 500
    assert page.sidebar.radio(key="rbm_method").value == "PCD"
    assert page.session_state["rbm_dream_sampler"] == "persistent"
    (info,) = page.info
    assert info.value.startswith("**Dream digits (PCD)**") and "persistent chains" in info.value
    assert "step **0**" in status_line(page)  # a new model, made with the preset's settings
    button(page, "Step").click().run()
    button(page, "Dream 64 images").click().run()
    captions = " ".join(c for image in page.get("image") for c in image.captions)
    assert "PCD's persistent chains, as they stand" in captions
    assert page.info[0].value.startswith("**Dream digits (PCD)**")  # it stays while it trains
    button(page, "Fading dreams (CD-1)").click().run()
    assert page.sidebar.radio(key="rbm_method").value == "CD"
    assert page.info[0].value.startswith("**Fading dreams (CD-1)**")
    button(page, "Reset").click().run()
    assert not page.info  # a Reset ends the preset


@pytest.mark.slow
def test_a_run_rests_while_its_page_is_away_and_trains_on_when_it_comes_back(monkeypatch):
    """No view of the run for a while (another page, a closed tab): its worker pauses at a
    step boundary; the page back, it trains on and its status line says for how long it
    rested. "Keep training while I'm away" keeps it going."""
    monkeypatch.setattr("pages.kit.session.UNWATCHED_SECONDS", 0.5)
    st.cache_resource.clear()
    app = AppTest.from_file("../pages/rbm.py", default_timeout=60)
    app.session_state["rbm_dataset"] = "digits"
    app.session_state["rbm_batch"] = 10  # 200 epochs of 143 steps: it cannot finish meanwhile
    app.run()
    button(app, "Start").click().run()
    (_, session), *_ = keeper().values_of(app.session_state["browser_key"])
    time.sleep(2.0)  # nobody refreshes an AppTest page: as a tab that went away
    assert session.run.resting()
    resting_at = session.run.snapshot(history=False).steps
    time.sleep(0.3)
    assert session.run.snapshot(history=False).steps == resting_at
    app.run()  # the page comes back
    assert session.run.state == "training"
    assert "paused while nobody watched" in status_line(app)
    app.toggle(key="rbm_keep_going").set_value(True).run()
    time.sleep(1.5)
    assert session.run.state == "training" and session.run.keep_going
    session.run.close()


def test_no_raw_latex_in_the_page_text(page):
    """Plain text has no TeX braces (st.caption shows "e^{x}" as it is typed)."""
    texts = [element.value for element in [*page.caption, *page.markdown, *page.info]]
    assert texts and not [text for text in texts if "^{" in text or "_{" in text]
