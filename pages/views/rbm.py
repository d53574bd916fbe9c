"""What the RBM page keeps for a session and draws from its model: the live curves and image
grids, the hidden units' activations, the free-energy histogram, the log-likelihood by AIS and
the Gibbs chain, each with the sentence that says how to read it."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from core.data.datasets import Dataset
from core.pictures.charts import Series, heatmap_figure, histogram_figure, scatter_figure
from core.pictures.grids import filter_grid, gif_bytes, image_grid, upscale
from core.pictures.svg import panel_pictures
from core.training.album import as_images
from core.training.rbm_job import RBMJob
from core.training.runs import TRAINING
from pages.kit.ghosts import ghost_panels, ghost_samples, ghosts_key
from pages.kit.live import charts_snapshot, curves_beside
from pages.kit.session import PageSession
from pages.kit.widgets import grid_picture, x_axis

STEP_SERIES = Series("{}", "per batch (averaged)")
TRAIN_SERIES = Series("{}_train", "training images", evaluation=True)
VALIDATION_SERIES = Series("{}_validation", "validation images", evaluation=True)


@dataclass
class RBMSession(PageSession):
    """The RBM page's session: its run, plus the AIS estimates, views and chain it computed."""

    ais: list[dict] = field(default_factory=list)  # log-likelihood estimates asked for
    views: dict = field(default_factory=dict)  # "Look inside" views, reused while training
    chain: list = field(default_factory=list)  # the last Gibbs chain's frames
    grids: tuple | None = None  # the live view's image grids, drawn once per set of pictures
    ais_message: str = ""  # what the latest estimate found, shown under its button
    dreamed: dict | None = None  # the last dreams: sampler, steps, step, pixels, verdict
    dream_count: int = 0  # presses of Dream so far: each dreams with a seed of its own

    def forget_views(self) -> None:
        super().forget_views()
        self.ais, self.views, self.chain, self.grids = [], {}, [], None
        self.ais_message, self.dreamed = "", None


def curves(key: str, per_batch: bool = True) -> list[Series]:
    """A metric per batch (if it has one) and on the fixed training and validation images."""
    chosen = [STEP_SERIES] if per_batch else []
    return [
        Series(s.key.format(key), s.label, s.evaluation)
        for s in chosen + [TRAIN_SERIES, VALIDATION_SERIES]
    ]


def likelihood_panel(
    exact: bool, history: list[dict], ais: list[dict]
) -> tuple[list[dict], list[Series]]:
    """The log-likelihood panel: exact at every evaluation, or the AIS estimates asked for."""
    if exact:
        return history, curves("log_likelihood", per_batch=False)
    series = [
        Series("ais_log_likelihood_train", "training images", evaluation=True),
        Series("ais_log_likelihood_validation", "validation images", evaluation=True),
    ]
    return history + ais, series


