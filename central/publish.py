"""Signed documents down to the scales (docs/sync.md, "Down, signed"): catalog, batches and
the lock/unlock command (docs/protection.md).

Each topic's version counts up in ``published`` inside the same transaction that builds
the document, so two offices publishing at once still give the scales increasing
versions. The document goes out retained, QoS 1, signed with central's key.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from central.admin import AdminError, active_batches, catalog, catalog_entry
from central.db import POSTGRES, Connection
from central.keys import CentralKey
from central.localtime import now_ms
from central.mqtt import PREFIX, MqttUrl, connect_blocking

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Document:
    topic: str
    doc: dict[str, Any]

    @property
    def payload(self) -> bytes:
        return json.dumps(self.doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _next_version(conn: Connection, topic: str) -> int:
    lock = " FOR UPDATE" if conn.dialect == POSTGRES else ""
    current = conn.scalar(f"SELECT version FROM published WHERE topic = ?{lock}", (topic,))
    return int(current or 0) + 1


def _record(conn: Connection, topic: str, doc: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO published (topic, version, issued_ms, document) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (topic) DO UPDATE SET version = excluded.version, issued_ms = excluded.issued_ms, "
        "document = excluded.document",
        (topic, doc["version"], doc["issued_ms"], json.dumps(doc, ensure_ascii=False)),
    )


def unregistered_scale(scale_id: str) -> AdminError:
    return AdminError(
        f"秤 {scale_id!r} 未登记：请核对秤编号（central scale list）", f"scale {scale_id!r} is not registered"
    )


def catalog_document(conn: Connection, key: CentralKey, market_id: str) -> Document:
    topic = f"{PREFIX}/{market_id}/catalog"
    with conn.transaction():
        plus = catalog(conn, market_id)
        if not plus:
            raise AdminError(
                f"市场 {market_id} 还没有商品目录：请先用 `central catalog import` 导入",
                f"market {market_id} has no catalog yet; import one with `central catalog import`",
            )
        body = {"plus": [catalog_entry(p) for p in plus]}
        doc = key.sign_document(
            {"schema": "catalog/1", "market_id": market_id, "version": _next_version(conn, topic),
             "issued_ms": now_ms(), "body": body}
        )  # fmt: skip
        _record(conn, topic, doc)
    return Document(topic, doc)


def batches_documents(
    conn: Connection, key: CentralKey, *, scale_id: str = "", merchant_id: str = ""
) -> list[Document]:
    """One document per scale: the active batches of the scale's merchant."""
    if scale_id:
        scales = conn.all("SELECT scale_id, market_id, merchant_id FROM scales WHERE scale_id = ?", (scale_id,))
        if not scales:
            raise unregistered_scale(scale_id)
    else:
        scales = conn.all(
            "SELECT scale_id, market_id, merchant_id FROM scales WHERE merchant_id = ? ORDER BY scale_id",
            (merchant_id,),
        )
        if not scales:
            raise AdminError(
                f"商户 {merchant_id!r} 还没有秤：请先用 `central scale assign` 分配",
                f"merchant {merchant_id!r} has no scales; assign one with `central scale assign`",
            )
    out = []
    for scale in scales:
        if not scale["merchant_id"]:
            raise AdminError(
                f"秤 {scale['scale_id']} 还没有商户：请先用 `central scale assign` 分配",
                f"scale {scale['scale_id']} has no merchant; assign one with `central scale assign`",
            )
        topic = f"{PREFIX}/{scale['market_id']}/{scale['scale_id']}/batches"
        with conn.transaction():
            batches = active_batches(conn, scale["merchant_id"])
            doc = key.sign_document(
                {"schema": "batches/1", "market_id": scale["market_id"], "scale_id": scale["scale_id"],
                 "version": _next_version(conn, topic), "issued_ms": now_ms(),
                 "body": {"batches": [b.to_dict() for b in batches]}}
            )  # fmt: skip
            _record(conn, topic, doc)
        out.append(Document(topic, doc))
    return out


COMMAND_ACTIONS = ("lock", "unlock")


def command_document(conn: Connection, key: CentralKey, scale_id: str, action: str, reason: str, by: str) -> Document:
    """Lock or unlock one scale remotely (JJG 1204-2025 protection). The version counts up
    per scale, so the scale refuses a replayed older command; the signature, a forged one."""
    if action not in COMMAND_ACTIONS:
        raise AdminError(
            f"未知命令 {action!r}：请用 lock（锁定）或 unlock（解锁）",
            f"unknown command {action!r}: use lock or unlock",
        )
    if not reason.strip():
        raise AdminError(
            "锁定或解锁须加 --reason：秤会记录原因并显示给商户",
            "a lock or unlock needs --reason: the scale logs it and shows it to the vendor",
        )
    row = conn.one("SELECT market_id FROM scales WHERE scale_id = ?", (scale_id,))
    if row is None:
        raise unregistered_scale(scale_id)
    topic = f"{PREFIX}/{row['market_id']}/{scale_id}/command"
    with conn.transaction():
        doc = key.sign_document(
            {"schema": "command/1", "market_id": row["market_id"], "scale_id": scale_id,
             "version": _next_version(conn, topic), "issued_ms": now_ms(),
             "body": {"action": action, "reason": reason.strip(), "by": by}}
        )  # fmt: skip
        _record(conn, topic, doc)
    return Document(topic, doc)


def send(
    mqtt: MqttUrl, documents: list[Document], *, client_id: str = "central-publisher", timeout_s: float = 10
) -> None:
    """Publish retained, QoS 1, and wait until the broker has each one."""
    client = connect_blocking(mqtt, client_id)
    try:
        for document in documents:
            info = client.publish(document.topic, document.payload, qos=1, retain=True)
            info.wait_for_publish(timeout_s)
            if not info.is_published():
                raise AdminError(
                    f"MQTT 服务器 {timeout_s:.0f} 秒内未确认收到 {document.topic}：请重新发布",
                    f"the broker did not confirm {document.topic} within {timeout_s:.0f} s; publish again",
                )
            log.info("published %s version %s", document.topic, document.doc["version"])
    finally:
        client.disconnect()
        client.loop_stop()
