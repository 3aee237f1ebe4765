"""Stop-sale (停售): the market office marks a batch unfit (a failed test, a recall).

:func:`stop_sale` is the plain function the CLI (``central batch stop-sale``) and a web
console call: it records the reason and time, and returns the signed batches documents
of every scale of the batch's merchant, ready for :func:`central.publish.send`. The
scales refuse the batch as soon as the document arrives (edge.core.batches).
"""

from __future__ import annotations

from dataclasses import dataclass

from central.admin import AdminError
from central.db import Connection
from central.keys import CentralKey
from central.localtime import now_ms
from central.mqtt import MqttUrl
from central.publish import Document, batches_documents, send

MAX_REASON = 200


@dataclass(frozen=True, slots=True)
class StopSale:
    batch_id: str
    merchant_id: str
    reason: str
    stopped_ms: int
    documents: list[Document]


def stop_sale(conn: Connection, key: CentralKey, batch_id: str, reason: str) -> StopSale:
    """Stop sales from ``batch_id`` now; raises AdminError (unknown batch, no reason)."""
    reason = " ".join(reason.split())
    if not reason:
        raise AdminError("give the reason for the stop-sale (shown to the vendor), e.g. --reason 快检不合格")
    if len(reason) > MAX_REASON:
        raise AdminError(f"the reason is too long ({len(reason)} characters, at most {MAX_REASON})")
    row = conn.one("SELECT merchant_id FROM batches WHERE batch_id = ?", (batch_id,))
    if row is None:
        raise AdminError(f"batch {batch_id!r} is not known at central; check the id with `central batch list`")
    stopped = now_ms()
    with conn.transaction():
        conn.execute(
            "UPDATE batches SET active = 0, stop_reason = ?, stopped_ms = ? WHERE batch_id = ?",
            (reason, stopped, batch_id),
        )
    return StopSale(batch_id, row["merchant_id"], reason, stopped,
                    batches_documents(conn, key, merchant_id=row["merchant_id"]))  # fmt: skip


def stop_sale_and_send(conn: Connection, key: CentralKey, mqtt: MqttUrl, batch_id: str, reason: str) -> StopSale:
    """:func:`stop_sale`, then publish the documents (the web console's one call)."""
    result = stop_sale(conn, key, batch_id, reason)
    send(mqtt, result.documents, client_id="central-stop-sale")
    return result
