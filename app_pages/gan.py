"""The GAN page: train the seed's MNIST GAN live, watch the game, sample on demand."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import streamlit as st
import torch

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
from core.classifier import classifier_path, load_classifier
from core.data import DATASET_NAMES, DEFAULT_DATASET, DatasetError
from core.gan import GANConfig, GANTrainer
from core.links import Setting
from core.presets import PRESETS
from core.rbm import MAX_CHECKPOINT_BYTES
from core.training import (
    TRAINING,
    Caps,
    GANJob,
    TrainingRun,
    close_session_run,
    threads_for_this_thread,
)
from core.viz import (
    PreparedFigure,
    Series,
    bars_svg,
    gif_bytes,
    histogram_figure,
    histogram_svg,
    image_grid,
    panels_figure,
    panels_svg,
    picture_svg,
    png_bytes,
    upscale,
)

CAPS = Caps(max_batch_size=512)
PRETRAINED = Path(__file__).resolve().parents[1] / "assets" / "gan_mnist-5k.pt"
REFRESH_SECONDS = 0.5
RATES = [1e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2]
BATCHES = [16, 32, 64, 128, 256, 512]
AVERAGES = [0.0, 0.99, 0.995, 0.998, 0.999]
SHAPE_SETTINGS = ("dataset", "noise", "seed")  # these need a new model (a Reset)

LINK = (
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


@st.cache_resource(show_spinner="Loading the reference classifier…")
def cached_classifier(image_shape: tuple[int, int]):
    """The digit classifier that judges samples, shared read-only (None if there is none)."""
    path = classifier_path(image_shape)
    return load_classifier(path) if path.exists() else None


@st.cache_resource(scope="session", on_release=close_session_run)
def session_holder() -> dict:
    """This browser session's own GAN run; closed when the session ends."""
    return {"run": None, "shape": None}


st.set_page_config(page_title="GAN, live", page_icon="🎭", layout="wide")
threads_for_this_thread(1)  # drawing needs one thread; the training worker sets its own

# ---- settings, from the link first -------------------------------------------------------


def apply_preset(name: str) -> None:
    st.session_state.update(PRESETS[name][0])
    st.session_state["gan_preset"] = name


st.title("Generative Adversarial Network")
st.caption(
    "A generator G turns noise z into images; a discriminator D learns to tell them from real "
    "digits, and G learns to fool D. Press Start and watch one set of digits form."
)
settings_from_link("gan", LINK)

with st.sidebar:
    st.header("Model and training")
    dataset_name = st.selectbox("Dataset", DATASET_NAMES, key="gan_dataset")
    lr_g = st.select_slider("Generator learning rate α₁", RATES, key="gan_lr_g")
    lr_d = st.select_slider("Discriminator learning rate α₂", RATES, key="gan_lr_d")
    k = st.slider("D updates per G update (k)", 1, 10, key="gan_k")
    batch_size = st.select_slider("Batch size", BATCHES, key="gan_batch")
    average_decay = st.select_slider(
        "Samples from G's average (decay d)",
        AVERAGES,
        key="gan_average",
        format_func=lambda d: "off" if d == 0 else f"{d:g}",
        help="Pictures and scores come from an average of G's weights over the run, "
        "w̄ ← d·w̄ + (1 − d)·w after every G update (about 1/(1 − d) updates long): it "
        "smooths the back-and-forth of the two players, so digits come sooner. Training "
        "itself is unchanged. Off: the pictures come from G itself, as in the seed.",
    )
    noise = st.radio("Noise z", ["uniform", "gaussian"], horizontal=True, key="gan_noise")
    seed = st.number_input("Seed", 0, 1_000_000, key="gan_seed")
    st.header("Lecturer presets")
    for name, (_, description) in PRESETS.items():
        st.button(
            name,
            key=f"preset_{name}",
            on_click=apply_preset,
            args=(name,),
            help=description,
            width="stretch",
        )

saturating = bool(st.session_state.get("gan_saturating", False))
settings_to_link(LINK)

