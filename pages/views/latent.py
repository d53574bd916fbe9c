"""The GAN page's latent explorer: one noise vector z with four of its coordinates on
sliders, and G(z) beside them, redrawn from G as it is now while the run trains."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.data.datasets import Dataset
from core.pictures.grids import image_grid, upscale
from core.training.gan_job import GANJob
from core.training.runs import TRAINING
from pages.kit.live import redraw_if_released, refresh_periods
from pages.kit.widgets import bounded_image
from pages.views.gan import GANSession


def latent_explorer(session: GANSession, dataset: Dataset, noise: str, base: float) -> None:
    """One z with four of its coordinates on sliders, and G(z) beside them, in a fragment
    that redraws G(z) from G as it is now while the run trains (else it showed the G of the
    last full rerun, grey noise after Start): at the charts' period under the server's load
    (``base``: the page's own), at least a second apart."""
    run, on_demand = session.run, session.on_demand
    st.subheader("Latent explorer")
    if "z" not in on_demand:
        on_demand["z"] = run.read(GANJob.new_noise)
    low, high = (-1.0, 1.0) if noise == "uniform" else (-3.0, 3.0)
    training = run.state == TRAINING
    every = max(1.0, refresh_periods(run.slots.load(), base)[1]) if training else None

    @st.fragment(run_every=every)
    def explorer() -> None:  # a slider's move redraws this alone, not the page
        redraw_if_released(run)
        columns = st.columns([3, 2])
        with columns[0]:
            st.caption(
                "One noise vector z (100 numbers); move four of its coordinates and watch the "
                "digit change. Most single coordinates change it a little; together they steer it."
            )
            z = on_demand["z"].copy()
            for i in range(4):
                # the slider's value lives in session state alone (a value argument beside it
                # would make Streamlit warn); a new z sets it there
                value = float(np.clip(np.round(z[i], 2), low, high))
                st.session_state.setdefault(f"gan_z{i}", value)
                z[i] = st.slider(f"z[{i}]", low, high, step=0.01, key=f"gan_z{i}")
        steps = run.snapshot(history=False).steps  # at or before the G read next
        picture = run.read(GANJob.generated_from, z)
        bounded_image(
            upscale(image_grid((picture + 1) / 2, dataset.image_shape, padding=0), 280),
            280,
            columns[1],
            caption=f"G(z), step {steps:,}",
            clamp=True,
            output_format="PNG",
        )

    explorer()
