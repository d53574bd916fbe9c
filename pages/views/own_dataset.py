"""Your own images as the dataset of the RBM and GAN pages: an uploader, "Centre like MNIST",
and a preview grid with the count. The images live in this visitor's page session (never shared
with another visitor, never in a link); until some are there, the page trains nothing."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.data.datasets import Dataset
from core.data.own_images import LIMITS, OWN_IMAGES, OwnImages, images_from_upload
from core.pictures.grids import image_grid
from pages.kit.session import PageSession, browser_sessions, usable_dataset
from pages.kit.training_page import PAGES
from pages.kit.widgets import bounded_image, grid_picture

PREVIEW, PREVIEW_WIDTH = 64, 320  # images in the preview grid, and its width in pixels
WHAT_TO_UPLOAD = (
    f"Upload a zip of PNG or JPEG images, or a .npy / .npz array of shape (n, height, width) "
    f"(uint8 0–255, or floats in 0–1): between 10 and {LIMITS.max_images:,} images, at most "
    f"{LIMITS.max_upload_bytes / 1e6:g} MB ({LIMITS.max_unpacked_bytes / 1e6:g} MB unpacked). "
    "Each becomes 28×28 greyscale with ink = 1, as MNIST's digits are. Nothing trains until then."
)
CENTRE_HELP = (
    "On: each image is cropped to its ink, scaled into a 20×20 box and centred by its centre "
    "of mass in 28×28, as MNIST's digits were made (dark ink on light paper is inverted). Off: "
    "each is padded square and scaled to 28×28 as it is."
)


@dataclass
class OwnUpload:
    """What a page session keeps of the visitor's own images."""

    images: OwnImages | None = None
    source: str = ""  # where they came from, for the preview's caption
    preview: str = ""  # the preview grid, drawn once per upload
    tried: tuple | None = None  # (file id, centre) read last: a rerun does not read it again
    refusal: str = ""  # why the last upload was refused (the images before it stay)


def chosen_dataset(name: str, session: PageSession, prefix: str) -> tuple[Dataset, str]:
    """The dataset the sidebar chose and its name; for your own images the uploader and the
    preview are drawn, and until images are there the page stops after saying what to upload.
    Their name is the upload's own ("own-" and its digest): a file name, a checkpoint's
    dataset or a cache keyed by it never mixes one visitor's upload with another's."""
    if name != OWN_IMAGES:
        return usable_dataset(name, session)
    own = own_images_section(session, prefix)
    if own is None:
        st.stop()
    return own.dataset, f"{OWN_IMAGES}-{own.digest}"


def own_images_section(session: PageSession, prefix: str) -> OwnImages | None:
    """The uploader, the centring checkbox and the preview, in a section that opens by itself
    while there is something to do or to see (no images yet, new ones, a refusal) and otherwise
    stays as the visitor left it; the images the page trains on."""
    state = session.own = session.own or OwnUpload()
    if state.images is None:
        adopt_from_another_page(state, session)
    upload_key, centre_key, open_key = (f"{prefix}_own_{k}" for k in ("upload", "centre", "open"))
    upload = st.session_state.get(upload_key)  # read before it is drawn: the section's state
    centre = st.session_state.get(centre_key, True)
    if upload is None:
        state.tried, state.refusal = None, ""  # a refused file taken away: its error too
    elif (upload.file_id, centre) != state.tried:
        read_upload(state, upload, centre)
        st.session_state[open_key] = True
    if state.images is None or state.refusal:
        st.session_state[open_key] = True
    with st.expander("Your own images", key=open_key, on_change="rerun"):
        left, right = st.columns([3, 2])
        left.file_uploader(
            "A zip of PNG or JPEG images, or a .npy / .npz array",
            type=["zip", "npy", "npz"],
            key=upload_key,
            help=WHAT_TO_UPLOAD,
        )
        left.checkbox("Centre like MNIST", value=True, key=centre_key, help=CENTRE_HELP)
        if state.refusal:
            kept = " The images you had stay." if state.images is not None else ""
            left.error(state.refusal + kept, icon=":material/block:")
        if state.images is None:
            left.info(WHAT_TO_UPLOAD, icon=":material/upload_file:")
            return None
        images = state.images
        left.caption(
            f"{images.dataset.n_samples:,} images, {images.skipped:,} skipped. "
            + " ".join(images.notes)
        )
        with right:
            preview(state)
    return state.images


def read_upload(state: OwnUpload, upload, centre: bool) -> None:
    """The uploaded file's images in place of the session's, or its refusal beside them."""
    state.tried = (upload.file_id, centre)
    try:
        with st.spinner("Reading your images…"):
            images = images_from_upload(upload.name, upload.getvalue(), centre)
    except ValueError as refusal:
        state.refusal = str(refusal)
        return
    state.images, state.source, state.refusal = images, upload.name, ""
    state.preview = grid_picture(
        image_grid(images.dataset.images[:PREVIEW], images.dataset.image_shape, columns=8),
        PREVIEW_WIDTH,
    )


def adopt_from_another_page(state: OwnUpload, session: PageSession) -> None:
    """The images this visitor uploaded on the other MNIST page, if any (the same browser)."""
    for page, other in browser_sessions():
        theirs = other.own
        if other is not session and theirs is not None and theirs.images is not None:
            name = PAGES.get(page, (page, page))[1]
            state.images, state.preview = theirs.images, theirs.preview
            state.source = f"{theirs.source}, uploaded on the {name} page"
            return


def preview(state: OwnUpload) -> None:
    """The first images as the models see them."""
    count = state.images.dataset.n_samples
    bounded_image(
        state.preview,
        PREVIEW_WIDTH,
        caption=f"The first {min(count, PREVIEW)} of your {count:,} images ({state.source}), "
        "28×28, ink = 1: the RBM trains on them binarized, the GAN scaled to [−1, 1].",
    )
