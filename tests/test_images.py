"""Pictures and exports built from plain arrays: grids, PNG, GIF and the picture SVG."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from core.pictures.grids import filter_grid, gif_bytes, image_grid, png_bytes, upscale
from tests.helpers import parsed_svg


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


def test_picture_svg_carries_the_png_itself_at_the_size_asked_for():
    import base64

    from core.pictures.grids import picture_svg, png_bytes

    grid = np.tile(np.linspace(0, 1, 30), (20, 1))
    root, ns = parsed_svg(picture_svg(png_bytes(grid, upscale=1), 300, 200))
    assert (root.get("width"), root.get("height")) == ("300", "200")
    image = root.find(f"{ns}image")
    assert "pixelated" in image.get("style")
    header, data = image.get("href").split(",", 1)
    assert header == "data:image/png;base64"
    decoded = Image.open(io.BytesIO(base64.b64decode(data)))
    assert decoded.size == (30, 20)  # the small PNG travels; the browser enlarges it
