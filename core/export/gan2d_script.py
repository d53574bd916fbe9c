"""The "GAN in 2-D" page's run as a take-home script: core/export/templates/train_gan_2d.py,
with the run's points, settings and seed, which trains with torch and numpy alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from core.data.toy2d import BUILT_IN, MAX_POINTS, PointSet
from core.data.validation import check_non_negative_int
from core.export.fill import filled, template

if TYPE_CHECKING:
    from core.training.gan2d_job import GAN2DSettings

FILE_NAME = "train_gan_2d.py"
# The page's built-in point sets, as the script's DATA names them (it draws them the same way).
DATA_NAMES = {
    "Ring of 8 Gaussians": "ring",
    "5×5 grid of Gaussians": "grid",
    "Two moons": "moons",
    "Spiral": "spiral",
    "Single Gaussian": "gaussian",
}


def script(settings: GAN2DSettings, points: PointSet) -> str:
    """The script that trains the 2-D GAN of ``settings`` (a GAN2DSettings: noise, G's and D's
    depth and width, loss, k, both rates, batch, head start, seed) on ``points`` the lecture's
    way: a built-in set by its name, a drawn or uploaded one written into the script as x,y
    rows. ValueError with a sentence for a setting out of range or points that are not at
    most MAX_POINTS finite (x, y) pairs in [-1, 1]²."""
    config = settings.config()  # checked, as the page's run is
    values = {
        "SEED": check_non_negative_int("seed", config.seed),
        "DATA": data_name(points),
        "NOISE_DIM": config.noise_dim,
        "NOISE": config.noise,
        "GENERATOR_DEPTH": len(config.generator_hidden),
        "GENERATOR_WIDTH": config.generator_hidden[0],
        "DISCRIMINATOR_DEPTH": len(config.discriminator_hidden),
        "DISCRIMINATOR_WIDTH": config.discriminator_hidden[0],
        "GENERATOR_LOSS": config.generator_loss,
        "K": config.k,
        "LEARNING_RATE_G": config.learning_rate_generator,
        "LEARNING_RATE_D": config.learning_rate_discriminator,
        "BATCH_SIZE": config.batch_size,
        "HEAD_START": check_non_negative_int("head_start", settings.head_start),
        "BETAS": tuple(float(beta) for beta in config.betas),
    }
    text = filled(template(FILE_NAME), values)
    if values["DATA"] == "own":
        text = text.replace('\nOWN_POINTS = ""\n', f'\nOWN_POINTS = """\n{rows(points)}"""\n')
    return text


def data_name(points: PointSet) -> str:
    """The script's name for a built-in set (its points as the page draws them), else "own"."""
    name = DATA_NAMES.get(points.name)
    if name is not None and np.array_equal(points.points, BUILT_IN[points.name]().points):
        return name
    return "own"


def rows(points: PointSet) -> str:
    """The points as x,y rows of 4 decimals, checked first: a drawn or uploaded set is the
    visitor's, so its size and values are checked before any text is made."""
    array = np.asarray(points.points)
    if array.ndim != 2 or array.shape[1] != 2 or not 1 <= len(array) <= MAX_POINTS:
        raise ValueError(
            f"The points must be between 1 and {MAX_POINTS:,} rows of x, y; got an array of "
            f"shape {array.shape}."
        )
    real = np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    if not real or not np.isfinite(array).all():
        raise ValueError("The points must be finite numbers.")
    if np.abs(array).max() > 1:
        raise ValueError("The points must lie in [-1, 1]², G's range.")
    return "".join(f"{x:.4f},{y:.4f}\n" for x, y in array.astype(float))
