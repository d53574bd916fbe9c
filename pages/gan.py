"""The GAN page: train the seed's MNIST GAN live, watch the game, sample on demand."""

from __future__ import annotations

from functools import partial

import numpy as np
import streamlit as st

from core.data.checkpoints import read_checkpoint
from core.data.datasets import Dataset
from core.gan.trainer import GANConfig, load_checkpoint_bytes
from core.judge.fid import fid_references
from core.pictures.grids import gif_bytes, image_grid
from core.training.gan_job import GANJob
from pages.kit.session import (
    NOT_DIGITS,
    cached_dataset,
    digit_judge,
    new_job,
    not_judged,
)
from pages.kit.training_page import Run, TrainingPage
from pages.kit.widgets import checkpoint_inputs, export_row, offer_checkpoint, png_download
from pages.settings.gan import (
    CAPS,
    PRESETS,
    PRETRAINED,
    REFRESH_SECONDS,
    SETTINGS,
    config_values,
    live_settings,
)
from pages.views.digit_gan import your_digit
from pages.views.gan import (
    GANSession,
    how_to_read,
    live_charts,
    on_demand_views,
    the_game,
    timeline_view,
)
from pages.views.latent import latent_explorer
from pages.views.own_dataset import chosen_dataset
from pages.views.replay import replay_section
from pages.views.take_home import take_home

PAGE = TrainingPage(
    kept_as="gan",
    prefix="gan",
    settings=SETTINGS,
    presets=PRESETS,
    session_class=GANSession,
    caps=CAPS,
    refresh_seconds=REFRESH_SECONDS,
    reset_hint="The dataset, the noise distribution or the seed changed: press Reset to build "
    "a new GAN with them.",
    run_options={"picture_interval": 1.0},
)


def main() -> None:
    """The page in screen order: settings and presets, controls, the live view, the
    pretrained GAN's replay, the game and its algorithm, samples on demand, your digit,
    export and checkpoints."""
    st.set_page_config(page_title="GAN, live", page_icon="🎭", layout="wide")
    st.title("Generative Adversarial Network")
    st.caption(
        "A generator G turns noise z into images; a discriminator D learns to tell them from "
        "real digits, and G learns to fool D. Press Start and watch one set of digits form."
    )
    values = PAGE.sidebar()
    session = PAGE.session()
    dataset, dataset_name = chosen_dataset(values["dataset"], session, "gan")
    values["dataset"] = dataset_name  # the one the page goes on with, if that was offline
    config = GANConfig(n_pixels=dataset.n_pixels, **config_values(values))
    classifier = digit_judge(dataset)
    run = PAGE.run(
        session,
        values,
        lambda: new_job(lambda device: GANJob(dataset, config, CAPS, classifier, device)),
        live_settings(values, config),
        built_from=dataset.name,  # your own images: each upload its own name
        load_checkpoint=GANJob.load,
    )
    run.controls(
        ("Train D only", "shield", lambda: run.run.step(GANJob.train_discriminator_only)),
        ("Train G only", "brush", lambda: run.run.step(GANJob.train_generator_only)),
    )
    run.live(
        lambda timer: live_charts(
            session, dataset, REFRESH_SECONDS, timer, bool(config.average_decay)
        ),
        help="One step is k discriminator updates and one generator update.",
        finished=lambda slot, text: slot.warning(text),
    )
    check = partial(load_checkpoint_bytes, config=config)
    replay_section(
        "gan",
        PRETRAINED,
        dataset.n_pixels,
        "The fixed-noise grid of the pretrained GAN (64 images of G from the same noise)",
        lambda data, name: offer_checkpoint(session, check, data, name, "GAN"),
    )
    how_to_read(fid_scale(dataset_name) if classifier else not_judged(dataset))
    the_game()
    samples_on_demand(run, dataset, config)
    your_digit(run, dataset, classifier)
    export(run, dataset, dataset_name)
    take_home(run.run.job)
    checkpoint_inputs(
        session, "gan", check, current="GAN", pretrained=PRETRAINED, n_pixels=dataset.n_pixels
    )
    st.caption("Share this setup: the address bar holds the dataset, the settings and the seed.")


@st.cache_resource(show_spinner="Measuring the classifier FID's scale…")
def fid_scale(dataset_name: str) -> str:
    """A sentence that gives the classifier FID its scale on this dataset (once per process)."""
    dataset = cached_dataset(dataset_name)
    classifier = digit_judge(dataset)
    if classifier is None:
        return NOT_DIGITS.format(name=dataset_name)
    pretrained = None
    if dataset_name.startswith("mnist") and PRETRAINED.path.exists():  # trained on mnist-5k
        pretrained = read_checkpoint(PRETRAINED.path.read_bytes(), "gan")
    scores = fid_references(classifier, dataset, pretrained).items()
    return f"with 500 samples, {' and '.join(f'{n} score {v:.1f}' for n, v in scores)}."


def samples_on_demand(run: Run, dataset: Dataset, config: GANConfig) -> None:
    """Sample, Interpolate and a new z for the latent explorer, from G as it is now."""
    st.header("Samples on demand")
    st.caption(
        "These use the generator as it is now, training or paused"
        + (" (the average of its weights, as set in the sidebar)." if config.average_decay else ".")
    )
    buttons = st.columns(3)
    on_demand = run.session.on_demand
    if buttons[0].button("Sample", icon=":material/casino:", width="stretch"):
        on_demand["sample"] = run.run.read(GANJob.samples, 64)
    if buttons[1].button("Interpolate", icon=":material/linear_scale:", width="stretch"):
        on_demand["interpolate"] = run.run.read(GANJob.interpolation)
    if buttons[2].button(
        "New z for the latent explorer", icon=":material/explore:", width="stretch"
    ):
        on_demand["z"] = run.run.read(GANJob.new_noise)
        for i in range(4):
            st.session_state[f"gan_z{i}"] = float(np.round(on_demand["z"][i], 2))
    on_demand_views(run.session, dataset)
    latent_explorer(run.session, dataset, config.noise, REFRESH_SECONDS)


def export(run: Run, dataset: Dataset, dataset_name: str) -> None:
    """G and D, the history, the grids and the training GIF; a timeline of the grid."""

    def checkpoint() -> bytes:  # at the step the page shows, which counts "Train D only" too
        return run.run.read(GANJob.checkpoint, dataset_name, run.run.snapshot(False).steps)

    snapshot, columns = export_row(
        run.run,
        (
            "G and D (.pt)",
            checkpoint,
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
    if "sample" in run.session.on_demand:
        samples = (run.session.on_demand["sample"] + 1) / 2
        png_download(columns[4], "Samples (PNG)", lambda: grid(samples), "gan_samples.png", 520)
    timeline = run.run.read(GANJob.timeline_frames)
    if timeline:
        columns[3].download_button(  # a short label: a fifth of a laptop's width
            "Training (GIF)",
            lambda: gif_bytes([grid(frame) for _, frame in timeline], upscale_to=320),
            "gan_training.gif",
            "image/gif",
            icon=":material/animation:",
            width="stretch",
            help="The fixed-noise grid at each kept step of training, as an animation.",
            on_click="ignore",  # a download needs no rerun
        )
        if len(timeline) > 1:
            timeline_view(timeline, dataset)


main()
