"""GAN in 2-D: the whole adversarial game in the plane, trained in seconds."""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st

from core.data.toy2d import BUILT_IN, PointSet
from core.training.gan2d_job import GAN2DJob
from pages.kit.training_page import Run, TrainingPage
from pages.kit.widgets import back_next
from pages.settings.gan_2d import (
    CAPS,
    DRAW,
    PRESETS,
    REFRESH_SECONDS,
    RING,
    SETTINGS,
    UPLOAD,
    job_settings,
)
from pages.views.gan_2d import (
    GAN2DSession,
    drawn_points,
    live_views,
    slow_motion_view,
    uploaded_points,
)
from pages.views.take_home import take_home

PAGE = TrainingPage(
    kept_as="gan-2d",
    prefix="g2",
    settings=SETTINGS,
    presets=PRESETS,
    session_class=GAN2DSession,
    caps=CAPS,
    refresh_seconds=REFRESH_SECONDS,
    reset_hint="The data or the networks' shape, noise, seed or head start changed: press Reset.",
    run_options={"picture_interval": 0.15},
)


def main() -> None:
    """The page in screen order: settings and presets (sidebar), your own points (when
    chosen), controls, the live view (the plane beside the curves), one k:1 step in slow
    motion."""
    st.set_page_config(page_title="GAN in 2-D", page_icon="🎯", layout="wide")
    st.title("GAN in 2-D")
    st.caption(
        "The same game as on the GAN page, on points in the plane where all of it can be seen: "
        "what D believes everywhere, where G's loss pushes each of its points, and how G bends "
        "its noise. A run reaches the data in seconds."
    )
    values = PAGE.sidebar()
    session = PAGE.session()
    points = chosen_points(session, values["data"])
    settings = job_settings(values)
    run = PAGE.run(
        session,
        values,
        lambda: GAN2DJob(points, settings),
        settings,
        built_from=points.points.tobytes(),
    )
    run.controls(
        ("Step D only", "shield", lambda: run.run.step(GAN2DJob.train_discriminator_only)),
        ("Step G only", "brush", lambda: run.run.step(GAN2DJob.train_generator_only)),
        play=True,
    )
    run.live(
        lambda timer: live_views(session, REFRESH_SECONDS, timer),
        help="One step is k updates of D, then one of G.",
        detail=lambda _: head_start_left(run),
    )
    slow_motion(run)
    take_home(run.run.job)
    with st.expander("Settings of this run"):
        st.json({"data": run.run.job.points.name, **asdict(run.run.job.settings)})


def chosen_points(session: GAN2DSession, name: str) -> PointSet:
    """The built-in set, or the user's drawn or uploaded points (the ring until there are
    some), with the sentence that says what they are."""
    if name == DRAW:
        drawn_points(session)
        points = session.placed
    elif name == UPLOAD:
        uploaded_points(session)
        points = session.uploaded
    else:
        points = BUILT_IN[name]()
    if points is None:
        st.info("No points yet: draw at least three, or upload a CSV, to train on them.")
        return BUILT_IN[RING["data"]]()  # the page keeps working on the ring meanwhile
    st.caption(points.description)
    return points


def head_start_left(run: Run) -> str:
    """The status line's note while D trains alone before the game."""
    left = run.run.job.head_start_left
    return f", D's head start: {left} D-only updates left" if left else ""


def slow_motion(run: Run) -> None:
    """One k:1 step frame by frame: the plane after each D update, then after G's."""
    session = run.session
    st.header("One step in slow motion")
    st.caption(
        "Take one k:1 step (it counts as a training step) and walk through it: each D update "
        "with its loss terms, then G's update with the arrows it followed."
    )
    frames, fresh = run.run.read(GAN2DJob.slow_motion_frames)
    if frames and not fresh:
        st.caption("The model has trained on since the last slow-motion step: take another.")
        frames = []

    def take_slow_step() -> None:
        run.run.step(GAN2DJob.slow_motion_step)
        session.frame = 0

    def move_frame(by: int) -> None:
        session.frame = max(0, session.frame + by)

    columns = st.columns(3)
    columns[0].button(
        "Take one step in slow motion",
        icon=":material/slow_motion_video:",
        on_click=take_slow_step,
        disabled=run.changed,
        width="stretch",
    )
    if frames:
        back_next(columns[1:], session.frame, len(frames) - 1, move_frame)
        slow_motion_view(session, frames, run.run.job.real_shown)


main()
