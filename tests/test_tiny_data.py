"""Tiny binary datasets: bars and stripes, the other built-ins, your own images and their link."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.tiny import (
    BUILT_IN,
    MAX_OWN_IMAGES,
    bars_and_stripes,
    images_from_text,
    images_to_text,
    noisy_patterns,
    own_images,
    state_images,
    state_numbers,
)


@pytest.mark.parametrize("size", [3, 4])
def test_bars_and_stripes_are_every_image_of_full_rows_or_full_columns(size):
    data = bars_and_stripes(size)
    assert data.images.shape == (2 * 2**size - 2, size * size)
    assert len(np.unique(data.images, axis=0)) == len(data.images)
    for image in data.images.reshape(-1, size, size):
        rows_full = all(row.min() == row.max() for row in image)
        columns_full = all(column.min() == column.max() for column in image.T)
        assert rows_full or columns_full
    # each distinct image equally often: H(data) = log(count)
    assert data.entropy() == pytest.approx(np.log(len(data.images)))


def test_state_numbers_follow_the_pixels_and_round_trip():
    images = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [1, 1, 0, 1]], np.float32)
    assert state_numbers(images).tolist() == [1, 8, 11]
    assert (state_images(state_numbers(images), 4) == images).all()


def test_the_distribution_counts_repeats_most_frequent_first():
    data = own_images([np.eye(3), np.eye(3), np.ones((3, 3)), np.eye(3)])
    codes, p = data.distribution()
    assert p.tolist() == [0.75, 0.25]
    assert codes.tolist() == [state_numbers(np.eye(3).reshape(1, -1))[0], 511]


def test_noisy_patterns_are_reproducible_and_stay_near_their_prototypes():
    first, again = noisy_patterns(seed=3), noisy_patterns(seed=3)
    assert (first.images == again.images).all()
    assert not (first.images == noisy_patterns(seed=4).images).all()
    assert first.images.shape == (180, 16)
    assert 0.02 < np.abs(np.diff(first.images[:60], axis=0)).mean() < 0.2  # noisy copies


def test_every_built_in_fits_an_exact_model():
    for name, make in BUILT_IN.items():
        data = make()
        assert data.n_pixels <= 16 and data.images.shape[1] == data.n_pixels, name
        assert set(np.unique(data.images)) <= {0.0, 1.0}


@pytest.mark.parametrize(
    ("images", "message"),
    [
        ([], "at least one"),
        ([np.zeros((3, 3))] * (MAX_OWN_IMAGES + 1), "more than"),
        ([np.zeros((3, 3)), np.zeros((4, 4))], "same shape"),
        ([np.zeros((5, 4))], "more than 16 pixels"),
        ([np.full((3, 3), 2)], "0 or 1"),
    ],
)
def test_own_images_refuse_what_cannot_be_trained_on(images, message):
    with pytest.raises(ValueError, match=message):
        own_images(images)


def test_own_images_travel_in_a_link():
    images = [np.eye(4, dtype=int), np.ones((4, 4), int)]
    text = images_to_text(images)
    assert text == "4x4:1000010000100001.1111111111111111"
    assert all((a == b).all() for a, b in zip(images_from_text(text), images, strict=True))
    for bad in ("nonsense", "5x5:1", "3x3:10", "3x3:10001000x", "4x4:" + ".".join(["0" * 16] * 13)):
        with pytest.raises(ValueError):
            images_from_text(bad)
