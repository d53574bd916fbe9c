"""What the GAN page keeps for a session and draws from its model: the live curves, the
fixed-noise grid, D's outputs and the digits the classifier sees, samples on demand and the
timeline, each with the sentence that says how to read it (the latent explorer: latent.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from core.data.datasets import Dataset
from core.pictures.charts import Series
from core.pictures.grids import image_grid, upscale
from core.pictures.svg import bars_svg, histogram_svg, panel_pictures
from core.training.album import as_images
from core.training.gan_job import QUALITY_EVERY, GANJob
from core.training.runs import TRAINING
from pages.kit.ghosts import ghost_panels, ghost_samples, ghosts_key
from pages.kit.live import charts_snapshot, curves_beside, drawn_once
from pages.kit.session import PageSession
from pages.kit.sidebar import draw
from pages.kit.widgets import bounded_image, curve_controls, grid_picture, picture_columns, x_axis
from pages.settings.gan import SETTINGS
from pages.settings.table import by_name

PANELS = [
    ("Losses", [Series("discriminator_loss", "D loss"), Series("generator_loss", "G loss")]),
    (
        "Mean D(x) and D(G(z))",
        [Series("d_real", "D(x), real"), Series("d_fake", "D(G(z)), generated")],
    ),
    (
        "Gradient norms",
        [Series("discriminator_grad_norm", "‖∇D‖"), Series("generator_grad_norm", "‖∇G‖")],
    ),
    (
        "Samples judged digits (share)",
        [
            Series("confident_share", "a digit, p ≥ 0.8", True),
            Series("not_a_digit", "not a digit", True),
        ],
    ),
    (
        "Digit coverage entropy (2.30: all ten)",
        [Series("coverage_entropy", "coverage entropy", True)],
    ),
    (
        "Classifier FID (the judge's CNN)",
        [Series("classifier_fid", "classifier FID, lower is better", True)],
    ),
]
LOG_PANELS = (0, 2)  # the losses and gradient norms: the small numbers a lesson points at
# What each view says, one line each, in screen order (the RBM page's views have theirs).
READING = [
    "**Losses**: D's loss −½[log D(x) + log(1 − D(G(z)))] (binary cross-entropy, the mean "
    "of its real and generated halves) and G's loss −log D(G(z)) (the "
    "proxy; the saturating loss is log(1 − D(G(z)))); they fight, so neither falls to 0 in a "
    "healthy run.",
    "**Mean D(x) and D(G(z))**: D's average output on real and generated images; at the "
    "game's equilibrium both are ½ (dashed), where D cannot tell them apart.",
    "**Gradient norms** ‖∇D‖, ‖∇G‖: the length of each player's gradient, all weights "
    "together; ‖∇G‖ near 0 while samples are poor means G has stopped learning (saturation).",
    "**Samples judged digits**: of 500 samples (the same 500 z at each measure), the share "
    "that the reference CNN (trained on mnist-5k with an eleventh class, *not a digit*) gives "
    "one digit p ≥ 0.8, and the share it calls not a digit. Pure noise scores about 0; real "
    "MNIST test digits 0.95 (the judge's card: docs/judge.md).",
    "**Digit coverage entropy** H = −Σ p_c log p_c over the digits the CNN sees in the samples "
    "it takes for digits: log 10 ≈ 2.30 when all ten are equally common, 0 when every sample "
    "is one digit (mode collapse).",
    "**Classifier FID** ‖μ_r − μ_g‖² + Tr(Σ_r + Σ_g − 2(Σ_r Σ_g)^½) between the judge's "
    "(the digit CNN's) 128 features of real and generated images: 0 for identical "
    "statistics. Its scale is "
    "the CNN's own, not Inception's: {scale}",
    "**G(z) grid**: the same 64 noise vectors z at every refresh, so you watch the same "
    "samples change. **D's output**: a histogram of D(x) on real and D(G(z)) on generated "
    "images; apart, D wins; overlapping near ½, G fools it. **Coverage bars**: which digit "
    "the CNN sees in each of 500 samples, and how many it calls not a digit (dashed: 1/10).",
]


def how_to_read(fid_scale: str) -> None:
    """One sentence and formula per view, under the charts."""
    with st.expander("How to read these views", expanded=False):
        st.markdown("\n".join(f"- {line.format(scale=fid_scale)}" for line in READING))


@dataclass
class GANSession(PageSession):
    """The GAN page's session: its run, plus the samples and pictures it made on demand."""

    on_demand: dict = field(default_factory=dict)  # "sample", "interpolate", "z"
    pictures: dict = field(default_factory=dict)  # grid pictures, drawn once per version

    def forget_views(self) -> None:
        super().forget_views()
        self.on_demand, self.pictures = {}, {}


def fixed_grid(session: GANSession, dataset: Dataset, pixels, key: str, version: int) -> str:
    """A grid of 64 images 8 wide as a picture about 520 pixels wide, drawn once per version
    (-1: drawn afresh)."""
    if version >= 0 and session.pictures.get(key, (None,))[0] == version:
        return session.pictures[key][1]
    picture = grid_picture(image_grid(pixels, dataset.image_shape, columns=8), 520)
    session.pictures[key] = (version, picture)
    return picture


