"""The GAN page: train the seed's MNIST GAN live, watch the game, sample on demand.

Top to bottom as the user sees it: settings and lecturer presets (the sidebar, in
pages/settings/gan.py), controls, the live view, the game and its algorithm, samples on demand,
export, and continuing from a checkpoint.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.data.checkpoints import read_checkpoint
from core.gan.trainer import GANConfig, checkpoint_bytes, load_checkpoint_bytes
from core.judge.fid import fid_references
from core.pictures.grids import gif_bytes, image_grid
from core.training.gan_job import GANJob
from core.training.process import threads_for_this_thread
from pages.kit.live import live_fragment
from pages.kit.session import cached_classifier, cached_dataset, new_job, opened, usable_dataset
from pages.kit.widgets import (
    checkpoint_inputs,
    control_row,
    export_row,
    offer_checkpoint,
    png_download,
    start_pause_resume,
)
from pages.settings.gan import CAPS, PRETRAINED, REFRESH_SECONDS, sidebar_settings
from pages.settings.presets import PRESETS
from pages.views.gan import (
    GANSession,
    how_to_read,
    latent_explorer,
    live_charts,
    on_demand_views,
    the_game,
    timeline_view,
)
from pages.views.replay import replay_section


@st.cache_resource(show_spinner="Measuring the classifier FID's scale…")
def fid_scale(dataset_name: str) -> str:
    """A sentence that gives the classifier FID its scale on this dataset (once per process)."""
    dataset = cached_dataset(dataset_name)
    classifier = cached_classifier(dataset.image_shape)
    if classifier is None:
        return "no reference classifier for these images."
    pretrained = None
    if dataset_name.startswith("mnist") and PRETRAINED.path.exists():  # trained on mnist-5k
        pretrained = read_checkpoint(PRETRAINED.path.read_bytes(), "gan")
    scores = fid_references(classifier, dataset, pretrained).items()
    return f"with 500 samples, {' and '.join(f'{n} score {v:.1f}' for n, v in scores)}."


def new_run() -> None:
    session.preset = session.preset if st.session_state.pop("gan_pending_reset", False) else None
    classifier = cached_classifier(dataset.image_shape)
    job = new_job(lambda device: GANJob(dataset, config, CAPS, classifier, device))
    session.start_over(job, CAPS, shape, picture_interval=1.0)


def controls() -> None:
    """Start / Pause / Resume / Step / Train D only / Train G only / Reset, and the preset's
    sentence after a preset was chosen."""
    shape_changed = session.made_with != shape
    if not shape_changed:
        run.read(lambda job: job.apply(config))  # rates, k, loss, batch, average: live
    if session.preset:
        name = session.preset
        st.info(f"**{name}** — {PRESETS[name][1]}", icon=":material/school:")
    control_row(
        (
            *start_pause_resume(run, shape_changed),
            ("Step", "skip_next", run.step, shape_changed),
            (
                "Train D only",
                "shield",
                lambda: run.step(GANJob.train_discriminator_only),
                shape_changed,
            ),
            ("Train G only", "brush", lambda: run.step(GANJob.train_generator_only), shape_changed),
            ("Reset", "restart_alt", new_run, False),
        )
    )
    if shape_changed:
        st.info(
            "The dataset, the noise distribution or the seed changed: press Reset to build a new "
            "GAN with them."
        )


def live_view() -> None:
    """The status line, the curves and the pictures, redrawn while the GAN trains."""
    live_fragment(
        session,
        "gan",
        REFRESH_SECONDS,
        detail=lambda _: "",
        help="One step is k discriminator updates and one generator update.",
        finished=lambda slot, text: slot.warning(text),
        draw=lambda timer: live_charts(
            session, dataset, REFRESH_SECONDS, timer, bool(config.average_decay)
        ),
    )


def samples_on_demand() -> None:
    """Sample, Interpolate and a new z for the latent explorer, from G as it is now."""
    st.header("Samples on demand")
    st.caption(
        "These use the generator as it is now, training or paused"
        + (" (the average of its weights, as set in the sidebar)." if config.average_decay else ".")
    )
    buttons = st.columns(3)
    on_demand = session.on_demand
    if buttons[0].button("Sample", icon=":material/casino:", width="stretch"):
        on_demand["sample"] = run.read(lambda job: job.trainer.generate(64))
    if buttons[1].button("Interpolate", icon=":material/linear_scale:", width="stretch"):

        def interpolation(job: GANJob) -> np.ndarray:
            ends = job.trainer.sample_noise(2)
            return job.trainer.interpolate(ends[0], ends[1], steps=10)

        on_demand["interpolate"] = run.read(interpolation)
    if buttons[2].button(
        "New z for the latent explorer", icon=":material/explore:", width="stretch"
    ):
        on_demand["z"] = run.read(lambda job: job.trainer.sample_noise(1)).cpu().numpy()[0]
        for i in range(4):
            st.session_state[f"gan_z{i}"] = float(np.round(on_demand["z"][i], 2))
    on_demand_views(session, dataset)
    latent_explorer(session, dataset, config.noise)


def export() -> None:
    """G and D, the history, the grids and the training GIF; a timeline of the grid."""
    snapshot, columns = export_row(
        run,
        (
            "G and D (.pt)",
            lambda: run.read(  # the step the page shows (which counts "Train D only" too)
                lambda job: checkpoint_bytes(
                    job.trainer, dataset=dataset_name, steps=run.snapshot(history=False).steps
                )
            ),
            f"gan_{dataset_name}.pt",
            "Both state dicts and the config; load it here or with torch.load(weights_only=True).",
        ),
        "gan",
    )

    def grid(pixels) -> np.ndarray:
        return image_grid(pixels, dataset.image_shape, columns=8)

    if snapshot.pictures:
        fixed = snapshot.pictures["fixed_noise"]
        png_download(
            columns[2], "Fixed-noise grid (PNG)", lambda: grid(fixed), "gan_fixed_noise.png", 520
        )
    if "sample" in session.on_demand:
        samples = (session.on_demand["sample"] + 1) / 2
        png_download(columns[4], "Samples (PNG)", lambda: grid(samples), "gan_samples.png", 520)
    timeline = run.read(lambda job: list(job.timeline))
    if timeline:
        columns[3].download_button(
            "Fixed-noise grid over time (GIF)",
            lambda: gif_bytes(
                [grid(frame) for _, frame in timeline],
                upscale_to=320,
            ),
            "gan_training.gif",
            "image/gif",
            icon=":material/animation:",
            width="stretch",
            on_click="ignore",  # a download needs no rerun
        )
        if len(timeline) > 1:
            timeline_view(timeline, dataset)


# ---- the page, top to bottom -------------------------------------------------------------

st.set_page_config(page_title="GAN, live", page_icon="🎭", layout="wide")
threads_for_this_thread(1)  # drawing needs one thread; the training worker sets its own
st.title("Generative Adversarial Network")
st.caption(
    "A generator G turns noise z into images; a discriminator D learns to tell them from real "
    "digits, and G learns to fool D. Press Start and watch one set of digits form."
)
dataset_name, chosen = sidebar_settings()
session = opened("gan", GANSession)
dataset, dataset_name = usable_dataset(dataset_name, session)
config = GANConfig(n_pixels=dataset.n_pixels, **chosen)
shape = (dataset_name, config.noise, config.seed)  # these need a new model (a Reset)
if session.run is None or st.session_state.get("gan_pending_reset"):
    new_run()
session.take_pending_checkpoint(new_run, lambda job, checkpoint: job.load(checkpoint))
run = session.run

controls()
live_view()
replay_section(
    "gan",
    PRETRAINED,
    dataset.n_pixels,
    "The fixed-noise grid of the pretrained GAN (64 images of G from the same noise)",
    lambda data, name: offer_checkpoint(
        session, lambda d: load_checkpoint_bytes(d, config), data, name, "GAN"
    ),
)
how_to_read(fid_scale(dataset_name))
the_game()
samples_on_demand()
export()
checkpoint_inputs(
    session,
    "gan",
    lambda data: load_checkpoint_bytes(data, config),
    current="GAN",
    pretrained=PRETRAINED,
    n_pixels=dataset.n_pixels,
)
st.caption("Share this setup: the address bar holds the dataset, the settings and the seed.")