def live_charts(session: RBMSession, dataset: Dataset, base: float, timer: float | None) -> None:
    """The curves, the overfitting warning and the image grids, inside the live fragment."""
    run = session.run
    snapshot = charts_snapshot(run, session, base, timer)
    exact = run.job.exact_likelihood
    history, likelihood = likelihood_panel(exact, snapshot.history, session.ais)
    panels = [
        ("Surrogate cost F(v) − F(v̂)", [Series("surrogate_cost", "per batch (averaged)")]),
        ("Reconstruction error", curves("reconstruction_error")),
        ("Pseudo-log-likelihood", curves("pseudo_log_likelihood")),
        ("Mean free energy F(v)", curves("free_energy", per_batch=False)),
        (
            "Free-energy gap (validation − training)",
            [Series("free_energy_gap", "validation − training", evaluation=True)],
        ),
        ("Log-likelihood, exact" if exact else "Log-likelihood (AIS)", likelihood),
    ]
    x_key = x_axis("rbm_x_axis")
    chart_options = dict(
        x_key=x_key,
        reference_lines={4: 0.0},
        placeholders={
            0: "Drawn per batch once it trains",  # a loaded model has no batches yet
            5: "Press “Estimate the log-likelihood (AIS)” below",
        },
    )
    pictures, version = snapshot.pictures, snapshot.pictures_version
    run.job.reconstruction_steps = st.session_state.get("rbm_view_steps", 1)
    if snapshot.state != TRAINING and pictures:
        pictures = run.read(RBMJob.pictures)  # paused: follow the slider at once
        version = -1
    overfitting_warning(snapshot.history)
    # The pictures to watch on the left, the curves on the right: drawn on the server, the
    # same whether training or paused.
    left = curves_beside(
        session,
        snapshot,
        "rbm_curves",
        (x_key, len(session.ais), ghosts_key(session.ghosts, "rbm")),
        lambda: panel_pictures(
            history, ghost_panels(panels, session.ghosts, history, x_key, "rbm"), **chart_options
        ),
    )
    with left:
        if not pictures:
            st.markdown(  # not a caption: a projector layout keeps it (pages.kit.style)
                "*Press Start or Step: the training images, their samples and the filters follow.*"
            )
            return
        grids = grid_pictures(session, dataset, pictures, version)
        for column, (_, picture, caption, _) in zip(st.columns(2), grids[:2], strict=True):
            column.image(picture, caption=caption, width="stretch")
        _, picture, caption, _ = grids[2]
        st.image(picture, caption=f"{caption}, step {snapshot.steps}", width="stretch")
        ghost_samples(  # under the grids: samples beside the earlier runs' at the same step
            session.ghosts,
            snapshot.album,
            lambda page, _: grid_picture(
                image_grid(as_images(page), dataset.image_shape, columns=8), 320
            ),
            session.drawn,
            "P(v | h) after one Gibbs step",
        )


def overfitting_warning(history: list[dict]) -> None:
    """A warning once the validation free energy has drifted 5 nats above the training one."""
    gap = [r for r in history if "free_energy_gap" in r]
    slot = st.empty()
    if len(gap) >= 2 and gap[-1]["free_energy_gap"] - min(r["free_energy_gap"] for r in gap) > 5:
        widening = gap[-1]["free_energy_gap"] - min(r["free_energy_gap"] for r in gap)
        slot.warning(
            f"The validation images' free energy is now {widening:.1f} nats further above the "
            "training images' than it was: the model is starting to memorise its training set "
            "(overfitting). Weight decay, fewer hidden units or fewer epochs help."
        )


def grid_pictures(
    session: RBMSession, dataset: Dataset, pictures: dict, version: int
) -> list[tuple[str, str, str, np.ndarray]]:
    """The three image grids (name, picture, caption, pixels), drawn once per new set of
    pictures (``version`` -1: drawn afresh)."""
    run = session.run
    key = (version, run.job.reconstruction_steps, id(run.job))
    if version >= 0 and session.grids and session.grids[0] == key:
        return session.grids[1]
    shape = dataset.image_shape
    steps = run.job.reconstruction_steps
    grids = [
        ("originals", image_grid(pictures["originals"], shape), "Training images v"),
        (
            "samples",
            image_grid(pictures["reconstructions"], shape),
            f"After {steps} Gibbs step{'s' if steps > 1 else ''}: P(v | h)",
        ),
        ("filters", filter_grid(pictures["filters"], shape), "Filters: rows of W"),
    ]
    drawn = [(name, grid_picture(grid, 600), caption, grid) for name, grid, caption in grids]
    session.grids = (key, drawn)
    return drawn


def latent_view(views: dict, step: int) -> None:
    """P(h | v) of held-out images, its mean per digit, and a PCA map of the hidden codes."""
    st.caption(
        "P(h_j = 1 | v) = σ(c_j + W_j v) for held-out images: each row one image, each column "
        "one hidden unit. Units that light up for one digit and not others are what the model "
        "uses to tell digits apart."
    )
    st.markdown(f"*The model at step {step}.*")
    left, right = st.columns(2)
    left.plotly_chart(
        heatmap_figure(
            views["activations"],
            title="P(h | v) for 64 images",
            x_title="hidden unit",
            y_title="image",
        ),
        width="stretch",
    )
    right.plotly_chart(
        heatmap_figure(
            views["class_means"],
            title="Mean activation per digit",
            x_title="hidden unit",
            y_title="digit",
            y_labels=views["classes"],
        ),
        width="stretch",
    )
    st.plotly_chart(
        scatter_figure(
            views["projection"],
            views["labels"],
            title="Hidden codes projected<br>on their two main directions (PCA)",
        ),
        width="stretch",
    )


