"""An online dataset chosen while offline: both training pages say why it cannot be had and
go on with the model they have, every view in place (AppTest, downloads pointed at a port on
127.0.0.1 where nothing listens)."""

from __future__ import annotations

import pytest

from serving.browser import free_port
from tests.helpers import fresh_page


@pytest.fixture
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("RBM_GAN_MIRRORS", f"http://127.0.0.1:{free_port()}/")
    monkeypatch.setenv("RBM_GAN_CACHE", str(tmp_path))  # nothing downloaded before


@pytest.mark.parametrize(
    "path, prefix, watched",
    [("../pages/rbm.py", "rbm", "Training images v"), ("../pages/gan.py", "gan", "G(z)")],
)
@pytest.mark.slow
def test_an_online_dataset_chosen_offline_keeps_the_page(offline, path, prefix, watched):
    app = fresh_page(path, {"dataset": "digits"})
    next(b for b in app.button if b.label == "Step").click().run()
    assert not app.exception and not app.error
    app.sidebar.selectbox(key=f"{prefix}_dataset").set_value("mnist").run()
    assert not app.exception
    (error,) = app.error
    assert "mnist" in error.value and "The page goes on with digits." in error.value
    # the rest of the page is there, with the model it had: no Reset asked for, its step kept
    labels = {b.label for b in app.button}
    assert {"Start", "Step", "Reset"} <= labels and not app.info
    status = next(block.value for block in app.markdown if "step **" in block.value)
    assert "step **1**" in status
    captions = " ".join(c for image in app.get("image") for c in image.captions)
    assert watched in captions
    next(b for b in app.button if b.label == "Step").click().run()
    assert "step **2**" in next(block.value for block in app.markdown if "step **" in block.value)
