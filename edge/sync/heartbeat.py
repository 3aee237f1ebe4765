"""The retained status heartbeat (docs/sync.md, "Up: status")."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from edge.core.eventlog import GENESIS_HASH, EventEntry
from edge.core.protection import ProtectionState
from edge.core.records import Sale
from edge.sync import wire
from edge.sync.outbox_reader import OutboxSummary

PAGE = 500


class EventSource(Protocol):
    def events(self, after_id: int = 0, limit: int = 100) -> list[EventEntry]: ...

    def last_sale(self) -> Sale | None: ...

    def protection(self) -> ProtectionState: ...
    def numbering_known(self) -> bool: ...


class EventCursor:
    """The newest event-log entry, found by paging forward from the last one seen (the
    log is append-only, so one full read at start-up and a short one per heartbeat)."""

    def __init__(self) -> None:
        self.last_id = 0
        self.last_hash = GENESIS_HASH

    def refresh(self, store: EventSource) -> None:
        while True:
            page = store.events(after_id=self.last_id, limit=PAGE)
            if not page:
                return
            self.last_id, self.last_hash = page[-1].id, page[-1].hash
            if len(page) < PAGE:
                return


class Heartbeat:
    def __init__(
        self,
        store: EventSource,
        scale_id: str,
        software_id: str,
        printer_state: Callable[[], str],
        interval_s: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._scale_id = scale_id
        self._software_id = software_id
        self._printer_state = printer_state
        self._interval_s = interval_s
        self._monotonic = monotonic
        self._cursor = EventCursor()
        self._next_at = 0.0
        self._sent_protection: ProtectionState | None = None
        self._protection: ProtectionState | None = None

    def due(self) -> bool:
        """On the interval, and at once when the lock state changed (central's fleet view
        must not show a locked scale as selling for a whole heartbeat interval)."""
        if self._monotonic() >= self._next_at:
            return True
        self._protection = self._store.protection()
        return self._protection != self._sent_protection

    def sent(self) -> None:
        self._next_at = self._monotonic() + self._interval_s
        self._sent_protection = self._protection

    def payload(self, outbox: OutboxSummary, now_ms: int) -> bytes:
        self._cursor.refresh(self._store)
        self._protection = self._store.protection()
        last = self._store.last_sale()
        try:
            printer = str(self._printer_state())
        except Exception as exc:  # the printer's status must not stop the heartbeat
            printer = f"unknown ({type(exc).__name__})"
        return wire.status(
            self._scale_id,
            software_id=self._software_id,
            backlog=outbox.backlog,
            oldest_unacked_ms=outbox.oldest_ms,
            printer=printer,
            last_sale_ms=None if last is None else last.created_ms,
            last_event_id=self._cursor.last_id,
            last_event_hash=self._cursor.last_hash,
            sent_ms=now_ms,
            protection=self._protection.to_dict(),
            ask_numbering=not self._store.numbering_known(),
        )
