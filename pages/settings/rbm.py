"""The RBM page's settings, each named once: the sidebar, the link, the presets and the Reset
notice derive from this table. Also this server's caps, the pretrained model it offers, and
the settings an uploaded model brings."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.data.checkpoints import training_count
from core.data.datasets import DATASET_NAMES, DEFAULT_DATASET, ONLINE_DATASETS, Dataset
from core.data.own_images import OWN_IMAGES
from core.rbm.model import load_checkpoint_bytes
from core.training.caps import Caps
from core.training.rbm_job import RBMJob, RBMJobSettings
from pages.kit.session import PageSession
from pages.kit.widgets import Pretrained
from pages.settings.table import SPEEDS, Setting, by_name, speed_setting
from pages.views.replay import recorded_before

CAPS = Caps()
PRETRAINED = Pretrained(
    Path(__file__).resolve().parents[2] / "assets" / "rbm_mnist-5k_500h_pcd.pt",
    784,
    "Start from the pretrained RBM",
    "the pretrained RBM (500 hidden units, PCD)",
    "500 hidden units trained on mnist-5k by scripts/train_rbm.py (PCD, then on its own "
    "annealed dreams): under Dreams it draws digits of nine or ten kinds.",
)
REFRESH_SECONDS = 0.4  # the live view's refresh period while training
RATES = [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]
BATCHES = [10, 20, 50, 100, 200, 500, 1000]
DECAYS = [0.0, 1e-5, 1e-4, 1e-3, 1e-2]
MOMENTA = [round(0.05 * i, 2) for i in range(20)]
DREAMERS = {  # the Dreams' samplers, as their control names them (short: a phone's width)
    "annealed": "Annealed",
    "plain": "Plain Gibbs",
    "persistent": "PCD's chains",
}
MODEL = "Model and training"


DATASET_CHOICES = (*DATASET_NAMES, OWN_IMAGES)  # the last: uploaded (pages.views.own_dataset)


def dataset_label(name: str) -> str:
    """A dataset as the selector names it: the downloaded ones say so."""
    if name == OWN_IMAGES:
        return "Your own images"
    return name + (" (downloaded once: needs the internet)" if name in ONLINE_DATASETS else "")


SETTINGS = (
    Setting(
        "dataset",
        "rbm_dataset",
        DEFAULT_DATASET,
        choices=DATASET_CHOICES,
        widget="selectbox",
        label="Dataset",
        format=dataset_label,
        live=False,
        section=MODEL,
    ),
    Setting(
        "hidden",
        "rbm_hidden",
        100,
        low=4,
        high=CAPS.max_hidden_units,
        integer=True,
        label="Hidden units",
        live=False,
        section=MODEL,
    ),
    Setting(
        "lr",
        "rbm_lr",
        0.05,
        choices=RATES,
        widget="select_slider",
        label="Learning rate",
        section=MODEL,
    ),
    Setting(
        "k",
        "rbm_k",
        1,
        low=1,
        high=25,
        integer=True,
        label="Gibbs steps per update (k)",
        section=MODEL,
    ),
    Setting(
        "method",
        "rbm_method",
        "CD",
        choices=["CD", "PCD"],
        widget="radio",
        label="Negative phase",
        section=MODEL,
    ),
    Setting(
        "batch",
        "rbm_batch",
        100,
        choices=BATCHES,
        widget="select_slider",
        label="Batch size",
        live=False,
        section=MODEL,
    ),
    # the default run lasts long enough to watch
    Setting(
        "epochs",
        "rbm_epochs",
        200,
        low=1,
        high=CAPS.max_epochs,
        integer=True,
        label="Epochs",
        help="Passes over the training set.",
        section=MODEL,
    ),
    Setting(
        "momentum",
        "rbm_momentum",
        0.5,
        choices=MOMENTA,
        low=0.0,
        high=0.95,
        step=0.05,
        label="Momentum",
        section=MODEL,
    ),
    Setting(
        "decay",
        "rbm_decay",
        1e-4,
        choices=DECAYS,
        widget="select_slider",
        label="Weight decay",
        section=MODEL,
    ),
    speed_setting("rbm_speed", MODEL),
    Setting(
        "seed",
        "rbm_seed",
        0,
        low=0,
        high=1_000_000,
        integer=True,
        widget="number",
        label="Seed",
        live=False,
        section=MODEL,
    ),
    Setting(  # drawn under Dreams
        "sampler",
        "rbm_dream_sampler",
        "annealed",
        choices=list(DREAMERS),
        widget="segmented",
        label="Sampler",
        format=DREAMERS.get,
    ),
)


def job_settings(values: dict) -> RBMJobSettings:
    """The run's settings from the table's values."""
    return RBMJobSettings(
        hidden_units=int(values["hidden"]),
        learning_rate=float(values["lr"]),
        k=int(values["k"]),
        persistent=values["method"] == "PCD",
        batch_size=int(values["batch"]),
        epochs=int(values["epochs"]),
        momentum=float(values["momentum"]),
        weight_decay=float(values["decay"]),
        seed=int(values["seed"]),
        steps_per_second=SPEEDS[values["speed"]],
    )


DREAMER = {  # what both presets share: only the negative phase differs
    "dataset": "mnist-5k",
    "hidden": 500,
    "lr": 0.005,
    "k": 1,
    "batch": 100,
    "epochs": 150,
    "momentum": 0.9,
    "decay": 1e-4,
}
PRESETS = {  # bench/bench_presets.py --page rbm measures the sentences
    "Dream digits (PCD)": (
        {**DREAMER, "method": "PCD", "sampler": "persistent"},
        "500 hidden units trained with persistent chains (PCD-1, rate 0.005, momentum 0.9). "
        "Under Dreams, press Dream with PCD's persistent chains every thousand steps or so: by "
        "step 4,500 (100 epochs) most of them are digits, of four or five kinds. Then try plain "
        "Gibbs from noise: digits too, nearly all of them recognised, but of only one or two "
        "kinds: the model's valleys are uneven, and chains from noise find the deepest.",
    ),
    "Fading dreams (CD-1)": (
        {**DREAMER, "method": "CD", "sampler": "plain"},
        "The same model trained with CD-1, whose negative chains start at the training images. "
        "Its reconstructions look ever better, yet under Dreams, plain Gibbs from noise gives "
        "fewer and fewer digits the judge can read as training goes on (a fifth or fewer by "
        "step 4,500, where PCD's are nearly all digits). Look inside → Free energies shows "
        "where its samples sit.",
    ),
}
KEYS = {name: setting.key for name, setting in by_name(SETTINGS).items()}


def checkpoint_check(dataset: Dataset, dataset_name: str):
    """The check an uploaded RBM passes: it fits this dataset and this server. It sets the
    hidden units (a model's shape is its own) and nothing else: the rate, momentum, method
    and epochs stay the visitor's (their link's), and the load says how the model's differ
    (see continue_from). A model from the pretrained RBM's recording brings the recorded
    checkpoints before it, for its curves."""

    def check(data: bytes):
        rbm, config = load_checkpoint_bytes(data, max_hidden=CAPS.max_hidden_units)
        if rbm.n_visible != dataset.n_pixels:
            raise ValueError(
                f"The checkpoint is for {rbm.n_visible}-pixel images; {dataset_name} has "
                f"{dataset.n_pixels}. Choose the matching dataset first."
            )
        config["steps"] = int(training_count(config.get("steps"), "steps", 1e9))
        config["epochs"] = training_count(config.get("epochs"), "epochs", CAPS.max_epochs)
        config["recorded"] = [
            load_checkpoint_bytes(earlier, max_hidden=CAPS.max_hidden_units)
            for earlier in recorded_before(PRETRAINED, "rbm", data)
        ]
        if st.session_state.get(KEYS["hidden"]) != rbm.n_hidden:
            config["hidden_before"] = st.session_state.get(KEYS["hidden"])
            st.session_state[KEYS["hidden"]] = config["hidden_now"] = rbm.n_hidden
        return rbm, config

    return check


def continue_from(session: PageSession):
    """The RBM page's load of a checked checkpoint (see checkpoint_check) into a new job: the
    recorded checkpoints before it measured first, as its curves' first points, then the
    model itself; ``session.load_notice`` says what differs from the settings it goes on
    with (the visitor's, left as they were)."""

    def load(job: RBMJob, loaded: tuple) -> tuple[int, list[dict]]:
        rbm, config = loaded
        records = []
        for earlier, saved in config.get("recorded", []):
            step, metrics = job.load_weights(earlier, saved.get("steps", 0), saved.get("epochs", 0))
            records.append({"step": float(step), **metrics})
        steps, metrics = job.load_weights(rbm, config["steps"], config["epochs"])
        session.load_notice = load_notice(job.settings, config, [r["step"] for r in records])
        return steps, records + ([{"step": float(steps), **metrics}] if metrics else [])

    return load


def load_notice(settings: RBMJobSettings, config: dict, recorded: list[float]) -> str:
    """What a loaded model brings that the visitor's settings do not say, in sentences."""
    notes, own, yours = [], [], []
    if config.get("hidden_before") is not None:
        notes.append(
            f"Hidden units now read {config['hidden_now']}, the model's own (they were "
            f"{config['hidden_before']})."
        )
    for name, value, mine in (
        ("rate", config.get("learning_rate"), settings.learning_rate),
        ("momentum", config.get("momentum"), settings.momentum),
    ):
        if isinstance(value, float | int) and not isinstance(value, bool) and value != mine:
            own.append(f"{name} {value:g}")
            yours.append(f"{name} {mine:g}")
    method = str(config.get("method", ""))
    if method.startswith(("CD", "PCD")) and method.startswith("PCD") != settings.persistent:
        own.append(method.split(" ")[0])
        yours.append("PCD" if settings.persistent else "CD")
    if own:
        notes.append(
            f"It last trained with {', '.join(own)}; it goes on with yours: {', '.join(yours)}."
        )
    if config["epochs"] >= settings.epochs:
        notes.append(
            f"It has trained {config['epochs']:.4g} epochs, as many as Epochs asks for: raise "
            "Epochs to train it on."
        )
    if recorded:
        steps = " and ".join(f"{step:,.0f}" for step in recorded)
        notes.append(
            f"Its curves begin at its recorded checkpoints (steps {steps}), measured here."
        )
    return " ".join(notes)
