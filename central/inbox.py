"""The hand-off from the receiver's MQTT thread to its workers: in bulk, with a high-water mark.

A bounded ``queue.Queue`` made the MQTT thread block on every message once the workers
were behind, and each worker ``get`` woke it again: two thread switches per sale at a
peak, and the session could not send acks while it was blocked (bench_fleet). Here a put
never blocks; it says when the inbox is over its mark, and the session then stops reading
its socket (TCP holds the broker back, which queues for central) until a worker's take
brings the inbox under half the mark and calls ``on_room``. A worker takes all that waits,
up to a group's size, at once.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Inbox(Generic[T]):
    def __init__(self, high: int, on_room: Callable[[], None] = lambda: None) -> None:
        if high < 2:
            raise ValueError(f"an inbox holds at least 2 messages before it pauses the reader, got {high}")
        self.high = high
        self.on_room = on_room  # called (on the worker's thread) when a paused reader may read again
        self._items: collections.deque[T | None] = collections.deque()
        self._ready = threading.Condition(threading.Lock())
        self._over = False

    def put(self, item: T) -> bool:
        """Append ``item``; True while the inbox is over its mark (the reader should pause)."""
        with self._ready:
            self._items.append(item)
            self._ready.notify()
            if len(self._items) >= self.high:
                self._over = True
            return self._over

    def close_one(self) -> None:
        """One worker stops once it reaches this point of the inbox."""
        with self._ready:
            self._items.append(None)
            self._ready.notify()

    def take(self, most: int, size: Callable[[T], int] = lambda _item: 1, budget: int = 0) -> tuple[list[T], bool]:
        """Wait for an item, then take up to ``most`` (and, with ``budget``, items whose ``size``
        adds up to about it). Returns (items, stop): ``stop`` when a ``close_one`` was reached."""
        with self._ready:
            while not self._items:
                self._ready.wait()
            taken: list[T] = []
            used, stop = 0, False
            while self._items and len(taken) < most and (not budget or used < budget):
                item = self._items.popleft()
                if item is None:
                    stop = True
                    break
                taken.append(item)
                used += size(item) if budget else 0
            room = self._over and len(self._items) < self.high // 2
            if room:
                self._over = False
        if room:
            self.on_room()
        return taken, stop

    @property
    def over(self) -> bool:
        """Over the mark, and not yet back under half of it."""
        return self._over

    def __len__(self) -> int:
        return len(self._items)
