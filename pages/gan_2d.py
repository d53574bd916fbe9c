"""GAN in 2-D: the whole adversarial game in the plane, trained in seconds.

Top to bottom as the user sees it: settings and presets (sidebar), your own points (when
chosen), controls, the live view (the plane beside the curves), one k:1 step in slow motion.
"""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st

from core.data.toy2d import BUILT_IN, PointSet
from core.training.gan2d_job import MAX_BATCH, MAX_DEPTH, GAN2DJob, GAN2DSettings
from core.training.process import threads_for_this_thread
from core.training.runs import TRAINING, Caps
from pages.kit.live import live_fragment
from pages.kit.session import kept, opened
from pages.kit.widgets import (
    back_next,
    control_row,
    preset_buttons,
    settings_from_link,
    settings_to_link,
)
from pages.settings.links import Setting
from pages.settings.presets import GAN2D_PRESETS as PRESETS
from pages.settings.presets import RING
from pages.views.gan_2d import (
    GAN2DSession,
    drawn_points,
    live_views,
    slow_motion_view,
    uploaded_points,
)

CAPS = Caps(max_steps=200_000, max_batch_size=MAX_BATCH)
REFRESH_SECONDS = 0.18  # at least five redraws a second while training (each takes a little)
DRAW, UPLOAD = "Draw your own", "Upload a CSV"
DATA_NAMES = [*BUILT_IN, DRAW, UPLOAD]
RATES = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2]
BATCHES = [16, 32, 64, 128, 256, 512, 1024]
SPEEDS = {"as fast as it goes": 0.0, "100 steps/s": 100.0, "20 steps/s": 20.0, "5 steps/s": 5.0}
WIDTHS = [4, 8, 16, 32, 64, 128, 256]
SHAPE = ("noise_dim", "noise", "generator_depth", "generator_width", "discriminator_depth")
SHAPE += ("discriminator_width", "seed", "head_start")  # these need a new model (a Reset)
LINK = (
    Setting("data", "g2_data", RING["g2_data"], choices=DATA_NAMES),
    Setting("noise_dim", "g2_noise_dim", 2, choices=[1, 2]),
    Setting("noise", "g2_noise", "gaussian", choices=["uniform", "gaussian"]),
    Setting("g_depth", "g2_g_depth", 2, low=1, high=MAX_DEPTH, integer=True),
    Setting("g_width", "g2_g_width", 64, choices=WIDTHS),
    Setting("d_depth", "g2_d_depth", 2, low=1, high=MAX_DEPTH, integer=True),
    Setting("d_width", "g2_d_width", 64, choices=WIDTHS),
    Setting("lr_g", "g2_lr_g", 1e-3, choices=RATES),
    Setting("lr_d", "g2_lr_d", 1e-3, choices=RATES),
    Setting("k", "g2_k", 1, low=1, high=25, integer=True),
    Setting("saturating", "g2_saturating", False, choices=[False, True]),
    Setting("batch", "g2_batch", 256, choices=BATCHES),
    Setting("speed", "g2_speed", "as fast as it goes", choices=list(SPEEDS)),
    Setting("seed", "g2_seed", 0, low=0, high=1_000_000, integer=True),
    Setting("head_start", "g2_head_start", 0, low=0, high=2000, integer=True),
)


KEPT_AS = "gan-2d"  # the name this page's sessions are kept under (pages.kit.session)


def page_session() -> GAN2DSession:
    """This browser's own run on this page, kept across reloads (pages.kit.session.kept)."""
    return kept(KEPT_AS, GAN2DSession)


def sidebar_settings() -> tuple[str, GAN2DSettings]:
    """The data and the GAN's settings, from the sidebar (first from the link), and presets."""
    settings_from_link("g2", LINK)
    with st.sidebar:
        st.header("Data and model")
        name = st.selectbox("Data", DATA_NAMES, key="g2_data")
        noise_dim = st.radio("Noise z dimensions", [1, 2], horizontal=True, key="g2_noise_dim")
        noise = st.radio("Noise z", ["uniform", "gaussian"], horizontal=True, key="g2_noise")
        g_depth = st.slider("G's hidden layers", 1, MAX_DEPTH, key="g2_g_depth")
        g_width = st.select_slider("G's units per layer", WIDTHS, key="g2_g_width")
        d_depth = st.slider("D's hidden layers", 1, MAX_DEPTH, key="g2_d_depth")
        d_width = st.select_slider("D's units per layer", WIDTHS, key="g2_d_width")
        st.header("Training")
        lr_g = st.select_slider("Generator learning rate α₁", RATES, key="g2_lr_g")
        lr_d = st.select_slider("Discriminator learning rate α₂", RATES, key="g2_lr_d")
        k = st.slider("D updates per G update (k)", 1, 25, key="g2_k")
        saturating = st.checkbox(
            "Saturating generator loss log(1 − D(G(z)))",
            key="g2_saturating",
            help="Off: G minimises the proxy −log D(G(z)), as in the seed.",
        )
        batch = st.select_slider("Batch size", BATCHES, key="g2_batch")
        speed = st.select_slider("Speed", list(SPEEDS), key="g2_speed")
        seed = st.number_input("Seed", 0, 1_000_000, key="g2_seed")
        head_start = st.number_input(
            "D's head start (D-only updates before the game)", 0, 2000, key="g2_head_start"
        )
        preset_buttons("g2", PRESETS, page_session)
    settings_to_link(LINK)
    return name, GAN2DSettings(
        noise_dim=int(noise_dim),
        noise=str(noise),
        generator_depth=int(g_depth),
        generator_width=int(g_width),
        discriminator_depth=int(d_depth),
        discriminator_width=int(d_width),
        generator_loss="minimax" if saturating else "proxy",
        k=int(k),
        learning_rate_generator=float(lr_g),
        learning_rate_discriminator=float(lr_d),
        batch_size=int(batch),
        seed=int(seed),
        steps_per_second=SPEEDS[speed],
        head_start=int(head_start),
    )


