"""The RBM page: train a Restricted Boltzmann Machine live and watch what it learns."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import streamlit as st

from core.data import DATASET_NAMES, DEFAULT_DATASET, DatasetError, load_dataset
from core.rbm import checkpoint_bytes, load_checkpoint_bytes
from core.training import FAILED, FINISHED, TRAINING, Caps, RBMJob, RBMJobSettings, TrainingRun
from core.viz import (
    filter_grid,
    gif_bytes,
    heatmap_figure,
    histogram_figure,
    history_csv,
    history_figure,
    image_grid,
    png_bytes,
    scatter_figure,
    upscale,
)

CAPS = Caps()
PRETRAINED = Path(__file__).resolve().parents[1] / "assets" / "rbm_mnist-5k_100h.pt"
SHAPE_SETTINGS = ("hidden_units", "batch_size", "seed")


@st.cache_resource(show_spinner="Loading the dataset…")
def cached_dataset(name: str):
    """Datasets are loaded once per process and shared read-only by every session."""
    return load_dataset(name)


@st.cache_resource(
    scope="session", on_release=lambda holder: holder["run"] and holder["run"].close()
)
def session_holder() -> dict:
    """This browser session's own training run; closed when the session ends."""
    return {"run": None, "dataset": None, "settings": None}


st.set_page_config(page_title="RBM, live", page_icon="🔗", layout="wide")
st.title("Restricted Boltzmann Machine")
st.caption(
    "Visible units v (the pixels) and hidden units h are connected by weights W. Training "
    "lowers the free energy of the data and raises it where the model's own samples are."
)

with st.sidebar:
    st.header("Model and training")
    dataset_name = st.selectbox(
        "Dataset", DATASET_NAMES, index=DATASET_NAMES.index(DEFAULT_DATASET), key="rbm_dataset"
    )
    hidden_units = st.slider("Hidden units", 4, CAPS.max_hidden_units, 100, key="rbm_hidden")
    learning_rate = st.select_slider(
        "Learning rate", [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5], 0.05, key="rbm_lr"
    )
    k = st.slider("Gibbs steps per update (k)", 1, 25, 1, key="rbm_k")
    method = st.radio("Negative phase", ["CD", "PCD"], horizontal=True, key="rbm_method")
    batch_size = st.select_slider(
        "Batch size", [10, 20, 50, 100, 200, 500, 1000], 100, key="rbm_batch"
    )
    momentum = st.slider("Momentum", 0.0, 0.95, 0.5, 0.05, key="rbm_momentum")
    weight_decay = st.select_slider(
        "Weight decay", [0.0, 1e-5, 1e-4, 1e-3, 1e-2], 1e-4, key="rbm_decay"
    )
    seed = st.number_input("Seed", 0, 1_000_000, 0, key="rbm_seed")

settings = RBMJobSettings(
    hidden_units=int(hidden_units),
    learning_rate=float(learning_rate),
    k=int(k),
    persistent=method == "PCD",
    batch_size=int(batch_size),
    momentum=float(momentum),
    weight_decay=float(weight_decay),
    seed=int(seed),
)

try:
    dataset = cached_dataset(dataset_name)
except DatasetError as error:
    st.error(str(error))
    st.stop()

holder = session_holder()


def new_run() -> None:
    job = RBMJob(dataset, settings, CAPS)
    if holder["run"] is None:
        holder["run"] = TrainingRun(job, caps=CAPS)
    else:
        holder["run"].reset(job)
    holder["dataset"], holder["settings"] = dataset_name, settings


if holder["run"] is None:
    new_run()
if holder.get("pending_checkpoint"):
    checkpoint_rbm, checkpoint_name = holder.pop("pending_checkpoint")
    new_run()
    holder["run"].job.load_weights(checkpoint_rbm)
    holder["upload_message"] = ("success", f"Continuing from {checkpoint_name}.")
run: TrainingRun = holder["run"]

shape_changed = holder["dataset"] != dataset_name or any(
    getattr(holder["settings"], name) != getattr(settings, name) for name in SHAPE_SETTINGS
)
if not shape_changed:
    run.job.apply(settings)  # learning rate, k, CD/PCD, momentum and decay change live

# Callbacks run before the page is drawn, so every button shows the state after the click.
controls = (
    ("Start", "play_arrow", run.start, run.state == TRAINING or shape_changed),
    ("Pause", "pause", run.pause, run.state != TRAINING),
    ("Resume", "resume", run.resume, run.state == TRAINING or shape_changed),
    ("Step", "skip_next", run.step, shape_changed),
    ("Reset", "restart_alt", new_run, False),
)
for column, (label, icon, action, disabled) in zip(st.columns(5), controls, strict=True):
    column.button(
        label, icon=f":material/{icon}:", on_click=action, disabled=disabled, width="stretch"
    )

if shape_changed:
    st.info(
        "The dataset, the number of hidden units, the batch size or the seed changed: "
        "press Reset to build a new model with them."
    )


