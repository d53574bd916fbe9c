"""What the "RBM up close" page keeps for a session and draws from its small model: the whole
distribution beside the data's, the exact log-likelihood race, the free energy of every state,
one update in slow motion and the exact gradient beside CD's and PCD's estimates."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import streamlit as st

from core.charts import Series
from core.exact import EstimateQuality, SlowMotionUpdate
from core.exact_job import REFERENCES
from core.runs import RunSnapshot
from core.svg_charts import bars_svg, panels_svg
from core.tiny_data import TinyDataset, state_images
from core.tiny_pictures import energy_levels_svg, heatmap_svg, image_rows_svg
from pages.live import charts_snapshot, drawn_once
from pages.session import PageSession

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
    preset: str | None = None  # the preset whose sentence stays on screen

    def forget_views(self) -> None:
        super().forget_views()
        self.slow, self.slow_step, self.comparison = None, 0, None


def live_views(session: ExactSession, base: float, timer: float | None):
    """Inside the live fragment: the distributions, the numbers, the race and the energies of
    the run's model, against the data it trains on."""
    run = session.run
    data = run.job.data
    snapshot = charts_snapshot(run, session, base, timer)
    pictures = snapshot.pictures or run.read(lambda job: job.pictures())
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


SLOW_STEPS = (
    "Step 1 · sample h ~ P(h | v)",
    "Step 2 · sample v̂ ~ P(v | h), k times",
    "Step 3 · the cost F(v) − F(v̂)",
    "Step 4 · the gradient step",
)


def slow_motion_view(session: ExactSession, shape: tuple[int, int]) -> None:
    """The chosen step of the update taken apart, with its numbers."""
    slow = session.slow
    step = session.slow_step
    n = min(SHOWN_CHAINS, len(slow.v))
    st.subheader(SLOW_STEPS[step])
    if step == 0:
        st.latex(r"P(h_j = 1 \mid v) = \sigma\left(c_j + W_j v\right)")
        st.image(
            image_rows_svg(
                [("batch v", slow.v[:n], [f"v{i + 1}" for i in range(n)])], shape, title=""
            ),
            width="content",
        )
        left, right = st.columns(2)
        left.image(
            heatmap_svg(
                slow.hidden_probabilities[:n],
                title="P(h = 1 | v)",
                row_label="image",
                column_label="hidden unit j",
                symmetric=False,
            )
        )
        right.image(
            heatmap_svg(
                slow.h[:n],
                title="sampled h",
                row_label="image",
                column_label="hidden unit j",
                symmetric=False,
            )
        )
        st.caption(
            "Each hidden unit switches on with the probability its input c_j + W_j v gives it "
            + (
                "(with PCD the chain starts instead from the persistent chains' h)."
                if slow.persistent
                else "(black: on)."
            )
        )
    elif step == 1:
        st.latex(r"P(v_i = 1 \mid h) = \sigma\left(b_i + [W^\top h]_i\right)")
        k = len(slow.chain_samples)
        shown = sorted({0, 1, k - 2, k - 1} & set(range(k)))
        rows = []
        for t in shown:
            rows.append((f"P(v|h), {t + 1}", slow.chain_means[t][:n], [""] * n))
            rows.append((f"v̂, step {t + 1}", slow.chain_samples[t][:n], [""] * n))
        st.image(image_rows_svg(rows, shape), width="content")
        st.caption(
            f"The chain alternates h → v → h for k = {k} steps; the last v̂ is the model's "
            "sample. CD starts it at the data (so v̂ stays close to v); PCD continues chains "
            "kept from the last update."
            + (
                " Your model trains by exact ascent, which needs no chain: its negative "
                "statistics are a sum over every state (step 4 shows both updates)."
                if slow.exact_update is not None
                else ""
            )
        )
    elif step == 2:
        st.latex(
            rf"F(v) - F(\hat v) = {slow.free_energy_data.mean():.3f} - "
            rf"({slow.free_energy_model.mean():.3f}) = {slow.cost:.3f}"
        )
        st.image(
            image_rows_svg(
                [
                    ("v", slow.v[:n], [f"F {f:.2f}" for f in slow.free_energy_data[:n]]),
                    (
                        "v̂",
                        slow.chain_samples[-1][:n],
                        [f"F {f:.2f}" for f in slow.free_energy_model[:n]],
                    ),
                ],
                shape,
            ),
            width="content",
        )
        st.caption(
            "The surrogate cost, averaged over the batch. Lowering it lowers the data's free "
            "energy (more probable) and raises the samples' (less probable): the update of "
            "step 4 is −α times its gradient, a step down this cost."
        )
    else:
        st.latex(
            r"\Delta W = \alpha\left(\langle P(h{=}1|v)\, v^\top\rangle_{data} - "
            r"\langle P(h{=}1|\hat v)\, \hat v^\top\rangle_{model}\right),\ \alpha = "
            + f"{slow.learning_rate:g}"
        )
        pictures = [
            (slow.positive, "positive ⟨P(h|v) vᵀ⟩"),
            (slow.negative, "negative ⟨P(h|v̂) v̂ᵀ⟩"),
            (slow.update.W.numpy(), "ΔW = α (positive − negative)"),
        ]
        if slow.exact_update is not None:
            pictures.append((slow.exact_update.W.numpy(), "ΔW, exact (applied)"))
        largest = float(max(np.abs(slow.positive).max(), np.abs(slow.negative).max()))
        for column, (matrix, title) in zip(st.columns(len(pictures)), pictures, strict=True):
            column.image(
                heatmap_svg(
                    matrix,
                    title=title,
                    row_label="hidden j",
                    column_label="pixel i",
                    scale=None if title.startswith("ΔW") else largest,
                ),
                width="stretch",
            )
        st.caption(
            "Positive statistics pull W toward pixel–feature pairs seen together in the data; "
            "negative ones push it away from pairs the model produces by itself. The biases "
            "move the same way: Δb = α(⟨v⟩ − ⟨v̂⟩), Δc = α(⟨P(h|v)⟩ − ⟨P(h|v̂)⟩)."
        )
        if slow.exact_update is not None:
            st.caption(
                "Applied: the exact update α(⟨P(h|v) vᵀ⟩_data − ⟨P(h|v) vᵀ⟩_model), both "
                "averages summed over every state; the CD-k update beside it is what the "
                "seed's steps would have made from this batch."
            )
        elif float(slow.update.flat().abs().max()) < 1e-9:
            st.info(
                "ΔW is zero: every v̂ came back equal to its v, so the positive and negative "
                "statistics cancel. CD has nothing left to learn from this batch even where "
                "the model still puts probability on states that are not data — a blind spot "
                "that more Gibbs steps (k) or PCD's chains, which wander away from the data, "
                "do not have.",
                icon=":material/visibility_off:",
            )


