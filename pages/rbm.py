"""The RBM page: train a Restricted Boltzmann Machine live and watch what it learns.

Top to bottom as the user sees it: settings (the sidebar, in pages/settings/rbm.py), controls,
the live view, what to draw it with, a look inside, its dreams (samples from noise), a Gibbs
chain on demand, export, and continuing from a checkpoint.
"""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st

from core.data.checkpoints import training_count
from core.pictures.grids import image_grid
from core.rbm.model import checkpoint_bytes, load_checkpoint_bytes
from core.training.process import threads_for_this_thread
from core.training.rbm_job import EXACT_MAX_HIDDEN, RBMJob
from pages.kit.live import live_fragment
from pages.kit.session import cached_classifier, new_job, opened, usable_dataset
from pages.kit.widgets import (
    checkpoint_inputs,
    control_row,
    export_row,
    offer_checkpoint,
    png_download,
    start_pause_resume,
)
from pages.settings.presets import RBM_PRESETS
from pages.settings.rbm import (
    CAPS,
    MOMENTA,
    PRETRAINED,
    RATES,
    REFRESH_SECONDS,
    SHAPE_SETTINGS,
    sidebar_settings,
)
from pages.views.dreams import dreams_section
from pages.views.rbm import (
    RBMSession,
    chain_view,
    estimate_log_likelihood,
    free_energy_view,
    grid_pictures,
    latent_view,
    live_charts,
    model_view,
)
from pages.views.replay import replay_section


def new_run() -> None:
    session.preset = session.preset if st.session_state.pop("rbm_pending_reset", False) else None
    job = new_job(lambda device: RBMJob(dataset, settings, CAPS, device))
    session.start_over(job, CAPS, (dataset_name, settings))


def controls() -> bool:
    """Start / Pause / Resume / Step / Reset; True when a setting needs a Reset first."""
    made_with_dataset, made_with = session.made_with
    shape_changed = made_with_dataset != dataset_name or any(
        getattr(made_with, name) != getattr(settings, name) for name in SHAPE_SETTINGS
    )
    if not shape_changed:
        run.job.apply(settings)  # learning rate, k, CD/PCD, momentum and decay change live
    if session.preset:
        name = session.preset
        st.info(f"**{name}** — {RBM_PRESETS[name][1]}", icon=":material/school:")
    control_row(
        (
            *start_pause_resume(run, shape_changed),
            ("Step", "skip_next", run.step, shape_changed),
            ("Reset", "restart_alt", new_run, False),
        )
    )
    if shape_changed:
        st.info(
            "The dataset, the number of hidden units, the batch size or the seed changed: "
            "press Reset to build a new model with them."
        )
    return shape_changed


def live_view() -> None:
    """The status line, the curves and the image grids, redrawn while the model trains."""
    live_fragment(
        session,
        "rbm",
        REFRESH_SECONDS,
        detail=lambda s: f", epoch {s.latest.get('epoch', 0.0):.2f} of {run.job.settings.epochs}",
        help="One step is one mini-batch update.",
        finished=lambda slot, text: slot.success(text),
        draw=lambda timer: live_charts(session, dataset, REFRESH_SECONDS, timer),
    )


def view_options() -> None:
    """The curves' axis, the Gibbs steps of the samples, and the log-likelihood on demand."""
    options = st.columns([2, 3, 2])
    options[0].radio("Horizontal axis", ["steps", "epochs"], horizontal=True, key="rbm_x_axis")
    options[1].slider(
        "Gibbs steps between the training images and their samples",
        1,
        50,
        1,
        key="rbm_view_steps",
        help="1 shows the seed's X_train vs X_hat; more steps show where the chain drifts.",
    )
    if not run.job.exact_likelihood:
        options[2].button(
            "Estimate the log-likelihood (AIS)",
            icon=":material/functions:",
            key="rbm_ais",
            help="log P(v) = −F(v) − log Z needs the partition function Z; annealed importance "
            "sampling estimates it in a few seconds (100 runs, 5,000 temperatures).",
        )
    st.caption(
        "Per batch: the surrogate F(v) − F(v̂) (its gradient is the update), the reconstruction "
        "error ‖v − P(v | h)‖² and the pseudo-log-likelihood D · log σ(F(ṽ) − F(v)) (ṽ: v with "
        "one pixel flipped), averaged over a few batches. At every epoch the same 500 training "
        "and 500 held-out images are measured; when the held-out free energy climbs above the "
        "training one, the model is memorising. The true log-likelihood log P(v) = −F(v) − log Z "
        f"is exact for up to {EXACT_MAX_HIDDEN} hidden units and an AIS estimate (with its ±3 "
        "s.e. range) above."
    )
    if st.session_state.get("rbm_ais"):
        estimate_log_likelihood(session)
    if session.ais_message:
        st.success(session.ais_message)


def look_inside() -> None:
    """One view of the model at a time, computed and drawn only when chosen."""
    st.header("Look inside")
    looks = ("Latent activations", "Free energies")
    look = st.segmented_control(
        "View", looks, default=looks[0], required=True, key="rbm_look", label_visibility="collapsed"
    )
    if look == looks[0]:
        latent_view(*model_view(session, "latent", lambda job: job.latent_views()))
    else:
        free_energy_view(*model_view(session, "energies", lambda job: job.free_energy_samples()))


