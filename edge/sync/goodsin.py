"""Uploads batches registered at the scale on ``.../goodsin`` (docs/sync.md, goodsin/1).

One message at a time carries every unacked row (up to :data:`CHUNK`); central stores
each batch and answers ``{"goodsin_acked_through": seq}`` on the ack topic. Without that
answer within :data:`RESEND_AFTER_S` (central down, the broker restarted) the rows go
again; central takes a resend as a no-op (it upserts on batch_id).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Protocol

from edge.sync.client import Delivery

SCHEMA = "goodsin/1"
CHUNK = 50
RESEND_AFTER_S = 5.0


class GoodsInStore(Protocol):
    def goodsin_unacked(self, limit: int = 50) -> list[tuple[int, dict[str, Any]]]: ...

    def goodsin_ack_through(self, seq: int) -> int: ...


def goodsin_message(scale_id: str, rows: list[tuple[int, dict[str, Any]]]) -> bytes:
    items = [{"seq": seq, "batch": record} for seq, record in rows]
    return json.dumps({"schema": SCHEMA, "scale_id": scale_id, "items": items}, ensure_ascii=False).encode()


class GoodsInUploader:
    def __init__(
        self,
        store: GoodsInStore,
        topic: str,
        scale_id: str,
        *,
        resend_after_s: float = RESEND_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._topic = topic
        self._scale_id = scale_id
        self._resend_after_s = resend_after_s
        self._clock = clock
        self._acked: int | None = None  # from central's ack (paho's thread writes it)
        self._sent: tuple[int, float] | None = None  # (last seq sent, when)
        self.poke = True  # something new may be waiting (a registration, an ack)

    def on_ack(self, seq: int) -> None:
        self._acked = seq if self._acked is None else max(self._acked, seq)
        self.poke = True

    def step(self, connected: bool, publish: Callable[[str, bytes], Delivery | None]) -> bool:
        acked, self._acked = self._acked, None
        if acked is not None:
            self._store.goodsin_ack_through(acked)
            if self._sent is not None and acked >= self._sent[0]:
                self._sent = None
        if not connected:
            self._sent, self.poke = None, True  # after the reconnect: send what is unacked again
            return False
        if self._sent is not None and self._clock() - self._sent[1] < self._resend_after_s:
            return False
        if not self.poke and self._sent is None:
            return False
        self.poke = False
        rows = self._store.goodsin_unacked(CHUNK)
        if not rows:
            return False
        if publish(self._topic, goodsin_message(self._scale_id, rows)) is None:
            return False
        self._sent = (rows[-1][0], self._clock())
        return True
