"""Your own images as a dataset: a zip of PNG or JPEG images, or a ``.npy`` / ``.npz`` array of
shape (n, height, width), made 28×28 greyscale with ink = 1 as in MNIST, optionally centred as
MNIST was (cropped to the ink, scaled into a 20×20 box, centred by its centre of mass).

An upload may claim anything, so nothing it claims is believed before it is checked against the
limits (``UploadLimits``): its size, its entry count (counted in the bytes before the zip's
directory is parsed), the sum of its entries' claimed sizes and, while they are read, the bytes
they really unpack to (a lying header cannot bomb); an array's header (shape, dtype) before its
data is read, never a pickle; an image's header (its pixel size) before it is decoded.
Anything malformed is a ValueError with a sentence, and nothing is kept of it.
"""

from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import BinaryIO

import numpy as np
from numpy.lib import format as npy_format
from PIL import Image

from core.data.datasets import Dataset

OWN_IMAGES = "own"  # the dataset choice's name in a link (the images themselves never travel)
CLASS_NAMES = ("your images",)  # one class, and not digits: the digit judge stays silent
SIDE = 28  # every image becomes SIDE × SIDE
MIN_IMAGES = 10  # a tenth of them (at least one) is held out for validation
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
ARCHIVE_SUFFIXES = tuple(
    ".zip .npz .jar .gz .tgz .tar .bz2 .tbz2 .xz .txz .7z .rar .zst .lz .lzma .z .cab".split()
)
CENTRAL_ENTRY = b"PK\x01\x02"  # a zip's directory record: one per entry
CHUNK = 1 << 20
INTEGER_KINDS, FLOAT_KIND = "uib", "f"


@dataclass(frozen=True)
class UploadLimits:
    """What one upload may hold (MB = 10⁶ bytes)."""

    max_images: int = 20_000
    max_upload_bytes: int = 32_000_000
    max_unpacked_bytes: int = 200_000_000  # a zip's entries, or an array's numbers
    max_side: int = 4096  # pixels, an image's or an array's height and width
    max_entries: int = 50_000  # a zip's entries of every kind (folders, __MACOSX, ...)
    max_pixels: int = 200_000_000  # the images' pixels in all, decoded


LIMITS = UploadLimits()


@dataclass
class OwnImages:
    """An upload made into a dataset: ``dataset`` holds (n, 784) float32 pixels in [0, 1] with
    ink = 1, labels all 0 of the one class ``CLASS_NAMES``; ``skipped`` counts the files or
    images left out, ``notes`` says, a sentence each, what was left out or changed, and
    ``digest`` names this upload and its centring (the same bytes, the same digest)."""

    dataset: Dataset
    skipped: int = 0
    notes: list[str] = field(default_factory=list)
    digest: str = ""


class _Skip(Exception):
    """One image is left out (unreadable, too large, blank); its reason is counted."""


