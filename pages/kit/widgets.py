"""Widgets both training pages use: settings kept in the link, a row of control buttons, the
downloads row, checkpoint messages and image grids drawn as pictures for the live view."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from core.pictures.grids import history_csv, picture_svg, png_bytes
from core.training.runs import FINISHED, IDLE, PAUSED, TRAINING, RunSnapshot, TrainingRun
from pages.kit.presenter import presenting
from pages.kit.session import PageSession


def control_row(controls) -> None:
    """One row of buttons from (label, material icon, callback, disabled) rows. Callbacks run
    before the page is drawn, so every button shows the state after the click. Each button is
    as wide as its label (never clipped), and the row wraps on a narrow screen."""
    with st.container(horizontal=True, wrap=True, gap="small"):
        for label, icon, action, disabled in controls:
            st.button(
                label,
                icon=f":material/{icon}:",
                on_click=action,
                disabled=disabled,
                width="content",
            )


def bounded_image(picture, max_width: int, target=st, **options) -> None:
    """An image at most ``max_width`` pixels wide and never wider than its column (a phone):
    st.image's own pixel width would overflow a narrower column. On a projector
    (``?present=1``) as wide as its column: the style caps its height at the screen's."""
    with target.container(width=picture_width(max_width)):
        st.image(picture, width="stretch", **options)


def picture_width(width: int | str = "content") -> int | str:
    """A picture's width: its own on a laptop or a phone; under ``?present=1`` its column's,
    so that pictures grow with a projector's screen instead of staying a few pixels a cell."""
    return "stretch" if presenting() else width


def picture_columns(pictures: list[str], columns: int = 2) -> None:
    """Pictures (SVG text or PNG bytes) in rows of ``columns``: each its own image, so that on
    a phone, where Streamlit stacks columns, each is drawn at the screen's full width."""
    for start in range(0, len(pictures), columns):
        row = pictures[start : start + columns]
        for column, picture in zip(st.columns(columns), row, strict=False):
            column.image(picture, width="stretch")


def log_scale_toggle(key: str, what: str) -> bool:
    """A small switch that draws ``what`` on a log axis, where small numbers (a gradient
    norm of 0.002, a loss near 0) spread out instead of hugging 0; its value."""
    return st.toggle(
        "Log scale",
        key=key,
        help=f"{what} on a log axis: each factor of ten as tall as the next. A log axis has "
        "no 0: values of 0 or below are left out, and the panel says how many.",
    )


X_AXES = {"steps": "step", "epochs": "epoch", "images seen": "images", "points seen": "images"}


def x_axis_radio(key: str, choices: Sequence[str]) -> None:
    """The curves' horizontal axis, one of ``choices`` (keys of X_AXES): images seen, not
    steps, is the fair axis between two runs of different batch sizes or k."""
    st.radio(
        "Horizontal axis",
        choices,
        horizontal=True,
        key=key,
        help="Images seen (points, on the plane) counts the training data the model has been "
        "shown since this run began here (D's, in a GAN): a checkpoint's earlier training is "
        "not counted.",
    )


def x_axis(key: str) -> str:
    """The history key the curves are drawn against, as ``x_axis_radio`` says."""
    return X_AXES.get(st.session_state.get(key, "steps"), "step")


def curve_controls(prefix: str, log_what: str, seen: str) -> None:
    """Above a page's curves: the log scale (for ``log_what``) and the horizontal axis, steps
    or ``seen`` ("images seen", "points seen")."""
    with st.container(horizontal=True, vertical_alignment="center", gap="large"):
        log_scale_toggle(f"{prefix}_log_scale", log_what)
        x_axis_radio(f"{prefix}_x_axis", ["steps", seen])


def start_pause_resume(run: TrainingRun, blocked: bool) -> tuple:
    """The Start, Pause and Resume of a control_row, each enabled only where it does something:
    Start on a run not yet trained, Resume on a paused or finished one that may train on
    (more epochs, say), neither while ``blocked`` (a setting waits for a Reset)."""
    can_train = run.can_train and not blocked
    return (
        ("Start", "play_arrow", run.start, not (can_train and run.state == IDLE)),
        ("Pause", "pause", run.pause, run.state != TRAINING),
        ("Resume", "resume", run.resume, not (can_train and run.state in (PAUSED, FINISHED))),
    )


def back_next(columns, position: int, last: int, move: Callable[[int], None]) -> None:
    """Back and Next buttons in two columns, for a ``position`` in 0..last moved by move(±1)."""
    for column, label, icon, by, disabled in (
        (columns[0], "Back", "arrow_back", -1, position <= 0),
        (columns[1], "Next", "arrow_forward", 1, position >= last),
    ):
        column.button(
            label,
            icon=f":material/{icon}:",
            on_click=move,
            args=(by,),
            disabled=disabled,
            width="stretch",
        )


