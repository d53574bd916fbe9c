"""Points in the plane for a GAN to learn: toy distributions, points drawn or uploaded by a
user, and how a set of generated points compares with the real ones (modes covered; KL and
JS divergences between densities estimated on a grid, as GAN Lab shows them).

Every set lies in [-1, 1]², the range of the generator's tanh output.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MAX_POINTS = 5000  # rows a user may upload
MAX_CSV_BYTES = 2 * 1024 * 1024  # 5,000 rows of two long numbers take about 250 kB
MIN_POINTS = 3  # points a user must draw or upload
DENSITY_BINS = 48  # the grid the densities are estimated on
DENSITY_BANDWIDTH = 0.05  # the smoothing of those estimates (as a fraction of the plane's side)


@dataclass(frozen=True)
class PointSet:
    """Real points (n × 2, float32, in [-1, 1]²), and the centres of its modes where known."""

    name: str
    points: np.ndarray
    description: str
    modes: np.ndarray | None = None  # (m × 2) mode centres, for counting modes covered
    mode_radius: float = 0.0  # a sample within this distance of a centre lands on that mode


def ring(n: int = 2000, modes: int = 8, radius: float = 0.7, sd: float = 0.04, seed: int = 0):
    """``modes`` Gaussians of spread ``sd`` evenly spaced on a circle: the mode-collapse test."""
    random = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(modes) / modes
    centres = radius * np.c_[np.cos(angles), np.sin(angles)]
    points = centres[random.integers(0, modes, n)] + random.normal(0, sd, (n, 2))
    return PointSet(
        f"Ring of {modes} Gaussians",
        in_plane(points),
        f"{modes} small Gaussians on a circle: a generator that finds only some of them has "
        "collapsed onto those modes.",
        centres.astype(np.float32),
        3 * sd,
    )


def grid(n: int = 2500, side: int = 5, extent: float = 0.7, sd: float = 0.03, seed: int = 0):
    """side × side Gaussians on a square grid."""
    random = np.random.default_rng(seed)
    ticks = np.linspace(-extent, extent, side)
    centres = np.array([(x, y) for y in ticks for x in ticks])
    points = centres[random.integers(0, len(centres), n)] + random.normal(0, sd, (n, 2))
    return PointSet(
        f"{side}×{side} grid of Gaussians",
        in_plane(points),
        f"{side * side} small Gaussians on a grid: harder than the ring, with more modes closer "
        "together.",
        centres.astype(np.float32),
        3 * sd,
    )


def moons(n: int = 2000, noise: float = 0.05, seed: int = 0) -> PointSet:
    """Two interleaved half circles."""
    random = np.random.default_rng(seed)
    upper = random.random(n) < 0.5
    t = random.random(n) * np.pi
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    points = (np.c_[x - 0.5, y - 0.25] * 0.5) + random.normal(0, noise, (n, 2))
    return PointSet(
        "Two moons",
        in_plane(points),
        "Two interleaved half circles: one connected noise space must be bent into two curves.",
    )


def spiral(n: int = 2000, turns: float = 1.75, noise: float = 0.02, seed: int = 0) -> PointSet:
    """One arm of a spiral, denser towards the centre."""
    random = np.random.default_rng(seed)
    t = np.sqrt(random.random(n)) * turns * 2 * np.pi
    r = 0.85 * t / (turns * 2 * np.pi)
    points = np.c_[r * np.cos(t), r * np.sin(t)] + random.normal(0, noise, (n, 2))
    return PointSet(
        "Spiral",
        in_plane(points),
        "A spiral arm: the generator must stretch the noise into a long, curled line.",
    )


def single_gaussian(n: int = 2000, sd: float = 0.15, seed: int = 0) -> PointSet:
    """One Gaussian off the centre: the easiest case, to watch the game settle."""
    random = np.random.default_rng(seed)
    centre = np.array([[0.3, -0.2]])
    points = centre + random.normal(0, sd, (n, 2))
    return PointSet(
        "Single Gaussian",
        in_plane(points),
        "One Gaussian: the generator only has to move and shape its noise.",
        centre.astype(np.float32),
        3 * sd,
    )


def in_plane(points: np.ndarray) -> np.ndarray:
    """Points as float32, a Gaussian's rare far tail pulled back inside G's range (−1, 1)²."""
    return np.clip(points, -0.98, 0.98).astype(np.float32)


BUILT_IN = {
    "Ring of 8 Gaussians": ring,
    "5×5 grid of Gaussians": grid,
    "Two moons": moons,
    "Spiral": spiral,
    "Single Gaussian": single_gaussian,
}


def fitted(points: np.ndarray, margin: float = 0.85) -> np.ndarray:
    """Points moved and scaled (the same factor on both axes) into [-margin, margin]²."""
    low, high = points.min(axis=0), points.max(axis=0)
    centre = low / 2 + high / 2  # not (low + high) / 2, which overflows near 1e308
    half = float((high / 2 - low / 2).max()) or 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        result = (points - centre) / half * margin
    if not np.isfinite(result).all():
        raise ValueError("The numbers are too large to place in the plane.")
    return result.astype(np.float32)


def user_points(points: np.ndarray, name: str, description: str) -> PointSet:
    """A user's points as a set to train on; ValueError when there are too few or too many."""
    points = np.asarray(points, dtype=np.float64)
    if len(points) < MIN_POINTS:
        raise ValueError(f"{len(points)} point(s): place at least {MIN_POINTS}.")
    if len(points) > MAX_POINTS:
        raise ValueError(f"{len(points):,} points is more than the {MAX_POINTS:,} allowed.")
    return PointSet(name, fitted(points), description)


