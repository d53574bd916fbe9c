"""The home page renders the introduction, the formulas and the links."""

from streamlit.testing.v1 import AppTest


def test_home_page_renders_title_formulas_and_links():
    app = AppTest.from_file("../pages/navigation.py", default_timeout=30).run()
    assert not app.exception
    assert "RBMs and GANs" in app.title[0].value
    formulas = " ".join(block.value for block in app.latex)
    assert "E(v,h)" in formulas and "F(v)" in formulas
    assert r"\min_G \max_D" in formulas and "D(G(z))" in formulas
    assert [header.value for header in app.subheader] == [
        "Restricted Boltzmann Machine",
        "Generative Adversarial Network",
        "RBM up close",
        "GAN in 2-D",
    ]
    assert r"Z = \sum_{v}" in formulas
