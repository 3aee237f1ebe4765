"""Uploads the hash-chained event log to ``.../events`` (docs/sync.md).

There is no ack topic for events, so the broker's PUBACK is the receipt: the id of the
last uploaded entry is kept in the store's settings once the broker has the message,
and a new session starts again from it (central dedups on the entry id).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from edge.core.eventlog import EventEntry
from edge.sync import wire
from edge.sync.client import Delivery

SENT_KEY = "sync.events_sent_id"
CHUNK = 100

PublishTracked = Callable[[str, bytes], Delivery | None]


class EventStore(Protocol):
    def events(self, after_id: int = 0, limit: int = 100) -> list[EventEntry]: ...

    def get_setting(self, key: str, default: Any = None) -> Any: ...

    def set_setting(self, key: str, value: Any) -> None: ...


class EventUploader:
    def __init__(self, store: EventStore, topic: str, scale_id: str, *, chunk: int = CHUNK) -> None:
        self._store = store
        self._topic = topic
        self._scale_id = scale_id
        self._chunk = chunk
        self._sent_id: int | None = None
        self._pending: tuple[Delivery, int] | None = None
        self._epoch: int | None = None

    def step(self, connected: bool, epoch: int, publish: PublishTracked) -> bool:
        if self._sent_id is None:
            self._sent_id = int(self._store.get_setting(SENT_KEY, 0) or 0)
        if not connected or epoch != self._epoch:
            self._pending = None  # paho's copy of an unacked message died with its session
            self._epoch = epoch if connected else None
            if not connected:
                return False
        if self._pending is not None:
            delivery, last_id = self._pending
            if not delivery.done():
                return False
            self._store.set_setting(SENT_KEY, last_id)
            self._sent_id, self._pending = last_id, None
        entries = self._store.events(after_id=self._sent_id, limit=self._chunk)
        if not entries:
            return False
        delivery = publish(self._topic, wire.events_message(self._scale_id, [e.to_dict() for e in entries]))
        if delivery is None:
            return False
        self._pending = (delivery, entries[-1].id)
        return True
