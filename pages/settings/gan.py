"""The GAN page's settings, each named once: the sidebar, the link, the lecturer presets and
the Reset notice derive from this table. Also this server's caps and the pretrained GAN."""

from __future__ import annotations

from pathlib import Path

from core.data.datasets import DEFAULT_DATASET
from core.gan.trainer import GANConfig
from core.training.caps import Caps
from core.training.gan_job import GANLiveSettings
from pages.kit.widgets import Pretrained
from pages.settings.rbm import DATASET_CHOICES, dataset_label
from pages.settings.table import SPEEDS, Setting, speed_setting

CAPS = Caps(max_batch_size=512)
PRETRAINED = Pretrained(
    Path(__file__).resolve().parents[2] / "assets" / "gan_mnist-5k.pt",
    784,
    "Start from the pretrained GAN",
    "the pretrained GAN",
    "The seed's GAN trained on mnist-5k by scripts/train_gan.py.",
)
REFRESH_SECONDS = 0.5
RATES = [1e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2]
BATCHES = [16, 32, 64, 128, 256, 512]
AVERAGES = [0.0, 0.99, 0.995, 0.998, 0.999]
MODEL = "Model and training"

SETTINGS = (
    Setting(
        "dataset",
        "gan_dataset",
        DEFAULT_DATASET,
        choices=DATASET_CHOICES,
        widget="selectbox",
        label="Dataset",
        format=dataset_label,
        live=False,
        section=MODEL,
    ),
    Setting(
        "lr_g",
        "gan_lr_g",
        2e-4,
        choices=RATES,
        widget="select_slider",
        label="Generator learning rate α₁",
        section=MODEL,
    ),
    Setting(
        "lr_d",
        "gan_lr_d",
        2e-4,
        choices=RATES,
        widget="select_slider",
        label="Discriminator learning rate α₂",
        section=MODEL,
    ),
    Setting(
        "k",
        "gan_k",
        1,
        low=1,
        high=10,
        integer=True,
        label="D updates per G update (k)",
        section=MODEL,
    ),
    Setting(
        "batch",
        "gan_batch",
        128,
        choices=BATCHES,
        widget="select_slider",
        label="Batch size",
        section=MODEL,
    ),
    Setting(
        "average",
        "gan_average",
        0.0,
        choices=AVERAGES,
        widget="select_slider",
        label="Samples from G's average (decay d)",
        format=lambda d: "off" if d == 0 else f"{d:g}",
        help="Pictures and scores come from an average of G's weights over the run, "
        "w̄ ← d·w̄ + (1 − d)·w after every G update (about 1/(1 − d) updates long): it smooths "
        "the back-and-forth of the two players, so digits come sooner. Training itself is "
        "unchanged. Off: the pictures come from G itself, as in the seed.",
        section=MODEL,
    ),
    Setting(
        "noise",
        "gan_noise",
        "uniform",
        choices=["uniform", "gaussian"],
        widget="radio",
        label="Noise z",
        live=False,
        section=MODEL,
    ),
    speed_setting("gan_speed", MODEL),
    Setting(
        "seed",
        "gan_seed",
        0,
        low=0,
        high=1_000_000,
        integer=True,
        widget="number",
        label="Seed",
        live=False,
        section=MODEL,
    ),
    Setting(  # drawn beside the game's explanation
        "saturating",
        "gan_saturating",
        False,
        choices=[False, True],
        widget="toggle",
        label="Use the saturating loss log(1 − D(G(z))) for G",
        help="Turn it on, press Reset or keep training, and watch ‖∇G‖ collapse.",
    ),
)


def config_values(values: dict) -> dict:
    """GANConfig's arguments from the table's values (the page adds the image size)."""
    return dict(
        learning_rate_generator=float(values["lr_g"]),
        learning_rate_discriminator=float(values["lr_d"]),
        k=int(values["k"]),
        batch_size=int(values["batch"]),
        average_decay=float(values["average"]),
        noise=str(values["noise"]),
        seed=int(values["seed"]),
        generator_loss="minimax" if values["saturating"] else "proxy",
    )


def live_settings(values: dict, config: GANConfig) -> GANLiveSettings:
    """What the run takes over at each rerun: the config's live fields, and the speed."""
    return GANLiveSettings(config, SPEEDS[values["speed"]])


PRESETS = {  # the lecturer presets: bench/bench_presets.py measures their sentences
    "Healthy run": (
        {
            "lr_g": 2e-4,
            "lr_d": 2e-4,
            "k": 1,
            "saturating": False,
            "batch": 128,
            "average": 0.0,
        },
        "The seed's settings. Watch D(x) and D(G(z)) approach each other and the fixed-noise "
        "grid turn from noise into digits over several thousand steps.",
    ),
    "Digits sooner": (
        {
            "lr_g": 2e-3,
            "lr_d": 1e-3,
            "k": 1,
            "saturating": False,
            "batch": 64,
            "average": 0.998,
        },
        "Learning rates ten and five times the seed's, batches of 64, and pictures from an "
        "average of G's weights over its last ~500 updates: the average smooths out the "
        "back-and-forth that such rates cause, so digits form sooner: at step 3,000 the judge "
        "recognises about 0.6 of the samples where the healthy run's reach about 0.4, and it "
        "counts them as digits (80% recognised, every digit 5% or more) after about 13,000 "
        "steps. Compare the fixed-noise grid and the FID curve with the healthy run.",
    ),
    "Mode collapse": (
        {
            "lr_g": 2e-3,
            "lr_d": 1e-4,
            "k": 1,
            "saturating": False,
            "batch": 32,
            "average": 0.0,
        },
        "The generator learns 20 times faster than the discriminator: it finds a few shapes "
        "that fool D and keeps drawing them. Watch the class-coverage bars (a tall 'none' and "
        "a few short ones: the judge calls nearly all of G's shapes 'not a digit') and the "
        "coverage entropy, which stays near 0 through 2,000 steps where the healthy run's "
        "passes 1 by step 1,000.",
    ),
    "Discriminator wins too fast": (
        {
            "lr_g": 5e-5,
            "lr_d": 1e-3,
            "k": 5,
            "saturating": True,
            "batch": 128,
            "average": 0.0,
        },
        "Five D updates per G update, D twenty times faster, and the saturating loss "
        "log(1 − D(G(z))): within a few steps D rejects every fake (D(x) ≈ 1, D(G(z)) ≈ 0) and "
        "‖∇G‖ sinks to hundredths and below (switch on Log scale) for about 80 steps, while the "
        "classifier FID stays where it began. Then G moves anyway: Adam divides each step by the "
        "gradient's recent size, so even a tiny gradient moves G, and the game restarts. Switch "
        "the saturating loss off and Reset: from the same start ‖∇G‖ is above 1, a push "
        "hundreds of times stronger: that is why G uses the proxy.",
    ),
    "Learning rate too high": (
        {
            "lr_g": 2e-2,
            "lr_d": 2e-2,
            "k": 1,
            "saturating": False,
            "batch": 128,
            "average": 0.0,
        },
        "Both learning rates at 0.02, a hundred times the seed's: within a few hundred steps D "
        "rejects everything (D(x) → 1, D(G(z)) → 0), G's gradient norm swings tenfold from one "
        "measurement to the next, every sample looks like the same blob and the classifier FID "
        "stays high.",
    ),
}
