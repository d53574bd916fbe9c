"""Pen strokes from the drawing pad, made pixels: the browser sends the strokes' points (a few
hundred numbers), not a picture of them, as the pen lifts; here they are checked and drawn.

The strokes come from a visitor's browser, so they are anything until checked: a list of at
most ``MAX_STROKES`` strokes and ``MAX_POINTS`` points in all, each point two finite numbers.
A stroke may run off the pad (the pen is held while it leaves): it is drawn as far as the pad
shows it, its points kept within a pad's width of the edge. Anything else is a ValueError with
a sentence.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

MAX_STROKES = 200
MAX_POINTS = 20_000
MAX_SIDE = 1024  # pad pixels per side


def checked_strokes(strokes: object, side: int) -> list[list[tuple[float, float]]]:
    """The strokes as lists of (x, y) in pad pixels, clamped to [-side, 2 side] (off the pad,
    but never so far that drawing them costs anything); ValueError for anything that is not
    a list of strokes of [x, y] pairs within the limits."""
    if not isinstance(strokes, list | tuple):
        raise ValueError("The drawing did not arrive as a list of strokes.")
    if len(strokes) > MAX_STROKES:
        raise ValueError(f"The drawing has {len(strokes):,} strokes; at most {MAX_STROKES}.")
    checked, count = [], 0
    for stroke in strokes:
        if not isinstance(stroke, list | tuple):
            raise ValueError("A stroke of the drawing is not a list of points.")
        count += len(stroke)
        if count > MAX_POINTS:
            raise ValueError(f"The drawing has over {MAX_POINTS:,} points; clear it and redraw.")
        points = []
        for point in stroke:
            if (
                not isinstance(point, list | tuple)
                or len(point) != 2
                or not all(_finite(value) for value in point)
            ):
                raise ValueError("A point of the drawing is not two finite numbers.")
            points.append(tuple(min(max(float(value), -side), 2.0 * side) for value in point))
        if points:
            checked.append(points)
    return checked


def strokes_image(strokes: object, side: int, pen: float) -> np.ndarray:
    """The strokes drawn as on the pad, round pen of width ``pen``: a (side, side) uint8
    image, ink 255 on 0 (what ``core.data.drawn.mnist_like`` takes), what lies off the pad
    cut off as the pad cuts it. ValueError for strokes that ``checked_strokes`` refuses, or a
    pad size out of range."""
    if not (isinstance(side, int) and 1 <= side <= MAX_SIDE and 0 < pen <= side):
        raise ValueError(f"A pad is 1 to {MAX_SIDE} pixels per side with a pen inside it.")
    image = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(image)
    radius = pen / 2
    for points in checked_strokes(strokes, side):
        if len(points) > 1:
            draw.line(points, fill=255, width=max(1, round(pen)), joint="curve")
        for x, y in (points[0], points[-1]):  # round caps, and a dot for a single touch
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    return np.asarray(image, dtype=np.uint8)


def _finite(value: object) -> bool:
    """A JSON number that is one (no bool, NaN, infinity, or an int too large for a float)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) <= 2**53
    return isinstance(value, float) and math.isfinite(value)
