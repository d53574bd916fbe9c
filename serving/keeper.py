"""Each browser's page sessions, kept across reloads and reconnects.

A Streamlit session ends when its WebSocket closes: a reload, a dropped connection, a proxy
restarting. The :class:`Keeper` holds what a page keeps (its run and model) under the browser's
key and the page's name instead, so the next session of that browser takes it up again.
Tabs of one browser each get their own: a session takes a kept entry only when no open session
holds it. An entry that no session holds is closed after ``grace_seconds``.

Attaching says what happened (``NEW``, ``RESUMED``, ``EXPIRED``, ``UNKNOWN``): an unknown
browser key means that this process never saw the browser, so its model lived in a server
that has since restarted, or in another replica.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NEW, RESUMED, EXPIRED, UNKNOWN = "new", "resumed", "expired", "unknown"
REMEMBERED = 10_000  # browsers whose ended entries are remembered, for the EXPIRED notice


@dataclass(eq=False)
class Lease:
    """One session's hold on one kept entry."""

    browser: str
    page: str
    slot: int  # the browser's n-th open tab of this page
    value: Any
    status: str  # what attaching found: NEW, RESUMED, EXPIRED or UNKNOWN


@dataclass(eq=False)
class _Entry:
    value: Any
    holder: Lease | None = None  # the session's lease that holds it, if any
    generation: int = 0  # bumped at every attach, so a stale expiry timer does nothing


class Keeper:
    """Entries by (browser, page, slot); ``close(value)`` is called once when one ends."""

    def __init__(self, close: Callable[[Any], None], grace_seconds: float = 120.0) -> None:
        self.close = close
        self.grace_seconds = grace_seconds
        self._entries: dict[tuple[str, str, int], _Entry] = {}
        self._seen: OrderedDict[str, set[str]] = OrderedDict()  # browser -> pages that ended
        self._lock = threading.Lock()

    def attach(
        self,
        browser: str,
        page: str,
        make: Callable[[], Any],
        known: bool,
        prefer: int | None = None,
    ) -> Lease:
        """The browser's free entry for ``page`` (the one of a closed tab), else a new one
        made by ``make()``. ``known``: the browser brought its key (a cookie) rather than
        getting a new one now. ``prefer``: the slot this session held before a reconnect,
        taken first, so that two tabs reconnecting at once do not swap their models."""
        with self._lock:
            entry = self._entries.get((browser, page, prefer))
            if entry is not None and entry.holder is None:
                entry.holder = Lease(browser, page, prefer, entry.value, RESUMED)
                entry.generation += 1
                return entry.holder
            slot = 0
            while (entry := self._entries.get((browser, page, slot))) is not None:
                if entry.holder is None:
                    entry.holder = Lease(browser, page, slot, entry.value, RESUMED)
                    entry.generation += 1
                    return entry.holder
                slot += 1
            if not known or any(b == browser for b, _, _ in self._entries):
                status = NEW
            elif page in self._seen.get(browser, ()):
                status = EXPIRED
            elif browser in self._seen:
                status = NEW  # it ended a run on another page here: this server knows it
            else:
                status = UNKNOWN
            lease = Lease(browser, page, slot, make(), status)
            self._entries[(browser, page, slot)] = _Entry(lease.value, holder=lease)
            self._seen.setdefault(browser, set())
            self._seen.move_to_end(browser)
            while len(self._seen) > REMEMBERED:
                self._seen.popitem(last=False)
            return lease

    def detach(self, lease: Lease) -> None:
        """The session holding ``lease`` ended: its entry ends after the grace period unless
        another session of the browser takes it up first."""
        with self._lock:
            entry = self._entries.get((lease.browser, lease.page, lease.slot))
            if entry is None or entry.holder is not lease:
                return  # not (or no longer) this session's
            entry.holder = None
            generation = entry.generation
        timer = threading.Timer(self.grace_seconds, self._expire, (lease, generation))
        timer.daemon = True
        timer.start()

    def _expire(self, lease: Lease, generation: int) -> None:
        key = (lease.browser, lease.page, lease.slot)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.holder or entry.generation != generation:
                return  # taken up again (or already gone)
            del self._entries[key]
            self._seen.setdefault(lease.browser, set()).add(lease.page)
        self.close(entry.value)

    def values_of(self, browser: str) -> list[tuple[str, Any]]:
        """What the browser keeps, page by page: (page, value) for each of its entries."""
        with self._lock:
            return [(page, e.value) for (b, page, _), e in self._entries.items() if b == browser]

    def close_all(self) -> None:
        """End every entry now, held or not (a process shutting down, a test)."""
        with self._lock:
            entries, self._entries = list(self._entries.values()), {}
        for entry in entries:
            self.close(entry.value)

    def __len__(self) -> int:
        return len(self._entries)
