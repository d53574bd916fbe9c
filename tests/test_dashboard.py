"""The home page renders the introduction, the formulas and the links."""

import pytest
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


@pytest.mark.slow
def test_home_page_shows_real_digits_beside_what_the_shipped_models_draw():
    from core.judge.classifier import load_classifier
    from core.rbm.dreams import judge
    from pages.views.showcase import gan_samples, rbm_dreams, real_digits

    app = AppTest.from_file("../pages/navigation.py", default_timeout=60).run()
    captions = [c for image in app.get("image") for c in image.captions]
    assert captions[:3] == [
        "Real digits (mnist-5k)",
        "Dreamed by the pretrained RBM, from noise",
        "Drawn by the pretrained GAN, from noise",
    ]
    # what they show: the judge reads digits in each
    judge_net = load_classifier("assets/mnist_classifier.pt")
    real = real_digits()
    for pixels in (real, rbm_dreams(), gan_samples()):
        assert pixels.shape == (16, 784) and judge(judge_net, pixels).recognised >= 0.5
    assert judge(judge_net, real).classes_with(1 / 16) >= 8  # real digits of most kinds
