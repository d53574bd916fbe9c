"""What a training page keeps for one browser, and the things every session shares.

A page's state is a :class:`PageSession` (its page adds fields of its own). It is kept by the
process's :class:`serving.keeper.Keeper` under the browser's key (a cookie) and the page's name,
not by the Streamlit session: a reload or a reconnect starts a new session, which takes the run
up where it was. It ends ``server.disconnectedSessionTTL`` seconds after its last tab closed.
The dataset cache and the slot pool are shared by every session of the process.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st
import torch

from core.data.datasets import (
    DATASET_NAMES,
    DEFAULT_DATASET,
    DIGIT_CLASS_NAMES,
    Dataset,
    DatasetError,
    load_dataset,
)
from core.data.own_images import CLASS_NAMES as OWN_CLASS_NAMES
from core.devices import training_device
from core.judge.classifier import classifier_path, load_classifier
from core.training import process
from core.training.caps import Caps
from core.training.runs import IDLE, Job, TrainingRun
from core.training.slots import SlotPool
from serving import memory
from serving.keeper import EXPIRED, NEW, RESUMED, UNKNOWN, Keeper, Lease
from serving.memory import device_memory


@st.cache_resource(show_spinner="Loading the dataset…")
def cached_dataset(name: str) -> Dataset:
    """Datasets are loaded once per process and shared read-only by every session."""
    return load_dataset(name)


def new_job(make: Callable[[torch.device], Job]) -> Job:
    """``make(device)`` for a new MNIST-sized run, on the device runs train on (a GPU when
    torch sees one, see core.devices). A bad DASHBOARD_DEVICE, or a GPU whose memory
    is full
    (or past the memory cap's line), stops the page with a sentence instead of a traceback."""
    try:
        device = training_device()
    except ValueError as error:
        st.error(str(error))
        st.stop()
    gpu = device_memory(device)  # models and data live in the GPU's memory, not the server's
    if gpu is not None and not memory.room_for_a_run(gpu):
        st.error(memory.refusal(gpu, f"The GPU ({gpu.source})"), icon=":material/memory:")
        st.stop()
    try:
        return make(device)
    except torch.OutOfMemoryError:
        st.error(
            "The GPU's memory is full (other visitors' models live there too): try a smaller "
            "model or batch, or come back in a while.",
            icon=":material/memory:",
        )
        st.stop()


@st.cache_resource(show_spinner="Loading the reference classifier…")
def cached_classifier(image_shape: tuple[int, int]):
    """The digit classifier that judges samples, shared read-only (None if there is none)."""
    path = classifier_path(image_shape)
    return load_classifier(path) if path.exists() else None


NOT_DIGITS = (
    "The reference CNN knows digits only: on {name} it would call even perfect samples "
    "“not a digit”, so its verdicts (the share recognised, which digits, the classifier FID) "
    "are left out here."
)


OWN_NOT_JUDGED = (
    "The reference CNN knows MNIST's digits only and cannot know what your own images are "
    "meant to be, so its verdicts (the share recognised, which digits, the classifier FID) are "
    "left out here."
)


def not_judged(dataset: Dataset) -> str:
    """Why the digit judge's views give way to a sentence on this dataset."""
    if tuple(dataset.class_names) == OWN_CLASS_NAMES:
        return OWN_NOT_JUDGED
    return NOT_DIGITS.format(name=dataset.name)


def digit_judge(dataset: Dataset):
    """The reference CNN for this dataset, or None where its verdict would mean nothing: the
    dataset's classes are not digits (Fashion-MNIST, a visitor's own images), or no CNN is made
    for its image size."""
    if tuple(dataset.class_names) != DIGIT_CLASS_NAMES:
        return None
    return cached_classifier(dataset.image_shape)


def usable_dataset(name: str, session: PageSession) -> tuple[Dataset, str]:
    """The chosen dataset and its name; where it cannot be had (a download while offline,
    say) the error, and the page goes on with the dataset of the model it has (or the offline
    default), so that nothing else on it is lost."""
    try:
        return cached_dataset(name), name
    except DatasetError as error:
        problem = error
    built = session.made_with[0] if session.made_with else DEFAULT_DATASET
    for fallback in dict.fromkeys(
        [built if built in DATASET_NAMES else DEFAULT_DATASET, DEFAULT_DATASET]  # not own images
    ):
        try:
            dataset = cached_dataset(fallback)
        except DatasetError:
            continue
        st.error(f"{problem} The page goes on with {fallback}.", icon=":material/cloud_off:")
        return dataset, fallback
    st.error(str(problem), icon=":material/cloud_off:")
    st.stop()


@st.cache_resource
def slot_pool() -> SlotPool:
    """The training slots every session's run shares: the cores but one (kept for serving
    pages), in workers of process.worker_threads() threads; at least one run trains."""
    return SlotPool(process.training_slots(), worker_threads=process.worker_threads())


UNWATCHED_SECONDS = 4.0  # a page's run that no view has drawn for this long rests


@dataclass
class PageSession:
    """One session's run on one training page, and what the page keeps between reruns."""

    run: TrainingRun | None = None
    made_with: Any = None  # the settings the run's model was built with (changing one resets)
    pending_checkpoint: tuple[Any, str] | None = None  # (weights, name) to continue from
    upload_message: tuple[str, str] | None = None  # (st.success / st.error, text)
    load_notice: str = ""  # what a loaded checkpoint brings that the settings do not say
    arrival: str = NEW  # what the keeper found when the page was first opened (serving.keeper)
    live_line: Any = None  # the page's pages.kit.live_line.LiveLine, made when first needed
    charts_snapshot: tuple | None = None  # (taken at, snapshot, job id): see live.charts_snapshot
    drawn: dict = field(default_factory=dict)  # charts drawn once per snapshot (live.drawn_once)
    preset: str | None = None  # the preset whose sentence stays on screen
    own: Any = None  # the visitor's own images (pages.views.own_dataset.OwnUpload), if any
    ghosts: list = field(default_factory=list)  # earlier runs' curves (pages.kit.ghosts)
    trained_with: dict = field(default_factory=dict)  # the run's settings while it trained

    def forget_views(self) -> None:
        """Drop what was computed from the previous model (a page adds its own fields)."""
        self.charts_snapshot = None
        self.drawn.clear()

    def start_over(self, job: Job, caps: Caps, made_with: Any, **run_options) -> TrainingRun:
        """A new run for ``job`` (the session's run, reset, from the second time on)."""
        if self.run is None:
            self.run = TrainingRun(
                job,
                caps=caps,
                slots=slot_pool(),
                rest_unwatched_after=UNWATCHED_SECONDS,
                **run_options,
            )
        else:
            self.run.reset(job)
        self.made_with = made_with
        self.forget_views()
        return self.run

    def take_pending_checkpoint(self, new_run: Callable[[], None], load: Callable) -> None:
        """If a checkpoint waits (see pages.kit.widgets.checkpoint_upload), start a new run and
        ``load(job, weights)`` into it (see TrainingRun.adopt): it returns the step the model
        had reached and its metrics there, so the page draws it at once at that step."""
        if self.pending_checkpoint is None:
            return
        weights, name = self.pending_checkpoint
        self.pending_checkpoint = None
        new_run()
        self.load_notice = ""  # a page's load may say what the model brings (rates, epochs)
        self.run.adopt(lambda job: load(job, weights))
        self.upload_message = ("success", f"Continuing from {name}. {self.load_notice}".strip())


def close_session(session: PageSession) -> None:
    """A page's session-release hook: stop the session's run, drop it, return its memory."""
    run = session.run
    if run is not None:
        run.stop()  # the worker ends, cutting its own heap back as it goes
    with process.trimming_heaps():
        session.run = None
        session.live_line = None
        session.charts_snapshot = None
        session.forget_views()
        if run is not None:
            run.release()
            del run
    process.return_memory()


# ---- kept per browser, across reloads and reconnects --------------------------------------

BROWSER_COOKIE = "dashboard_browser"
NOTICES = {
    UNKNOWN: "The server that held your model restarted (or this page now comes from another "
    "server), so that run is gone. This is a new model: start it below to train again.",
    EXPIRED: "Your run here ended because no tab showed it for {ttl} s. This is a new model: "
    "start it below to train again.",
}


@st.cache_resource(on_release=Keeper.close_all)
def keeper() -> Keeper:
    """Every browser's page sessions in this process; one without a tab ends after the TTL
    Streamlit keeps a disconnected session for."""
    return Keeper(close_session, st.get_option("server.disconnectedSessionTTL"))


def browser_key() -> tuple[str, bool]:
    """This browser's key and whether it came in its cookie (else it is made now)."""
    cookie = st.context.cookies.get(BROWSER_COOKIE)
    if isinstance(cookie, str) and re.fullmatch(r"[A-Za-z0-9_-]{16,64}", cookie):
        return cookie, True
    return st.session_state.setdefault("browser_key", secrets.token_urlsafe(18)), False


@st.cache_resource(scope="session", on_release=lambda held: held[0].detach(held[1]))
def _lease(page: str, _make: Callable[[], PageSession]) -> tuple[Keeper, Lease]:
    """This session's hold on the browser's entry for ``page``; let go when the session ends."""
    kept_by = keeper()
    key, known = browser_key()
    held = st.session_state.setdefault("kept_slots", {})  # kept when the socket reconnects
    lease = kept_by.attach(key, page, _make, known, prefer=held.get(page))
    held[page] = lease.slot
    if lease.status != RESUMED:
        lease.value.arrival = lease.status
    return kept_by, lease


def browser_sessions() -> list[tuple[str, PageSession]]:
    """Every page session this browser keeps here, as (page, session)."""
    return keeper().values_of(browser_key()[0])


def kept(page: str, make: Callable[[], PageSession]) -> PageSession:
    """This browser's session of ``page`` (made by ``make`` the first time)."""
    return _lease(page, make)[1].value


def opened(page: str, make: Callable[[], PageSession]) -> PageSession:
    """:func:`kept`, for the page's own script: it gives a new browser its cookie and says
    when a run this browser had is gone, until the new one starts. Near the server's memory
    limit, a session that has no run yet gets none (before its page builds a model): the page
    says why and stops there."""
    session = kept(page, make)
    if session.run is None and not memory.room_for_a_run(now := memory.current()):
        st.error(memory.refusal(now), icon=":material/memory:")
        st.stop()
    key, known = browser_key()
    if not known:
        st.html(
            f"<script>document.cookie = '{BROWSER_COOKIE}={key}; path=/; SameSite=Lax'</script>",
            unsafe_allow_javascript=True,
        )
    if session.run is not None and session.run.state != IDLE:
        session.arrival = RESUMED  # told once the new model has trained: not after a Reset
    notice = NOTICES.get(session.arrival)
    if notice:
        ttl = st.get_option("server.disconnectedSessionTTL")
        st.warning(notice.format(ttl=ttl), icon=":material/sync_problem:")
    return session
