"""Tiny binary images, at most 16 pixels: few enough visible states (2**16) to enumerate, so
that an RBM's whole distribution, its partition function Z and its exact gradient can be
computed and shown (see core.rbm.exact).

A :class:`TinyDataset` is a list of images with repeats; its *distribution* is how often each
visible state occurs in it. Bits follow the pixels: state number s has pixel i on when bit i
of s is set (row by row), as core.rbm.likelihood enumerates states.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MAX_PIXELS = 16
MAX_OWN_IMAGES = 12
SHAPES = ((3, 3), (4, 4))  # the grids a user can draw on


@dataclass(frozen=True)
class TinyDataset:
    """Binary images (n, rows * cols), 0/1 float32, with what they are in a sentence."""

    name: str
    shape: tuple[int, int]
    images: np.ndarray
    description: str

    @property
    def n_pixels(self) -> int:
        return self.shape[0] * self.shape[1]

    def distribution(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct states (as numbers) and how often each occurs, most frequent first."""
        codes, counts = np.unique(state_numbers(self.images), return_counts=True)
        order = np.lexsort((codes, -counts))
        return codes[order], counts[order] / counts.sum()

    def entropy(self) -> float:
        """H(data) in nats: −H is the highest average log-likelihood any model can reach."""
        _, p = self.distribution()
        return float(-(p * np.log(p)).sum())


def state_numbers(images: np.ndarray) -> np.ndarray:
    """Each 0/1 image's state number: bit i set when pixel i is on."""
    bits = np.left_shift(1, np.arange(images.shape[1], dtype=np.int64))
    return (np.asarray(images) > 0.5).astype(np.int64) @ bits


def state_images(numbers: np.ndarray, n_pixels: int) -> np.ndarray:
    """The 0/1 images (n, n_pixels) of state numbers: the inverse of state_numbers."""
    numbers = np.asarray(numbers, dtype=np.int64)
    return ((numbers[:, None] >> np.arange(n_pixels)) & 1).astype(np.float32)


def bars_and_stripes(size: int) -> TinyDataset:
    """Every size×size image whose rows are each all on or all off, or whose columns are:
    2 · 2**size − 2 distinct images (all-off and all-on are both kinds), each once."""
    rows = state_images(np.arange(1 << size), size)  # which rows (or columns) are on
    stripes = np.repeat(rows, size, axis=1)  # row r on: pixels r*size .. r*size+size-1
    bars = np.tile(rows, size)  # column j on: pixels j, j+size, ...
    images = np.unique(np.concatenate([stripes, bars]), axis=0)
    return TinyDataset(
        f"Bars and stripes {size}×{size}",
        (size, size),
        images,
        f"All {len(images)} images of full rows or full columns: a classic test because every "
        "pixel is correlated with the others in its row or column.",
    )


def shifted_squares() -> TinyDataset:
    """A 2×2 square at each of the 9 places on a 4×4 grid."""
    images = []
    for top in range(3):
        for left in range(3):
            image = np.zeros((4, 4), np.float32)
            image[top : top + 2, left : left + 2] = 1
            images.append(image.ravel())
    return TinyDataset(
        "Shifted squares 4×4",
        (4, 4),
        np.array(images),
        "A 2×2 square at each of the 9 places on a 4×4 grid: one shape, moved.",
    )


NOISY_PROTOTYPES = (
    "1111100010001111",  # a C
    "1001011001101001",  # an X
    "0110011001100110",  # a bar
)


def noisy_patterns(flip: float = 0.05, copies: int = 60, seed: int = 0) -> TinyDataset:
    """Three 4×4 patterns, each copied ``copies`` times with every pixel flipped with
    probability ``flip``: a mixture of three modes with a little noise around each."""
    random = np.random.default_rng(seed)
    prototypes = np.array([[float(c) for c in p] for p in NOISY_PROTOTYPES], np.float32)
    images = np.repeat(prototypes, copies, axis=0)
    flips = random.random(images.shape) < flip
    images = np.where(flips, 1 - images, images).astype(np.float32)
    return TinyDataset(
        "Noisy patterns 4×4",
        (4, 4),
        images,
        f"Three patterns (C, X, a bar), {copies} copies each with {flip:.0%} of pixels flipped: "
        "three modes, each with a cloud of near misses.",
    )


def own_images(images: Sequence[np.ndarray]) -> TinyDataset:
    """The user's own images: 1 to MAX_OWN_IMAGES grids of 0/1 cells, all one shape of at
    most MAX_PIXELS pixels. Raises ValueError saying what is wrong."""
    if not images:
        raise ValueError("Draw at least one image: the dataset is empty.")
    if len(images) > MAX_OWN_IMAGES:
        raise ValueError(f"{len(images)} images is more than the {MAX_OWN_IMAGES} allowed.")
    grids = [np.asarray(image) for image in images]
    shape = grids[0].shape
    if len(shape) != 2 or any(grid.shape != shape for grid in grids):
        raise ValueError("Every image must be a grid of the same shape.")
    if shape[0] * shape[1] > MAX_PIXELS:
        raise ValueError(f"{shape[0]}×{shape[1]} is more than {MAX_PIXELS} pixels.")
    if any(not np.isin(grid, (0, 1)).all() for grid in grids):
        raise ValueError("Every cell must be 0 or 1.")
    return TinyDataset(
        "Your own images",
        (int(shape[0]), int(shape[1])),
        np.array([grid.ravel() for grid in grids], np.float32),
        f"The {len(grids)} image(s) you drew, each once.",
    )


BUILT_IN = {
    "Bars and stripes 3×3": lambda: bars_and_stripes(3),
    "Bars and stripes 4×4": lambda: bars_and_stripes(4),
    "Shifted squares 4×4": shifted_squares,
    "Noisy patterns 4×4": noisy_patterns,
}


def images_to_text(images: Sequence[np.ndarray]) -> str:
    """Grids of 0/1 cells as short text for a link: "3x3:100010001.001010100"."""
    rows, columns = np.asarray(images[0]).shape
    cells = ".".join("".join(str(int(c)) for c in np.asarray(i).ravel()) for i in images)
    return f"{rows}x{columns}:{cells}"


def images_from_text(text: str) -> list[np.ndarray]:
    """The grids that images_to_text wrote; ValueError saying what is wrong with ``text``."""
    try:
        size, cells = text.split(":", 1)
        rows, columns = (int(n) for n in size.split("x"))
    except ValueError:
        raise ValueError("must look like 3x3:100010001.001010100") from None
    if (rows, columns) not in SHAPES:
        raise ValueError(f"has a {rows}×{columns} grid; the grids are 3×3 and 4×4")
    images = []
    for image in cells.split("."):
        if len(image) != rows * columns or set(image) - {"0", "1"}:
            raise ValueError(f"needs {rows * columns} cells of 0 or 1 per image")
        images.append(np.array([int(c) for c in image]).reshape(rows, columns))
    own_images(images)  # the same checks as for drawn images
    return images
