"""Charts of a run's history and of the model: plotly figures and their static SVG twins."""

from __future__ import annotations

import csv
import io

import numpy as np
import plotly.graph_objects as go
import pytest

from core.pictures.charts import bars_figure, history_figure
from core.pictures.grids import history_csv
from tests.helpers import parsed_svg


def test_history_csv_and_figure():
    history = [{"step": 1.0, "loss": 2.5}, {"step": 2.0, "loss": 2.0, "extra": 1.0}]
    rows = list(csv.DictReader(io.StringIO(history_csv(history))))
    assert rows[0] == {"step": "1.0", "loss": "2.5", "extra": ""}
    assert float(rows[1]["extra"]) == 1.0
    figure = history_figure(history * 2000, ["loss"], title="Loss", max_points=500)
    assert len(figure.data) == 1 and len(figure.data[0].x) <= 500


def test_heatmap_scatter_and_histogram_figures():
    from core.pictures.charts import heatmap_figure, histogram_figure, scatter_figure

    heat = heatmap_figure(np.eye(3), title="H", x_title="unit", y_title="digit", y_labels=[7, 8, 9])
    assert list(heat.data[0].y) == ["7", "8", "9"]
    scatter = scatter_figure(np.arange(12.0).reshape(6, 2), np.array([0, 1, 0, 1, 2, 2]), title="S")
    assert [trace.name for trace in scatter.data] == ["0", "1", "2"]
    assert list(scatter.data[2].x) == [8.0, 10.0]
    histogram = histogram_figure({"data": np.zeros(5), "noise": np.ones(5)}, title="F", x_title="F")
    assert [trace["name"] for trace in histogram.spec["data"]] == ["data", "noise"]
    go.Figure(histogram.spec)  # plotly itself accepts the prepared spec


def test_panels_figure_is_a_valid_plotly_figure_with_one_legend_entry_per_label():
    from core.pictures.charts import Series, panels_figure

    history = [{"step": float(i), "loss": 1 / i, "other": float(i)} for i in range(1, 2001)]
    history[99]["evaluation"] = 1.0
    history[99]["held_out"] = 0.5
    figure = panels_figure(
        history,
        [
            ("Loss", [Series("loss", "per batch"), Series("held_out", "validation", True)]),
            ("Other", [Series("other", "per batch")]),
        ],
        columns=2,
        max_points=100,
        reference_lines={1: 0.5},
        placeholders={0: "never shown: it has points", 1: "not shown either"},
    )
    empty = panels_figure([], [("Later", [Series("loss", "x")])], placeholders={0: "Soon"})
    assert [a["text"] for a in empty.spec["layout"]["annotations"]] == ["Later", "Soon"]
    wide = "Press “Estimate the log-likelihood (AIS)” below"  # kept within its panel
    wrapped = panels_figure([], [("AIS", [Series("ais", "x")])], placeholders={0: wide})
    note = wrapped.spec["layout"]["annotations"][1]
    lines = note["text"].split("<br>")
    assert " ".join(lines) == wide and len(lines) == 2 and max(map(len, lines)) <= 28
    assert (note["xanchor"], note["align"]) == ("center", "center")  # about the panel's middle
    checked = go.Figure(figure.spec)  # raises if any property is not plotly's
    assert len(checked.data) == 3 and len(checked.data[0].x) == 100
    assert [t.showlegend for t in checked.data] == [True, True, False]  # "per batch" once
    assert checked.data[2].xaxis == "x2" and checked.layout.shapes[0].y0 == 0.5
    assert [a.text for a in checked.layout.annotations] == ["Loss", "Other"]
    assert checked.data[0].y[0] == pytest.approx(np.mean([1 / i for i in range(1, 21)]))


def test_panels_svg_draws_each_series_where_its_values_are():
    from core.pictures.charts import Series
    from core.pictures.svg import panels_svg

    history = [{"step": float(i), "loss": 1 / i, "other": float(i)} for i in range(1, 2001)]
    history[99].update(evaluation=1.0, held_out=0.5)
    history[199].update(evaluation=1.0, held_out=0.25)
    panels = [
        ("Loss <of> D & G", [Series("loss", "per batch"), Series("held_out", "validation", True)]),
        ("Other", [Series("other", "per batch")]),
        ("Empty", [Series("missing", "never measured")]),
    ]
    root, ns = parsed_svg(
        panels_svg(
            history,
            panels,
            columns=3,
            max_points=100,
            reference_lines={1: 1000.0},
            placeholders={2: "Press the button"},
        )
    )
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "Loss <of> D & G" in texts and "Press the button" in texts  # escaped, then parsed
    lines = root.findall(f"{ns}polyline")
    assert [len(p.get("points").split()) for p in lines] == [100, 2, 100]
    assert len(root.findall(f"{ns}circle")) == 2  # evaluation points are marked
    # one legend entry per label that has points: "per batch" once, "never measured" not at all
    assert texts.count("per batch") == 1 and "never measured" not in texts
    # the falling loss goes down the picture (y grows downwards), the rising one up
    loss = [[float(v) for v in pt.split(",")] for pt in lines[0].get("points").split()]
    other = [[float(v) for v in pt.split(",")] for pt in lines[2].get("points").split()]
    assert loss[0][1] < loss[-1][1] and other[0][1] > other[-1][1]
    assert loss[0][0] < loss[-1][0]
    dashed = [x for x in root.iter(f"{ns}line") if x.get("stroke-dasharray")]
    assert len(dashed) == 1  # the reference line, in the "Other" panel
    assert min(y for _, y in other) < float(dashed[0].get("y1")) < max(y for _, y in other)


