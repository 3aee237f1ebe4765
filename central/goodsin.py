"""Batches registered at the scales (goods-in, 进货登记) arriving on ``.../goodsin``.

Each item is the batch record the scale signed with its device key (docs/sync.md,
goodsin/1). A good item is upserted into ``batches`` under the merchant the scale is
assigned to (source ``scale``); a bad one (forged, malformed, another merchant's batch
id) is kept in ``rejects``. Either way the message is acked, so the scale stops resending
what central has decided on; nothing is lost, the reject keeps the payload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from central.admin import check_id, upsert_batch
from central.db import Connection
from central.keys import DevicePublicKey, verify_signature
from central.validate import Rejected, Topic, brief
from edge.core.records import Batch, signing_bytes

SCHEMA = "goodsin/1"


@dataclass
class GoodsInResult:
    acked_through: int = 0
    stored: list[str] = field(default_factory=list)
    bad: list[tuple[str, str]] = field(default_factory=list)  # (reason, detail)


def parse_goodsin(doc: dict[str, Any], topic: Topic) -> list[tuple[int, Any]]:
    if doc.get("schema") != SCHEMA:
        raise Rejected("bad_schema", f"schema is {brief(doc.get('schema'))}, expected {SCHEMA!r}")
    if doc.get("scale_id") != topic.scale_id:
        raise Rejected("scale_mismatch", f"scale_id {brief(doc.get('scale_id'))} is not the topic's {topic.scale_id}")
    items = doc.get("items")
    if not isinstance(items, list) or not items:
        raise Rejected("bad_schema", "goodsin/1 needs a non-empty items list")
    out = []
    for item in items:
        seq = item.get("seq") if isinstance(item, dict) else None
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
            raise Rejected("bad_schema", f"goods-in item without a positive integer seq: {brief(item)}")
        out.append((seq, item.get("batch")))
    return out


def _check(record: Any, key: DevicePublicKey, scale_id: str) -> Batch:
    if not isinstance(record, dict):
        raise Rejected("bad_schema", f"a goods-in batch must be an object, got {brief(record)}")
    body = {k: v for k, v in record.items() if k != "signature"}
    if not verify_signature(key, record.get("signature"), signing_bytes(body)):
        raise Rejected("bad_signature", f"goods-in batch {brief(record.get('batch_id'))} does not verify with "
                                        f"scale {scale_id}'s registered key")  # fmt: skip
    if record.get("scale_id") != scale_id:
        raise Rejected("scale_mismatch", f"goods-in batch names scale {brief(record.get('scale_id'))}")
    try:
        batch = Batch.from_dict(record)
        date.fromisoformat(batch.arrival_date)
        check_id("batch id", batch.batch_id)
    except ValueError as exc:
        raise Rejected("bad_batch", f"goods-in batch refused: {exc}") from None
    if not batch.upstream_code or not batch.certificate:
        raise Rejected("bad_batch", f"goods-in batch {batch.batch_id} has no upstream code or certificate")
    return batch


def store_goodsin(conn: Connection, topic: Topic, items: list[tuple[int, Any]], key: DevicePublicKey) -> GoodsInResult:
    """Store every good item (one transaction); the ack covers the message's highest seq."""
    result = GoodsInResult(acked_through=max(seq for seq, _ in items))
    with conn.transaction():
        merchant = conn.scalar("SELECT merchant_id FROM scales WHERE scale_id = ?", (topic.scale_id,))
        for _seq, record in items:
            try:
                if not merchant:
                    raise Rejected("no_merchant", f"scale {topic.scale_id} has no merchant; `central scale assign` it")
                batch = _check(record, key, topic.scale_id)
                owner = conn.scalar("SELECT merchant_id FROM batches WHERE batch_id = ?", (batch.batch_id,))
                if owner is not None and owner != merchant:
                    raise Rejected("conflict", f"batch id {batch.batch_id} belongs to merchant {owner}")
                upsert_batch(conn, merchant, batch, source="scale", scale_id=topic.scale_id,
                             operator=str(record.get("operator", "")), signature=record["signature"])  # fmt: skip
                result.stored.append(batch.batch_id)
            except Rejected as exc:
                result.bad.append((exc.reason, exc.detail))
    return result