def images_from_upload(
    name: str, data: bytes, centre: bool = True, *, limits: UploadLimits = LIMITS
) -> OwnImages:
    """The images in an uploaded file called ``name``: a zip of PNG or JPEG images, or a
    ``.npy`` / ``.npz`` array of shape (n, height, width) (uint8 0–255, or floats in 0–1).
    With ``centre``, each image is centred as MNIST was (core.data.drawn.mnist_like); without,
    each is padded square and scaled to 28×28, and dark-on-light images are inverted. ValueError
    with a sentence for anything outside ``limits`` or malformed."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ValueError("The upload is not a file's bytes.")
    data = bytes(data)
    if len(data) > limits.max_upload_bytes:
        raise ValueError(
            f"The file is {len(data) / 1e6:.1f} MB; uploads here are at most "
            f"{limits.max_upload_bytes / 1e6:g} MB."
        )
    suffix = "." + str(name).rpartition(".")[2].lower() if "." in str(name) else ""
    is_zip = data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06"  # an empty zip too
    if suffix == ".npy" or (suffix not in (".zip", ".npz") and data[:6] == b"\x93NUMPY"):
        pixels = _npy_array(io.BytesIO(data), len(data), "The .npy file", limits)
        images, reasons = _from_array(pixels, centre, limits)
    elif is_zip and (suffix == ".npz" or (suffix != ".zip" and _holds_only_npy(data, limits))):
        images, reasons = _from_array(_npz_array(data, limits), centre, limits)
    elif is_zip:
        images, reasons = _from_zip(data, centre, limits)
    else:
        raise ValueError(
            "This file is neither a zip of PNG or JPEG images nor a .npy or .npz array of "
            "shape (n, height, width)."
        )
    return _own_images(name, data, centre, images, reasons)


# ---- arrays -------------------------------------------------------------------------------------


def _npy_array(stream: BinaryIO, size: int, what: str, limits: UploadLimits) -> np.ndarray:
    """The (n, h, w) array in a .npy stream of ``size`` bytes, its header checked (version,
    dtype, shape, byte count) before its numbers are read; never a pickle."""
    try:
        version = npy_format.read_magic(stream)
        read_header = {
            (1, 0): npy_format.read_array_header_1_0,
            (2, 0): npy_format.read_array_header_2_0,
        }.get(version)
        if read_header is None:
            raise ValueError
        shape, fortran_order, dtype = read_header(stream)
    except Exception:  # numpy raises several kinds for a damaged header
        raise ValueError(f"{what} is not a readable NumPy array (its header is damaged).") from None
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise ValueError(f"{what} holds Python objects or records; only numbers are read here.")
    if dtype.kind not in INTEGER_KINDS + FLOAT_KIND:
        raise ValueError(f"{what} holds {dtype} numbers; images are uint8 (0–255) or 0–1 floats.")
    if len(shape) != 3:
        raise ValueError(
            f"{what} holds an array of shape {shape}; it should be (n, height, width): "
            "a stack of greyscale images."
        )
    count, height, width = shape
    _check_count(count, limits)
    if not (1 <= height <= limits.max_side and 1 <= width <= limits.max_side):
        raise ValueError(
            f"{what}'s images are {height}×{width} pixels; each side must lie between 1 and "
            f"{limits.max_side}."
        )
    n_bytes = count * height * width * dtype.itemsize
    if n_bytes > limits.max_unpacked_bytes:
        raise ValueError(
            f"{what}'s array holds {n_bytes / 1e6:.0f} MB of numbers; at most "
            f"{limits.max_unpacked_bytes / 1e6:g} MB are read here."
        )
    if n_bytes > size - stream.tell():
        raise ValueError(f"{what} is cut short: its header promises more numbers than it holds.")
    buffer = _read_counted(stream, n_bytes, n_bytes)
    if len(buffer) < n_bytes:
        raise ValueError(f"{what} is cut short: its header promises more numbers than it holds.")
    order = "F" if fortran_order else "C"
    array = np.frombuffer(buffer, dtype=dtype).reshape(shape, order=order)
    return _checked_values(array, what)


def _checked_values(array: np.ndarray, what: str) -> np.ndarray:
    """``array`` if its numbers are pixels: integers 0–255, or finite floats in 0–1."""
    if array.dtype.kind == FLOAT_KIND:
        if not np.isfinite(array).all():
            raise ValueError(f"{what} holds NaN or infinite values.")
        low, high = float(array.min()), float(array.max())
        if low < 0.0 or high > 1.0:
            raise ValueError(
                f"{what} holds floats from {low:g} to {high:g}; float pixels must lie in 0–1 "
                "(divide 0–255 pixels by 255, or save them as uint8)."
            )
    elif array.dtype.kind != "b":
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > 255:
            raise ValueError(
                f"{what} holds whole numbers from {low} to {high}; pixels must lie in 0–255."
            )
    return array


def _holds_only_npy(data: bytes, limits: UploadLimits) -> bool:
    """Whether a zip whose name says nothing holds .npy arrays only (an .npz, renamed)."""
    names = [info.filename for info in _zip_entries(data, limits) if not info.is_dir()]
    return bool(names) and all(name.lower().endswith(".npy") for name in names)


def _npz_array(data: bytes, limits: UploadLimits) -> np.ndarray:
    """The one array of an .npz file, checked as a .npy file is (its claimed size first)."""
    entries = [info for info in _zip_entries(data, limits) if not info.is_dir()]
    if len(entries) != 1:
        raise ValueError(
            f"The .npz file holds {len(entries)} arrays; one array of shape (n, height, width) "
            "is expected."
        )
    (entry,) = entries
    what = f"The .npz file's array {_short(entry.filename)!r}"
    if entry.file_size > limits.max_unpacked_bytes + CHUNK:  # the header's bytes beside it
        raise ValueError(
            f"{what} claims {entry.file_size / 1e6:.0f} MB unpacked; at most "
            f"{limits.max_unpacked_bytes / 1e6:g} MB are read here."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(entry) as stream:
            return _npy_array(_Counted(stream), entry.file_size, what, limits)
    except ValueError:
        raise
    except Exception as error:  # zipfile raises many kinds for a damaged entry
        raise ValueError(f"{what} cannot be unpacked ({type(error).__name__}).") from None


class _Counted:
    """A forward-only stream that knows how far it has read (a zip entry's has no tell)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream, self.position = stream, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.position += len(chunk)
        return chunk

    def tell(self) -> int:
        return self.position


def _from_array(pixels: np.ndarray, centre: bool, limits: UploadLimits):
    """Rows of 28×28 pixels from an (n, h, w) array of checked pixels, image by image."""
    scale = 255.0 if pixels.dtype.kind in INTEGER_KINDS and pixels.dtype.kind != "b" else 1.0
    as_is = not centre and pixels.shape[1:] == (SIDE, SIDE)
    loaders = [partial(_array_image, pixels, index, scale) for index in range(len(pixels))]
    return _made_28(loaders, centre, resize=not as_is)


def _array_image(pixels: np.ndarray, index: int, scale: float) -> np.ndarray:
    return pixels[index].astype(np.float32) / scale


# ---- zips of images -----------------------------------------------------------------------------


def _zip_entries(data: bytes, limits: UploadLimits) -> list[zipfile.ZipInfo]:
    """A zip's entries, their number counted in its bytes before its directory is parsed."""
    if data.count(CENTRAL_ENTRY) > limits.max_entries:
        raise ValueError(
            f"The zip holds more than {limits.max_entries:,} entries; at most "
            f"{limits.max_images:,} images are read here."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.infolist()
    except Exception as error:  # zipfile raises many kinds for a damaged archive
        raise ValueError(f"This is not a readable zip file ({type(error).__name__}).") from None


def _from_zip(data: bytes, centre: bool, limits: UploadLimits):
    """Rows of 28×28 pixels from a zip's PNG and JPEG images; other files skipped."""
    entries = [info for info in _zip_entries(data, limits) if not info.is_dir()]
    nested = [info.filename for info in entries if info.filename.lower().endswith(ARCHIVE_SUFFIXES)]
    if nested:
        raise ValueError(
            f"The zip holds another archive ({_short(nested[0])!r}); put the images themselves "
            "in one zip, with no archives inside."
        )
    images = [info for info in entries if _is_image_name(info.filename)]
    reasons: Counter = Counter({"not a PNG or JPEG image": len(entries) - len(images)})
    if not images:
        raise ValueError(
            "The zip holds no PNG or JPEG images (files ending in .png, .jpg or .jpeg)."
        )
    _check_count(len(images), limits)
    claimed = sum(info.file_size for info in entries)
    if claimed > limits.max_unpacked_bytes:
        raise ValueError(
            f"The zip's files claim {claimed / 1e6:.0f} MB unpacked; at most "
            f"{limits.max_unpacked_bytes / 1e6:g} MB are unpacked here."
        )
    budget = {"bytes": limits.max_unpacked_bytes, "pixels": limits.max_pixels}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        loaders = [partial(_entry_image, archive, info, budget, limits) for info in images]
        rows, made = _made_28(loaders, centre, resize=True)
    return rows, made + reasons


def _is_image_name(name: str) -> bool:
    base = name.rpartition("/")[2]
    hidden = base.startswith(".") or name.startswith("__MACOSX/")  # macOS's shadow files
    return not hidden and base.lower().endswith(IMAGE_SUFFIXES)


def _entry_image(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: dict, limits):
    """One entry's image as (h, w) float32 greyscale in [0, 1]; _Skip for one that cannot be
    read; ValueError once the entries unpack to more bytes, or pixels, than the limits."""
    try:
        with archive.open(info) as stream:
            raw = _read_counted(stream, info.file_size, budget["bytes"])
    except ValueError:
        raise
    except Exception:  # damaged, encrypted, an unknown compression: this one is skipped
        raise _Skip("unreadable") from None
    budget["bytes"] -= len(raw)
    return _decoded(raw, budget, limits)


def _decoded(raw: bytes, budget: dict, limits: UploadLimits) -> np.ndarray:
    """A PNG or JPEG's pixels, its header's size checked before it is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw), formats=("PNG", "JPEG"))
            width, height = image.size
    except Exception:  # not an image, or a damaged header
        raise _Skip("unreadable") from None
    if not (1 <= width <= limits.max_side and 1 <= height <= limits.max_side):
        raise _Skip(f"larger than {limits.max_side} pixels a side")
    budget["pixels"] -= width * height
    if budget["pixels"] < 0:
        raise ValueError(
            f"The zip's images hold more than {limits.max_pixels / 1e6:g} million pixels in "
            "all; make them smaller (28×28 is all that is kept)."
        )
    try:
        if image.format == "JPEG":  # decode at a fraction of the size where that is plenty
            image.draft("L", (min(width, 512), min(height, 512)))
        return _greyscale(image)
    except Exception:  # a body that does not match its header
        raise _Skip("unreadable") from None


def _greyscale(image: Image.Image) -> np.ndarray:
    """(h, w) float32 in [0, 1]; transparent pixels count as white paper."""
    if image.mode.startswith("I"):  # 16-bit greyscale PNG
        return np.clip(np.asarray(image, dtype=np.float32) / 65535.0, 0.0, 1.0)
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, "white")
        image = Image.alpha_composite(paper, rgba)
    return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def _read_counted(stream: BinaryIO, claimed: int, budget: int) -> bytes:
    """At most ``claimed`` bytes of ``stream``, in chunks, counting them against ``budget``:
    ValueError the moment more would be read than the budget allows."""
    parts, total = [], 0
    while total < claimed:
        chunk = stream.read(min(CHUNK, claimed - total))
        if not chunk:
            break
        total += len(chunk)
        if total > budget:
            raise ValueError(
                "The upload unpacks to more bytes than the limit (its entries claim fewer: "
                "a zip bomb?)."
            )
        parts.append(chunk)
    return b"".join(parts)


# ---- 28 × 28 ------------------------------------------------------------------------------------


def _made_28(loaders: list, centre: bool, resize: bool) -> tuple[np.ndarray, Counter]:
    """The image each of ``loaders`` gives ((h, w) float32 in [0, 1], or _Skip) as a row of
    784 pixels, and why the others were left out."""
    if centre:
        from core.data.drawn import mnist_like  # MNIST's own preprocessing, written once
    count = len(loaders)
    rows = np.empty((count, SIDE * SIDE), dtype=np.float32)
    used, reasons = 0, Counter()
    for load in loaders:
        try:
            image = load()
            if centre:
                try:
                    made = mnist_like(image)
                except ValueError:
                    raise _Skip("blank (nothing to centre)") from None
            else:
                made = _square_28(image) if resize else image
        except _Skip as reason:
            reasons[str(reason)] += 1
            continue
        rows[used] = np.asarray(made, dtype=np.float32).reshape(-1)
        used += 1
    rows = rows[:used].copy() if used < count else rows
    return rows, reasons


def _square_28(image: np.ndarray) -> np.ndarray:
    """(h, w) pixels padded square with their border's colour and scaled to 28×28."""
    height, width = image.shape
    side = max(height, width)
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    square = np.full((side, side), np.median(border), dtype=np.float32)
    top, left = (side - height) // 2, (side - width) // 2
    square[top : top + height, left : left + width] = image
    scaled = Image.fromarray(square).resize((SIDE, SIDE), Image.Resampling.LANCZOS)
    return np.clip(np.asarray(scaled, dtype=np.float32), 0.0, 1.0)


def _dark_on_light(rows: np.ndarray) -> bool:
    """Whether the images' borders are mostly light, and lighter than their middles: paper."""
    images = rows.reshape(-1, SIDE, SIDE)
    edges = (images[:, :2], images[:, -2:], images[:, 2:-2, :2], images[:, 2:-2, -2:])
    border = sum(float(edge.sum()) for edge in edges) / sum(edge.size for edge in edges)
    return border > 0.5 and border > float(images[:, 7:21, 7:21].mean())


def _check_count(count: int, limits: UploadLimits) -> None:
    if count > limits.max_images:
        raise ValueError(
            f"The upload holds {count:,} images; at most {limits.max_images:,} are taken here."
        )
    if count < MIN_IMAGES:
        raise ValueError(
            f"The upload holds {count} image{'s' * (count != 1)}; at least {MIN_IMAGES} are "
            "needed (a tenth is held out to validate)."
        )


def _own_images(name: str, data: bytes, centre: bool, rows: np.ndarray, reasons: Counter):
    """The dataset and its notes, once at least MIN_IMAGES images were usable."""
    skipped = sum(reasons.values())
    if len(rows) < MIN_IMAGES:
        raise ValueError(
            f"Only {len(rows)} of the upload's images could be used ({_reasons(reasons)}); "
            f"at least {MIN_IMAGES} are needed."
        )
    notes = [f"{n:,} skipped: {reason}." for reason, n in reasons.items() if n]
    if centre:
        notes.append("Centred as MNIST was: cropped to the ink, scaled into 20×20, centred.")
    elif _dark_on_light(rows):
        rows = np.subtract(1.0, rows, out=rows)
        notes.append("The images were dark on light: inverted, so that ink is 1 as in MNIST.")
    digest = hashlib.sha256(data + bytes([centre])).hexdigest()[:8]
    label = f"{_short(name)}, {'centred' if centre else 'as they are'}, #{digest}"
    dataset = Dataset(
        name=f"your images ({label})",
        images=rows,
        labels=np.zeros(len(rows), dtype=np.int64),
        image_shape=(SIDE, SIDE),
        class_names=CLASS_NAMES,
    )
    return OwnImages(dataset, skipped, notes, digest)


def _reasons(reasons: Counter) -> str:
    return "; ".join(f"{n:,} {reason}" for reason, n in reasons.items() if n) or "none left"


def _short(name: str, length: int = 40) -> str:
    """A file name as a sentence may quote it: its last part, printable, at most ``length``."""
    base = str(name).replace("\\", "/").rpartition("/")[2]
    text = "".join(c if c.isprintable() else "?" for c in base) or "upload"
    return text if len(text) <= length else text[: length - 1] + "…"
