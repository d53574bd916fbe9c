"""Interactive plotly charts of a run's history and of the model's views (drawn while paused).

Panels of curves are described by :class:`Series`; :func:`panel_lines` turns a history into
the lines of each panel, for these charts and for their static SVG twins (core.pictures.svg).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go


def history_figure(
    history: Sequence[dict[str, float]],
    keys: Sequence[str],
    *,
    title: str,
    x_key: str = "step",
    labels: dict[str, str] | None = None,
    max_points: int = 1500,
) -> go.Figure:
    """Line chart of ``keys`` against ``x_key`` from a run's history (thinned to max_points)."""
    stride = max(1, math.ceil(len(history) / max_points))
    records = list(history)[::stride]
    figure = go.Figure()
    for key in keys:
        xs = [record[x_key] for record in records if key in record]
        ys = [record[key] for record in records if key in record]
        figure.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=(labels or {}).get(key, key)))
    figure.update_layout(
        title=title,
        height=320,
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", y=-0.2),
        font=dict(size=15),
        xaxis_title=x_key,
    )
    return figure


@dataclass(frozen=True)
class Series:
    """One line of a panel: a history key, its legend label, and whether it is an evaluation
    (a few points, drawn with markers) or a per-step metric (many, averaged into buckets).
    An earlier run's line (a ghost, pages.kit.ghosts) brings its own ``records``, a muted
    ``color`` and a ``dash`` pattern (SVG's stroke-dasharray)."""

    key: str
    label: str
    evaluation: bool = False
    color: str = ""  # "": the label's colour from the palette
    dash: str = ""  # "": a solid line
    records: Sequence[dict[str, float]] | None = field(default=None, compare=False, repr=False)


def bucket_means(xs: Sequence[float], ys: Sequence[float], max_points: int):
    """Averages of consecutive runs of points, at most ``max_points`` of them (the trend of a
    noisy per-batch curve, and a light chart however long the run)."""
    count = len(xs)
    if count <= max_points:
        return list(xs), list(ys)
    edges = np.linspace(0, count, max_points + 1).astype(int)
    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    sums_x, sums_y = np.add.reduceat(x, edges[:-1]), np.add.reduceat(y, edges[:-1])
    sizes = np.diff(edges)
    return list(sums_x / sizes), list(sums_y / sizes)


PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf")


class PreparedFigure(go.Figure):
    """A figure whose plotly spec is already complete.

    Building a figure through plotly's graph objects validates every property, which was
    most of the server's drawing time for the six-panel chart (docs/performance.md); a page
    that redraws it twice a second for many visitors cannot afford that. The spec here is
    assembled as plain data (the same JSON plotly would produce) and handed over as it is.
    """

    def __init__(self, spec: dict) -> None:
        super().__init__()
        self._prepared = spec

    def to_dict(self) -> dict:
        return self._prepared

    def to_plotly_json(self) -> dict:
        return self._prepared

    @property
    def spec(self) -> dict:
        return self._prepared


@dataclass
class PanelLine:
    label: str
    color: str
    xs: list[float]
    ys: list[float]
    markers: bool
    legend: bool
    dash: str = ""


def label_colors(panels: Sequence[tuple[str, Sequence[Series]]]) -> dict[str, str]:
    """One colour per legend label, in order of first appearance over all the panels."""
    colors: dict[str, str] = {}
    for _, series in panels:
        for line in series:
            if not line.color:  # an earlier run's line brings its own
                colors.setdefault(line.label, PALETTE[len(colors) % len(PALETTE)])
    return colors


def panel_lines(
    history: Sequence[dict[str, float]],
    panels: Sequence[tuple[str, Sequence[Series]]],
    x_key: str,
    max_points: int,
    colors: dict[str, str] | None = None,
) -> list[list[PanelLine]]:
    """Each panel's lines: per-batch series averaged into at most ``max_points``; one colour
    per legend label, the same in every panel (``colors``: labels already given theirs)."""
    colors = dict(colors or {})
    ghosts: dict[str, str] = {}  # earlier runs' lines: their own colours, no palette's turn
    result = []
    for _, series in panels:
        lines = []
        for line in series:
            source = history if line.records is None else line.records
            points = [r for r in source if line.key in r and x_key in r]
            xs = [float(r[x_key]) for r in points]
            ys = [float(r[line.key]) for r in points]
            if not line.evaluation:
                xs, ys = bucket_means(xs, ys, max_points)
            first = line.label not in colors and line.label not in ghosts
            if line.color:
                color = ghosts.setdefault(line.label, line.color)
            else:
                color = colors.setdefault(line.label, PALETTE[len(colors) % len(PALETTE)])
            markers = line.evaluation and len(xs) < 60 and not line.dash
            lines.append(
                PanelLine(line.label, color, list(xs), list(ys), markers, first, line.dash)
            )
        result.append(lines)
    return result


