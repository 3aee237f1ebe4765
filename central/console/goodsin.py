"""Goods-in (进货登记) and stop-sale from the console, and sending the result to the scales.

Goods-in stores the batch with its goods-in data (``central.admin.add_batch``: weight,
purchase price, quarantine and meat inspection certificates (肉品品质检验合格证), the
rapid-test result; the city platform's goods-in view is queued with it). A batch whose
rapid test failed is registered and stopped at once. Stop-sale is
``central.stopsale.stop_sale`` (the row, the city view, the signed batches documents);
after either, the merchant's documents go to the scales (``central.publish``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from central import admin, publish, stopsale
from central.console import users
from central.console.settings import ConsoleSettings
from central.db import Connection

log = logging.getLogger(__name__)
TEST_RESULTS = ("", "pass", "fail")  # none, 合格, 不合格 (the rapid test, 快检)


@dataclass(frozen=True, slots=True)
class Sent:
    """What became of the documents: sent to these topics, not configured, or failed (why)."""

    topics: tuple[str, ...] = ()
    configured: bool = True
    error: str = ""


def decimal_units(typed: str, places: int, what: tuple[str, str]) -> int:
    """A typed decimal in integer sub-units, exactly (no floats): ('12.5', 3) -> 12500; '' -> 0.

    ``what``: (中文, English) of the field, for the error."""
    text = typed.strip()
    if not text:
        return 0
    whole, _, part = text.partition(".")
    if not (whole.isascii() and part.isascii()) or not (whole + part).isdigit() or len(part) > places:
        raise admin.AdminError(
            f"{what[0]} {typed!r}：请填写最多 {places} 位小数的数字，例如 12.5",
            f"{what[1]} {typed!r}: give a number with at most {places} decimals, e.g. 12.5",
        )
    return int(whole or 0) * 10**places + int(part.ljust(places, "0") or 0)


def register(conn: Connection, user: users.User, merchant_id: str, form: dict[str, str]) -> str:
    """Store a goods-in batch of ``merchant_id`` (of the user's market); returns the batch id."""
    market = conn.scalar("SELECT market_id FROM merchants WHERE merchant_id = ?", (merchant_id,))
    if market is None or market != user.market_id:
        raise admin.AdminError(f"商户 {merchant_id!r} 不是市场 {user.market_id} 的商户",
                               f"merchant {merchant_id!r} is not a merchant of market {user.market_id}")
    test = form.get("rapid_test", "").strip()
    if test not in TEST_RESULTS:
        raise admin.AdminError(f"检测结果应为合格、不合格或空，收到 {test!r}",
                               f"test result must be pass, fail or empty, got {test!r}")
    fields = ("batch_id", "plu", "supplier", "supplier_node", "upstream_code", "origin", "certificate", "arrival_date",
              "inspection_cert")  # fmt: skip
    batch: dict[str, Any] = {name: form.get(name, "").strip() for name in fields}
    weight_g = decimal_units(form.get("weight_kg", ""), 3, ("进货重量 (kg)", "weight (kg)"))
    price_fen = decimal_units(form.get("price_yuan", ""), 2, ("进货单价 (元/kg)", "price (yuan)"))
    batch.update(weight_g=weight_g, rapid_test=test, price_fen=price_fen)
    item = admin.add_batch(conn, merchant_id, batch)
    with conn.transaction():
        users.audit(conn, user.username, "batch.goods_in", item.batch_id,
                    " ".join(v for v in (merchant_id, test, form.get("test_detail", "").strip()) if v))  # fmt: skip
    if test == "fail":  # on record for the city, never on sale
        admin.stop_sale(conn, item.batch_id, form.get("test_detail", "").strip() or "快检不合格")
    return item.batch_id


def send_batches(conn: Connection, settings: ConsoleSettings, merchant_id: str) -> Sent:
    """Re-publish the merchant's signed batches documents (every scale of the merchant)."""
    if not settings.can_publish:
        return Sent(configured=False)
    assert settings.key is not None
    try:
        documents = publish.batches_documents(conn, settings.key, merchant_id=merchant_id)
    except admin.AdminError as exc:  # e.g. no scale yet: the batch is stored and goes out with the next push
        return Sent(error=str(exc))
    return _send(settings, documents, merchant_id)


def _send(settings: ConsoleSettings, documents: list[publish.Document], what: str) -> Sent:
    assert settings.send is not None
    try:
        settings.send(documents)
    except Exception as exc:  # broker down: the change is stored at central; publish again later
        log.warning("console: documents of %s not sent: %s", what, exc)
        return Sent(error="the broker did not take the documents")
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
    """停售 (``central.stopsale``): stopped at central at once, then the scales get the merchant's
    signed batches documents, in which the batch is marked stopped (they refuse to sell it)."""
    if not settings.can_publish:
        _merchant, reason, _ms = admin.stop_sale(conn, batch_id, reason)
        sent = Sent(configured=False)
    else:
        assert settings.key is not None and settings.send is not None
        result = stopsale.stop_sale(conn, settings.key, batch_id, reason)
        reason, sent = result.reason, _send(settings, result.documents, result.merchant_id)
    with conn.transaction():
        users.audit(conn, user.username, "batch.stop_sale", batch_id, reason)
    return sent
