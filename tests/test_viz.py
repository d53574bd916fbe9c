"""Pictures and exports built from plain arrays."""

from __future__ import annotations

import csv
import io

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from core.viz import (
    filter_grid,
    gif_bytes,
    history_csv,
    history_figure,
    image_grid,
    png_bytes,
    upscale,
)


def test_image_grid_places_each_image_in_its_cell():
    images = np.stack([np.full(6, value) for value in (0.0, 0.5, 1.0)]).astype(np.float32)
    grid = image_grid(images, (2, 3), columns=2, padding=1)
    assert grid.shape == (2 * 3 + 1, 2 * 4 + 1)
    assert np.all(grid[1:3, 1:4] == 0.0) and np.all(grid[1:3, 5:8] == 0.5)
    assert np.all(grid[4:6, 1:4] == 1.0)
    assert np.all(grid[4:6, 5:8] == 1.0)  # the empty cell shows the background
    with pytest.raises(ValueError, match="rows of 6 pixels"):
        image_grid(images[:, :5], (2, 3))


def test_filter_grid_maps_zero_weight_to_grey():
    weights = np.array([[-2.0, 0.0, 2.0, 1.0]])
    grid = filter_grid(weights, (2, 2), columns=1)
    np.testing.assert_allclose(grid[1:3, 1:3].ravel(), [0.0, 0.5, 1.0, 0.75])


def test_png_and_gif_are_real_images_of_the_right_size():
    picture = np.linspace(0, 1, 12).reshape(3, 4)
    image = Image.open(io.BytesIO(png_bytes(picture, upscale=5)))
    assert image.format == "PNG" and image.size == (20, 15)
    assert upscale(picture, 40).shape == (30, 40)
    animation = Image.open(io.BytesIO(gif_bytes([picture, 1 - picture, picture * 0.5])))
    assert animation.format == "GIF" and animation.n_frames == 3
    with pytest.raises(ValueError):
        gif_bytes([])


def test_history_csv_and_figure():
    history = [{"step": 1.0, "loss": 2.5}, {"step": 2.0, "loss": 2.0, "extra": 1.0}]
    rows = list(csv.DictReader(io.StringIO(history_csv(history))))
    assert rows[0] == {"step": "1.0", "loss": "2.5", "extra": ""}
    assert float(rows[1]["extra"]) == 1.0
    figure = history_figure(history * 2000, ["loss"], title="Loss", max_points=500)
    assert len(figure.data) == 1 and len(figure.data[0].x) <= 500


def test_heatmap_scatter_and_histogram_figures():
    from core.viz import heatmap_figure, histogram_figure, scatter_figure

    heat = heatmap_figure(np.eye(3), title="H", x_title="unit", y_title="digit", y_labels=[7, 8, 9])
    assert list(heat.data[0].y) == ["7", "8", "9"]
    scatter = scatter_figure(np.arange(12.0).reshape(6, 2), np.array([0, 1, 0, 1, 2, 2]), title="S")
    assert [trace.name for trace in scatter.data] == ["0", "1", "2"]
    assert list(scatter.data[2].x) == [8.0, 10.0]
    histogram = histogram_figure({"data": np.zeros(5), "noise": np.ones(5)}, title="F", x_title="F")
    assert [trace["name"] for trace in histogram.spec["data"]] == ["data", "noise"]
    go.Figure(histogram.spec)  # plotly itself accepts the prepared spec


def test_panels_figure_is_a_valid_plotly_figure_with_one_legend_entry_per_label():
    from core.viz import Series, panels_figure

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
    checked = go.Figure(figure.spec)  # raises if any property is not plotly's
    assert len(checked.data) == 3 and len(checked.data[0].x) == 100
    assert [t.showlegend for t in checked.data] == [True, True, False]  # "per batch" once
    assert checked.data[2].xaxis == "x2" and checked.layout.shapes[0].y0 == 0.5
    assert [a.text for a in checked.layout.annotations] == ["Loss", "Other"]
    assert checked.data[0].y[0] == pytest.approx(np.mean([1 / i for i in range(1, 21)]))