def test_panels_svg_survives_a_single_point_and_non_finite_values():
    from core.pictures.charts import Series
    from core.pictures.svg import panels_svg

    root, ns = parsed_svg(
        panels_svg(
            [{"step": 1.0, "a": 2.0}, {"step": 2.0, "a": float("nan")}],
            [("A", [Series("a", "a")])],
        )
    )
    assert len(root.findall(f"{ns}polyline")) == 1
    assert len(root.findall(f"{ns}circle")) == 1  # one finite point: shown as a dot


def test_nice_ticks_are_round_and_cover_the_range():
    from core.pictures.svg import nice_ticks

    for low, high in [(0, 1), (-3.2, 17.5), (0.001, 0.0042), (100, 9000), (-150, -80)]:
        ticks = nice_ticks(low, high, 6)
        steps = np.diff(ticks)
        assert 3 <= len(ticks) <= 9 and np.allclose(steps, steps[0])
        mantissa = steps[0] / 10 ** np.floor(np.log10(steps[0]))
        assert any(np.isclose(mantissa, m) for m in (1, 2, 2.5, 5))
        assert low - 1e-12 <= ticks[0] < low + steps[0] and high - steps[0] < ticks[-1] <= high
    assert nice_ticks(float("nan"), 1.0) == []


def test_histogram_and_bar_pictures_have_bars_as_tall_as_their_counts():
    from core.pictures.svg import bars_svg, histogram_svg

    root, ns = parsed_svg(
        histogram_svg(
            {"real": np.full(30, 0.9), "fake": np.r_[np.full(10, 0.1), np.full(5, 0.5)]},
            title="D",
            x_title="D(·)",
            bins=10,
        )
    )
    bars = [r for r in root.findall(f"{ns}rect") if r.get("fill-opacity") and r.get("height")]
    heights = sorted(float(r.get("height")) for r in bars if float(r.get("width")) > 16)
    assert len(heights) == 3  # three non-empty bins
    assert heights[2] == pytest.approx(3 * heights[1], rel=0.01)
    assert heights[1] == pytest.approx(2 * heights[0], rel=0.01)
    root, ns = parsed_svg(
        bars_svg(
            ["0", "1", "2"], [0.5, 0.25, 0.0], title="t", x_title="x", y_title="y", reference=1 / 3
        )
    )
    drawn = [float(r.get("height")) for r in root.findall(f"{ns}rect")[2:]]
    assert drawn[0] == pytest.approx(2 * drawn[1], rel=0.01) and drawn[2] == 0


def test_bars_figure_has_a_bar_per_label_and_the_reference_level():
    figure = bars_figure(
        ["0", "1", "2"],
        [0.5, 0.3, 0.2],
        title="Coverage",
        x_title="digit",
        y_title="share",
        reference=1 / 3,
    )
    spec = figure.to_plotly_json()
    assert spec["data"][0]["x"] == ["0", "1", "2"] and spec["data"][0]["y"] == [0.5, 0.3, 0.2]
    assert spec["layout"]["shapes"][0]["y0"] == pytest.approx(1 / 3)
    go.Figure(spec)  # a valid plotly spec
    assert (
        "shapes"
        not in bars_figure(["a"], [1.0], title="", x_title="", y_title="").to_plotly_json()[
            "layout"
        ]
    )


