"""A take-home script from its template (core/export/templates/): the template is the script at
the page's defaults, and each ``NAME = value`` line of its settings block gets the run's value,
written as a Python literal; a note about the run can join its docstring."""

from __future__ import annotations

import math
import numbers
import re
import textwrap
from pathlib import Path

TEMPLATES = Path(__file__).with_name("templates")


def template(file_name: str) -> str:
    """The text of a template (a runnable script at the page's defaults)."""
    return (TEMPLATES / file_name).read_text(encoding="utf-8")


def literal(value: object) -> str:
    """``value`` as Python source: a bool, a whole number, a finite number, a text, or a tuple
    of these; ValueError with a sentence for anything else (nothing else belongs in a script's
    settings, and a text is escaped, so no value can become code)."""
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, numbers.Integral):
        return repr(int(value))
    if isinstance(value, numbers.Real):
        if not math.isfinite(value):
            raise ValueError(f"A script's setting must be a finite number, not {value}.")
        return repr(float(value))
    if isinstance(value, str):
        return double_quoted(value)
    if isinstance(value, tuple):
        items = [literal(item) for item in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    raise ValueError(f"A script's setting cannot be a {type(value).__name__}.")


def double_quoted(text: str) -> str:
    """Python's own escaped form of ``text`` (every unprintable character escaped, so it
    stays one line), in double quotes as the project's code writes its texts."""
    source = repr(text)
    if source.startswith("'"):  # repr chose single quotes: each ' in it is escaped, no " is
        source = '"' + source[1:-1].replace("\\'", "'").replace('"', '\\"') + '"'
    return source


def filled(text: str, values: dict[str, object]) -> str:
    """``text`` with each ``NAME = ...`` line of ``values`` set to its value (its comment
    kept). Every name must set exactly one line of the template, at the start of a line."""
    for name, value in values.items():
        pattern = re.compile(rf"^{re.escape(name)} = .*?(?P<comment>  # .*)?$", re.MULTILINE)
        matches = list(pattern.finditer(text))
        if len(matches) != 1:
            raise ValueError(f"The template sets {name} on {len(matches)} lines, not on one.")
        match = matches[0]
        line = f"{name} = {literal(value)}{match['comment'] or ''}"
        text = text[: match.start()] + line + text[match.end() :]
    return text


def with_note(text: str, note: str) -> str:
    """``text`` with ``note`` as a last paragraph of its module docstring, wrapped."""
    end = text.index('\n"""\n')  # where the docstring closes
    paragraph = textwrap.fill(note.replace('"""', "'''").replace("\\", "/"), width=92)
    return text[:end] + "\n\n" + paragraph + text[end:]
