"""Record <-> row mapping for sales, PLUs and batches (one place that knows the columns)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from typing import Any

from sqlite_utils import Database

from edge.core.records import Batch, Payment, PaymentMethod, PaymentStatus, Plu, Pricing, Sale, SaleLine

SALE_COLUMNS = (
    "sale_id",
    "seq",
    "local_date",
    "daily_seq",
    "trace_code",
    "market_id",
    "scale_id",
    "merchant_id",
    "stall",
    "operator",
    "created_ms",
    "total_fen",
    "rounding_fen",
    "pay_method",
    "pay_status",
    "pay_ref",
    "printed",
    "software_id",
    "signature",
    "refund_of",
    "state_no",
    "state_signature",
)
LINE_COLUMNS = (
    "sale_id",
    "line_no",
    "plu",
    "goods_code",
    "name",
    "pricing",
    "net_g",
    "tare_g",
    "quantity",
    "unit_price_fen",
    "amount_fen",
    "batch_id",
    "origin",
)
PLU_COLUMNS = (
    "plu", "position", "name", "goods_code", "pricing", "unit_price_fen", "category", "hotkey", "name_en",
    "price_min_fen", "price_max_fen",
)  # fmt: skip
BATCH_COLUMNS = (
    "batch_id",
    "plu",
    "supplier",
    "supplier_node",
    "upstream_code",
    "origin",
    "certificate",
    "arrival_date",
    "active",
    "weight_g",
    "rapid_test",
    "stop_reason",
    "source",
)


def payload(sale: Sale) -> str:
    """The outbox/wire JSON of a sale: ``sale.to_dict()``, compact, UTF-8 kept."""
    return json.dumps(sale.to_dict(), ensure_ascii=False, separators=(",", ":"))


def sale_row(sale: Sale, local_date: str, daily_seq: int) -> tuple[Any, ...]:
    return (
        sale.sale_id,
        sale.seq,
        local_date,
        daily_seq,
        sale.trace_code,
        sale.market_id,
        sale.scale_id,
        sale.merchant_id,
        sale.stall,
        sale.operator,
        sale.created_ms,
        sale.total_fen,
        sale.rounding_fen,
        str(sale.payment.method),
        str(sale.payment.status),
        sale.payment.provider_ref,
        int(sale.printed),
        sale.software_id,
        sale.signature,
        sale.refund_of,
        sale.state_no,
        sale.state_signature,
    )


def line_rows(sale: Sale) -> list[tuple[Any, ...]]:
    return [
        (
            sale.sale_id,
            n,
            line.plu,
            line.goods_code,
            line.name,
            str(line.pricing),
            line.net_g,
            line.tare_g,
            line.quantity,
            line.unit_price_fen,
            line.amount_fen,
            line.batch_id,
            line.origin,
        )
        for n, line in enumerate(sale.lines, start=1)
    ]


def sale_from_row(row: Mapping[str, Any], lines: Iterable[Mapping[str, Any]]) -> Sale:
    return Sale(
        sale_id=row["sale_id"],
        seq=row["seq"],
        trace_code=row["trace_code"],
        market_id=row["market_id"],
        scale_id=row["scale_id"],
        merchant_id=row["merchant_id"],
        stall=row["stall"],
        operator=row["operator"],
        created_ms=row["created_ms"],
        lines=tuple(line_from_row(line) for line in lines),
        total_fen=row["total_fen"],
        rounding_fen=row["rounding_fen"],
        payment=Payment(PaymentMethod(row["pay_method"]), PaymentStatus(row["pay_status"]), row["pay_ref"]),
        printed=bool(row["printed"]),
        software_id=row["software_id"],
        signature=row["signature"],
        refund_of=row["refund_of"],
        state_no=row["state_no"],
        state_signature=row["state_signature"],
    )


def line_from_row(row: Mapping[str, Any]) -> SaleLine:
    return SaleLine(
        plu=row["plu"],
        goods_code=row["goods_code"],
        name=row["name"],
        pricing=Pricing(row["pricing"]),
        net_g=row["net_g"],
        tare_g=row["tare_g"],
        quantity=row["quantity"],
        unit_price_fen=row["unit_price_fen"],
        amount_fen=row["amount_fen"],
        batch_id=row["batch_id"],
        origin=row["origin"],
    )


def plu_row(plu: Plu, position: int) -> dict[str, Any]:
    return plu.to_dict() | {"pricing": str(plu.pricing), "position": position}


def plu_from_row(row: Mapping[str, Any]) -> Plu:
    return Plu(**{name: row[name] for name in _PLU_FIELDS} | {"pricing": Pricing(row["pricing"])})


def batch_row(batch: Batch, source: str) -> dict[str, Any]:
    return batch.to_dict() | {"active": int(batch.active), "source": source}


def batch_from_row(row: Mapping[str, Any]) -> Batch:
    return Batch(**{name: row[name] for name in _BATCH_FIELDS} | {"active": bool(row["active"])})


_PLU_FIELDS = tuple(f.name for f in fields(Plu))
_BATCH_FIELDS = tuple(f.name for f in fields(Batch))


def fetch(db: Database, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Run a parameterised query and return its rows as dicts."""
    cursor = db.execute(sql, params)
    keys = [d[0] for d in cursor.description]
    return [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]


def fetch_one(db: Database, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
    found = fetch(db, sql, params)
    return found[0] if found else None


def scalar(db: Database, sql: str, params: Sequence[Any] = ()) -> Any:
    row = db.execute(sql, params).fetchone()
    return None if row is None else row[0]