@st.fragment(run_every=0.5 if run.state == TRAINING else None)
def live_view() -> None:
    snapshot = run.snapshot()
    if snapshot.state == FAILED:
        st.error(f"Training stopped: {snapshot.message} Press Reset to start again.")
    elif snapshot.state == FINISHED:
        st.warning(snapshot.message)
    epoch = snapshot.latest.get("epoch", 0.0)
    st.markdown(
        f"**{snapshot.state.capitalize()}** — step **{snapshot.steps}**, epoch {epoch:.2f}, "
        f"{snapshot.seconds:.1f} s of training",
        help="One step is one mini-batch update.",
    )
    left, right = st.columns(2)
    with left:
        st.plotly_chart(
            history_figure(
                snapshot.history, ["surrogate_cost"], title="Surrogate cost F(v) − F(v̂)"
            ),
            width="stretch",
        )
        st.latex(r"\text{cost} = \tfrac{1}{n}\sum F(v) - \tfrac{1}{n}\sum F(\hat v)")
    with right:
        st.plotly_chart(
            history_figure(snapshot.history, ["pseudo_log_likelihood"], title="Pseudo-likelihood"),
            width="stretch",
        )
        st.caption("D · log σ(F(ṽ) − F(v)), ṽ = v with one pixel flipped: higher is better.")
    gap = [r for r in snapshot.history if "free_energy_validation" in r]
    st.plotly_chart(
        history_figure(
            gap,
            ["free_energy_train", "free_energy_validation"],
            title="Mean free energy of training and validation images",
            labels={"free_energy_train": "training", "free_energy_validation": "validation"},
        ),
        width="stretch",
    )
    if len(gap) >= 2:
        widening = (gap[-1]["free_energy_validation"] - gap[-1]["free_energy_train"]) - (
            gap[0]["free_energy_validation"] - gap[0]["free_energy_train"]
        )
        if widening > 5:
            st.warning(
                f"The validation images' free energy is now {widening:.1f} nats further above "
                "the training images' than at the start: the model is starting to memorise its "
                "training set (overfitting)."
            )
        else:
            st.caption("F(v) of held-out images tracks the training images': no overfitting yet.")
    run.job.reconstruction_steps = st.session_state.get("rbm_view_steps", 1)
    pictures = snapshot.pictures
    if snapshot.state != TRAINING and pictures:
        pictures = run.read(lambda job: job.pictures())  # paused: follow the slider at once
    if pictures:
        shape = dataset.image_shape
        views = (
            (image_grid(pictures["originals"], shape), "Training images v"),
            (
                image_grid(pictures["reconstructions"], shape),
                f"After {run.job.reconstruction_steps} Gibbs step(s): P(v | h)",
            ),
            (filter_grid(pictures["filters"], shape), "Filters: rows of W"),
        )
        for column, (picture, caption) in zip(st.columns(3), views, strict=True):
            column.image(
                upscale(picture), caption=caption, clamp=True, output_format="PNG", width="stretch"
            )
    st.slider(
        "Gibbs steps between the training images and their samples",
        1,
        50,
        1,
        key="rbm_view_steps",
        help="1 shows the seed's X_train vs X_hat; more steps show where the chain drifts.",
    )
    if snapshot.state != TRAINING and run_every_was_on():
        st.rerun()  # training ended: redraw the page so the timer and the buttons update


def run_every_was_on() -> bool:
    return st.session_state.get("rbm_was_training", False)


st.session_state["rbm_was_training"] = run.state == TRAINING
live_view()

st.header("Look inside")
latent_tab, energy_tab = st.tabs(["Latent activations", "Free energies"])
with latent_tab:
    views = run.read(lambda job: job.latent_views())
    st.caption(
        "P(h_j = 1 | v) = σ(c_j + W_j v) for held-out images: each row one image, each column "
        "one hidden unit. Units that light up for one digit and not others are what the model "
        "uses to tell digits apart."
    )
    left, right = st.columns(2)
    left.plotly_chart(
        heatmap_figure(
            views["activations"],
            title="P(h | v) for 64 images",
            x_title="hidden unit",
            y_title="image",
        ),
        width="stretch",
    )
    right.plotly_chart(
        heatmap_figure(
            views["class_means"],
            title="Mean activation per digit",
            x_title="hidden unit",
            y_title="digit",
            y_labels=views["classes"],
        ),
        width="stretch",
    )
    st.plotly_chart(
        scatter_figure(
            views["projection"],
            views["labels"],
            title="Hidden codes projected on their two main directions (PCA)",
        ),
        width="stretch",
    )
