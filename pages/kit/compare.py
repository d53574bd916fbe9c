"""A link that hands out two runs: "run A, then run B".

The link's settings are run A's, as any link's are; ``?then=k:10,method:CD`` names what run B
changes (by link name, values written as a link writes them). The page opened from it offers
a "Run B" button that sets those values and starts a new run, so that run A stays beside it
as an earlier run (pages.kit.ghosts). "Share for class" writes such a link from an earlier run
(A) and the current settings (B).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import streamlit as st

from pages.settings.table import Setting, by_name, format_value

THEN = "then"
MAX_THEN = 400  # characters: a longer ``then`` is refused before it is read


def then_text(a: Mapping, b: Mapping, settings: Sequence[Setting]) -> str:
    """What run B (values by link name) changes from run A, as the link writes it."""
    return ",".join(
        f"{s.name}:{format_value(b[s.name])}"
        for s in settings
        if s.name in a and s.name in b and format_value(a[s.name]) != format_value(b[s.name])
    )


def read_then(text: str, settings: Sequence[Setting]) -> dict[str, object]:
    """Run B's values (by widget key) from a link's ``then``; ValueError with a sentence for a
    name the page does not have or a value it does not allow."""
    if not isinstance(text, str) or len(text) > MAX_THEN:
        raise ValueError(f"“then” in the link is longer than {MAX_THEN} characters.")
    rows, values = by_name(settings), {}
    for part in filter(None, text.split(",")):
        name, colon, value = part.partition(":")
        if not colon or name not in rows:
            raise ValueError(
                f"“then” in the link names “{part[:40]}”, which is not name:value with a "
                f"setting of this page ({', '.join(rows)})."
            )
        try:
            values[rows[name].key] = rows[name].parse(value)
        except ValueError as reason:
            raise ValueError(f"“then” in the link: {name}={value[:40]} {reason}.") from None
    return values


def run_a_state(a: Mapping, settings: Sequence[Setting]) -> tuple[dict[str, object], str]:
    """Run A's values (by link name) as widget values by key, for link_values; with ``then``,
    what the current settings (run B) change from them."""
    b = {s.name: st.session_state.get(s.key, s.default) for s in settings}
    return {s.key: a[s.name] for s in settings if s.name in a}, then_text(a, b, settings)


def run_b_offer(prefix: str, settings: Sequence[Setting], new_run: Callable[[], None]) -> None:
    """On a page opened from a compare link: what run B changes, and a button that sets it and
    asks for a new run (``new_run()``); a malformed ``then`` gets its sentence and changes
    nothing."""
    text = st.query_params.get(THEN)
    if not text:
        return
    try:
        b = read_then(text, settings)
    except ValueError as error:
        st.warning(str(error), icon=":material/link_off:")
        return
    holds = all(format_value(st.session_state.get(k)) == format_value(v) for k, v in b.items())
    changes = ", ".join(f"{s.name} {format_value(b[s.key])}" for s in settings if s.key in b)

    def run_b() -> None:
        st.session_state.update(b)
        new_run()

    with st.container(horizontal=True, vertical_alignment="center"):
        st.info(
            "This link compares two runs: train this one (run A), then press Run B "
            f"({changes or 'the same settings'}); run A stays beside it as an earlier run.",
            icon=":material/compare_arrows:",
        )
        st.button(
            "Run B" if not holds else "Run B is on",
            key=f"{prefix}_run_b",
            icon=":material/skip_next:",
            on_click=run_b,
            disabled=holds,
        )