def gibbs_chain() -> None:
    """A Gibbs chain from noise or a digit, as six frames and a GIF."""
    st.header("Gibbs chain")
    st.caption(
        "Start from random pixels or from a training digit and alternate h ~ P(h | v), "
        "v ~ P(v | h). Each frame shows P(v | h): where the chain wanders is what the model "
        "believes."
    )
    columns = st.columns([2, 1, 2, 1])
    start = columns[0].radio(
        "Start from", ["noise", "a digit"], horizontal=True, key="rbm_chain_start"
    )
    digit = columns[1].number_input(
        "Digit", 0, 9, 3, key="rbm_chain_digit", disabled=start == "noise"
    )
    steps = columns[2].slider("Gibbs steps", 1, 200, 30, key="rbm_chain_steps")
    if columns[3].button("Run the chain", icon=":material/animation:", width="stretch"):
        try:
            frames = run.read(
                lambda job: job.gibbs_frames(
                    "noise" if start == "noise" else "digit", int(digit), int(steps)
                )
            )
        except ValueError as error:
            st.error(str(error))
        else:
            session.chain = [image_grid(frame, dataset.image_shape, columns=4) for frame in frames]
    if session.chain:
        chain_view(session.chain)


def export() -> None:
    """The model, the history and every image grid, made when their button is clicked."""
    snapshot, columns = export_row(
        run,
        (
            "Model (.pt)",
            lambda: run.read(
                lambda job: checkpoint_bytes(
                    job.rbm,
                    dataset=dataset_name,
                    steps=job.trainer.steps_done,
                    epochs=round(job.epoch_progress, 4),
                )
            ),
            f"rbm_{dataset_name}_{session.made_with[1].hidden_units}h.pt",
            "The state dict (W, b, c) and the model's shape; load it here or with torch.load.",
        ),
        "rbm",
    )
    if snapshot.pictures:
        grids = grid_pictures(session, dataset, snapshot.pictures, snapshot.pictures_version)
        for column, (name, _, _, grid) in zip(columns[2:], grids, strict=True):
            png_download(
                column, f"{name.capitalize()} (PNG)", lambda grid=grid: grid, f"rbm_{name}.png", 600
            )


def checked_checkpoint(data: bytes):
    """An uploaded RBM (and its file's config) that fits this dataset and this server; it sets
    the hidden units."""
    rbm, config = load_checkpoint_bytes(data)
    if rbm.n_visible != dataset.n_pixels:
        raise ValueError(
            f"The checkpoint is for {rbm.n_visible}-pixel images; {dataset_name} has "
            f"{dataset.n_pixels}. Choose the matching dataset first."
        )
    if rbm.n_hidden > CAPS.max_hidden_units:
        raise ValueError(f"{rbm.n_hidden} hidden units is above this server's limit.")
    config["steps"] = int(training_count(config.get("steps"), "steps", 1e9))
    config["epochs"] = training_count(config.get("epochs"), "epochs", CAPS.max_epochs)
    st.session_state["rbm_hidden"] = rbm.n_hidden
    if config["epochs"] >= st.session_state.get("rbm_epochs", 0):  # room to train on
        st.session_state["rbm_epochs"] = min(CAPS.max_epochs, int(config["epochs"]) + 100)
    # settings its file says it trained with last, so that going on does not undo it
    if str(config.get("method", "")).startswith(("CD", "PCD")):
        st.session_state["rbm_method"] = "PCD" if config["method"].startswith("PCD") else "CD"
    if config.get("learning_rate") in RATES:
        st.session_state["rbm_lr"] = config["learning_rate"]
    if config.get("momentum") in MOMENTA:
        st.session_state["rbm_momentum"] = config["momentum"]
    return rbm, config


# ---- the page, top to bottom -------------------------------------------------------------

st.set_page_config(page_title="RBM, live", page_icon="🔗", layout="wide")
st.title("Restricted Boltzmann Machine")
st.caption(
    "Visible units v (the pixels) and hidden units h are connected by weights W. Training "
    "lowers the free energy of the data and raises it where the model's own samples are."
)
dataset_name, settings = sidebar_settings()
# Each rerun runs in a new thread; with torch's default thread count every one would start
# its own team of compute threads beside the training worker's. Drawing needs one.
threads_for_this_thread(1)
session = opened("rbm", RBMSession)
dataset, dataset_name = usable_dataset(dataset_name, session)
if session.run is None or st.session_state.get("rbm_pending_reset"):
    new_run()
session.take_pending_checkpoint(
    new_run,
    lambda job, loaded: job.load_weights(
        loaded[0], loaded[1].get("steps", 0), loaded[1].get("epochs", 0)
    ),
)
run = session.run

controls()
live_view()
replay_section(
    "rbm",
    PRETRAINED,
    dataset.n_pixels,
    "Dreams of the pretrained RBM (64 chains from noise, annealed over 300 Gibbs steps, one seed)",
    lambda data, name: offer_checkpoint(session, checked_checkpoint, data, name, "model"),
)
view_options()
look_inside()
dreams_section(session, dataset, cached_classifier(dataset.image_shape))
gibbs_chain()
export()
checkpoint_inputs(
    session,
    "rbm",
    checked_checkpoint,
    current="model",
    pretrained=PRETRAINED,
    n_pixels=dataset.n_pixels,
)
with st.expander("Settings of this run"):  # as they are now: rates, k and more change live
    st.json({"dataset": session.made_with[0], **asdict(run.job.settings)})
