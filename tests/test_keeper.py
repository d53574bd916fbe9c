"""The keeper: a browser's page session outlives a reload or a reconnect, each tab keeps its own,
an entry no session holds ends after the grace period, and attaching says what it found."""

from __future__ import annotations

import threading

from serving.keeper import EXPIRED, NEW, RESUMED, UNKNOWN, Keeper
from tests.helpers import wait_for


def counter():
    made = iter(range(1000))
    return lambda: next(made)


def test_a_reload_takes_up_the_same_entry_and_a_second_tab_gets_its_own():
    closed = []
    keeper = Keeper(closed.append, grace_seconds=60)
    make = counter()
    first = keeper.attach("browser-a", "rbm", make, known=False)
    assert (first.value, first.status) == (0, NEW)
    second_tab = keeper.attach("browser-a", "rbm", make, known=True)
    assert (second_tab.value, second_tab.slot, second_tab.status) == (1, 1, NEW)
    other_page = keeper.attach("browser-a", "gan", make, known=True)
    other_browser = keeper.attach("browser-b", "rbm", make, known=False)
    assert (other_page.value, other_browser.value) == (2, 3)
    keeper.detach(first)  # the first tab reloads: its old session ends, its new one attaches
    again = keeper.attach("browser-a", "rbm", make, known=True)
    assert (again.value, again.slot, again.status) == (0, 0, RESUMED)
    keeper.detach(again)  # both tabs drop at once and reconnect in the other order:
    keeper.detach(second_tab)  # each takes the slot it held, not the lowest free one
    assert keeper.attach("browser-a", "rbm", make, known=True, prefer=1).value == 1
    assert keeper.attach("browser-a", "rbm", make, known=True, prefer=0).value == 0
    keeper.detach(first)  # a late second release of the old session changes nothing
    third_tab = keeper.attach("browser-a", "rbm", make, known=True)
    assert (third_tab.value, third_tab.slot) == (4, 2)
    assert closed == [] and len(keeper) == 5


def test_an_entry_nobody_holds_ends_after_the_grace_period_once():
    closed = []
    keeper = Keeper(closed.append, grace_seconds=0.05)
    lease = keeper.attach("browser-a", "rbm", counter(), known=False)
    keeper.detach(lease)
    wait_for(lambda: closed == [0], timeout=5)
    keeper.detach(lease)
    threading.Event().wait(0.2)  # a second timer, had one started, has fired by now
    assert len(keeper) == 0 and closed == [0]
    # the browser comes back with its cookie: this server let its run go
    back = keeper.attach("browser-a", "rbm", lambda: "fresh", known=True)
    assert (back.value, back.status) == ("fresh", EXPIRED)
    # on another page of the same server it is simply new
    assert keeper.attach("browser-a", "gan", lambda: 1, known=True).status == NEW


def test_taken_up_within_the_grace_period_it_does_not_end():
    closed = []
    keeper = Keeper(closed.append, grace_seconds=0.2)
    lease = keeper.attach("browser-a", "rbm", counter(), known=False)
    keeper.detach(lease)
    again = keeper.attach("browser-a", "rbm", counter(), known=True)
    assert again.status == RESUMED
    threading.Event().wait(0.4)  # the first detach's timer has fired by now
    assert closed == [] and len(keeper) == 1
    keeper.detach(again)
    wait_for(lambda: closed == [0], timeout=5)


def test_a_key_this_server_never_saw_is_unknown_and_new_keys_are_new():
    keeper = Keeper(lambda value: None)
    assert keeper.attach("from-a-dead-server", "rbm", counter(), known=True).status == UNKNOWN
    # once it has an entry here, its other pages are simply new
    assert keeper.attach("from-a-dead-server", "gan", counter(), known=True).status == NEW
    assert keeper.attach("just-made", "rbm", counter(), known=False).status == NEW


def test_close_all_ends_every_entry_held_or_not():
    closed = []
    keeper = Keeper(closed.append)
    make = counter()
    keeper.detach(keeper.attach("a", "rbm", make, known=False))
    keeper.attach("b", "rbm", make, known=False)
    keeper.close_all()
    assert sorted(closed) == [0, 1] and len(keeper) == 0
