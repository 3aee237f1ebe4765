"""The payment conversation between a scale and central (docs/payment.md), as records.

Pure: building and checking ``payment/1`` messages, order ids and 付款码 classification.
The scale (edge/payment) and central (central/payment) both speak through these types, so
the wire format is written once. Signing is not done here: central signs results with its
document key and the scale verifies them like any other central document.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

SCHEMA = "payment/1"
QR_METHODS = ("wechat", "alipay", "unionpay")
CLOSE_REASONS = ("cash", "cancel", "timeout")
MAX_ATTEMPTS = 99


class PaymentMessageError(ValueError):
    """A payment message that does not follow docs/payment.md; the text says which field."""


class RequestType(StrEnum):
    CREATE = "create"
    MICROPAY = "micropay"
    QUERY = "query"
    CLOSE = "close"


class ResultStatus(StrEnum):
    QR = "qr"  # show qr_content to the customer until expires_ms
    PAYING = "paying"  # customer-presented code: the customer is confirming on the phone
    PAID = "paid"
    CLOSED = "closed"  # no money taken; the order can no longer be paid
    FAILED = "failed"  # no order (provider refused, no account, bad request): message says why


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """Scale -> central. ``sale`` is the signed ``Sale.to_dict()`` for create and micropay."""

    type: RequestType
    request_id: str
    sale_id: str
    method: str = ""  # create: wechat | alipay | unionpay
    sale: dict[str, Any] | None = None
    auth_code: str = ""  # micropay: the customer's 付款码
    reason: str = ""  # close: cash | cancel | timeout
    sent_ms: int = 0

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"schema": SCHEMA, "type": str(self.type), "request_id": self.request_id}
        if self.sale is not None:
            doc["sale"] = self.sale
        else:
            doc["sale_id"] = self.sale_id
        if self.type is RequestType.CREATE:
            doc["method"] = self.method
        if self.type is RequestType.MICROPAY:
            doc["auth_code"] = self.auth_code
        if self.type is RequestType.CLOSE:
            doc["reason"] = self.reason
        doc["sent_ms"] = self.sent_ms
        return doc

    @classmethod
    def from_dict(cls, doc: Any) -> PaymentRequest:
        _check_schema(doc)
        try:
            kind = RequestType(doc.get("type"))
        except ValueError:
            raise PaymentMessageError(f"type must be one of {[t.value for t in RequestType]}") from None
        request_id = _text(doc, "request_id", max_len=64)
        sale = doc.get("sale")
        if kind in (RequestType.CREATE, RequestType.MICROPAY):
            if not isinstance(sale, dict):
                raise PaymentMessageError(f"{kind} needs the signed sale as an object in 'sale'")
            sale_id = _text(sale, "sale_id", max_len=64)
        else:
            sale, sale_id = None, _text(doc, "sale_id", max_len=64)
        method = auth_code = reason = ""
        if kind is RequestType.CREATE:
            method = _text(doc, "method")
            if method not in QR_METHODS:
                raise PaymentMessageError(f"method must be one of {list(QR_METHODS)}, got {method!r}")
        if kind is RequestType.MICROPAY:
            auth_code = _text(doc, "auth_code", max_len=32)
            code_provider(auth_code)  # refuse a code no provider issues
        if kind is RequestType.CLOSE:
            reason = _text(doc, "reason")
            if reason not in CLOSE_REASONS:
                raise PaymentMessageError(f"reason must be one of {list(CLOSE_REASONS)}, got {reason!r}")
        sent = doc.get("sent_ms", 0)
        if not isinstance(sent, int) or isinstance(sent, bool) or sent < 0:
            raise PaymentMessageError("sent_ms must be epoch milliseconds")
        return cls(kind, request_id, sale_id, method, sale, auth_code, reason, sent)


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """Central -> scale (signed by central; the signature is added and checked outside)."""

    request_id: str
    sale_id: str
    order_id: str
    method: str
    status: ResultStatus
    amount_fen: int
    qr_content: str = ""
    expires_ms: int = 0
    provider_ref: str = ""
    message_zh: str = ""
    message: str = ""
    sent_ms: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "type": "result",
            "request_id": self.request_id,
            "sale_id": self.sale_id,
            "order_id": self.order_id,
            "method": self.method,
            "status": str(self.status),
            "amount_fen": self.amount_fen,
            "qr_content": self.qr_content,
            "expires_ms": self.expires_ms,
            "provider_ref": self.provider_ref,
            "message_zh": self.message_zh,
            "message": self.message,
            "sent_ms": self.sent_ms,
        }

    @classmethod
    def from_dict(cls, doc: Any) -> PaymentResult:
        _check_schema(doc)
        if doc.get("type") != "result":
            raise PaymentMessageError("not a result (type must be 'result')")
        try:
            status = ResultStatus(doc.get("status"))
        except ValueError:
            raise PaymentMessageError(f"status must be one of {[s.value for s in ResultStatus]}") from None
        numbers = {}
        for name in ("amount_fen", "expires_ms", "sent_ms"):
            value = doc.get(name, 0)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise PaymentMessageError(f"{name} must be a non-negative integer")
            numbers[name] = value
        return cls(
            request_id=_text(doc, "request_id", max_len=64, empty=True),
            sale_id=_text(doc, "sale_id", max_len=64),
            order_id=_text(doc, "order_id", max_len=64, empty=True),
            method=_text(doc, "method", max_len=16, empty=True),
            status=status,
            qr_content=_text(doc, "qr_content", max_len=512, empty=True),
            provider_ref=_text(doc, "provider_ref", max_len=64, empty=True),
            message_zh=_text(doc, "message_zh", max_len=200, empty=True),
            message=_text(doc, "message", max_len=200, empty=True),
            **numbers,
        )


def order_id(trace_code: str, attempt: int) -> str:
    """The providers' out_trade_no: the 20-digit trace code plus a two-digit attempt."""
    if not (len(trace_code) == 20 and trace_code.isdigit()):
        raise PaymentMessageError(f"trace code must be 20 digits, got {trace_code!r}")
    if not 1 <= attempt <= MAX_ATTEMPTS:
        raise PaymentMessageError(f"attempt must be 1-{MAX_ATTEMPTS}, got {attempt}")
    return f"{trace_code}{attempt:02d}"


