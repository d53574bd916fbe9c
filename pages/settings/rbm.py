"""The RBM page's settings: the sidebar, what a link carries, and this server's caps."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.data.datasets import DATASET_NAMES, DEFAULT_DATASET
from core.training.rbm_job import RBMJobSettings
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
from pages.settings.presets import RBM_PRESETS
from pages.views.rbm import RBMSession

CAPS = Caps()
PRETRAINED = Pretrained(
    Path(__file__).resolve().parents[2] / "assets" / "rbm_mnist-5k_500h_pcd.pt",
    784,
    "Start from the pretrained RBM",
    "the pretrained RBM (500 hidden units, PCD)",
    "500 hidden units trained on mnist-5k by scripts/train_rbm.py (PCD, then on its own "
    "annealed dreams): under Dreams it draws digits of every kind.",
)
SHAPE_SETTINGS = ("hidden_units", "batch_size", "seed")  # these need a new model (a Reset)
REFRESH_SECONDS = 0.4  # the live view's refresh period while training
RATES = [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]
BATCHES = [10, 20, 50, 100, 200, 500, 1000]
DECAYS = [0.0, 1e-5, 1e-4, 1e-3, 1e-2]
MOMENTA = [round(0.05 * i, 2) for i in range(20)]
LINK = (  # the settings a link carries (see pages.settings.links)
    Setting("dataset", "rbm_dataset", DEFAULT_DATASET, choices=DATASET_NAMES),
    Setting("hidden", "rbm_hidden", 100, low=4, high=CAPS.max_hidden_units, integer=True),
    Setting("lr", "rbm_lr", 0.05, choices=RATES),
    Setting("k", "rbm_k", 1, low=1, high=25, integer=True),
    Setting("method", "rbm_method", "CD", choices=["CD", "PCD"]),
    Setting("batch", "rbm_batch", 100, choices=BATCHES),
    # 200 epochs: the default run lasts long enough to watch (50 took 16 s on a 2-core EPYC)
    Setting("epochs", "rbm_epochs", 200, low=1, high=CAPS.max_epochs, integer=True),
    Setting("momentum", "rbm_momentum", 0.5, choices=MOMENTA),
    Setting("decay", "rbm_decay", 1e-4, choices=DECAYS),
    Setting("seed", "rbm_seed", 0, low=0, high=1_000_000, integer=True),
)


def sidebar_settings() -> tuple[str, RBMJobSettings]:
    """The dataset and the run's settings, from the sidebar (first from the link)."""
    settings_from_link("rbm", LINK)
    with st.sidebar:
        st.header("Model and training")
        dataset_name = dataset_choice("rbm_dataset")
        hidden_units = st.slider("Hidden units", 4, CAPS.max_hidden_units, key="rbm_hidden")
        learning_rate = st.select_slider("Learning rate", RATES, key="rbm_lr")
        k = st.slider("Gibbs steps per update (k)", 1, 25, key="rbm_k")
        method = st.radio("Negative phase", ["CD", "PCD"], horizontal=True, key="rbm_method")
        batch_size = st.select_slider("Batch size", BATCHES, key="rbm_batch")
        epochs = st.slider(
            "Epochs", 1, CAPS.max_epochs, key="rbm_epochs", help="Passes over the training set."
        )
        momentum = st.slider("Momentum", 0.0, 0.95, step=0.05, key="rbm_momentum")
        weight_decay = st.select_slider("Weight decay", DECAYS, key="rbm_decay")
        seed = st.number_input("Seed", 0, 1_000_000, key="rbm_seed")
        preset_buttons("rbm", RBM_PRESETS, lambda: kept("rbm", RBMSession))
    settings_to_link(LINK)
    return dataset_name, RBMJobSettings(
        hidden_units=int(hidden_units),
        learning_rate=float(learning_rate),
        k=int(k),
        persistent=method == "PCD",
        batch_size=int(batch_size),
        epochs=int(epochs),
        momentum=float(momentum),
        weight_decay=float(weight_decay),
        seed=int(seed),
    )
