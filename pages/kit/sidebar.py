"""A page's settings table drawn: the link read into the widgets, the sidebar's widgets, the
presets, and the widgets' values written back to the link."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from pages.kit.presenter import hide_settings, share_for_class
from pages.settings.table import Setting, format_value, link_values, preset_state, read_link


def sidebar(
    prefix: str,
    settings: Sequence[Setting],
    presets: dict,
    chose_preset: Callable[[str], None],
    earlier: Callable[[], Sequence] = lambda: (),
) -> dict[str, Any]:
    """Every setting's value by link name: the sidebar's from their widgets (first from the
    link), the others (drawn by a view further down) from the session state. ``earlier()``:
    the page's earlier runs, (name, values), for "Share for class"'s compare link."""
    settings_from_link(prefix, settings)
    values: dict[str, Any] = {}
    with st.sidebar:
        section = None
        for setting in settings:
            if not setting.section:
                continue
            if setting.section != section:
                st.header(setting.section)
                section = setting.section
            values[setting.name] = draw(setting, values)
        preset_buttons(prefix, settings, presets, chose_preset)
    for setting in settings:
        values.setdefault(setting.name, st.session_state.get(setting.key, setting.default))
    settings_to_link(settings, earlier)
    return values


def draw(setting: Setting, values: dict | None = None, target=st) -> Any:
    """The widget of one setting (its value comes from the session state, set from the link
    or the default on the session's first run); ``values`` are those drawn before it."""
    options: dict[str, Any] = {"key": setting.key, "help": setting.help}
    if setting.disabled_if is not None:
        options["disabled"] = setting.disabled_if(values or {})
    if setting.format is not None:
        options["format_func"] = setting.format
    label, choices = setting.label, setting.choices
    if setting.widget == "slider":
        options.pop("format_func", None)
        return target.slider(label, setting.low, setting.high, step=setting.step, **options)
    if setting.widget == "number":
        return target.number_input(label, setting.low, setting.high, **options)
    if setting.widget == "checkbox":
        options.pop("format_func", None)
        return target.checkbox(label, **options)
    if setting.widget == "toggle":
        options.pop("format_func", None)
        return target.toggle(label, **options)
    if setting.widget == "select_slider":
        return target.select_slider(label, list(choices), **options)
    if setting.widget == "selectbox":
        return target.selectbox(label, list(choices), **options)
    if setting.widget == "radio":
        return target.radio(label, list(choices), horizontal=True, **options)
    if setting.widget == "segmented":
        return target.segmented_control(label, list(choices), required=True, **options)
    raise ValueError(f"{setting.name}: no widget called {setting.widget}")


def settings_from_link(prefix: str, settings: Sequence[Setting]) -> None:
    """On a session's first run, take the settings from the link into the widgets' state
    (widgets are then created without defaults) and show a notice for each refused value;
    hide the settings the link's ``hide`` names (pages.kit.presenter)."""
    hide_settings(prefix, settings)
    if f"{prefix}_link_read" not in st.session_state:
        st.session_state[f"{prefix}_link_read"] = True
        values, notices = read_link(st.query_params.to_dict(), settings)
        for setting in settings:
            st.session_state.setdefault(setting.key, values.get(setting.key, setting.default))
        st.session_state[f"{prefix}_link_notices"] = notices
    for notice in st.session_state.get(f"{prefix}_link_notices", []):
        st.warning(notice, icon=":material/link_off:")


def settings_to_link(settings: Sequence[Setting], earlier: Callable[[], Sequence]) -> None:
    """Write the widgets' current values to the address bar, so the link reproduces them, and
    offer "Share for class" at the sidebar's foot. Parameters that are not settings (a
    presenter's ``hide`` and ``present``, a page's own images) stay as they are: rewritten in
    passing, they would leave the address without them for a moment."""
    names = {setting.name for setting in settings}
    current = st.query_params.to_dict()
    kept = {name: value for name, value in current.items() if name not in names}
    wanted = {**kept, **link_values(st.session_state, settings)}
    if wanted != current:
        st.query_params.from_dict(wanted)
    if st.sidebar.button("Share for class", icon=":material/share:", width="stretch"):
        share_for_class(settings, earlier())


def preset_buttons(
    prefix: str, settings: Sequence[Setting], presets: dict, chose: Callable[[str], None]
) -> None:
    """The sidebar's presets: a button each that sets its settings (named as in the link),
    asks the page for a new run ("{prefix}_pending_reset") and tells ``chose(name)``. What
    each shows is said under them, not in a tooltip: a tooltip over the sidebar covered the
    page's control row."""

    def apply(name: str) -> None:
        st.session_state.update(preset_state(settings, presets[name][0]))
        st.session_state[f"{prefix}_pending_reset"] = True
        chose(name)

    with st.container(key=f"{prefix}_presets"):  # a link may hide them (pages.kit.presenter)
        st.header("Presets")
        for name in presets:
            st.button(
                name, key=f"{prefix}_preset_{name}", on_click=apply, args=(name,), width="stretch"
            )
        with st.expander("What each preset shows"):
            st.markdown(
                "\n\n".join(f"**{name}**: {sentence}" for name, (_, sentence) in presets.items())
            )


def preset_holds(settings: Sequence[Setting], preset: dict) -> bool:
    """Whether every setting the ``preset`` sets (by link name) still has its value in the
    widgets: once one is changed (the data, say), its sentence no longer describes the page."""
    return all(
        format_value(st.session_state.get(key)) == format_value(value)
        for key, value in preset_state(settings, preset).items()
    )
