"""The RBM page: train a Restricted Boltzmann Machine live and watch what it learns."""

from __future__ import annotations

import copy
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import streamlit as st

from app_pages.common import (
    cached_dataset,
    charts_snapshot,
    control_row,
    drawn_once,
    live_period,
    live_status_view,
    model_and_history_downloads,
    settings_from_link,
    settings_to_link,
    upload_message,
)
from core.data import DATASET_NAMES, DEFAULT_DATASET, DatasetError
from core.links import Setting
from core.rbm import checkpoint_bytes, load_checkpoint_bytes
from core.training import (
    EXACT_MAX_HIDDEN,
    TRAINING,
    Caps,
    RBMJob,
    RBMJobSettings,
    TrainingRun,
    close_session_run,
    threads_for_this_thread,
)
from core.viz import (
    Series,
    filter_grid,
    gif_bytes,
    heatmap_figure,
    histogram_figure,
    image_grid,
    panels_figure,
    panels_svg,
    picture_svg,
    png_bytes,
    scatter_figure,
    upscale,
)

CAPS = Caps()
PRETRAINED = Path(__file__).resolve().parents[1] / "assets" / "rbm_mnist-5k_100h.pt"
SHAPE_SETTINGS = ("hidden_units", "batch_size", "seed")
REFRESH_SECONDS = 0.4  # the live view's refresh period while training
VIEW_MAX_AGE = 10.0  # seconds a "Look inside" view is reused while the model trains
RATES = [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]
BATCHES = [10, 20, 50, 100, 200, 500, 1000]
DECAYS = [0.0, 1e-5, 1e-4, 1e-3, 1e-2]
LINK = (  # the settings a link carries (see core.links)
    Setting("dataset", "rbm_dataset", DEFAULT_DATASET, choices=DATASET_NAMES),
    Setting("hidden", "rbm_hidden", 100, low=4, high=CAPS.max_hidden_units, integer=True),
    Setting("lr", "rbm_lr", 0.05, choices=RATES),
    Setting("k", "rbm_k", 1, low=1, high=25, integer=True),
    Setting("method", "rbm_method", "CD", choices=["CD", "PCD"]),
    Setting("batch", "rbm_batch", 100, choices=BATCHES),
    Setting("epochs", "rbm_epochs", 50, low=1, high=CAPS.max_epochs, integer=True),
    Setting("momentum", "rbm_momentum", 0.5, choices=[round(0.05 * i, 2) for i in range(20)]),
    Setting("decay", "rbm_decay", 1e-4, choices=DECAYS),
    Setting("seed", "rbm_seed", 0, low=0, high=1_000_000, integer=True),
)


@st.cache_resource(scope="session", on_release=close_session_run)
def session_holder() -> dict:
    """This browser session's own training run; closed when the session ends."""
    return {"run": None, "dataset": None, "settings": None}


st.set_page_config(page_title="RBM, live", page_icon="🔗", layout="wide")
st.title("Restricted Boltzmann Machine")
st.caption(
    "Visible units v (the pixels) and hidden units h are connected by weights W. Training "
    "lowers the free energy of the data and raises it where the model's own samples are."
)

settings_from_link("rbm", LINK)

with st.sidebar:
    st.header("Model and training")
    dataset_name = st.selectbox("Dataset", DATASET_NAMES, key="rbm_dataset")
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
settings_to_link(LINK)

