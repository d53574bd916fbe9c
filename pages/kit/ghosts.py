"""Earlier runs beside this one: a Reset keeps the run it ends as a ghost.

A ghost is the ended run's history of curve records (thinned to GHOST_RECORDS, never its
model), its album (its samples at steps 1, 3, 10, 30, …: core.training.album) and the settings
it trained with. Up to MAX_GHOSTS are kept per page per visitor, in the page session; a new one
drops the oldest that is not pinned ("Keep this run"). Every curve panel draws them in muted,
dashed lines against the same x axis (steps, epochs or images seen), each named by what differs
from the current settings ("k 1 → 10": the ghost's k was 1, today's is 10), up to where today's
run has come unless the visitor asks for the whole of them; beside today's samples, the ghosts'
at the same step.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from core.pictures.charts import Series
from core.training.album import page_at
from core.training.history import History
from pages.settings.table import Setting, format_value

MAX_GHOSTS = 5  # per page per visitor
GHOST_RECORDS = 2000  # a ghost's history is thinned to this many records (evaluations kept)
GHOST_COLORS = ("#8c96a3", "#c49a6c", "#7fae9b", "#a995c4", "#d08c98")  # muted, one per ghost
DASHES = ("7 4", "2 3", "10 3 2 3")  # a panel's first, second and third line
SAMPLES_WIDTH = 170  # pixels per run in the samples side by side: two fit a phone's width
NOT_COMPARED = frozenset({"speed"})  # settings that change no curve drawn against steps


@dataclass
class Ghost:
    """An ended run: its records, the settings it trained with (by link name), its colour."""

    number: int  # the how-manieth ghost of this page session: names and widget keys
    values: dict
    records: list[dict[str, float]]
    steps: int
    color: str
    pinned: bool = False
    hidden: bool = False
    name: str = ""  # what differs from the current settings: set at every rerun
    size: int = field(default=0)  # bytes its records and album hold (history_bytes)
    album: tuple = ()  # (step, samples) pages (core.training.album)


def thinned(records: Sequence[dict[str, float]], limit: int = GHOST_RECORDS) -> list[dict]:
    """At most ``limit`` records with the run's whole shape: per-step records thinned as a
    run's own history thins them (core.training.history), evaluations kept."""
    history = History(limit)
    for record in records:
        history.append(record, evaluation=bool(record.get("evaluation")))
    return history.records


def history_bytes(records: Sequence[dict[str, float]]) -> int:
    """The memory a list of records holds: the list, each dict and its values (the keys are
    the same few strings in every record, counted once)."""
    total = sys.getsizeof(records)
    keys: set[int] = set()
    for record in records:
        total += sys.getsizeof(record) + sum(sys.getsizeof(v) for v in record.values())
        for key in record:
            if id(key) not in keys:
                keys.add(id(key))
                total += sys.getsizeof(key)
    return total


def keep(
    ghosts: list[Ghost], records: Sequence[dict], steps: int, values: Mapping, album=()
) -> None:
    """Add the run that ended to ``ghosts`` (a run that never trained is not kept) with its
    ``album``; past MAX_GHOSTS the oldest unpinned goes (the oldest of all if every one is
    pinned)."""
    if not records or not steps:
        return
    number = max((g.number for g in ghosts), default=0) + 1
    used = {g.color for g in ghosts}
    color = next((c for c in GHOST_COLORS if c not in used), GHOST_COLORS[number % 5])
    kept = thinned(records)
    size = history_bytes(kept) + sum(page.nbytes + 100 for _, page in album)  # 100: its tuple
    ghosts.append(Ghost(number, dict(values), kept, steps, color, size=size, album=tuple(album)))
    while len(ghosts) > MAX_GHOSTS:
        ghosts.remove(next((g for g in ghosts if not g.pinned), ghosts[0]))


def difference(ghost_values: Mapping, values: Mapping, settings: Sequence[Setting]) -> list[str]:
    """What the ghost trained with that the current settings do not say, each as "k 1 → 10"
    (a word choice as "PCD → CD" alone)."""
    parts = []
    for setting in settings:
        name = setting.name
        if name in NOT_COMPARED or name not in ghost_values or name not in values:
            continue
        old, new = format_value(ghost_values[name]), format_value(values[name])
        if old != new:
            words = isinstance(ghost_values[name], str) and not old.replace(".", "").isdigit()
            parts.append(f"{old} → {new}" if words else f"{name} {old} → {new}")
    return parts


def name_ghosts(ghosts: Sequence[Ghost], values: Mapping, settings: Sequence[Setting]) -> None:
    """Name each ghost by what differs from ``values`` (two differences at most, then "…");
    one with none is "same settings"; a name two ghosts share gets the later one's number."""
    seen: set[str] = set()
    for ghost in ghosts:
        parts = difference(ghost.values, values, settings)
        name = ", ".join(parts[:2]) + (", …" if len(parts) > 2 else "") or "same settings"
        if name in seen:
            name = f"{name} (#{ghost.number})"
        seen.add(name)
        ghost.name = name


