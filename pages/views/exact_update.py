"""What "RBM up close" draws of one update and of the gradient: the seed's four steps with
their numbers, and CD's and PCD's estimates beside the exact gradient."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.pictures.svg import bars_svg
from core.pictures.tiny import heatmap_svg, image_rows_svg
from pages.kit.widgets import picture_width
from pages.views.exact import SHOWN_CHAINS, ExactSession

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
            width=picture_width(),
        )
        left, right = st.columns(2)
        left.image(
            heatmap_svg(
                slow.hidden_probabilities[:n],
                title="P(h = 1 | v)",
                row_label="image",
                column_label="hidden unit j",
                symmetric=False,
            ),
            width=picture_width(),
        )
        right.image(
            heatmap_svg(
                slow.h[:n],
                title="sampled h",
                row_label="image",
                column_label="hidden unit j",
                symmetric=False,
            ),
            width=picture_width(),
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
        st.image(image_rows_svg(rows, shape), width=picture_width())
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
            width=picture_width(),
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
