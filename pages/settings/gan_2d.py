"""The "GAN in 2-D" page's settings, each named once: the sidebar, the link, the presets and
the Reset notice derive from this table."""

from __future__ import annotations

from core.data.toy2d import BUILT_IN
from core.training.caps import Caps
from core.training.gan2d_job import MAX_BATCH, MAX_DEPTH, GAN2DSettings
from pages.settings.table import SPEEDS, Setting, speed_setting

CAPS = Caps(max_steps=200_000, max_batch_size=MAX_BATCH)
REFRESH_SECONDS = 0.18  # at least five redraws a second while training (each takes a little)
DRAW, UPLOAD = "Draw your own", "Upload a CSV"
DATA_NAMES = [*BUILT_IN, DRAW, UPLOAD]
RATES = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2]
BATCHES = [16, 32, 64, 128, 256, 512, 1024]
WIDTHS = [4, 8, 16, 32, 64, 128, 256]
MODEL, TRAINING = "Data and model", "Training"

SETTINGS = (
    Setting(
        "data",
        "g2_data",
        "Ring of 8 Gaussians",
        choices=DATA_NAMES,
        widget="selectbox",
        label="Data",
        section=MODEL,  # a Reset follows the points themselves (the page's built_from)
    ),
    Setting(
        "noise_dim",
        "g2_noise_dim",
        2,
        choices=[1, 2],
        widget="radio",
        label="Noise z dimensions",
        live=False,
        section=MODEL,
    ),
    Setting(
        "noise",
        "g2_noise",
        "gaussian",
        choices=["uniform", "gaussian"],
        widget="radio",
        label="Noise z",
        live=False,
        section=MODEL,
    ),
    Setting(
        "g_depth",
        "g2_g_depth",
        2,
        low=1,
        high=MAX_DEPTH,
        integer=True,
        label="G's hidden layers",
        live=False,
        section=MODEL,
    ),
    Setting(
        "g_width",
        "g2_g_width",
        64,
        choices=WIDTHS,
        widget="select_slider",
        label="G's units per layer",
        live=False,
        section=MODEL,
    ),
    Setting(
        "d_depth",
        "g2_d_depth",
        2,
        low=1,
        high=MAX_DEPTH,
        integer=True,
        label="D's hidden layers",
        live=False,
        section=MODEL,
    ),
    Setting(
        "d_width",
        "g2_d_width",
        64,
        choices=WIDTHS,
        widget="select_slider",
        label="D's units per layer",
        live=False,
        section=MODEL,
    ),
    Setting(
        "lr_g",
        "g2_lr_g",
        1e-3,
        choices=RATES,
        widget="select_slider",
        label="Generator learning rate α₁",
        section=TRAINING,
    ),
    Setting(
        "lr_d",
        "g2_lr_d",
        1e-3,
        choices=RATES,
        widget="select_slider",
        label="Discriminator learning rate α₂",
        section=TRAINING,
    ),
    Setting(
        "k",
        "g2_k",
        1,
        low=1,
        high=25,
        integer=True,
        label="D updates per G update (k)",
        section=TRAINING,
    ),
    Setting(
        "saturating",
        "g2_saturating",
        False,
        choices=[False, True],
        widget="checkbox",
        label="Saturating generator loss log(1 − D(G(z)))",
        help="Off: G minimises the proxy −log D(G(z)), as in the seed.",
        section=TRAINING,
    ),
    Setting(
        "batch",
        "g2_batch",
        256,
        choices=BATCHES,
        widget="select_slider",
        label="Batch size",
        section=TRAINING,
    ),
    speed_setting("g2_speed", TRAINING),
    Setting(
        "seed",
        "g2_seed",
        0,
        low=0,
        high=1_000_000,
        integer=True,
        widget="number",
        label="Seed",
        live=False,
        section=TRAINING,
    ),
    Setting(
        "head_start",
        "g2_head_start",
        0,
        low=0,
        high=2000,
        integer=True,
        widget="number",
        label="D's head start (D-only updates before the game)",
        live=False,
        section=TRAINING,
    ),
)


def job_settings(values: dict) -> GAN2DSettings:
    """The run's settings from the table's values."""
    return GAN2DSettings(
        noise_dim=int(values["noise_dim"]),
        noise=str(values["noise"]),
        generator_depth=int(values["g_depth"]),
        generator_width=int(values["g_width"]),
        discriminator_depth=int(values["d_depth"]),
        discriminator_width=int(values["d_width"]),
        generator_loss="minimax" if values["saturating"] else "proxy",
        k=int(values["k"]),
        learning_rate_generator=float(values["lr_g"]),
        learning_rate_discriminator=float(values["lr_d"]),
        batch_size=int(values["batch"]),
        seed=int(values["seed"]),
        steps_per_second=SPEEDS[values["speed"]],
        head_start=int(values["head_start"]),
    )


RING = {  # what every "GAN in 2-D" preset starts from, unless it says otherwise
    "data": "Ring of 8 Gaussians",
    "noise_dim": 2,
    "noise": "gaussian",
    "g_depth": 2,
    "g_width": 64,
    "d_depth": 2,
    "d_width": 64,
    "lr_g": 1e-3,
    "lr_d": 1e-3,
    "k": 1,
    "saturating": False,
    "batch": 256,
    "seed": 0,
    "head_start": 0,
}
PRESETS = {  # the "GAN in 2-D" page's
    "Healthy ring": (
        RING,
        "The page's defaults: within a few hundred steps the purple points spread over all 8 "
        "green modes, and D's surface fades to an even ½ where G matches the data.",
    ),
    "Mode collapse": (
        {**RING, "lr_g": 1e-2, "lr_d": 1e-4},
        "G learns a hundred times faster than D, which barely learns: with nothing steady to "
        "follow, G's points roam the plane as a clump, on one mode or none at a time, and never "
        "cover the ring.",
    ),
    "Saturating loss": (
        {**RING, "saturating": True, "lr_d": 1e-2, "k": 5, "head_start": 300},
        "D first trains alone for 300 steps and learns to reject G's points (D(G(z)) about "
        "0.2): with the saturating loss log(1 − D(G(z))), G's push is then about ten times "
        "weaker than with the proxy −log D(G(z)) (untick it and Reset to compare), though in "
        "the plane G escapes within a few steps.",
    ),
    "k too large": (
        {**RING, "k": 25},
        "Twenty-five D updates per G update: D stays ahead (D(x) ≈ 0.7, D(G(z)) ≈ 0.3 instead "
        "of ½), its surface a sharp wall with G's arrows several times longer, and steps come "
        "about twelve times slower.",
    ),
    "Learning rate too high": (
        {**RING, "lr_g": 5e-2, "lr_d": 5e-2},
        "Both rates at 0.05, fifty times the default: the points jump around the plane from "
        "step to step and the KL and JS curves never settle.",
    ),
}
