"""Stop-sale (停售): the market office marks a batch unfit (a failed test, a recall).

:func:`stop_sale` is the plain function the CLI (``central batch stop-sale``) and a web
console call: it records the reason and time, and returns the signed batches documents
of every scale of the batch's merchant, ready for :func:`central.publish.send`. The
scales refuse the batch as soon as the document arrives (edge.core.batches).
"""

from __future__ import annotations

from dataclasses import dataclass

from central import admin
from central.db import Connection
from central.keys import CentralKey
from central.mqtt import MqttUrl
from central.publish import Document, batches_documents, send


@dataclass(frozen=True, slots=True)
class StopSale:
    batch_id: str
    merchant_id: str
    reason: str
    stopped_ms: int
    documents: list[Document]


def stop_sale(conn: Connection, key: CentralKey, batch_id: str, reason: str) -> StopSale:
    """Stop sales from ``batch_id`` now (:func:`central.admin.stop_sale`: the row and the city
    platform's view) and sign the batches documents of the merchant's scales."""
    merchant_id, reason, stopped = admin.stop_sale(conn, batch_id, reason)
    return StopSale(batch_id, merchant_id, reason, stopped, batches_documents(conn, key, merchant_id=merchant_id))


def stop_sale_and_send(conn: Connection, key: CentralKey, mqtt: MqttUrl, batch_id: str, reason: str) -> StopSale:
    """:func:`stop_sale`, then publish the documents (the web console's one call)."""
    result = stop_sale(conn, key, batch_id, reason)
    send(mqtt, result.documents, client_id="central-stop-sale")
    return result