def panels_figure(
    history: Sequence[dict[str, float]],
    panels: Sequence[tuple[str, Sequence[Series]]],
    *,
    columns: int = 3,
    x_key: str = "step",
    max_points: int = 300,
    panel_height: int = 260,
    reference_lines: dict[int, float] | None = None,
    horizontal_spacing: float = 0.06,
    placeholders: dict[int, str] | None = None,
) -> PreparedFigure:
    """Several small charts of a run's history in one figure (one chart to send and draw).

    ``panels`` are (title, series) pairs; ``reference_lines`` maps a panel's index to a
    horizontal dashed line (e.g. 0.5 for D's output in a balanced game); ``placeholders`` maps
    a panel's index to a sentence shown in it while it has no points yet.
    """
    rows = math.ceil(len(panels) / columns)
    vertical_spacing = 0.16 if rows > 1 else 0.1
    width = (1 - horizontal_spacing * (columns - 1)) / columns
    height = (1 - vertical_spacing * (rows - 1)) / rows
    data, annotations, shapes = [], [], []
    layout: dict = {
        "height": panel_height * rows + 80,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "legend": {"orientation": "h", "y": -0.08},
        "font": {"size": 14},
    }
    all_lines = panel_lines(history, panels, x_key, max_points)
    for index, ((title, _), lines) in enumerate(zip(panels, all_lines, strict=True)):
        row, column = divmod(index, columns)
        suffix = "" if index == 0 else str(index + 1)
        left = column * (width + horizontal_spacing)
        top = 1 - row * (height + vertical_spacing)
        layout[f"xaxis{suffix}"] = {"domain": [left, left + width], "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {"domain": [top - height, top], "anchor": f"x{suffix}"}
        annotations.append(
            {
                "text": title,
                "x": left + width / 2,
                "y": top,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "center",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 16},
            }
        )
        for line in lines:
            data.append(
                {
                    "type": "scatter",
                    "x": line.xs,
                    "y": line.ys,
                    "mode": "lines+markers" if line.markers else "lines",
                    "name": line.label,
                    "legendgroup": line.label,
                    "showlegend": line.legend,
                    "line": {
                        "color": line.color,
                        "width": 2,
                        "dash": "dash" if line.dash else "solid",
                    },
                    "marker": {"size": 5},
                    "xaxis": f"x{suffix}",
                    "yaxis": f"y{suffix}",
                }
            )
        if not any(line.xs for line in lines) and placeholders and index in placeholders:
            annotations.append(
                {
                    # wrapped: one line of it is wider than a panel of three, and spilled over
                    # the next panel
                    "text": "<br>".join(
                        textwrap.wrap(placeholders[index], 28, break_on_hyphens=False)
                    ),
                    "x": left + width / 2,
                    "y": top - height / 2,
                    "xref": "paper",
                    "yref": "paper",
                    "xanchor": "center",  # "auto" anchors it by its end in the last column
                    "yanchor": "middle",
                    "align": "center",
                    "showarrow": False,
                    "font": {"size": 14, "color": "grey"},
                }
            )
        if reference_lines and index in reference_lines:
            shapes.append(
                {
                    "type": "line",
                    "xref": f"x{suffix} domain",
                    "x0": 0,
                    "x1": 1,
                    "yref": f"y{suffix}",
                    "y0": reference_lines[index],
                    "y1": reference_lines[index],
                    "line": {"dash": "dash", "color": "grey", "width": 1},
                }
            )
    layout["annotations"] = annotations
    layout["shapes"] = shapes
    return PreparedFigure({"data": data, "layout": layout})


def _layout(figure: go.Figure, title: str, height: int = 360) -> go.Figure:
    figure.update_layout(
        title=title, height=height, margin=dict(l=10, r=10, t=40, b=10), font=dict(size=15)
    )
    return figure


def heatmap_figure(
    values: np.ndarray, *, title: str, x_title: str, y_title: str, y_labels: Sequence | None = None
) -> go.Figure:
    """A heatmap of a 2-D array (e.g. P(h | v), rows = images, columns = hidden units)."""
    figure = go.Figure(
        go.Heatmap(
            z=np.asarray(values),
            colorscale="Viridis",
            y=[str(label) for label in y_labels] if y_labels is not None else None,
        )
    )
    figure.update_xaxes(title=x_title)
    figure.update_yaxes(title=y_title, autorange="reversed")
    return _layout(figure, title)


def scatter_figure(points: np.ndarray, labels: np.ndarray, *, title: str) -> go.Figure:
    """2-D points coloured by their class label, one trace per class."""
    points, labels = np.asarray(points), np.asarray(labels)
    figure = go.Figure()
    for label in np.unique(labels):
        chosen = points[labels == label]
        figure.add_trace(
            go.Scatter(
                x=chosen[:, 0], y=chosen[:, 1], mode="markers", name=str(label), marker=dict(size=6)
            )
        )
    return _layout(figure, title, height=460)


def histogram_figure(groups: dict[str, np.ndarray], *, title: str, x_title: str) -> PreparedFigure:
    """Overlaid histograms, one per named group of values."""
    data = [
        {
            "type": "histogram",
            "x": [float(v) for v in np.asarray(values).ravel()],
            "name": name,
            "opacity": 0.6,
            "nbinsx": 50,
        }
        for name, values in groups.items()
    ]
    layout = {
        "title": {"text": title},
        "height": 360,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "font": {"size": 15},
        "barmode": "overlay",
        "xaxis": {"title": {"text": x_title}},
    }
    return PreparedFigure({"data": data, "layout": layout})


def bars_figure(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    x_title: str,
    y_title: str,
    reference: float | None = None,
) -> PreparedFigure:
    """A bar chart (e.g. the share of samples per digit), with a dashed reference level."""
    layout: dict = {
        "title": {"text": title},
        "height": 360,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "font": {"size": 15},
        "yaxis": {"title": {"text": y_title}},
        "xaxis": {"title": {"text": x_title}},
    }
    if reference is not None:
        layout["shapes"] = [
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": reference,
                "y1": reference,
                "line": {"dash": "dash", "color": "grey"},
            }
        ]
    return PreparedFigure(
        {"data": [{"type": "bar", "x": list(labels), "y": list(values)}], "layout": layout}
    )
