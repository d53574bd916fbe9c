"""Your digit on the RBM page: what the model sees of it, the hidden units it lights up, where
its free energy lies among the training digits', and pattern completion: the known pixels
clamped, the unknown ones sampled by Gibbs steps (core.rbm.completion)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.data.datasets import Dataset, binarize, load_dataset, train_validation_split
from core.data.drawn import binarized
from core.pictures.grids import filter_grid, image_grid
from core.pictures.svg import histogram_svg
from core.rbm.completion import (
    clean,
    complete,
    corrupt,
    free_energies,
    hidden_activations,
    lower_half,
    right_half,
)
from core.training.rbm_job import RBMJob
from pages.kit.widgets import grid_picture
from pages.views.your_digit import drawn_digit, judge_sentence

SHAPE = (28, 28)
REFERENCE = 500  # training digits, and as many validation digits, whose F(v) place yours
UNKNOWN = {"the lower half": lower_half, "the right half": right_half}
PAINTED = "cells I paint"
CELL = 10  # screen pixels per cell on the painting canvas
TOP_UNITS = 8


@st.cache_resource(show_spinner=False)
def pretrained_rbm():
    """The shipped RBM, loaded once per server (read-only: views never train it)."""
    from core.rbm.model import load_checkpoint_bytes
    from pages.settings.rbm import PRETRAINED

    return load_checkpoint_bytes(PRETRAINED.path.read_bytes())[0]


@st.cache_resource(show_spinner=False)
def pretrained_reference() -> dict[str, np.ndarray]:
    """The pretrained RBM's training and validation digits, binarized: scripts/train_rbm.py
    trained it on the page's default split of mnist-5k (10% held out, seed 0), whatever
    dataset the page shows."""
    train, validation = train_validation_split(load_dataset("mnist-5k"), 0.1, seed=0)
    return {
        "training": binarize(train.images[:REFERENCE]),
        "validation": binarize(validation.images[:REFERENCE]),
    }


def your_digit(run, dataset: Dataset, classifier) -> None:
    """The section: a drawing pad, then the model's views of the drawing."""
    st.header("Your digit")
    st.caption(
        "Draw a digit (or upload a photo) and see what the model makes of it: the hidden "
        "units it lights up, how typical its free energy is, and how the model fills in a "
        "part you hide: a Boltzmann machine can complete a pattern, a feed-forward net cannot."
    )
    if dataset.image_shape != SHAPE:
        st.caption("Your digit works with 28×28 images: choose mnist-5k or mnist.")
        return
    digit_views(run, classifier)


@st.fragment
def digit_views(run, classifier) -> None:
    """Redrawn alone as the pen lifts (a fragment: the page around it waits)."""
    image = drawn_digit("rbm")
    if image is None:
        return
    steps = run.run.snapshot(history=False).steps
    choices = ["the pretrained RBM"] + ([f"your model (step {steps:,})"] if steps else [])
    which = st.radio(
        "Model", choices, index=len(choices) - 1, horizontal=True, key="rbm_digit_model"
    )
    if which == choices[0]:
        rbm, reference, noun = pretrained_rbm(), pretrained_reference(), "digits"
    else:
        rbm = run.run.read(RBMJob.model_copy)
        reference = run.run.job.reference_digits(REFERENCE)
        noun = "digits" if classifier is not None else "images"  # a visitor's own images
    v = binarized(image).ravel()
    seen, units = st.columns([1, 2])
    seen.image(
        grid_picture(image_grid(np.stack([image.ravel(), v]), SHAPE, columns=2), 280),
        caption="Yours, made MNIST-like · what the model sees (binarized)",
        width="stretch",
    )
    seen.write(judge_sentence(classifier, image.ravel()))
    activations = hidden_activations(rbm, v)
    top = np.argsort(-activations)[:TOP_UNITS]
    units.image(
        grid_picture(filter_grid(rbm.W.detach().cpu().numpy()[top], SHAPE, columns=4), 420),
        caption="The hidden units it lights up most, their filters W_j: "
        + ", ".join(f"P = {activations[j]:.2f}" for j in top),
        width="stretch",
    )
    energy = float(free_energies(rbm, v[None])[0])
    energies = {name: free_energies(rbm, images) for name, images in reference.items()}
    train, held = energies["training"], energies["validation"]
    low = min(energy, *(float(e.min()) for e in energies.values()))
    high = max(energy, *(float(e.max()) for e in energies.values()))
    units.image(
        histogram_svg(
            {f"training {noun}": train, f"validation {noun} (unseen)": held},
            title="Free energy F(v): lower is more probable",
            x_title="F(v)",
            value_range=(low - 1, high + 1),
            markers={"yours": energy},
        ),
        width="stretch",
    )
    units.write(
        f"F(v) = {energy:.1f}: more typical than {np.mean(train > energy):.0%} of "
        f"{len(train):,} training {noun} and {np.mean(held > energy):.0%} of {len(held):,} "
        f"validation {noun} the model never saw (their free energy is higher)."
    )
    completion(rbm, v, reference["training"].mean(axis=0), classifier)


