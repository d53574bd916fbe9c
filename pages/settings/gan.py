"""The GAN page's settings: the sidebar with the lecturer presets, what a link carries, and
this server's caps."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.data.datasets import DATASET_NAMES, DEFAULT_DATASET
from core.training.runs import Caps
from pages.kit.session import kept
from pages.kit.widgets import (
    Pretrained,
    dataset_choice,
    preset_buttons,
    settings_from_link,
    settings_to_link,
)
from pages.settings.links import Setting
from pages.settings.presets import PRESETS
from pages.views.gan import GANSession

CAPS = Caps(max_batch_size=512)
PRETRAINED = Pretrained(
    Path(__file__).resolve().parents[2] / "assets" / "gan_mnist-5k.pt",
    784,
    "Start from the pretrained GAN",
    "the pretrained GAN",
    "The seed's GAN trained on mnist-5k by scripts/train_gan.py.",
)
REFRESH_SECONDS = 0.5
RATES = [1e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2]
BATCHES = [16, 32, 64, 128, 256, 512]
AVERAGES = [0.0, 0.99, 0.995, 0.998, 0.999]
LINK = (  # the settings a link carries (see pages.settings.links)
    Setting("dataset", "gan_dataset", DEFAULT_DATASET, choices=DATASET_NAMES),
    Setting("lr_g", "gan_lr_g", 2e-4, choices=RATES),
    Setting("lr_d", "gan_lr_d", 2e-4, choices=RATES),
    Setting("k", "gan_k", 1, low=1, high=10, integer=True),
    Setting("saturating", "gan_saturating", False, choices=[False, True]),
    Setting("batch", "gan_batch", 128, choices=BATCHES),
    Setting("average", "gan_average", 0.0, choices=AVERAGES),
    Setting("noise", "gan_noise", "uniform", choices=["uniform", "gaussian"]),
    Setting("seed", "gan_seed", 0, low=0, high=1_000_000, integer=True),
)


def page_session() -> GANSession:
    """This browser's own run on this page, kept across reloads (pages.kit.session.kept)."""
    return kept("gan", GANSession)


def sidebar_settings() -> tuple[str, dict]:
    """The dataset and the GAN's settings, from the sidebar (first from the link), and the
    lecturer presets."""
    settings_from_link("gan", LINK)
    with st.sidebar:
        st.header("Model and training")
        dataset_name = dataset_choice("gan_dataset")
        chosen = dict(
            learning_rate_generator=float(
                st.select_slider("Generator learning rate α₁", RATES, key="gan_lr_g")
            ),
            learning_rate_discriminator=float(
                st.select_slider("Discriminator learning rate α₂", RATES, key="gan_lr_d")
            ),
            k=int(st.slider("D updates per G update (k)", 1, 10, key="gan_k")),
            batch_size=int(st.select_slider("Batch size", BATCHES, key="gan_batch")),
            average_decay=float(
                st.select_slider(
                    "Samples from G's average (decay d)",
                    AVERAGES,
                    key="gan_average",
                    format_func=lambda d: "off" if d == 0 else f"{d:g}",
                    help="Pictures and scores come from an average of G's weights over the "
                    "run, w̄ ← d·w̄ + (1 − d)·w after every G update (about 1/(1 − d) updates "
                    "long): it smooths the back-and-forth of the two players, so digits come "
                    "sooner. Training itself is unchanged. Off: the pictures come from G "
                    "itself, as in the seed.",
                )
            ),
            noise=st.radio("Noise z", ["uniform", "gaussian"], horizontal=True, key="gan_noise"),
            seed=int(st.number_input("Seed", 0, 1_000_000, key="gan_seed")),
        )
        preset_buttons("gan", PRESETS, page_session)
    saturating = bool(st.session_state.get("gan_saturating", False))
    chosen["generator_loss"] = "minimax" if saturating else "proxy"
    settings_to_link(LINK)
    return dataset_name, chosen
