"""The outbox publisher: the window / ack / resend rule of docs/sync.md.

Rows go out in oseq order, packed into messages, with at most ``window`` unacked
messages in flight. Central's ``acked_through`` watermark is the only thing that
removes rows (``Store.ack_through``). When the watermark has not moved for
``ack_timeout_s`` while something is in flight (a message or its ack was lost, e.g.
dropped by the broker for a slow subscriber), publishing restarts from the watermark;
after a reconnect it restarts too. The outbox is therefore the only queue. Resends in a
row without progress double the timeout, up to a minute.

Driven by one thread calling :meth:`step`; :meth:`on_ack` may be called from any thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from edge.config import DEFAULT_WINDOW
from edge.sync.wire import MAX_BYTES, OutboxRow, pack_sales

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes], bool]  # (topic, body) -> handed to the client
MAX_STALL_TIMEOUT_S = 60.0


class RowSource(Protocol):
    def rows(self, limit: int, after: int) -> list[OutboxRow]: ...


class Acker(Protocol):
    def ack_through(self, seq: int) -> int: ...


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(slots=True)
class _InFlight:
    first: int
    last: int
    sent_at: float


@dataclass(frozen=True, slots=True)
class PublisherState:
    acked_through: int  # highest oseq removed from the outbox by an ack (0: none this run)
    sent_through: int  # highest oseq published since the last (re)start
    in_flight: int  # unacked messages
    resends: int  # times publishing restarted from the watermark after ack_timeout_s
    messages: int  # sales messages published
    last_ack_ms: int | None  # wall time of the last ack received


class OutboxPublisher:
    def __init__(
        self,
        store: Acker,
        source: RowSource,
        topic: str,
        scale_id: str,
        *,
        batch_size: int = 200,
        window: int = DEFAULT_WINDOW,
        ack_timeout_s: float = 5.0,
        max_bytes: int = MAX_BYTES,
        monotonic: Callable[[], float] = time.monotonic,
        wall_ms: Callable[[], int] = _wall_ms,
    ) -> None:
        if batch_size < 1 or window < 1 or ack_timeout_s <= 0:
            raise ValueError("batch_size and window must be >= 1 and ack_timeout_s > 0; fix [sync] in edge.toml")
        self._store = store
        self._source = source
        self._topic = topic
        self._scale_id = scale_id
        self._batch_size = batch_size
        self._window = window
        self._ack_timeout_s = ack_timeout_s
        self._max_bytes = max_bytes
        self._monotonic = monotonic
        self._wall_ms = wall_ms

        self._lock = threading.Lock()  # guards the two fields the network thread writes
        self._ack_seen = 0
        self._last_ack_ms: int | None = None

        self._acked = 0
        self._sent_through = 0
        self._sent_max = 0  # highest oseq published by this process
        self._in_flight: deque[_InFlight] = deque()
        self._epoch: int | None = None
        self._progress_at = monotonic()
        self._resends = 0
        self._messages = 0
        self._gap_reported = False
        self._stalls = 0  # resends in a row without ack progress

    # --- any thread --------------------------------------------------------------------

    def on_ack(self, acked_through: int) -> None:
        with self._lock:
            self._ack_seen = max(self._ack_seen, acked_through)
            self._last_ack_ms = self._wall_ms()

    # --- the sync thread ---------------------------------------------------------------

    def state(self) -> PublisherState:
        with self._lock:
            last_ack_ms = self._last_ack_ms
        return PublisherState(
            self._acked, self._sent_through, len(self._in_flight), self._resends, self._messages, last_ack_ms
        )

    def step(self, connected: bool, epoch: int, publish: Publish) -> bool:
        """Apply acks, resend after a timeout, publish up to the window.

        Returns True when something changed (the caller should call again at once).
        Store errors propagate; the step can simply be retried.
        """
        now = self._monotonic()
        progressed = self._apply_ack(now)
        if not connected or epoch != self._epoch:
            # Whatever paho still holds from an old connection is not ours to count on.
            self._epoch = epoch if connected else None
            self._restart(now)
            if not connected:
                return progressed
        elif self._in_flight and now - max(self._in_flight[0].sent_at, self._progress_at) >= self._timeout():
            self._resends += 1
            log.warning(
                "no ack progress for %.1f s at acked_through %d with %d message(s) in flight; resending from %d",
                self._timeout(), self._acked, len(self._in_flight), self._acked + 1,
            )  # fmt: skip
            self._stalls += 1
            self._restart(now)
        return self._fill_window(now, publish) or progressed

    def continue_after(self, acked: int) -> None:
        """The store renumbered its outbox above central's watermark ``acked`` (a wiped store):
        what is in flight had the old numbers; start again from ``acked``."""
        self._in_flight.clear()
        self._acked = self._sent_through = self._sent_max = acked
        self._progress_at = self._monotonic()
        self._stalls = 0

    def _timeout(self) -> float:
        """ack_timeout_s, doubled for each resend in a row that brought no progress (up to
        MAX_STALL_TIMEOUT_S): a central that keeps refusing one item (e.g. an unknown device
        key) is not sent the same window every few seconds for days."""
        return min(self._ack_timeout_s * 2 ** min(self._stalls, 16), max(self._ack_timeout_s, MAX_STALL_TIMEOUT_S))

    def _restart(self, now: float) -> None:
        self._in_flight.clear()
        self._sent_through = self._acked
        self._progress_at = now

    def _apply_ack(self, now: float) -> bool:
        with self._lock:
            seen = self._ack_seen
        # Never delete a row this process has not published: an ack above that can only
        # come from a central whose watermark belongs to another copy of this scale's
        # database (a replaced SD card restarts the oseqs).
        target = min(seen, self._sent_max)
        if target <= self._acked:
            return False
        self._store.ack_through(target)
        self._acked = target
        self._progress_at = now
        self._stalls = 0
        while self._in_flight and self._in_flight[0].last <= target:
            self._in_flight.popleft()
        return True

    def _check_gap(self, first_row: int) -> None:
        with self._lock:
            seen, heard = self._ack_seen, self._last_ack_ms is not None
        if heard and seen + 1 < first_row and not self._gap_reported:
            # Central lost rows this scale already deleted on its ack (e.g. its database
            # was restored from a backup): its watermark can never pass the hole.
            self._gap_reported = True
            log.error(
                "central acks through %d but this scale's outbox starts at %d: oseqs %d-%d were acked earlier and "
                "are gone here, so central's watermark cannot advance; central must reset this scale's acked_through",
                seen, first_row, seen + 1, first_row - 1,
            )  # fmt: skip

    def _fill_window(self, now: float, publish: Publish) -> bool:
        sent = False
        while len(self._in_flight) < self._window:
            rows = self._source.rows(self._batch_size, self._sent_through)
            if not rows:
                break
            if self._resends and not self._in_flight:
                self._check_gap(rows[0].oseq)
            message = pack_sales(self._scale_id, rows, max_items=self._batch_size, max_bytes=self._max_bytes)
            if not publish(self._topic, message.body):
                break  # connection lost; the next step restarts from the watermark
            self._in_flight.append(_InFlight(message.first, message.last, now))
            self._sent_through = message.last
            self._sent_max = max(self._sent_max, message.last)
            self._messages += 1
            sent = True
        return sent
