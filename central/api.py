"""The market/regulator JSON API (behind a bearer token): sales, batch flow, search, fleet, daily.

Handlers take the parsed query and return ``(status, document)``; amounts stay integer
fen and weights integer grams, as in the records. Errors are documents too:
``{"error": code, "message": ..., "message_zh": ...}``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from central.db import Connection
from central.queries import MAX_ROWS, SearchFilter, batch_flow, daily, fleet, sale_by_code, search
from edge.core.tracecode import TraceCodeError, parse_trace_code

Query = dict[str, list[str]]
Answer = tuple[int, dict[str, Any]]


class BadRequest(ValueError):
    def __init__(self, message: str, message_zh: str = "", code: str = "bad_request") -> None:
        super().__init__(message)
        self.code = code
        self.message_zh = message_zh


def error(status: int, code: str, message: str, message_zh: str = "") -> Answer:
    doc = {"error": code, "message": message}
    if message_zh:
        doc["message_zh"] = message_zh
    return status, doc


def _arg(query: Query, name: str) -> str:
    return query.get(name, [""])[0].strip()


def _date(query: Query, name: str) -> str:
    text = _arg(query, name)
    if text:
        try:
            date.fromisoformat(text)
        except ValueError:
            raise BadRequest(f"{name}={text!r} is not a date; use YYYY-MM-DD (local date, Asia/Shanghai)") from None
        if len(text) != 10:
            raise BadRequest(f"{name}={text!r}: use the YYYY-MM-DD form")
    return text


def _int(query: Query, name: str, default: int, low: int, high: int) -> int:
    text = _arg(query, name)
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise BadRequest(f"{name}={text!r} must be a whole number from {low} to {high}")
    return int(text)


def get_sale(conn: Connection, code_text: str) -> Answer:
    try:
        code = parse_trace_code(code_text).code
    except TraceCodeError as exc:
        return error(400, exc.code, exc.en, exc.zh)
    sale = sale_by_code(conn, code, internal=True)
    if sale is None:
        return error(404, "not_found", f"no sale with trace code {code} is on record", "未找到该溯源码")
    return 200, sale


def get_flow(conn: Connection, batch_id: str) -> Answer:
    flow = batch_flow(conn, batch_id)
    if flow is None:
        return error(404, "not_found", f"batch {batch_id!r} is neither registered nor on any sale line")
    return 200, flow


def get_search(conn: Connection, query: Query) -> Answer:
    f = SearchFilter(
        product=_arg(query, "product"),
        origin=_arg(query, "origin"),
        supplier=_arg(query, "supplier"),
        market=_arg(query, "market"),
        merchant=_arg(query, "merchant"),
        batch=_arg(query, "batch"),
        date_from=_date(query, "from"),
        date_to=_date(query, "to"),
        limit=_int(query, "limit", 100, 1, MAX_ROWS),
        offset=_int(query, "offset", 0, 0, 10**9),
    )
    if not any((f.product, f.origin, f.supplier, f.market, f.merchant, f.batch, f.date_from, f.date_to)):
        raise BadRequest("give at least one of product, origin, supplier, market, merchant, batch, from, to")
    rows = search(conn, f)
    return 200, {"count": len(rows), "limit": f.limit, "offset": f.offset, "lines": rows}


def get_fleet(conn: Connection, query: Query) -> Answer:
    scales = fleet(conn, _arg(query, "market"))
    return 200, {"count": len(scales), "scales": scales}


def get_daily(conn: Connection, query: Query) -> Answer:
    market, day = _arg(query, "market"), _date(query, "date")
    if not market or not day:
        raise BadRequest("daily totals need market=MARKET_ID and date=YYYY-MM-DD")
    return 200, daily(conn, market, day)


def get_prices(conn: Connection, query: Query) -> Answer:
    from central.prices import vendor_prices

    rows = vendor_prices(conn, _arg(query, "market"), _arg(query, "scale"))
    return 200, {"count": len(rows), "prices": rows}
