"""central.inbox: the receiver's hand-off from its MQTT thread to its workers."""

from __future__ import annotations

import threading

import pytest

from central.inbox import Inbox


def test_put_says_when_the_reader_should_pause_and_take_says_when_it_may_read_again() -> None:
    rooms: list[int] = []
    inbox: Inbox[tuple[str, bytes]] = Inbox(8, lambda: rooms.append(len(inbox)))
    over = [inbox.put(("t", b"x" * n)) for n in range(10)]
    assert over == [False] * 7 + [True] * 3  # from the 8th on
    taken, stop = inbox.take(3)
    assert [len(p) for _t, p in taken] == [0, 1, 2] and not stop
    assert inbox.over and rooms == []  # 7 left: still over half the mark
    inbox.take(4)
    assert not inbox.over and rooms == [3]  # under half: the reader is told once
    assert inbox.put(("t", b"")) is False


def test_take_stops_at_a_byte_budget_and_at_most_items() -> None:
    inbox: Inbox[tuple[str, bytes]] = Inbox(100)
    for _ in range(10):
        inbox.put(("t", b"x" * 100))
    taken, _ = inbox.take(8, lambda m: len(m[1]), 250)
    assert len(taken) == 3  # 300 bytes: the item that crossed the budget is the last
    assert len(inbox.take(8)[0]) == 7


def test_each_close_stops_one_worker_after_what_came_before_it() -> None:
    inbox: Inbox[int] = Inbox(10)
    inbox.put(1)
    inbox.close_one()
    inbox.put(2)
    inbox.close_one()
    assert inbox.take(10) == ([1], True)
    assert inbox.take(10) == ([2], True)


def test_a_waiting_worker_wakes_for_a_put() -> None:
    inbox: Inbox[int] = Inbox(10)
    got: list[list[int]] = []
    worker = threading.Thread(target=lambda: got.append(inbox.take(5)[0]))
    worker.start()
    inbox.put(42)
    worker.join(5)
    assert got == [[42]]


def test_a_mark_below_two_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        Inbox(1)
