"""AppTest tests of the GAN page: controls, Step / D only / G only, samples on demand,
presets, settings in the link, bad uploads."""

from __future__ import annotations

import logging
import re

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.helpers import chart_marks, chart_words

PAGE = "../pages/gan.py"


def open_page(query: dict | None = None) -> AppTest:
    st.cache_resource.clear()  # a fresh browser session with its own run
    app = AppTest.from_file(PAGE, default_timeout=90)
    for key, value in (query if query is not None else {"dataset": "digits"}).items():
        app.query_params[key] = value
    return app.run()


@pytest.fixture()
def page() -> AppTest:
    return open_page()


def button(app: AppTest, label: str):
    return next(b for b in app.button if b.label == label)


def status(app: AppTest) -> tuple[str, int]:
    text = next(block.value for block in app.markdown if "step **" in block.value)
    match = re.search(r"\*\*(\w+)\*\* — step \*\*(\d+)\*\*", text)
    return match.group(1), int(match.group(2))


def points(app: AppTest, label: str) -> int:
    """How many points the curve called ``label`` has in the page's charts."""
    (line,) = [mark for mark in chart_marks(app, label) if mark.tag.endswith("polyline")]
    return len(line.get("points").split())


def test_every_control_exists(page):
    assert not page.exception
    assert page.sidebar.selectbox(key="gan_dataset").value == "digits"
    assert {"Generator learning rate α₁", "Discriminator learning rate α₂", "Batch size"} <= {
        s.label for s in page.sidebar.select_slider
    }
    assert "D updates per G update (k)" in [s.label for s in page.sidebar.slider]
    assert "Noise z" in [r.label for r in page.sidebar.radio]
    assert "Seed" in [n.label for n in page.sidebar.number_input]
    labels = {b.label for b in page.button}
    assert {"Start", "Pause", "Resume", "Step", "Train D only", "Train G only", "Reset"} <= labels
    assert {"Sample", "Interpolate", "Healthy run", "Mode collapse"} <= labels
    assert page.toggle(key="gan_saturating").value is False


@pytest.mark.slow
def test_step_d_only_and_g_only_do_what_they_say(page):
    button(page, "Step").click().run()
    assert not page.exception and status(page) == ("Paused", 1)
    assert points(page, "D(x), real") == 1 and points(page, "D(G(z)), generated") == 1
    images = [c for image in page.get("image") for c in image.captions]
    assert "G(z) for the same 64 z, step 1" in images
    specs = chart_words(page)
    assert "D's output on real and generated images" in specs
    assert "What the CNN sees in 500 samples" in specs  # sample quality was measured
    assert chart_marks(page, "none")  # with a bar for the samples the judge calls no digit

    button(page, "Train D only").click().run()
    assert status(page)[1] == 2
    assert points(page, "D(x), real") == 2  # a D update reports D(x) ...
    assert points(page, "G loss") == 1  # ... and no G loss
    button(page, "Train G only").click().run()
    assert points(page, "G loss") == 2 and points(page, "D(x), real") == 2
    assert not page.exception


@pytest.mark.slow
def test_sample_and_interpolate_draw_images(page, caplog):
    caplog.set_level(logging.WARNING)
    button(page, "Sample").click().run()
    captions = [c for image in page.get("image") for c in image.captions]
    assert "64 fresh samples G(z)" in captions
    downloads = [str(d.proto.label) for d in page.get("download_button")]
    assert {"G and D (.pt)", "Samples (PNG)"} <= set(downloads)
    button(page, "Interpolate").click().run()
    captions = [c for image in page.get("image") for c in image.captions]
    assert "G((1 − t) z₁ + t z₂) for t from 0 to 1" in captions
    page.slider(key="gan_z0").set_value(0.9).run()
    captions = [c for image in page.get("image") for c in image.captions]
    assert not page.exception and "G(z), step 0" in captions  # G as it is, at its step
    button(page, "New z for the latent explorer").click().run()
    assert page.slider(key="gan_z0").value != 0.9  # the new z's own coordinate
    # and Streamlit had nothing to warn about (a widget's value given twice, say)
    assert not [r for r in caplog.records if "Session State" in r.getMessage()]


