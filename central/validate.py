"""Schema checks of what the scales publish (docs/sync.md): sales/1, status/1, events/1.

A message-level problem (not JSON, wrong schema, topic/scale mismatch, broken oseq run)
rejects the whole message; a problem with one sale rejects that item only, so the
scale's good sales around it still get stored (the watermark stops before the bad one).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import orjson

from edge.core.eventlog import EventEntry
from edge.core.records import (
    LINE_FIELDS,
    PAYMENT_DEFAULTS,
    SALE_DEFAULTS,
    SALE_FIELDS,
    PaymentMethod,
    PaymentStatus,
    Pricing,
    Sale,
    SaleLine,
)
from edge.core.tracecode import TRACE_CODE_LENGTH, TraceCodeError, luhn_is_valid, parse_trace_code

MAX_MESSAGE_BYTES = 1024 * 1024  # sync.md allows 256 KiB, or one larger sale; far above that is junk
SALES_SCHEMA, STATUS_SCHEMA, EVENTS_SCHEMA = "sales/1", "status/1", "events/1"
KINDS = frozenset({"sale", "sale_update"})
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # what the databases store; a bigger number is refused, not an error


class Rejected(ValueError):
    """Why a message or item is refused: a short ``reason`` code and a readable ``detail``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Topic:
    market_id: str
    scale_id: str
    kind: str  # "sales" | "status" | "events"

    @classmethod
    def parse(cls, topic: str) -> Topic:
        parts = topic.split("/")
        if len(parts) != 5 or parts[:2] != ["trace", "v1"] or not parts[2] or not parts[3]:
            raise Rejected("bad_topic", f"topic {topic!r} is not trace/v1/MARKET/SCALE/KIND")
        return cls(parts[2], parts[3], parts[4])


@dataclass(frozen=True, slots=True)
class SalesItem:
    oseq: int
    kind: str
    sale: dict[str, Any]  # the checked, complete JSON shape (check_sale)


@dataclass(frozen=True, slots=True)
class BadItem:
    oseq: int
    reason: str
    detail: str
    raw: Any


@dataclass(frozen=True, slots=True)
class SalesBatch:
    scale_id: str
    first: int
    last: int
    items: list[SalesItem | BadItem]


MAX_DEPTH = 32  # nesting of status, events and payment documents; a real one is a few levels deep


def load_json(payload: bytes, *, max_depth: int | None = MAX_DEPTH) -> dict[str, Any]:
    """The JSON object in ``payload``, or Rejected saying why not.

    orjson is strict where the json module is lenient: UTF-8 only (no lone surrogates,
    escaped or not), no NaN/Infinity, integers within 64 bits. It takes nesting up to 1,024
    levels, deeper than repr or the json module can go, so documents whose every level is
    not checked field by field are held to ``max_depth`` (sales/1 is: ``max_depth=None``
    skips the walk, which would cost as much as the parse).
    """
    if len(payload) > MAX_MESSAGE_BYTES:
        raise Rejected("too_large", f"{len(payload)} bytes, more than the {MAX_MESSAGE_BYTES} central accepts")
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise Rejected("not_json", f"payload is not UTF-8 JSON ({str(exc)[:200]})") from None
    if not isinstance(doc, dict):
        raise Rejected("bad_schema", f"payload is a JSON {type(doc).__name__}, not an object")
    if max_depth is not None and not _depth_within(doc, max_depth):
        raise Rejected("bad_schema", f"payload nests objects or arrays more than {max_depth} levels deep")
    return doc


def _depth_within(doc: dict[str, Any], limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return False
        for child in value.values() if type(value) is dict else value:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))
    return True


def parse_sales(doc: dict[str, Any], topic: Topic) -> SalesBatch:
    """The sales/1 batch, with each item either parsed or marked bad."""
    _expect_schema(doc, SALES_SCHEMA)
    _expect_scale(doc, topic)
    first, last, items = doc.get("first"), doc.get("last"), doc.get("items")
    if not (_is_int(first) and _is_int(last) and 1 <= first <= last):
        got = f"{brief(first)}/{brief(last)}"
        raise Rejected("bad_schema", f"first/last must be integers with 1 <= first <= last, got {got}")
    if not isinstance(items, list) or len(items) != last - first + 1:
        count = len(items) if isinstance(items, list) else "no"
        raise Rejected("bad_schema", f"items must hold oseq {first}..{last} ({last - first + 1} items), got {count}")
    parsed: list[SalesItem | BadItem] = []
    for expected, item in enumerate(items, start=first):
        if not isinstance(item, dict) or item.get("oseq") != expected or isinstance(item.get("oseq"), bool):
            got = item.get("oseq") if isinstance(item, dict) else item
            raise Rejected(
                "bad_schema", f"items must be objects with contiguous oseq; expected {expected}, got {brief(got)}"
            )
        parsed.append(_parse_item(item, expected, topic))
    return SalesBatch(topic.scale_id, first, last, parsed)


