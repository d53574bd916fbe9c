"""Pictures and charts built from plain arrays: image grids, filter grids, loss curves."""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from PIL import Image


def image_grid(
    images: np.ndarray,
    image_shape: tuple[int, int],
    *,
    columns: int | None = None,
    padding: int = 1,
    background: float = 1.0,
) -> np.ndarray:
    """Tile rows of pixels in [0, 1] into one 2-D picture, ``columns`` images wide."""
    images = np.asarray(images, dtype=np.float32)
    height, width = image_shape
    if images.ndim != 2 or images.shape[1] != height * width:
        raise ValueError(
            f"images must be rows of {height * width} pixels, got shape {images.shape}."
        )
    count = max(len(images), 1)
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    grid = np.full(
        (rows * (height + padding) + padding, columns * (width + padding) + padding),
        background,
        dtype=np.float32,
    )
    for index, pixels in enumerate(images):
        row, column = divmod(index, columns)
        top, left = padding + row * (height + padding), padding + column * (width + padding)
        grid[top : top + height, left : left + width] = np.clip(pixels.reshape(height, width), 0, 1)
    return grid


def filter_grid(weights: np.ndarray, image_shape: tuple[int, int], columns: int | None = None):
    """Rows of W as pictures, each scaled symmetrically so that 0.5 grey means zero weight."""
    weights = np.asarray(weights, dtype=np.float32)
    scale = np.abs(weights).max(axis=1, keepdims=True)
    scale[scale == 0] = 1
    return image_grid(0.5 + 0.5 * weights / scale, image_shape, columns=columns, background=0.0)


