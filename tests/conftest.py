"""Fixtures the test modules share, in a process tuned as the dashboard's server is."""

from __future__ import annotations

import pytest

from core.data.datasets import load_dataset
from core.training.process import tune_process

# The pages and runs are tested as the dashboard serves them, after its one process-tuning
# call; that importing the engine alone changes nothing is checked in a fresh process
# (test_process.py).
tune_process()


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's 8×8 digits (offline, small): loaded once for the whole run."""
    return load_dataset("digits")


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, one per test module (the modules that use it
    skip themselves where Chromium is missing)."""
    from playwright.sync_api import sync_playwright

    from serving.browser import CHROMIUM, CHROMIUM_FLAGS

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()
