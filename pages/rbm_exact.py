"""RBM up close: a model small enough to see whole, and one update in slow motion."""

from __future__ import annotations

from dataclasses import asdict
from functools import partial

import streamlit as st

from core.data.tiny import BUILT_IN, TinyDataset
from core.training.exact_job import ExactRBMJob
from pages.kit.training_page import Run, TrainingPage
from pages.kit.widgets import back_next
from pages.settings.rbm_exact import (
    CAPS,
    OWN,
    PRESETS,
    REFRESH_SECONDS,
    SETTINGS,
    job_settings,
)
from pages.views.exact import ExactSession, live_views
from pages.views.exact_update import SLOW_STEPS, gradient_view, slow_motion_view
from pages.views.own_images import images_from_link, own_images_editor

PAGE = TrainingPage(
    kept_as="rbm-exact",
    prefix="ex",
    settings=SETTINGS,
    presets=PRESETS,
    session_class=ExactSession,
    caps=CAPS,
    refresh_seconds=REFRESH_SECONDS,
    reset_hint="The data, the hidden units, the seed or the race changed: press Reset.",
    keeps_ghosts=False,  # its learners race side by side already
)


def main() -> None:
    """The page in screen order: settings and presets (sidebar), your own images (when
    chosen), controls, the live view (the whole distribution, the exact log-likelihood race,
    the free energy of every state), one update in slow motion, the exact gradient beside
    CD's."""
    st.set_page_config(page_title="RBM up close", page_icon="🔍", layout="wide")
    st.title("RBM up close")
    st.caption(
        "A model with at most 16 pixels has at most 65,536 visible states: every probability "
        "P(v) = e^(−F(v)) / Z, the partition function Z and the exact gradient can be computed "
        "and shown, not estimated."
    )
    images_from_link()  # the link's own images, read before the sidebar rewrites the link
    values = PAGE.sidebar()
    data = chosen_data(values["data"])
    session = PAGE.session()
    settings = job_settings(values)
    run = PAGE.run(
        session,
        values,
        lambda: ExactRBMJob(data, settings, values["race"]),
        settings,
        built_from=data.images.tobytes(),
    )
    run.controls(play=True)
    run.live(
        lambda timer: live_views(session, REFRESH_SECONDS, timer),
        help="One step is one update of every model from the same mini-batch of 10 images "
        "(exact ascent uses the whole data instead).",
        detail=lambda _: f" of {run.run.job.settings.steps}",
    )
    slow_motion(run, settings)
    gradients(run)
    with st.expander("Settings of this run"):
        st.json({"data": values["data"], **asdict(settings), "race": values["race"]})


def chosen_data(name: str) -> TinyDataset:
    """The built-in images, or the user's own (edited on the page); a bad drawing stops the
    page with its reason."""
    try:
        data = own_images_editor() if name == OWN else BUILT_IN[name]()
    except ValueError as error:
        st.error(str(error))
        st.stop()
    st.caption(data.description)
    return data


def slow_motion(run: Run, settings) -> None:
    """Your next update taken apart, step by step (the model changes only when applied)."""
    session = run.session
    st.header("One update in slow motion")
    st.caption(
        "The four steps of one CD-k (or PCD-k) update of your model on a batch of 10 images, "
        "with their numbers. Nothing changes until you apply it; then the race's learners "
        "step on the same batch."
    )
    # what an update was taken apart for: the model at this step, these rules
    key = (id(run.run.job), run.run.snapshot(history=False).steps, settings.method, settings.k)
    key += (settings.learning_rate,)
    if session.slow is not None and session.slow_key != key:
        session.slow = None  # the model or its rule has changed since: the update is stale
        st.caption("Your model has changed since the last batch was taken: take the next one.")

    def take_batch() -> None:
        run.run.pause()
        session.slow = run.run.read(ExactRBMJob.slow_motion)
        session.slow_key, session.slow_step = key, 0

    def move(by: int) -> None:
        session.slow_step = min(len(SLOW_STEPS) - 1, max(0, session.slow_step + by))

    def apply() -> None:
        run.run.step(partial(ExactRBMJob.take_update, update=session.slow))
        session.slow = None

    columns = st.columns(4)
    columns[0].button(
        "Take the next batch",
        icon=":material/slow_motion_video:",
        on_click=take_batch,
        width="stretch",
        disabled=run.changed,
    )
    if session.slow is None:
        return
    back_next(columns[1:3], session.slow_step, len(SLOW_STEPS) - 1, move)
    columns[3].button(
        "Apply this update",
        icon=":material/done:",
        on_click=apply,
        width="stretch",
        disabled=run.changed,
    )
    slow_motion_view(session, run.run.job.data.shape)


def gradients(run: Run) -> None:
    """CD-1's, CD-k's, CD-10's and PCD-1's estimates at your model, beside the exact gradient."""
    st.header("The true gradient beside its estimates")
    st.caption(
        "Here the exact gradient ∂⟨log P(v)⟩/∂W = ⟨P(h|v) vᵀ⟩_data − ⟨P(h|v) vᵀ⟩_model can be "
        "summed over every state, so each estimator can be measured against it at your model."
    )
    if st.button("Compare on 400 batches", icon=":material/compare_arrows:", disabled=run.changed):
        run.run.pause()
        with st.spinner("Estimating the gradient 400 times by each method…"):
            qualities = run.run.read(ExactRBMJob.compare_gradients)
        session = run.session
        session.comparison = (run.run.snapshot(history=False).steps, qualities)
    if run.session.comparison is not None:
        gradient_view(run.session)


main()
