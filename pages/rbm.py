"""The RBM page: train a Restricted Boltzmann Machine live and watch what it learns."""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st

from core.data.datasets import Dataset
from core.pictures.grids import image_grid
from core.training.rbm_job import EXACT_MAX_HIDDEN, RBMJob
from pages.kit.session import digit_judge, new_job
from pages.kit.training_page import Run, TrainingPage
from pages.kit.widgets import (
    checkpoint_inputs,
    export_row,
    offer_checkpoint,
    png_download,
    x_axis_radio,
)
from pages.settings.rbm import (
    CAPS,
    PRESETS,
    PRETRAINED,
    REFRESH_SECONDS,
    SETTINGS,
    checkpoint_check,
    continue_from,
    job_settings,
)
from pages.views.digit_rbm import your_digit
from pages.views.dreams import dreams_section
from pages.views.own_dataset import chosen_dataset
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
from pages.views.take_home import take_home

PAGE = TrainingPage(
    kept_as="rbm",
    prefix="rbm",
    settings=SETTINGS,
    presets=PRESETS,
    session_class=RBMSession,
    caps=CAPS,
    refresh_seconds=REFRESH_SECONDS,
    reset_hint="The dataset, the number of hidden units, the batch size or the seed changed: "
    "press Reset to build a new model with them.",
)


def main() -> None:
    """The page in screen order: settings, controls, the live view, the pretrained model's
    replay, view options, a look inside, dreams, your digit, a Gibbs chain, export and
    checkpoints."""
    st.set_page_config(page_title="RBM, live", page_icon="🔗", layout="wide")
    st.title("Restricted Boltzmann Machine")
    st.caption(
        "Visible units v (the pixels) and hidden units h are connected by weights W. Training "
        "lowers the free energy of the data and raises it where the model's own samples are."
    )
    values = PAGE.sidebar()
    session = PAGE.session()
    dataset, dataset_name = chosen_dataset(values["dataset"], session, "rbm")
    values["dataset"] = dataset_name  # the one the page goes on with, if that was offline
    settings = job_settings(values)
    run = PAGE.run(
        session,
        values,
        lambda: new_job(lambda device: RBMJob(dataset, settings, CAPS, device)),
        settings,
        built_from=dataset.name,  # your own images: each upload its own name
        load_checkpoint=continue_from(session),
    )
    check = checkpoint_check(dataset, dataset_name)
    run.controls()
    run.live(
        lambda timer: live_charts(session, dataset, REFRESH_SECONDS, timer),
        help="One step is one mini-batch update.",
        detail=lambda s: f", epoch {s.latest.get('epoch', 0.0):.2f} of {settings.epochs}",
    )
    replay_section(
        "rbm",
        PRETRAINED,
        dataset.n_pixels,
        "Dreams of the pretrained RBM (64 chains from noise, annealed over 300 Gibbs steps, "
        "one seed)",
        lambda data, name: offer_checkpoint(session, check, data, name, "model"),
    )
    view_options(run)
    look_inside(session)
    dreams_section(session, dataset, digit_judge(dataset))
    your_digit(run, dataset, digit_judge(dataset))
    gibbs_chain(run, dataset)
    export(run, dataset, dataset_name)
    take_home(run.run.job)
    checkpoint_inputs(
        session, "rbm", check, current="model", pretrained=PRETRAINED, n_pixels=dataset.n_pixels
    )
    with st.expander("Settings of this run"):  # as they are now: rates, k and more change live
        st.json({"dataset": session.made_with[0], **asdict(run.run.job.settings)})


def view_options(run: Run) -> None:
    """The curves' axis, the Gibbs steps of the samples, and the log-likelihood on demand."""
    options = st.columns([2, 3, 2])
    with options[0]:
        x_axis_radio("rbm_x_axis", ["steps", "epochs", "images seen"])
    options[1].slider(
        "Gibbs steps between the training images and their samples",
        1,
        50,
        1,
        key="rbm_view_steps",
        help="1 shows the seed's X_train vs X_hat; more steps show where the chain drifts.",
    )
    if not run.run.job.exact_likelihood:
        options[2].button(
            "Estimate the log-likelihood (AIS)",
            icon=":material/functions:",
            key="rbm_ais",
            help="log P(v) = −F(v) − log Z needs the partition function Z; annealed importance "
            "sampling estimates it (100 runs, 5,000 temperatures).",
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
        estimate_log_likelihood(run.session)
    if run.session.ais_message:
        st.success(run.session.ais_message)


def look_inside(session: RBMSession) -> None:
    """One view of the model at a time, computed and drawn only when chosen."""
    st.header("Look inside")
    looks = ("Latent activations", "Free energies")
    look = st.segmented_control(
        "View", looks, default=looks[0], required=True, key="rbm_look", label_visibility="collapsed"
    )
    if look == looks[0]:
        latent_view(*model_view(session, "latent", RBMJob.latent_views))
    else:
        free_energy_view(*model_view(session, "energies", RBMJob.free_energy_samples))


def gibbs_chain(run: Run, dataset: Dataset) -> None:
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
        origin = "noise" if start == "noise" else "digit"
        try:
            frames = run.run.read(RBMJob.gibbs_frames, origin, int(digit), int(steps))
        except ValueError as error:
            st.error(str(error))
        else:
            grids = [image_grid(frame, dataset.image_shape, columns=4) for frame in frames]
            run.session.chain = grids
    if run.session.chain:
        chain_view(run.session.chain)


def export(run: Run, dataset: Dataset, dataset_name: str) -> None:
    """The model, the history and every image grid, made when their button is clicked."""
    hidden = run.run.job.settings.hidden_units
    snapshot, columns = export_row(
        run.run,
        (
            "Model (.pt)",
            lambda: run.run.read(RBMJob.checkpoint, dataset_name),
            f"rbm_{dataset_name}_{hidden}h.pt",
            "The state dict (W, b, c) and the model's shape; load it here or with torch.load.",
        ),
        "rbm",
    )
    if snapshot.pictures:
        grids = grid_pictures(run.session, dataset, snapshot.pictures, snapshot.pictures_version)
        for column, (name, _, _, grid) in zip(columns[2:], grids, strict=True):
            png_download(
                column, f"{name.capitalize()} (PNG)", lambda grid=grid: grid, f"rbm_{name}.png", 600
            )


main()
