"""A page's settings as URL query parameters, so that a link reproduces a setup.

A :class:`Setting` names the query key, the widget key and what is allowed (a list of choices
or a numeric range). :func:`read_link` turns the query parameters of a link into widget values
and notices for what it had to refuse; :func:`link_values` turns the widgets' values back
into query parameters. Nothing here touches Streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One setting kept in the URL: choices, or an int/float range."""

    query: str
    widget: str
    default: object
    choices: Sequence | None = None
    low: float | None = None
    high: float | None = None
    integer: bool = False

    def parse(self, text: str) -> object:
        """The value that ``text`` stands for; ValueError with a reason if it is not allowed."""
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
    """Widget values from a link's query parameters, and a notice for each refused value.

    Parameters the page does not know are left alone (a link may carry others).
    """
    values: dict[str, object] = {}
    notices: list[str] = []
    for setting in settings:
        if setting.query not in query:
            continue
        text = str(query[setting.query])
        try:
            values[setting.widget] = setting.parse(text)
        except ValueError as reason:
            notices.append(
                f"“{setting.query}={text[:40]}” in the link {reason}; "
                f"using the default, {format_value(setting.default)}."
            )
    return values, notices


def link_values(state: Mapping[str, object], settings: Sequence[Setting]) -> dict[str, str]:
    """Query parameters for the widgets' current values (those differing from the default)."""
    query = {}
    for setting in settings:
        value = state.get(setting.widget, setting.default)
        if format_value(value) != format_value(setting.default):
            query[setting.query] = format_value(value)
    return query
