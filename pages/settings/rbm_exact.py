"""The "RBM up close" page's settings, each named once: the sidebar, the link, the presets
and the Reset notice derive from this table."""

from __future__ import annotations

from core.data.tiny import BUILT_IN
from core.rbm.exact import MAX_HIDDEN
from core.training.caps import Caps
from core.training.exact_job import METHODS, ExactSettings
from pages.settings.table import Setting

CAPS = Caps(max_steps=50_000, max_hidden_units=MAX_HIDDEN)
REFRESH_SECONDS = 0.4
OWN = "Your own images"
DATA_NAMES = [*BUILT_IN, OWN]
RATES = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0]
MODEL = "Model and training"

SETTINGS = (
    Setting(
        "data",
        "ex_data",
        DATA_NAMES[0],
        choices=DATA_NAMES,
        widget="selectbox",
        label="Data",
        live=False,
        section=MODEL,
    ),
    Setting(
        "hidden",
        "ex_hidden",
        8,
        low=1,
        high=MAX_HIDDEN,
        integer=True,
        label="Hidden units",
        live=False,
        section=MODEL,
    ),
    Setting(
        "method",
        "ex_method",
        "CD",
        choices=list(METHODS),
        widget="radio",
        label="Negative phase",
        help="CD-k starts the chain at the data, PCD-k continues chains from the last update, "
        "exact sums over every state (possible only because the model is tiny).",
        section=MODEL,
    ),
    Setting(
        "k",
        "ex_k",
        1,
        low=1,
        high=25,
        integer=True,
        label="Gibbs steps (k)",
        section=MODEL,
        disabled_if=lambda values: values.get("method") == "exact",
    ),
    Setting(
        "lr",
        "ex_lr",
        0.2,
        choices=RATES,
        widget="select_slider",
        label="Learning rate α",
        section=MODEL,
    ),
    Setting(
        "updates",
        "ex_steps",
        5000,
        low=100,
        high=CAPS.max_steps,
        integer=True,
        step=100,
        label="Updates",
        section=MODEL,
    ),
    Setting(
        "seed",
        "ex_seed",
        0,
        low=0,
        high=1_000_000,
        integer=True,
        widget="number",
        label="Seed",
        live=False,
        section=MODEL,
    ),
    Setting(
        "race",
        "ex_compare",
        True,
        choices=[True, False],
        widget="checkbox",
        label="Race CD-1, CD-10, PCD-1 and exact beside it",
        help="The same start trained four more ways on the same batches.",
        live=False,
        section=MODEL,
    ),
)


def job_settings(values: dict) -> ExactSettings:
    """The run's settings from the table's values."""
    return ExactSettings(
        hidden_units=int(values["hidden"]),
        method=str(values["method"]),
        k=int(values["k"]),
        learning_rate=float(values["lr"]),
        seed=int(values["seed"]),
        steps=int(values["updates"]),
    )


RACE = {"k": 1, "seed": 0, "updates": 5000, "race": True}  # what the sentences assume
PRESETS = {  # the "RBM up close" page's
    "What CD's shortcut costs": (
        {
            "data": "Bars and stripes 3×3",
            "hidden": 8,
            "lr": 0.2,
            "method": "CD",
            **RACE,
        },
        "In 5,000 updates on bars and stripes the exact gradient climbs to within 0.1 nats of "
        "the dashed ceiling while CD-1 levels off nearly a nat below it, and PCD-1, whose "
        "chains cannot keep up at this rate, lower still.",
    ),
    "Too few hidden units": (
        {
            "data": "Bars and stripes 3×3",
            "hidden": 2,
            "lr": 0.2,
            "method": "exact",
            **RACE,
        },
        "Two hidden units cannot hold 14 patterns: even the exact gradient stops more than two "
        "nats below the ceiling, with few of the patterns among the model's most probable "
        "states.",
    ),
    "Learning rate too high": (
        {
            "data": "Bars and stripes 4×4",
            "hidden": 12,
            "lr": 2.0,
            "method": "exact",
            **RACE,
        },
        "At rate 2 each exact step overshoots, so the log-likelihood jumps up and down instead "
        "of climbing (set the rate to 0.2 and press Reset to compare).",
    ),
    "One shape, moved": (
        {"data": "Shifted squares 4×4", "hidden": 8, "lr": 0.2, "method": "CD", **RACE},
        "A 2×2 square in 9 places: the model's most probable states become the 9 squares, and "
        "the slow motion shows which hidden units answer which place.",
    ),
}