with energy_tab:
    st.caption(
        "F(v) = −bᵀv − Σ_j log(1 + e^{c_j + W_j v}): low for what the model finds likely. "
        "Training pushes the data's free energy down; samples from the model's own Gibbs "
        "chains should end up where the data is, and noise far above."
    )
    st.plotly_chart(
        histogram_figure(
            run.read(lambda job: job.free_energy_samples()),
            title="Free energy of data, model samples and noise",
            x_title="F(v)",
        ),
        width="stretch",
    )

st.header("Gibbs chain")
st.caption(
    "Start from random pixels or from a training digit and alternate h ~ P(h | v), "
    "v ~ P(v | h). Each frame shows P(v | h): where the chain wanders is what the model believes."
)
chain_columns = st.columns([2, 1, 2, 1])
chain_start = chain_columns[0].radio(
    "Start from", ["noise", "a digit"], horizontal=True, key="rbm_chain_start"
)
chain_digit = chain_columns[1].number_input(
    "Digit", 0, 9, 3, key="rbm_chain_digit", disabled=chain_start == "noise"
)
chain_steps = chain_columns[2].slider("Gibbs steps", 1, 200, 30, key="rbm_chain_steps")
if chain_columns[3].button("Run the chain", icon=":material/animation:", width="stretch"):
    try:
        frames = run.read(
            lambda job: job.gibbs_frames(
                "noise" if chain_start == "noise" else "digit", int(chain_digit), int(chain_steps)
            )
        )
    except ValueError as error:
        st.error(str(error))
    else:
        shape = dataset.image_shape
        holder["chain"] = [image_grid(frame, shape, columns=4) for frame in frames]
if holder.get("chain"):
    pictures = holder["chain"]
    shown = sorted({round(i * (len(pictures) - 1) / 5) for i in range(6)})
    for column, index in zip(st.columns(len(shown)), shown, strict=True):
        column.image(
            upscale(pictures[index], 300),
            caption=f"after {index} steps",
            clamp=True,
            output_format="PNG",
            width="stretch",
        )
    st.download_button(
        "Download the chain as an animated GIF",
        gif_bytes(pictures),
        "gibbs_chain.gif",
        "image/gif",
        icon=":material/download:",
    )

st.header("Export and continue")
snapshot = run.snapshot()
export = st.columns(3)
export[0].download_button(
    "Model (state dict + config)",
    run.read(lambda job: checkpoint_bytes(job.rbm, dataset=dataset_name)),
    f"rbm_{dataset_name}_{holder['settings'].hidden_units}h.pt",
    "application/octet-stream",
    icon=":material/download:",
    width="stretch",
)
export[1].download_button(
    "Loss history (CSV)",
    history_csv(snapshot.history),
    "rbm_history.csv",
    "text/csv",
    icon=":material/download:",
    width="stretch",
    disabled=not snapshot.history,
)
if snapshot.pictures:
    export[2].download_button(
        "Filters (PNG)",
        png_bytes(filter_grid(snapshot.pictures["filters"], dataset.image_shape)),
        "rbm_filters.png",
        "image/png",
        icon=":material/download:",
        width="stretch",
    )


def take_upload() -> None:
    """Check an uploaded checkpoint; on success set the page up to continue from it."""
    upload = st.session_state.get("rbm_upload")
    holder["upload_message"] = None
    if upload is None:
        return
    try:
        rbm, config = load_checkpoint_bytes(upload.getvalue())
        if rbm.n_visible != dataset.n_pixels:
            raise ValueError(
                f"The checkpoint is for {rbm.n_visible}-pixel images; {dataset_name} has "
                f"{dataset.n_pixels}. Choose the matching dataset first."
            )
        if rbm.n_hidden > CAPS.max_hidden_units:
            raise ValueError(f"{rbm.n_hidden} hidden units is above this server's limit.")
    except ValueError as error:
        holder["upload_message"] = (
            "error",
            f"{upload.name}: {error} The current model is unchanged.",
        )
        return
    st.session_state["rbm_hidden"] = rbm.n_hidden
    holder["pending_checkpoint"] = (rbm, upload.name)


def take_pretrained() -> None:
    """Continue from the RBM that ships in assets/ (trained by scripts/train_rbm.py)."""
    rbm, _ = load_checkpoint_bytes(PRETRAINED.read_bytes())
    st.session_state["rbm_hidden"] = rbm.n_hidden
    holder["pending_checkpoint"] = (rbm, "the pretrained RBM (100 hidden units, CD-1, 30 epochs)")


if dataset.n_pixels == 784 and PRETRAINED.exists():
    st.button(
        "Start from the pretrained RBM",
        icon=":material/model_training:",
        on_click=take_pretrained,
        help="100 hidden units trained on mnist-5k for 30 epochs by scripts/train_rbm.py.",
    )
st.file_uploader(
    "Continue from a checkpoint (.pt)", type=["pt"], key="rbm_upload", on_change=take_upload
)
if holder.get("upload_message"):
    kind, text = holder["upload_message"]
    getattr(st, kind)(text)

with st.expander("Settings of this run"):
    st.json(asdict(holder["settings"]))
