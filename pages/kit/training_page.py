"""The skeleton every training page shares, so that a page file is only its screen.

A :class:`TrainingPage` owns what comes before the first control and around the run: the
sidebar from the page's settings table, opening the browser's page session (threads, keeper,
memory cap), a Reset a preset asked for, a checkpoint waiting to be continued from, handing
the run its live settings under the run's lock, the control row with the Reset notice, and
the live fragment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from core.training.caps import Caps
from core.training.process import threads_for_this_thread
from core.training.runs import TRAINING, Job, TrainingRun
from pages.kit import ghosts
from pages.kit.compare import run_b_offer
from pages.kit.live import live_fragment
from pages.kit.session import PageSession, browser_sessions, kept, opened
from pages.kit.sidebar import preset_holds, sidebar
from pages.kit.widgets import control_row, start_pause_resume
from pages.settings.table import Setting, needs_reset

AWAY_RUNS = 1  # runs one visitor may keep training while no page of theirs shows them
PAGES = {  # where each page's sessions are kept: its file and how a sentence names its run
    "rbm": ("rbm.py", "RBM"),
    "gan": ("gan.py", "GAN"),
    "gan-2d": ("gan_2d.py", "2-D GAN"),
    "rbm-exact": ("rbm_exact.py", "small RBM"),
}


@dataclass(frozen=True)
class TrainingPage:
    """One training page's constants: where its sessions are kept, its settings table, its
    presets, its session class, its caps and how often its live view refreshes."""

    kept_as: str  # the name its sessions are kept under (pages.kit.session)
    prefix: str  # its widget keys' prefix
    settings: Sequence[Setting]
    presets: dict
    session_class: type[PageSession]
    caps: Caps
    refresh_seconds: float
    reset_hint: str  # what the Reset notice says changed
    run_options: dict = field(default_factory=dict)  # for TrainingRun (picture_interval, ...)
    keeps_ghosts: bool = True  # a Reset keeps the run it ends beside the next (pages.kit.ghosts)

    def sidebar(self) -> dict[str, Any]:
        """Every setting's value by link name (the sidebar, the link, the presets)."""
        values = sidebar(
            self.prefix,
            self.settings,
            self.presets,
            self._chose_preset,
            lambda: [(g.name, g.values) for g in kept(self.kept_as, self.session_class).ghosts],
        )
        run_b_offer(self.prefix, self.settings, self._ask_for_a_new_run)
        return values

    def _ask_for_a_new_run(self) -> None:
        st.session_state[f"{self.prefix}_pending_reset"] = True

    def _chose_preset(self, name: str) -> None:
        kept(self.kept_as, self.session_class).preset = name

    def session(self) -> PageSession:
        """This browser's session of the page (drawing uses one thread; the worker its own),
        after a line for each of the browser's runs that trains on while another page is on
        screen."""
        threads_for_this_thread(1)
        session = opened(self.kept_as, self.session_class)
        for page, other in browser_sessions():
            run = other.run
            if page == self.kept_as or run is None or not run.keep_going:
                continue
            if run.state == TRAINING and page in PAGES:
                file, name = PAGES[page]
                steps = run.snapshot(history=False).steps
                with st.container(horizontal=True, vertical_alignment="center"):
                    st.info(
                        f"Your {name} is training in the background (step {steps:,}).",
                        icon=":material/sync:",
                    )
                    st.page_link(file, label=f"Back to the {name}", icon=":material/undo:")
        return session

    def run(
        self,
        session: PageSession,
        values: dict[str, Any],
        make_job: Callable[[], Job],
        live_settings: Any,
        built_from: Any = None,
        load_checkpoint: Callable[[Job, Any], tuple] | None = None,
    ) -> Run:
        """The session's run: new on the first visit, after a preset or when a checkpoint
        waits (``load_checkpoint(job, weights)``); else given the live settings under its lock.
        ``built_from`` is what the model was made from beside the table's Reset settings (the
        dataset's name, say)."""
        made_with = (built_from, needs_reset(self.settings, values))

        def new_run() -> None:
            from_preset = st.session_state.pop(f"{self.prefix}_pending_reset", False)
            session.preset = session.preset if from_preset else None
            if session.run is not None and self.keeps_ghosts:  # the run that ends stays beside
                ended = session.run.snapshot()
                ghosts.keep(
                    session.ghosts, ended.history, ended.steps, session.trained_with, ended.album
                )
            session.start_over(make_job(), self.caps, made_with, **self.run_options)
            session.trained_with = dict(values)

        if session.run is None or st.session_state.get(f"{self.prefix}_pending_reset"):
            new_run()
        if load_checkpoint is not None:
            session.take_pending_checkpoint(new_run, load_checkpoint)
        session.run.watched()  # its page is on screen: a run that rested trains on
        changed = session.made_with != made_with
        if not changed:
            session.run.apply(live_settings)
            if session.run.state == TRAINING:  # what a ghost of it will say it trained with
                session.trained_with = dict(values)
        ghosts.follow_row(session.ghosts, self.prefix)
        ghosts.name_ghosts(session.ghosts, values, self.settings)
        return Run(self, session, session.run, changed, new_run)