def live_charts(
    session: GANSession, dataset: Dataset, base: float, timer: float | None, averaged: bool
) -> None:
    """Inside the live fragment: the fixed-noise grid (the thing to watch) on the left, above
    D's outputs and the class coverage; the curves on the right. Pictures drawn on the server,
    the same whether training or paused."""
    run = session.run
    snapshot = charts_snapshot(run, session, base, timer)
    training = snapshot.state == TRAINING
    pictures, version = snapshot.pictures, snapshot.pictures_version
    if not training and snapshot.steps:
        pictures = run.read(GANJob.pictures)
        version = -1
    unjudged = (
        f"Measured every {QUALITY_EVERY} D updates ({QUALITY_EVERY} steps at k = 1)"
        if run.job.classifier is not None
        else "Not measured: the reference CNN knows digits only"
    )
    log = st.session_state.get("gan_log_scale", False)  # the toggles drawn above the curves
    x_key = x_axis("gan_x_axis")
    left = curves_beside(
        session,
        snapshot,
        "gan_curves",
        (log, x_key, ghosts_key(session.ghosts, "gan")),
        lambda: panel_pictures(
            snapshot.history,
            ghost_panels(PANELS, session.ghosts, snapshot.history, x_key, "gan"),
            reference_lines={1: 0.5},
            placeholders={i: unjudged for i in (3, 4, 5)},
            log_panels=LOG_PANELS if log else (),
            x_key=x_key,
        ),
        controls=lambda: curve_controls("gan", "Losses and gradient norms", "images seen"),
    )
    with left:
        if not pictures:
            st.markdown(  # not a caption: a projector layout keeps it (pages.kit.style)
                "*Press Start or Step: the fixed-noise grid, D's outputs and coverage follow.*"
            )
            return
        st.image(
            fixed_grid(session, dataset, pictures["fixed_noise"], "fixed", version),
            caption=f"G(z) for the same 64 z, step {snapshot.steps}"
            + (" (G's average)" if averaged else ""),
            width="stretch",
        )
        ghost_samples(  # the same z's images beside the earlier runs' at the same step
            session.ghosts,
            snapshot.album,
            lambda page, _: grid_picture(
                image_grid(as_images(page), dataset.image_shape, columns=8), 320
            ),
            session.drawn,
        )
        outputs = {k: pictures[k] for k in ("real images", "generated images")}
        views = [
            drawn_once(
                session,
                "outputs",
                snapshot,
                version,
                lambda: histogram_svg(
                    outputs, title="D's output on real and generated images", x_title="D(·)"
                ),
            )
        ]
        if "class_shares" in pictures:
            shares = [float(v) for v in pictures["class_shares"]]
            digits = [str(c) for c in range(10)] + ["none"] * (len(shares) - 10)
            views.append(
                drawn_once(
                    session,
                    "coverage",
                    snapshot,
                    version,
                    lambda: bars_svg(
                        digits,
                        shares,
                        title="What the CNN sees in 500 samples",
                        x_title="digit",
                        y_title="share",
                        reference=0.1,
                    ),
                )
            )
        picture_columns(views, columns=1)


def the_game() -> None:
    """The minimax objective, the k:1 algorithm, and the saturating loss to try."""
    with st.expander("The game and the algorithm", expanded=True):
        left, right = st.columns(2)
        with left:
            st.latex(  # on two lines: on one it would be cut on a laptop or a phone
                r"\begin{aligned}&\min_G \max_D \; V(D,G) \\ &= \mathbb{E}_{x}\left[\log D(x)"
                r"\right] + \mathbb{E}_{z}\left[\log\left(1 - D(G(z))\right)\right]"
                r"\end{aligned}"
            )
            st.markdown(
                "Each step: **k times** draw m real images and m noise vectors and raise V by a "
                "step of Adam on D (rate α₂); then **once** draw m noise vectors and move G (rate "
                "α₁). A balanced game ends with D(x) = D(G(z)) = ½."
            )
        with right:
            st.markdown(
                "Early on D rejects every fake, D(G(z)) ≈ 0, and log(1 − D(G(z))) is flat there: "
                "its gradient vanishes. So G instead **maximises log D(G(z))** (the "
                "non-saturating proxy), which has the same fixed point and strong gradients when "
                "G is bad."
            )
            draw(by_name(SETTINGS)["saturating"])


def on_demand_views(session: GANSession, dataset: Dataset) -> None:
    """The last samples and interpolation asked for."""
    on_demand = session.on_demand
    if "sample" in on_demand:
        bounded_image(
            fixed_grid(session, dataset, (on_demand["sample"] + 1) / 2, "sample", -1),
            520,
            caption="64 fresh samples G(z)",
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


def timeline_view(timeline: list, dataset: Dataset) -> None:
    """A slider back through the fixed-noise grids kept during training."""
    index = st.slider(
        "Timeline: the fixed-noise grid earlier in training",
        0,
        len(timeline) - 1,
        len(timeline) - 1,
        key="gan_timeline",
    )
    step, frame = timeline[index]
    bounded_image(
        upscale(image_grid(frame, dataset.image_shape, columns=8), 400),
        400,
        caption=f"after {step} steps",
        clamp=True,
        output_format="PNG",
    )
