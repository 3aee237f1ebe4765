"""One virtual scale of a fleet: its sale stream, outbox and heartbeat, with no I/O.

It speaks docs/sync.md exactly as a real scale does (``sales/1`` batches in oseq order, at
most ``window`` in flight, rows dropped only when central's ``acked_through`` covers them,
a resend from the watermark after ``ack_timeout_ms``, ``status/1`` heartbeats), but keeps
its outbox in memory: durability is the chaos suite's business, load is the fleet's. The
clock is passed in, so tests drive it without waiting.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge.config import DEFAULT_WINDOW
from edge.core.ids import sale_uuid
from edge.core.pricing import weight_amount_fen
from edge.core.protection import ProtectionState
from edge.core.records import Payment, Pricing, Sale, SaleLine
from edge.core.tracecode import make_trace_code
from edge.device_key import DeviceKey

MARKET_TZ = ZoneInfo("Asia/Shanghai")
PREFIX = "trace/v1"
SOFTWARE_ID = "fleet-sim"
_SEALED = ProtectionState().to_dict()
# (plu, goods code, name, price fen/kg, batch, origin): a stall's usual goods
GOODS = (
    ("1001", "0101010101", "白菜", 298, "B-1001", "甘肃榆中"),
    ("1002", "0101010202", "西红柿", 580, "B-1002", "甘肃武威"),
    ("2001", "0201010101", "猪肉", 3200, "B-2001", "甘肃定西"),
    ("3001", "0301010101", "苹果", 890, "B-3001", "甘肃天水"),
)


@dataclass
class Outgoing:
    oseq: int
    item: bytes  # the JSON of {"oseq", "kind", "sale"}, encoded once, however often it is resent
    created_ms: int


@dataclass
class ScaleStats:
    sold: int = 0
    acked: int = 0
    batches: int = 0
    resends: int = 0
    heartbeats: int = 0
    latencies_ms: list[int] = field(default_factory=list)  # commit -> ack covering it, per sale


class VirtualScale:
    def __init__(
        self,
        scale_id: str,
        scale_no: int,
        market_id: str,
        node_code: str,
        merchant_id: str,
        key: Ed25519PrivateKey,
        *,
        batch_size: int = 50,
        window: int = DEFAULT_WINDOW,  # as a real scale's [sync]
        ack_timeout_ms: int = 10_000,
        heartbeat_ms: int = 30_000,
    ) -> None:
        self.scale_id, self.scale_no, self.market_id = scale_id, scale_no, market_id
        self.node_code, self.merchant_id = node_code, merchant_id
        self._key = DeviceKey(key)
        self._ready: deque[tuple[Sale, Outgoing]] = deque()  # built ahead by prepare(), sold in order
        self.batch_size, self.window = batch_size, window
        self.ack_timeout_ms, self.heartbeat_ms = ack_timeout_ms, heartbeat_ms
        self.stats = ScaleStats()
        self._outbox: deque[Outgoing] = deque()
        self._next_oseq = 1
        self._next_seq = 1
        self._daily: dict[str, int] = {}
        self._sent_through = 0  # highest oseq handed to MQTT since the last (re)start
        self._acked_through = 0
        self._in_flight: deque[tuple[int, int]] = deque()  # (last oseq of a batch, sent at)
        self._last_progress_ms = 0
        self._next_heartbeat_ms = 0

    # --- topics ----------------------------------------------------------------------------

    def topic(self, kind: str) -> str:
        return f"{PREFIX}/{self.market_id}/{self.scale_id}/{kind}"

    # --- selling ---------------------------------------------------------------------------

    def prepare(self, sales: list[tuple[int, int]]) -> None:
        """Build and sign, ahead of the run, the sales this scale will sell: ``(at_ms, lines)``
        in time order. A real scale signs on its own CPU; on the bench's two cores the thousand
        scales' signing would be taken from central, so the fleet does it before the clock runs
        and ``sell`` then only hands the next one to the outbox (its ``created_ms`` is ``at_ms``)."""
        for at_ms, lines in sales:
            self._ready.append(self._build(at_ms, lines))

    def sell(self, now_ms: int, lines: int = 2) -> Sale:
        """Commit one signed sale to the in-memory outbox (the next prepared one, if any)."""
        sale, row = self._ready.popleft() if self._ready else self._build(now_ms, lines)
        self._outbox.append(row)
        self.stats.sold += 1
        return sale

    def _build(self, now_ms: int, lines: int) -> tuple[Sale, Outgoing]:
        """The next sale in numbering order: seq, daily number and oseq are taken here."""
        day = datetime.fromtimestamp(now_ms / 1000, MARKET_TZ).date()
        daily = self._daily.get(day.isoformat(), 0) + 1
        if daily > 9999:
            raise RuntimeError(f"scale {self.scale_id} sold 9,999 sales on {day}: the daily sequence is used up")
        self._daily[day.isoformat()] = daily
        seq = self._next_seq
        self._next_seq += 1
        sale_lines = []
        for i in range(lines):
            plu, goods_code, name, price, batch, origin = GOODS[(seq + i) % len(GOODS)]
            net_g = 250 + (seq * 37 + i * 113) % 2000
            amount = weight_amount_fen(net_g, price)
            sale_lines.append(
                SaleLine(plu, goods_code, name, Pricing.WEIGHT, net_g, 0, 1, price, amount, batch, origin)
            )
        total = sum(line.amount_fen for line in sale_lines)
        sale = Sale(
            sale_id=sale_uuid(now_ms),  # as a real scale numbers its sales (UUIDv7)
            seq=seq,
            trace_code=make_trace_code(self.node_code, self.scale_no, day, daily),
            market_id=self.market_id,
            scale_id=self.scale_id,
            merchant_id=self.merchant_id,
            stall="",
            operator="fleet",
            created_ms=now_ms,
            lines=tuple(sale_lines),
            total_fen=total,
            rounding_fen=0,
            payment=Payment(),
            printed=True,
            software_id=SOFTWARE_ID,
        )
        sale = self._key.sign(sale)  # the sale and its state 0, as a real scale signs at commit
        oseq = self._next_oseq
        self._next_oseq += 1
        item = {"oseq": oseq, "kind": "sale", "sale": sale.to_dict()}
        return sale, Outgoing(oseq, _json(item), now_ms)

    @property
    def backlog(self) -> int:
        return len(self._outbox)

    # --- sync ------------------------------------------------------------------------------

    def restart(self) -> None:
        """Send again from the watermark (after a reconnect or an ack timeout)."""
        self._sent_through = self._acked_through
        self._in_flight.clear()

    def batches_due(self, now_ms: int) -> list[bytes]:
        """The sales/1 messages to publish now (the window permitting)."""
        if self._in_flight and now_ms - self._last_progress_ms > self.ack_timeout_ms:
            self.stats.resends += 1
            self.restart()
        out = []
        while len(self._in_flight) < self.window:
            rows = [row for row in self._outbox if row.oseq > self._sent_through][: self.batch_size]
            if not rows:
                break
            head = _json({"schema": "sales/1", "scale_id": self.scale_id, "first": rows[0].oseq,
                          "last": rows[-1].oseq})  # fmt: skip
            out.append(head[:-1] + b',"items":[' + b",".join(row.item for row in rows) + b"]}")
            self._sent_through = rows[-1].oseq
            if not self._in_flight:
                self._last_progress_ms = now_ms
            self._in_flight.append((rows[-1].oseq, now_ms))
            self.stats.batches += 1
        return out

    def on_ack(self, payload: bytes, now_ms: int) -> None:
        try:
            acked = json.loads(payload)["acked_through"]
        except (ValueError, KeyError, TypeError):
            return
        if not isinstance(acked, int) or acked <= self._acked_through or acked > self._sent_through:
            return
        self._acked_through = acked
        self._last_progress_ms = now_ms
        while self._outbox and self._outbox[0].oseq <= acked:
            row = self._outbox.popleft()
            self.stats.acked += 1
            self.stats.latencies_ms.append(now_ms - row.created_ms)
        while self._in_flight and self._in_flight[0][0] <= acked:
            self._in_flight.popleft()

    # --- heartbeat -------------------------------------------------------------------------

    def heartbeat_due(self, now_ms: int) -> bytes | None:
        if now_ms < self._next_heartbeat_ms:
            return None
        self._next_heartbeat_ms = now_ms + self.heartbeat_ms
        self.stats.heartbeats += 1
        oldest = self._outbox[0].created_ms if self._outbox else None
        doc = {
            "schema": "status/1",
            "scale_id": self.scale_id,
            "online": True,
            "software_id": SOFTWARE_ID,
            "backlog": len(self._outbox),
            "oldest_unacked_ms": oldest,
            "printer": "ok",
            "last_sale_ms": None,
            "sent_ms": now_ms,
            "protection": _SEALED,  # a virtual scale is always sealed (docs/protection.md)
        }
        return json.dumps(doc, separators=(",", ":")).encode("utf-8")

    def will(self) -> bytes:
        return json.dumps({"schema": "status/1", "scale_id": self.scale_id, "online": False}).encode()

    def first_heartbeat_at(self, at_ms: int) -> None:
        """Spread heartbeats over the period instead of sending a thousand at once."""
        self._next_heartbeat_ms = at_ms


def _json(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
