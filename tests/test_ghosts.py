"""Earlier runs beside this one (pages.kit.ghosts): kept at a Reset, named by what differs,
drawn dashed in every panel with their names in the legend, pinned and hidden; and on the
2-D GAN's page, k = 1 reset to k = 10."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.pictures.charts import Series, panel_lines
from core.pictures.svg import panel_pictures, panels_svg
from pages.kit.ghosts import (
    GHOST_RECORDS,
    MAX_GHOSTS,
    Ghost,
    ghost_samples,
    history_bytes,
    keep,
    name_ghosts,
    thinned,
    with_ghosts,
)
from pages.settings.gan_2d import SETTINGS as GAN2D_SETTINGS
from pages.settings.rbm import SETTINGS as RBM_SETTINGS
from tests.helpers import chart_marks, chart_words, fresh_page, parsed_svg

PANELS = [("Losses", [Series("d", "D"), Series("g", "G")])]


def records(steps: int, scale: float = 1.0) -> list[dict]:
    return [{"step": s, "d": scale / (s + 1), "g": scale * s} for s in range(1, steps + 1)]


def test_a_ghost_is_thinned_keeps_its_evaluations_and_says_its_size():
    history = records(5000)
    history += [{"step": 5000, "evaluation": 1.0, "kl": 0.5 - i / 100} for i in range(10)]
    kept = thinned(history)
    assert len(kept) <= GHOST_RECORDS and kept[0]["step"] <= 4  # its whole shape
    assert sum("kl" in r for r in kept) == 10  # every evaluation stays
    assert 100_000 < history_bytes(kept) < 1_000_000  # a few hundred kB, not the model


def test_past_five_the_oldest_unpinned_goes_and_a_run_that_never_trained_is_not_kept():
    ghosts: list[Ghost] = []
    keep(ghosts, [], 0, {"k": 1})
    assert ghosts == []
    for k in range(1, 6):
        keep(ghosts, records(10), 10, {"k": k})
    ghosts[0].pinned = True
    keep(ghosts, records(10), 10, {"k": 6})
    assert len(ghosts) == MAX_GHOSTS
    assert [g.values["k"] for g in ghosts] == [1, 3, 4, 5, 6]  # k = 2 went, k = 1 is pinned
    assert len({g.color for g in ghosts}) == MAX_GHOSTS


def test_a_ghost_is_named_by_what_differs_from_the_current_settings():
    values = {s.name: s.default for s in RBM_SETTINGS}
    ghosts: list[Ghost] = []
    for change in ({"k": 1}, {"method": "PCD", "speed": "1 step/s"}, {}, {}):
        keep(ghosts, records(3), 3, values | change)
    name_ghosts(ghosts, values | {"k": 10, "method": "CD"}, RBM_SETTINGS)
    assert [g.name for g in ghosts] == [
        "k 1 → 10",
        "k 1 → 10, PCD → CD",  # in the table's order; the speed changes no curve
        "k 1 → 10 (#3)",
        "k 1 → 10 (#4)",
    ]
    name_ghosts(ghosts[2:], values | {"k": 1, "method": "CD"}, RBM_SETTINGS)
    assert ghosts[2].name == "same settings"
    lr = {s.name: s.default for s in GAN2D_SETTINGS}
    keep(ghosts := [], records(3), 3, lr | {"lr_g": 0.0002})
    name_ghosts(ghosts, lr | {"lr_g": 0.002}, GAN2D_SETTINGS)
    assert ghosts[0].name == "lr_g 0.0002 → 0.002"


def test_every_panel_draws_a_shown_ghost_dashed_with_its_name_in_the_legend():
    ghosts: list[Ghost] = []
    keep(ghosts, records(50, scale=2.0), 50, {"k": 1})
    keep(ghosts, records(50, scale=3.0), 50, {"k": 2})
    name_ghosts(ghosts, {"k": 10}, RBM_SETTINGS)
    ghosts[1].hidden = True
    (svg,) = panel_pictures(records(80), with_ghosts(PANELS, ghosts))
    root, ns = parsed_svg(svg)
    lines = {(p.get("data-label"), p.get("stroke-dasharray")) for p in root.iter(f"{ns}polyline")}
    assert lines == {("D", None), ("G", None), ("k 1 → 10", "7 4"), ("k 1 → 10", "2 3")}
    legend = [t.text for t in root.iter(f"{ns}text")]
    assert "k 1 → 10" in legend and "k 2 → 10" not in legend
    today = [p.get("stroke") for p in root.iter(f"{ns}polyline") if p.get("data-label") == "D"]
    assert today == ["#1f77b4"]  # today's colours are the palette's, as without ghosts
    two = [*PANELS, ("Outputs", [Series("d", "D(x)")])]
    for svg in (panels_svg(records(9), with_ghosts(two, ghosts)), panels_svg(records(9), two)):
        root, ns = parsed_svg(svg)
        (line,) = [p for p in root.iter(f"{ns}polyline") if p.get("data-label") == "D(x)"]
        assert line.get("stroke") == "#2ca02c"  # the third label's, the ghost's line or not


def test_a_ghost_is_cut_where_today_s_run_has_come_unless_asked_whole():
    ghosts: list[Ghost] = []
    keep(ghosts, records(2000), 2000, {"k": 1})
    name_ghosts(ghosts, {"k": 10}, RBM_SETTINGS)
    spans = {}  # (first x, last x) of each line, in pixels
    for until in (40, None):
        (svg,) = panel_pictures(records(40), with_ghosts(PANELS, ghosts, until))
        root, ns = parsed_svg(svg)
        spans[until] = {
            p.get("data-label"): tuple(
                float(p.get("points").split()[i].split(",")[0]) for i in (0, -1)
            )
            for p in root.iter(f"{ns}polyline")
        }
    # cut: both span the panel, the same steps side by side
    assert spans[40]["D"] == pytest.approx(spans[40]["k 1 → 10"], abs=1.0)
    # whole: today's 40 steps squeezed into the first fiftieth of the panel
    (start, end), (_, today) = spans[None]["k 1 → 10"], spans[None]["D"]
    assert (today - start) / (end - start) < 0.03


def test_runs_of_other_batch_sizes_share_an_axis_of_images_seen():
    ghosts: list[Ghost] = []
    ghost = [{**r, "images": r["step"] * 64} for r in records(100)]
    keep(ghosts, ghost, 100, {"batch": 64})
    name_ghosts(ghosts, {"batch": 16}, RBM_SETTINGS)
    today = [{**r, "images": r["step"] * 16} for r in records(400)]
    today.append({"step": 401, "d": 1.0, "g": 2.0})  # a checkpoint's record: no count, left out
    lines = panel_lines(today, with_ghosts(PANELS, ghosts, 6400, "images"), "images", 1000)[0]
    ends = {line.label: (line.xs[0], line.xs[-1]) for line in lines}
    assert ends["D"] == (16.0, 6400.0) and ends[ghosts[0].name] == (64.0, 6400.0)


def test_a_ghost_s_size_counts_its_album():
    ghosts: list[Ghost] = []
    keep(ghosts, records(100), 100, {"k": 1})
    album = ((1, np.zeros((32, 784), np.uint8)), (3, np.zeros((32, 784), np.uint8)))
    keep(ghosts, records(100), 100, {"k": 1}, album)
    assert ghosts[1].size - ghosts[0].size >= 2 * 32 * 784
    assert ghosts[1].album == album


def test_samples_are_set_beside_earlier_runs_of_the_same_kind_drawn_once():
    ghosts: list[Ghost] = []
    keep(ghosts, records(10), 10, {"dataset": "digits"}, ((1, np.zeros((32, 64), np.uint8)),))
    keep(ghosts, records(10), 10, {"dataset": "mnist-5k"}, ((1, np.ones((32, 784), np.uint8)),))
    name_ghosts(ghosts, {"dataset": "mnist-5k"}, RBM_SETTINGS)
    today = ((1, np.zeros((32, 784), np.uint8)), (3, np.zeros((32, 784), np.uint8)))
    drawn, cache = [], {}

    def draw(page, values):
        drawn.append((page.shape, values))
        return np.zeros((4, 4))

    for _ in range(2):  # a second refresh draws nothing again
        ghost_samples(ghosts, today, draw, cache)
    # at step 1, the last both reached; the 8×8 digits' run has nothing to set beside it
    assert drawn == [((32, 784), None), ((32, 784), {"dataset": "mnist-5k"})]


def row_toggle(app: AppTest, label: str, number: int):
    return next(t for t in app.toggle if t.label == label and f"ghost{number}_" in t.key)


@pytest.mark.slow
def test_on_the_2d_page_a_reset_from_k_1_to_10_keeps_the_first_run_beside_the_second():
    page = fresh_page("../pages/gan_2d.py")
    step = next(b for b in page.button if b.label == "Step")
    for _ in range(3):
        step.click().run()
    page.sidebar.slider(key="g2_k").set_value(10).run()
    next(b for b in page.button if b.label == "Reset").click().run()
    next(b for b in page.button if b.label == "Step").click().run()
    assert not page.exception
    assert "k 1 → 10" in chart_words(page)
    lines = [m for m in chart_marks(page, "k 1 → 10") if m.tag.endswith("polyline")]
    assert len(lines) >= 4 and all(m.get("stroke-dasharray") for m in lines)  # every panel's
    assert any("k 1 → 10" in m.value and "3 steps" in m.value for m in page.markdown)

    # drawn as far as today's run has come (1 step), or whole (3 steps)
    def ghost_points() -> list[int]:
        marks = chart_marks(page, "k 1 → 10")
        return [len(m.get("points").split()) for m in marks if m.tag.endswith("polyline")]

    assert ghost_points() and max(ghost_points()) == 1
    page.toggle(key="g2_ghosts_whole").set_value(True).run()
    assert max(ghost_points()) == 3
    # G's points beside the earlier run's at step 1, the last album step both reached
    assert any(m.value.startswith("**Samples at step 1**") for m in page.markdown)
    assert any(m.value.endswith("k 1 → 10") and "━ ━" in m.value for m in page.markdown)
    row_toggle(page, "Show", 1).set_value(False).run()
    assert "k 1 → 10" not in chart_words(page)
    row_toggle(page, "Keep this run", 1).set_value(True).run()
    for _ in range(MAX_GHOSTS):  # five more runs: the pinned one stays
        next(b for b in page.button if b.label == "Step").click().run()
        next(b for b in page.button if b.label == "Reset").click().run()
    names = [t.key for t in page.toggle if t.label == "Keep this run"]
    assert len(names) == MAX_GHOSTS and "g2_ghost1_pin" in names
    assert "g2_ghost2_pin" not in names  # the oldest unpinned went
    assert not page.exception


@pytest.mark.slow
@pytest.mark.parametrize("page_file, k_key", [("rbm.py", "rbm_k"), ("gan.py", "gan_k")])
def test_the_rbm_and_gan_pages_draw_the_earlier_run_in_every_panel(page_file, k_key):
    page = fresh_page(f"../pages/{page_file}")
    for _ in range(2):
        next(b for b in page.button if b.label == "Step").click().run()
    page.sidebar.slider(key=k_key).set_value(10).run()
    next(b for b in page.button if b.label == "Reset").click().run()
    next(b for b in page.button if b.label == "Step").click().run()
    assert not page.exception
    drawn = [m for m in chart_marks(page, "k 1 → 10") if m.tag.endswith("polyline")]
    assert drawn and all(m.get("stroke-dasharray") for m in drawn)
    assert chart_words(page).count("k 1 → 10") >= 2  # in each panel's legend it has a line in
    assert any(" at step 1**: this run" in m.value for m in page.markdown)
    steps_words = chart_words(page)
    page.radio(key=f"{k_key.split('_')[0]}_x_axis").set_value("images seen").run()
    assert not page.exception
    assert [m for m in chart_marks(page, "k 1 → 10") if m.tag.endswith("polyline")]
    assert chart_words(page) != steps_words  # the axis now counts images, not steps
