"""RBM up close: a model small enough to see whole, and one update in slow motion.

Top to bottom as the user sees it: settings and presets (sidebar), your own images (when
chosen), controls, the live view (the whole distribution, the exact log-likelihood race, the
free energy of every state), one update in slow motion, the exact gradient beside CD's.
"""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st

from core.data.tiny import BUILT_IN, TinyDataset
from core.rbm.exact import MAX_HIDDEN
from core.training.exact_job import METHODS, ExactRBMJob, ExactSettings
from core.training.process import threads_for_this_thread
from core.training.runs import TRAINING, Caps
from pages.kit.live import live_fragment
from pages.kit.session import kept, opened
from pages.kit.widgets import (
    back_next,
    control_row,
    preset_buttons,
    settings_from_link,
    settings_to_link,
)
from pages.settings.links import Setting
from pages.settings.presets import EXACT_PRESETS as PRESETS
from pages.views.exact import ExactSession, live_views
from pages.views.exact_update import SLOW_STEPS, gradient_view, slow_motion_view
from pages.views.own_images import images_from_link, own_images_editor

CAPS = Caps(max_steps=50_000, max_hidden_units=MAX_HIDDEN)
REFRESH_SECONDS = 0.4
OWN = "Your own images"
DATA_NAMES = [*BUILT_IN, OWN]
RATES = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0]
SHAPE_SETTINGS = ("hidden_units", "seed")  # with the data and the comparison: need a Reset
LINK = (
    Setting("data", "ex_data", DATA_NAMES[0], choices=DATA_NAMES),
    Setting("hidden", "ex_hidden", 8, low=1, high=MAX_HIDDEN, integer=True),
    Setting("method", "ex_method", "CD", choices=list(METHODS)),
    Setting("k", "ex_k", 1, low=1, high=25, integer=True),
    Setting("lr", "ex_lr", 0.2, choices=RATES),
    Setting("updates", "ex_steps", 5000, low=100, high=CAPS.max_steps, integer=True),
    Setting("seed", "ex_seed", 0, low=0, high=1_000_000, integer=True),
    Setting("race", "ex_compare", True, choices=[True, False]),
)


KEPT_AS = "rbm-exact"  # the name this page's sessions are kept under (pages.kit.session)


def page_session() -> ExactSession:
    """This browser's own run on this page, kept across reloads (pages.kit.session.kept)."""
    return kept(KEPT_AS, ExactSession)


def sidebar_settings() -> tuple[str, ExactSettings, bool]:
    """The data, the run's settings and whether to race the references (first from the link)."""
    settings_from_link("ex", LINK)
    images_from_link()  # before the link is rewritten from the widgets
    with st.sidebar:
        st.header("Model and training")
        name = st.selectbox("Data", DATA_NAMES, key="ex_data")
        hidden = st.slider("Hidden units", 1, MAX_HIDDEN, key="ex_hidden")
        method = st.radio(
            "Negative phase",
            METHODS,
            horizontal=True,
            key="ex_method",
            help="CD-k starts the chain at the data, PCD-k continues chains from the last "
            "update, exact sums over every state (possible only because the model is tiny).",
        )
        k = st.slider("Gibbs steps (k)", 1, 25, key="ex_k", disabled=method == "exact")
        rate = st.select_slider("Learning rate α", RATES, key="ex_lr")
        steps = st.slider("Updates", 100, CAPS.max_steps, step=100, key="ex_steps")
        seed = st.number_input("Seed", 0, 1_000_000, key="ex_seed")
        compare = st.checkbox(
            "Race CD-1, CD-10, PCD-1 and exact beside it",
            key="ex_compare",
            help="The same start trained four more ways on the same batches.",
        )
        preset_buttons("ex", PRESETS, page_session)
    settings_to_link(LINK)
    chosen = ExactSettings(
        hidden_units=int(hidden),
        method=str(method),
        k=int(k),
        learning_rate=float(rate),
        seed=int(seed),
        steps=int(steps),
    )
    return name, chosen, bool(compare)


def chosen_data() -> TinyDataset:
    return own_images_editor() if data_name == OWN else BUILT_IN[data_name]()


def made_with() -> tuple:
    """What the model was built from: a change in any of it needs a Reset."""
    shape = tuple(getattr(settings, name) for name in SHAPE_SETTINGS)
    return (data_name, data.images.tobytes(), shape, compare)


def new_run() -> None:
    session.preset = session.preset if st.session_state.pop("ex_pending_reset", False) else None
    session.start_over(ExactRBMJob(data, settings, compare), CAPS, made_with())


