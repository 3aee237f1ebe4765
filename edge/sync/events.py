"""Uploads the hash-chained event log to ``.../events`` (docs/sync.md).

The broker's PUBACK moves the "sent" cursor (kept in the store's settings, so a new
session starts from it; central dedups on the entry id). But a PUBACK only means the
broker had the message: entries uploaded while no central was subscribed are lost there.
So central answers every events message, and any heartbeat whose ``last_event_id`` is
ahead of what it holds, with ``{"events_acked_through": n}`` on the ack topic; when that
stays behind what was sent for ``RESEND_AFTER_S``, the cursor goes back to n and the
entries after it are sent again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from edge.core.eventlog import EventEntry
from edge.sync import wire
from edge.sync.client import Delivery

SENT_KEY = "sync.events_sent_id"
CHUNK = 100
RESEND_AFTER_S = 5.0  # longer than central takes to answer an events message

PublishTracked = Callable[[str, bytes], Delivery | None]


class EventStore(Protocol):
    def events(self, after_id: int = 0, limit: int = 100) -> list[EventEntry]: ...

    def get_setting(self, key: str, default: Any = None) -> Any: ...

    def set_setting(self, key: str, value: Any) -> None: ...


class EventUploader:
    def __init__(
        self,
        store: EventStore,
        topic: str,
        scale_id: str,
        *,
        chunk: int = CHUNK,
        resend_after_s: float = RESEND_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._topic = topic
        self._scale_id = scale_id
        self._chunk = chunk
        self._resend_after_s = resend_after_s
        self._clock = clock
        self._sent_id: int | None = None
        self._pending: tuple[Delivery, int] | None = None
        self._epoch: int | None = None
        self._central_holds: int | None = None  # from central's events ack (paho's thread writes it)
        self._last_send = 0.0

    def on_central_holds(self, event_id: int) -> None:
        """Central's events ack: it holds entries 1..event_id."""
        self._central_holds = event_id

    def _rewind_if_central_lacks(self) -> None:
        holds = self._central_holds
        if holds is None or self._sent_id is None or holds >= self._sent_id or self._pending is not None:
            return
        if self._clock() - self._last_send < self._resend_after_s:
            return  # the answer to what was just sent may still be on its way
        self._sent_id = holds
        self._store.set_setting(SENT_KEY, holds)
        self._central_holds = None

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
        self._rewind_if_central_lacks()
        entries = self._store.events(after_id=self._sent_id, limit=self._chunk)
        if not entries:
            return False
        delivery = publish(self._topic, wire.events_message(self._scale_id, [e.to_dict() for e in entries]))
        if delivery is None:
            return False
        self._pending = (delivery, entries[-1].id)
        self._last_send = self._clock()
        return True