@pytest.mark.slow
def test_presets_apply_their_settings_and_say_what_to_look_for(page):
    button(page, "Discriminator wins too fast").click().run()
    assert page.sidebar.slider(key="gan_k").value == 5
    assert page.sidebar.select_slider(key="gan_lr_d").value == 1e-3
    assert page.toggle(key="gan_saturating").value is True
    assert any("D rejects every fake" in info.value for info in page.info)
    assert page.query_params["k"] in ("5", ["5"]) and page.query_params["saturating"] in (
        "1",
        ["1"],
    )
    button(page, "Step").click().run()  # a new run with its settings
    assert not page.exception and status(page)[1] == 1
    # its sentence stays while its run trains, and goes with a Reset
    assert any("D rejects every fake" in info.value for info in page.info)
    button(page, "Step").click().run()
    assert status(page)[1] == 2 and any("D rejects every fake" in i.value for i in page.info)
    button(page, "Reset").click().run()
    assert not any("D rejects every fake" in info.value for info in page.info)


@pytest.mark.slow
def test_the_fast_preset_samples_from_the_average_of_g(page):
    button(page, "Digits sooner").click().run()
    assert page.sidebar.select_slider(key="gan_average").value == 0.998
    assert page.sidebar.select_slider(key="gan_batch").value == 64
    assert page.query_params["average"] in ("0.998", ["0.998"])
    assert any("average of G's weights" in info.value for info in page.info)
    button(page, "Step").click().run()
    assert not page.exception and status(page)[1] == 1
    page.sidebar.select_slider(key="gan_average").set_value(0.0).run()  # off, live
    button(page, "Step").click().run()
    assert not page.exception and status(page)[1] == 2 and "average" not in page.query_params


def test_a_link_restores_its_settings():
    app = open_page({"dataset": "digits", "lr_g": "0.001", "k": "3", "batch": "64", "seed": "7"})
    assert not app.exception and not app.warning
    assert app.sidebar.select_slider(key="gan_lr_g").value == 1e-3
    assert app.sidebar.slider(key="gan_k").value == 3
    assert app.sidebar.select_slider(key="gan_batch").value == 64
    assert app.sidebar.number_input(key="gan_seed").value == 7
    button(app, "Step").click().run()
    assert status(app)[1] == 1


@pytest.mark.slow
def test_a_link_with_garbage_falls_back_with_a_notice():
    app = open_page({"dataset": "digits", "lr_g": "fast", "k": "-3", "seed": "1e99"})
    assert not app.exception
    notices = " ".join(w.value for w in app.warning)
    assert "lr_g=fast" in notices and "k=-3" in notices and "seed=1e99" in notices
    assert app.sidebar.select_slider(key="gan_lr_g").value == 2e-4
    assert app.sidebar.slider(key="gan_k").value == 1
    button(app, "Step").click().run()
    assert not app.exception


def test_a_shape_change_asks_for_a_reset(page):
    page.sidebar.radio(key="gan_noise").set_value("gaussian").run()
    assert any("press Reset" in info.value for info in page.info)
    assert button(page, "Start").disabled
    button(page, "Reset").click().run()
    assert not page.info and not page.exception


