"""SVG pictures for a model small enough to see whole: rows of tiny binary images with their
probabilities, heatmaps of small matrices, and the free energy of every visible state."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.pictures.svg import _escape, _svg_start, _tick_text, nice_ticks

INK, PAPER = "#1f2a44", "#ffffff"


def _grey(value: float) -> str:
    """A grey from white (0) to the ink colour (1)."""
    value = min(1.0, max(0.0, float(value)))
    ink = (0x1F, 0x2A, 0x44)
    r, g, b = (round(255 - (255 - c) * value) for c in ink)
    return f"#{r:02x}{g:02x}{b:02x}"


def image_rows_svg(
    rows: Sequence[tuple[str, np.ndarray, Sequence[str]]],
    shape: tuple[int, int],
    *,
    title: str = "",
    cell: int = 9,
    width: int = 0,
) -> str:
    """Labelled rows of tiny images (values in [0, 1], one image per row of the array), each
    with a caption under it: e.g. the data's and the model's most probable states. ``width``:
    at least this many pixels (else as wide as the images need)."""
    n_rows, n_cols = shape
    label_w, gap = (92 if any(label for label, _, _ in rows) else 8), 12
    image_w, image_h = n_cols * cell, n_rows * cell
    per_row = max(len(images) for _, images, _ in rows) if rows else 0
    slot = max(image_w + gap, 46)
    width = max(width, int(label_w + per_row * slot + 8))
    top = 34 if title else 8
    row_h = image_h + 30
    height = top + len(rows) * row_h + 4
    out = _svg_start(width, height, title)
    for index, (label, images, captions) in enumerate(rows):
        y0 = top + index * row_h
        out.append(
            f'<text x="4" y="{y0 + image_h / 2 + 5:.0f}" font-size="14">{_escape(label)}</text>'
        )
        for position, (image, caption) in enumerate(zip(images, captions, strict=True)):
            x0 = label_w + position * slot + (slot - gap - image_w) / 2
            out.append(
                f'<rect x="{x0 - 1:.1f}" y="{y0 - 1}" width="{image_w + 2}" '
                f'height="{image_h + 2}" fill="{PAPER}" stroke="#b8bdc7"/>'
            )
            for pixel, value in enumerate(np.asarray(image, dtype=float).ravel()):
                if value > 0.02:
                    row, column = divmod(pixel, n_cols)
                    out.append(
                        f'<rect x="{x0 + column * cell:.1f}" y="{y0 + row * cell}" '
                        f'width="{cell}" height="{cell}" fill="{_grey(value)}"/>'
                    )
            out.append(
                f'<text x="{x0 + image_w / 2:.1f}" y="{y0 + image_h + 17}" font-size="12" '
                f'text-anchor="middle">{_escape(caption)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def heatmap_svg(
    matrix: np.ndarray,
    *,
    title: str,
    row_label: str,
    column_label: str,
    symmetric: bool = True,
    cell: int = 16,
    scale: float | None = None,
) -> str:
    """A small matrix as coloured cells: blue below zero, red above (``symmetric``), or white
    to ink for values in [0, 1]. ``scale``: the value drawn at full colour (else the largest)."""
    matrix = np.asarray(matrix, dtype=float)
    n_rows, n_cols = matrix.shape
    left, top = 34, 40
    width = max(220, left + n_cols * cell + 12)
    height = top + n_rows * cell + 44
    out = _svg_start(width, height, title)
    largest = scale or float(np.abs(matrix).max()) or 1.0
    for (row, column), value in np.ndenumerate(matrix):
        if symmetric:
            strength = min(1.0, abs(value) / largest)
            tint = round(255 * (1 - strength))
            color = f"#ff{tint:02x}{tint:02x}" if value > 0 else f"#{tint:02x}{tint:02x}ff"
        else:
            color = _grey(value)
        out.append(
            f'<rect x="{left + column * cell}" y="{top + row * cell}" width="{cell}" '
            f'height="{cell}" fill="{color}" stroke="#e3e6ea" stroke-width="0.5"/>'
        )
    out.append(
        f'<text x="{left + n_cols * cell / 2:.0f}" y="{top + n_rows * cell + 20}" '
        f'text-anchor="middle" font-size="13">{_escape(column_label)}</text>'
        f'<text transform="translate(20 {top + n_rows * cell / 2:.0f}) rotate(-90)" '
        f'text-anchor="middle" font-size="13">{_escape(row_label)}</text>'
    )
    if symmetric:
        out.append(
            f'<text x="{left}" y="{height - 6}" font-size="12">blue −{largest:.2g} · white 0 · '
            f"red +{largest:.2g}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def energy_levels_svg(
    free_energy: np.ndarray,
    data_codes: np.ndarray,
    *,
    title: str,
    width: int = 560,
    height: int = 360,
    max_points: int = 400,
) -> str:
    """F(v) of every visible state, sorted from lowest (most probable) to highest, with the
    data's states marked as red dots where they sit in that order."""
    order = np.argsort(free_energy, kind="stable")
    ranks = np.empty_like(order)
    ranks[order] = np.arange(len(order))
    sorted_f = free_energy[order]
    count = len(sorted_f)
    x0, y0, plot_w, plot_h = 64.0, 40.0, width - 80.0, height - 96.0
    low, high = float(sorted_f[0]), float(sorted_f[-1])
    if high <= low:
        high = low + 1.0
    padding = (high - low) * 0.05
    low, high = low - padding, high + padding

    def px(rank: float) -> float:
        return x0 + rank / max(1, count - 1) * plot_w

    def py(value: float) -> float:
        return y0 + (high - value) / (high - low) * plot_h

    out = _svg_start(width, height, title)
    out.append(
        f'<rect x="{x0}" y="{y0}" width="{plot_w}" height="{plot_h}" fill="#f8f9fb" '
        'stroke="#d5d8de"/>'
    )
    ticks = nice_ticks(low, high, 5)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    for tick in ticks:
        if low <= tick <= high:
            out.append(
                f'<line x1="{x0}" x2="{x0 + plot_w}" y1="{py(tick):.1f}" y2="{py(tick):.1f}" '
                f'stroke="#e3e6ea"/><text x="{x0 - 8}" y="{py(tick) + 5:.1f}" '
                f'text-anchor="end">{_tick_text(tick, step)}</text>'
            )
    picks = np.unique(np.linspace(0, count - 1, min(count, max_points)).astype(int))
    path = " ".join(f"{px(r):.1f},{py(sorted_f[r]):.1f}" for r in picks)
    out.append(f'<polyline points="{path}" fill="none" stroke="#1f77b4" stroke-width="2.2"/>')
    for code in data_codes:
        rank = ranks[code]
        out.append(
            f'<circle cx="{px(rank):.1f}" cy="{py(free_energy[code]):.1f}" r="4" '
            'fill="#d62728" fill-opacity="0.8"/>'
        )
    out.append(
        f'<text x="{x0 + plot_w / 2:.0f}" y="{y0 + plot_h + 22:.0f}" text-anchor="middle">'
        f"all {count:,} states, lowest F first</text>"
        f'<circle cx="{x0 + 6}" cy="{height - 15}" r="4" fill="#d62728"/>'
        f'<text x="{x0 + 16}" y="{height - 10}">the data’s states</text>'
        f'<line x1="{x0 + 170}" x2="{x0 + 198}" y1="{height - 15}" y2="{height - 15}" '
        f'stroke="#1f77b4" stroke-width="3"/>'
        f'<text x="{x0 + 206}" y="{height - 10}">F(v) of every state</text>'
    )
    out.append("</svg>")
    return "".join(out)
