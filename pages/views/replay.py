"""Replay a recorded run: a slider through the pretrained model's training, from noise to
digits at once, and a button that continues training live from a recorded checkpoint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from core.data.recordings import Recording, load_recording, recording_path
from core.pictures.grids import image_grid
from pages.kit.widgets import Pretrained, bounded_image, grid_picture


@st.cache_resource(show_spinner=False)
def cached_recording(path: str, modified: float, model: str) -> Recording:
    """A recording read once per process (and again when the file changes)."""
    return load_recording(Path(path), model)


@st.cache_resource(show_spinner=False)
def recorded_checkpoints(path: str, modified: float, model: str) -> dict[int, bytes]:
    """A recording's checkpoints as the bytes its Continue button offers, by step (once)."""
    recording = cached_recording(path, modified, model)
    return {step: recording.checkpoint_bytes(step) for step in sorted(recording.checkpoints)}


def recorded_before(pretrained: Pretrained, model: str, data: bytes) -> list[bytes]:
    """The checkpoints recorded before the model in ``data`` when it is the ``pretrained``
    model or one of its recording's checkpoints (by their bytes); none for any other."""
    path = recording_path(pretrained.path)
    if not (pretrained.path.exists() and path.exists()):
        return []
    try:
        kept = recorded_checkpoints(str(path), path.stat().st_mtime, model)
    except ValueError:  # the replay says why
        return []
    if data == pretrained.path.read_bytes():
        return list(kept.values())
    last = next((step for step, saved in kept.items() if saved == data), None)
    return [saved for step, saved in kept.items() if last is not None and step < last]


def replay_section(
    model: str,
    pretrained: Pretrained,
    n_pixels: int,
    what: str,
    offer: Callable[[bytes, str], bool],
) -> None:
    """The pretrained model's recorded training (where it and its recording ship, on a
    dataset of its image size); ``what`` says what the pictures are, and ``offer(bytes,
    name)`` takes a checkpoint to continue from (see pages.kit.widgets.offer_checkpoint)."""
    path = recording_path(pretrained.path)
    if pretrained.n_pixels != n_pixels or not path.exists() or not pretrained.path.exists():
        return
    try:
        recording = cached_recording(str(path), path.stat().st_mtime, model)
    except ValueError as error:
        st.warning(f"The recorded run cannot be replayed: {error}", icon=":material/history:")
        return
    if recording.image_shape[0] * recording.image_shape[1] != n_pixels:
        return
    with st.expander(f"Replay: {pretrained.name} from noise to digits", icon=":material/history:"):
        replay(model, recording, pretrained, what, offer)


@st.fragment
def replay(
    model: str,
    recording: Recording,
    pretrained: Pretrained,
    what: str,
    offer: Callable[[bytes, str], bool],
) -> None:
    """A fragment: dragging the slider redraws the picture alone, not the whole page."""
    last = recording.steps[-1]
    st.caption(
        f"{what} at {len(recording.steps)} steps of its training, from the first to step "
        f"{last:,}, recorded by the script that trained it. Drag the slider to watch the "
        "digits form; then continue from a recorded checkpoint to train live from there, "
        "with this page's settings."
    )
    step = st.select_slider(
        "Recorded step",
        recording.steps,
        value=recording.steps[0],
        format_func=lambda s: f"{s:,}",
        key=f"{model}_replay_step",
    )
    frame = recording.frame(recording.steps.index(step))
    grid = image_grid(frame, recording.image_shape, columns=8)
    bounded_image(grid_picture(grid, 400), 400, caption=f"after {step:,} steps")
    kept = sorted({*recording.checkpoints, last})
    start = last if step == last else recording.checkpoint_before(step)
    if start is None:
        st.button(
            f"Continue from step {kept[0]:,}",
            disabled=True,
            key=f"{model}_replay_continue",
            help=f"The first recorded checkpoint is at step {kept[0]:,}: move the slider there.",
        )
        return

    def take() -> None:  # a callback: a checkpoint may set widgets' values (hidden units)
        # the slider's value as the click found it (it may have moved since this was drawn)
        chosen = st.session_state.get(f"{model}_replay_step", step)
        begin = last if chosen == last else recording.checkpoint_before(chosen)
        if begin is None:
            return
        data = pretrained.path.read_bytes() if begin == last else recording.checkpoint_bytes(begin)
        offer(data, f"{pretrained.name} at step {begin:,}")

    if st.button(
        f"Continue training from step {start:,}",
        icon=":material/play_arrow:",
        key=f"{model}_replay_continue",
        on_click=take,
        help="Recorded checkpoints: " + ", ".join(f"{s:,}" for s in kept) + ". The run "
        "stands at that step, paused; press Resume to train on.",
    ):
        st.rerun(scope="app")  # the page's full run loads it (PageSession.take_pending_checkpoint)
