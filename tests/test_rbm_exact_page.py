"""AppTest tests of the "RBM up close" page: controls, Step, the slow motion, the gradient
comparison, presets, your own images and settings from the link."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.data.tiny import bars_and_stripes, images_to_text
from core.training.exact_job import ExactRBMJob, ExactSettings
from tests.helpers import fresh_page


def fresh(query: dict | None = None) -> AppTest:
    return fresh_page("../pages/rbm_exact.py", query)


@pytest.fixture()
def page() -> AppTest:
    return fresh()


def button(app: AppTest, label: str):
    return next(b for b in app.button if b.label == label)


def status_line(app: AppTest) -> str:
    return next(block.value for block in app.markdown if "step **" in block.value)


def metric(app: AppTest, label: str) -> float:
    return float(next(m.value for m in app.metric if m.label == label).rstrip("%"))


def test_every_control_and_view_is_there(page):
    assert not page.exception
    assert {"Hidden units", "Gibbs steps (k)", "Updates"} <= {s.label for s in page.sidebar.slider}
    assert [r.label for r in page.sidebar.radio] == ["Negative phase"]
    assert {"Play", "Pause", "Step", "Reset", "Take the next batch"} <= {
        b.label for b in page.button
    }
    assert [m.label for m in page.metric] == [
        "log Z",
        "⟨log P(v)⟩ data",
        "KL(data ‖ model)",
        "P(a data state)",
    ]
    # untrained, every state is about equally likely: 14 of 512 states hold ~14/512 of P
    assert metric(page, "P(a data state)") == pytest.approx(100 * 14 / 512, abs=0.3)
    assert metric(page, "log Z") == pytest.approx(9 * 0.6931 + 8 * 0.6931, abs=0.1)  # 2^9·2^8


def test_steps_train_and_the_numbers_follow(page):
    kl = metric(page, "KL(data ‖ model)")
    for _ in range(3):
        button(page, "Step").click().run()
    assert not page.exception
    assert "step **3** of 5000" in status_line(page)
    assert metric(page, "KL(data ‖ model)") != kl


def test_the_slow_motion_walks_through_four_steps_and_applies_one_update(page):
    button(page, "Take the next batch").click().run()
    titles = [page.subheader[0].value]
    for _ in range(3):
        button(page, "Next").click().run()
        titles.append(page.subheader[0].value)
    assert [t.split(" ·")[0] for t in titles] == ["Step 1", "Step 2", "Step 3", "Step 4"]
    assert button(page, "Next").disabled
    button(page, "Back").click().run()
    assert page.subheader[0].value.startswith("Step 3")
    assert any("F(v) - F(\\hat v)" in block.value for block in page.latex)
    button(page, "Apply this update").click().run()
    assert not page.exception
    assert "step **1**" in status_line(page)
    assert not [b for b in page.button if b.label == "Apply this update"]  # used up


@pytest.mark.slow
def test_the_gradient_comparison_shows_the_engines_numbers_for_the_pages_model(page):
    for _ in range(5):
        button(page, "Step").click().run()
    button(page, "Compare on 400 batches").click().run()
    assert not page.exception
    table = page.dataframe[0].value
    assert table["estimator"].tolist() == ["CD-1", "CD-10", "PCD-1"]
    # the same defaults, five updates headless: the same model, so the same comparison
    job = ExactRBMJob(bars_and_stripes(3), ExactSettings())
    for _ in range(5):
        job.train_step()
    expected = job.compare_gradients()
    assert table["relative bias"].tolist() == [round(q.relative_bias, 3) for q in expected]
    assert table["cos(one batch, exact)"].tolist() == [round(q.cosine_single, 3) for q in expected]


@pytest.mark.slow
def test_a_taken_batch_goes_stale_when_the_model_moves_on(page):
    button(page, "Take the next batch").click().run()
    assert [b for b in page.button if b.label == "Apply this update"]
    button(page, "Step").click().run()
    assert not [b for b in page.button if b.label == "Apply this update"]
    assert any("changed since" in c.value for c in page.caption)


@pytest.mark.slow
def test_new_data_before_a_reset_keeps_drawing_the_model_on_its_own_data(page):
    shown = [m.value for m in page.metric]
    page.sidebar.selectbox[0].set_value("Bars and stripes 4×4").run()  # 16 pixels, not 9
    assert not page.exception
    assert any("press Reset" in i.value for i in page.info)
    assert [m.value for m in page.metric] == shown  # still the 9-pixel model and its data
    button(page, "Reset").click().run()
    assert not page.exception
    assert metric(page, "P(a data state)") == pytest.approx(100 * 30 / 2**16, abs=0.1)


def test_a_preset_sets_up_a_new_run_and_keeps_its_sentence(page):
    button(page, "Step").click().run()
    button(page, "Too few hidden units").click().run()
    assert not page.exception
    assert page.session_state["ex_hidden"] == 2 and page.session_state["ex_method"] == "exact"
    assert "step **0**" in status_line(page)  # a fresh model with the preset's settings
    assert "Too few hidden units" in page.info[0].value
    button(page, "Step").click().run()
    assert "Too few hidden units" in page.info[0].value  # stays while it trains
    button(page, "Reset").click().run()
    assert not [i for i in page.info if "Too few hidden units" in i.value]


@pytest.mark.slow
def test_your_own_images_need_a_reset_and_travel_in_the_link(page):
    page.sidebar.selectbox[0].set_value("Your own images").run()
    assert any("press Reset" in i.value for i in page.info)
    assert button(page, "Play").disabled
    cell = next(b for b in page.button if b.key == "ex_cell_0_1")
    assert cell.label == "□"
    cell.click().run()
    assert next(b for b in page.button if b.key == "ex_cell_0_1").label == "■"
    button(page, "Reset").click().run()
    assert not page.exception and not button(page, "Play").disabled
    link = page.query_params["own"]
    assert link.startswith("3x3:110010001.")  # the first image with its new cell
    # the same link in a new session brings the images back
    again = fresh({"data": "Your own images", "own": link})
    assert not again.exception
    assert next(b for b in again.button if b.key == "ex_cell_0_1").label == "■"


@pytest.mark.slow
def test_a_4x4_drawing_survives_a_visit_to_another_dataset(page):
    page.sidebar.selectbox[0].set_value("Your own images").run()
    page.radio(key="ex_shape").set_value((4, 4)).run()
    next(b for b in page.button if b.key == "ex_cell_3_3").click().run()
    drawn = page.query_params["own"]
    assert drawn.startswith("4x4:") and drawn != images_to_text(
        [[[int(c) for c in row] for row in ("1000", "0100", "0010", "0000")]]
    )
    page.sidebar.selectbox[0].set_value("Shifted squares 4×4").run()
    page.sidebar.selectbox[0].set_value("Your own images").run()
    assert not page.exception
    assert page.radio(key="ex_shape").value == (4, 4)
    assert page.query_params["own"] == drawn


@pytest.mark.slow
def test_the_link_sets_the_page_and_refuses_bad_values():
    app = fresh({"hidden": "3", "method": "exact", "lr": "0.5", "k": "99", "race": "0"})
    assert not app.exception
    assert app.session_state["ex_hidden"] == 3 and app.session_state["ex_method"] == "exact"
    assert app.checkbox(key="ex_compare").value is False
    assert any("k=99" in w.value for w in app.warning)
    bad_own = fresh({"data": "Your own images", "own": images_to_text([[[1, 2], [0, 1]]])})
    assert any("own=" in w.value for w in bad_own.warning)
    assert not bad_own.exception
