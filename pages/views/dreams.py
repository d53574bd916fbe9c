"""The RBM page's Dreams: what the model generates from noise, by three samplers, and which
digits the reference CNN recognises in it, with the sentences on sampling and mixing."""

from __future__ import annotations

import copy

import streamlit as st

from core.data.datasets import Dataset
from core.pictures.grids import image_grid
from core.pictures.svg import bars_svg
from core.rbm.dreams import SAMPLERS, judge
from pages.kit.session import not_judged
from pages.kit.sidebar import draw
from pages.kit.widgets import grid_picture
from pages.settings.rbm import SETTINGS
from pages.settings.table import by_name

DREAMER_NAMES = {  # and as a picture's caption does
    "annealed": "Annealed from noise",
    "plain": "Plain Gibbs from noise",
    "persistent": "PCD's persistent chains",
}
PERSISTENT = (
    "PCD's persistent chains: the negative samples of training itself, each chain moved k "
    "Gibbs steps per update (the sidebar's k) and never restarted. They show what the model "
    "believes as it trains, helped along by the updates themselves, which raise F(v) wherever "
    "the chains sit."
)
MIXING = (
    "Why a CD-1 model dreams blobs and a PCD model digits: CD's negative samples are one step "
    "from a training image, so training never sees where the model's own long chains go, and "
    "valleys of F(v) far from any digit survive; chains from noise fall into them. PCD's "
    "chains run on from update to update, find those valleys, and each update raises them."
)


def dream(session, classifier, sampler: str, steps: int) -> None:
    """Dream 64 images with ``sampler`` from a copy of the model (training goes on), judged
    by the reference classifier where there is one."""
    run = session.run
    session.dream_count += 1  # each press dreams afresh, even at the same step
    if sampler == "persistent":
        pixels, step = run.read(
            lambda job: (job.dreams("persistent"), run.snapshot(history=False).steps)
        )
    else:
        progress = st.progress(0.0, text="Dreaming…")

        def frozen(job):
            twin = copy.copy(job)
            twin.rbm = copy.deepcopy(job.rbm)
            return twin, run.snapshot(history=False).steps

        twin, step = run.read(frozen)
        pixels = twin.dreams(
            sampler,
            64,
            steps,
            seed=twin.settings.seed + session.dream_count,
            progress=lambda done: progress.progress(done, text=f"Gibbs step {done:.0%}"),
        )
        progress.empty()
    verdict = judge(classifier, pixels) if classifier is not None else None
    session.dreamed = dict(sampler=sampler, steps=steps, step=step, pixels=pixels, verdict=verdict)


def dreams_view(session, dataset: Dataset) -> None:
    """The last dreams (64 images, or as many as PCD keeps chains), and which digits the
    reference CNN sees in them."""
    dreamed = session.dreamed
    how = (
        "as they stand"
        if dreamed["sampler"] == "persistent"
        else f"after {dreamed['steps']} Gibbs steps"
    )
    left, right = st.columns(2, gap="medium")
    left.image(
        grid_picture(image_grid(dreamed["pixels"], dataset.image_shape, columns=8), 520),
        caption=f"{DREAMER_NAMES[dreamed['sampler']]}, {how}: P(v | h). The model at step "
        f"{dreamed['step']}.",
        width="stretch",
    )
    verdict = dreamed["verdict"]
    if verdict is None:
        right.markdown(f"*{not_judged(dataset)}*")
        return
    right.image(
        bars_svg(
            [str(d) for d in range(10)] + ["?", "none"],  # short: the labels sit side by side
            [*verdict.class_shares, verdict.unsure, verdict.rejected],
            title="What the CNN sees: a digit (p ≥ 0.8), unsure (?) or none",
            x_title="digit",
            y_title=f"share of the {len(dreamed['pixels'])}",
            reference=0.1,
        ),
        width="stretch",
    )
    right.markdown(
        f"The reference CNN recognises **{verdict.recognised:.0%}** of these images as one "
        f"digit with p ≥ 0.8, and **{verdict.classes_with(0.05)}** digits in at least 5% of "
        f"them; it calls {verdict.rejected:.0%} not a digit and is unsure of the other "
        f"{verdict.unsure:.0%} (no digit reaches p ≥ 0.8). The bars add up to 1."
    )


def dreams_section(session, dataset: Dataset, classifier) -> None:
    """What the model generates, by the sampler chosen, judged by the reference CNN."""
    st.header("Dreams")
    st.caption(
        "An RBM is a generative model: run its Gibbs chain long enough and the images it "
        "visits are samples of P(v) = Σₕ e^(−E(v,h)) / Z, what it has learned digits look like."
    )
    columns = st.columns([3, 2, 2], vertical_alignment="bottom")
    sampler = draw(by_name(SETTINGS)["sampler"], target=columns[0])  # a preset may set it
    steps = columns[1].select_slider(
        "Gibbs steps",
        [100, 200, 500, 1000, 2000],
        1000,
        key="rbm_dream_steps",
        disabled=sampler == "persistent",
    )
    asked = columns[2].button("Dream 64 images", icon=":material/bedtime:", width="stretch")
    st.caption(PERSISTENT if sampler == "persistent" else SAMPLERS[sampler])
    if asked:
        try:
            dream(session, classifier, sampler, int(steps))
        except ValueError as error:
            st.error(str(error))
    if session.dreamed:
        dreams_view(session, dataset)
    st.caption(MIXING)
