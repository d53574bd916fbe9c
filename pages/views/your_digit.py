"""Your digit, on the RBM and GAN pages: drawn on a pad (mouse, pen or touch) or a photo
uploaded, made MNIST-like by core.data.drawn (cropped to the ink, a 20×20 box, centred by its
centre of mass in 28×28), and the judge's reading of it in a sentence."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.data.drawn import image_from_bytes, mnist_like
from core.rbm.dreams import RECOGNISED_AT
from pages.kit.drawing_pad import drawing_pad

CANVAS = 280  # screen pixels: ten to an MNIST pixel
PEN = 22  # an MNIST stroke is about two pixels of 28 wide


def drawn_digit(prefix: str) -> np.ndarray | None:
    """The visitor's digit as 28×28 pixels in [0, 1] (ink 1), or None with a hint: a photo
    when one is uploaded, else the pad."""
    draw, upload = st.columns([3, 2])
    with draw:
        try:
            drawing = drawing_pad(f"{prefix}_digit_pad", CANVAS, PEN, "Draw one digit here")
            refused = None
        except ValueError as error:  # strokes that did not check: a message, nothing kept
            drawing, refused = None, error
    with upload:
        photo = st.file_uploader(
            "…or a photo of one handwritten digit (PNG or JPEG)",
            type=["png", "jpg", "jpeg"],
            key=f"{prefix}_digit_photo",
        )
        st.caption(
            "Dark ink on light paper or light on dark: it is cropped to the ink, scaled into a "
            "20×20 box and centred by its centre of mass, as MNIST's digits were."
        )
    try:
        if photo is not None:
            return mnist_like(image_from_bytes(photo.getvalue()))
        if drawing is None:
            raise refused or ValueError(
                "Draw something first: a digit on the pad, or upload a photo."
            )
        return mnist_like(drawing)
    except ValueError as error:  # an empty canvas, or a photo that is not one
        st.caption(f":material/draw: {error}")
        return None


def judge_sentence(classifier, image: np.ndarray) -> str:
    """What the reference CNN reads in one 28×28 image, in a sentence."""
    if classifier is None:
        return "No judge for these images: the reference CNN knows digits only."
    probabilities = classifier.predict(image.reshape(1, -1).astype(np.float32))[0][0]
    best = int(np.argmax(probabilities))
    if best >= 10:
        return f"The judge calls it not a digit (p = {probabilities[best]:.2f})."
    if probabilities[best] >= RECOGNISED_AT:
        return f"The judge reads a {best} (p = {probabilities[best]:.2f})."
    return f"The judge is unsure: a {best} at best (p = {probabilities[best]:.2f})."
