"""Home's three pictures ship pre-drawn in assets/: they decode at their size, come from the
shipped checkpoints, are what drawing them again gives, and reach the page without torch."""

from __future__ import annotations

import base64
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from pages.views import showcase

SIDE = 4 * (28 + 1) + 1  # a 4×4 grid of 28×28 digits, one pixel apart and around


def pixels(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image)


@pytest.mark.parametrize("index", range(3))
def test_each_shipped_picture_decodes_at_its_size_and_names_the_current_checkpoint(index):
    path, source = showcase.PICTURES[index], showcase.SOURCES[index]
    with Image.open(path) as image:
        assert image.format == "PNG" and image.mode == "L" and image.size == (SIDE, SIDE)
        image.load()  # the whole file decodes
        stale = "stale: python -m pages.views.showcase draws it again"
        assert image.text[showcase.DRAWN_FROM] == showcase.drawn_from(source), stale
    grid = pixels(path)
    assert grid[0].min() == 255 and grid[:, 0].min() == 255  # the white frame of the grid
    assert grid.std() > 40  # digits, not a blank


def test_drawing_them_again_from_the_shipped_models_gives_the_same_pixels(tmp_path):
    """What samples() draws, on one thread (a few seconds: a dataset read, 1,000 Gibbs steps
    of 16 chains and one batch of G)."""
    written = showcase.write_pictures(tmp_path)
    assert [path.name for path in written] == list(showcase.NAMES)
    for fresh, shipped in zip(written, showcase.PICTURES, strict=True):
        assert np.array_equal(pixels(fresh), pixels(shipped)), shipped.name


def test_home_reads_its_pictures_without_torch():
    """A cold server's first Home: three small files, no model, no torch."""
    code = (
        "import sys; from pages.views.showcase import home_pictures; "
        "pictures = home_pictures(280); "
        "assert all(p and p.startswith('<svg') for p in pictures), pictures; "
        "assert 'torch' not in sys.modules, 'torch loaded'"
    )
    root = showcase.ASSETS.parent
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=root)


def test_a_missing_picture_is_none_and_home_says_how_to_draw_it(monkeypatch, tmp_path):
    monkeypatch.setattr(showcase, "PICTURES", (tmp_path / "gone.png", *showcase.PICTURES[1:]))
    pictures = showcase.home_pictures(280)
    assert pictures[0] is None and pictures[1] is not None
    width = re.search(r'width="(\d+)"', pictures[1]).group(1)
    assert int(width) == 2 * SIDE  # enlarged pixel for pixel to about 280 px


def test_home_shows_the_three_shipped_pictures_with_their_captions():
    import streamlit as st

    st.cache_resource.clear()
    app = AppTest.from_file("../pages/navigation.py", default_timeout=30).run()
    assert not app.exception
    images = [image for element in app.get("image") for image in element.proto.imgs]
    assert [image.caption for image in images[:3]] == [
        "Real digits (mnist-5k)",
        "Dreamed by the pretrained RBM, from noise",
        "Drawn by the pretrained GAN, from noise",
    ]
    prefix = "data:image/svg+xml;base64,"
    for image, path in zip(images, showcase.PICTURES, strict=False):
        assert image.url.startswith(prefix)
        svg = base64.b64decode(image.url[len(prefix) :]).decode()
        assert base64.b64encode(path.read_bytes()).decode() in svg, path.name  # the file itself
