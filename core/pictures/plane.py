"""The plane of a 2-D GAN as one light SVG picture, redrawn several times a second: D(x) as a
small smoothed raster under the real points, the generated points, G's arrows on them and the
curves G makes of its noise."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from core.pictures.svg import _escape

REAL, FAKE, ARROW, MANIFOLD = "#1b7837", "#762a83", "#40004b", "#9970ab"
ARROW_SCALE = 0.02  # plane units of arrow per unit of gradient
ARROW_LONGEST = 0.3  # plane units: longer arrows are cut to this


def _xy(points: np.ndarray) -> list[str]:
    """Pixel coordinates as "x y" strings with one decimal."""
    return [f"{x:.1f} {y:.1f}" for x, y in np.round(points, 1).tolist()]


def field_png(field: np.ndarray) -> bytes:
    """D(x) as colours: green where D says real (1), purple where it says fake (0), white at ½."""
    value = np.clip(np.asarray(field, dtype=float), 0, 1)[..., None]
    white = np.array([255.0, 255.0, 255.0])
    green, purple = np.array([90.0, 174.0, 97.0]), np.array([153.0, 112.0, 171.0])
    towards = np.where(value >= 0.5, green, purple)
    strength = np.abs(value - 0.5) * 2 * 0.75
    rgb = white + (towards - white) * strength
    buffer = io.BytesIO()
    Image.fromarray(rgb.astype(np.uint8), "RGB").save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def plane_svg(
    *,
    field: np.ndarray | None = None,
    real: np.ndarray | None = None,
    fake: np.ndarray | None = None,
    arrows: np.ndarray | None = None,
    manifold: np.ndarray | None = None,
    title: str = "",
    size: int = 520,
) -> str:
    """[-1, 1]² drawn ``size`` pixels wide: whichever layers are given, bottom to top."""
    top = 30 if title else 0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size + top}" '
        f'width="{size}" height="{size + top}" font-family="Source Sans Pro, sans-serif" '
        'font-size="16" fill="#31333f"><rect width="100%" height="100%" fill="white"/>'
    ]
    if title:
        out.append(f'<text x="{size / 2}" y="21" text-anchor="middle">{_escape(title)}</text>')

    def px(points: np.ndarray) -> np.ndarray:
        return np.c_[(points[:, 0] + 1) / 2 * size, top + (1 - points[:, 1]) / 2 * size]

    if field is not None:
        encoded = base64.b64encode(field_png(field)).decode()
        out.append(
            f'<image x="0" y="{top}" width="{size}" height="{size}" preserveAspectRatio="none" '
            f'href="data:image/png;base64,{encoded}"/>'
        )
    out.append(
        f'<rect x="0.5" y="{top + 0.5}" width="{size - 1}" height="{size - 1}" '
        'fill="none" stroke="#b8bdc7"/>'
    )
    if manifold is not None:
        path = "".join("M" + "L".join(_xy(px(np.asarray(line)))) for line in manifold)
        out.append(
            f'<path d="{path}" fill="none" stroke="{MANIFOLD}" stroke-width="1" '
            'stroke-opacity="0.6"/>'
        )
    for points, color in ((real, REAL), (fake, FAKE)):
        if points is not None and len(points):  # one path of round dots: light to send and draw
            dots = "h0M".join(_xy(px(points)))
            out.append(
                f'<path d="M{dots}h0" stroke="{color}" stroke-width="4.4" stroke-linecap="round"/>'
            )
    if fake is not None and arrows is not None and len(fake):
        arrows = np.asarray(arrows, dtype=float) * ARROW_SCALE
        lengths = np.linalg.norm(arrows, axis=1, keepdims=True)
        arrows = arrows * np.minimum(1.0, ARROW_LONGEST / np.maximum(lengths, 1e-12))
        visible = lengths[:, 0] * size / 2 > 0.5  # longer than half a pixel
        if visible.any():
            starts, ends = _xy(px(fake[visible])), _xy(px(fake[visible] + arrows[visible]))
            path = "".join(f"M{a}L{b}" for a, b in zip(starts, ends, strict=True))
            out.append(f'<path d="{path}" stroke="{ARROW}" stroke-width="1" stroke-opacity="0.7"/>')
    out.append("</svg>")
    return "".join(out)
