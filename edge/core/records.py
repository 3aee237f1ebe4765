"""Record types shared by edge, simulator and central (DESIGN.md, Records).

Money is integer fen, weight integer grams, time UTC epoch milliseconds.
``to_dict``/``from_dict`` give the JSON shape used on the wire and in the outbox.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from enum import StrEnum
from typing import Any

from edge.core.eventlog import canonical_json


class Pricing(StrEnum):
    WEIGHT = "weight"  # unit price in fen per kg
    PIECE = "piece"  # unit price in fen per piece


class PaymentMethod(StrEnum):
    CASH = "cash"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    UNIONPAY = "unionpay"
    STATIC_QR = "static_qr"  # offline static EMVCo code, vendor confirms


class PaymentStatus(StrEnum):
    PAID = "paid"
    PENDING = "pending"
    UNCONFIRMED = "unconfirmed"
    FAILED = "failed"
    REFUNDED = "refunded"


@dataclass(frozen=True, slots=True)
class Plu:
    """One catalog item (price look-up)."""

    plu: str  # digits, e.g. "1001"
    name: str  # Chinese name, e.g. "白菜"
    goods_code: str  # national product code
    pricing: Pricing
    unit_price_fen: int  # per kg (weight) or per piece
    category: str = ""
    hotkey: int | None = None  # position on the hotkey grid
    name_en: str = ""
    # Bounds central sets for the vendor's own price (None: edge.core.prices' default, +-50 %)
    price_min_fen: int | None = None
    price_max_fen: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _PLU_FIELDS}

    @classmethod
    def from_dict(cls, data: Any) -> Plu:
        """A catalog entry from JSON, type-checked; raises ValueError saying what is wrong.

        Keys this version does not know are ignored, so an older scale still takes a
        catalog from a newer central.
        """
        if not isinstance(data, dict):
            raise ValueError(f"a catalog entry must be an object, got {data!r}")
        try:
            pricing = Pricing(data.get("pricing"))
        except ValueError:
            raise ValueError(f"PLU {data.get('plu')!r}: pricing must be weight or piece") from None
        hotkey = data.get("hotkey")
        if hotkey is not None and not _is_count(hotkey):
            raise ValueError(f"PLU {data.get('plu')!r}: hotkey must be a whole number or null, got {hotkey!r}")
        plu = _text(data, "plu")
        if not plu.isdigit():
            raise ValueError(f"PLU {plu!r} must be digits")
        bounds = {key: _optional_count(data, key) for key in ("price_min_fen", "price_max_fen")}
        low, high = bounds["price_min_fen"], bounds["price_max_fen"]
        if low is not None and high is not None and low > high:
            raise ValueError(f"PLU {plu}: price_min_fen {low} is above price_max_fen {high}")
        return cls(
            plu=plu,
            name=_text(data, "name"),
            goods_code=_text(data, "goods_code"),
            pricing=pricing,
            unit_price_fen=_count(data, "unit_price_fen"),
            category=_text(data, "category", optional=True),
            hotkey=hotkey,
            name_en=_text(data, "name_en", optional=True),
            **bounds,
        )


@dataclass(frozen=True, slots=True)
class Batch:
    """An incoming batch (进货批次) a sale line binds to."""

    batch_id: str
    plu: str
    supplier: str  # supplier's name
    supplier_node: str  # supplier's node code on the trace platform
    upstream_code: str  # upstream ticket / trace code
    origin: str  # 产地
    certificate: str  # quarantine / inspection certificate number
    arrival_date: str  # ISO date, local
    active: bool = True
    weight_g: int = 0  # goods-in weight (0: not given)
    rapid_test: str = ""  # 快检 result as registered: "" (none), "pass" or "fail"
    stop_reason: str = ""  # set by central's stop-sale (停售): why the batch must not be sold

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _BATCH_FIELDS}

    @classmethod
    def from_dict(cls, data: Any) -> Batch:
        """A batch from JSON, type-checked (unknown keys ignored); raises ValueError."""
        if not isinstance(data, dict):
            raise ValueError(f"a batch must be an object, got {data!r}")
        active = data.get("active", True)
        if not isinstance(active, bool):
            raise ValueError(f"batch {data.get('batch_id')!r}: active must be true or false, got {active!r}")
        values: dict[str, Any] = {key: _text(data, key) for key in _BATCH_REQUIRED}
        if not (values["batch_id"] and values["plu"]):
            raise ValueError("a batch needs a batch_id and a plu")
        weight = data.get("weight_g", 0)
        if not _is_count(weight):
            raise ValueError(f"batch {values['batch_id']!r}: weight_g must be a whole number >= 0, got {weight!r}")
        rapid = _text(data, "rapid_test", optional=True)
        if rapid not in RAPID_TEST_RESULTS:
            raise ValueError(f"batch {values['batch_id']!r}: rapid_test must be '', 'pass' or 'fail', got {rapid!r}")
        stop = _text(data, "stop_reason", optional=True)
        return cls(**values, active=active and not stop, weight_g=weight, rapid_test=rapid, stop_reason=stop)

    @property
    def stopped(self) -> bool:
        """Central has stopped sales from this batch (停售)."""
        return bool(self.stop_reason)


@dataclass(frozen=True, slots=True)
class Payment:
    method: PaymentMethod = PaymentMethod.CASH
    status: PaymentStatus = PaymentStatus.PAID
    provider_ref: str = ""


@dataclass(frozen=True, slots=True)
class SaleLine:
    plu: str
    goods_code: str
    name: str
    pricing: Pricing
    net_g: int  # 0 for piece pricing
    tare_g: int
    quantity: int  # pieces for piece pricing, 1 for weight pricing
    unit_price_fen: int
    amount_fen: int
    batch_id: str
    origin: str


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _text(data: dict[str, Any], key: str, *, optional: bool = False) -> str:
    value = data.get(key, "" if optional else None)
    if not isinstance(value, str):
        raise ValueError(f"field {key!r} must be a string, got {value!r}")
    return value


def _optional_count(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is not None and not _is_count(value):
        raise ValueError(f"field {key!r} must be a whole number >= 0 or null, got {value!r}")
    return value


def _count(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if not _is_count(value):
        raise ValueError(f"field {key!r} must be a whole number >= 0, got {value!r}")
    return value  # type: ignore[return-value]


_PLU_FIELDS = tuple(f.name for f in fields(Plu))
_BATCH_FIELDS = tuple(f.name for f in fields(Batch))
_BATCH_REQUIRED = tuple(f.name for f in fields(Batch) if f.default is MISSING)
RAPID_TEST_RESULTS = ("", "pass", "fail")
# Left out of the sale signature: what changes after the commit (payment, printed and the
# signed state that carries them) and the signature itself.
_UNSIGNED_FIELDS = frozenset({"signature", "printed", "payment", "state_no", "state_signature"})
STATE_PREFIX = b"trace-sale-state/1\n"  # a state signature can never pass for another document's


@dataclass(frozen=True, slots=True)
class Sale:
    """One ticket. ``total_fen`` is what the customer pays (after ``rounding_fen``)."""

    sale_id: str
    seq: int
    trace_code: str
    market_id: str
    scale_id: str
    merchant_id: str
    stall: str
    operator: str
    created_ms: int
    lines: tuple[SaleLine, ...]
    total_fen: int
    rounding_fen: int = 0  # 抹零: fen taken off the lines' sum (>= 0)
    payment: Payment = field(default_factory=Payment)
    printed: bool = False
    software_id: str = ""
    signature: str = ""
    refund_of: str | None = None  # sale_id of the original sale for a refund record
    state_no: int = 0  # 0 at commit, +1 with every payment/printed update (docs/sync.md)
    state_signature: str = ""  # device signature over state_payload(); "" from scales before it

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape. Built field by field: ``dataclasses.asdict`` deep-copies every
        immutable scalar and cost most of a sale commit's CPU time."""
        out = {name: getattr(self, name) for name in _SALE_FIELDS}
        out["lines"] = [{name: getattr(line, name) for name in _LINE_FIELDS} for line in self.lines]
        out["payment"] = {name: getattr(self.payment, name) for name in _PAYMENT_FIELDS}
        return out

    def signing_payload(self) -> bytes:
        """The bytes the device key signs: everything fixed at commit.

        Payment status and the printed flag change after the commit, and the signature
        cannot sign itself, so those three are left out; edge and central share this.
        """
        return signing_bytes(signed_body(self.to_dict()))

    def state_payload(self) -> bytes:
        """The bytes the device key signs for this state of the sale (:func:`state_bytes`)."""
        return state_bytes(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sale:
        """Rebuild a sale from its JSON shape; raises ValueError/KeyError/TypeError on a bad one."""
        unknown = data.keys() - SALE_FIELDS
        if unknown:
            raise ValueError(f"unknown sale fields: {sorted(unknown)}")
        lines = tuple(
            SaleLine(**{**line, "pricing": Pricing(line["pricing"])}) for line in data["lines"]
        )
        pay = data.get("payment") or {}
        payment = Payment(
            method=PaymentMethod(pay.get("method", "cash")),
            status=PaymentStatus(pay.get("status", "paid")),
            provider_ref=pay.get("provider_ref", ""),
        )
        return cls(**{**data, "lines": lines, "payment": payment})


_SALE_FIELDS = tuple(f.name for f in fields(Sale))
SALE_FIELDS = frozenset(_SALE_FIELDS)
_LINE_FIELDS = tuple(f.name for f in fields(SaleLine))
_PAYMENT_FIELDS = tuple(f.name for f in fields(Payment))
LINE_FIELDS = frozenset(_LINE_FIELDS)
# What Sale.to_dict() holds for a field a sale's JSON may leave out.
SALE_DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in fields(Sale) if f.default is not MISSING and f.name != "payment"
}
PAYMENT_DEFAULTS: dict[str, str] = {name: str(getattr(Payment(), name)) for name in _PAYMENT_FIELDS}


