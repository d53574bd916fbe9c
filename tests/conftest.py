"""Fixtures the test modules share."""

from __future__ import annotations

import pytest

from core.data import load_dataset


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's 8×8 digits (offline, small): loaded once for the whole run."""
    return load_dataset("digits")
