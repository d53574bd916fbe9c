"""Helpers the tests share: a small RBM run on the 8×8 digits, waiting for a condition, and
reading an SVG."""

from __future__ import annotations

import time

from core.training.rbm_job import RBMJob, RBMJobSettings
from core.training.runs import TrainingRun


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


def page_charts(app) -> list:
    """The (root, namespace) of every SVG picture an AppTest page shows: its charts."""
    import base64

    prefix = "data:image/svg+xml;base64,"
    return [
        parsed_svg(base64.b64decode(image.url[len(prefix) :]).decode())
        for element in app.get("image")
        for image in element.proto.imgs
        if image.url.startswith(prefix)
    ]


def chart_words(app) -> str:
    """Every text of the page's SVG charts (titles, legends, placeholders), one per line."""
    return "\n".join(t.text or "" for root, ns in page_charts(app) for t in root.iter(f"{ns}text"))


def chart_marks(app, label: str, title: str = "") -> list:
    """The elements (lines, points, bars) drawn for ``label`` in the page's SVG charts (those
    with a text starting ``title``)."""
    return [
        element
        for root, ns in page_charts(app)
        if any((t.text or "").startswith(title) for t in root.iter(f"{ns}text"))
        for element in root.iter()
        if element.get("data-label") == label
    ]


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


def damage(draw, data: bytes) -> bytes:
    """``data`` with bytes overwritten, cut or inserted, one to four times (for a hypothesis
    ``@st.composite`` strategy's ``draw``): what a broken download or a hostile edit leaves."""
    from hypothesis import strategies as st

    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["overwrite", "cut", "insert"]))
        patch = draw(st.binary(min_size=1, max_size=8))
        if action == "overwrite":
            data[position : position + len(patch)] = patch
        elif action == "cut":
            del data[position:]
        else:
            data[position:position] = patch
    return bytes(data)