def with_ghosts(
    panels: Sequence[tuple[str, Sequence[Series]]],
    ghosts: Sequence[Ghost],
    until: float | None = None,
    x_key: str = "step",
) -> list[tuple[str, list[Series]]]:
    """``panels`` with each shown ghost's lines after today's: the same keys from its
    records, in its colour, dashed (the panel's first line "7 4", its second dotted); with
    ``until``, only its records up to there on the ``x_key`` axis (where today's run is)."""
    shown = [g for g in ghosts if not g.hidden]
    records = {
        g.number: g.records
        if until is None
        else [r for r in g.records if r.get(x_key, until + 1) <= until]
        for g in shown
    }
    return [
        (
            title,
            [*series]
            + [
                Series(s.key, g.name, s.evaluation, g.color, DASHES[i % 3], records[g.number])
                for g in shown
                for i, s in enumerate(series)
            ],
        )
        for title, series in panels
    ]


def ghost_panels(
    panels: Sequence[tuple[str, Sequence[Series]]],
    ghosts: Sequence[Ghost],
    history: Sequence[dict],
    x_key: str,
    prefix: str,
) -> list[tuple[str, list[Series]]]:
    """``with_ghosts`` as the page shows it: the ghosts cut where today's ``history`` has come
    on the x axis (a long earlier run would squeeze a short new one into the panel's left
    edge), unless the visitor asked for the whole of them or today's run has not begun."""
    today = [r[x_key] for r in history if x_key in r]
    whole = st.session_state.get(f"{prefix}_ghosts_whole", False) or not today
    return with_ghosts(panels, ghosts, None if whole else max(today), x_key)


def ghosts_key(ghosts: Sequence[Ghost], prefix: str = "") -> tuple:
    """What the panels drawn with the ghosts depend on besides the run (a redraw's key)."""
    whole = st.session_state.get(f"{prefix}_ghosts_whole", False)
    return (whole, *((g.number, g.name, g.hidden) for g in ghosts))


def follow_row(ghosts: Sequence[Ghost], prefix: str) -> None:
    """Pins and hides as the row's toggles now say, before the charts are drawn (the row is
    drawn under them, and a toggle's click reruns the page from its top)."""
    for ghost in ghosts:
        ghost.pinned = bool(st.session_state.get(f"{prefix}_ghost{ghost.number}_pin", ghost.pinned))
        shown = st.session_state.get(f"{prefix}_ghost{ghost.number}_show", not ghost.hidden)
        ghost.hidden = not shown


def ghost_row(ghosts: list[Ghost], prefix: str) -> None:
    """Under the charts, a line per earlier run: its name in its colour, "Keep this run" (it
    is then never dropped first), "Show", and the memory its records hold."""
    if not ghosts:
        return
    st.markdown(
        f"**Earlier runs** (dashed; up to {MAX_GHOSTS}, each kept when Reset ends it). In a "
        "panel the dashes tell its lines apart: long dashes its first, dots its second."
    )
    st.toggle(
        "Whole earlier runs",
        key=f"{prefix}_ghosts_whole",
        help="Off, the earlier runs are drawn as far as this run has come, so both share "
        "the panel at the same steps; on, to their ends.",
    )
    for ghost in ghosts:
        with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
            st.markdown(
                f'<span style="color:{ghost.color}">━ ━</span> **{ghost.name}** '
                f"({ghost.steps:,} steps)",
                unsafe_allow_html=True,
            )
            ghost.pinned = st.toggle(
                "Keep this run", value=ghost.pinned, key=f"{prefix}_ghost{ghost.number}_pin"
            )
            ghost.hidden = not st.toggle(
                "Show", value=not ghost.hidden, key=f"{prefix}_ghost{ghost.number}_show"
            )
            st.caption(f"{ghost.size / 1000:,.0f} kB")


def ghost_samples(
    ghosts: Sequence[Ghost],
    album: Sequence,
    draw: Callable[[np.ndarray, Mapping | None], object],
    cache: dict,
    what: str = "Samples",
) -> None:
    """Today's samples beside each shown ghost's at the same step: the last album step that
    today's run and an earlier one of the same kind of samples both reached (a run on 8×8
    digits has no page to set beside 28×28 ones). ``draw(page, values)`` makes a page a
    picture (``values``: the ghost's settings, None for today's run); the pictures are drawn
    once and kept in ``cache`` (the page session's) until what they show changes. ``what``
    names the pictures in the row's heading."""
    shown = [g for g in ghosts if not g.hidden and g.album]
    beside: list = []
    for step, today in reversed(album):
        pages = [(g, page_at(g.album, step)) for g in shown]
        beside = [(g, p[1]) for g, p in pages if p and p[1].shape[1:] == today.shape[1:]]
        if beside:
            break
    if not beside:
        return
    key = (step, hash(today.tobytes()), tuple((g.number, g.name) for g, _ in beside))
    if cache.get("ghost_samples", (None,))[0] != key:
        pictures = [("this run", "", draw(today, None))]
        pictures += [(g.name, g.color, draw(page, g.values)) for g, page in beside]
        cache["ghost_samples"] = (key, pictures)
    st.markdown(f"**{what} at step {step:,}**: this run, then the earlier runs at that step.")
    with st.container(horizontal=True, gap="small"):  # side by side, wrapping on a phone
        for name, color, picture in cache["ghost_samples"][1]:
            with st.container(width=SAMPLES_WIDTH):
                st.image(picture, width="stretch")
                swatch = f'<span style="color:{color}">━ ━</span> ' if color else ""
                st.markdown(f"{swatch}{name}", unsafe_allow_html=True)
