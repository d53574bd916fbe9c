"""Your own images as a dataset (core.data.own_images): zips of PNG and JPEG images and .npy /
.npz arrays become 28×28 images with ink = 1; every bad upload (not a zip, a zip bomb, nested
archives, non-images, wrong array shapes, NaN, pickles, lying headers) is a ValueError with a
sentence, refused before its claims are allocated, fuzzed with hypothesis.
``HOSTILE_FILES_EXAMPLES=5000`` runs more fuzz cases, as in tests/test_hostile_files.py."""

from __future__ import annotations

import io
import os
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.lib import format as npy_format
from PIL import Image

from core.data.own_images import (
    CLASS_NAMES,
    LIMITS,
    MIN_IMAGES,
    OwnImages,
    UploadLimits,
    _read_counted,
    images_from_upload,
)
from tests.helpers import damage

EXAMPLES = int(os.environ.get("HOSTILE_FILES_EXAMPLES", "0"))


def fuzz(default_examples: int):
    return settings(
        max_examples=EXAMPLES or default_examples,
        deadline=None,
        database=None,  # nothing written into the working tree
        suppress_health_check=list(HealthCheck),
    )


# ---- uploads, made here -------------------------------------------------------------------------


def npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def npz(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def picture(pixels: np.ndarray, kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, kind)
    return buffer.getvalue()


def zipped(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def stroke(height: int = 60, width: int = 40, top: int = 10, left: int = 12) -> np.ndarray:
    """A dark bar on white paper, as a photo of a "1" would be (uint8)."""
    paper = np.full((height, width), 255, dtype=np.uint8)
    paper[top : top + height // 2, left : left + 6] = 20
    return paper


def digits_stack(n: int = 20, seed: int = 0) -> np.ndarray:
    """n 28×28 uint8 images of ink (255) on black, each a bar at its own place."""
    rng = np.random.default_rng(seed)
    stack = np.zeros((n, 28, 28), dtype=np.uint8)
    for image in stack:
        top, left = rng.integers(4, 12, size=2)
        image[top : top + 12, left : left + 4] = 255
    return stack


def refusal(name: str, data: bytes, centre: bool = False, limits: UploadLimits = LIMITS) -> str:
    with pytest.raises(ValueError) as refused:
        images_from_upload(name, data, centre, limits=limits)
    message = str(refused.value)
    assert message.endswith((".", "?", ")")) and len(message) < 400, message
    return message


# ---- what is accepted ---------------------------------------------------------------------------


def test_an_npy_of_mnist_sized_images_comes_back_as_it_was():
    stack = digits_stack(20)
    own = images_from_upload("digits.npy", npy(stack), centre=False)
    assert isinstance(own, OwnImages) and own.skipped == 0 and own.notes == []
    dataset = own.dataset
    assert dataset.images.shape == (20, 784) and dataset.images.dtype == np.float32
    np.testing.assert_array_equal(dataset.images, stack.reshape(20, -1) / 255.0)
    assert dataset.image_shape == (28, 28) and dataset.class_names == CLASS_NAMES
    assert (dataset.labels == 0).all() and "digits.npy" in dataset.name


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, bool, np.int64])
def test_arrays_of_floats_bools_and_whole_numbers_are_read(dtype):
    stack = digits_stack(12)
    array = (stack / 255).astype(dtype) if dtype != np.int64 else stack.astype(dtype)
    own = images_from_upload("a.npz", npz(images=array), centre=False)
    np.testing.assert_allclose(own.dataset.images, stack.reshape(12, -1) / 255.0, atol=1e-3)


def test_other_sizes_become_28_by_28_and_light_paper_is_inverted():
    small = 255 - digits_stack(15)[:, ::2, ::2]  # 14×14, dark ink on white paper
    own = images_from_upload("small.npy", npy(small), centre=False)
    assert own.dataset.images.shape == (15, 784)
    assert any("inverted" in note for note in own.notes)
    image = own.dataset.images[0].reshape(28, 28)
    assert image[0, 0] < 0.05 and image.max() > 0.9  # a dark background, bright ink


def test_a_zip_of_pngs_and_jpegs_skips_and_counts_what_it_cannot_use():
    files = {f"digits/{i}.png": picture(stroke(left=5 + i)) for i in range(8)}
    files |= {f"digits/{i}.jpg": picture(stroke(top=4 + i), "JPEG") for i in range(4)}
    files["digits/notes.txt"] = b"my digits"
    files["digits/broken.png"] = b"\x89PNG not really"
    files["__MACOSX/digits/._0.png"] = b"\x00\x05\x16\x07 resource fork"
    own = images_from_upload("mine.zip", zipped(files), centre=False)
    assert own.dataset.n_samples == 12 and own.skipped == 3
    assert "1 skipped: unreadable." in own.notes
    assert "2 skipped: not a PNG or JPEG image." in own.notes
    assert own.dataset.images.max() <= 1.0 and own.dataset.images.min() >= 0.0
    image = own.dataset.images[0].reshape(28, 28)
    assert image[0, 0] < 0.05 and image.max() > 0.9  # inverted: ink is 1


def test_transparent_and_16_bit_pngs_are_read_as_ink_on_paper():
    rgba = np.zeros((30, 30, 4), dtype=np.uint8)  # black ink on transparent paper
    rgba[5:25, 12:17, 3] = 255
    deep = (stroke().astype(np.uint16) * 257).astype(np.uint16)  # 16-bit greyscale
    files = {f"t{i}.png": picture(rgba) for i in range(5)}
    files |= {f"d{i}.png": picture(deep) for i in range(5)}
    own = images_from_upload("mixed.zip", zipped(files), centre=False)
    assert own.dataset.n_samples == 10
    for image in own.dataset.images.reshape(-1, 28, 28):
        assert image[0, 0] < 0.05 and image.max() > 0.9


def test_centred_like_mnist_an_off_centre_oversized_dark_digit_is_centred():
    photo = np.full((160, 120), 230, dtype=np.uint8)  # grey paper, a dark digit in a corner
    photo[8:90, 10:30] = 15
    photo[8:20, 10:60] = 15
    files = {f"{i}.png": picture(np.roll(photo, i, axis=1)) for i in range(10)}
    files["blank.png"] = picture(np.full((50, 50), 230, dtype=np.uint8))
    own = images_from_upload("photos.zip", zipped(files), centre=True)
    assert own.dataset.n_samples == 10 and own.skipped == 1
    assert "1 skipped: blank (nothing to centre)." in own.notes
    image = own.dataset.images[0].reshape(28, 28)
    rows, cols = np.nonzero(image > 0.1)
    assert max(rows.max() - rows.min(), cols.max() - cols.min()) + 1 in (20, 21)
    mass = image.sum()
    centre = (image.sum(axis=1) @ np.arange(28) / mass, image.sum(axis=0) @ np.arange(28) / mass)
    assert abs(centre[0] - 14) <= 1 and abs(centre[1] - 14) <= 1
    assert "centred" in own.dataset.name


def test_images_larger_than_the_limit_are_skipped_before_they_are_decoded():
    limits = UploadLimits(max_side=100)
    files = {f"{i}.png": picture(stroke()) for i in range(10)}
    files["huge.png"] = picture(np.full((101, 20), 255, dtype=np.uint8))
    own = images_from_upload("z.zip", zipped(files), False, limits=limits)
    assert own.skipped == 1 and "1 skipped: larger than 100 pixels a side." in own.notes


def test_the_same_upload_gives_the_same_name_and_another_one_another():
    def named(stack: np.ndarray, centre: bool) -> tuple[str, str]:
        own = images_from_upload("a.npy", npy(stack), centre)
        assert own.digest in own.dataset.name and len(own.digest) == 8
        return own.dataset.name, own.digest

    first = named(digits_stack(12), False)
    assert named(digits_stack(12), False) == first
    assert named(digits_stack(12, seed=1), False)[1] != first[1]
    assert named(digits_stack(12), True)[1] != first[1]


# ---- what is refused, each with its sentence ----------------------------------------------------


def test_a_file_that_is_neither_a_zip_nor_an_array_is_refused():
    assert "neither a zip" in refusal("photo.png", picture(stroke()))
    assert "neither a zip" in refusal("x", b"")
    assert "not a readable zip" in refusal("x.zip", b"PK\x03\x04" + b"\x00" * 40)


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read():
    limits = UploadLimits(max_upload_bytes=1000)
    assert "at most 0.001 MB" in refusal("a.npy", npy(digits_stack(12)), limits=limits)
    assert "at most 32 MB" in refusal("a.zip", b"PK\x03\x04" + bytes(32_000_001))


def test_too_many_or_too_few_images_are_refused():
    assert "at most 12 are taken" in refusal(
        "a.npy", npy(digits_stack(13)), limits=UploadLimits(max_images=12)
    )
    assert f"at least {MIN_IMAGES} are" in refusal("a.npy", npy(digits_stack(3)))
    few = {f"{i}.png": picture(stroke()) for i in range(9)} | {f"{i}.jpg": b"x" for i in range(3)}
    assert "Only 9 of the upload's images could be used (3 unreadable)" in refusal(
        "f.zip", zipped(few)
    )
    assert "20,000" in refusal("a.npy", npy(np.zeros((20_001, 1, 1), np.uint8)))


def _patched_sizes(data: bytes, size: int) -> bytes:
    """The zip with every entry's uncompressed size in its central directory set to ``size``."""
    data, position = bytearray(data), 0
    while (position := data.find(b"PK\x01\x02", position)) >= 0:
        struct.pack_into("<I", data, position + 24, size)
        position += 4
    return bytes(data)


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    limits = UploadLimits(max_unpacked_bytes=1_000_000)
    bomb = zipped({f"{i}.png": bytes(200_000) for i in range(10)})  # 2 MB of zeros in ~3 kB
    assert len(bomb) < 10_000
    assert "claim 2 MB unpacked; at most 1 MB" in refusal("bomb.zip", bomb, limits=limits)
    # the real limits, with sizes that a few bytes claim in the zip's directory
    liar = _patched_sizes(zipped({f"{i}.png": picture(stroke()) for i in range(10)}), 30_000_000)
    assert "claim 300 MB unpacked; at most 200 MB" in refusal("liar.zip", liar)
    tracemalloc.start()
    refusal("liar.zip", liar)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2_000_000  # nothing of the 300 MB claimed was allocated


def test_what_an_entry_unpacks_to_is_counted_while_it_is_read():
    assert _read_counted(io.BytesIO(bytes(10)), 10, 10) == bytes(10)
    assert _read_counted(io.BytesIO(bytes(10)), 4, 10) == bytes(4)  # no more than claimed
    with pytest.raises(ValueError, match="more bytes than the limit"):
        _read_counted(io.BytesIO(bytes(5_000_000)), 5_000_000, 3_000_000)


def test_a_zip_of_countless_entries_is_refused_before_its_directory_is_parsed():
    many = zipped({f"{i}.txt": b"" for i in range(60)})
    assert "more than 50 entries" in refusal("m.zip", many, limits=UploadLimits(max_entries=50))


def test_nested_archives_are_refused():
    inner = zipped({f"{i}.png": picture(stroke()) for i in range(10)})
    files = {f"{i}.png": picture(stroke()) for i in range(10)} | {"more/inner.zip": inner}
    assert "another archive ('inner.zip')" in refusal("outer.zip", zipped(files))
    gz = {f"{i}.png": picture(stroke()) for i in range(10)} | {"x.tar.gz": b"\x1f\x8b"}
    assert "another archive" in refusal("outer.zip", zipped(gz))


def test_a_zip_without_images_is_refused():
    text = {f"{i}.txt": b"not a picture" for i in range(20)}
    assert "holds no PNG or JPEG images" in refusal("docs.zip", zipped(text))
    assert "holds no PNG or JPEG images" in refusal("empty.zip", zipped({}))


def test_images_holding_too_many_pixels_in_all_are_refused():
    limits = UploadLimits(max_pixels=20_000)
    files = {f"{i}.png": picture(stroke(100, 100)) for i in range(10)}  # 100,000 pixels
    assert "more than 0.02 million pixels" in refusal("big.zip", zipped(files), limits=limits)


@pytest.mark.parametrize(
    ("array", "words"),
    [
        (np.zeros((12, 784), np.uint8), "shape (12, 784); it should be (n, height, width)"),
        (np.zeros((12, 28, 28, 3), np.uint8), "shape (12, 28, 28, 3)"),
        (np.zeros(12, np.uint8), "shape (12,)"),
        (np.full((12, 28, 28), np.nan, np.float32), "NaN or infinite"),
        (np.full((12, 8, 8), np.inf), "NaN or infinite"),
        (np.full((12, 8, 8), 255.0), "floats from 255 to 255; float pixels must lie in 0–1"),
        (np.full((12, 8, 8), -1, np.int16), "whole numbers from -1 to -1"),
        (np.full((12, 8, 8), 1000, np.int32), "whole numbers from 1000 to 1000"),
        (np.zeros((12, 8, 8), np.complex64), "complex64 numbers"),
        (np.zeros((12, 8, 8), [("a", "u1"), ("b", "u1")]), "Python objects or records"),
        (np.zeros((12, 0, 8), np.uint8), "0×8 pixels"),
        (np.zeros((12, 4097, 1), np.uint8), "4097×1 pixels; each side must lie between 1 and 4096"),
    ],
)
def test_arrays_of_the_wrong_shape_or_values_are_refused(array, words):
    assert words in refusal("a.npy", npy(array))
    assert words in refusal("a.npz", npz(images=array))


def test_a_pickle_is_never_unpickled():
    objects = np.empty((12, 2, 2), dtype=object)
    objects[:] = 1
    assert "Python objects" in refusal("evil.npy", npy(objects, allow_pickle=True))
    assert "Python objects" in refusal("evil.npz", npz(images=objects))


def _header_only(shape: tuple, dtype: str = "<u1") -> bytes:
    buffer = io.BytesIO()
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    npy_format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def test_an_array_header_claiming_more_than_its_file_holds_allocates_nothing():
    tracemalloc.start()
    for shape in [(15_000, 4096, 4096), (10**12, 28, 28), (20_000, 28, 28)]:
        message = refusal("claims.npy", _header_only(shape) + bytes(100))
        assert "at most" in message or "cut short" in message
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1_000_000
    assert "cut short" in refusal("cut.npy", npy(digits_stack(12))[:-5])
    assert "header is damaged" in refusal("bad.npy", b"\x93NUMPY\x01\x00\x10\x00{'descr': 1}")


def test_an_npz_must_hold_one_array():
    two = npz(a=digits_stack(12), b=digits_stack(12))
    assert "holds 2 arrays; one array" in refusal("two.npz", two)
    assert "not a readable NumPy array" in refusal("odd.npz", zipped({"a.npy": b"hello"}))


# ---- fuzzed ------------------------------------------------------------------------------------

GENUINE = {
    "stack.npy": npy(digits_stack(12)),
    "stack.npz": npz(images=(digits_stack(12) / 255).astype(np.float32)),
    "photos.zip": zipped({f"{i}.png": picture(stroke(30, 20, 2, 4 + i)) for i in range(11)}),
    "stored.zip": zipped(
        {f"{i}.jpg": picture(stroke(20, 20, 2, i), "JPEG") for i in range(10)}, zipfile.ZIP_STORED
    ),
}
NAMES = [*GENUINE, "upload", "x.png", "y.zip", "z.npy", "w.npz"]


def answer(name: str, data: bytes, centre: bool) -> OwnImages | None:
    """The upload's images, checked whole, or None where it was refused with a sentence; any
    other exception fails the test. The bytes handed in are left as they were."""
    given_bytes = bytearray(data)
    try:
        own = images_from_upload(name, given_bytes, centre)
    except ValueError as error:
        message = str(error)
        assert message.strip() and len(message) < 400, message[:1000]
        own = None
    assert given_bytes == data
    if own is not None:
        images = own.dataset.images
        assert images.dtype == np.float32 and images.shape[1] == 784
        assert MIN_IMAGES <= len(images) <= LIMITS.max_images
        assert np.isfinite(images).all() and images.min() >= 0 and images.max() <= 1
        assert (own.dataset.labels == 0).all() and own.skipped >= 0
    return own


@st.composite
def damaged(draw) -> tuple[str, bytes]:
    """A genuine upload with bytes overwritten, cut or inserted, under any name."""
    genuine = draw(st.sampled_from(sorted(GENUINE)))
    data = damage(draw, GENUINE[genuine])
    return draw(st.sampled_from([genuine, *NAMES])), data


@st.composite
def arrays(draw) -> tuple[str, bytes]:
    """An array of any small shape (a stack of images, mostly), dtype and values, saved as
    .npy or .npz."""
    stacks = st.tuples(st.integers(8, 14), st.integers(0, 30), st.integers(1, 30))
    shape = draw(st.one_of(stacks, st.lists(st.integers(0, 30), max_size=4).map(tuple)))
    dtype = draw(st.sampled_from(["u1", "i2", "<f4", ">f8", "f2", "?", "c8", "u8", "i8"]))
    scale = draw(st.sampled_from([1, 255, 256, -1, float("nan"), float("inf"), 1e30]))
    pixels = np.random.default_rng(draw(st.integers(0, 9))).random(shape)
    with np.errstate(all="ignore"):
        array = (pixels * scale).astype(dtype)
    if draw(st.booleans()):
        return "fuzz.npy", npy(array)
    return "fuzz.npz", npz(images=array)


@st.composite
def zips(draw) -> tuple[str, bytes]:
    """A zip of images, non-images, junk and archives, under any names."""
    contents = st.one_of(
        st.just(picture(stroke(30, 20, 2, 4))),
        st.just(picture(stroke(20, 20), "JPEG")),
        st.binary(max_size=40),
        st.just(GENUINE["stack.npy"]),
        st.just(GENUINE["photos.zip"]),
    )
    names = st.sampled_from(["a.png", "b.jpg", "c.jpeg", "d.txt", "e.zip", "f.npy", ".g.png"])
    good = {f"{i}.png": picture(stroke(30, 20, 2, 4 + i)) for i in range(draw(st.integers(0, 12)))}
    files = good | draw(
        st.dictionaries(
            st.tuples(st.integers(0, 99), names).map(lambda pair: f"x{pair[0]}{pair[1]}"),
            contents,
            max_size=6,
        )
    )
    return draw(st.sampled_from(["pics.zip", "pics", "pics.npz"])), zipped(files)


@fuzz(150)
@given(st.one_of(damaged(), arrays(), zips()), st.booleans())
def test_any_upload_is_a_sentence_or_a_dataset_of_checked_images(upload, centre):
    answer(*upload, centre)


@fuzz(40)
@given(st.binary(max_size=300), st.sampled_from(NAMES), st.booleans())
def test_random_bytes_are_refused_with_a_sentence(data, name, centre):
    assert answer(name, data, centre) is None