def _parse_item(item: dict[str, Any], oseq: int, topic: Topic) -> SalesItem | BadItem:
    kind = item.get("kind")
    try:
        if type(kind) is not str or kind not in KINDS:
            raise Rejected("bad_schema", f"item kind {brief(kind)} is not sale or sale_update")
        sale = check_sale(item.get("sale"))
        if sale["scale_id"] != topic.scale_id or sale["market_id"] != topic.market_id:
            raise Rejected(
                "scale_mismatch",
                f"sale {sale['sale_id']} is from {sale['market_id']}/{sale['scale_id']} but came on "
                f"{topic.market_id}/{topic.scale_id}'s topic",
            )
    except Rejected as exc:
        return BadItem(oseq, exc.reason, exc.detail, item)
    return SalesItem(oseq, str(kind), sale)


# JSON decoding gives exact types, so ``type(v) in allowed`` is both strict (a bool is not
# an int here) and cheap: this runs for every sale at thousands per second.
_STR, _INT = frozenset({str}), frozenset({int})
_SALE_TYPES: tuple[tuple[str, frozenset[type]], ...] = (
    ("sale_id", _STR), ("seq", _INT), ("trace_code", _STR), ("market_id", _STR), ("scale_id", _STR),
    ("merchant_id", _STR), ("stall", _STR), ("operator", _STR), ("created_ms", _INT), ("lines", frozenset({list})),
    ("total_fen", _INT), ("rounding_fen", _INT), ("payment", frozenset({dict})), ("printed", frozenset({bool})),
    ("software_id", _STR), ("signature", _STR), ("refund_of", frozenset({str, type(None)})),
    ("state_no", _INT), ("state_signature", _STR),
)  # fmt: skip
_LINE_TYPES: tuple[tuple[str, frozenset[type]], ...] = tuple(
    (f.name, _INT if f.type == "int" else _STR) for f in fields(SaleLine)
)
# A sale's JSON may leave out what Sale has a default for, except its signature.
_OPTIONAL = frozenset(SALE_DEFAULTS.keys() - {"signature"} | {"payment"})


_PAYMENT_VALUES = {
    "method": frozenset(m.value for m in PaymentMethod), "status": frozenset(s.value for s in PaymentStatus),
}  # fmt: skip
_PRICINGS = frozenset(p.value for p in Pricing)


def check_sale(data: object) -> dict[str, Any]:
    """A sale's JSON shape with every field's type and value checked, completed with the
    defaults ``Sale.to_dict`` would hold, so it can be stored and its signature checked
    without building a Sale (ingest runs this for every sale at thousands per second)."""
    if type(data) is not dict:
        raise Rejected("bad_sale", "sale is not a JSON object")
    for name, allowed in _SALE_TYPES:
        value = data.get(name, _MISSING)
        if type(value) not in allowed:
            if value is _MISSING and name in _OPTIONAL:
                continue
            what = "is missing" if value is _MISSING else f"has the wrong type ({type(value).__name__})"
            raise Rejected("bad_sale", f"sale {brief(data.get('sale_id'))}: {name} {what}")
        if type(value) is int and not INT64_MIN <= value <= INT64_MAX:
            raise Rejected("bad_sale", f"sale {brief(data.get('sale_id'))}: {name} is out of the 64-bit range")
    where = f"sale {data['sale_id']!r}"
    unknown = data.keys() - SALE_FIELDS
    if unknown:
        raise Rejected("bad_sale", f"{where} has unknown fields {sorted(unknown)[:10]}")
    if not data["lines"]:
        raise Rejected("bad_sale", f"{where} has no lines")
    for number, line in enumerate(data["lines"], start=1):
        if type(line) is not dict or line.keys() != LINE_FIELDS:
            raise Rejected("bad_sale", f"{where} line {number} must have exactly the fields {sorted(LINE_FIELDS)}")
        for name, allowed in _LINE_TYPES:
            if type(line[name]) not in allowed:
                raise Rejected("bad_sale", f"{where} line {number}: {name} has the wrong type")
            if type(line[name]) is int and not INT64_MIN <= line[name] <= INT64_MAX:
                raise Rejected("bad_sale", f"{where} line {number}: {name} is out of the 64-bit range")
        if line["pricing"] not in _PRICINGS:
            raise Rejected("bad_sale", f"{where} line {number}: pricing {line['pricing']!r} is not weight or piece")
    payment = {**PAYMENT_DEFAULTS, **(data.get("payment") or {})}
    if not all(type(payment[k]) is str for k in PAYMENT_DEFAULTS):
        raise Rejected("bad_sale", f"{where}: payment method/status/provider_ref must be strings")
    for name, values in _PAYMENT_VALUES.items():
        if payment[name] not in values:
            raise Rejected("bad_sale", f"{where}: payment {name} {payment[name]!r} is not one of {sorted(values)}")
    if not data["sale_id"] or data["seq"] < 1:
        raise Rejected("bad_sale", f"{where}: needs a sale_id and seq >= 1")
    if data.get("state_no", 0) < 0:
        raise Rejected("bad_sale", f"{where}: state_no must be >= 0")
    code = data["trace_code"]
    if not (len(code) == TRACE_CODE_LENGTH and code.isascii() and code.isdigit() and luhn_is_valid(code)):
        try:  # the slow path only to say exactly what is wrong
            parse_trace_code(code)
            raise TraceCodeError("trace_code_form", "", "not 20 plain digits")
        except TraceCodeError as exc:
            raise Rejected("bad_sale", f"{where}: trace code {code!r}: {exc.en}") from None
    return {**SALE_DEFAULTS, **data, "payment": {k: payment[k] for k in PAYMENT_DEFAULTS}}


