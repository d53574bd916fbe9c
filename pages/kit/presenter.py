"""Links for a class, as TensorFlow Playground makes them: ``?hide=lr_g,k,batch`` hides chosen
settings (by their link names) while the page keeps using their values and keeps every chart
that goes with them; ``?present=1`` lays the page out for a projector (larger text, the sidebar
closed, the explanations under the views left out). "Share for class" builds such a link."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

import streamlit as st

from core.data.own_images import OWN_IMAGES
from pages.kit.compare import THEN, run_a_state
from pages.settings.table import Setting, link_values

HIDE, PRESENT = "hide", "present"
PRESETS = "presets"  # hides a page's presets, beside its settings' own names


def presenting() -> bool:
    """Whether the link asks for the projector layout."""
    return st.query_params.get(PRESENT) == "1"


def hidden_names() -> list[str]:
    """The names the link's ``hide`` lists."""
    return [name.strip() for name in st.query_params.get(HIDE, "").split(",") if name.strip()]


def hide_settings(prefix: str, link: Sequence[Setting]) -> None:
    """Hide the widgets the link names. They are drawn, unseen (a style rule on their keys),
    so their values and everything computed from them stay; a name the page does not know
    gets a notice that lists the ones it does."""
    keys = {setting.name: setting.key for setting in link} | {PRESETS: f"{prefix}_presets"}
    names = hidden_names()
    unknown = [name for name in names if name not in keys]
    if unknown:
        st.warning(
            f"This link hides {', '.join(unknown)}, which this page does not have; the names "
            f"it knows are {', '.join(keys)}.",
            icon=":material/visibility_off:",
        )
    hidden = [keys[name] for name in names if name in keys]
    if hidden:
        rules = ", ".join(f".st-key-{key}" for key in hidden)
        st.html(f"<style>{rules} {{ display: none !important; }}</style>")


def share_link(
    link: Sequence[Setting], hide: Sequence[str], present: bool, run_a: Mapping | None = None
) -> str:
    """This page's address with its settings as they are now, the names to hide and the
    projector layout; with ``run_a`` (an earlier run's values by link name), a compare link:
    run A's settings, and as ``then`` what today's change (pages.kit.compare)."""
    if run_a is None:
        query = link_values(st.session_state, link)
    else:
        state, then = run_a_state(run_a, link)
        query = {**link_values(state, link), THEN: then}
    if hide:
        query[HIDE] = ",".join(hide)
    if present:
        query[PRESENT] = "1"
    address = (st.context.url or "").split("?")[0]
    return address + ("?" + urlencode(query, safe=",:") if query else "")


@st.dialog("Share for class")
def share_for_class(link: Sequence[Setting], earlier: Sequence[tuple[str, dict]] = ()) -> None:
    """Checkboxes for what the class should not change, and the link they make; with
    ``earlier`` runs (name, values by link name), one may be run A of a compare link."""
    st.caption(
        "The link opens this page with every setting as it is now. Tick what the class should "
        "not change: those controls are hidden, and the charts that go with them stay."
    )
    if any(s.name == "dataset" and st.session_state.get(s.key) == OWN_IMAGES for s in link):
        st.warning(
            "Your own images stay with you: a link cannot carry them. It opens the page with "
            "“Your own images” chosen, and whoever opens it is asked to upload theirs.",
            icon=":material/no_photography:",
        )
    labels = {setting.name: setting.label or setting.name for setting in link}
    labels[PRESETS] = "Presets"
    columns = st.columns(3)
    hide = [
        name
        for index, (name, label) in enumerate(labels.items())
        if columns[index % 3].checkbox(label, key=f"share_hide_{name}")
    ]
    present = st.toggle(
        "Projector layout: larger text, the sidebar closed, short explanations",
        key="share_present",
    )
    run_a = None
    if earlier:
        this_only = "No: this run only"
        names = {name: values for name, values in earlier}
        chosen = st.selectbox(
            "Compare: the link opens an earlier run's settings (run A) and offers today's as run B",
            [this_only, *names],
            key="share_compare",
        )
        run_a = names.get(chosen)
    st.code(share_link(link, hide, present, run_a), language=None, wrap_lines=True)
    st.caption(
        "The seed in the link trains the same model for everyone on the same machine, with "
        "the same library versions and CPU threads per run; another machine, or a run alone on "
        "a server (which may take more threads), may train an equally good but different one."
    )
