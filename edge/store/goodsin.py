"""Batches registered at the scale (进货登记) and their upload queue to central (goodsin/1).

Registering writes the batch (source ``local``), its signed upload row and the event-log
entry in one transaction: a batch the vendor was told is registered is on disk and will
reach central. Rows stay until central acks their seq (``goodsin_acked_through``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from edge.core.records import Batch
from edge.store import catalog, eventlog


def register(db: Database, batch: Batch, payload: dict[str, Any], now_ms: int) -> int:
    """Store the batch, queue ``payload`` (the signed goods-in record), log it; the row's seq."""
    catalog.upsert_batch(db, batch)
    cursor = db.execute(
        "INSERT INTO goodsin (batch_id, created_ms, payload) VALUES (?, ?, ?)",
        (batch.batch_id, now_ms, json.dumps(payload, ensure_ascii=False, separators=(",", ":"))),
    )
    eventlog.append(db, "goodsin.registered", {"batch_id": batch.batch_id, "plu": batch.plu,
                                               "upstream_code": batch.upstream_code,
                                               "certificate": batch.certificate,
                                               "operator": payload.get("operator", "")}, now_ms)  # fmt: skip
    return int(cursor.lastrowid)


def unacked(db: Database, limit: int) -> list[tuple[int, dict[str, Any]]]:
    rows = db.execute(
        "SELECT seq, payload FROM goodsin WHERE acked_ms IS NULL ORDER BY seq LIMIT ?", (limit,)
    ).fetchall()
    return [(seq, json.loads(payload)) for seq, payload in rows]


def ack_through(db: Database, seq: int, now_ms: int) -> int:
    return db.execute("UPDATE goodsin SET acked_ms = ? WHERE seq <= ? AND acked_ms IS NULL", (now_ms, seq)).rowcount