def upscale(picture: np.ndarray, target_width: int = 600) -> np.ndarray:
    """Enlarge by a whole factor (nearest neighbour) so that pixels stay crisp on a projector."""
    factor = max(1, target_width // max(picture.shape[1], 1))
    return np.kron(picture, np.ones((factor, factor), dtype=picture.dtype))


def png_bytes(picture: np.ndarray, upscale: int = 4, compress_level: int = 6) -> bytes:
    """A grey picture in [0, 1] as PNG bytes, each pixel drawn ``upscale`` times larger."""
    pixels = (np.clip(picture, 0, 1) * 255).round().astype(np.uint8)
    image = Image.fromarray(pixels)
    if upscale > 1:
        image = image.resize((image.width * upscale, image.height * upscale), Image.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=compress_level)
    return buffer.getvalue()


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
    (a few points, drawn with markers) or a per-step metric (many, averaged into buckets)."""

    key: str
    label: str
    evaluation: bool = False


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

    Building a figure through plotly's graph objects validates every property and took
    ~30–150 ms for the six-panel chart; a page that redraws it twice a second for many
    visitors cannot afford that. The spec here is assembled as plain data (the same JSON
    plotly would produce) and handed over as it is.
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
class _Line:
    label: str
    color: str
    xs: list[float]
    ys: list[float]
    markers: bool
    legend: bool


def _panel_lines(
    history: Sequence[dict[str, float]],
    panels: Sequence[tuple[str, Sequence[Series]]],
    x_key: str,
    max_points: int,
) -> list[list[_Line]]:
    """Each panel's lines: per-batch series averaged into at most ``max_points``; one colour
    per legend label, the same in every panel."""
    colors: dict[str, str] = {}
    result = []
    for _, series in panels:
        lines = []
        for line in series:
            points = [r for r in history if line.key in r]
            xs = [float(r[x_key]) for r in points]
            ys = [float(r[line.key]) for r in points]
            if not line.evaluation:
                xs, ys = bucket_means(xs, ys, max_points)
            first = line.label not in colors
            color = colors.setdefault(line.label, PALETTE[len(colors) % len(PALETTE)])
            markers = line.evaluation and len(xs) < 60
            lines.append(_Line(line.label, color, list(xs), list(ys), markers, first))
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
    all_lines = _panel_lines(history, panels, x_key, max_points)
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
                    "line": {"color": line.color, "width": 2},
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


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) covering [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high <= low:
        high = low + (abs(low) * 0.1 or 1.0)
    raw = (high - low) / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(0.0 if abs(value) < step * 1e-9 else value)
        value += step
    return ticks


def _tick_text(value: float, step: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1e5 or abs(value) < 1e-3:
        return f"{value:.1e}".replace("e+0", "e").replace("e-0", "e-")
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    if step == 2.5 * 10 ** math.floor(math.log10(step)) and step < 10:
        decimals += 1
    return f"{value:,.{decimals}f}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def panels_svg(
    history: Sequence[dict[str, float]],
    panels: Sequence[tuple[str, Sequence[Series]]],
    *,
    columns: int = 3,
    x_key: str = "step",
    max_points: int = 300,
    reference_lines: dict[int, float] | None = None,
    placeholders: dict[int, str] | None = None,
    width: int = 1500,
    panel_height: int = 250,
) -> str:
    """The same panels as :func:`panels_figure`, drawn as one static SVG picture.

    While a run trains its chart is redrawn twice a second; plotly takes the browser ~0.2 s
    of CPU per redraw of six panels, a picture a few milliseconds, which leaves the machine to
    training (and to other visitors)."""
    rows = math.ceil(len(panels) / columns)
    gap_x, title_h, axis_w, axis_h, legend_h = 36, 34, 78, 30, 44
    cell_w = (width - gap_x * (columns - 1)) / columns
    cell_h = panel_height
    height = rows * cell_h + (rows - 1) * 16 + legend_h
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
        f'width="{width}" height="{height:.0f}" font-family="Source Sans Pro, sans-serif" '
        'font-size="15" fill="#31333f">',
        f'<rect width="{width}" height="{height:.0f}" fill="white"/>',
    ]
    all_lines = _panel_lines(history, panels, x_key, max_points)
    legend: dict[str, str] = {}
    for index, ((title, _), lines) in enumerate(zip(panels, all_lines, strict=True)):
        row, column = divmod(index, columns)
        x0 = column * (cell_w + gap_x) + axis_w
        y0 = row * (cell_h + 16) + title_h
        plot_w, plot_h = cell_w - axis_w - 8, cell_h - title_h - axis_h
        out.append(
            f'<text x="{x0 + plot_w / 2:.1f}" y="{y0 - 12:.1f}" text-anchor="middle" '
            f'font-size="17">{_escape(title)}</text>'
        )
        out.append(
            f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{plot_w:.1f}" height="{plot_h:.1f}" '
            'fill="#f8f9fb" stroke="#d5d8de"/>'
        )
        xs = [x for line in lines for x in line.xs]
        ys = [y for line in lines for y in line.ys if math.isfinite(y)]
        reference = reference_lines.get(index) if reference_lines else None
        if not ys:
            if placeholders and index in placeholders:
                out.append(
                    f'<text x="{x0 + plot_w / 2:.1f}" y="{y0 + plot_h / 2:.1f}" '
                    f'text-anchor="middle" fill="grey">{_escape(placeholders[index])}</text>'
                )
            continue
        for line in lines:
            legend.setdefault(line.label, line.color)
        y_low, y_high = min(ys), max(ys)
        if reference is not None:
            y_low, y_high = min(y_low, reference), max(y_high, reference)
        padding = (y_high - y_low) * 0.05 or (abs(y_high) * 0.05 or 0.5)
        y_low, y_high = y_low - padding, y_high + padding
        x_low, x_high = min(xs), max(xs)
        if x_high <= x_low:
            x_low, x_high = x_low - 0.5, x_high + 0.5

        def px(x: float, a=x_low, b=x_high, left=x0, span=plot_w) -> float:
            return left + (x - a) / (b - a) * span

        def py(y: float, a=y_low, b=y_high, top=y0, span=plot_h) -> float:
            return top + (b - y) / (b - a) * span

        y_ticks = nice_ticks(y_low, y_high, 6)
        y_step = y_ticks[1] - y_ticks[0] if len(y_ticks) > 1 else 1.0
        for tick in y_ticks:
            if y_low <= tick <= y_high:
                y = py(tick)
                out.append(
                    f'<line x1="{x0:.1f}" x2="{x0 + plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                    'stroke="#e3e6ea"/>'
                    f'<text x="{x0 - 8:.1f}" y="{y + 5:.1f}" text-anchor="end">'
                    f"{_tick_text(tick, y_step)}</text>"
                )
        x_ticks = nice_ticks(x_low, x_high, 6)
        x_step = x_ticks[1] - x_ticks[0] if len(x_ticks) > 1 else 1.0
        for tick in x_ticks:
            if x_low <= tick <= x_high:
                out.append(
                    f'<text x="{px(tick):.1f}" y="{y0 + plot_h + 21:.1f}" text-anchor="middle">'
                    f"{_tick_text(tick, x_step)}</text>"
                )
        if reference is not None:
            y = py(reference)
            out.append(
                f'<line x1="{x0:.1f}" x2="{x0 + plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                'stroke="grey" stroke-dasharray="6 4"/>'
            )
        for line in lines:
            points = [
                (px(x), py(y)) for x, y in zip(line.xs, line.ys, strict=True) if math.isfinite(y)
            ]
            if not points:
                continue
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{line.color}" '
                'stroke-width="2.2" stroke-linejoin="round"/>'
            )
            if line.markers or len(points) == 1:
                out.extend(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{line.color}"/>'
                    for x, y in points
                )
    x = 20.0
    legend_y = height - legend_h / 2 + 5
    for label, color in legend.items():
        out.append(
            f'<line x1="{x:.1f}" x2="{x + 28:.1f}" y1="{legend_y - 5:.1f}" '
            f'y2="{legend_y - 5:.1f}" stroke="{color}" stroke-width="3"/>'
            f'<text x="{x + 36:.1f}" y="{legend_y:.1f}">{_escape(label)}</text>'
        )
        x += 36 + 8.5 * len(label) + 34
    out.append("</svg>")
    return "".join(out)


def gif_bytes(
    pictures: Sequence[np.ndarray], *, seconds_per_frame: float = 0.15, upscale_to: int = 400
) -> bytes:
    """Grey pictures in [0, 1] as an animated GIF that loops."""
    if not pictures:
        raise ValueError("an animation needs at least one picture.")
    frames = [
        Image.fromarray((np.clip(upscale(p, upscale_to), 0, 1) * 255).round().astype(np.uint8))
        for p in pictures
    ]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=int(seconds_per_frame * 1000),
        loop=0,
    )
    return buffer.getvalue()


def history_csv(history: Sequence[dict[str, float]]) -> str:
    """A run's history as CSV text, one row per step, columns in first-seen order."""
    columns: list[str] = []
    for record in history:
        columns += [key for key in record if key not in columns]
    lines = [",".join(columns)]
    for record in history:
        lines.append(
            ",".join("" if key not in record else repr(float(record[key])) for key in columns)
        )
    return "\n".join(lines) + "\n"


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


def picture_svg(png: bytes, width: int, height: int) -> str:
    """A PNG wrapped in an SVG picture that enlarges it pixel for pixel.

    Streamlit keeps every PNG a page shows as a file for the session, and a fragment's reruns
    never let go of the earlier ones (only a full rerun does): a grid redrawn twice a second
    would pile up megabytes a minute. A picture whose data travels inside the page leaves
    nothing behind."""
    import base64

    data = base64.b64encode(png).decode("ascii")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}"><image width="{width}" height="{height}" '
        f'style="image-rendering: pixelated" href="data:image/png;base64,{data}"/></svg>'
    )