def signed_body(sale: dict[str, Any]) -> dict[str, Any]:
    """The part of a sale's complete JSON shape (as ``to_dict`` gives it) the device key signs."""
    return {k: v for k, v in sale.items() if k not in _UNSIGNED_FIELDS}


def signing_bytes(body: dict[str, Any]) -> bytes:
    """The encoding a device key signs: the event log's canonical JSON, as UTF-8."""
    return canonical_json(body).encode()


def state_bytes(sale: Mapping[str, Any], encode: Callable[[Any], bytes] = signing_bytes) -> bytes:
    """What a sale's ``state_signature`` covers: its payment and printed flag at ``state_no``,
    bound to the exact sale (SHA-256 of its signed body, and its sale signature).

    ``STATE_PREFIX`` + canonical JSON of ``{"body_sha256", "payment", "printed", "sale_id",
    "scale_id", "signature", "state_no"}``. ``encode`` must give the bytes of
    :func:`signing_bytes` (central passes orjson's equal, faster encoder).
    """
    body = {k: v for k, v in sale.items() if k not in _UNSIGNED_FIELDS}
    state = {
        "body_sha256": hashlib.sha256(encode(body)).hexdigest(),
        "payment": sale["payment"],
        "printed": sale["printed"],
        "sale_id": sale["sale_id"],
        "scale_id": sale["scale_id"],
        "signature": sale["signature"],
        "state_no": sale["state_no"],
    }
    return STATE_PREFIX + encode(state)


@dataclass(frozen=True, slots=True)
class PrintJob:
    """A queued ticket print; kept in the store until the printer has taken it."""

    job_id: int
    sale_id: str
    kind: str = "ticket"  # "ticket" | "reprint"
    attempts: int = 0
    last_error: str = ""
