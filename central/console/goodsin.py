"""Goods-in (进货登记) and stop-sale from the console, and sending the result to the scales.

Goods-in stores the batch the scales sell from (``central.admin.add_batch``) and, in
``batch_goods_in``, what only the office keeps: purchase price, the meat inspection
certificate number (肉品品质检验合格证), the test notes. A batch registered with a failed
test is registered stopped. After either, the merchant's signed batches documents are
re-published (``central.publish``) so the scales take the change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from central import admin, publish
from central.console import users
from central.console.settings import ConsoleSettings
from central.db import Connection
from central.localtime import now_ms

log = logging.getLogger(__name__)
TEST_RESULTS = ("", "pass", "fail")  # none, 合格, 不合格 (the rapid test, 快检)


@dataclass(frozen=True, slots=True)
class Sent:
    """What became of the documents: sent to these topics, not configured, or failed (why)."""

    topics: tuple[str, ...] = ()
    configured: bool = True
    error: str = ""


def decimal_units(typed: str, places: int, what: str) -> int:
    """A typed decimal in integer sub-units, exactly (no floats): ('12.5', 3) -> 12500; '' -> 0."""
    text = typed.strip()
    if not text:
        return 0
    whole, _, part = text.partition(".")
    if not (whole.isascii() and part.isascii()) or not (whole + part).isdigit() or len(part) > places:
        raise admin.AdminError(f"{what} {typed!r}: give a number with at most {places} decimals, e.g. 12.5")
    return int(whole or 0) * 10**places + int(part.ljust(places, "0") or 0)


def register(conn: Connection, user: users.User, merchant_id: str, form: dict[str, str]) -> str:
    """Store a goods-in batch of ``merchant_id`` (of the user's market); returns the batch id."""
    market = conn.scalar("SELECT market_id FROM merchants WHERE merchant_id = ?", (merchant_id,))
    if market is None or market != user.market_id:
        raise admin.AdminError(f"merchant {merchant_id!r} is not a merchant of market {user.market_id}")
    test = form.get("rapid_test", "").strip()
    if test not in TEST_RESULTS:
        raise admin.AdminError(f"test result must be pass, fail or empty, got {test!r}")
    fields = ("batch_id", "plu", "supplier", "supplier_node", "upstream_code", "origin", "certificate", "arrival_date")
    batch: dict[str, Any] = {name: form.get(name, "").strip() for name in fields}
    batch.update(weight_g=decimal_units(form.get("weight_kg", ""), 3, "weight (kg)"), rapid_test=test,
                 active=test != "fail")  # fmt: skip
    price_fen = decimal_units(form.get("price_yuan", ""), 2, "price (yuan)")
    item = admin.add_batch(conn, merchant_id, batch)
    with conn.transaction():
        conn.execute(
            "INSERT INTO batch_goods_in (batch_id, price_fen, inspection_cert, test_detail, recorded_by, recorded_ms) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (batch_id) DO UPDATE SET price_fen = excluded.price_fen, "
            "inspection_cert = excluded.inspection_cert, test_detail = excluded.test_detail, "
            "recorded_by = excluded.recorded_by, recorded_ms = excluded.recorded_ms",
            (item.batch_id, price_fen, form.get("inspection_cert", "").strip(), form.get("test_detail", "").strip(),
             user.username, now_ms()),
        )  # fmt: skip
        users.audit(conn, user.username, "batch.goods_in", item.batch_id, f"{merchant_id} {test}".strip())
    return item.batch_id


def send_batches(conn: Connection, settings: ConsoleSettings, merchant_id: str) -> Sent:
    """Re-publish the merchant's signed batches documents (every scale of the merchant)."""
    if not settings.can_publish:
        return Sent(configured=False)
    assert settings.key is not None and settings.send is not None
    try:
        documents = publish.batches_documents(conn, settings.key, merchant_id=merchant_id)
        settings.send(documents)
    except Exception as exc:  # no scale yet, broker down: the change is stored; publish again later
        log.warning("console: batches of %s not sent: %s", merchant_id, exc)
        return Sent(error=str(exc) if isinstance(exc, admin.AdminError) else "the broker did not take the documents")
    return Sent(tuple(d.topic for d in documents))


def send_catalog(conn: Connection, settings: ConsoleSettings, market_id: str) -> Sent:
    if not settings.can_publish:
        return Sent(configured=False)
    assert settings.key is not None and settings.send is not None
    try:
        document = publish.catalog_document(conn, settings.key, market_id)
        settings.send([document])
    except Exception as exc:
        log.warning("console: catalog of %s not sent: %s", market_id, exc)
        return Sent(error=str(exc) if isinstance(exc, admin.AdminError) else "the broker did not take the catalog")
    return Sent((document.topic,))


def stop_sale(conn: Connection, settings: ConsoleSettings, user: users.User, batch_id: str, reason: str) -> Sent:
    """停售: the batch goes inactive at once and the scales get the merchant's new batches document."""
    merchant_id = conn.scalar("SELECT merchant_id FROM batches WHERE batch_id = ?", (batch_id,))
    if merchant_id is None:
        raise admin.AdminError(f"batch {batch_id!r} is not registered at central")
    reason = " ".join(reason.split())[:200]
    with conn.transaction():
        conn.execute("UPDATE batches SET active = 0 WHERE batch_id = ?", (batch_id,))
        users.audit(conn, user.username, "batch.stop_sale", batch_id, reason)
    return send_batches(conn, settings, merchant_id)
