"""The drawing pad's strokes made pixels (core/data/strokes.py): drawn where they were drawn,
with the pen's width and round ends, made MNIST-like like any drawing; whatever a browser sends
instead is refused with a sentence, fuzzed."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data.drawn import mnist_like
from core.data.strokes import MAX_POINTS, MAX_STROKES, checked_strokes, strokes_image

FUZZ = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
SIDE, PEN = 280, 22


def test_a_stroke_is_drawn_where_it_was_drawn_with_the_pen_s_width():
    image = strokes_image([[[140, 60], [140, 220]]], SIDE, PEN)
    assert image.shape == (SIDE, SIDE) and image.dtype == np.uint8
    rows, cols = np.nonzero(image)
    # round ends: the ink reaches half a pen beyond each end, and is one pen wide
    assert rows.min() == pytest.approx(60 - PEN / 2, abs=1.5)
    assert rows.max() == pytest.approx(220 + PEN / 2, abs=1.5)
    assert cols.max() - cols.min() + 1 == pytest.approx(PEN, abs=1.5)
    assert image[140, 140] == 255 and image[140, 100] == 0


def test_a_single_touch_is_a_dot_of_the_pen_s_size():
    image = strokes_image([[[50.5, 70.25]]], SIDE, PEN)
    area = (image > 0).sum()
    assert area == pytest.approx(np.pi * (PEN / 2) ** 2, rel=0.15)


def test_a_drawn_one_becomes_an_upright_centred_mnist_one():
    digit = mnist_like(strokes_image([[[100, 40], [104, 140], [108, 250]]], SIDE, PEN))
    rows, cols = np.nonzero(digit > 0.5)
    assert rows.max() - rows.min() + 1 >= 18  # its height fills the 20-pixel box
    assert cols.max() - cols.min() + 1 <= 6  # and it stays a narrow stroke
    mass = (digit * np.arange(28)[:, None]).sum() / digit.sum()
    assert mass == pytest.approx(14, abs=1)


def test_a_stroke_that_runs_off_the_pad_is_cut_where_the_pad_ends():
    # held down, the pen went on past the bottom edge: ink down to the edge, none along it
    image = strokes_image([[[140, 200], [140, 900]]], SIDE, PEN)
    assert image[SIDE - 1, 140] == 255 and image[SIDE - 1, :100].sum() == 0
    assert checked_strokes([[[-1e9, 10], [1e9, 290.5]]], SIDE) == [[(-280.0, 10.0), (560.0, 290.5)]]
    assert not strokes_image([[[-500, -500], [-300, -400]]], SIDE, PEN).any()  # all off the pad


def test_empty_strokes_are_dropped():
    assert checked_strokes([[], [[1, 2]], []], SIDE) == [[(1.0, 2.0)]]
    assert not strokes_image([], SIDE, PEN).any()


@pytest.mark.parametrize(
    "strokes,match",
    [
        ("a seven", "list of strokes"),
        ({"x": 1}, "list of strokes"),
        ([5, [[1, 2]]], "not a list of points"),
        ([[1, 2]], "two finite numbers"),
        ([[[1, 2, 3]]], "two finite numbers"),
        ([[[1, float("nan")]]], "two finite numbers"),
        ([[[1, float("inf")]]], "two finite numbers"),
        ([[[1, True]]], "two finite numbers"),
        ([[["1", 2]]], "two finite numbers"),
        ([[[1, 10**400]]], "two finite numbers"),
        ([[[1, 2]]] * (MAX_STROKES + 1), "at most"),
        ([[[1, 2]] * (MAX_POINTS // 2 + 1)] * 2, "clear it and redraw"),
    ],
)
def test_malformed_strokes_are_refused_with_a_sentence(strokes, match):
    with pytest.raises(ValueError, match=match):
        strokes_image(strokes, SIDE, PEN)


@pytest.mark.parametrize("side,pen", [(0, 1), (5000, 22), (280, 0), (280, 300), (280.0, 22)])
def test_a_pad_of_impossible_size_is_refused(side, pen):
    with pytest.raises(ValueError, match="pixels per side"):
        strokes_image([[[1, 2]]], side, pen)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=60,
)


@FUZZ
@given(JSON_VALUES)
def test_whatever_a_browser_sends_is_drawn_or_refused_with_a_sentence(strokes):
    try:
        image = strokes_image(strokes, SIDE, PEN)
    except ValueError as error:
        assert str(error).endswith(".")
    else:
        assert image.shape == (SIDE, SIDE)


@FUZZ
@given(
    st.lists(
        st.lists(
            st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)).map(list),
            min_size=1,
            max_size=30,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_real_drawing_round_trips_through_json_and_is_drawn_where_the_pad_shows_it(strokes):
    image = strokes_image(json.loads(json.dumps(strokes)), SIDE, PEN)
    assert image.shape == (SIDE, SIDE)
    inside = [[p for p in stroke if 0 <= p[0] <= SIDE and 0 <= p[1] <= SIDE] for stroke in strokes]
    if any(inside):  # a point on the pad leaves its dot of ink there
        x, y = next(p for stroke in inside for p in stroke)
        assert image[min(int(y), SIDE - 1), min(int(x), SIDE - 1)] == 255
