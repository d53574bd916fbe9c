"""The training slots that the runs of one process share, so one visitor cannot take the
whole machine and every visitor's model moves on."""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Callable


class SlotPool:
    """At most ``size`` runs of this process train at once; the others wait their turn.

    A run takes a slot and trains for a turn, then gives the slot back only when another run
    is waiting (first come, first served), so one visitor cannot take the whole machine and a
    lone visitor never pauses. A turn lasts ``slice_seconds`` shared among the runs that
    want one (at least ``min_turn_seconds``): with twenty waiting, each trains a few
    hundredths of a second, and every visitor's model moves on about twice a second.
    """

    def __init__(
        self,
        size: int,
        slice_seconds: float = 0.5,
        min_turn_seconds: float = 0.01,
        worker_threads: int | None = None,
    ) -> None:
        if size < 1:
            raise ValueError("a slot pool needs at least one slot.")
        self.size = size
        self.worker_threads = worker_threads  # each worker's torch threads (None: untouched)
        self.slice_seconds = slice_seconds
        self.min_turn_seconds = min_turn_seconds
        self._lock = threading.Lock()
        self._holders: set[int] = set()
        self._queue: deque[int] = deque()
        self._wakeups: dict[int, threading.Event] = {}
        self._open: weakref.WeakSet = weakref.WeakSet()  # runs whose pages are open
        self._training: set[int] = set()  # workers whose runs train (holding, waiting or between)

    def acquire(self, owner: int, still_wanted: Callable[[], bool]) -> bool:
        """Wait for a slot in turn; False (and out of the queue) once no longer wanted."""
        with self._lock:
            if owner in self._holders:
                return True
            wakeup = threading.Event()
            self._queue.append(owner)
            self._wakeups[owner] = wakeup
            self._wake_first()
        try:
            while True:
                wakeup.wait(0.05)  # woken when first in line with a slot free
                with self._lock:
                    if self._queue[0] == owner and len(self._holders) < self.size:
                        self._holders.add(owner)
                        return True
                    wakeup.clear()
                if not still_wanted():
                    return False
        finally:
            with self._lock:
                self._queue.remove(owner)
                del self._wakeups[owner]
                self._wake_first()

    def _wake_first(self) -> None:
        """Wake only the run first in line, when a slot is free (called holding the lock)."""
        if self._queue and len(self._holders) < self.size:
            self._wakeups[self._queue[0]].set()

    def release(self, owner: int) -> None:
        with self._lock:
            self._holders.discard(owner)
            self._wake_first()

    def holds(self, owner: int) -> bool:
        with self._lock:
            return owner in self._holders

    def waiting(self, owner: int | None = None) -> int:
        """How many runs wait (or how many wait ahead of ``owner``)."""
        with self._lock:
            if owner is not None and owner in self._queue:
                return list(self._queue).index(owner)
            return len(self._queue)

    def queued(self, owner: int) -> bool:
        """Whether ``owner`` waits in the queue now (a paced run between steps does not)."""
        with self._lock:
            return owner in self._queue

    def wanting(self) -> int:
        """How many runs train or wait to."""
        with self._lock:
            return len(self._holders) + len(self._queue)

    def training(self, owner: int, training: bool) -> None:
        """Whether ``owner``'s run is training now (a worker says so at each turn of its loop),
        so a run knows whether it trains alone even in the instant between two turns."""
        with self._lock:
            if training:
                self._training.add(owner)
            else:
                self._training.discard(owner)

    def trainers(self) -> int:
        """How many runs are training, whichever holds a slot."""
        with self._lock:
            return len(self._training)

    def join(self, run: object) -> None:
        """Count ``run`` among the open ones (its page is open: it may train at any moment)."""
        with self._lock:
            self._open.add(run)

    def leave(self, run: object) -> None:
        with self._lock:
            self._open.discard(run)

    def load(self) -> int:
        """The runs training or waiting to or, if more, the open runs (joined, not yet left):
        what is coming when a class opens a page and presses Start one after another."""
        with self._lock:
            return max(len(self._holders) + len(self._queue), len(self._open))

    def turn_seconds(self) -> float:
        """How long the run holding a slot trains before it lets a waiting run in."""
        return max(self.min_turn_seconds, self.slice_seconds * self.size / max(1, self.wanting()))


_shared_slots: list[SlotPool] = []
_shared_slots_lock = threading.Lock()


def shared_slots() -> SlotPool:
    """The pool of runs made without one: a single slot they take in turn (made at first use)."""
    with _shared_slots_lock:
        if not _shared_slots:
            _shared_slots.append(SlotPool(1))
        return _shared_slots[0]
