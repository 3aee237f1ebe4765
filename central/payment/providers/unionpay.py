"""UnionPay through an acquirer: central builds the dynamic EMVCo MPM code itself and
registers, queries and closes the order at the acquirer (docs/payment.md, UnionPay bullet).

The acquirer's API is the one each acquiring bank defines for itself; ours is the small
signed-JSON one the contract fixes: requests signed with the merchant key in
``X-Merchant-Signature``, answers and notifications with the acquirer key in
``X-Acquirer-Signature`` (base64 SHA256withRSA over the body bytes).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from central.payment.providers.base import (
    Notification,
    NotificationRejected,
    OrderRequest,
    OrderState,
    ProviderError,
    ProviderOrder,
    after_refused_close,
    provider_unavailable,
)
from central.payment.providers.http import HttpResponse, request
from central.payment.providers.signing import rsa_sign, rsa_verify
from edge.core.emvco import EmvcoError, MerchantQr, accounts

UNIONPAY_GUID = "A000000333010108"  # tag 26 sub-tag 00: UnionPay's application identifier
STATUSES = {"open": OrderState.OPEN, "paid": OrderState.PAID, "closed": OrderState.CLOSED, "failed": OrderState.FAILED}


def _rejected(why: str) -> NotificationRejected:
    return NotificationRejected(
        f"银联收单机构消息未通过校验（{why}），已拒收；若持续出现请检查收单机构公钥配置",
        f"UnionPay acquirer message refused: {why}; if this persists check the acquirer public key in the config",
    )


class UnionPay:
    name = "unionpay"
    CONFIG_KEYS = (
        "acquirer_base",
        "merchant_account",
        "merchant_name",
        "merchant_city",
        "mcc",
        "private_key_pem",
        "acquirer_public_key_pem",
    )

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.base = str(config["acquirer_base"]).rstrip("/")
        self.merchant_account = str(config["merchant_account"])
        self.merchant_name, self.merchant_city = str(config["merchant_name"]), str(config["merchant_city"])
        self.mcc = str(config["mcc"])
        self.private_key_pem, self.acquirer_public_key_pem = (
            str(config["private_key_pem"]),
            str(config["acquirer_public_key_pem"]),
        )

    def qr_payload(self, req: OrderRequest) -> str:
        """The dynamic code: amount in tag 54, the order id as bill number (tag 62/01)."""
        try:
            return MerchantQr(
                merchant_name=self.merchant_name,
                merchant_city=self.merchant_city,
                category_code=self.mcc,
                accounts=accounts(("26", [("00", UNIONPAY_GUID), ("01", self.merchant_account)])),
                amount_fen=req.amount_fen,
                bill_number=req.order_id,
            ).payload()
        except EmvcoError as exc:
            raise ProviderError(
                f"无法生成银联收款码：{exc}；请检查商户名称、城市、MCC 配置",
                f"cannot build the UnionPay code: {exc}; check merchant name, city and MCC in the account config",
            ) from exc

    def create_qr(self, req: OrderRequest) -> ProviderOrder:
        payload = self.qr_payload(req)
        doc = {
            "order_id": req.order_id,
            "amount_fen": req.amount_fen,
            "qr_content": payload,
            "notify_url": req.notify_url,
            "expires_ms": req.expires_ms,
        }
        return replace(self._order(req.order_id, self._post("/orders", doc)), qr_content=payload)

    def micropay(self, req: OrderRequest, auth_code: str) -> ProviderOrder:
        raise ProviderError(
            "银联不支持扫付款码，请让顾客扫屏幕上的二维码，或用微信/支付宝付款码",
            "UnionPay has no customer-presented code here: let the customer scan the screen's QR, "
            "or use a WeChat/Alipay payment code",
        )

    def query(self, order_id: str) -> ProviderOrder:
        return self._order(order_id, self._post(f"/orders/{quote(order_id, safe='')}", {"order_id": order_id}))

    def close(self, order_id: str) -> ProviderOrder:
        # the acquirer answers the order as it is after the attempt: closed, or paid if too late;
        # an acquirer that refuses instead (ORDER_PAID) is asked what the order is
        try:
            return self._order(
                order_id, self._post(f"/orders/{quote(order_id, safe='')}/close", {"order_id": order_id})
            )
        except NotificationRejected:
            raise
        except ProviderError as refusal:
            return after_refused_close(self, order_id, refusal)

    def reverse(self, order_id: str) -> ProviderOrder:
        raise ProviderError(
            "银联订单都是二维码订单，没有可撤销的付款码订单；请用关闭订单",
            "UnionPay orders are QR orders with nothing to reverse; close the order instead",
        )

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        h = {k.lower(): v for k, v in headers.items()}
        if not rsa_verify(self.acquirer_public_key_pem, body, h.get("x-acquirer-signature", "")):
            raise _rejected("bad or missing X-Acquirer-Signature")
        try:
            doc = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _rejected("body is not JSON") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("order_id"), str):
            raise _rejected("notification without order_id")
        order = self._order(doc["order_id"], doc)
        return Notification(
            order_id=order.order_id,
            state=order.state,
            provider_ref=order.provider_ref,
            paid_amount_fen=order.paid_amount_fen or 0,
            paid_ms=order.paid_ms,
            # the acquirer's notification has no id of its own: the body identifies it
            notification_id="sha256:" + hashlib.sha256(body).hexdigest(),
        )

    def notification_answer(self, ok: bool) -> tuple[int, str, bytes]:
        if ok:
            return 200, "application/json", b'{"code":"SUCCESS"}'
        return 500, "application/json", b'{"code":"FAIL"}'

    def _post(self, path: str, doc: Mapping[str, Any]) -> dict[str, Any]:
        body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json", "X-Merchant-Signature": rsa_sign(self.private_key_pem, body)}
        resp = request("POST", self.base + path, body, headers, provider=self.name)
        if resp.status != 200:
            raise self._error(resp)
        if not rsa_verify(self.acquirer_public_key_pem, resp.body, resp.headers.get("x-acquirer-signature", "")):
            raise _rejected(f"answer to {path} is not signed by the acquirer")
        answer = resp.json()
        if not isinstance(answer, dict):
            raise provider_unavailable(self.name, f"answer to {path} is not an object")
        return answer

    def _error(self, resp: HttpResponse) -> ProviderError:
        if resp.status >= 500:
            return provider_unavailable(self.name, f"HTTP {resp.status}")
        code, message = resp.error_fields()
        return ProviderError(
            f"银联收单机构拒绝了请求：{code} {message}", f"UnionPay acquirer refused the request: {code} {message}"
        )

    def _order(self, order_id: str, doc: Mapping[str, Any]) -> ProviderOrder:
        if doc.get("order_id") != order_id:
            raise provider_unavailable(self.name, f"answer about order {doc.get('order_id')!r}, not {order_id}")
        status = str(doc.get("status", ""))
        state = STATUSES.get(status)
        if state is None:
            raise provider_unavailable(self.name, f"unknown order status {status!r}")
        amount, paid_ms = doc.get("amount_fen"), doc.get("paid_ms")
        paid = state is OrderState.PAID
        if paid and (not isinstance(amount, int) or isinstance(amount, bool)):
            raise provider_unavailable(self.name, f"paid order {order_id} without an integer amount_fen")
        return ProviderOrder(
            order_id,
            state,
            provider_ref=str(doc.get("trade_no") or ""),
            paid_amount_fen=amount if paid else None,
            paid_ms=paid_ms if paid and isinstance(paid_ms, int) and not isinstance(paid_ms, bool) else None,
            detail=status,
        )
