"""Your digit on the GAN page: D's verdict on it, placed among its verdicts on real and
generated digits, and the search of G's noise space for the z whose G(z) comes nearest it
(core.gan.projection): how far the nearest image G can draw lies, beside the nearest
training image."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.data.datasets import Dataset, to_tanh_range
from core.gan.projection import nearest_training_distance, project
from core.pictures.grids import image_grid
from core.pictures.svg import histogram_svg
from core.training.gan_job import GANJob
from pages.kit.widgets import grid_picture
from pages.views.your_digit import drawn_digit, judge_sentence

SHAPE = (28, 28)


def your_digit(run, dataset: Dataset, classifier) -> None:
    """The section: a drawing pad, then D's verdict and G's nearest image."""
    st.header("Your digit")
    st.caption(
        "Draw a digit (or upload a photo): D says how real it looks, and a search of G's "
        "noise space finds the image G can draw that comes nearest it."
    )
    if dataset.image_shape != SHAPE:
        st.caption("Your digit works with 28×28 images: choose mnist-5k or mnist.")
        return
    digit_views(run, dataset, classifier)


@st.fragment
def digit_views(run, dataset: Dataset, classifier) -> None:
    """Redrawn alone as the pen lifts (a fragment: the page around it waits)."""
    image = drawn_digit("gan")
    if image is None:
        return
    steps = run.run.snapshot(history=False).steps
    if not steps:
        st.caption(
            "Train the GAN first, or press “Start from the pretrained GAN” under the "
            "checkpoints: an untrained D and G have nothing to say about your digit."
        )
        return
    x = image.ravel() * 2 - 1  # the GAN's range, [-1, 1]
    verdict, share, outputs = run.run.read(GANJob.digit_verdict, x)
    yours, histogram = st.columns([1, 2])
    yours.image(grid_picture(image, 280), caption="Yours, made MNIST-like", width="stretch")
    yours.write(judge_sentence(classifier, image.ravel()))
    histogram.image(
        histogram_svg(
            outputs,
            title=f"D's output at step {steps:,}",
            x_title="D(·)",
            markers={"yours": verdict},
        ),
        width="stretch",
    )
    histogram.write(
        f"D calls your drawing real with {verdict:.2f}, higher than {share:.0%} of real digits."
    )
    find_in_g(run, dataset, classifier, x)


def find_in_g(run, dataset: Dataset, classifier, x: np.ndarray) -> None:
    """Adam on z from eight random starts, a term keeping z where the noise comes from."""
    st.subheader("Find it in G")
    settings, go = st.columns([3, 1], vertical_alignment="bottom")
    steps = settings.select_slider("Adam steps on z", [100, 300, 1000], 300, key="gan_digit_steps")
    if not go.button("Search", icon=":material/travel_explore:", width="stretch"):
        return
    generator = run.run.read(GANJob.frozen_generator)  # a copy: the run trains on meanwhile
    shown = st.empty()

    def progress(step: int, distance: float) -> None:
        if step % 50 == 0:
            shown.caption(f"Adam step {step:,}: distance {distance:.3f}")

    found = project(run.run.job.trainer, x, int(steps), progress=progress, generator=generator)
    real = to_tanh_range(dataset.images)
    nearest, index = nearest_training_distance(x, real)
    shown.empty()
    st.line_chart(
        {"distance ‖G(z) − x‖² / 784": [d for _, d in found.distances]},
        x_label=f"Adam step (×{found.distances[1][0] if len(found.distances) > 1 else 1})",
        height=200,
    )
    strip = np.stack([x, found.image, real[index]]) / 2 + 0.5
    st.image(
        grid_picture(image_grid(strip, SHAPE, columns=3), 600),
        caption="Yours · G(z), the nearest image G can draw · the nearest training image",
        width="stretch",
    )
    st.write(
        f"G(z) is {found.distance:.3f} from your digit (mean squared difference of pixels in "
        f"[−1, 1]); the nearest training image is {nearest:.3f} from it. "
        + judge_sentence(classifier, found.image / 2 + 0.5)
        + f" On the pretrained GAN's scale: {reach(found.distance)}"
    )


def reach(distance: float) -> str:
    """What a search's distance says, on the pretrained GAN's scale (bench/bench_projection.py:
    200 unseen test digits end at a median 0.029, nine in ten below 0.065; the same digits
    turned by 90° at 0.097; noise at 0.51)."""
    if distance <= 0.065:
        return "As near as G comes to nine in ten unseen test digits: G can draw it."
    if distance <= 0.2:
        return (
            "Further than G comes to nine in ten unseen test digits (about as far as a digit "
            "turned on its side): G draws something like it, not it."
        )
    return "As far as noise is from G's images: G cannot draw that shape."