def test_panel_pictures_give_each_panel_its_legend_one_colour_per_label_and_titles_that_fit():
    from core.pictures.charts import Series
    from core.pictures.svg import panel_pictures

    history = [{"step": float(i), "a": float(i), "b": -float(i), "c": 1.0} for i in range(1, 50)]
    long_title = "A title too long for the usual size in this panel"
    panels = [
        ("Short", [Series("a", "alpha"), Series("b", "beta")]),
        (long_title, [Series("b", "beta"), Series("c", "gamma")]),
        ("Waiting", [Series("missing", "never")]),
    ]
    pictures = panel_pictures(
        history, panels, width=340, reference_lines={1: 0.0}, placeholders={2: "Soon"}
    )
    assert len(pictures) == 3
    parsed = [parsed_svg(picture) for picture in pictures]
    legends = []
    for root, ns in parsed:
        texts = [t.text for t in root.iter(f"{ns}text")]
        legends.append([t for t in texts if t in ("alpha", "beta", "gamma", "never")])
    assert legends == [["alpha", "beta"], ["beta", "gamma"], []]
    # "beta" has the same colour in both pictures it is drawn in
    strokes = [{p.get("stroke") for p in root.findall(f"{ns}polyline")} for root, ns in parsed[:2]]
    assert len(strokes[0]) == 2 and len(strokes[0] & strokes[1]) == 1
    # the reference line and the placeholder went to the panels they were given for
    assert [
        len([x for x in root.iter(f"{ns}line") if x.get("stroke-dasharray")]) for root, ns in parsed
    ] == [0, 1, 0]
    assert "Soon" in [t.text for t in parsed[2][0].iter(f"{parsed[2][1]}text")]
    # the long title is drawn smaller, so that its width (half an em a character) fits
    root, ns = parsed[1]
    title = next(t for t in root.iter(f"{ns}text") if t.text == long_title)
    size, centre = float(title.get("font-size")), float(title.get("x"))
    half = 0.53 * size * len(long_title) / 2
    assert size < 17 and 0 <= centre - half and centre + half <= 340  # within the picture


def x_tick_labels(root, ns) -> list:
    """The x axis's tick labels of a panel picture: the texts on its lowest row of numbers."""
    numbers = [t for t in root.iter(f"{ns}text") if (t.text or "").replace(",", "").strip("-.")]
    numbers = [t for t in numbers if t.text.replace(",", "").replace(".", "").isdigit()]
    bottom = max(float(t.get("y")) for t in numbers)
    return [t for t in numbers if float(t.get("y")) == bottom]


def extent(label, size: float = 15.0) -> tuple[float, float]:
    """Where a label reaches, left and right, at a wide 0.56 em a character."""
    width, x = 0.56 * size * len(label.text), float(label.get("x"))
    anchor = label.get("text-anchor", "start")
    left = x - width / 2 if anchor == "middle" else x - width if anchor == "end" else x
    return left, left + width


@pytest.mark.parametrize(
    ("x_key", "last", "shown"), [("step", 1000, "1,000"), ("epoch", 2.5, "2.5")]
)
def test_the_last_x_tick_label_fits_inside_its_picture(x_key, last, shown):
    """At the right edge of a panel the last tick's label was cut ("1,00" for "1,000") at
    every screen size: it now ends at the panel's edge instead of being centred on its tick."""
    from core.pictures.charts import Series
    from core.pictures.svg import panel_pictures, panels_svg

    history = [{x_key: last * i / 200, "a": float(i % 7)} for i in range(201)]
    panels = [("A", [Series("a", "a")]), ("B", [Series("a", "a")]), ("C", [Series("a", "a")])]
    pictures = [(p, 340) for p in panel_pictures(history, panels, x_key=x_key, width=340)]
    pictures.append((panels_svg(history, panels, x_key=x_key, columns=3, width=900), 900))
    pictures.append((panels_svg(history, panels[:1], x_key=x_key, columns=1, width=640), 640))
    for picture, width in pictures:
        labels = x_tick_labels(*parsed_svg(picture))
        assert shown in [label.text for label in labels]
        for label in labels:
            left, right = extent(label)
            assert 0 <= left and right <= width, (label.text, left, right, width)
    # in a row of three, each panel's last label stays inside its own panel
    root, ns = parsed_svg(pictures[-2][0])
    rights = sorted(extent(label)[1] for label in x_tick_labels(root, ns) if label.text == shown)
    cell = (900 - 36 * 2) / 3
    assert all(r <= column * (cell + 36) + cell for column, r in enumerate(rights))


def test_an_axis_of_steps_has_whole_ticks_even_for_one_point():
    """A model loaded at step 6,850 has one point: its axis showed 6,849.6 6,849.8 …"""
    from core.pictures.charts import Series
    from core.pictures.svg import nice_ticks, panels_svg

    root, ns = parsed_svg(panels_svg([{"step": 6850.0, "a": 1.0}], [("A", [Series("a", "a")])]))
    assert [label.text for label in x_tick_labels(root, ns)] == ["6,850"]
    for low, high in [(0, 1), (1, 4), (0, 12), (3, 7.5), (6849.5, 6850.5), (0, 1000)]:
        ticks = nice_ticks(low, high, 6, whole=True)
        assert ticks and all(float(t).is_integer() for t in ticks), (low, high, ticks)
        assert all(low <= t <= high for t in ticks)


