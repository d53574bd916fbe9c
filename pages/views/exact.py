"""What the "RBM up close" page keeps for a session and draws from its small model: the whole
distribution beside the data's, the exact log-likelihood race, the free energy of every state,
one update in slow motion and the exact gradient beside CD's and PCD's estimates."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import streamlit as st

from core.data.tiny import TinyDataset, state_images
from core.pictures.charts import Series
from core.pictures.svg import panels_svg
from core.pictures.tiny import energy_levels_svg, image_rows_svg
from core.rbm.exact import EstimateQuality, SlowMotionUpdate
from core.training.exact_job import REFERENCES, ExactRBMJob
from core.training.runs import RunSnapshot
from pages.kit.live import charts_snapshot, drawn_once
from pages.kit.session import PageSession

TOP_STATES = 12  # how many of the most probable states are drawn
SHOWN_CHAINS = 8  # how many of a batch's images the slow motion draws
METRIC_WIDTH = 165  # pixels: four in a row on a laptop, two on a phone


@dataclass
class ExactSession(PageSession):
    """The page's session: its run, plus the slow-motion update and the gradient comparison."""

    slow: SlowMotionUpdate | None = None
    slow_key: tuple = ()  # the model and rules it was taken for (see the page's slow_motion_key)
    slow_step: int = 0
    comparison: tuple[int, list[EstimateQuality]] | None = None  # (at step, qualities)

    def forget_views(self) -> None:
        super().forget_views()
        self.slow, self.slow_step, self.comparison = None, 0, None


def live_views(session: ExactSession, base: float, timer: float | None):
    """Inside the live fragment: the distributions, the numbers, the race and the energies of
    the run's model, against the data it trains on."""
    run = session.run
    data = run.job.data
    snapshot = charts_snapshot(run, session, base, timer)
    pictures = snapshot.pictures or run.read(ExactRBMJob.pictures)
    codes, p_data = data.distribution()
    log_p = pictures["log_p"]
    measures(data, codes, p_data, pictures)
    pictures_of_states = drawn_once(
        session, "states", snapshot, None, lambda: states_pictures(data, codes, p_data, log_p)
    )
    for column, picture in zip(st.columns(2), pictures_of_states, strict=True):
        column.image(picture, width="stretch")
    st.caption(
        "Left: the data's states and how often each occurs. Right: the model's "
        f"{TOP_STATES} most probable of all {len(log_p):,} states, P(v) = e^(−F(v)) / Z, "
        "computed exactly. Training moves the model's probability onto the data's states."
    )
    race, energies = st.columns(2)
    with race:
        st.image(
            drawn_once(
                session, "race", snapshot, None, lambda: race_picture(snapshot, data.entropy())
            ),
            width="stretch",
        )
        raced = bool(run.job.references)
        st.caption(
            "The exact average log-likelihood ⟨log P(v)⟩_data of your model at every update"
            + (
                ", and of the same start trained by CD-1, CD-10 and PCD-1 on the same batches "
                "and by the exact gradient on the whole data. The gap between the exact curve "
                "and CD's is what CD's shortcut costs."
                if raced
                else "."
            )
            + " Dashed: −H(data), the most any model can reach."
        )
    with energies:
        st.image(
            drawn_once(
                session,
                "energies",
                snapshot,
                None,
                lambda: energy_levels_svg(
                    pictures["free_energy"], codes, title="Free energy F(v) of every state"
                ),
            ),
            width="stretch",
        )
        st.caption(
            "F(v) = −bᵀv − Σ_j log(1 + e^(c_j + W_j v)) of every visible state, sorted; lower F "
            "is more probable (P(v) ∝ e^(−F(v))). A trained model puts the data's states (red) "
            "at the bottom, apart from the rest."
        )


def states_pictures(data: TinyDataset, codes, p_data, log_p) -> tuple[str, str]:
    """The data's states with their frequencies, and the model's most probable states with
    P(v): two pictures of rows of six, side by side on a laptop, stacked on a phone."""
    top = np.argsort(-log_p, kind="stable")[:TOP_STATES]
    cell = 12 if data.n_pixels > 9 else 16

    def picture(title: str, numbers, probabilities) -> str:
        images = state_images(numbers, data.n_pixels)
        captions = [f"{p:.3f}" for p in probabilities]
        rows = [("", images[i : i + 6], captions[i : i + 6]) for i in range(0, len(images), 6)]
        return image_rows_svg(rows, data.shape, title=title, cell=cell)

    return (
        picture(
            f"Data: {len(codes)} distinct states" + (", the first 12" if len(codes) > 12 else ""),
            codes[:TOP_STATES],
            p_data[:TOP_STATES],
        ),
        picture(f"Model: its 12 most probable of {len(log_p):,}", top, np.exp(log_p[top])),
    )


def measures(data: TinyDataset, codes, p_data, pictures: dict) -> None:
    """Z, the log-likelihood with its ceiling, KL(data ‖ model) and the mass on the data."""
    log_p = pictures["log_p"]
    log_z = float(pictures["log_z"])
    log_likelihood = float((p_data * log_p[codes]).sum())
    best = -data.entropy()
    row = st.container(horizontal=True, gap="medium")  # wraps two by two on a phone
    row.metric(
        "log Z",
        f"{log_z:.3f}",
        help="Z = Σ_v e^(−F(v)), summed over every visible state: the normaliser that makes "
        f"P(v) a distribution. Here Z = {math.exp(log_z):.4g}.",
        width=METRIC_WIDTH,
    )
    row.metric(
        "⟨log P(v)⟩ data",
        f"{log_likelihood:.3f}",
        help=f"The exact average log-likelihood of the data. No model can exceed −H(data) = "
        f"{best:.3f}; a model with equal probability on every state gives "
        f"{-data.n_pixels * math.log(2):.3f}.",
        width=METRIC_WIDTH,
    )
    row.metric(
        "KL(data ‖ model)",
        f"{best - log_likelihood:.3f}",
        help="Σ p_data(v) log(p_data(v) / P(v)) in nats: 0 when the model is the data's "
        "distribution; equals −H(data) − ⟨log P(v)⟩.",
        width=METRIC_WIDTH,
    )
    row.metric(
        "P(a data state)",
        f"{float(np.exp(log_p[codes]).sum()):.1%}",
        help="The model's total probability on the data's states: 100% at a perfect fit; "
        f"{len(codes) / len(log_p):.1%} for a model that draws every state equally.",
        width=METRIC_WIDTH,
    )


def race_picture(snapshot: RunSnapshot, entropy: float) -> str:
    series = [Series(f"log_likelihood {name}", name) for name, _, _ in REFERENCES]
    series.append(Series("log_likelihood", "yours"))  # drawn last: on top
    if snapshot.history:  # only the learners this run has
        series = [line for line in series if line.key in snapshot.history[-1]]
    return panels_svg(
        snapshot.history,
        [("Exact log-likelihood over training", series)],
        columns=1,
        width=560,
        panel_height=340,
        reference_lines={0: -entropy},
        placeholders={0: "Press Play or Step"},
    )