try:
    dataset = cached_dataset(dataset_name)
except DatasetError as error:
    st.error(str(error))
    st.stop()

config = GANConfig(
    n_pixels=dataset.n_pixels,
    noise=noise,
    generator_loss="minimax" if saturating else "proxy",
    k=int(k),
    learning_rate_generator=float(lr_g),
    learning_rate_discriminator=float(lr_d),
    batch_size=int(batch_size),
    average_decay=float(average_decay),
    seed=int(seed),
)
shape = (dataset_name, noise, int(seed))
holder = session_holder()


def new_run() -> None:
    job = GANJob(dataset, config, CAPS, classifier=cached_classifier(dataset.image_shape))
    if holder["run"] is None:
        holder["run"] = TrainingRun(job, caps=CAPS, picture_interval=1.0)
    else:
        holder["run"].reset(job)
    holder["shape"] = shape
    holder.pop("on_demand", None)


if holder["run"] is None:
    new_run()
if holder.get("pending_checkpoint"):
    checkpoint, checkpoint_name = holder.pop("pending_checkpoint")
    new_run()
    holder["run"].read(lambda job: job.trainer.load_checkpoint(checkpoint))
    holder["upload_message"] = ("success", f"Continuing from {checkpoint_name}.")
run: TrainingRun = holder["run"]
shape_changed = holder["shape"] != shape
if not shape_changed:
    run.read(lambda job: job.apply(config))  # rates, k, loss, batch, average: live

if st.session_state.get("gan_preset"):
    name = st.session_state.pop("gan_preset")
    st.info(f"**{name}** — {PRESETS[name][1]}", icon=":material/school:")

controls = (
    ("Start", "play_arrow", run.start, run.state == TRAINING or shape_changed),
    ("Pause", "pause", run.pause, run.state != TRAINING),
    ("Resume", "resume", run.resume, run.state == TRAINING or shape_changed),
    ("Step", "skip_next", run.step, shape_changed),
    ("Train D only", "shield", lambda: run.step(GANJob.train_discriminator_only), shape_changed),
    ("Train G only", "brush", lambda: run.step(GANJob.train_generator_only), shape_changed),
    ("Reset", "restart_alt", new_run, False),
)
control_row(controls)
if shape_changed:
    st.info(
        "The dataset, the noise distribution or the seed changed: press Reset to build a new "
        "GAN with them."
    )

# ---- live view ---------------------------------------------------------------------------

PANELS = [
    (
        "Losses",
        [
            Series("discriminator_loss", "D loss"),
            Series("generator_loss", "G loss"),
        ],
    ),
    (
        "Mean D(x) and D(G(z))",
        [Series("d_real", "D(x), real"), Series("d_fake", "D(G(z)), generated")],
    ),
    (
        "Gradient norms",
        [
            Series("discriminator_grad_norm", "‖∇D‖"),
            Series("generator_grad_norm", "‖∇G‖"),
        ],
    ),
    ("Recognised confidently (share)", [Series("confident_share", "confident", True)]),
    (
        "Class coverage entropy (log 10 ≈ 2.30 is all digits)",
        [Series("coverage_entropy", "coverage entropy", True)],
    ),
    ("Classifier FID (lower is better)", [Series("classifier_fid", "classifier FID", True)]),
]


def grid_picture(pixels: np.ndarray, key: str, version: int) -> str:
    """A grid of images as a picture (a PNG at its own size in an SVG that enlarges it to
    about 520 pixels, pixel for pixel), drawn once per version."""
    cache = holder.setdefault("picture_cache", {})
    if version >= 0 and cache.get(key, (None,))[0] == version:
        return cache[key][1]
    grid = image_grid(pixels, dataset.image_shape, columns=8)
    scale = max(1, round(520 / grid.shape[1]))
    png = png_bytes(grid, upscale=1, compress_level=1)
    picture = picture_svg(png, grid.shape[1] * scale, grid.shape[0] * scale)
    cache[key] = (version, picture)
    return picture