def _svg_start(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="Source Sans Pro, sans-serif" '
        'font-size="15" fill="#31333f">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2:.0f}" y="24" text-anchor="middle" font-size="17">'
        f"{_escape(title)}</text>",
    ]


def _y_axis(out: list[str], x0: float, y0: float, plot_w: float, plot_h: float, top: float):
    """Grid lines and labels for a y axis from 0 to ``top``; returns the value-to-pixel map."""
    ticks = nice_ticks(0.0, top, 5)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0

    def py(y: float) -> float:
        return y0 + plot_h - y / top * plot_h

    for tick in ticks:
        if tick <= top:
            out.append(
                f'<line x1="{x0:.1f}" x2="{x0 + plot_w:.1f}" y1="{py(tick):.1f}" '
                f'y2="{py(tick):.1f}" stroke="#e3e6ea"/><text x="{x0 - 8:.1f}" '
                f'y="{py(tick) + 5:.1f}" text-anchor="end">{_tick_text(tick, step)}</text>'
            )
    return py


def histogram_svg(
    groups: dict[str, np.ndarray],
    *,
    title: str,
    x_title: str,
    value_range: tuple[float, float] = (0.0, 1.0),
    bins: int = 40,
    width: int = 440,
    height: int = 320,
) -> str:
    """Overlaid histograms (counts per bin) of named groups of values, as an SVG picture:
    the light, static counterpart of :func:`histogram_figure` for a chart redrawn often."""
    edges = np.linspace(*value_range, bins + 1)
    counts = {
        name: np.histogram(np.clip(np.asarray(values, dtype=float).ravel(), *value_range), edges)[0]
        for name, values in groups.items()
    }
    top = max([1.0] + [float(c.max()) for c in counts.values() if c.size]) * 1.05
    x0, y0, plot_w, plot_h = 60.0, 40.0, width - 76.0, height - 120.0
    out = _svg_start(width, height, title)
    out.append(
        f'<rect x="{x0}" y="{y0}" width="{plot_w}" height="{plot_h}" fill="#f8f9fb" '
        'stroke="#d5d8de"/>'
    )
    py = _y_axis(out, x0, y0, plot_w, plot_h, top)
    low, high = value_range

    def px(x: float) -> float:
        return x0 + (x - low) / (high - low) * plot_w

    for count, color in zip(counts.values(), PALETTE, strict=False):
        for left, right, c in zip(edges[:-1], edges[1:], count, strict=True):
            if c:
                out.append(
                    f'<rect x="{px(left):.1f}" y="{py(c):.1f}" width="{px(right) - px(left):.1f}"'
                    f' height="{y0 + plot_h - py(c):.1f}" fill="{color}" fill-opacity="0.55"/>'
                )
    ticks = nice_ticks(low, high, 6)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    for tick in ticks:
        out.append(
            f'<text x="{px(tick):.1f}" y="{y0 + plot_h + 20:.1f}" text-anchor="middle">'
            f"{_tick_text(tick, step)}</text>"
        )
    out.append(
        f'<text x="{x0 + plot_w / 2:.1f}" y="{y0 + plot_h + 42:.1f}" text-anchor="middle">'
        f"{_escape(x_title)}</text>"
    )
    x = x0
    for name, color in zip(counts, PALETTE, strict=False):
        out.append(
            f'<rect x="{x:.1f}" y="{height - 24}" width="16" height="12" fill="{color}" '
            f'fill-opacity="0.55"/><text x="{x + 22:.1f}" y="{height - 13}">{_escape(name)}</text>'
        )
        x += 22 + 8.5 * len(name) + 24
    out.append("</svg>")
    return "".join(out)


