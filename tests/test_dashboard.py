"""The dashboard entry point renders without an exception."""

from streamlit.testing.v1 import AppTest


def test_home_page_renders_title_and_formulas():
    app = AppTest.from_file("../dashboard.py", default_timeout=30).run()
    assert not app.exception
    assert "RBMs and GANs" in app.title[0].value
    assert any("F(v)" in block.value for block in app.latex)