def parse_sale(data: object) -> Sale:
    """A Sale from its JSON shape, every field checked (``check_sale``)."""
    return Sale.from_dict(check_sale(data))


_MISSING = object()


def parse_status(doc: dict[str, Any], topic: Topic) -> dict[str, Any]:
    """The status/1 fields central keeps (the will message has only ``online: false``)."""
    _expect_schema(doc, STATUS_SCHEMA)
    _expect_scale(doc, topic)
    if not isinstance(doc.get("online"), bool):
        raise Rejected("bad_schema", "status needs online: true/false")
    out: dict[str, Any] = {"online": doc["online"]}
    for name in ("backlog", "oldest_unacked_ms", "last_sale_ms", "last_event_id", "sent_ms"):
        value = doc.get(name)
        if value is not None and not _is_int(value):
            raise Rejected("bad_schema", f"status {name} must be an integer or null, got {brief(value)}")
        out[name] = value
    for name in ("software_id", "printer", "last_event_hash", "numbering"):
        value = doc.get(name)
        if value is not None and not isinstance(value, str):
            raise Rejected("bad_schema", f"status {name} must be text or null, got {brief(value)}")
        out[name] = value
    out.update(_status_protection(doc.get("protection")))
    return out


LOCK_STATES = frozenset({"unlocked", "locked-by-change", "locked-remotely"})


def _status_protection(value: Any) -> dict[str, Any]:
    """``protection`` of a heartbeat (absent from older scales and from the will: nulls)."""
    if value is None:
        return {"lock_state": None, "legal_changes": None}
    if not isinstance(value, dict):
        raise Rejected("bad_schema", f"status protection must be an object, got {brief(value)}")
    state, counter = value.get("state"), value.get("legal_changes")
    if state not in LOCK_STATES:
        raise Rejected(
            "bad_schema", f"status protection.state must be one of {sorted(LOCK_STATES)}, got {brief(state)}"
        )
    if not _is_int(counter) or counter < 0:
        raise Rejected("bad_schema", f"status protection.legal_changes must be a count, got {brief(counter)}")
    return {"lock_state": state, "legal_changes": counter}


def parse_events(doc: dict[str, Any], topic: Topic) -> list[EventEntry]:
    _expect_schema(doc, EVENTS_SCHEMA)
    _expect_scale(doc, topic)
    events = doc.get("events")
    if not isinstance(events, list):
        raise Rejected("bad_schema", "events/1 needs an events list")
    out = []
    for raw in events:
        try:
            entry = EventEntry(**raw)
        except TypeError as exc:
            raise Rejected("bad_schema", f"event entry does not have the EventEntry fields ({exc})") from None
        if not (_is_int(entry.id) and _is_int(entry.created_ms) and isinstance(entry.data, dict)):
            raise Rejected("bad_schema", f"event {brief(entry.id)}: id/created_ms must be integers and data an object")
        if not all(isinstance(v, str) for v in (entry.kind, entry.prev_hash, entry.hash)):
            raise Rejected("bad_schema", f"event {entry.id}: kind, prev_hash and hash must be text")
        out.append(entry)
    return out


def _expect_schema(doc: dict[str, Any], schema: str) -> None:
    if doc.get("schema") != schema:
        raise Rejected("bad_schema", f"schema is {brief(doc.get('schema'))}, expected {schema!r}")


def _expect_scale(doc: dict[str, Any], topic: Topic) -> None:
    if doc.get("scale_id") != topic.scale_id:
        raise Rejected(
            "scale_mismatch", f"message says scale_id {brief(doc.get('scale_id'))} on scale {topic.scale_id!r}'s topic"
        )


def brief(value: object) -> str:
    """A sender's value for an error message: short, and never the repr of a deep structure
    (orjson takes nesting up to 1,024 levels, deeper than repr can go)."""
    if isinstance(value, dict | list):
        return f"a JSON {'object' if isinstance(value, dict) else 'array'}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and INT64_MIN <= value <= INT64_MAX


def _typed(value: object, kind: type | tuple[type, ...]) -> bool:
    if kind is int:
        return _is_int(value)
    return isinstance(value, kind)