def completion(rbm, v: np.ndarray, mean_digit: np.ndarray, classifier) -> None:
    """Hide part of the digit, or flip some of its pixels, and let Gibbs steps fill it in (from
    the training digits' mean: bench/bench_completion.py measured it best)."""
    st.subheader("Complete it, or clean it")
    st.caption(
        "Measured on 1,000 test digits the pretrained RBM never saw (300 Gibbs steps): with "
        "the lower half hidden, the judge names the completed digit right 81% of the time, as "
        "often as the lower half of the nearest of 5,000 training digits (81%; blank: 0.1%); "
        "with 20% of pixels flipped, the cleaned digit 88% (the nearest training digit: 83%)."
    )
    task_column, amount, steps_column, go = st.columns([3, 2, 2, 1], vertical_alignment="bottom")
    task = task_column.radio(
        "The model gets",
        [*UNKNOWN, PAINTED, "pixels flipped"],
        horizontal=True,
        key="rbm_digit_task",
    )
    share = amount.select_slider(
        "Pixels flipped",
        [0.05, 0.1, 0.2, 0.3],
        0.2,
        format_func=lambda x: f"{x:.0%}",
        key="rbm_digit_flip",
        disabled=task != "pixels flipped",
    )
    steps = steps_column.select_slider(
        "Gibbs steps", [10, 30, 100, 300, 1000], 300, key="rbm_digit_steps"
    )
    painted = painted_cells(v) if task == PAINTED else None
    if not go.button("Go", icon=":material/auto_fix_high:", width="stretch"):
        return
    if task == PAINTED and (painted is None or not painted.any()):
        st.caption("Paint the cells the model must fill in, then press Go.")
        return
    if task in UNKNOWN or task == PAINTED:
        unknown = painted if task == PAINTED else UNKNOWN[task]()
        given = np.where(unknown, 0.5, v)  # grey where unknown
        result = complete(rbm, v, unknown, steps=int(steps), seed=0, start=mean_digit)
        how = "the known pixels held"
    else:
        given, _ = corrupt(v, float(share), seed=0)
        result = clean(rbm, given, steps=int(steps), seed=0, share=float(share))
        how = "every pixel free, from the noisy image"
    picked = np.linspace(0, len(result.frames) - 1, min(6, len(result.frames))).astype(int)
    strip = [("given", given)] + [
        (f"step {result.frames[i][0]:,}", result.frames[i][1]) for i in picked
    ]
    strip.append(("mean", result.mean))
    with st.container(horizontal=True, gap="small"):  # 8 across a laptop, 4 to a phone's row
        for label, frame in strip:
            st.image(grid_picture(frame.reshape(SHAPE), 84), caption=label, width=84)
    st.caption(
        f"Left: what the model is given (grey: unknown); then P(v | h) as the chain runs "
        f"({steps} Gibbs steps, {how}); right: the mean of the last half of the steps."
    )
    st.write(judge_sentence(classifier, result.mean))


def painted_cells(v: np.ndarray) -> np.ndarray | None:
    """A canvas over the digit as the model sees it: the cells painted are the unknown ones
    (any paint in a cell counts)."""
    from PIL import Image
    from streamlit_drawable_canvas import st_canvas

    picture = Image.fromarray((255 * (1 - v.reshape(SHAPE))).astype(np.uint8))
    result = st_canvas(
        drawing_mode="freedraw",
        stroke_width=2 * CELL,
        stroke_color="rgba(220, 50, 47, 0.6)",
        background_image=picture.resize((28 * CELL, 28 * CELL), Image.NEAREST),
        width=28 * CELL,
        height=28 * CELL,
        return_image_data=True,
        key="rbm_digit_paint",
    )
    if result is None or result.image_data is None:
        return None
    alpha = np.asarray(result.image_data)[..., 3]
    if alpha.shape != (28 * CELL, 28 * CELL):  # a canvas drawn at another size: rescale
        alpha = np.asarray(Image.fromarray(alpha).resize((28 * CELL, 28 * CELL)))
    return alpha.reshape(28, CELL, 28, CELL).max(axis=(1, 3)).ravel() > 0
