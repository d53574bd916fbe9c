"""Static SVG charts, drawn on the server while a run trains: the browser only shows a
picture, where a plotly chart makes it lay out and draw every trace again at every refresh."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

import numpy as np

from core.pictures.charts import PALETTE, Series, label_colors, panel_lines


def nice_ticks(low: float, high: float, count: int = 5, whole: bool = False) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) covering [low, high]; with
    ``whole``, whole numbers only (an axis of steps has no step 6,849.6)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high <= low:
        high = low + (abs(low) * 0.1 or 1.0)
    raw = (high - low) / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if whole:
        step = 1.0 if step < 1 else (2.0 if step == 2.5 else step)  # 2.5 would give x.5
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
    if float(value).is_integer() and (abs(value) >= 1e5 or step >= 1e4):  # 250k, 1.5M
        return f"{value / 1e6:g}M" if abs(value) >= 1e6 else f"{value / 1e3:g}k"
    if abs(value) >= 1e5 or abs(value) < 1e-3:
        return f"{value:.1e}".replace("e+0", "e").replace("e-0", "e-")
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    if step == 2.5 * 10 ** math.floor(math.log10(step)) and step < 10:
        decimals += 1
    return f"{value:,.{decimals}f}"


def log_ticks(low: float, high: float) -> list[float]:
    """Tick values for a log axis from 10**low to 10**high: the powers of ten, with 2 and 5
    times them where fewer than three decades show, or round values where no decade does."""
    decades = range(math.floor(low), math.ceil(high) + 1)
    factors = (1,) if high - low > 3 else (1, 2, 5)
    ticks = [f * 10.0**d for d in decades for f in factors]
    ticks = [t for t in ticks if low - 1e-9 <= math.log10(t) <= high + 1e-9]
    return ticks if len(ticks) >= 2 else [t for t in nice_ticks(10**low, 10**high, 4) if t > 0]


def text_width(text: str, size: float = 15.0) -> float:
    """At most about how wide a label of digits is at ``size`` pixels: 0.56 of the size a
    character (a digit's width in the browsers' sans fonts; a comma is narrower)."""
    return 0.56 * size * len(text)


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
    colors: dict[str, str] | None = None,
    log_panels: Collection[int] = (),
) -> str:
    """The same panels as :func:`panels_figure`, drawn as one static SVG picture; the panels
    in ``log_panels`` on a log y axis (their values ≤ 0 left out, and the panel says how many).

    While a run trains its chart is redrawn twice a second; a picture costs the browser far
    less CPU per redraw than plotly's six panels do, which leaves the machine to training (and
    to other visitors; docs/performance.md has the figures)."""
    rows = math.ceil(len(panels) / columns)
    gap_x, title_h, axis_w, axis_h = 36, 34, (78 if columns > 1 else 62), 30
    cell_w = (width - gap_x * (columns - 1)) / columns
    cell_h = panel_height
    all_lines = panel_lines(history, panels, x_key, max_points, colors)
    legend: dict[str, str] = {
        line.label: line.color for lines in all_lines for line in lines if line.ys
    }
    dashes: dict[str, str] = {}  # a legend entry dashed as the label's first line
    for line in (line for lines in all_lines for line in lines if line.dash):
        dashes.setdefault(line.label, line.dash)
    legend_rows = _legend_rows(list(legend), width - 10)
    legend_h = 14 + 26 * len(legend_rows) if legend else 10
    height = rows * cell_h + (rows - 1) * 16 + legend_h
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
        f'width="{width}" height="{height:.0f}" font-family="Source Sans Pro, sans-serif" '
        'font-size="15" fill="#31333f">',
        f'<rect width="{width}" height="{height:.0f}" fill="white"/>',
    ]
    for index, ((title, _), lines) in enumerate(zip(panels, all_lines, strict=True)):
        row, column = divmod(index, columns)
        x0 = column * (cell_w + gap_x) + axis_w
        y0 = row * (cell_h + 16) + title_h
        plot_w, plot_h = cell_w - axis_w - 8, cell_h - title_h - axis_h
        # the title is centred over the plot: its room is twice the nearer distance to an edge
        centre, left = x0 + plot_w / 2, column * (cell_w + gap_x)
        room = 2 * min(centre - left, left + cell_w - centre) - 8
        out.append(
            f'<text x="{x0 + plot_w / 2:.1f}" y="{y0 - 12:.1f}" text-anchor="middle" '
            f'font-size="{fitted_size(title, room):.1f}">{_escape(title)}</text>'
        )
        out.append(
            f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{plot_w:.1f}" height="{plot_h:.1f}" '
            'fill="#f8f9fb" stroke="#d5d8de"/>'
        )
        xs = [x for line in lines for x in line.xs]
        ys = [y for line in lines for y in line.ys if math.isfinite(y)]
        reference = reference_lines.get(index) if reference_lines else None
        log = index in log_panels
        if log:  # a log axis has no place for 0 or below: those values are left out, and said
            left_out = sum(y <= 0 for y in ys)
            ys = [y for y in ys if y > 0]
            reference = reference if reference is not None and reference > 0 else None
            if left_out:
                placeholders = {**(placeholders or {}), index: "Nothing above 0 for a log scale"}
        if not ys:
            if placeholders and index in placeholders:
                out.append(
                    f'<text x="{x0 + plot_w / 2:.1f}" y="{y0 + plot_h / 2:.1f}" '
                    f'text-anchor="middle" fill="grey" '
                    f'font-size="{fitted_size(placeholders[index], plot_w - 8, 15):.1f}">'
                    f"{_escape(placeholders[index])}</text>"
                )
            continue
        scale = math.log10 if log else float  # where a value sits on the y axis
        y_low, y_high = scale(min(ys)), scale(max(ys))
        if reference is not None:
            y_low, y_high = min(y_low, scale(reference)), max(y_high, scale(reference))
        padding = (y_high - y_low) * 0.05 or (abs(y_high) * 0.05 or 0.5)
        y_low, y_high = y_low - padding, y_high + padding
        x_low, x_high = min(xs), max(xs)
        if x_high <= x_low:
            x_low, x_high = x_low - 0.5, x_high + 0.5

        def px(x: float, a=x_low, b=x_high, left=x0, span=plot_w) -> float:
            return left + (x - a) / (b - a) * span

        def py(y: float, a=y_low, b=y_high, top=y0, span=plot_h, scale=scale) -> float:
            return top + (b - scale(y)) / (b - a) * span

        if log:
            y_ticks = log_ticks(y_low, y_high)
            out.append(  # the plot says its scale, for whoever reads the picture's source
                f'<rect data-scale="log" x="{x0:.1f}" y="{y0:.1f}" width="{plot_w:.1f}" '
                f'height="{plot_h:.1f}" fill="none"/>'
            )
        else:
            y_ticks = nice_ticks(y_low, y_high, 6)
        y_step = y_ticks[1] - y_ticks[0] if len(y_ticks) > 1 else 1.0
        if log and len(y_ticks) > 2 and not math.isclose(y_ticks[2] - y_ticks[1], y_step):
            y_step = 0.0  # decades (and 2, 5 times them): each label as precise as itself
        for tick in y_ticks:
            if y_low <= scale(tick) <= y_high:
                y = py(tick)
                out.append(
                    f'<line x1="{x0:.1f}" x2="{x0 + plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                    'stroke="#e3e6ea"/>'
                    f'<text x="{x0 - 8:.1f}" y="{y + 5:.1f}" text-anchor="end">'
                    f"{_tick_text(tick, y_step or tick)}</text>"
                )
        if log and left_out:
            out.append(
                f'<text data-note="left out" x="{x0 + 6:.1f}" y="{y0 + 16:.1f}" fill="grey" '
                f'font-size="12">{left_out} value{"s" if left_out > 1 else ""} ≤ 0 left '
                "out (log scale)</text>"
            )
        whole = x_key == "step" or all(float(x).is_integer() for x in xs)
        x_ticks = nice_ticks(x_low, x_high, 6, whole=whole)
        x_step = x_ticks[1] - x_ticks[0] if len(x_ticks) > 1 else 1.0
        right = column * (cell_w + gap_x) + cell_w - 2  # the panel's right edge
        for tick in x_ticks:
            if x_low <= tick <= x_high:
                # centred under its tick, unless that would cut it at the panel's right edge:
                # then it ends there (the last label read "1,00" at a laptop's width)
                label, x = _tick_text(tick, x_step), px(tick)
                anchor = "middle"
                if x + text_width(label) / 2 > right:
                    anchor, x = "end", right
                out.append(
                    f'<text x="{x:.1f}" y="{y0 + plot_h + 21:.1f}" text-anchor="{anchor}">'
                    f"{label}</text>"
                )
        if reference is not None:
            y = py(reference)
            out.append(
                f'<line x1="{x0:.1f}" x2="{x0 + plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                'stroke="grey" stroke-dasharray="6 4"/>'
            )
        for line in lines:
            values = [y for y in line.ys if math.isfinite(y) and (y > 0 or not log)]
            points = [
                (px(x), py(y))
                for x, y in zip(line.xs, line.ys, strict=True)
                if math.isfinite(y) and (y > 0 or not log)
            ]
            if not points:
                continue
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            label = _escape(line.label).replace('"', "&quot;")
            dash = f' stroke-dasharray="{line.dash}" data-ghost="1"' if line.dash else ""
            out.append(  # an earlier run's line (dashed) a little thinner than today's
                f'<polyline data-label="{label}" points="{path}" fill="none" '
                f'stroke="{line.color}" stroke-width="{1.8 if dash else 2.2}" '
                f'stroke-linejoin="round"{dash}/>'
            )
            if line.markers or len(points) == 1:
                # a marked point carries its value, for whoever reads the picture's source
                out.extend(
                    f'<circle data-label="{label}" data-value="{value:.6g}" cx="{x:.1f}" '
                    f'cy="{y:.1f}" r="3.5" fill="{line.color}"/>'
                    for (x, y), value in zip(points, values, strict=True)
                )
    for row_index, row in enumerate(legend_rows if legend else []):
        legend_y = height - legend_h + 26 * row_index + 24
        for label, x in row:
            dash = f' stroke-dasharray="{dashes[label]}"' if label in dashes else ""
            out.append(
                f'<line x1="{x:.1f}" x2="{x + 28:.1f}" y1="{legend_y - 5:.1f}" '
                f'y2="{legend_y - 5:.1f}" stroke="{legend[label]}" stroke-width="3"{dash}/>'
                f'<text x="{x + 36:.1f}" y="{legend_y:.1f}">{_escape(label)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def fitted_size(text: str, room: float, size: float = 17.0, smallest: float = 11.0) -> float:
    """The font size (at most ``size``) at which ``text`` fits ``room`` pixels: a title is made
    smaller rather than cut (a character of Source Sans averages about half the font size)."""
    return max(smallest, min(size, room / (0.53 * max(1, len(text)))))


def _legend_rows(labels: Sequence[str], room: float) -> list[list[tuple[str, float]]]:
    """Legend entries (label, x) placed in rows of at most ``room`` pixels."""
    rows: list[list[tuple[str, float]]] = [[]]
    x = 20.0
    for label in labels:
        entry = 36 + 8.0 * len(label) + 26
        if rows[-1] and x + entry > room:
            rows.append([])
            x = 20.0
        rows[-1].append((label, x))
        x += entry
    return rows


def panel_pictures(
    history: Sequence[dict[str, float]],
    panels: Sequence[tuple[str, Sequence[Series]]],
    *,
    reference_lines: dict[int, float] | None = None,
    placeholders: dict[int, str] | None = None,
    width: int = 340,
    panel_height: int = 230,
    log_panels: Collection[int] = (),
    **options,
) -> list[str]:
    """Each panel as an SVG picture of its own, with its own legend: laid out in columns they
    stack on a phone, each at a readable size, where one wide picture would shrink. The
    panels in ``log_panels`` have a log y axis."""
    colors = label_colors(panels)
    return [
        panels_svg(
            history,
            [panel],
            columns=1,
            reference_lines={0: reference_lines[i]}
            if reference_lines and i in reference_lines
            else None,
            placeholders={0: placeholders[i]} if placeholders and i in placeholders else None,
            width=width,
            panel_height=panel_height,
            colors=colors,
            log_panels=(0,) if i in log_panels else (),
            **options,
        )
        for i, panel in enumerate(panels)
    ]


def _svg_start(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="Source Sans Pro, sans-serif" '
        'font-size="15" fill="#31333f">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2:.0f}" y="24" text-anchor="middle" '
        f'font-size="{fitted_size(title, width - 16):.1f}">{_escape(title)}</text>',
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
    markers: dict[str, float] | None = None,
) -> str:
    """Overlaid histograms (counts per bin) of named groups of values, as an SVG picture:
    the light, static counterpart of :func:`histogram_figure` for a chart redrawn often.
    ``markers`` are single values drawn as labelled vertical lines (your digit among them)."""
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
    for label, value in (markers or {}).items():
        x = px(float(np.clip(value, low, high)))
        anchor = "end" if x > x0 + plot_w / 2 else "start"
        shift = -5 if anchor == "end" else 5
        out.append(
            f'<line x1="{x:.1f}" y1="{y0:.1f}" x2="{x:.1f}" y2="{y0 + plot_h:.1f}" '
            'stroke="#111" stroke-width="2.5" stroke-dasharray="6 3"/>'
            f'<text x="{x + shift:.1f}" y="{y0 + 16:.1f}" text-anchor="{anchor}" '
            f'font-weight="bold">{_escape(label)}</text>'
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
            f'<rect data-label="{_escape(label)}" data-value="{value:.6g}" '
            f'x="{left:.1f}" y="{py(value):.1f}" width="{slot * 0.7:.1f}" '
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
