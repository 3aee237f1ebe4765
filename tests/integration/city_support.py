"""A market registered under the national codes, and sales stored the way ingest stores
them, for the city-platform forwarder's tests."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from central import admin
from central.db import Database
from central.ingest import store_sales
from central.localtime import local_date
from central.schema import migrate
from central.validate import SalesBatch, SalesItem
from edge.core.records import Sale
from edge.core.tracecode import make_trace_code
from edge.device_key import DeviceKey
from edge.store.samples import BATCHES, PLUS, sale_builder

MARKET, NODE, PREFIX = "nb-yz", "330212333", "330212"
MERCHANT = "m-0007"
HOUR_START_MS = 1_715_497_200_000  # 2024-05-12 15:00 in Shanghai: the simulated hour starts here


def register(db_url: str, workdir: Path, n_scales: int) -> Database:
    db = Database(db_url)
    migrate(db)
    key = DeviceKey.load_or_create(workdir / "scale.pem")
    with db.connection() as conn:
        admin.add_market(conn, MARKET, NODE, "鄞州区中河菜市场", "宁波")
        admin.add_merchant(conn, MERCHANT, MARKET, stall="A-07", display_name="老陈肉菜", real_name="陈一",
                           id_number="330212198001011234", phone="13800000000")  # fmt: skip
        admin.set_catalog(conn, MARKET, [p.to_dict() for p in PLUS])
        for batch in BATCHES:
            admin.add_batch(conn, MERCHANT, {**batch.to_dict(), "weight_g": 50_000, "price_fen": 260,
                                             "origin_code": "330212", "inspection_cert": "JY-2024-0001"})  # fmt: skip
        for no in range(1, n_scales + 1):
            admin.add_scale(conn, f"{PREFIX}-{no:03d}", MARKET, no, key.public_key_b64(), MERCHANT)
    return db


def scale_sale(scale_no: int, seq: int, created_ms: int) -> Sale:
    base = sale_builder("2024-05-12", lines=2, created_ms=created_ms - seq)(seq, seq)
    code = make_trace_code(PREFIX, scale_no, date.fromisoformat(local_date(created_ms)), seq)
    return dataclasses.replace(base, scale_id=f"{PREFIX}-{scale_no:03d}", market_id=MARKET, merchant_id=MERCHANT,
                               trace_code=code, sale_id=f"{PREFIX}-{scale_no:03d}-{seq:05d}")  # fmt: skip


def store_hour(db: Database, n_scales: int, per_scale: int, seqs: range | None = None) -> list[Sale]:
    """An hour of sales (``per_scale`` per scale, spread evenly over the hour; ``seqs``: only
    those of them) stored by ingest, one message per scale per sale as the scales send them."""
    sales = []
    with db.connection() as conn:
        for seq in seqs or range(1, per_scale + 1):
            at = HOUR_START_MS + (seq - 1) * 3_600_000 // per_scale
            for no in range(1, n_scales + 1):
                sale = scale_sale(no, seq, at + no)
                store_sales(conn, SalesBatch(sale.scale_id, seq, seq, [SalesItem(seq, "sale", sale.to_dict())]))
                sales.append(sale)
    return sales
