"""Points in the plane: the toy distributions, uploaded and drawn points, modes covered, and
the grid's KL and JS against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.data.toy2d import (
    BUILT_IN,
    MAX_POINTS,
    grid_centres,
    grid_density,
    kl_and_js,
    mode_coverage,
    points_from_canvas,
    points_from_csv,
    ring,
)


@pytest.mark.parametrize("name", list(BUILT_IN))
def test_every_toy_set_lies_in_the_plane_and_repeats_with_its_seed(name):
    make = BUILT_IN[name]
    first, again, other = make(seed=1), make(seed=1), make(seed=2)
    assert first.points.shape[1] == 2 and first.points.dtype == np.float32
    assert np.abs(first.points).max() < 1  # inside G's tanh range
    assert (first.points == again.points).all() and not (first.points == other.points).all()


def test_the_ring_has_eight_evenly_spaced_modes_and_its_points_sit_on_them():
    data = ring(n=4000)
    assert data.modes.shape == (8, 2)
    assert np.allclose(np.linalg.norm(data.modes, axis=1), 0.7)
    coverage = mode_coverage(data.points, data.modes, data.mode_radius)
    assert coverage.covered == 8 and coverage.on_a_mode > 0.98
    assert coverage.counts.min() > 0.8 * 4000 / 8


def test_mode_coverage_counts_constructed_samples_right():
    modes = ring().modes
    three = np.repeat(modes[:3], 100, axis=0) + 0.01  # all samples on three modes
    assert mode_coverage(three, modes, 0.12).covered == 3
    lonely = np.concatenate([np.repeat(modes[:1], 299, axis=0), modes[1:2]])  # one stray
    assert mode_coverage(lonely, modes, 0.12).covered == 1  # one sample is not coverage
    centre = np.zeros((200, 2))  # in the ring's hole: on no mode
    result = mode_coverage(centre, modes, 0.12)
    assert result.covered == 0 and result.on_a_mode == 0


def gaussian_on_grid(mean, sd: float, bins: int) -> np.ndarray:
    centres = grid_centres(bins).astype(float)
    density = np.exp(-((centres - mean) ** 2).sum(axis=1) / (2 * sd**2))
    return density / density.sum()


def test_kl_on_the_grid_matches_the_closed_form_for_two_gaussians():
    """KL(N(μ₁, σ²I) ‖ N(μ₂, σ²I)) = ‖μ₁ − μ₂‖² / (2σ²)."""
    sd, first, second = 0.15, np.array([-0.1, 0.0]), np.array([0.15, 0.1])
    p, q = gaussian_on_grid(first, sd, 200), gaussian_on_grid(second, sd, 200)
    kl, js = kl_and_js(p, q)
    assert kl == pytest.approx(((first - second) ** 2).sum() / (2 * sd**2), rel=1e-3)
    # JS has no closed form here: against a Monte-Carlo estimate with the exact densities
    random = np.random.default_rng(0)

    def log_density(x, mean):
        return -((x - mean) ** 2).sum(axis=1) / (2 * sd**2)

    def half(mean_a, mean_b):
        x = random.normal(mean_a, sd, (200_000, 2))
        a, b = log_density(x, mean_a), log_density(x, mean_b)
        return (math.log(2) + a - np.logaddexp(a, b)).mean()

    assert js == pytest.approx(0.5 * half(first, second) + 0.5 * half(second, first), abs=3e-3)


def test_js_is_zero_for_the_same_density_and_log_2_for_disjoint_ones():
    p = gaussian_on_grid(np.array([0.3, 0.3]), 0.05, 100)
    q = gaussian_on_grid(np.array([-0.5, -0.5]), 0.05, 100)
    assert kl_and_js(p, p) == (0.0, 0.0)
    assert kl_and_js(p, q)[1] == pytest.approx(math.log(2), abs=1e-6)


def test_the_density_estimate_of_samples_approaches_their_density():
    random = np.random.default_rng(1)
    samples = random.normal([0.2, -0.1], 0.2, (50_000, 2))
    estimate = grid_density(samples)
    exact = gaussian_on_grid(np.array([0.2, -0.1]), 0.2, estimate.shape[0])
    assert estimate.sum() == pytest.approx(1.0)
    assert kl_and_js(exact, estimate)[0] < 0.02  # the smoothing adds a little spread
    far = grid_density(random.normal([-0.6, 0.6], 0.05, (5000, 2)))
    assert kl_and_js(exact, far)[1] > 0.6  # nearly disjoint: near log 2


def test_a_good_csv_is_read_with_or_without_a_header_and_fitted_into_the_plane():
    points = points_from_csv(b"x,y\n0,0\n10,5\n20,10\n").points
    assert points.shape == (3, 2) and np.abs(points).max() == pytest.approx(0.85)
    assert np.allclose(points[:, 1] - points[:, 1].mean(), (points[:, 0] - points[:, 0].mean()) / 2)
    assert points_from_csv(b"1,2\n3,4\n5,7\n").points.shape == (3, 2)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\xff\xfe\x00bin", "not text"),
        (b"x,y,z\n1,2,3\n4,5,6\n7,8,9\n", "3 columns"),
        (b"1,2\n3,nan\n5,6\n", "NaN"),
        (b"1,2\n3,four\n5,6\n", "not two numbers"),
        (b"1,2\n3,4\n", "at least 3"),
        (("\n".join(["1,2"] * (MAX_POINTS + 1))).encode(), "at most"),
    ],
)
def test_a_bad_csv_is_refused_with_its_reason(data, reason):
    with pytest.raises(ValueError, match=reason):
        points_from_csv(data)


def test_circles_drawn_on_the_canvas_become_points_in_the_plane():
    # what streamlit-drawable-canvas's point tool returned for clicks at (50, 60) and (300, 300)
    # on a 320 × 320 canvas (radius 4, stroke 20: the circle's box starts 14 left of centre)
    objects = [
        {"type": "Circle", "left": 36, "top": 60, "radius": 4, "strokeWidth": 20,
         "originX": "left", "originY": "center", "scaleX": 1},
        {"type": "Circle", "left": 286, "top": 300, "radius": 4, "strokeWidth": 20,
         "originX": "left", "originY": "center", "scaleX": 1},
        {"type": "path", "left": 1, "top": 1},
    ]  # fmt: skip
    points = points_from_canvas(objects, 320, 320)
    assert np.allclose(points, [[50 / 160 - 1, 1 - 60 / 160], [300 / 160 - 1, 1 - 300 / 160]])


def test_the_kl_floor_sentence_of_the_2d_page_holds():
    """The page says: one of the ring's eight modes missed gives about 1.6 nats of KL, two
    about 3.6, and JS about 0.04 more a mode (the grid's floor sets KL where G is absent)."""
    real = ring()
    generated = ring(seed=1)
    rng = np.random.default_rng(2)

    def without(modes: tuple[int, ...]) -> np.ndarray:
        far = np.ones(len(generated.points), dtype=bool)
        for mode in modes:
            far &= np.linalg.norm(generated.points - generated.modes[mode], axis=1) > 0.2
        kept = generated.points[far]
        return np.concatenate([kept, kept[rng.integers(0, len(kept), (~far).sum())]])

    target = grid_density(real.points)
    kl_all, js_all = kl_and_js(target, grid_density(generated.points))
    kl_one, js_one = kl_and_js(target, grid_density(without((0,))))
    kl_two, js_two = kl_and_js(target, grid_density(without((0, 4))))
    assert kl_all < 0.05
    assert 1.4 < kl_one < 1.9 and 3.2 < kl_two < 4.0
    assert 0.02 < js_one - js_all < 0.06 and 0.06 < js_two - js_all < 0.12