def export_row(run: TrainingRun, model: tuple, prefix: str) -> tuple[RunSnapshot, list]:
    """The "Export and continue" header and a row of five download buttons, the first two
    filled: the model file (``model``: label, a function making the bytes, file name, help)
    and the history CSV. Each file is made when its button is clicked, not at every rerun.
    Returns the snapshot the row shows and its columns, for the page's pictures."""
    st.header("Export and continue")
    snapshot = run.snapshot()
    columns = st.columns(5)
    label, data, file_name, help_text = model
    columns[0].download_button(
        label,
        data,
        file_name,
        "application/octet-stream",
        icon=":material/download:",
        width="stretch",
        help=help_text,
        on_click="ignore",  # a download needs no rerun
    )
    columns[1].download_button(
        "History (CSV)",
        lambda: history_csv(snapshot.history),
        f"{prefix}_history.csv",
        "text/csv",
        icon=":material/download:",
        width="stretch",
        disabled=not snapshot.history,
        help="One row per step; after a long run, every "
        f"{snapshot.history_stride}th step (and every evaluation) is kept.",
        on_click="ignore",  # a download needs no rerun
    )
    return snapshot, columns


def png_download(
    column, label: str, picture: Callable[[], np.ndarray], file_name: str, width: int
) -> None:
    """A button that downloads ``picture()`` (grey, in [0, 1]) as a PNG enlarged to about
    ``width`` pixels, made when clicked."""
    column.download_button(
        label,
        lambda: enlarged_png(picture(), width),
        file_name,
        "image/png",
        icon=":material/image:",
        width="stretch",
        on_click="ignore",  # a download needs no rerun
    )


def upload_message(session: PageSession) -> None:
    """The outcome of the last checkpoint upload, if any."""
    if session.upload_message:
        kind, text = session.upload_message
        getattr(st, kind)(text)


def grid_picture(grid: np.ndarray, width: int) -> str:
    """An image grid as a picture for the live view: a PNG at its own size in an SVG that
    enlarges it to about ``width`` pixels, pixel for pixel (see core.pictures.grids.picture_svg)."""
    scale = max(1, round(width / grid.shape[1]))
    return picture_svg(
        png_bytes(grid, upscale=1, compress_level=1), grid.shape[1] * scale, grid.shape[0] * scale
    )


def enlarged_png(picture: np.ndarray, width: int) -> bytes:
    """A grey picture in [0, 1] as a PNG to download, enlarged to about ``width`` pixels."""
    return png_bytes(picture, upscale=max(1, width // picture.shape[1]))


@dataclass(frozen=True)
class Pretrained:
    """A checkpoint that ships in assets/, offered by a button."""

    path: Path
    n_pixels: int  # offered only on a dataset of images this size
    label: str  # the button's
    name: str  # what the page says it continues from
    help: str


def offer_checkpoint(
    session: PageSession, check: Callable[[bytes], Any], data: bytes, name: str, current: str
) -> bool:
    """Checkpoint bytes to continue from: checked by ``check`` (see checkpoint_inputs), they
    wait in the session for the page's next full rerun; False (and a message) if refused."""
    session.upload_message = None
    try:
        weights = check(data)
    except ValueError as error:
        session.upload_message = ("error", f"{name}: {error} The current {current} is unchanged.")
        return False
    session.pending_checkpoint = (weights, name)
    return True


def checkpoint_inputs(
    session: PageSession,
    prefix: str,
    check: Callable[[bytes], Any],
    *,
    current: str,
    pretrained: Pretrained | None = None,
    n_pixels: int = 0,
) -> None:
    """The pretrained model's button (where given, present, and for images of ``n_pixels``)
    and the checkpoint uploader.

    ``check(data)`` returns the weights to continue from, or raises ValueError whose message
    is shown (the ``current`` model unchanged); accepted weights wait in the session until
    the page's next rerun starts a new run with them (PageSession.take_pending_checkpoint).
    """

    def accept(data: bytes, name: str) -> None:
        offer_checkpoint(session, check, data, name, current)

    def take_upload() -> None:
        session.upload_message = None
        upload = st.session_state.get(f"{prefix}_upload")
        if upload is not None:
            accept(upload.getvalue(), upload.name)

    if pretrained is not None and pretrained.n_pixels == n_pixels and pretrained.path.exists():
        st.button(
            pretrained.label,
            icon=":material/model_training:",
            on_click=lambda: accept(pretrained.path.read_bytes(), pretrained.name),
            help=pretrained.help,
        )
    st.file_uploader(
        "Continue from a checkpoint (.pt)",
        type=["pt"],
        key=f"{prefix}_upload",
        on_change=take_upload,
    )
    upload_message(session)