settings = RBMJobSettings(
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

try:
    dataset = cached_dataset(dataset_name)
except DatasetError as error:
    st.error(str(error))
    st.stop()

holder = session_holder()
# Each rerun runs in a new thread; with torch's default thread count every one would start
# its own team of compute threads beside the training worker's. Drawing needs one.
threads_for_this_thread(1)


def new_run() -> None:
    job = RBMJob(dataset, settings, CAPS)
    if holder["run"] is None:
        holder["run"] = TrainingRun(job, caps=CAPS)
    else:
        holder["run"].reset(job)
    holder["dataset"], holder["settings"] = dataset_name, settings
    holder["ais"] = []


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
control_row(controls)

if shape_changed:
    st.info(
        "The dataset, the number of hidden units, the batch size or the seed changed: "
        "press Reset to build a new model with them."
    )


STEP_SERIES = Series("{}", "per batch (averaged)")
TRAIN_SERIES = Series("{}_train", "training images", evaluation=True)
VALIDATION_SERIES = Series("{}_validation", "validation images", evaluation=True)


def curves(key: str, per_batch: bool = True) -> list[Series]:
    """A metric per batch (if it has one) and on the fixed training and validation images."""
    chosen = [STEP_SERIES] if per_batch else []
    return [
        Series(s.key.format(key), s.label, s.evaluation)
        for s in chosen + [TRAIN_SERIES, VALIDATION_SERIES]
    ]


def likelihood_panel(history: list[dict], ais: list[dict]) -> tuple[list[dict], list[Series]]:
    """The log-likelihood panel: exact at every evaluation, or the AIS estimates asked for."""
    if run.job.exact_likelihood:
        return history, curves("log_likelihood", per_batch=False)
    series = [
        Series("ais_log_likelihood_train", "training images", evaluation=True),
        Series("ais_log_likelihood_validation", "validation images", evaluation=True),
    ]
    return history + ais, series


# One live fragment: the status line (which moves by itself between the fragment's runs where
# the server has the live route: see app_pages.live_line); the charts and pictures (most of a
# refresh's cost) from a new snapshot only as often as the server's load allows, and otherwise
# drawn again from the last one, which costs the browser nothing (see charts_snapshot). Every
# fragment run costs each browser a redraw of the whole page, so one fragment, not two.
LIVE_EVERY = live_period(run, REFRESH_SECONDS)


@st.fragment(run_every=LIVE_EVERY)
def live() -> None:
    live_status_view(
        run,
        holder,
        "rbm",
        lambda s: f", epoch {s.latest.get('epoch', 0.0):.2f} of {run.job.settings.epochs}",
        "One step is one mini-batch update.",
        LIVE_EVERY,
        REFRESH_SECONDS,
        finished=lambda slot, text: slot.success(text),
    )
    live_view()


def live_view() -> None:
    """The charts and pictures, inside the live fragment."""
    snapshot = charts_snapshot(run, holder, REFRESH_SECONDS, LIVE_EVERY)
    history, likelihood = likelihood_panel(snapshot.history, holder.get("ais", []))
    panels = [
        ("Surrogate cost F(v) − F(v̂)", [Series("surrogate_cost", "per batch (averaged)")]),
        ("Reconstruction error", curves("reconstruction_error")),
        ("Pseudo-log-likelihood", curves("pseudo_log_likelihood")),
        ("Mean free energy F(v)", curves("free_energy", per_batch=False)),
        (
            "Free-energy gap (validation − training)",
            [Series("free_energy_gap", "validation − training", evaluation=True)],
        ),
        (
            "Log-likelihood, exact" if run.job.exact_likelihood else "Log-likelihood (AIS)",
            likelihood,
        ),
    ]
    x_key = "epoch" if st.session_state.get("rbm_x_axis") == "epochs" else "step"
    chart_options = dict(
        x_key=x_key,
        reference_lines={4: 0.0},
        placeholders={5: "Press “Estimate the log-likelihood (AIS)” below"},
    )
    if snapshot.state == TRAINING:
        # Redrawn at every refresh while training: a picture costs the browser a few ms where
        # plotly takes ~0.2 s of CPU; paused, the chart can be hovered and zoomed.
        picture = drawn_once(
            holder,
            "curves",
            snapshot,
            (x_key, len(holder.get("ais", []))),
            lambda: panels_svg(history, panels, **chart_options),
        )
        st.image(picture, width="stretch")
    else:
        st.plotly_chart(
            panels_figure(history, panels, **chart_options), width="stretch", key="rbm_curves"
        )
    gap = [r for r in snapshot.history if "free_energy_gap" in r]
    overfitting = st.empty()
    if len(gap) >= 2 and gap[-1]["free_energy_gap"] - min(r["free_energy_gap"] for r in gap) > 5:
        widening = gap[-1]["free_energy_gap"] - min(r["free_energy_gap"] for r in gap)
        overfitting.warning(
            f"The validation images' free energy is now {widening:.1f} nats further above the "
            "training images' than it was: the model is starting to memorise its training set "
            "(overfitting). Weight decay, fewer hidden units or fewer epochs help."
        )
    run.job.reconstruction_steps = st.session_state.get("rbm_view_steps", 1)
    pictures, version = snapshot.pictures, snapshot.pictures_version
    if snapshot.state != TRAINING and pictures:
        pictures = run.read(lambda job: job.pictures())  # paused: follow the slider at once
        version = -1
    if pictures:
        for column, (_, picture, caption, _) in zip(
            st.columns(3), grid_pngs(pictures, version), strict=True
        ):
            column.image(picture, caption=caption, width="stretch")


def grid_picture(grid: np.ndarray) -> str:
    """An image grid as a picture for the live view: a PNG at its own size in an SVG that
    enlarges it to about 600 pixels wide, pixel for pixel."""
    scale = max(1, round(600 / grid.shape[1]))
    return picture_svg(
        png_bytes(grid, upscale=1, compress_level=1), grid.shape[1] * scale, grid.shape[0] * scale
    )


def grid_pngs(pictures: dict, version: int) -> list[tuple[str, str, str, np.ndarray]]:
    """The three image grids (name, picture, caption, pixels), drawn once per new set of
    pictures."""
    key = (version, run.job.reconstruction_steps, id(run))
    cached = holder.get("grid_pngs")
    if version >= 0 and cached and cached[0] == key:
        return cached[1]
    shape = dataset.image_shape
    steps = run.job.reconstruction_steps
    grids = [
        ("originals", image_grid(pictures["originals"], shape), "Training images v"),
        (
            "samples",
            image_grid(pictures["reconstructions"], shape),
            f"After {steps} Gibbs step{'s' if steps > 1 else ''}: P(v | h)",
        ),
        ("filters", filter_grid(pictures["filters"], shape), "Filters: rows of W"),
    ]
    encoded = [(name, grid_picture(grid), caption, grid) for name, grid, caption in grids]
    holder["grid_pngs"] = (key, encoded)
    return encoded


st.session_state["rbm_was_training"] = run.state == TRAINING
live()
view_options = st.columns([2, 3, 2])
view_options[0].radio("Horizontal axis", ["steps", "epochs"], horizontal=True, key="rbm_x_axis")
view_options[1].slider(
    "Gibbs steps between the training images and their samples",
    1,
    50,
    1,
    key="rbm_view_steps",
    help="1 shows the seed's X_train vs X_hat; more steps show where the chain drifts.",
)
if not run.job.exact_likelihood:
    view_options[2].button(
        "Estimate the log-likelihood (AIS)",
        icon=":material/functions:",
        key="rbm_ais",
        help="log P(v) = −F(v) − log Z needs the partition function Z; annealed importance "
        "sampling estimates it in a few seconds (100 runs, 5,000 temperatures).",
    )
st.caption(
    "Per batch: the surrogate F(v) − F(v̂) (its gradient is the update), the reconstruction "
    "error ‖v − P(v | h)‖² and the pseudo-log-likelihood D · log σ(F(ṽ) − F(v)) (ṽ: v with one "
    "pixel flipped), averaged over a few batches. At every epoch the same 500 training and 500 "
    "held-out images are measured; when the held-out free energy climbs above the training one, "
    "the model is memorising. The true log-likelihood log P(v) = −F(v) − log Z is exact for up "
    f"to {EXACT_MAX_HIDDEN} hidden units and an AIS estimate (with its ±3 s.e. range) above."
)
if st.session_state.get("rbm_ais"):
    progress = st.progress(0.0, text="Annealed importance sampling…")
    model = run.read(lambda job: copy.deepcopy(job))  # estimate on a copy: training goes on
    estimate = model.estimate_log_likelihood(
        progress=lambda done: progress.progress(done, text=f"AIS: {done:.0%}")
    )
    progress.empty()
    step = run.snapshot(history=False).steps
    holder.setdefault("ais", []).append(
        {"step": float(step), "epoch": model.epoch_progress, **estimate}
    )
    st.success(
        f"At step {step}: log Z ≈ {estimate['log_z']:.2f}; average log-likelihood of the "
        f"training images {estimate['ais_log_likelihood_train']:.2f} nats "
        f"({estimate['ais_log_likelihood_train_low']:.2f} to "
        f"{estimate['ais_log_likelihood_train_high']:.2f}), of the validation images "
        f"{estimate['ais_log_likelihood_validation']:.2f} nats."
    )


def model_view(name: str, compute):
    """A view computed from the current model between two updates, and the step it shows.

    Computing one pauses training for a moment (a free-energy histogram runs 400 Gibbs chains),
    and every click on the page reruns it: while the model trains, a view is reused for up to
    VIEW_MAX_AGE seconds; when paused it is computed once per step."""
    steps = run.snapshot().steps
    cached = holder.setdefault("views", {}).get(name)
    if cached and cached["run"] == id(run):
        if cached["steps"] == steps or (
            run.state == TRAINING and time.monotonic() - cached["at"] < VIEW_MAX_AGE
        ):
            return cached["value"], cached["steps"]
    value = run.read(compute)
    holder["views"][name] = {"run": id(run), "steps": steps, "at": time.monotonic(), "value": value}
    return value, steps


st.header("Look inside")
LOOKS = ("Latent activations", "Free energies")
# One view at a time, computed and drawn only when chosen: while the model trains, every
# refresh of the live view redraws the whole page in the browser, hidden tabs included.
look = st.segmented_control(
    "View", LOOKS, default=LOOKS[0], required=True, key="rbm_look", label_visibility="collapsed"
)
if look == LOOKS[0]:
    views, views_step = model_view("latent", lambda job: job.latent_views())
    st.caption(
        "P(h_j = 1 | v) = σ(c_j + W_j v) for held-out images: each row one image, each column "
        "one hidden unit. Units that light up for one digit and not others are what the model "
        f"uses to tell digits apart. The model at step {views_step}."
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
else:
    st.caption(
        "F(v) = −bᵀv − Σ_j log(1 + e^{c_j + W_j v}): low for what the model finds likely. "
        "Training pushes the data's free energy down; samples from the model's own Gibbs "
        "chains should end up where the data is, and noise far above."
    )
    energies, energies_step = model_view("energies", lambda job: job.free_energy_samples())
    st.caption(f"The model at step {energies_step}.")
    st.plotly_chart(
        histogram_figure(
            energies,
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
        on_click="ignore",  # a download needs no rerun
    )

st.header("Export and continue")
snapshot = run.snapshot()
export = st.columns(5)
model_and_history_downloads(
    export,
    (
        "Model (.pt)",
        lambda: run.read(lambda job: checkpoint_bytes(job.rbm, dataset=dataset_name)),
        f"rbm_{dataset_name}_{holder['settings'].hidden_units}h.pt",
        "The state dict (W, b, c) and the model's shape; load it here or with torch.load.",
    ),
    snapshot,
    "rbm",
)
if snapshot.pictures:
    for column, (name, _, _, grid) in zip(
        export[2:], grid_pngs(snapshot.pictures, snapshot.pictures_version), strict=True
    ):
        column.download_button(
            f"{name.capitalize()} (PNG)",
            lambda grid=grid: png_bytes(grid, upscale=max(1, 600 // grid.shape[1])),
            f"rbm_{name}.png",
            "image/png",
            icon=":material/image:",
            width="stretch",
            on_click="ignore",  # a download needs no rerun
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
upload_message(holder)

with st.expander("Settings of this run"):
    st.json(asdict(holder["settings"]))
