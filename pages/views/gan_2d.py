"""What the "GAN in 2-D" page keeps for a session and draws: the plane (D's surface, the real
and generated points, G's arrows, its noise manifold), the curves, the numbers, one k:1 step
frame by frame, and the two ways to bring your own points (draw them, upload a CSV)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import streamlit as st

from core.data.toy2d import (
    BUILT_IN,
    PointSet,
    points_from_canvas,
    points_from_csv,
    spread_drawn_points,
)
from core.pictures.charts import Series
from core.pictures.plane import ARROW_LONGEST, ARROW_SCALE, plane_svg
from core.pictures.svg import panels_svg
from core.training.gan2d_job import GAN2DJob, SlowFrame
from core.training.runs import RunSnapshot
from pages.kit.ghosts import ghost_panels, ghost_samples, ghosts_key
from pages.kit.live import charts_snapshot, drawn_once
from pages.kit.session import PageSession
from pages.kit.widgets import curve_controls, x_axis

CANVAS = 320  # pixels: the drawing canvas is CANVAS × CANVAS


@dataclass
class GAN2DSession(PageSession):
    """The page's session: its run, the user's points and the slow-motion frames."""

    placed: PointSet | None = None  # the points placed on the canvas, once accepted
    uploaded: PointSet | None = None  # the points of the last good CSV
    frame: int = 0  # the slow-motion frame shown

    def forget_views(self) -> None:
        super().forget_views()
        self.frame = 0


PANELS = [
    ("Losses", [Series("discriminator_loss", "D"), Series("generator_loss", "G")]),
    ("D(x) and D(G(z))", [Series("d_real", "D(x)"), Series("d_fake", "D(G(z))")]),
    (
        "KL and JS on the grid",
        [Series("kl", "KL(real ‖ G)", evaluation=True), Series("js", "JS", evaluation=True)],
    ),
]
LOG_PANELS = (0, 2)  # the losses and the divergences, which fall towards 0


def same_data(session: GAN2DSession, values) -> bool:
    """Whether a run trained with ``values`` (None: today's) had today's real points: the
    same built-in set (points drawn or uploaded may differ under the same name)."""
    data = session.trained_with.get("data")
    return values is None or (values.get("data") == data and data in BUILT_IN)


def live_views(session: GAN2DSession, base: float, timer: float | None) -> None:
    """Inside the live fragment: the plane beside the curves and numbers."""
    run = session.run
    job = run.job
    snapshot = charts_snapshot(run, session, base, timer)
    pictures = snapshot.pictures or run.read(GAN2DJob.pictures)
    plane, curves = st.columns([5, 6])
    with plane:
        st.image(
            drawn_once(
                session,
                "plane",
                snapshot,
                None,
                lambda: plane_svg(
                    field=pictures["field"],
                    real=job.real_shown,
                    fake=pictures["fake"],
                    arrows=pictures["arrows"],
                    manifold=pictures["manifold"],
                ),
            ),
            width="stretch",
        )
        st.caption(
            "Green dots: real points; purple: G(z) for a fixed set of z. Background: D(x), green "
            "where D says real, purple where it says fake, white at ½. Lines: G's arrows, "
            f"−∂(G's loss)/∂x, drawn {ARROW_SCALE:g} × their length and at most "
            f"{ARROW_LONGEST:g} long (the plane is 2 wide). "
            "Thin curves: G applied to lines of its noise space, how G bends the noise."
        )
        ghost_samples(  # G's points beside the earlier runs' at the same step
            session.ghosts,
            snapshot.album,
            lambda page, values: plane_svg(  # the real points where they are the same data
                real=job.real_shown if same_data(session, values) else None,
                fake=page,
                size=260,
            ),
            session.drawn,
        )
    with curves:
        numbers(snapshot, pictures, None if job.points.modes is None else len(job.points.modes))
        curve_controls("g2", "The losses, KL and JS", "points seen")
        log, x_key = st.session_state.get("g2_log_scale", False), x_axis("g2_x_axis")
        st.image(
            drawn_once(
                session,
                "curves",
                snapshot,
                (log, x_key, ghosts_key(session.ghosts, "g2")),
                lambda: panels_svg(
                    snapshot.history,
                    ghost_panels(PANELS, session.ghosts, snapshot.history, x_key, "g2"),
                    columns=1,
                    width=640,
                    panel_height=190,
                    reference_lines={1: 0.5},
                    log_panels=LOG_PANELS if log else (),
                    x_key=x_key,
                ),
            ),
            width="stretch",
        )
        st.caption(
            "D's loss is ½(−log D(x) − log(1 − D(G(z)))); G's is −log D(G(z)) (proxy) or "
            "log(1 − D(G(z))) (saturating). At the game's end D(x) = D(G(z)) = ½ (dashed). KL "
            "and JS compare densities of the real points and of 2,000 samples, each a "
            "smoothed histogram on a 48 × 48 grid: 0 when they match; JS is at most "
            f"log 2 = {math.log(2):.3f}. Where G misses a mode, its density there is only the "
            "grid's floor (a millionth of an average cell's), so KL counts missed modes more "
            "than it measures distance: about 1.6 nats for one of the ring's eight missed, 3.6 "
            "for two, while JS grows by about 0.04 a mode."
        )


def numbers(snapshot: RunSnapshot, pictures: dict, modes: int | None) -> None:
    """The latest D(x), D(G(z)), JS, G's push and, where the data has modes, modes covered."""
    latest = dict(snapshot.latest)
    for record in reversed(snapshot.history):  # the last evaluation
        if "js" in record:
            latest.update({k: v for k, v in record.items() if k not in latest})
            latest.update({k: record[k] for k in ("js", "kl", "modes_covered") if k in record})
            break
    row = st.container(horizontal=True, gap="medium")

    def show(label: str, key: str, form: str, help: str) -> None:
        value = latest.get(key)
        row.metric(label, "–" if value is None else format(value, form), help=help, width=150)

    show("D(x)", "d_real", ".2f", "Mean D(x) on the last real batch: ½ when D cannot tell.")
    show("D(G(z))", "d_fake", ".2f", "Mean D(G(z)) on the last generated batch.")
    show("JS", "js", ".3f", "Jensen–Shannon divergence on the grid: 0 (same) to log 2.")
    latest["push"] = float(pictures["push"]) if "push" in pictures else None
    show(
        "G's push",
        "push",
        ".2f",
        "The mean length of G's arrows ‖∂(G's loss)/∂x‖ at the drawn points: how hard G's "
        "loss pulls them. It vanishes when the loss saturates.",
    )
    if modes is not None:
        value = latest.get("modes_covered")
        row.metric(
            "Modes covered",
            "–" if value is None else f"{value:.0f} of {modes}",
            help="A mode is covered when at least a fifth of its fair share of 2,000 samples "
            "lies within 3 standard deviations of its centre.",
            width=150,
        )


FORMULAS = {
    "D": r"\max_D\; V(D,G) = \mathbb{E}_x[\log D(x)] + \mathbb{E}_z[\log(1 - D(G(z)))]",
    "G": r"\min_G\; -\mathbb{E}_z[\log D(G(z))] \quad\text{(or } "
    r"\mathbb{E}_z[\log(1-D(G(z)))]\text{)}",
}


def slow_motion_view(session: GAN2DSession, frames: list[SlowFrame], real: np.ndarray) -> None:
    """One frame of the last slow-motion step: the plane, the formula, the numbers."""
    frame = frames[min(session.frame, len(frames) - 1)]
    picture, words = st.columns([5, 6])
    picture.image(
        plane_svg(
            field=frame.field,
            real=real,
            fake=frame.fake,
            arrows=frame.arrows,
            title=f"{frame.title} ({session.frame + 1} of {len(frames)})",
        ),
        width="stretch",
    )
    with words:
        if frame.title.startswith("D"):
            st.latex(FORMULAS["D"])
            st.caption(
                "D takes one Adam step up V on a real batch and a fresh batch of G(z): the "
                "terms are on that batch, before the step; the plane is after it. G's points "
                "may shift a little: its BatchNorm statistics follow the batch it made for D."
            )
        elif frame.title.startswith("G"):
            st.latex(FORMULAS["G"])
            st.caption(
                "G takes one Adam step down its loss against the D above. Its weights, not its "
                "points, move: on the whole the points follow their arrows (drawn from where "
                "they were, against this D), though not each one."
            )
        else:
            st.caption("The plane before the step: D's surface, G's points and their arrows.")
        if frame.terms:
            st.dataframe(
                {"term": list(frame.terms), "value": [round(v, 4) for v in frame.terms.values()]},
                hide_index=True,
            )


# ---- your own points ---------------------------------------------------------------------------


def drawn_points(session: GAN2DSession) -> None:
    """A canvas: click to place points, then train on them (each spread into a small cloud)."""
    from streamlit_drawable_canvas import st_canvas  # registered only in a running app

    st.caption(
        "Click to place points (at least 3), then press “Use these points” and Reset. Each "
        "point becomes a small cloud of 1,000 ÷ n samples, so G learns a distribution, not a "
        "list."
    )
    drawn, actions = st.columns([2, 3])
    with drawn:
        result = st_canvas(
            drawing_mode="point",
            point_display_radius=4,
            stroke_width=2,
            stroke_color="#1b7837",
            fill_color="#1b7837",
            background_color="#f8f9fb",
            width=CANVAS,
            height=CANVAS,
            key="g2_canvas",
        )
    objects = (result.json_data or {}).get("objects", []) if result is not None else []
    centres = points_from_canvas(objects, CANVAS, CANVAS)
    with actions:
        st.write(f"{len(centres)} point(s) placed.")
        if st.button("Use these points", icon=":material/check:", disabled=len(centres) < 3):
            session.placed = PointSet(
                "Your points",
                spread_drawn_points(centres),
                f"The {len(centres)} points you placed, each a small cloud.",
            )


def uploaded_points(session: GAN2DSession) -> None:
    """A CSV of x,y rows; a bad file is refused with its reason and changes nothing."""
    upload = st.file_uploader(
        "A CSV of x,y rows (a header is allowed; at most 5,000 rows)", type=["csv"], key="g2_csv"
    )
    if upload is None:
        return
    try:
        points = points_from_csv(upload.getvalue())
    except ValueError as error:
        st.error(f"{upload.name}: {error} Nothing was changed.")
        return
    session.uploaded = points
    st.success(f"{upload.name}: {points.description}")