def chosen_points() -> PointSet | None:
    """The built-in set, or the user's drawn or uploaded points (None until there are some)."""
    if data_name == DRAW:
        drawn_points(session)
        return session.placed
    if data_name == UPLOAD:
        uploaded_points(session)
        return session.uploaded
    return BUILT_IN[data_name]()


def made_with() -> tuple:
    """What the model was built from: a change in any of it needs a Reset."""
    return (points.points.tobytes(), *(getattr(settings, name) for name in SHAPE))


def new_run() -> None:
    session.preset = session.preset if st.session_state.pop("g2_pending_reset", False) else None
    session.start_over(GAN2DJob(points, settings), CAPS, made_with(), picture_interval=0.15)


def controls() -> bool:
    """Play / Pause / Step / Step D only / Step G only / Reset; True when a Reset is needed."""
    shape_changed = session.made_with != made_with()
    if not shape_changed:
        run.read(lambda job: job.apply(settings))  # rates, k, loss, batch and speed: live
    if session.preset:
        st.info(f"**{session.preset}** — {PRESETS[session.preset][1]}", icon=":material/school:")
    control_row(
        (
            ("Play", "play_arrow", run.start, run.state == TRAINING or shape_changed),
            ("Pause", "pause", run.pause, run.state != TRAINING),
            ("Step", "skip_next", run.step, shape_changed),
            (
                "Step D only",
                "shield",
                lambda: run.step(GAN2DJob.train_discriminator_only),
                shape_changed,
            ),
            (
                "Step G only",
                "brush",
                lambda: run.step(GAN2DJob.train_generator_only),
                shape_changed,
            ),
            ("Reset", "restart_alt", new_run, False),
        )
    )
    if shape_changed:
        st.info("The data or the networks' shape, noise, seed or head start changed: press Reset.")
    return shape_changed


def live_view() -> None:
    live_fragment(
        session,
        "g2",
        REFRESH_SECONDS,
        detail=lambda s: (
            f", D's head start: {run.job.head_start_left} D-only updates left"
            if run.job.head_start_left
            else ""
        ),
        help="One step is k updates of D, then one of G.",
        finished=lambda slot, text: slot.success(text),
        draw=lambda timer: live_views(session, REFRESH_SECONDS, timer),
    )


def take_slow_step() -> None:
    run.step(GAN2DJob.slow_motion_step)
    session.frame = 0


def move_frame(by: int) -> None:
    session.frame = max(0, session.frame + by)


def slow_motion() -> None:
    """One k:1 step frame by frame: the plane after each D update, then after G's."""
    st.header("One step in slow motion")
    st.caption(
        "Take one k:1 step (it counts as a training step) and walk through it: each D update "
        "with its loss terms, then G's update with the arrows it followed."
    )
    frames, fresh = run.read(lambda job: (job.slow_frames, job.slow_frames_at == job.updates()))
    if frames and not fresh:
        st.caption("The model has trained on since the last slow-motion step: take another.")
        frames = []
    columns = st.columns(3)
    columns[0].button(
        "Take one step in slow motion",
        icon=":material/slow_motion_video:",
        on_click=take_slow_step,
        disabled=shape_changed,
        width="stretch",
    )
    if not frames:
        return
    back_next(columns[1:], session.frame, len(frames) - 1, move_frame)
    slow_motion_view(session, frames, run.job.real_shown)


# ---- the page, top to bottom -------------------------------------------------------------

st.set_page_config(page_title="GAN in 2-D", page_icon="🎯", layout="wide")
st.title("GAN in 2-D")
st.caption(
    "The same game as on the GAN page, on points in the plane where all of it can be seen: "
    "what D believes everywhere, where G's loss pushes each of its points, and how G bends its "
    "noise. A run reaches the data in seconds."
)
data_name, settings = sidebar_settings()
threads_for_this_thread(1)
session = opened(KEPT_AS, GAN2DSession)
points = chosen_points()
if points is None:
    st.info("No points yet: draw at least three, or upload a CSV, to train on them.")
    points = BUILT_IN[RING["g2_data"]]()  # the page keeps working on the ring meanwhile
else:
    st.caption(points.description)
if session.run is None or st.session_state.get("g2_pending_reset"):
    new_run()
run = session.run

shape_changed = controls()
live_view()
slow_motion()
with st.expander("Settings of this run"):
    st.json({"data": run.job.points.name, **asdict(run.job.settings)})