def gradient_view(session: ExactSession) -> None:
    """The last comparison of CD's and PCD's estimates with the exact gradient, as bars."""
    at_step, qualities = session.comparison
    names = [q.name for q in qualities]
    left, right = st.columns(2)
    left.image(
        bars_svg(
            names,
            [max(0.0, q.cosine_single) for q in qualities],
            title="One batch: cos(estimate, exact)",
            x_title="estimator",
            y_title="cosine",
            reference=1.0,
        ),
        width="stretch",
    )
    right.image(
        bars_svg(
            names,
            [q.relative_bias for q in qualities],
            title="Bias: ‖mean estimate − exact‖ / ‖exact‖",
            x_title="estimator (dashed: the noise still left)",
            y_title="relative bias",
            reference=max(q.noise_floor for q in qualities),
        ),
        width="stretch",
    )
    st.caption(
        f"At step {at_step}, on the same 400 mini-batches (a negative cosine is drawn as 0; "
        "the table has the numbers). Left: how well one batch's "
        "estimate points along the exact gradient (1 = the same direction; mini-batch noise "
        "keeps it below 1 for every method). Right: what is left after averaging all 400 — "
        "noise averages away, bias does not; below the dashed line (the largest of their "
        "noise floors) what is left may be noise alone. CD-k's bias shrinks as k grows; "
        "PCD's chains sample the model itself."
    )
    st.dataframe(
        {
            "estimator": names,
            "cos(one batch, exact)": [round(q.cosine_single, 3) for q in qualities],
            "cos(mean of 400, exact)": [round(q.cosine_average, 3) for q in qualities],
            "relative bias": [round(q.relative_bias, 3) for q in qualities],
            "relative noise": [round(q.relative_spread, 3) for q in qualities],
            "noise left after 400": [round(q.noise_floor, 3) for q in qualities],
        },
        hide_index=True,
    )