@pytest.mark.slow
def test_start_from_the_pretrained_gan():
    app = open_page({})  # mnist-5k
    button(app, "Start from the pretrained GAN").click().run()
    assert not app.exception
    assert any("Continuing from the pretrained GAN" in block.value for block in app.success)
    # drawn at once, at the model's own step: the grid, D's outputs, the judge's bars, and
    # the first point of the quality curves (the checkpoint says 7,000 steps)
    assert status(app) == ("Paused", 7000)
    captions = [c for image in app.get("image") for c in image.captions]
    assert "G(z) for the same 64 z, step 7000" in captions
    assert "D's output on real and generated images" in chart_words(app)
    judged = chart_marks(app, "a digit, p ≥ 0.8")
    assert [float(m.get("data-value")) for m in judged if m.tag.endswith("circle")][0] > 0.5
    assert button(app, "Start").disabled and not button(app, "Resume").disabled
    assert "What the CNN sees" in chart_words(app)
    shares = [
        float(bar.get("data-value"))
        for label in [str(digit) for digit in range(10)] + ["none"]
        for bar in chart_marks(app, label, "What the CNN sees")
    ]
    assert len(shares) == 11
    assert sum(share > 0.03 for share in shares[:10]) >= 8  # a trained GAN draws most digits
    assert shares[10] < 0.2  # and the judge takes most of its samples for digits
    # the classifier FID's scale, under the charts: real images near 0, the pretrained GAN
    reading = " ".join(block.value for block in app.markdown)
    scale = r"real images score (\d+\.\d) and the pretrained GAN score (\d+\.\d)"
    found = re.search(scale, reading)
    assert found and float(found.group(1)) < float(found.group(2))


@pytest.mark.slow
def test_the_latent_explorer_redraws_g_while_the_run_trains(monkeypatch):
    """The explorer drew G(z) at full reruns only, so while the run trained (the live
    fragment redraws, the page does not) it showed the G of Start: grey noise until Pause.
    It is now a fragment of its own with a timer while training, none while paused."""
    timers = {}
    fragment = st.fragment

    def recorded(func=None, *, run_every=None, **options):
        def wrap(body):
            timers[body.__qualname__.rsplit(".", 1)[-1]] = run_every
            return fragment(body, run_every=run_every, **options)

        return wrap if func is None else wrap(func)

    monkeypatch.setattr(st, "fragment", recorded)
    app = open_page()
    assert timers["explorer"] is None  # not training: nothing to follow
    button(app, "Start").click().run()
    try:
        assert status(app)[0] == "Training"
        assert timers["explorer"] is not None and 1.0 <= timers["explorer"] <= 8.0
        captions = [c for image in app.get("image") for c in image.captions]
        assert any(re.fullmatch(r"G\(z\), step [\d,]+", c) for c in captions)
    finally:
        button(app, "Pause").click().run()
    assert timers["explorer"] is None


@pytest.mark.slow
def test_a_log_scale_puts_the_losses_and_gradient_norms_on_a_log_axis(page):
    from tests.helpers import page_charts

    def log_panels(app) -> list[str]:
        return [
            next(t.text for t in root.iter(f"{ns}text"))  # a panel's title comes first
            for root, ns in page_charts(app)
            if any(r.get("data-scale") == "log" for r in root.iter(f"{ns}rect"))
        ]

    button(page, "Step").click().run()
    button(page, "Step").click().run()
    assert page.toggle(key="gan_log_scale").value is False and log_panels(page) == []
    page.toggle(key="gan_log_scale").set_value(True).run()
    assert not page.exception
    assert log_panels(page) == ["Losses", "Gradient norms"]
    page.toggle(key="gan_log_scale").set_value(False).run()
    assert log_panels(page) == []


@pytest.mark.slow
def test_the_export_buttons_have_labels_that_fit_a_laptop():
    """Five buttons share the row: at 1366 × 768 beside the sidebar one holds about 21
    characters and an icon ("Fixed-noise grid ove…" was cut)."""
    app = open_page()
    button(app, "Step").click().run()
    button(app, "Sample").click().run()
    labels = [str(d.proto.label) for d in app.get("download_button")]
    assert "Training (GIF)" in labels and "Samples (PNG)" in labels
    assert all(len(label) <= 22 for label in labels), labels


def test_a_search_distance_reads_on_the_pretrained_gans_measured_scale():
    """bench/bench_projection.py: unseen digits end below 0.065 (nine in ten), digits turned on
    their side near 0.1, noise near 0.5; the sentence follows those three."""
    from pages.views.digit_gan import reach

    assert "can draw it" in reach(0.029)
    assert "something like it" in reach(0.097)
    assert "cannot draw" in reach(0.514)
