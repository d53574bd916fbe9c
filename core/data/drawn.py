"""A drawing or a photo of one handwritten digit, made as MNIST made its digits.

MNIST's digits are light ink on a dark field, cropped to the ink, scaled (antialiased, keeping
the aspect ratio) so the longer side is 20 pixels, and placed in a 28×28 field so that their
centre of mass sits at its centre, (14, 14) in pixel indices (the mnist-5k digits' mean is
(13.99, 14.00)). ``mnist_like`` does the same to whatever a canvas or a camera gives;
``image_from_bytes`` decodes an upload after checking the sizes it claims; ``binarized`` is what
the RBM sees, the same binarization its training data gets.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps

from core.data.datasets import binarize

FRAME = 28  # MNIST's field, pixels per side
BOX = 20  # the longer side of the digit inside it
CENTRE = 14.0  # where the centre of mass goes, in pixel indices
MAX_SIDE = 4096  # the most pixels per side an image may have (or, for an upload, claim)
MAX_UPLOAD_BYTES = 8 * 2**20
UPLOAD_FORMATS = ("PNG", "JPEG")
WORK_SIDE = 1024  # a larger image is averaged down to this many pixels per side first
BLANK_CONTRAST = 0.1  # ink this little above the background (of full scale) is no drawing
INK_FLOOR = 0.1  # after rescaling the contrast to 1: what is fainter is background
BORDER = 0.05  # the border ring, as a share of the shorter side (at least one pixel)
DRAW_SOMETHING = "Draw something first: "


def mnist_like(image: np.ndarray) -> np.ndarray:
    """A (28, 28) float32 image in [0, 1], ink = 1, made from one digit as MNIST made its own.

    ``image`` is greyscale (h, w) or (h, w, 1), grey and alpha (h, w, 2), RGB (h, w, 3) or
    RGBA (h, w, 4); uint8, bool or float in [0, 1]. Where its border is mostly transparent (a
    drawing canvas), the ink is the alpha; otherwise the grey, inverted where the image departs
    further below the border's level than above it (dark ink on light paper). The ink is taken
    relative to the border's level and scaled to full contrast, cropped to where it exceeds
    ``INK_FLOOR``, scaled by Pillow (antialiased) so its longer side is 20 pixels, and shifted
    by whole pixels so its centre of mass sits at (14, 14), but never out of the frame. An
    image with no ink raises ValueError("Draw something first: …").
    """
    ink = _ink(_checked_pixels(image))
    rows = np.flatnonzero((ink > INK_FLOOR).any(axis=1))
    cols = np.flatnonzero((ink > INK_FLOOR).any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = crop.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    box = Image.fromarray(np.ascontiguousarray(crop, dtype=np.float32), mode="F")
    box = np.clip(np.asarray(box.resize(size, Image.Resampling.LANCZOS)), 0.0, 1.0)
    if box.sum() <= 0:  # a speck that scaling smoothed away
        raise ValueError(DRAW_SOMETHING + "the ink is too faint to make out a digit.")
    # the centre of mass to (14, 14) by a whole-pixel shift, the box kept inside the frame
    centre_row = (box.sum(axis=1) @ np.arange(box.shape[0])) / box.sum()
    centre_col = (box.sum(axis=0) @ np.arange(box.shape[1])) / box.sum()
    top = int(np.clip(round(CENTRE - centre_row), 0, FRAME - box.shape[0]))
    left = int(np.clip(round(CENTRE - centre_col), 0, FRAME - box.shape[1]))
    frame = np.zeros((FRAME, FRAME), dtype=np.float32)
    frame[top : top + box.shape[0], left : left + box.shape[1]] = box
    return frame


def _checked_pixels(image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(grey, alpha or None) as float32 in [0, 1], at most ``WORK_SIDE`` pixels per side,
    after checking the array's shape, size, dtype and values (before anything is converted)."""
    if not isinstance(image, np.ndarray):
        raise ValueError(f"The image must be a numpy array, not {type(image).__name__}.")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 2, 3, 4)):
        raise ValueError(
            "The image must be greyscale (h, w) or have 1 to 4 channels (h, w, c), "
            f"got shape {image.shape}."
        )
    height, width = image.shape[:2]
    if not (1 <= height <= MAX_SIDE and 1 <= width <= MAX_SIDE):
        raise ValueError(
            f"The image is {width}×{height} pixels; it must be 1 to {MAX_SIDE:,} per side."
        )
    if np.issubdtype(image.dtype, np.floating):
        low, high = float(np.min(image)), float(np.max(image))  # NaN comes out as NaN
        if not (np.isfinite(low) and np.isfinite(high)) or low < 0 or high > 1:
            raise ValueError(
                "A float image must hold finite values in [0, 1]; "
                f"found values from {low:.4g} to {high:.4g}."
            )
    elif image.dtype not in (np.uint8, np.bool_):
        raise ValueError(f"The image must be uint8, bool or float, not {image.dtype}.")
    pixels = _shrunk(image if image.ndim == 3 else image[..., None])
    if image.dtype == np.uint8:
        pixels /= 255.0
    channels = pixels.shape[2]
    if channels >= 3:  # ITU-R 601-2 luma, as Pillow's "L" conversion
        grey = pixels[..., 0] * 0.299 + pixels[..., 1] * 0.587 + pixels[..., 2] * 0.114
    else:
        grey = pixels[..., 0]
    alpha = pixels[..., channels - 1] if channels in (2, 4) else None
    return grey, alpha