def code_provider(auth_code: str) -> str:
    """Which provider issued a customer's 付款码: 'wechat' or 'alipay'.

    WeChat: 18 digits starting 10-15. Alipay: 16-24 digits starting 25-30.
    """
    code = auth_code.strip()
    if not code.isdigit():
        raise PaymentMessageError("付款码 must be digits only; scan the customer's code again")
    head = int(code[:2]) if len(code) >= 2 else -1
    if len(code) == 18 and 10 <= head <= 15:
        return "wechat"
    if 16 <= len(code) <= 24 and 25 <= head <= 30:
        return "alipay"
    raise PaymentMessageError(
        f"{code[:4]}… ({len(code)} digits) is not a WeChat or Alipay 付款码; ask the customer to refresh the code"
    )


def _check_schema(doc: Any) -> None:
    if not isinstance(doc, dict):
        raise PaymentMessageError("a payment message must be a JSON object")
    if doc.get("schema") != SCHEMA:
        raise PaymentMessageError(f"schema must be {SCHEMA!r}, got {doc.get('schema')!r}")


def _text(doc: dict[str, Any], name: str, *, max_len: int = 32, empty: bool = False) -> str:
    value = doc.get(name, "" if empty else None)
    if not isinstance(value, str) or (not value and not empty) or len(value) > max_len:
        raise PaymentMessageError(f"{name} must be a {'' if empty else 'non-empty '}string of at most {max_len} chars")
    return value