@dataclass
class Run:
    """A training page's run as this rerun sees it: ``changed`` when a setting needs a Reset."""

    page: TrainingPage
    session: PageSession
    run: TrainingRun
    changed: bool
    new_run: Callable[[], None]

    def controls(self, *extra: tuple, play: bool = False) -> None:
        """The preset's sentence (while its settings hold), the control row (Start, Pause,
        Resume, Step, the page's ``extra`` buttons, Reset; Play and Pause with ``play``) and
        the Reset notice."""
        run, blocked, preset = self.run, self.changed, self.session.preset
        if preset and preset_holds(self.page.settings, self.page.presets[preset][0]):
            sentence = self.page.presets[preset][1]
            st.info(f"**{preset}** — {sentence}", icon=":material/school:")
        if play:
            moving = (
                ("Play", "play_arrow", run.start, run.state == TRAINING or blocked),
                ("Pause", "pause", run.pause, run.state != TRAINING),
            )
        else:
            moving = start_pause_resume(run, blocked)
        step = ("Step", "skip_next", run.step, blocked)
        extra = tuple((label, icon, action, blocked) for label, icon, action in extra)
        control_row((*moving, step, *extra, ("Reset", "restart_alt", self.new_run, False)))
        if blocked:
            st.info(self.page.reset_hint)
        self.keep_going()

    def keep_going(self) -> None:
        """The switch that lets this run train on while no page shows it (capped per
        visitor); off, a run nobody watches rests until its page comes back."""
        others = [
            page
            for page, other in browser_sessions()
            if page != self.page.kept_as and other.run is not None and other.run.keep_going
        ]
        full = len(others) >= AWAY_RUNS and not self.run.keep_going
        self.run.keep_going = st.toggle(
            "Keep training while I'm away",
            value=self.run.keep_going,
            key=f"{self.page.prefix}_keep_going",
            disabled=full,
            help=f"Off, a run whose page nobody has on screen pauses within seconds and "
            f"trains on when its page comes back. On, it trains on while you show another page "
            f"({AWAY_RUNS} such run per visitor"
            + (f": your {PAGES[others[0]][1]} has it" if full else "")
            + ").",
        )

    def live(
        self,
        draw: Callable[[float | None], None],
        *,
        help: str,
        detail: Callable = lambda snapshot: "",
        finished: Callable = lambda slot, text: slot.success(text),
    ) -> None:
        """The status line and ``draw(timer)``, redrawn while the run trains."""
        live_fragment(
            self.session,
            self.page.prefix,
            self.page.refresh_seconds,
            detail=detail,
            help=help,
            finished=finished,
            draw=draw,
        )
        ghosts.ghost_row(self.session.ghosts, self.page.prefix)
