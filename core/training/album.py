"""A run's album: its samples at fixed steps (1, 3, 10, 30, 100, …), kept small, so that an
earlier run (a ghost, pages.kit.ghosts) can be shown beside today's at the same step.

The worker draws pictures every so many seconds, at whatever step it is on; at an album's step
it draws them whatever the time, so two runs' pages are taken at exactly the same steps. A page
is the job's samples (its ``ALBUM_KEY`` picture): at most ``ALBUM_IMAGES`` images as uint8, a
quarter of float32's memory, or the plane's points as they are.
"""

from __future__ import annotations

import numpy as np

ALBUM_IMAGES = 32  # samples (or points, on the plane) kept per page


def album_step(step: int) -> bool:
    """Whether ``step`` is one of 1, 3, 10, 30, 100, 300, …: two pages per tenfold."""
    if step < 1:
        return False
    power = 10 ** (len(str(int(step))) - 1)
    return step in (power, 3 * power)


class Album:
    """Pages (step, samples) of one run, for a job whose pictures hold ``key`` (None: the job
    keeps no album). Samples in [0, 1] are kept as uint8; points (the plane's) as float32."""

    def __init__(self, key: str | None) -> None:
        self.key = key
        self.pages: list[tuple[int, np.ndarray]] = []

    def due(self, step: int) -> bool:
        return self.key is not None and album_step(step)

    def keep(self, step: int, pictures: dict[str, np.ndarray]) -> None:
        """Keep the pictures' samples when ``step`` is an album step not yet kept."""
        if not self.due(step) or self.key not in pictures:
            return
        if self.pages and self.pages[-1][0] >= step:
            return
        samples = np.asarray(pictures[self.key])
        if samples.ndim == 2 and samples.shape[1] == 2:  # points in the plane: all (a few kB)
            page = samples.astype(np.float32)
        else:
            page = np.clip(np.round(samples[:ALBUM_IMAGES] * 255), 0, 255).astype(np.uint8)
        self.pages.append((int(step), page))


def page_at(pages, step: int) -> tuple[int, np.ndarray] | None:
    """The page kept at ``step`` exactly, or None."""
    return next((page for page in pages if page[0] == step), None)


def as_images(page: np.ndarray) -> np.ndarray:
    """A page's samples back in [0, 1] (points unchanged)."""
    return page.astype(np.float32) / 255 if page.dtype == np.uint8 else page
