"""What a digit is not: families of images the judge must call "not a digit".

A judge that learned "not a digit" from noise alone calls anything with strokes a digit:
rectangle outlines a "0", letters, pen strokes, halves of digits, two small digits side by
side. So each family here is a kind of structured non-digit a learner's model might draw, made
with a seeded generator. The judge trains on the families in TRAINED and is gated on those in
HELD_OUT, which it never saw: the gate measures whether it knows what a digit is not, not
whether it remembers the kinds it was shown (scripts/train_classifier.py, docs/judge.md).

Every family returns rows of pixels in [0, 1]; the shapes are drawn at twice the size and
scaled down, with strokes about as wide as MNIST's.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from core.judge.classifier import not_digits

Family = Callable[[np.ndarray, np.ndarray, tuple[int, int], int, np.random.Generator], np.ndarray]

# Letters that no reader takes for a digit (O, I, l, S, Z, B, G, q, g, b... are left out).
HAND_LETTERS = {  # strokes in a unit box, (x, y) with y downwards: a hand's capitals
    "A": [[(0, 1), (0.5, 0), (1, 1)], [(0.25, 0.55), (0.75, 0.55)]],
    "E": [[(1, 0), (0, 0), (0, 1), (1, 1)], [(0, 0.5), (0.7, 0.5)]],
    "F": [[(1, 0), (0, 0), (0, 1)], [(0, 0.5), (0.7, 0.5)]],
    "H": [[(0, 0), (0, 1)], [(1, 0), (1, 1)], [(0, 0.5), (1, 0.5)]],
    "K": [[(0, 0), (0, 1)], [(1, 0), (0, 0.55), (1, 1)]],
    "M": [[(0, 1), (0, 0), (0.5, 0.6), (1, 0), (1, 1)]],
    "N": [[(0, 1), (0, 0), (1, 1), (1, 0)]],
    "R": [[(0, 1), (0, 0), (0.8, 0), (1, 0.25), (0.8, 0.5), (0, 0.5)], [(0.4, 0.5), (1, 1)]],
    "V": [[(0, 0), (0.5, 1), (1, 0)]],
    "W": [[(0, 0), (0.25, 1), (0.5, 0.4), (0.75, 1), (1, 0)]],
    "X": [[(0, 0), (1, 1)], [(1, 0), (0, 1)]],
    "Y": [[(0, 0), (0.5, 0.5), (1, 0)], [(0.5, 0.5), (0.5, 1)]],
    "k": [[(0, 0), (0, 1)], [(0.8, 0.4), (0, 0.75), (0.8, 1)]],
    "h": [[(0, 0), (0, 1)], [(0, 0.6), (0.5, 0.4), (1, 0.6), (1, 1)]],
    "n": [[(0, 0.4), (0, 1)], [(0, 0.6), (0.5, 0.4), (1, 0.6), (1, 1)]],
    "m": [
        [(0, 0.4), (0, 1)],
        [(0, 0.55), (0.25, 0.4), (0.5, 0.55), (0.5, 1)],
        [(0.5, 0.55), (0.75, 0.4), (1, 0.55), (1, 1)],
    ],
    "w": [[(0, 0.4), (0.25, 1), (0.5, 0.6), (0.75, 1), (1, 0.4)]],
    "x": [[(0, 0.4), (1, 1)], [(1, 0.4), (0, 1)]],
}
PRINTED_LETTERS = "ACEFHKMNPRUVWXYaeh"  # in a printed font, another hand than HAND_LETTERS


def _canvas(shape: tuple[int, int]) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("L", (shape[1] * 2, shape[0] * 2), 0)
    return image, ImageDraw.Draw(image)


def _pixels(image: Image.Image, shape: tuple[int, int]) -> np.ndarray:
    small = image.resize((shape[1], shape[0]), Image.Resampling.BILINEAR)
    return np.asarray(small, dtype=np.float32).reshape(-1) / 255.0


def _box(shape: tuple[int, int], rng: np.random.Generator) -> tuple[float, float, float]:
    """Where a shape goes on the doubled canvas: left, top and size of an MNIST-like box."""
    size = shape[0] * 2 * rng.uniform(0.5, 0.75)
    left = rng.uniform(0.1, 0.9 - size / (shape[1] * 2)) * shape[1] * 2
    top = rng.uniform(0.1, 0.9 - size / (shape[0] * 2)) * shape[0] * 2
    return left, top, size


def _strokes(draw, strokes, left, top, size, width, rng, jitter=0.06, aspect=1.0) -> None:
    for stroke in strokes:
        points = [
            (
                left + size * aspect * (x + rng.normal(0, jitter)),
                top + size * (y + rng.normal(0, jitter)),
            )
            for x, y in stroke
        ]
        draw.line(points, fill=255, width=width, joint="curve")


def _width(shape: tuple[int, int], rng: np.random.Generator) -> int:
    return int(round(shape[0] / 28 * 2 * rng.uniform(1.6, 3.2)))


def hand_letters(images, labels, shape, n, rng) -> np.ndarray:
    """Capital and small letters drawn as a hand would, each stroke jittered."""
    names = list(HAND_LETTERS)
    rows = []
    for _ in range(n):
        image, draw = _canvas(shape)
        left, top, size = _box(shape, rng)
        aspect = rng.uniform(0.6, 1.0)
        letter = HAND_LETTERS[names[rng.integers(len(names))]]
        _strokes(draw, letter, left, top, size, _width(shape, rng), rng, aspect=aspect)
        rows.append(_pixels(image.rotate(rng.uniform(-15, 15), Image.Resampling.BILINEAR), shape))
    return np.stack(rows)


def printed_letters(images, labels, shape, n, rng) -> np.ndarray:
    """Letters in a printed font, at several sizes and slants, thickened at random."""
    rows = []
    for _ in range(n):
        image, draw = _canvas(shape)
        size = int(shape[0] * 2 * rng.uniform(0.55, 0.8))
        font = ImageFont.load_default(size=size)
        letter = PRINTED_LETTERS[rng.integers(len(PRINTED_LETTERS))]
        x = shape[1] * rng.uniform(0.4, 0.8)
        y = shape[0] * rng.uniform(0.4, 0.8)
        strokes = int(rng.integers(0, 3))
        draw.text(
            (x, y), letter, fill=255, font=font, anchor="mm", stroke_width=strokes, stroke_fill=255
        )
        rows.append(_pixels(image.rotate(rng.uniform(-20, 20), Image.Resampling.BILINEAR), shape))
    return np.stack(rows)


def rectangles_and_triangles(images, labels, shape, n, rng) -> np.ndarray:
    """Outlines (and a few filled) rectangles and triangles: corners no digit has."""
    rows = []
    for _ in range(n):
        image, draw = _canvas(shape)
        left, top, size = _box(shape, rng)
        width = _width(shape, rng)
        fill = 255 if rng.random() < 0.2 else None
        if rng.random() < 0.6:
            aspect = rng.uniform(0.5, 1.0)
            box = [left, top, left + size * aspect, top + size]
            if rng.random() < 0.5:
                box = [left, top, left + size, top + size * aspect]
            draw.rectangle(box, outline=255, width=width, fill=fill)
        else:
            corners = [
                (left + size * rng.uniform(0, 1), top + size * rng.uniform(0, 0.2)),
                (left + size * rng.uniform(0, 0.2), top + size * rng.uniform(0.8, 1)),
                (left + size * rng.uniform(0.8, 1), top + size * rng.uniform(0.8, 1)),
            ]
            draw.polygon(corners, outline=255, width=width, fill=fill)
        rows.append(_pixels(image.rotate(rng.uniform(-30, 30), Image.Resampling.BILINEAR), shape))
    return np.stack(rows)


def stars_crosses_arrows(images, labels, shape, n, rng) -> np.ndarray:
    """Five-pointed stars, plus signs, hash signs and arrows."""
    rows = []
    for _ in range(n):
        image, draw = _canvas(shape)
        left, top, size = _box(shape, rng)
        width = _width(shape, rng)
        kind = rng.integers(4)
        if kind == 0:
            angles = -np.pi / 2 + np.arange(6) * 4 * np.pi / 5
            star = [(0.5 + 0.5 * np.cos(a), 0.5 + 0.5 * np.sin(a)) for a in angles]
            _strokes(draw, [star], left, top, size, width, rng, jitter=0.02)
        elif kind == 1:
            _strokes(
                draw, [[(0.5, 0), (0.5, 1)], [(0, 0.5), (1, 0.5)]], left, top, size, width, rng
            )
        elif kind == 2:
            hash_sign = [
                [(0.35, 0), (0.3, 1)],
                [(0.7, 0), (0.65, 1)],
                [(0, 0.35), (1, 0.35)],
                [(0, 0.7), (1, 0.7)],
            ]
            _strokes(draw, hash_sign, left, top, size, width, rng)
        else:
            arrow = [[(0, 0.5), (1, 0.5)], [(0.65, 0.2), (1, 0.5), (0.65, 0.8)]]
            _strokes(draw, arrow, left, top, size, width, rng)
        rows.append(_pixels(image.rotate(rng.uniform(0, 360), Image.Resampling.BILINEAR), shape))
    return np.stack(rows)


def pen_strokes(images, labels, shape, n, rng) -> np.ndarray:
    """Two to four straight pen strokes at random, crossing or apart."""
    rows = []
    for _ in range(n):
        image, draw = _canvas(shape)
        left, top, size = _box(shape, rng)
        strokes = [  # apart, two to four of them: one slanted stroke alone is a "1"
            [tuple(rng.uniform(0, 1, 2)) for _ in range(rng.integers(2, 4))]
            for _ in range(rng.integers(2, 5))
        ]
        _strokes(draw, strokes, left, top, size, _width(shape, rng), rng, jitter=0)
        rows.append(_pixels(image, shape))
    return np.stack(rows)


def scribbles(images, labels, shape, n, rng) -> np.ndarray:
    """One long smooth tangled curve, as a restless pen draws it."""
    rows = []
    for _ in range(n):
        image, draw = _canvas(shape)
        left, top, size = _box(shape, rng)
        turns = rng.integers(8, 15)
        anchors = rng.uniform(0, 1, (turns, 2))
        t = np.linspace(0, 1, 60)
        path = np.stack(
            [np.interp(t * (turns - 1), np.arange(turns), anchors[:, i]) for i in range(2)], axis=1
        )
        kernel = np.ones(7) / 7
        smooth = np.stack(
            [np.convolve(np.pad(path[:, i], 3, mode="edge"), kernel, "valid") for i in range(2)],
            axis=1,
        )
        _strokes(
            draw, [list(map(tuple, smooth))], left, top, size, _width(shape, rng), rng, jitter=0
        )
        rows.append(_pixels(image, shape))
    return np.stack(rows)


def _digits(images, shape):
    return images.reshape(-1, *shape)


def _not_ones(images, labels, shape, n, rng) -> np.ndarray:
    """``n`` real digits other than 1s (half a 1 is still a 1), as images to cut."""
    keep = np.flatnonzero(labels != 1)
    return _digits(images, shape)[keep[rng.integers(0, len(keep), n)]].copy()


def top_and_left_halves(images, labels, shape, n, rng) -> np.ndarray:
    """Real digits with their bottom or right half rubbed out."""
    chosen = _not_ones(images, labels, shape, n, rng)
    height, width = shape
    for row, which in zip(chosen, rng.integers(0, 2, n), strict=True):
        if which:
            row[height // 2 - 1 :, :] = 0
        else:
            row[:, width // 2 - 1 :] = 0
    return chosen.reshape(n, -1)


def bottom_and_right_halves(images, labels, shape, n, rng) -> np.ndarray:
    """Real digits with their top or left half rubbed out."""
    chosen = _not_ones(images, labels, shape, n, rng)
    height, width = shape
    for row, which in zip(chosen, rng.integers(0, 2, n), strict=True):
        if which:
            row[: height // 2 + 1, :] = 0
        else:
            row[:, : width // 2 + 1] = 0
    return chosen.reshape(n, -1)


def _small(digits: np.ndarray, scale: float, shape) -> list[Image.Image]:
    size = (max(2, int(shape[1] * scale)), max(2, int(shape[0] * scale)))
    return [
        Image.fromarray((d * 255).astype(np.uint8)).resize(size, Image.Resampling.BILINEAR)
        for d in digits
    ]


def digits_side_by_side(images, labels, shape, n, rng, count: int = 2) -> np.ndarray:
    """``count`` small real digits in a row."""
    digits = _digits(images, shape)
    rows = []
    for _ in range(n):
        scale = rng.uniform(0.45, 0.6) if count == 2 else rng.uniform(0.36, 0.42)
        parts = _small(digits[rng.integers(0, len(digits), count)], scale, shape)
        canvas = Image.new("L", (shape[1], shape[0]), 0)
        step = shape[1] / count
        for index, part in enumerate(parts):
            x = int(index * step + (step - part.width) / 2 + rng.integers(-1, 2))
            y = int((shape[0] - part.height) / 2 + rng.integers(-2, 3))
            canvas.paste(part, (max(0, x), max(0, y)))
        rows.append(np.asarray(canvas, dtype=np.float32).reshape(-1) / 255.0)
    return np.stack(rows)


def three_digits_in_a_row(images, labels, shape, n, rng) -> np.ndarray:
    """Three small real digits in a row."""
    return digits_side_by_side(images, labels, shape, n, rng, count=3)


def rotated_sideways(images, labels, shape, n, rng) -> np.ndarray:
    """Real digits turned a quarter either way (not 0 or 8, which stay round)."""
    keep = np.flatnonzero(~np.isin(labels, (0, 8)))
    digits = _digits(images, shape)[keep[rng.integers(0, len(keep), n)]]
    turns = rng.choice([1, 3], n)
    return np.stack([np.rot90(d, k).reshape(-1) for d, k in zip(digits, turns, strict=True)])


def turned_past_recognition(images, labels, shape, n, rng) -> np.ndarray:
    """Real digits turned a quarter or upside down, where that leaves no digit: not 0 or 8
    (round either way), not 1 upside down (still a 1), and 6 and 9 not upside down (each
    other's)."""
    half = n // 2
    return np.concatenate(
        [
            rotated_sideways(images, labels, shape, half, rng),
            upside_down(images, labels, shape, n - half, rng),
        ]
    )


def zoomed_fragments(images, labels, shape, n, rng) -> np.ndarray:
    """A corner of a real digit (a quarter to a half of it each way) enlarged to fill the
    image, as a model that draws one stroke too large might."""
    digits = _digits(images, shape)[rng.integers(0, len(images), n)]
    height, width = shape
    rows = []
    for digit in digits:
        h = int(height * rng.uniform(0.35, 0.55))
        w = int(width * rng.uniform(0.35, 0.55))
        top = int(rng.integers(2, height - h - 1))
        left = int(rng.integers(2, width - w - 1))
        crop = Image.fromarray((digit[top : top + h, left : left + w] * 255).astype(np.uint8))
        big = crop.resize((int(width * 0.8), int(height * 0.8)), Image.Resampling.BILINEAR)
        canvas = Image.new("L", (width, height), 0)
        canvas.paste(big, ((width - big.width) // 2, (height - big.height) // 2))
        rows.append(np.asarray(canvas, dtype=np.float32).reshape(-1) / 255.0)
    return np.stack(rows)


def upside_down(images, labels, shape, n, rng) -> np.ndarray:
    """Real 3s, 4s and 7s turned upside down (6 and 9 would swap; 0, 1, 8 stay themselves;
    2 and 5 come out much like 2 and 5)."""
    keep = np.flatnonzero(np.isin(labels, (3, 4, 7)))
    digits = _digits(images, shape)[keep[rng.integers(0, len(keep), n)]]
    return np.stack([np.rot90(d, 2).reshape(-1) for d in digits])


def noise_and_blobs(images, labels, shape, n, rng) -> np.ndarray:
    """The first judge's six kinds: noise, noise at the data's rates, blobs, the data's mean
    as a grey blob, flat grey fields, two digits overlaid."""
    made = not_digits(images, labels, shape, n + n // 4 + 6, seed=int(rng.integers(2**31)))
    return made[:n]  # not_digits drops the pairs of one class it drew: a few more, then n


TRAINED: dict[str, Family] = {
    "noise and blobs": noise_and_blobs,
    "hand-drawn letters": hand_letters,
    "rectangles and triangles": rectangles_and_triangles,
    "pen strokes": pen_strokes,
    "top and left halves": top_and_left_halves,
    "two digits side by side": digits_side_by_side,
    "digits turned past recognition": turned_past_recognition,
}
HELD_OUT: dict[str, Family] = {
    "printed letters": printed_letters,
    "stars, crosses and arrows": stars_crosses_arrows,
    "scribbles": scribbles,
    "bottom and right halves": bottom_and_right_halves,
    "three digits in a row": three_digits_in_a_row,
    "corners of digits, enlarged": zoomed_fragments,
}


def family(
    name: str, images: np.ndarray, labels: np.ndarray, shape: tuple[int, int], n: int, seed: int
) -> np.ndarray:
    """``n`` images of one family (TRAINED or HELD_OUT), as float32 rows in [0, 1]."""
    make = {**TRAINED, **HELD_OUT}[name]
    rows = make(images, labels, tuple(shape), n, np.random.default_rng(seed))
    return np.clip(rows, 0.0, 1.0).astype(np.float32)


def trained_negatives(
    images: np.ndarray, labels: np.ndarray, shape: tuple[int, int], n: int, seed: int = 0
) -> np.ndarray:
    """``n`` non-digits from the TRAINED families, about as many of each (three times as
    many of noise and blobs, six kinds in one), shuffled."""
    names = [*TRAINED, "noise and blobs", "noise and blobs"]  # six kinds in one: thrice
    sizes = [n // len(names) + (i < n % len(names)) for i in range(len(names))]
    rows = [
        family(name, images, labels, shape, size, seed + index)
        for index, (name, size) in enumerate(zip(names, sizes, strict=True))
    ]
    made = np.concatenate(rows)
    return made[np.random.default_rng(seed).permutation(len(made))]