def bars_svg(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    x_title: str,
    y_title: str,
    reference: float | None = None,
    width: int = 440,
    height: int = 320,
) -> str:
    """A bar chart as an SVG picture, with an optional dashed reference level."""
    values = [float(v) for v in values]
    top = max([reference or 0.0, 1e-9] + values) * 1.1
    x0, y0, plot_w, plot_h = 64.0, 40.0, width - 80.0, height - 100.0
    out = _svg_start(width, height, title)
    out.append(
        f'<rect x="{x0}" y="{y0}" width="{plot_w}" height="{plot_h}" fill="#f8f9fb" '
        'stroke="#d5d8de"/>'
    )
    py = _y_axis(out, x0, y0, plot_w, plot_h, top)
    slot = plot_w / max(1, len(values))
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        left = x0 + index * slot + slot * 0.15
        out.append(
            f'<rect x="{left:.1f}" y="{py(value):.1f}" width="{slot * 0.7:.1f}" '
            f'height="{y0 + plot_h - py(value):.1f}" fill="{PALETTE[0]}"/>'
            f'<text x="{left + slot * 0.35:.1f}" y="{y0 + plot_h + 20:.1f}" '
            f'text-anchor="middle">{_escape(label)}</text>'
        )
    if reference is not None:
        out.append(
            f'<line x1="{x0}" x2="{x0 + plot_w}" y1="{py(reference):.1f}" '
            f'y2="{py(reference):.1f}" stroke="grey" stroke-dasharray="6 4"/>'
        )
    out.append(
        f'<text x="{x0 + plot_w / 2:.1f}" y="{height - 14}" text-anchor="middle">'
        f"{_escape(x_title)}</text>"
        f'<text transform="translate(16 {y0 + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{_escape(y_title)}</text>'
    )
    out.append("</svg>")
    return "".join(out)