def points_from_csv(data: bytes) -> PointSet:
    """x, y rows from a CSV file (a header row is allowed), moved and scaled into the plane.
    ValueError with a sentence for anything else."""
    if len(data) > MAX_CSV_BYTES:
        raise ValueError(
            f"The file is {len(data) / 1e6:.1f} MB; a CSV of at most {MAX_POINTS:,} x,y rows "
            f"takes at most {MAX_CSV_BYTES / 1e6:.0f} MB here."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("The file is not text (UTF-8): upload a CSV of x,y rows.") from None
    rows = []
    try:
        for row in csv.reader(io.StringIO(text)):
            if any(cell.strip() for cell in row):
                rows.append(row)
            if len(rows) > MAX_POINTS + 1:  # a header and more rows than allowed: stop reading
                break
    except csv.Error as error:  # a field over csv's limit, a stray quote at the end
        raise ValueError(f"The file is not a CSV of x,y rows ({error}).") from None
    if not rows:
        raise ValueError("The file is empty: upload a CSV of x,y rows.")
    if len(rows[0]) >= 2 and not _is_number(rows[0][0]) and not _is_number(rows[0][1]):
        rows = rows[1:]  # a header
    if len(rows) > MAX_POINTS:
        raise ValueError(
            f"The file has over {MAX_POINTS:,} rows; at most {MAX_POINTS:,} are allowed."
        )
    points = []
    for number, row in enumerate(rows, start=1):
        if len(row) != 2:
            raise ValueError(f"Row {number} has {len(row)} columns; each row must be x,y.")
        if not (_is_number(row[0]) and _is_number(row[1])):
            raise ValueError(f"Row {number} ({', '.join(row)[:40]}) is not two numbers.")
        x, y = float(row[0]), float(row[1])
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(f"Row {number} holds a NaN or an infinity.")
        points.append((x, y))
    return user_points(
        np.array(points),
        "Uploaded points",
        f"{len(points):,} points from your file, scaled to fit.",
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def points_from_canvas(objects: Sequence[dict], width: int, height: int) -> np.ndarray:
    """The centres of the circles drawn on a canvas (streamlit-drawable-canvas's point tool),
    as plane coordinates: the canvas's left edge at x = −1, its top at y = +1."""
    centres = []
    for item in objects:
        if item.get("type") != "circle" and item.get("type") != "Circle":
            continue
        extent = float(item.get("radius", 0)) * float(item.get("scaleX", 1))
        stroke = float(item.get("strokeWidth", 0)) / 2
        x = float(item["left"]) + (extent + stroke if item.get("originX") == "left" else 0)
        y = float(item["top"]) + (extent + stroke if item.get("originY") == "top" else 0)
        centres.append((2 * x / width - 1, 1 - 2 * y / height))
    return np.array(centres, dtype=np.float32).reshape(-1, 2)


def spread_drawn_points(centres: np.ndarray, n: int = 1000, sd: float = 0.03, seed: int = 0):
    """A few placed points as a distribution: n samples, each a placed point plus a little
    Gaussian noise (a handful of points alone would be memorised, not learned)."""
    random = np.random.default_rng(seed)
    picks = centres[random.integers(0, len(centres), n)]
    return np.clip(picks + random.normal(0, sd, (n, 2)), -0.98, 0.98).astype(np.float32)


# ---- how generated points compare with the real ones ---------------------------------------


@dataclass(frozen=True)
class Coverage:
    """Modes covered: how many hold at least a fifth of their fair share of the samples."""

    covered: int
    modes: int
    counts: np.ndarray  # samples landing on each mode
    on_a_mode: float  # the share of samples within mode_radius of some mode


def mode_coverage(samples: np.ndarray, modes: np.ndarray, radius: float) -> Coverage:
    """Each sample lands on its nearest mode if within ``radius``; a mode is covered when at
    least a fifth of len(samples) / len(modes) land on it."""
    distances = np.linalg.norm(samples[:, None, :] - modes[None, :, :], axis=2)
    nearest, close = distances.argmin(axis=1), distances.min(axis=1) <= radius
    counts = np.bincount(nearest[close], minlength=len(modes))
    covered = int((counts >= 0.2 * len(samples) / len(modes)).sum())
    return Coverage(covered, len(modes), counts, float(close.mean()))


def grid_centres(bins: int = DENSITY_BINS) -> np.ndarray:
    """The centres of a bins × bins grid over [-1, 1]², row by row from the top (y = +1)."""
    ticks = (np.arange(bins) + 0.5) / bins * 2 - 1
    x, y = np.meshgrid(ticks, ticks[::-1])
    return np.c_[x.ravel(), y.ravel()].astype(np.float32)


def grid_density(
    points: np.ndarray, bins: int = DENSITY_BINS, bandwidth: float = DENSITY_BANDWIDTH
) -> np.ndarray:
    """A density estimate on the grid (rows from the top, as grid_centres): a histogram
    smoothed by a Gaussian of ``bandwidth`` (plane units), floored and normalised to sum to 1."""
    edges = np.linspace(-1, 1, bins + 1)
    counts, _, _ = np.histogram2d(points[:, 1], points[:, 0], bins=(edges, edges))
    counts = counts[::-1]  # y from the top
    sigma = bandwidth / (2 / bins)  # in cells
    offsets = np.arange(-math.ceil(3 * sigma), math.ceil(3 * sigma) + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    smooth = np.apply_along_axis(lambda r: np.convolve(r, kernel, mode="same"), 1, counts)
    smooth = np.apply_along_axis(lambda c: np.convolve(c, kernel, mode="same"), 0, smooth)
    smooth = smooth + 1e-6 * smooth.sum() / smooth.size + 1e-12
    return smooth / smooth.sum()


def kl_and_js(p: np.ndarray, q: np.ndarray) -> tuple[float, float]:
    """KL(p ‖ q) and the Jensen–Shannon divergence between two distributions on one grid,
    in nats (JS lies between 0 and log 2)."""
    p, q = np.asarray(p, dtype=float).ravel(), np.asarray(q, dtype=float).ravel()
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2

    def kl(a: np.ndarray, b: np.ndarray) -> float:
        keep = a > 0
        with np.errstate(divide="ignore"):  # q = 0 where p > 0: KL is infinite, and says so
            return float((a[keep] * np.log(a[keep] / b[keep])).sum())

    return kl(p, q), 0.5 * kl(p, m) + 0.5 * kl(q, m)
