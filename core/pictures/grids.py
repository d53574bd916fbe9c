"""Pictures from plain arrays, and the files a page offers: image and filter grids, PNG, GIF
and CSV exports, and a PNG wrapped in an SVG for the live view."""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence

import numpy as np
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


def picture_svg(png: bytes, width: int, height: int) -> str:
    """A PNG wrapped in an SVG picture that enlarges it pixel for pixel.

    Streamlit keeps every PNG a page shows as a file for the session, and a fragment's reruns
    never let go of the earlier ones (only a full rerun does): a grid redrawn twice a second
    would pile up megabytes a minute. A picture whose data travels inside the page leaves
    nothing behind."""
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}"><image width="{width}" height="{height}" '
        f'style="image-rendering: pixelated" href="data:image/png;base64,{data}"/></svg>'
    )