def free_energy_view(energies: dict, step: int) -> None:
    """Histograms of F(v) for data, the model's own samples and noise."""
    st.caption(
        "F(v) = −bᵀv − Σ_j log(1 + e^(c_j + W_j v)): low for what the model finds likely. "
        "Training pushes the data's free energy down; samples from the model's own Gibbs "
        "chains should end up where the data is, and noise far above. A gap between the data "
        "and the samples means the chains, 100 steps from noise, have not reached the data's "
        "valleys: they sit in valleys of their own that training never raised (a CD model's "
        "blobs), or are still on their way (a model that mixes slowly). Where the samples "
        "sit on top of the data, the model dreams what it learned (see Dreams below)."
    )
    st.markdown(f"*The model at step {step}.*")
    st.plotly_chart(
        histogram_figure(
            energies,
            title="Free energy of data, model samples and noise",
            x_title="F(v)",
        ),
        width="stretch",
    )


def estimate_log_likelihood(session: RBMSession) -> None:
    """log Z by AIS on a copy of the model (training goes on), with a progress bar."""
    run = session.run
    progress = st.progress(0.0, text="Annealed importance sampling…")

    def frozen(job):  # the model copied, the data shared (read-only)
        twin = copy.copy(job)
        twin.rbm = copy.deepcopy(job.rbm)
        return twin

    model = run.read(frozen)
    estimate = model.estimate_log_likelihood(
        progress=lambda done: progress.progress(done, text=f"AIS: {done:.0%}")
    )
    progress.empty()
    step = run.snapshot(history=False).steps
    seen = {"epoch": model.epoch_progress, "images": float(model.images_seen)}  # its x axes
    session.ais.append({"step": float(step), **seen, **estimate})
    session.ais_message = (
        f"At step {step}: log Z ≈ {estimate['log_z']:.2f}; average log-likelihood of the "
        f"training images {estimate['ais_log_likelihood_train']:.2f} nats "
        f"({estimate['ais_log_likelihood_train_low']:.2f} to "
        f"{estimate['ais_log_likelihood_train_high']:.2f}), of the validation images "
        f"{estimate['ais_log_likelihood_validation']:.2f} nats."
    )
    st.rerun()  # the chart above was drawn before the estimate: draw it again, with it


def model_view(session: RBMSession, name: str, compute, max_age: float = 10.0):
    """A view computed from the current model between two updates, and the step it shows.

    Computing one pauses training for a moment (a free-energy histogram runs 400 Gibbs
    chains): while the model trains, a view is reused for up to ``max_age`` seconds; when
    paused it is computed once per step."""
    run = session.run
    steps = run.snapshot(history=False).steps
    cached = session.views.get(name)
    if cached and (
        cached["steps"] == steps
        or (run.state == TRAINING and time.monotonic() - cached["at"] < max_age)
    ):
        return cached["value"], cached["steps"]
    value = run.read(compute)
    session.views[name] = {"steps": steps, "at": time.monotonic(), "value": value}
    return value, steps


def chain_view(pictures: list) -> None:
    """Six frames of a Gibbs chain, evenly spaced, and the whole chain as a GIF."""
    shown = sorted({round(i * (len(pictures) - 1) / 5) for i in range(6)})
    for column, index in zip(st.columns(len(shown)), shown, strict=True):
        column.image(
            upscale(pictures[index], 300),
            caption=f"after {index} steps",
            clamp=True,
            output_format="PNG",
            width="stretch",
        )
    st.download_button(
        "Download the chain as an animated GIF",
        gif_bytes(pictures),
        "gibbs_chain.gif",
        "image/gif",
        icon=":material/download:",
        on_click="ignore",  # a download needs no rerun
    )