def controls() -> bool:
    """Play / Pause / Step / Reset, the preset's sentence; True when a Reset is needed."""
    shape_changed = session.made_with != made_with()
    if not shape_changed:
        run.read(lambda job: job.apply(settings))  # method, k, rate and updates: live
    if session.preset:
        st.info(f"**{session.preset}** — {PRESETS[session.preset][1]}", icon=":material/school:")
    control_row(
        (
            ("Play", "play_arrow", run.start, run.state == TRAINING or shape_changed),
            ("Pause", "pause", run.pause, run.state != TRAINING),
            ("Step", "skip_next", run.step, shape_changed),
            ("Reset", "restart_alt", new_run, False),
        )
    )
    if shape_changed:
        st.info("The data, the hidden units, the seed or the race changed: press Reset.")
    return shape_changed


def live_view() -> None:
    live_fragment(
        session,
        "ex",
        REFRESH_SECONDS,
        detail=lambda s: f" of {run.job.settings.steps}",
        help="One step is one update of every model from the same mini-batch of 10 images "
        "(exact ascent uses the whole data instead).",
        finished=lambda slot, text: slot.success(text),
        draw=lambda timer: live_views(session, REFRESH_SECONDS, timer),
    )


def slow_motion_key() -> tuple:
    """What a slow-motion update was taken apart for: the model at this step, these rules."""
    steps = run.snapshot(history=False).steps
    return (id(run.job), steps, settings.method, settings.k, settings.learning_rate)


def take_batch() -> None:
    run.pause()
    session.slow = run.read(lambda job: job.slow_motion())
    session.slow_key = slow_motion_key()
    session.slow_step = 0


def move_slow(by: int) -> None:
    session.slow_step = min(len(SLOW_STEPS) - 1, max(0, session.slow_step + by))


def apply_slow() -> None:
    update = session.slow
    run.step(lambda job: job.take_update(update))
    session.slow = None


def slow_motion() -> None:
    """Your next update taken apart, step by step (the model changes only when applied)."""
    st.header("One update in slow motion")
    st.caption(
        "The four steps of one CD-k (or PCD-k) update of your model on a batch of 10 images, "
        "with their numbers. Nothing changes until you apply it; then the race's learners "
        "step on the same batch."
    )
    if session.slow is not None and session.slow_key != slow_motion_key():
        session.slow = None  # the model or its rule has changed since: the update is stale
        st.caption("Your model has changed since the last batch was taken: take the next one.")
    columns = st.columns(4)
    columns[0].button(
        "Take the next batch",
        icon=":material/slow_motion_video:",
        on_click=take_batch,
        width="stretch",
        disabled=shape_changed,
    )
    if session.slow is None:
        return
    back_next(columns[1:3], session.slow_step, len(SLOW_STEPS) - 1, move_slow)
    columns[3].button(
        "Apply this update",
        icon=":material/done:",
        on_click=apply_slow,
        width="stretch",
        disabled=shape_changed,
    )
    slow_motion_view(session, run.job.data.shape)


def gradients() -> None:
    """CD-1's, CD-k's, CD-10's and PCD-1's estimates at your model, beside the exact gradient."""
    st.header("The true gradient beside its estimates")
    st.caption(
        "Here the exact gradient ∂⟨log P(v)⟩/∂W = ⟨P(h|v) vᵀ⟩_data − ⟨P(h|v) vᵀ⟩_model can be "
        "summed over every state, so each estimator can be measured against it at your model."
    )
    if st.button(
        "Compare on 400 batches", icon=":material/compare_arrows:", disabled=shape_changed
    ):
        run.pause()
        with st.spinner("Estimating the gradient 400 times by each method…"):
            qualities = run.read(lambda job: job.compare_gradients())
        session.comparison = (run.snapshot(history=False).steps, qualities)
    if session.comparison is not None:
        gradient_view(session)


# ---- the page, top to bottom -------------------------------------------------------------

st.set_page_config(page_title="RBM up close", page_icon="🔍", layout="wide")
st.title("RBM up close")
st.caption(
    "A model with at most 16 pixels has at most 65,536 visible states: every probability "
    "P(v) = e^(−F(v)) / Z, the partition function Z and the exact gradient can be computed "
    "and shown, not estimated."
)
data_name, settings, compare = sidebar_settings()
threads_for_this_thread(1)
try:
    data = chosen_data()
except ValueError as error:
    st.error(str(error))
    st.stop()
st.caption(data.description)
session = opened(KEPT_AS, ExactSession)
if session.run is None or st.session_state.get("ex_pending_reset"):
    new_run()
run = session.run

shape_changed = controls()
live_view()
slow_motion()
gradients()
with st.expander("Settings of this run"):
    st.json({"data": data_name, **asdict(settings), "race": compare})
