"""A drawing or a photo made MNIST-like (core/data/drawn.py): centred and sized as MNIST's own
digits, whatever its polarity, size or place; MNIST's digits come back as themselves; a blank
canvas says "draw something first"; hostile arrays and bytes give a sentence, fuzzed."""

from __future__ import annotations

import io
import struct
import time
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from core.data.datasets import binarize, load_dataset
from core.data.drawn import binarized, image_from_bytes, mnist_like

FUZZ = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


def seven(size: tuple[int, int], box: tuple[int, int, int, int], ink: int, paper: int):
    """A "7" drawn with a thick pen inside ``box`` (left, top, right, bottom) of a greyscale
    page of ``size`` (width, height)."""
    page = Image.new("L", size, paper)
    draw = ImageDraw.Draw(page)
    left, top, right, bottom = box
    pen = max(2, (right - left) // 8)
    draw.line([(left, top), (right, top), (left + (right - left) // 3, bottom)], ink, pen)
    return np.asarray(page)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(image.shape)
    return float((image * rows).sum() / image.sum()), float((image * cols).sum() / image.sum())


def longer_side(image: np.ndarray, floor: float = 0.0) -> int:
    rows = np.flatnonzero((image > floor).any(axis=1))
    cols = np.flatnonzero((image > floor).any(axis=0))
    return int(max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1))


def png(array: np.ndarray, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG", **options)
    return buffer.getvalue()


def test_a_dark_on_light_off_centre_oversized_digit_comes_out_as_mnist_would_have_it():
    # dark ink on grey-white paper, 600×900, in the top right corner, 300 pixels tall
    page = seven((900, 600), (560, 20, 860, 320), ink=40, paper=225)
    digit = mnist_like(page)
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    assert digit.min() >= 0 and digit.max() <= 1 and digit.max() > 0.9
    assert longer_side(digit) == 20
    row, col = centre_of_mass(digit)
    assert abs(row - 14) <= 1 and abs(col - 14) <= 1
    # the same digit light on dark, and as an RGB photo, comes out the same
    np.testing.assert_allclose(mnist_like(255 - page), digit, atol=1e-5)
    np.testing.assert_allclose(mnist_like(np.stack([page] * 3, axis=2)), digit, atol=1e-3)


def test_a_canvas_gives_its_ink_by_alpha_whatever_the_pen_colour():
    shape = seven((400, 400), (80, 60, 280, 300), ink=255, paper=0)
    for colour in (0, 255):  # black or white pen on a transparent canvas
        canvas = np.zeros((400, 400, 4), dtype=np.uint8)
        canvas[..., :3] = colour
        canvas[..., 3] = shape
        np.testing.assert_allclose(mnist_like(canvas), mnist_like(shape), atol=1e-5)


def test_mnist_digits_come_back_nearly_themselves():
    images = load_dataset("mnist-5k").images[:40].reshape(-1, 28, 28)
    errors = [np.abs(mnist_like(image) - image).mean() for image in images]
    assert np.median(errors) < 1e-3 and max(errors) < 0.1
    same = [np.array_equal(binarized(mnist_like(image)), binarize(image)) for image in images]
    assert np.mean(same) >= 0.9


@pytest.mark.parametrize(
    "blank",
    [
        np.zeros((280, 280, 4), dtype=np.uint8),  # an untouched transparent canvas
        np.full((280, 280, 4), 255, dtype=np.uint8),  # an opaque white one
        np.full((50, 60), 0.4, dtype=np.float32),  # grey paper
        np.zeros((1, 1), dtype=bool),
    ],
)
def test_a_blank_image_says_draw_something_first(blank):
    with pytest.raises(ValueError, match="Draw something first"):
        mnist_like(blank)


@pytest.mark.parametrize(
    ("image", "match"),
    [
        (np.zeros((3, 3, 3, 3), dtype=np.uint8), "greyscale"),
        (np.zeros((8, 8, 5), dtype=np.uint8), "channels"),
        (np.zeros((0, 8), dtype=np.uint8), "per side"),
        (np.broadcast_to(np.uint8(0), (100_000, 100_000)), "per side"),  # a view: no memory
        (np.full((8, 8), np.nan, dtype=np.float32), "finite"),
        (np.full((8, 8), 2.0), "in \\[0, 1\\]"),
        (np.zeros((8, 8), dtype=np.int64), "uint8, bool or float"),
        ([[0, 1], [1, 0]], "numpy array"),
    ],
)
def test_a_malformed_array_is_refused_with_a_sentence(image, match):
    with pytest.raises(ValueError, match=match):
        mnist_like(image)


def test_a_large_photo_is_worked_on_at_a_bounded_size():
    photo = np.full((4096, 4096, 4), 255, dtype=np.uint8)
    photo[1200:2800, 1500:2600, :3] = 0  # a dark block on white, opaque
    started = time.perf_counter()
    digit = mnist_like(photo)
    assert time.perf_counter() - started < 3
    assert longer_side(digit) == 20


def test_uploads_decode_to_greyscale():
    page = seven((300, 200), (100, 20, 220, 180), ink=30, paper=240)
    np.testing.assert_array_equal(image_from_bytes(png(page)), page)
    rgb = png(np.stack([page] * 3, axis=2))
    np.testing.assert_array_equal(image_from_bytes(rgb), page)
    jpeg = io.BytesIO()
    Image.fromarray(page).save(jpeg, "JPEG", quality=95)
    assert np.abs(image_from_bytes(jpeg.getvalue()).astype(int) - page).mean() < 3
    # 16-bit grey comes down to 8 bits
    deep = png(page.astype(np.uint16) * 257)
    np.testing.assert_array_equal(image_from_bytes(deep), page)
    # dark ink on a transparent background shows on light paper, light ink on dark
    for ink in (0, 255):
        rgba = np.zeros((200, 300, 4), dtype=np.uint8)
        rgba[..., :3] = ink
        rgba[..., 3] = 255 - page
        grey = image_from_bytes(png(rgba))
        np.testing.assert_allclose(mnist_like(grey), mnist_like(page), atol=0.02)


def test_a_large_upload_comes_back_averaged_down():
    big = np.zeros((3000, 1200), dtype=np.uint8)
    big[500:2500, 300:900] = 255
    grey = image_from_bytes(png(big, compress_level=1))
    assert grey.shape == (1000, 400)


def png_header(width: int, height: int) -> bytes:
    """A PNG signature and a valid IHDR chunk claiming ``width`` × ``height`` (8-bit grey),
    and a tiny IDAT: the size an attacker claims without sending the pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "empty"),
        (b"this is not an image at all", "not a PNG or JPEG"),
        (png_header(100_000, 100_000), "claims more pixels"),  # Pillow's bomb check
        (png_header(10_000, 3000), "claims 10,000×3,000"),  # under it, over ours
        (png_header(5000, 10), "claims 5,000×10"),
        (png_header(64, 64), "damaged or cut short"),  # far too few pixels behind the header
        (png(np.zeros((40, 40), np.uint8))[:-30], "damaged or cut short"),
        ("a string", "must be bytes"),
    ],
)
def test_hostile_uploads_are_refused_with_a_sentence(data, match):
    with pytest.raises(ValueError, match=match):
        image_from_bytes(data)


def test_an_upload_over_the_byte_limit_is_refused_before_it_is_read():
    with pytest.raises(ValueError, match="at most"):
        image_from_bytes(png(np.zeros((40, 40), np.uint8)), max_bytes=50)
    gif = io.BytesIO()
    Image.new("L", (8, 8)).save(gif, "GIF")
    with pytest.raises(ValueError, match="not a PNG or JPEG"):
        image_from_bytes(gif.getvalue())


def _answer(data: bytes) -> None:
    """image_from_bytes' contract: a greyscale uint8 array within the caps, or a ValueError."""
    try:
        grey = image_from_bytes(data)
    except ValueError as error:
        assert str(error).endswith(".")
        return
    assert grey.dtype == np.uint8 and grey.ndim == 2 and max(grey.shape) <= 1024


GENUINE = [
    png(seven((60, 40), (10, 5, 40, 35), 0, 255)),
    png(np.zeros((30, 30, 4), dtype=np.uint8)),
]


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_are_refused_or_read(data):
    _answer(data)


@FUZZ
@given(
    st.sampled_from(GENUINE),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6),
    st.integers(0, 10_000),
)
def test_damaged_images_are_refused_or_read(genuine, flips, cut):
    data = bytearray(genuine)
    for position, value in flips:
        data[position % len(data)] = value
    _answer(bytes(data[: max(1, len(data) - cut % len(data))]))


def test_binarized_is_what_the_rbm_sees():
    image = np.linspace(0, 1, 784, dtype=np.float32).reshape(28, 28)
    np.testing.assert_array_equal(binarized(image), binarize(image))
    assert set(np.unique(binarized(image))) == {0.0, 1.0}
    with pytest.raises(ValueError, match="28×28"):
        binarized(np.zeros(64))
