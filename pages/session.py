"""What a training page keeps for one browser session, and the things every session shares.

A page's state is a :class:`PageSession` (its page adds fields of its own), kept by
``st.cache_resource(scope="session", on_release=close_session)``: the run and its model live
as long as the session, and go when it ends. The dataset cache and the slot pool are shared
by every session of the process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from core import process
from core.data import Dataset, load_dataset
from core.runs import Caps, Job, TrainingRun
from core.slots import SlotPool


@st.cache_resource(show_spinner="Loading the dataset…")
def cached_dataset(name: str) -> Dataset:
    """Datasets are loaded once per process and shared read-only by every session."""
    return load_dataset(name)


@st.cache_resource
def slot_pool() -> SlotPool:
    """The training slots every session's run shares: the cores but one (kept for serving
    pages), in workers of process.worker_threads() threads; at least one run trains."""
    return SlotPool(process.training_slots(), worker_threads=process.worker_threads())


@dataclass
class PageSession:
    """One session's run on one training page, and what the page keeps between reruns."""

    run: TrainingRun | None = None
    made_with: Any = None  # the settings the run's model was built with (changing one resets)
    pending_checkpoint: tuple[Any, str] | None = None  # (weights, name) to continue from
    upload_message: tuple[str, str] | None = None  # (st.success / st.error, text)
    live_line: Any = None  # the page's pages.live_line.LiveLine, made when first needed
    charts_snapshot: tuple | None = None  # (taken at, snapshot, job id): see live.charts_snapshot
    drawn: dict = field(default_factory=dict)  # charts drawn once per snapshot (live.drawn_once)

    def forget_views(self) -> None:
        """Drop what was computed from the previous model (a page adds its own fields)."""
        self.charts_snapshot = None
        self.drawn.clear()

    def start_over(self, job: Job, caps: Caps, made_with: Any, **run_options) -> TrainingRun:
        """A new run for ``job`` (the session's run, reset, from the second time on)."""
        if self.run is None:
            self.run = TrainingRun(job, caps=caps, slots=slot_pool(), **run_options)
        else:
            self.run.reset(job)
        self.made_with = made_with
        self.forget_views()
        return self.run

    def take_pending_checkpoint(self, new_run: Callable[[], None], load: Callable) -> None:
        """If a checkpoint waits (see pages.widgets.checkpoint_upload), start a new run and
        ``load(job, weights)`` into it between two updates."""
        if self.pending_checkpoint is None:
            return
        weights, name = self.pending_checkpoint
        self.pending_checkpoint = None
        new_run()
        self.run.read(lambda job: load(job, weights))
        self.upload_message = ("success", f"Continuing from {name}.")


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
