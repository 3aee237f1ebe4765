"""Payloads on the wire (docs/sync.md): the sales batch, the ack, the status heartbeat.

Pure functions. The sales message is assembled from the outbox's stored sale JSON as
text, without parsing it again: the outbox payload already is ``Sale.to_dict()`` JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

SALES_SCHEMA = "sales/1"
STATUS_SCHEMA = "status/1"
EVENTS_SCHEMA = "events/1"
MAX_ITEMS = 200
MAX_BYTES = 256 * 1024
KINDS = frozenset({"sale", "sale_update"})


@dataclass(frozen=True, slots=True)
class OutboxRow:
    oseq: int
    kind: str  # "sale" | "sale_update"
    payload: str  # the sale's JSON


@dataclass(frozen=True, slots=True)
class SalesMessage:
    first: int
    last: int
    count: int  # rows taken from the front of the given rows
    body: bytes


def _item(row: OutboxRow) -> bytes:
    if row.kind not in KINDS:
        raise ValueError(f"outbox row {row.oseq} has unknown kind {row.kind!r}; expected sale or sale_update")
    return b'{"oseq":%d,"kind":"%s","sale":%s}' % (row.oseq, row.kind.encode(), row.payload.encode("utf-8"))


def pack_sales(
    scale_id: str, rows: list[OutboxRow], *, max_items: int = MAX_ITEMS, max_bytes: int = MAX_BYTES
) -> SalesMessage:
    """One message from the front of ``rows`` (ascending, contiguous oseq): as many rows as
    fit in ``max_items`` and ``max_bytes``, but always at least one (a single oversized sale
    still has to go; the broker's message size limit is far above 256 KiB)."""
    if not rows:
        raise ValueError("pack_sales needs at least one outbox row")
    # Header with 20-digit placeholders: first/last can only be shorter.
    head = b'{"schema":"%s","scale_id":%s,"first":' % (SALES_SCHEMA.encode(), json.dumps(scale_id).encode())
    overhead = len(head) + len(b',"last":,"items":[]}') + 40
    items: list[bytes] = []
    size = overhead
    for row in rows[:max_items]:
        item = _item(row)
        extra = len(item) + (1 if items else 0)
        if items and size + extra > max_bytes:
            break
        items.append(item)
        size += extra
    first, last = rows[0].oseq, rows[len(items) - 1].oseq
    body = head + b'%d,"last":%d,"items":[' % (first, last) + b",".join(items) + b"]}"
    return SalesMessage(first, last, len(items), body)


ACK_FIELDS = {"acked_through": "sales", "events_acked_through": "events", "goodsin_acked_through": "goodsin"}


def parse_any_ack(payload: bytes) -> tuple[str, int]:
    """``{"acked_through": N}`` -> ("sales", N); ``{"events_acked_through": N}`` -> ("events", N).

    ValueError for anything else.
    """
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"ack is not JSON ({exc})") from exc
    if isinstance(doc, dict):
        for name, kind in ACK_FIELDS.items():
            value = doc.get(name)
            if value is not None and not isinstance(value, bool) and isinstance(value, int) and value >= 0:
                return kind, value
    raise ValueError(f"ack needs a non-negative integer acked_through, got {payload[:80]!r}")


@dataclass(frozen=True, slots=True)
class Numbering:
    """Central's last numbers of this scale: highest seq, and the daily number of its latest day."""

    seq: int
    local_date: str
    daily_seq: int
    acked_through: int = 0  # central's ack watermark of this scale: outbox rows go above it


def parse_numbering(payload: bytes) -> Numbering | None:
    """``{"numbering": {"seq": S, "local_date": "YYYY-MM-DD", "daily_seq": Q, "acked_through": W}}``, else None.

    ValueError when the document is a numbering answer with bad values."""
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(doc, dict) or "numbering" not in doc:
        return None
    body = doc["numbering"]
    ints = [body.get(k, 0 if k == "acked_through" else None) if isinstance(body, dict) else None
            for k in ("seq", "daily_seq", "acked_through")]  # fmt: skip
    date = body.get("local_date") if isinstance(body, dict) else None
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in ints) or not isinstance(date, str):
        raise ValueError(f"numbering needs seq, daily_seq, acked_through >= 0 and local_date, got {payload[:120]!r}")
    return Numbering(int(ints[0]), date, int(ints[1]), int(ints[2]))  # type: ignore[arg-type]


def parse_ack(payload: bytes) -> int:
    """``{"acked_through": N}`` -> N; ValueError for anything else (an events ack included)."""
    kind, value = parse_any_ack(payload)
    if kind != "sales":
        raise ValueError(f"not a sales ack: {payload[:80]!r}")
    return value


def offline_status(scale_id: str) -> bytes:
    """The retained will: what the status topic says after the scale vanished or stopped."""
    return json.dumps({"schema": STATUS_SCHEMA, "scale_id": scale_id, "online": False}).encode()


def status(
    scale_id: str,
    *,
    software_id: str,
    backlog: int,
    oldest_unacked_ms: int | None,
    printer: str,
    last_sale_ms: int | None,
    last_event_id: int,
    last_event_hash: str,
    sent_ms: int,
    protection: dict[str, Any] | None = None,
    ask_numbering: bool = False,
) -> bytes:
    doc: dict[str, Any] = {
        "schema": STATUS_SCHEMA,
        "scale_id": scale_id,
        "online": True,
        "software_id": software_id,
        "backlog": backlog,
        "oldest_unacked_ms": oldest_unacked_ms,
        "printer": printer,
        "last_sale_ms": last_sale_ms,
        "last_event_id": last_event_id,
        "last_event_hash": last_event_hash,
        "sent_ms": sent_ms,
    }
    if protection is not None:  # lock state and event counter (docs/protection.md)
        doc["protection"] = protection
    if ask_numbering:
        doc["numbering"] = "ask"  # central answers on the ack topic: {"numbering": {...}}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def events_message(scale_id: str, events: list[dict[str, Any]]) -> bytes:
    return json.dumps({"schema": EVENTS_SCHEMA, "scale_id": scale_id, "events": events}, ensure_ascii=False).encode()
