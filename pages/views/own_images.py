"""Your own tiny images: a grid of cells to click on, one image at a time, kept in the link."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.data.tiny import (
    MAX_OWN_IMAGES,
    SHAPES,
    TinyDataset,
    images_from_text,
    images_to_text,
    own_images,
)

DEFAULT_OWN = {
    (3, 3): ["100010001", "001010100", "010111010"],
    (4, 4): ["1000010000100001", "0001001001001000", "0110100110010110"],
}


def defaults(shape: tuple[int, int]) -> list[np.ndarray]:
    return [np.array([int(c) for c in code]).reshape(shape) for code in DEFAULT_OWN[shape]]


def images_from_link() -> None:
    """On a session's first run, the images in the link's "own" parameter (or the defaults)."""
    if "ex_own" in st.session_state:
        return
    images = defaults(SHAPES[0])
    text = st.query_params.get("own")
    if text:
        try:
            images = images_from_text(text)
        except ValueError as reason:
            st.session_state["ex_own_notice"] = f"“own={text[:40]}” in the link {reason}."
    st.session_state["ex_own"] = images
    st.session_state["ex_own_shape"] = images[0].shape


def own_images_editor() -> TinyDataset:
    """A grid of cells for the chosen image: click a cell to switch it; add or remove images."""
    st.subheader("Your own images")
    if "ex_own_notice" in st.session_state:
        st.warning(st.session_state["ex_own_notice"], icon=":material/link_off:")
    # The grid's shape lives in ex_own_shape: Streamlit forgets a widget's value on a run that
    # does not draw it (another dataset chosen), and the drawing must survive such a visit.
    st.session_state["ex_shape"] = st.session_state["ex_own_shape"]
    st.radio(
        "Grid",
        SHAPES,
        format_func=lambda s: f"{s[0]}×{s[1]}",
        horizontal=True,
        key="ex_shape",
        on_change=new_grid,
    )
    shape = st.session_state["ex_own_shape"]
    images = st.session_state["ex_own"]
    st.session_state.setdefault("ex_image", 0)
    chosen = st.pills("Image", range(len(images)), format_func=lambda i: f"{i + 1}", key="ex_image")
    chosen = 0 if chosen is None or chosen >= len(images) else chosen
    grid, actions = st.columns([1, 2])
    with grid:
        for row in range(shape[0]):
            for column, cell in zip(st.columns(shape[1]), range(shape[1]), strict=True):
                on = bool(images[chosen][row, cell])
                column.button(
                    "■" if on else "□",
                    key=f"ex_cell_{row}_{cell}",
                    type="primary" if on else "secondary",
                    on_click=toggle_cell,
                    args=(chosen, row, cell),
                    width="stretch",
                )
    with actions:
        st.button(
            "Add an image",
            icon=":material/add:",
            on_click=add_image,
            disabled=len(images) >= MAX_OWN_IMAGES,
        )
        st.button(
            "Remove this image",
            icon=":material/delete:",
            on_click=remove_image,
            args=(chosen,),
            disabled=len(images) <= 1,
        )
        st.caption(
            f"{len(images)} image(s) of {shape[0]}×{shape[1]} pixels. Click a cell to switch it, "
            "then press Reset to train on them."
        )
    st.query_params["own"] = images_to_text(images)
    return own_images(images)


def new_grid() -> None:
    """A new grid shape starts from its examples."""
    shape = st.session_state["ex_own_shape"] = st.session_state["ex_shape"]
    st.session_state["ex_own"] = defaults(shape)
    st.session_state["ex_image"] = 0


def toggle_cell(image: int, row: int, column: int) -> None:
    st.session_state["ex_own"][image][row, column] ^= 1


def add_image() -> None:
    images = st.session_state["ex_own"]
    images.append(np.zeros_like(images[0]))
    st.session_state["ex_image"] = len(images) - 1


def remove_image(image: int) -> None:
    del st.session_state["ex_own"][image]
    st.session_state["ex_image"] = 0