def test_a_log_panel_spreads_small_values_and_says_what_it_left_out():
    """Gradient norms from 0.001 to 1 on a log axis: each decade as tall as the next; a 0 and
    a negative value cannot be drawn there, and the panel says so instead of failing."""
    from core.pictures.charts import Series
    from core.pictures.svg import panel_pictures

    values = [0.001, 0.01, 0.1, 1.0, 0.0, -2.0]
    history = [{"step": float(i), "g": v, "h": v} for i, v in enumerate(values)]
    panels = [("Gradient norms", [Series("g", "g")]), ("Linear", [Series("h", "h")])]
    log, linear = (parsed_svg(p) for p in panel_pictures(history, panels, log_panels={0}))
    root, ns = log
    assert [r for r in root.iter(f"{ns}rect") if r.get("data-scale") == "log"]
    (line,) = root.findall(f"{ns}polyline")
    ys = [float(point.split(",")[1]) for point in line.get("points").split()]
    assert len(ys) == 4 and np.allclose(np.diff(ys), ys[1] - ys[0], atol=0.2)  # even decades
    assert ys[0] > ys[-1]  # 0.001 at the bottom
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert {"0.001", "0.01", "0.1", "1"} <= set(texts)
    assert "2 values ≤ 0 left out (log scale)" in texts
    root, ns = linear  # the other panel keeps its linear axis and all six points
    assert not [r for r in root.iter(f"{ns}rect") if r.get("data-scale")]
    assert len(root.find(f"{ns}polyline").get("points").split()) == 6
    # within less than a decade: round values between, each labelled as precisely as needed
    narrow = [{"step": float(i), "g": 0.7 + 0.08 * i / 9} for i in range(10)]
    (picture,) = panel_pictures(narrow, panels[:1], log_panels={0})
    root, ns = parsed_svg(picture)
    labels = [t.text for t in root.iter(f"{ns}text") if t.get("text-anchor") == "end"]
    assert [label for label in labels if label.startswith("0.")] == ["0.70", "0.75"]
    # nothing above 0 at all: a sentence in the panel, no line, no error
    (picture,) = panel_pictures(history[4:], panels[:1], log_panels={0})
    root, ns = parsed_svg(picture)
    assert not root.findall(f"{ns}polyline")
    assert "Nothing above 0 for a log scale" in [t.text for t in root.iter(f"{ns}text")]


def test_a_histogram_marks_a_single_value_where_it_lies():
    """Your digit's F(v) or D(x) among the training digits': a labelled line at its value."""
    from core.pictures.svg import histogram_svg

    root, ns = parsed_svg(
        histogram_svg(
            {"real": np.linspace(0, 1, 50)},
            title="D",
            x_title="D(·)",
            value_range=(0.0, 1.0),
            markers={"yours": 0.75, "off the chart": 7.0},
        )
    )
    lines = [line for line in root.findall(f"{ns}line") if line.get("stroke-dasharray")]
    plot = next(r for r in root.findall(f"{ns}rect") if r.get("stroke") == "#d5d8de")
    left, width = float(plot.get("x")), float(plot.get("width"))
    xs = [float(line.get("x1")) for line in lines]
    assert xs[0] == pytest.approx(left + 0.75 * width, abs=0.1)
    assert xs[1] == pytest.approx(left + width, abs=0.1)  # clipped to the plot's edge
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "yours" in texts and "off the chart" in texts


def test_an_axis_of_images_seen_reads_in_thousands_and_millions():
    from core.pictures.charts import Series
    from core.pictures.svg import panels_svg

    history = [{"step": s, "images": 128.0 * s, "loss": 1 / s} for s in range(1, 10_001)]
    svg = panels_svg(history, [("Loss", [Series("loss", "loss")])], columns=1, x_key="images")
    root, ns = parsed_svg(svg)
    words = [t.text for t in root.iter(f"{ns}text")]
    assert "1M" in words and any(w.endswith("k") for w in words)
    assert not any("e" in (w or "") and (w or "")[0].isdigit() for w in words)  # no 1.0e6
    short = [{**r, "images": 10.0 * r["step"]} for r in history]  # up to 100,000: all in k
    root, ns = parsed_svg(
        panels_svg(short, [("Loss", [Series("loss", "loss")])], columns=1, x_key="images")
    )
    words = [t.text or "" for t in root.iter(f"{ns}text")]
    assert "80k" in words and not any(w.endswith(",000") for w in words)
