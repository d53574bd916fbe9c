"""AppTest tests of "Your own images" on the RBM and GAN pages: until an upload is there the page
says what to upload and trains nothing; a small .npy or zip is previewed and trained on by Step;
a refused upload leaves the page as it was; the share dialog says a link cannot carry them."""

from __future__ import annotations

import re

import numpy as np
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.data.own_images import OWN_IMAGES
from tests.helpers import fresh_page
from tests.test_own_images import digits_stack, npy, picture, stroke, zipped

NPY = npy(digits_stack(40))
ZIP = zipped({f"mine/{i}.png": picture(stroke(40, 30, 2 + i % 5, 6 + i % 12)) for i in range(24)})


def button(app: AppTest, label: str):
    return next(b for b in app.button if b.label == label)


def status(app: AppTest) -> tuple[str, int]:
    text = next(block.value for block in app.markdown if "step **" in block.value)
    match = re.search(r"\*\*(\w+)\*\* — step \*\*(\d+)\*\*", text)
    return match.group(1), int(match.group(2))


def upload(app: AppTest, prefix: str, name: str, data: bytes) -> AppTest:
    app.file_uploader(key=f"{prefix}_own_upload").set_value((name, data, "application/zip"))
    return app.run()


def counts(app: AppTest) -> list[str]:
    return [c.value for c in app.caption if re.match(r"[\d,]+ images, [\d,]+ skipped\.", c.value)]


def test_the_rbm_page_asks_for_images_then_trains_on_an_uploaded_npy():
    app = fresh_page("../pages/rbm.py", {"dataset": OWN_IMAGES})
    assert not app.exception
    assert app.sidebar.selectbox(key="rbm_dataset").value == OWN_IMAGES
    assert any("Upload a zip of PNG or JPEG images" in info.value for info in app.info)
    assert "Step" not in [b.label for b in app.button]  # nothing trains until then
    app = upload(app, "rbm", "mine.npy", NPY)
    assert not app.exception and not app.error
    assert counts(app) and counts(app)[0].startswith("40 images, 0 skipped.")
    captions = [c for image in app.get("image") for c in image.captions]
    assert any(c.startswith("The first 40 of your 40 images (mine.npy)") for c in captions)
    button(app, "Step").click().run()
    assert not app.exception and status(app) == ("Paused", 1)
    settings = next(j.value for j in app.json)  # the run's dataset: the upload, by name
    assert "your images (mine.npy, centred, #" in settings


def test_the_gan_page_trains_on_an_uploaded_zip_without_the_digit_judge():
    app = fresh_page("../pages/gan.py", {"dataset": OWN_IMAGES})
    assert not app.exception and "Step" not in [b.label for b in app.button]
    app.checkbox(key="gan_own_centre").uncheck()
    app = upload(app, "gan", "mine.zip", ZIP)
    assert not app.exception and not app.error
    assert counts(app)[0].startswith("24 images, 0 skipped.") and "inverted" in counts(app)[0]
    button(app, "Step").click().run()
    assert not app.exception and status(app) == ("Paused", 1)
    reading = " ".join(block.value for block in app.markdown)
    assert "cannot know what your own images are meant to be" in reading


def test_a_refused_upload_leaves_the_page_and_its_run_as_they_were():
    app = fresh_page("../pages/rbm.py", {"dataset": OWN_IMAGES})
    app = upload(app, "rbm", "mine.npy", NPY)
    button(app, "Step").click().run()
    before = (status(app), counts(app), [i.value for i in app.info])
    for name, data in [
        ("bomb.zip", zipped({"inner.zip": ZIP})),
        ("nan.npy", npy(digits_stack(12) * np.nan)),
    ]:
        app = upload(app, "rbm", name, data)
        assert not app.exception
        (error,) = app.error
        assert error.value.endswith("The images you had stay.")
        assert (status(app), counts(app), [i.value for i in app.info]) == before
        assert not button(app, "Resume").disabled  # no Reset asked for: the same images
    app.file_uploader(key="rbm_own_upload").clear()
    app.run()  # the refused file taken away: its error goes, the images stay
    assert not app.error and (status(app), counts(app)) == before[:2]
    app = upload(app, "rbm", "other.zip", ZIP)  # other images: a new model needs a Reset
    assert not app.error and counts(app)[0].startswith("24 images")
    assert any("press Reset" in info.value for info in app.info)
    button(app, "Reset").click().run()
    button(app, "Step").click().run()
    assert not app.exception and status(app) == ("Paused", 1)


def test_the_gan_page_takes_the_images_uploaded_on_the_rbm_page_of_the_same_browser():
    st.cache_resource.clear()
    pages = [
        AppTest.from_file(f"../pages/{page}.py", default_timeout=60) for page in ("rbm", "gan")
    ]
    for app in pages:  # one browser: the same key, as its cookie would give
        app.session_state["browser_key"] = "one-browser-key-for-both-pages"
        app.query_params["dataset"] = OWN_IMAGES
    rbm = upload(pages[0].run(), "rbm", "mine.npy", NPY)
    assert counts(rbm)
    gan = pages[1].run()
    assert not gan.exception and counts(gan)[0].startswith("40 images")
    captions = [c for image in gan.get("image") for c in image.captions]
    assert any("(mine.npy, uploaded on the RBM page)" in c for c in captions)


def test_the_share_dialog_says_a_link_cannot_carry_your_images():
    def page():
        import streamlit as st

        from pages.kit.presenter import share_for_class
        from pages.settings.rbm import SETTINGS

        st.session_state.setdefault("rbm_dataset", "own")
        share_for_class(SETTINGS)

    app = AppTest.from_function(page).run()
    assert not app.exception
    assert any("a link cannot carry them" in warning.value for warning in app.warning)
    assert "dataset=own" in app.code[0].value


def test_offline_after_own_images_the_page_goes_on_with_the_offline_default(monkeypatch, tmp_path):
    """A model built on your own images has no dataset name to fall back to: an online dataset
    chosen offline then falls back to the offline default, never to the images' name."""
    from pages.kit.session import PageSession, usable_dataset
    from serving.browser import free_port

    monkeypatch.setenv("RBM_GAN_MIRRORS", f"http://127.0.0.1:{free_port()}/")
    monkeypatch.setenv("RBM_GAN_CACHE", str(tmp_path))  # nothing downloaded before
    st.cache_resource.clear()
    session = PageSession(made_with=("your images (mine.npy, centred, #0123abcd)", ()))
    dataset, name = usable_dataset("mnist", session)
    assert name == "mnist-5k" and dataset.n_samples == 5000
