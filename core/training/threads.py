"""How many threads a training worker's torch operations use: the whole machine for a run
that trains alone, a share when others train too.

A lone run may take every core, but whether that is faster depends on the step: a large one
(the GAN's) gains from a second thread, a small one (the RBM's default) can lose, its threads
waiting at each operation's barrier while the page being drawn (and a browser on the same
machine) holds a core. So a lone worker tries both counts, in turns of a second or more, and
keeps the faster, trying again every so often as what else runs changes. The two counts
take turns twice, so that a passing load (the page's first drawing, say) does not decide.
"""

from __future__ import annotations

import time

TRIAL_SECONDS = 0.5  # each turn of a count is timed for at least this long
TRIAL_STEPS = 2  # and at least this many steps (a slow step: a whole trial of few)
TURNS = 2  # turns of each count per trial, alternating
SETTLE_SECONDS = 30.0  # how long the faster count stays before both are timed again


class ThreadChoice:
    """The thread count for the next step of one worker.

    ``shared``: its count while other runs train or wait; ``lone``: every usable core. The
    worker calls count() before each step and stepped() after it, and interrupted() when it
    stops training (a pause: the time away must not count against the trial).
    """

    def __init__(self, shared: int, lone: int, clock=time.perf_counter) -> None:
        self.shared = max(1, shared)
        self.lone = max(self.shared, lone)
        self._clock = clock
        self._trials: list[int] = []  # counts still to time, the current first
        self._timed: dict[int, tuple[int, float]] = {}  # count: (steps, seconds) timed so far
        self._started: float | None = None  # when the current trial's timed steps began
        self._steps = 0
        self._best = self.lone
        self._settled_at: float | None = None
        self._timing = False
        self.current = self.shared

    def count(self, alone: bool) -> int:
        self._timing = False  # whether the coming step belongs to a trial
        if not alone or self.lone == self.shared:
            self.interrupted()
            self.current = self.shared
            return self.current
        now = self._clock()
        if not self._trials and (
            self._settled_at is None or now - self._settled_at > SETTLE_SECONDS
        ):
            self._trials, self._timed = [self.lone, self.shared] * TURNS, {}
        self._timing = bool(self._trials)
        self.current = self._trials[0] if self._trials else self._best
        return self.current

    def stepped(self) -> None:
        """One step done on ``current`` threads."""
        if not self._timing:  # a step among other runs (or settled): not part of a trial
            return
        now = self._clock()
        if self._started is None:  # the first step on a new count warms it up: not timed
            self._started, self._steps = now, 0
            return
        self._steps += 1
        elapsed = now - self._started
        if elapsed >= TRIAL_SECONDS and self._steps >= TRIAL_STEPS:
            count = self._trials.pop(0)
            steps, seconds = self._timed.get(count, (0, 0.0))
            self._timed[count] = (steps + self._steps, seconds + elapsed)
            self._started = None
            if not self._trials:
                rates = self.rates
                self._best = max(rates, key=rates.get)
                self._settled_at = now

    def interrupted(self) -> None:
        """Training stopped or others came: the trial in progress starts over next time."""
        if self._trials:
            self._started = None

    @property
    def trying(self) -> bool:
        """Whether a trial is under way (counts still to time)."""
        return bool(self._trials)

    @property
    def rates(self) -> dict[int, float]:
        """Steps per second measured on each count in the latest trial (its turns so far)."""
        return {count: steps / seconds for count, (steps, seconds) in self._timed.items()}
