"""A page's settings as one table: each row is one setting, named once.

A :class:`Setting` holds its link name, its widget key, the widget that shows it (kind, label,
choices or range, help), its default, and whether it changes a run live or needs a Reset (a new
model). The sidebar (pages.kit.sidebar), the link (read_link, link_values), ``hide=``, the
Reset notice, the presets' checks and the lessons' test all derive from the table. Nothing here
touches Streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One setting: ``name`` in the link, ``key`` in the session state, and its widget."""

    name: str  # in the link: ?name=value
    key: str  # the widget's key in st.session_state
    default: object
    choices: Sequence | None = None  # allowed values, or else a numeric range low..high
    low: float | None = None
    high: float | None = None
    integer: bool = False
    widget: str = "slider"  # slider, select_slider, selectbox, radio, number, checkbox
    label: str = ""
    help: str | None = None
    step: float | None = None  # a slider's step, where not 1
    format: Callable[[object], str] | None = None  # how a choice reads in the widget
    live: bool = True  # False: a change needs a Reset (a new model)
    section: str = ""  # the sidebar header it sits under; "" for a widget a view draws
    disabled_if: Callable[[dict], bool] | None = None  # on the values drawn before it

    def parse(self, text: str) -> object:
        """The value that ``text`` stands for; ValueError with a reason if it is not allowed."""
        if not isinstance(text, str):
            raise ValueError("is not text")
        if self.choices is not None:
            for choice in self.choices:
                if text == format_value(choice):
                    return choice
            shown = ", ".join(format_value(c) for c in self.choices)
            raise ValueError(f"must be one of {shown}")
        try:
            number = float(text)
        except ValueError:
            raise ValueError("is not a number") from None
        if not math.isfinite(number):
            raise ValueError("is not a finite number")
        if self.integer:
            if number != int(number):
                raise ValueError("must be a whole number")
            number = int(number)
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            raise ValueError(
                f"must lie between {format_value(self.low)} and {format_value(self.high)}"
            )
        return number


# A run's speed, as every training page offers it: at most this many steps a second, so a class
# can follow a slow demo. Live, and only the wait between steps changes (core.training.pace).
SPEEDS = {
    "as fast as it goes": 0.0,
    "100 steps/s": 100.0,
    "20 steps/s": 20.0,
    "5 steps/s": 5.0,
    "1 step/s": 1.0,
}


def speed_setting(key: str, section: str) -> Setting:
    """A training page's Speed row (``speed`` in the link; SPEEDS[value] steps a second)."""
    return Setting(
        "speed",
        key,
        "as fast as it goes",
        choices=list(SPEEDS),
        widget="select_slider",
        label="Speed",
        help="At most this many steps a second, for a demo a class can follow. Training is "
        "the same at any speed: a seed gives the same model; only the wait between steps "
        "changes.",
        section=section,
    )


def format_value(value: object) -> str:
    """How a value is written in a link: short, and read back by Setting.parse."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def read_link(
    query: Mapping[str, str], settings: Sequence[Setting]
) -> tuple[dict[str, object], list[str]]:
    """Widget values (by key) from a link's query parameters, and a notice for each refused
    value. Parameters the page does not know are left alone (a link may carry others)."""
    values: dict[str, object] = {}
    notices: list[str] = []
    for setting in settings:
        if setting.name not in query:
            continue
        text = str(query[setting.name])
        try:
            values[setting.key] = setting.parse(text)
        except ValueError as reason:
            notices.append(
                f"“{setting.name}={text[:40]}” in the link {reason}; "
                f"using the default, {format_value(setting.default)}."
            )
    return values, notices


def link_values(state: Mapping[str, object], settings: Sequence[Setting]) -> dict[str, str]:
    """Query parameters for the widgets' current values (those differing from the default)."""
    query = {}
    for setting in settings:
        value = state.get(setting.key, setting.default)
        if format_value(value) != format_value(setting.default):
            query[setting.name] = format_value(value)
    return query


def by_name(settings: Sequence[Setting]) -> dict[str, Setting]:
    """The table's rows by link name."""
    return {setting.name: setting for setting in settings}


def needs_reset(settings: Sequence[Setting], values: Mapping[str, object]) -> tuple:
    """The values (by link name) of the settings a model is built with: when any of them
    changes, the page asks for a Reset."""
    return tuple((s.name, values[s.name]) for s in settings if not s.live and s.name in values)


def preset_state(settings: Sequence[Setting], preset: Mapping[str, object]) -> dict[str, object]:
    """A preset (values by link name) as widget values by key; ValueError for a name the
    table does not have or a value it does not allow."""
    rows = by_name(settings)
    state = {}
    for name, value in preset.items():
        if name not in rows:
            raise ValueError(f"the preset sets {name}, which is not a setting of this page")
        rows[name].parse(format_value(value))  # allowed, as a link would be
        state[rows[name].key] = value
    return state


def preset_values(settings: Sequence[Setting], preset: Mapping[str, object]) -> dict[str, object]:
    """Every setting's value (by link name) as a page shows it after the preset: the preset's
    own values over the table's defaults (what a headless check of a preset trains with)."""
    preset_state(settings, preset)  # every name and value checked
    return {setting.name: setting.default for setting in settings} | dict(preset)