def _shrunk(image: np.ndarray) -> np.ndarray:
    """(h, w, c) as float32, averaged over f × f blocks so that no side exceeds ``WORK_SIDE``
    (a 4,096-pixel photo never becomes a quarter-gigabyte float copy; its digit, scaled to 20
    pixels in the end, loses nothing that matters)."""
    factor = -(-max(image.shape[:2]) // WORK_SIDE)
    if factor == 1:
        return image.astype(np.float32)
    height, width = (max(1, side // factor) for side in image.shape[:2])
    if height * factor > image.shape[0] or width * factor > image.shape[1]:  # a thin sliver
        return image[::factor, ::factor].astype(np.float32)
    blocks = image[: height * factor, : width * factor].reshape(
        height, factor, width, factor, image.shape[2]
    )
    return blocks.mean(axis=(1, 3), dtype=np.float32)


def _border(pixels: np.ndarray) -> np.ndarray:
    """The pixels of the outer ring (``BORDER`` of the shorter side, at least one pixel)."""
    ring = max(1, round(BORDER * min(pixels.shape)))
    inside = np.ones(pixels.shape, dtype=bool)
    inside[:ring] = inside[-ring:] = False
    inside[:, :ring] = inside[:, -ring:] = False
    return pixels[~inside]


def _ink(grey_alpha: tuple[np.ndarray, np.ndarray | None]) -> np.ndarray:
    """Ink in [0, 1] (0 = background, 1 = the strongest ink), or "draw something first"."""
    grey, alpha = grey_alpha
    if alpha is not None and np.median(_border(alpha)) < 0.5:
        ink = alpha  # a canvas: ink wherever something was drawn, whatever its colour
    else:
        if alpha is not None:  # opaque enough: what shows through is white paper
            grey = grey * alpha + (1.0 - alpha)
        # The border's median is the paper (a stroke may touch the border, but not fill it);
        # the ink is on the side where the image departs furthest from it.
        paper = float(np.median(_border(grey)))
        dark_on_light = paper - float(np.min(grey)) > float(np.max(grey)) - paper
        ink = 1.0 - grey if dark_on_light else grey
    background = float(np.median(_border(ink)))
    contrast = float(np.max(ink)) - background
    if contrast < BLANK_CONTRAST:
        raise ValueError(DRAW_SOMETHING + "the image is blank (no ink stands out from it).")
    return np.clip((ink - background) / contrast, 0.0, 1.0)


def image_from_bytes(data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> np.ndarray:
    """An uploaded PNG or JPEG as a greyscale (h, w) uint8 array; ValueError with a sentence for
    anything else.

    The byte size is checked first, then the pixel size the file's header claims (at most
    4,096 per side: no decompression bomb is decoded); only then is it decoded. An image
    larger than 1,024 pixels per side comes back averaged down to that size (``mnist_like``
    would do it anyway). A photo's orientation tag is applied. Transparent pixels show a
    background that contrasts with the opaque ones (light behind dark ink, dark behind light).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ValueError(f"The upload must be bytes, not {type(data).__name__}.")
    size = memoryview(data).nbytes
    if size == 0:
        raise ValueError("The file is empty.")
    if size > max_bytes:
        raise ValueError(
            f"The file is {size / 2**20:.1f} MB; an image may be at most "
            f"{max_bytes / 2**20:.0f} MB."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(bytes(data)), formats=UPLOAD_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError(
            f"The image claims more pixels than can be read: at most {MAX_SIDE:,} per side."
        ) from None
    except Exception:  # Pillow refuses unknown bytes with several exception types
        raise ValueError("This file is not a PNG or JPEG image.") from None
    width, height = image.size
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise ValueError(
            f"The image claims {width:,}×{height:,} pixels; at most {MAX_SIDE:,} per side "
            "can be read."
        )
    try:
        if image.format == "JPEG":  # decoded at 1/2, 1/4 or 1/8 scale when that still fits
            image.draft(image.mode, (WORK_SIDE, WORK_SIDE))
        image.load()
        return _greyscale(_upright(image))
    except Exception:  # a damaged or cut-short file fails in the decoder, in many ways
        raise ValueError("The image could not be read: the file is damaged or cut short.") from None


def _upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation tag says (a phone's photo); a damaged tag is
    ignored rather than refused."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # the tag, not the pixels, is broken
        return image


def _greyscale(image: Image.Image) -> np.ndarray:
    """Pixels as uint8 grey, at most ``WORK_SIDE`` per side; 16-bit grey scaled to 8 bits;
    transparency filled as ``image_from_bytes`` says."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L"):
        wide = np.asarray(image, dtype=np.float32)
        image = Image.fromarray(np.clip(wide / 257.0, 0, 255).round().astype(np.uint8))
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("LA" if has_alpha else "L")
    factor = -(-max(image.size) // WORK_SIDE)
    if factor > 1:
        image = image.reduce(factor)  # box averages: a photo's own blur, not its aliasing
    if not has_alpha:
        return np.asarray(image, dtype=np.uint8).copy()
    grey_alpha = np.asarray(image, dtype=np.float32)
    grey, alpha = grey_alpha[..., 0], grey_alpha[..., 1] / 255.0
    opaque = alpha > 0.5
    behind = 255.0 if not opaque.any() or grey[opaque].mean() < 128 else 0.0
    return (grey * alpha + behind * (1.0 - alpha)).round().astype(np.uint8)


def binarized(image28: np.ndarray) -> np.ndarray:
    """What the RBM sees: pixels above 0.5 become 1, the rest 0, as its training data
    (``core.data.datasets.binarize``); the same shape as given (28 × 28 values)."""
    image28 = np.asarray(image28)
    if image28.size != FRAME * FRAME:
        raise ValueError(f"The image must have {FRAME}×{FRAME} pixels, got shape {image28.shape}.")
    return binarize(image28.astype(np.float32, copy=False))
