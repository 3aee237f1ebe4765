"""Vendors' own prices, from the scales' signed ``price.changed`` event-log entries.

The scale signs each change's data with its device key (edge.stall.prices); central
keeps the newest per scale and PLU in ``vendor_prices`` and shows them next to the guide
price (``central prices``, ``GET /api/v1/prices``).
"""

from __future__ import annotations

from typing import Any

from central.db import Connection
from central.keys import DevicePublicKey, verify_signature
from edge.core.eventlog import EventEntry
from edge.core.records import signing_bytes

KIND = "price.changed"


def _good(data: dict[str, Any], key: DevicePublicKey, scale_id: str) -> bool:
    body = {k: v for k, v in data.items() if k != "signature"}
    if data.get("scale_id") != scale_id or not verify_signature(key, data.get("signature"), signing_bytes(body)):
        return False
    ints = ("unit_price_fen", "guide_fen", "changed_ms")
    return all(isinstance(data.get(k), int) and not isinstance(data.get(k), bool) for k in ints) and all(
        isinstance(data.get(k), str) for k in ("plu", "name", "operator")
    )


def apply_price_events(
    conn: Connection, scale_id: str, market_id: str, entries: list[EventEntry], key: DevicePublicKey
) -> list[int]:
    """Upsert the vendor prices the entries carry; the ids of price entries that did not verify."""
    bad = []
    with conn.transaction():
        for entry in entries:
            if entry.kind != KIND:
                continue
            data = entry.data
            if not _good(data, key, scale_id):
                bad.append(entry.id)
                continue
            conn.execute(
                "INSERT INTO vendor_prices (scale_id, plu, market_id, merchant_id, name, unit_price_fen, guide_fen, "
                "vendor_price, operator, changed_ms, event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (scale_id, plu) DO UPDATE SET name = excluded.name, "
                "unit_price_fen = excluded.unit_price_fen, guide_fen = excluded.guide_fen, "
                "vendor_price = excluded.vendor_price, operator = excluded.operator, "
                "changed_ms = excluded.changed_ms, event_id = excluded.event_id "
                "WHERE excluded.event_id > vendor_prices.event_id",
                (scale_id, data["plu"], market_id, str(data.get("merchant_id", "")), data["name"],
                 data["unit_price_fen"], data["guide_fen"], int(bool(data.get("vendor_price"))), data["operator"],
                 data["changed_ms"], entry.id),
            )  # fmt: skip
    return bad


def vendor_prices(conn: Connection, market_id: str = "", scale_id: str = "") -> list[dict[str, Any]]:
    where, params = [], []
    if market_id:
        where.append("market_id = ?")
        params.append(market_id)
    if scale_id:
        where.append("scale_id = ?")
        params.append(scale_id)
    sql = (
        "SELECT scale_id, merchant_id, plu, name, unit_price_fen, guide_fen, vendor_price, operator, changed_ms "
        "FROM vendor_prices" + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY scale_id, plu"
    )
    return conn.all(sql, tuple(params))
