"""Helpers the tests share: a small RBM run on the 8×8 digits, waiting for a condition, and
reading an SVG."""

from __future__ import annotations

import time

from core.jobs import RBMJob, RBMJobSettings
from core.runs import TrainingRun


def rbm_run(digits, **overrides) -> TrainingRun:
    settings = RBMJobSettings(hidden_units=16, batch_size=20, **overrides)
    return TrainingRun(RBMJob(digits, settings), picture_interval=0.05)


def wait_for(condition, timeout=10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def parsed_svg(text: str):
    """An SVG document's root element and namespace prefix; raises unless it is well-formed."""
    import xml.etree.ElementTree as ElementTree

    root = ElementTree.fromstring(text)  # raises on anything that is not well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root, "{http://www.w3.org/2000/svg}"


def fresh_page(path: str, query: dict | None = None):
    """A page in AppTest as a fresh browser session (its own run), opened with ``query`` as
    its link's parameters."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_resource.clear()
    app = AppTest.from_file(path, default_timeout=60)
    for key, value in (query or {}).items():
        app.query_params[key] = value
    return app.run()
