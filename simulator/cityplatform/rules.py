"""Strict checks of the views a city platform takes (docs/city-platform.md).

Field sets are those of SB/T 10683-2012 附录A for the retail market (goods-in base and
detail, sales summary) plus the stop-sale view; every field must be present, no others,
all text. Codes: node 9 digits, operator 13 starting with its node, batch 20 (meat) or 16
(vegetable) digits, origin a 6-digit GB/T 2260 code, the sale's transaction id a 20-digit
trace code whose Luhn check digit holds. Weights are kg with 3 decimals, money yuan with 2.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from edge.core.tracecode import luhn_is_valid

GOODS_IN, SALE, STOP_SALE = "retail_market_in_info", "retail_market_tran_info_summ", "retail_market_stop_sale"
BASE_FIELDS = ("retail_market_id", "retail_market_name", "in_date", "retailer_id", "retailer_name", "tran_id",
               "quarantine_animal_products_id", "inspection_meat_id", "prov_id", "batch_id")  # fmt: skip
DETAIL_FIELDS = ("tran_id", "quarantine_animal_products_id", "batch_id", "goods_code", "goods_name", "weight",
                 "price", "area_origin_id", "area_origin_name", "ws_supplier_id", "ws_supplier_name")  # fmt: skip
SALE_FIELDS = ("retail_market_id", "retail_market_name", "in_date", "sale_date", "retailer_id", "retailer_name",
               "position_id", "tran_id", "quarantine_animal_products_id", "batch_id", "goods_code", "goods_name",
               "weight", "price", "sale_tran_id")  # fmt: skip
STOP_FIELDS = ("retail_market_id", "retail_market_name", "retailer_id", "retailer_name", "batch_id", "goods_code",
               "goods_name", "reason", "stop_time")  # fmt: skip
# fields that may be empty (a vegetable has no meat inspection, a batch may lack an origin code ...)
OPTIONAL = frozenset({"tran_id", "quarantine_animal_products_id", "inspection_meat_id", "prov_id", "area_origin_id",
                      "area_origin_name", "ws_supplier_id", "ws_supplier_name", "goods_code"})  # fmt: skip
_KG, _YUAN = re.compile(r"^\d{1,7}\.\d{3}$"), re.compile(r"^\d{1,9}\.\d{2}$")
NODE_DIGITS, OPERATOR_DIGITS = 9, 13


def _digits(value: str, lengths: tuple[int, ...]) -> bool:
    return value.isascii() and value.isdigit() and len(value) in lengths


def _fields(data: Any, names: tuple[str, ...], where: str) -> list[str]:
    if not isinstance(data, dict):
        return [f"{where}: must be an object of fields"]
    errors = [f"{where}.{n}: missing" for n in names if n not in data]
    errors += [f"{where}.{n}: unknown field" for n in data if n not in names]
    errors += [f"{where}.{n}: must be text" for n in names if n in data and not isinstance(data[n], str)]
    errors += [f"{where}.{n}: empty" for n in names
               if isinstance(data.get(n), str) and not data[n].strip() and n not in OPTIONAL]  # fmt: skip
    return errors


def _codes(data: dict[str, str], where: str) -> list[str]:
    errors = []
    node, operator = data.get("retail_market_id"), data.get("retailer_id")
    if isinstance(node, str) and node and not _digits(node, (NODE_DIGITS,)):
        errors.append(f"{where}.retail_market_id: {node!r} is not a {NODE_DIGITS}-digit node id")
    if (
        isinstance(operator, str)
        and operator
        and (not _digits(operator, (OPERATOR_DIGITS,)) or not isinstance(node, str) or not operator.startswith(node))
    ):
        errors.append(f"{where}.retailer_id: {operator!r} is not {OPERATOR_DIGITS} digits starting with the node id")
    batch = data.get("batch_id")
    if isinstance(batch, str) and batch and not _digits(batch, (20, 16)):
        errors.append(f"{where}.batch_id: {batch!r} is not a 20-digit (meat) or 16-digit (vegetable) batch id")
    goods = data.get("goods_code")
    if isinstance(goods, str) and goods and not (goods.isascii() and goods.isdigit() and len(goods) <= 20):
        errors.append(f"{where}.goods_code: {goods!r} is not a numeric goods code")
    origin = data.get("area_origin_id")
    if isinstance(origin, str) and origin and not _digits(origin, (6,)):
        errors.append(f"{where}.area_origin_id: {origin!r} is not a 6-digit GB/T 2260 area code")
    for name, pattern, unit in (("weight", _KG, "kg with 3 decimals"), ("price", _YUAN, "yuan with 2 decimals")):
        value = data.get(name)
        if isinstance(value, str) and value and not pattern.match(value):
            errors.append(f"{where}.{name}: {value!r} is not {unit}")
    for name in ("in_date", "sale_date"):
        value = data.get(name)
        if isinstance(value, str) and value:
            try:
                date.fromisoformat(value)
                if len(value) != 10:
                    raise ValueError
            except ValueError:
                errors.append(f"{where}.{name}: {value!r} is not a date YYYY-MM-DD")
    return errors


def check(view: str, data: Any) -> list[str]:
    """What is wrong with one record (empty: nothing)."""
    if view == GOODS_IN:
        if not isinstance(data, dict) or set(data) != {"base", "details"} or not isinstance(data["details"], list):
            return ["goods-in: must hold base and a list of details"]
        errors = _fields(data["base"], BASE_FIELDS, "base") or _codes(data["base"], "base")
        if not data["details"]:
            errors.append("details: a goods-in needs at least one line")
        for i, line in enumerate(data["details"]):
            where = f"details[{i}]"
            errors += _fields(line, DETAIL_FIELDS, where) or _codes(line, where)
            if not errors and line["batch_id"] != data["base"]["batch_id"]:
                errors.append(f"{where}.batch_id: not the base's batch")
        return errors
    if view == SALE:
        errors = _fields(data, SALE_FIELDS, "sale") or _codes(data, "sale")
        if not errors:
            code = data["sale_tran_id"]
            if not _digits(code, (20,)) or not luhn_is_valid(code):
                errors.append(f"sale.sale_tran_id: {code!r} is not a 20-digit trace code with a valid check digit")
            if data["sale_date"] < data["in_date"]:
                errors.append("sale.sale_date: before the goods-in date")
        return errors
    if view == STOP_SALE:
        errors = _fields(data, STOP_FIELDS, "stop") or _codes(data, "stop")
        if not errors:
            try:
                datetime.strptime(data["stop_time"], "%Y-%m-%d %H:%M:%S")
            except ValueError:
                errors.append(f"stop.stop_time: {data['stop_time']!r} is not YYYY-MM-DD HH:MM:SS")
        return errors
    return [f"unknown view {view!r}"]