def large_grid_png(pixels: np.ndarray) -> bytes:
    """A grid of images as a PNG to download, enlarged to about 520 pixels wide."""
    grid = image_grid(pixels, dataset.image_shape, columns=8)
    return png_bytes(grid, upscale=max(1, 520 // grid.shape[1]))


def coverage_figure(shares: list[float], title: str) -> PreparedFigure:
    """The class-coverage bars, interactive (shown while paused)."""
    return PreparedFigure(
        {
            "data": [{"type": "bar", "x": [str(c) for c in range(len(shares))], "y": shares}],
            "layout": {
                "title": {"text": title},
                "height": 360,
                "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
                "font": {"size": 15},
                "yaxis": {"title": {"text": "share"}},
                "xaxis": {"title": {"text": "digit"}},
                "shapes": [
                    {
                        "type": "line",
                        "xref": "paper",
                        "x0": 0,
                        "x1": 1,
                        "y0": 1 / len(shares),
                        "y1": 1 / len(shares),
                        "line": {"dash": "dash", "color": "grey"},
                    }
                ],
            },
        }
    )


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
        "gan",
        lambda _: "",
        "One step is k discriminator updates and one generator update.",
        LIVE_EVERY,
        REFRESH_SECONDS,
        finished=lambda slot, text: slot.warning(text),
    )
    live_view()


def live_view() -> None:
    """The charts and pictures, inside the live fragment."""
    snapshot = charts_snapshot(run, holder, REFRESH_SECONDS, LIVE_EVERY)
    training = snapshot.state == TRAINING
    chart_options = dict(
        reference_lines={1: 0.5}, placeholders={i: "Measured every 250 steps" for i in (3, 4, 5)}
    )
    if training:
        # Redrawn at every refresh while training: pictures cost the browser a few ms where
        # plotly takes ~0.2 s of CPU; paused, the charts can be hovered and zoomed.
        picture = drawn_once(
            holder,
            "curves",
            snapshot,
            None,
            lambda: panels_svg(snapshot.history, PANELS, **chart_options),
        )
        st.image(picture, width="stretch")
    else:
        st.plotly_chart(
            panels_figure(snapshot.history, PANELS, **chart_options),
            width="stretch",
            key="gan_curves",
        )
    pictures, version = snapshot.pictures, snapshot.pictures_version
    if not training and snapshot.steps:
        pictures = run.read(lambda job: job.pictures())
        version = -1
    if not pictures:
        st.caption("Press Start or Step: the fixed-noise grid, D's outputs and coverage follow.")
    else:
        left, middle, right = st.columns([5, 4, 4])
        left.image(
            grid_picture(pictures["fixed_noise"], "fixed", version),
            caption="G(z) for the same 64 z at every refresh"
            + (" (G's average)" if config.average_decay else ""),
            width="stretch",
        )
        outputs = {k: pictures[k] for k in ("real images", "generated images")}
        histogram_title = "D's output on real and generated images"
        if training:
            middle.image(
                drawn_once(
                    holder,
                    "outputs",
                    snapshot,
                    None,
                    lambda: histogram_svg(outputs, title=histogram_title, x_title="D(·)"),
                ),
                width="stretch",
            )
        else:
            middle.plotly_chart(
                histogram_figure(outputs, title=histogram_title, x_title="D(·)"),
                width="stretch",
                key="gan_histogram",
            )
        if "class_shares" in pictures:
            shares = [float(v) for v in pictures["class_shares"]]
            coverage_title = "Which digit the classifier sees in 500 samples"
            if training:
                right.image(
                    drawn_once(
                        holder,
                        "coverage",
                        snapshot,
                        None,
                        lambda: bars_svg(
                            [str(c) for c in range(len(shares))],
                            shares,
                            title=coverage_title,
                            x_title="digit",
                            y_title="share",
                            reference=1 / len(shares),
                        ),
                    ),
                    width="stretch",
                )
            else:
                right.plotly_chart(
                    coverage_figure(shares, coverage_title), width="stretch", key="gan_coverage"
                )


st.session_state["gan_was_training"] = run.state == TRAINING
live()

with st.expander("The game and the algorithm", expanded=True):
    left, right = st.columns(2)
    with left:
        st.latex(
            r"\min_G \max_D \; V(D,G) = \mathbb{E}_{x}\left[\log D(x)\right] + "
            r"\mathbb{E}_{z}\left[\log\left(1 - D(G(z))\right)\right]"
        )
        st.markdown(
            "Each step: **k times** draw m real images and m noise vectors and raise V by a "
            "step of Adam on D (rate α₂); then **once** draw m noise vectors and move G (rate "
            "α₁). A balanced game ends with D(x) = D(G(z)) = ½."
        )
    with right:
        st.markdown(
            "Early on D rejects every fake, D(G(z)) ≈ 0, and log(1 − D(G(z))) is flat there: "
            "its gradient vanishes. So G instead **maximises log D(G(z))** (the non-saturating "
            "proxy), which has the same fixed point and strong gradients when G is bad."
        )
        st.toggle(
            "Use the saturating loss log(1 − D(G(z))) for G",
            key="gan_saturating",
            help="Turn it on, press Reset or keep training, and watch ‖∇G‖ collapse.",
        )

# ---- on demand ---------------------------------------------------------------------------

st.header("Samples on demand")
st.caption(
    "These use the generator as it is now, training or paused"
    + (" (the average of its weights, as set in the sidebar)." if config.average_decay else ".")
)
demand = st.columns(3)
on_demand = holder.setdefault("on_demand", {})
if demand[0].button("Sample", icon=":material/casino:", width="stretch"):
    on_demand["sample"] = run.read(lambda job: job.trainer.generate(64))
if demand[1].button("Interpolate", icon=":material/linear_scale:", width="stretch"):

    def interpolation(job: GANJob) -> np.ndarray:
        ends = job.trainer.sample_noise(2)
        return job.trainer.interpolate(ends[0], ends[1], steps=10)

    on_demand["interpolate"] = run.read(interpolation)
if demand[2].button("New z for the latent explorer", icon=":material/explore:", width="stretch"):
    on_demand["z"] = run.read(lambda job: job.trainer.sample_noise(1)).numpy()[0]
    for i in range(4):
        st.session_state[f"gan_z{i}"] = float(np.round(on_demand["z"][i], 2))
if "sample" in on_demand:
    st.image(
        grid_picture((on_demand["sample"] + 1) / 2, "sample", -1),
        caption="64 fresh samples G(z)",
        width=520,
    )
if "interpolate" in on_demand:
    row = image_grid((on_demand["interpolate"] + 1) / 2, dataset.image_shape, columns=10)
    st.image(
        upscale(row, 1000),
        caption="G((1 − t) z₁ + t z₂) for t from 0 to 1",
        clamp=True,
        output_format="PNG",
        width="stretch",
    )

st.subheader("Latent explorer")
if "z" not in on_demand:
    on_demand["z"] = run.read(lambda job: job.trainer.sample_noise(1)).numpy()[0]
low, high = (-1.0, 1.0) if config.noise == "uniform" else (-3.0, 3.0)
explorer = st.columns([3, 2])
with explorer[0]:
    st.caption(
        "One noise vector z (100 numbers); move four of its coordinates and watch the digit "
        "change. Most single coordinates change it a little; together they steer it."
    )
    z = on_demand["z"].copy()
    for i in range(4):
        z[i] = st.slider(
            f"z[{i}]",
            low,
            high,
            float(np.clip(np.round(z[i], 2), low, high)),
            0.01,
            key=f"gan_z{i}",
        )
picture = run.read(lambda job: job.trainer.generate(torch.from_numpy(z[None, :]).float()))
explorer[1].image(
    upscale(image_grid((picture + 1) / 2, dataset.image_shape, padding=0), 280),
    caption="G(z)",
    clamp=True,
    output_format="PNG",
    width=280,
)

# ---- export and continue -----------------------------------------------------------------

st.header("Export and continue")
snapshot = run.snapshot()


def checkpoint_file(job: GANJob) -> bytes:
    buffer = io.BytesIO()
    torch.save({**job.trainer.checkpoint(), "dataset": dataset_name}, buffer)
    return buffer.getvalue()


export = st.columns(5)
model_and_history_downloads(
    export,
    (
        "G and D (.pt)",
        lambda: run.read(checkpoint_file),
        f"gan_{dataset_name}.pt",
        "Both state dicts and the config; load it here or with torch.load(weights_only=True).",
    ),
    snapshot,
    "gan",
)
if snapshot.pictures:
    export[2].download_button(
        "Fixed-noise grid (PNG)",
        lambda pixels=snapshot.pictures["fixed_noise"]: large_grid_png(pixels),
        "gan_fixed_noise.png",
        "image/png",
        icon=":material/image:",
        width="stretch",
        on_click="ignore",  # a download needs no rerun
    )
if "sample" in on_demand:
    export[4].download_button(
        "Samples (PNG)",
        lambda pixels=(on_demand["sample"] + 1) / 2: large_grid_png(pixels),
        "gan_samples.png",
        "image/png",
        icon=":material/image:",
        width="stretch",
        on_click="ignore",  # a download needs no rerun
    )
timeline = run.read(lambda job: list(job.timeline))
if timeline:
    export[3].download_button(
        "Fixed-noise grid over time (GIF)",
        lambda: gif_bytes(
            [image_grid(frame, dataset.image_shape, columns=8) for _, frame in timeline],
            upscale_to=320,
        ),
        "gan_training.gif",
        "image/gif",
        icon=":material/animation:",
        width="stretch",
        on_click="ignore",  # a download needs no rerun
    )
    if len(timeline) > 1:
        index = st.slider(
            "Timeline: the fixed-noise grid earlier in training",
            0,
            len(timeline) - 1,
            len(timeline) - 1,
            key="gan_timeline",
        )
        step, frame = timeline[index]
        st.image(
            upscale(image_grid(frame, dataset.image_shape, columns=8), 400),
            caption=f"after {step} steps",
            clamp=True,
            output_format="PNG",
            width=400,
        )


def take_checkpoint(data: bytes, name: str) -> None:
    """Check a checkpoint against a trial GAN; on success continue from it on the next run."""
    holder["upload_message"] = None
    try:
        if len(data) > MAX_CHECKPOINT_BYTES:
            raise ValueError(f"it is larger than {MAX_CHECKPOINT_BYTES // 2**20} MB.")
        try:
            checkpoint = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        except Exception as error:  # torch raises many kinds for a damaged file
            raise ValueError(f"it is not a readable torch file ({type(error).__name__}).") from None
        trial = GANTrainer(config, np.zeros((1, dataset.n_pixels), np.float32))
        trial.load_checkpoint(checkpoint)
        tensors = [*checkpoint["generator"].values(), *checkpoint["discriminator"].values()]
        if not all(torch.isfinite(t).all() for t in tensors if t.is_floating_point()):
            raise ValueError("its weights hold NaN or infinite values.")
    except ValueError as error:
        holder["upload_message"] = ("error", f"{name}: {error} The current GAN is unchanged.")
        return
    holder["pending_checkpoint"] = (checkpoint, name)


def take_upload() -> None:
    upload = st.session_state.get("gan_upload")
    if upload is not None:
        take_checkpoint(upload.getvalue(), upload.name)


if dataset.n_pixels == 784 and PRETRAINED.exists():
    st.button(
        "Start from the pretrained GAN",
        icon=":material/model_training:",
        on_click=lambda: take_checkpoint(PRETRAINED.read_bytes(), "the pretrained GAN"),
        help="The seed's GAN trained on mnist-5k by scripts/train_gan.py.",
    )
st.file_uploader(
    "Continue from a checkpoint (.pt)", type=["pt"], key="gan_upload", on_change=take_upload
)
upload_message(holder)
st.caption("Share this setup: the address bar holds the dataset, the settings and the seed.")
