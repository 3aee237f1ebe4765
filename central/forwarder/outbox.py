"""The forwarder's outbox: one row per thing the city must hear of, written in the same
transaction that stores it, so nothing is forwarded that was not committed and nothing
committed is missed. Rows go pending -> sent (the platform has it: accepted or already
held) or rejected (the platform refused it: the reason is kept, ``retry_rejected`` queues
it again once fixed).

A sale's row holds only its id at ingest (one insert, ingest stays fast); its records are
built and frozen in ``body`` the first time it is sent, so a resend is byte-identical.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from central.db import Connection
from central.forwarder import views
from central.localtime import now_ms

PENDING, SENT, REJECTED = "pending", "sent", "rejected"
_COLUMNS = ("kind", "record_key", "ref", "body", "created_ms")
_PG_TYPES = ("text", "text", "text", "text", "bigint")
_NOTHING = "ON CONFLICT DO NOTHING"  # the same record queued again (a resent sale, an unchanged goods-in)


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    kind: str
    record_key: str
    records: list[views.Record]


def enqueue_sales(conn: Connection, sale_ids: Sequence[str], created_ms: int) -> None:
    """Queue newly stored sales (called by ingest inside its transaction). Refund records
    are not queued: the city views have no refund (docs/city-platform.md)."""
    rows = [("sale", f"sale:{sale_id}", sale_id, "", created_ms) for sale_id in sale_ids]
    conn.insert_many("forward_outbox", _COLUMNS, _PG_TYPES, rows, _NOTHING)


def _enqueue(conn: Connection, kind: str, key: str, ref: str, records: list[views.Record]) -> None:
    conn.insert_many("forward_outbox", _COLUMNS, _PG_TYPES, [(kind, key, ref, _dump(records), now_ms())], _NOTHING)


def enqueue_goods_in(conn: Connection, batch_id: str) -> None:
    """Queue a batch's goods-in view; a corrected batch is a new record (its content's hash
    is in the key), the same batch registered again is not."""
    data = views.goods_in(conn, batch_id)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    key = f"in:{batch_id}:{digest}"
    _enqueue(conn, "goods_in", key, batch_id, [views.Record(key, views.GOODS_IN, data)])


def enqueue_stop_sale(conn: Connection, batch_id: str, reason: str, stopped_ms: int) -> None:
    key = f"stop:{batch_id}:{stopped_ms}"
    data = views.stop_sale(conn, batch_id, reason, stopped_ms)
    _enqueue(conn, "stop_sale", key, batch_id, [views.Record(key, views.STOP_SALE, data)])


def _dump(records: list[views.Record]) -> str:
    return json.dumps([{"key": r.key, "view": r.view, "data": r.data} for r in records], ensure_ascii=False)


def _load(body: str) -> list[views.Record]:
    return [views.Record(r["key"], r["view"], r["data"]) for r in json.loads(body)]


def pending(conn: Connection, limit: int) -> list[Row]:
    """The oldest pending rows, their records built (and frozen, in one transaction) where
    not yet. A row whose records cannot be built (its sale or batch is gone) is rejected
    with the reason instead of stopping the queue."""
    rows = conn.all(
        "SELECT id, kind, record_key, ref, body FROM forward_outbox WHERE state = ? ORDER BY id LIMIT ?",
        (PENDING, limit),
    )
    unbuilt = [row for row in rows if not row["body"]]
    if unbuilt:
        with conn.transaction():
            for row in unbuilt:
                try:
                    records = views.sale_records(conn, row["ref"])
                except LookupError as exc:
                    conn.execute(
                        "UPDATE forward_outbox SET state = ?, last_error = ? WHERE id = ?",
                        (REJECTED, f"cannot build the view: {exc}", row["id"]),
                    )
                    continue
                row["body"] = _dump(records)
                conn.execute("UPDATE forward_outbox SET body = ? WHERE id = ?", (row["body"], row["id"]))
    return [Row(r["id"], r["kind"], r["record_key"], _load(r["body"])) for r in rows if r["body"]]


def settle(conn: Connection, sent: Sequence[int], rejected: dict[int, str]) -> None:
    """Record the platform's answers: ``sent`` ids, ``rejected`` id -> why."""
    ts = now_ms()
    with conn.transaction():
        conn.executemany(
            "UPDATE forward_outbox SET state = ?, sent_ms = ?, attempts = attempts + 1, last_error = '' WHERE id = ?",
            [(SENT, ts, i) for i in sent],
        )
        conn.executemany(
            "UPDATE forward_outbox SET state = ?, attempts = attempts + 1, last_error = ? WHERE id = ?",
            [(REJECTED, why[:2000], i) for i, why in rejected.items()],
        )


def note_failure(conn: Connection, ids: Sequence[int], error: str) -> None:
    """The platform could not be reached: count the attempt, keep the rows pending."""
    with conn.transaction():
        conn.executemany(
            "UPDATE forward_outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?",
            [(error[:2000], i) for i in ids],
        )


def status(conn: Connection) -> dict[str, Any]:
    counts = {row["state"]: int(row["n"]) for row in conn.all(
        "SELECT state, COUNT(*) AS n FROM forward_outbox GROUP BY state")}  # fmt: skip
    oldest = conn.scalar("SELECT MIN(created_ms) FROM forward_outbox WHERE state = ?", (PENDING,))
    rejected = conn.all(
        "SELECT record_key, last_error FROM forward_outbox WHERE state = ? ORDER BY id DESC LIMIT 20", (REJECTED,)
    )
    return {"pending": counts.get(PENDING, 0), "sent": counts.get(SENT, 0), "rejected": counts.get(REJECTED, 0),
            "oldest_pending_ms": oldest, "recent_rejects": rejected}  # fmt: skip


def retry_rejected(conn: Connection) -> int:
    """Queue refused rows again (after fixing what the platform complained about); their
    records are rebuilt from the corrected data."""
    with conn.transaction():
        n = int(conn.scalar("SELECT COUNT(*) FROM forward_outbox WHERE state = ?", (REJECTED,)) or 0)
        conn.execute("UPDATE forward_outbox SET state = ?, body = '' WHERE state = ? AND kind = 'sale'",
                     (PENDING, REJECTED))  # fmt: skip
        conn.execute("UPDATE forward_outbox SET state = ? WHERE state = ?", (PENDING, REJECTED))
    return n


def prune(conn: Connection, older_than_ms: int) -> int:
    with conn.transaction():
        cur = conn.execute("DELETE FROM forward_outbox WHERE state = ? AND sent_ms < ?", (SENT, older_than_ms))
    return int(getattr(cur, "rowcount", 0) or 0)
