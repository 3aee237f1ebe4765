"""A UnionPay acquirer for dynamic EMVCo codes (docs/payment.md, the UnionPay bullet).

Central builds the code itself and registers the order here (``POST {acquirer_base}/orders``)
so the acquirer knows where to notify; query and close are signed JSON posts. Requests carry
``X-Merchant-Signature``, answers and notifications ``X-Acquirer-Signature``: base64
RSA-SHA256 over the exact body bytes. A customer's scan is parsed with ``edge.core.emvco``;
an unregistered code is still paid (amount and bill number from the payload), unnotified.
"""

from __future__ import annotations

import json
import re
from typing import Any

from edge.core import emvco
from simulator.payment.common import ProviderSim, Request, Response, json_bytes
from simulator.payment.keys import rsa_sign, rsa_verify
from simulator.payment.orders import Order, Outgoing, SimError, State, now_ms

PREFIX = "/unionpay"
_ORDER_PATH = re.compile(r"^/unionpay/orders/([^/]+)(/close)?$")
STATUS = {
    State.OPEN: "open",
    State.PAYING: "open",
    State.PAID: "paid",
    State.CLOSED: "closed",
    State.FAILED: "closed",
    State.REVERSED: "closed",
}


class AcquirerError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class UnionpaySim(ProviderSim):
    name = "unionpay"

    @property
    def merchant_account(self) -> str:
        return self.keys.ids["unionpay_merchant_account"]

    def owns_qr(self, qr_content: str) -> bool:
        return qr_content.startswith("000201")  # EMVCo: payload format indicator first

    def handle(self, req: Request) -> Response | None:
        if not (req.path == PREFIX or req.path.startswith(PREFIX + "/")):
            return None
        try:
            if req.method != "POST":
                raise AcquirerError(405, "INVALID_REQUEST", "只接受 POST / only POST is accepted")
            if not rsa_verify(
                self.keys.public("unionpay_merchant"), req.body, req.headers.get("X-Merchant-Signature", "")
            ):
                raise AcquirerError(401, "SIGN_ERROR", "商户签名错误 / X-Merchant-Signature does not verify")
            doc = _json_object(req.body)
            with self.book.lock:
                if req.path == PREFIX + "/orders":
                    order = self._register(doc)
                else:
                    match = _ORDER_PATH.match(req.path)
                    if match is None:
                        raise AcquirerError(404, "NOT_FOUND", f"没有这个接口 / no such API: {req.path}")
                    order = self._close(match.group(1)) if match.group(2) else self._query(match.group(1))
                return self._signed(200, self._order_doc(order))
        except AcquirerError as exc:
            return self._signed(exc.status, {"code": exc.code, "message": exc.message})

    def _signed(self, status: int, doc: dict[str, Any]) -> Response:
        body = json_bytes(doc)
        signature = rsa_sign(self.keys.keys["unionpay_acquirer"], body)
        return Response(
            status, body, {"Content-Type": "application/json; charset=utf-8", "X-Acquirer-Signature": signature}
        )

    @staticmethod
    def _order_doc(order: Order) -> dict[str, Any]:
        return {
            "order_id": order.order_id,
            "amount_fen": order.amount_fen,
            "status": STATUS[order.state],
            "trade_no": order.transaction_id if order.state is State.PAID else "",
            "paid_ms": order.paid_ms if order.state is State.PAID else None,
        }

    def _register(self, doc: dict[str, Any]) -> Order:
        order_id, amount, qr = doc.get("order_id"), doc.get("amount_fen"), doc.get("qr_content")
        if not (
            isinstance(order_id, str) and order_id and isinstance(qr, str) and isinstance(doc.get("notify_url"), str)
        ):
            raise AcquirerError(
                400, "INVALID_REQUEST", "需要 order_id、qr_content、notify_url / order_id, qr_content, notify_url"
            )
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise AcquirerError(400, "INVALID_REQUEST", "amount_fen 须为正整数（分） / amount_fen must be positive fen")
        parsed = self._parse(qr, AcquirerError)
        if parsed.amount_fen != amount or parsed.bill_number != order_id:
            raise AcquirerError(
                400, "INVALID_REQUEST", "二维码金额或账单号与订单不符 / the code's tag 54 / 62-01 differ from the order"
            )
        order = self.book.get(self.name, order_id)
        if order is not None:
            if order.amount_fen != amount or order.qr_content != qr:
                raise AcquirerError(
                    409, "ORDER_EXISTS", "订单号已用于其他金额或二维码 / order_id already registered otherwise"
                )
            if not order.notify_url:  # scanned before central registered it: now we know where to notify
                order.notify_url = doc["notify_url"]
            return order
        expires = doc.get("expires_ms")
        return self.book.add(
            Order(
                provider=self.name,
                order_id=order_id,
                kind="qr",
                amount_fen=amount,
                description=str(doc.get("description", "")),
                notify_url=doc["notify_url"],
                qr_content=qr,
                expires_ms=expires if isinstance(expires, int) and not isinstance(expires, bool) else None,
            )
        )

    def _query(self, order_id: str) -> Order:
        order = self.book.get(self.name, order_id)
        if order is None:
            raise AcquirerError(404, "ORDER_NOT_FOUND", f"订单不存在 / no order {order_id}")
        self.on_query(order)
        return order

    def _close(self, order_id: str) -> Order:
        order = self._query(order_id)
        if order.state is State.PAID:
            raise AcquirerError(409, "ORDER_PAID", "订单已支付，不能关闭 / the order is paid and cannot be closed")
        if order.state in (State.OPEN, State.PAYING):
            order.mark(State.CLOSED, "closed by merchant")
        return order

    def _parse(self, qr: str, error: type[Exception]) -> emvco.ParsedQr:
        try:
            parsed = emvco.parse(qr)
        except emvco.EmvcoError as exc:
            raise _make(error, f"二维码无效 / not a valid EMVCo code: {exc}") from None
        if not parsed.dynamic or parsed.amount_fen is None or not parsed.bill_number:
            raise _make(
                error, "不是带金额和账单号的动态码 / not a dynamic code with amount (54) and bill number (62-01)"
            )
        if self.merchant_account not in _account_values(parsed):
            raise _make(error, f"二维码的商户号不是本商户 {self.merchant_account} / the code's merchant is not ours")
        return parsed

    def order_for_scan(self, qr_content: str) -> Order:
        order = self.book.by_qr(qr_content)
        if order is not None:
            return order
        parsed = self._parse(qr_content, SimError)
        with self.book.lock:
            order = self.book.get(self.name, parsed.bill_number)
            if order is not None:
                raise SimError(
                    409, "账单号已用于另一个二维码", f"order {parsed.bill_number} was registered with another code"
                )
            assert parsed.amount_fen is not None
            return self.book.add(Order(self.name, parsed.bill_number, "qr", parsed.amount_fen, qr_content=qr_content))

    def notification(self, order: Order) -> Outgoing | None:
        if not order.notify_url:
            return None
        body = json_bytes(
            {
                "order_id": order.order_id,
                "amount_fen": order.amount_fen,
                "status": STATUS[order.state],
                "trade_no": order.transaction_id,
                "paid_ms": order.paid_ms if order.paid_ms is not None else now_ms(),
            }
        )
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Acquirer-Signature": rsa_sign(self.keys.keys["unionpay_acquirer"], body),
        }
        return Outgoing(order.notify_url, headers, body)

    def accepted(self, status: int, body: bytes) -> bool:
        return 200 <= status < 300


def _account_values(parsed: emvco.ParsedQr) -> set[str]:
    """Every merchant account value in the code: primitive tags 02-25 and template sub-fields 26-51."""
    values: set[str] = set()
    for tag, value in parsed.fields.items():
        if 2 <= int(tag) <= 25:
            values.add(value)
        elif 26 <= int(tag) <= 51:
            try:
                values.update(parsed.template(tag).values())
            except emvco.EmvcoError:  # a template that is not TLV inside names no account of ours
                continue
    return values


def _make(error: type[Exception], message: str) -> Exception:
    if error is SimError:
        return SimError(400, message.split(" / ")[0], message)
    return AcquirerError(400, "INVALID_REQUEST", message)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        raise AcquirerError(400, "INVALID_REQUEST", "请求体不是JSON / body is not JSON") from None
    if not isinstance(doc, dict):
        raise AcquirerError(400, "INVALID_REQUEST", "请求体须为JSON对象 / body must be a JSON object")
    return doc
