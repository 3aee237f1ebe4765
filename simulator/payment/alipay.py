"""Alipay's open gateway (``gateway.do``) as a merchant sees it, RSA2 throughout.

A request is a form post of the common parameters plus ``biz_content`` (JSON), signed with
the app key over the sorted ``k=v&…`` of every non-empty field but ``sign``. The answer is
``{"<method>_response": {...}, "sign": "..."}`` signed with Alipay's key over the exact text
of the response node. Notifications are form posts signed over the sorted fields minus
``sign`` and ``sign_type``; the merchant answers ``success``.

As at the real Alipay, a precreated order becomes a trade only when the customer scans the
code: until then query and close answer ``ACQ.TRADE_NOT_EXIST``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import urllib.parse
from datetime import datetime
from typing import Any

from edge.core.emvco import EmvcoError, fen_from_text, yuan_text
from edge.core.payment import PaymentMessageError, code_provider
from simulator.payment.common import ProviderSim, Request, Response
from simulator.payment.keys import rsa_sign, rsa_verify
from simulator.payment.orders import Order, Outgoing, State, now_ms
from simulator.payment.wechat import CHINA

QR_PREFIX = "https://qr.alipay.com/"
TRADE_STATUS = {
    State.OPEN: "WAIT_BUYER_PAY",
    State.PAYING: "WAIT_BUYER_PAY",
    State.PAID: "TRADE_SUCCESS",
    State.CLOSED: "TRADE_CLOSED",
    State.FAILED: "TRADE_CLOSED",
    State.REVERSED: "TRADE_CLOSED",
}
BUYER_LOGON_ID = "159****5620"
BUYER_ID = "2088102177846880"


class AlipayError(Exception):
    def __init__(self, code: str, msg: str, sub_code: str, sub_msg: str) -> None:
        super().__init__(sub_msg)
        self.fields = {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}


def business(sub_code: str, sub_msg: str) -> AlipayError:
    return AlipayError("40004", "Business Failed", sub_code, sub_msg)


def sign_content(fields: dict[str, str], drop: tuple[str, ...] = ("sign",)) -> bytes:
    """RSA2 sign string: sorted ``k=v`` of the non-empty fields, raw (not URL-encoded) values."""
    return "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k not in drop and fields[k] != "").encode("utf-8")


def alipay_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, CHINA).strftime("%Y-%m-%d %H:%M:%S")


class AlipaySim(ProviderSim):
    name = "alipay"

    def owns_qr(self, qr_content: str) -> bool:
        return qr_content.startswith(QR_PREFIX)

    def handle(self, req: Request) -> Response | None:
        if req.path != "/gateway.do":
            return None
        params = dict(req.query)
        if req.method == "POST" and req.body:
            params.update(_form(req.body))
        method = params.get("method", "")
        handlers = {
            "alipay.trade.precreate": self._precreate,
            "alipay.trade.pay": self._pay_bar_code,
            "alipay.trade.query": self._query,
            "alipay.trade.close": self._close,
            "alipay.trade.cancel": self._cancel_trade,
        }
        node = method.replace(".", "_") + "_response" if method in handlers else "error_response"
        try:
            if method not in handlers:
                raise AlipayError(
                    "40001", "Missing Required Arguments", "isv.invalid-method", f"不存在的方法名 {method!r}"
                )
            biz = self._check(params)
            with self.book.lock:
                result = handlers[method](biz, params)
        except AlipayError as exc:
            result = exc.fields
        return self._answer(node, result)

    def _check(self, params: dict[str, str]) -> dict[str, Any]:
        for name in ("app_id", "method", "charset", "sign_type", "sign", "timestamp", "version", "biz_content"):
            if not params.get(name):
                raise AlipayError(
                    "40001", "Missing Required Arguments", f"isv.missing-{name.replace('_', '-')}", f"缺少参数 {name}"
                )
        if params["app_id"] != self.keys.ids["alipay_app_id"]:
            raise AlipayError("40002", "Invalid Arguments", "isv.invalid-app-id", "无效的AppID参数 / unknown app_id")
        if params["sign_type"] != "RSA2":
            raise AlipayError("40002", "Invalid Arguments", "isv.invalid-signature-type", "sign_type 须为 RSA2")
        if not rsa_verify(self.keys.public("alipay_app"), sign_content(params), params["sign"]):
            raise AlipayError(
                "40002",
                "Invalid Arguments",
                "isv.invalid-signature",
                "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配 / signature does not verify with the app key",
            )
        try:
            biz = json.loads(params["biz_content"])
        except ValueError:
            biz = None
        if not isinstance(biz, dict):
            raise AlipayError("40002", "Invalid Arguments", "isv.invalid-biz-content", "biz_content 不是JSON对象")
        return biz

    def _answer(self, node: str, result: dict[str, Any]) -> Response:
        # the sign covers these exact bytes, so they are embedded verbatim, never re-serialised
        node_text = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
        sign = rsa_sign(self.keys.keys["alipay_platform"], node_text.encode("utf-8"))
        body = f'{{"{node}":{node_text},"sign":"{sign}"}}'.encode()
        return Response(200, body, {"Content-Type": "text/html;charset=utf-8"})

    # --- methods --------------------------------------------------------------------------
    def _precreate(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        order_id, amount_fen, subject = _order_fields(biz)
        order = self.book.get(self.name, order_id)
        if order is not None:
            self._check_reuse(order, amount_fen, subject)
        else:
            order = self._add(order_id, "qr", amount_fen, subject, params,
                              qr_content=QR_PREFIX + secrets.token_urlsafe(12), expires_ms=_expiry(biz))  # fmt: skip
        return {"code": "10000", "msg": "Success", "out_trade_no": order_id, "qr_code": order.qr_content}

    def _add(
        self, order_id: str, kind: str, amount_fen: int, subject: str, params: dict[str, str], **extra: Any
    ) -> Order:
        return self.book.add(Order(provider=self.name, order_id=order_id, kind=kind, amount_fen=amount_fen,
                                   description=subject, notify_url=params.get("notify_url", ""), **extra))  # fmt: skip

    def _check_reuse(self, order: Order, amount_fen: int, subject: str) -> None:
        if order.state is State.PAID:
            raise business("ACQ.TRADE_HAS_SUCCESS", "交易已被支付 / this out_trade_no is already paid")
        if order.state is not State.OPEN and order.state is not State.PAYING:
            raise business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭 / this out_trade_no is closed; use a new one")
        if order.amount_fen != amount_fen or order.description != subject:
            raise business(
                "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改 / out_trade_no reused with other amount or subject"
            )

    def _pay_bar_code(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        order_id, amount_fen, subject = _order_fields(biz)
        if biz.get("scene") != "bar_code":
            raise AlipayError("40002", "Invalid Arguments", "isv.invalid-scene", "scene 须为 bar_code")
        auth_code = str(biz.get("auth_code", ""))
        try:
            issuer = code_provider(auth_code)
        except PaymentMessageError:
            issuer = ""
        if issuer != "alipay":
            raise business(
                "ACQ.PAYMENT_AUTH_CODE_INVALID", "支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款"
            )
        order = self.book.get(self.name, order_id)
        if order is not None:
            if order.auth_code != auth_code:
                self._check_reuse(order, amount_fen, subject)
        else:
            order = self._add(order_id, "micropay", amount_fen, subject, params, auth_code=auth_code, scanned=True)
            self.start_micropay(order)
        if order.state is State.PAID:
            return {"code": "10000", "msg": "Success", **self._trade_fields(order)}
        if order.state is State.PAYING:
            return {"code": "10003", "msg": "Order success pay inprocess", **self._trade_fields(order)}
        raise business("ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足 / the customer's balance is not enough")

    def _trade(self, biz: dict[str, Any]) -> Order:
        order_id = biz.get("out_trade_no")
        order = self.book.get(self.name, order_id) if isinstance(order_id, str) else None
        if order is None and isinstance(biz.get("trade_no"), str):
            order = next((o for o in self.book.all() if o.transaction_id == biz["trade_no"]), None)
        if order is None or not order.scanned:  # a precreated code the customer never scanned is no trade yet
            raise business("ACQ.TRADE_NOT_EXIST", "交易不存在 / no such trade (not created, or not scanned yet)")
        return order

    def _query(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        order = self._trade(biz)
        self.on_query(order)
        return {
            "code": "10000",
            "msg": "Success",
            **self._trade_fields(order),
            "trade_status": TRADE_STATUS[order.state],
        }

    def _close(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        order = self._trade(biz)
        if order.state is State.PAID:
            raise business(
                "ACQ.TRADE_STATUS_ERROR", "交易状态不合法：已支付的交易不能关闭 / a paid trade cannot be closed"
            )
        if order.state in (State.OPEN, State.PAYING):
            order.mark(State.CLOSED, "closed by merchant")
        return {"code": "10000", "msg": "Success", "trade_no": order.transaction_id, "out_trade_no": order.order_id}

    def _cancel_trade(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        order = self.book.get(self.name, str(biz.get("out_trade_no", "")))
        if order is None:
            raise business("ACQ.TRADE_NOT_EXIST", "交易不存在 / no such trade")
        action = "refund" if order.state is State.PAID else "close"
        order.scanned = True  # cancelled, the trade exists (closed): query answers TRADE_CLOSED from now on
        if order.state in (State.OPEN, State.PAYING, State.PAID):  # 撤销: unpaid -> closed, paid -> refunded
            order.mark(State.REVERSED if order.kind == "micropay" or action == "refund" else State.CLOSED, "cancelled")
        result = {"code": "10000", "msg": "Success", "trade_no": order.transaction_id, "out_trade_no": order.order_id}
        return {**result, "retry_flag": "N", "action": action}

    def _trade_fields(self, order: Order) -> dict[str, Any]:
        if not order.transaction_id:  # Alipay numbers a trade as soon as it exists, paid or not
            order.transaction_id = _trade_no()
        fields: dict[str, Any] = {
            "trade_no": order.transaction_id,
            "out_trade_no": order.order_id,
            "buyer_logon_id": BUYER_LOGON_ID,
            "total_amount": yuan_text(order.amount_fen),
        }
        if order.state is State.PAID:
            amount = yuan_text(order.amount_fen)
            fields.update(receipt_amount=amount, buyer_pay_amount=amount, buyer_user_id=BUYER_ID)
            fields["gmt_payment"] = fields["send_pay_date"] = alipay_time(order.paid_ms or now_ms())
        return fields

    # --- notifications --------------------------------------------------------------------
    def notification(self, order: Order) -> Outgoing | None:
        if not order.notify_url:
            return None
        trade = self._trade_fields(order)
        fields = {
            "notify_time": alipay_time(now_ms()),
            "notify_type": "trade_status_sync",
            # the same payment keeps its notify_id across retries and duplicates
            "notify_id": hashlib.sha256(f"alipay:{order.transaction_id}".encode()).hexdigest()[:34],
            "app_id": self.keys.ids["alipay_app_id"],
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "trade_no": trade["trade_no"],
            "out_trade_no": order.order_id,
            "trade_status": TRADE_STATUS[order.state],
            "total_amount": trade["total_amount"],
            "receipt_amount": trade["receipt_amount"],
            "buyer_pay_amount": trade["buyer_pay_amount"],
            "buyer_id": BUYER_ID,
            "seller_id": self.keys.ids["alipay_seller_id"],
            "subject": order.description,
            "gmt_create": alipay_time(order.created_ms),
            "gmt_payment": trade["gmt_payment"],
        }
        fields["sign"] = rsa_sign(self.keys.keys["alipay_platform"], sign_content(fields, drop=("sign", "sign_type")))
        body = urllib.parse.urlencode(fields).encode("ascii")
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        return Outgoing(order.notify_url, headers, body)

    def accepted(self, status: int, body: bytes) -> bool:
        return status == 200 and body.strip() == b"success"

    def act(self, order: Order, action: str) -> Order:
        if not order.transaction_id and action != "replay":  # scanning creates the trade
            order.transaction_id = _trade_no()
        return super().act(order, action)


def _trade_no() -> str:
    return datetime.now(CHINA).strftime("%Y%m%d") + "22001" + "".join(str(secrets.randbelow(10)) for _ in range(15))


def _form(body: bytes) -> dict[str, str]:
    text = body.decode("utf-8", "replace")
    return {k: v for k, v in urllib.parse.parse_qsl(text, keep_blank_values=True)}


def _order_fields(biz: dict[str, Any]) -> tuple[str, int, str]:
    order_id, subject, amount = biz.get("out_trade_no"), biz.get("subject"), biz.get("total_amount")
    if not (isinstance(order_id, str) and 0 < len(order_id) <= 64):
        raise AlipayError("40002", "Invalid Arguments", "isv.invalid-out-trade-no", "out_trade_no 缺失或超过64个字符")
    if not (isinstance(subject, str) and subject):
        raise AlipayError("40001", "Missing Required Arguments", "isv.missing-subject", "缺少 subject（订单标题）")
    try:
        amount_fen = fen_from_text(str(amount)) if isinstance(amount, str | int) and not isinstance(amount, bool) else 0
    except EmvcoError:
        amount_fen = 0
    if amount_fen <= 0:
        raise AlipayError(
            "40002",
            "Invalid Arguments",
            "isv.invalid-total-amount",
            f"total_amount 须为正的元金额，如 12.34：{amount!r}",
        )
    return order_id, amount_fen, subject


def _expiry(biz: dict[str, Any]) -> int | None:
    """``time_expire`` ("yyyy-MM-dd HH:mm:ss", Beijing) or ``timeout_express`` ("5m", "2h", "1d")."""
    if isinstance(biz.get("time_expire"), str):
        try:
            return (
                int(datetime.strptime(biz["time_expire"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA).timestamp()) * 1000
            )
        except ValueError:
            raise AlipayError(
                "40002", "Invalid Arguments", "isv.invalid-time-expire", "time_expire 格式须为 yyyy-MM-dd HH:mm:ss"
            ) from None
    express = biz.get("timeout_express")
    if isinstance(express, str) and express[:-1].isdigit() and express[-1:] in ("m", "h", "d"):
        return now_ms() + int(express[:-1]) * {"m": 60_000, "h": 3_600_000, "d": 86_400_000}[express[-1]]
    return None
