"""Alipay open platform (opendocs.alipay.com): 当面付 precreate / pay (bar_code) / query /
close / cancel and the asynchronous notification, all RSA2 (SHA256withRSA).

Requests: form fields signed over the sorted ``k=v&...`` of every non-empty field but
``sign``. Answers: ``{"<method>_response": {...}, "sign": "..."}``, the sign covering the
exact text of the response node as sent. Notifications: form posts signed over the sorted
non-empty fields minus ``sign`` and ``sign_type``. Amounts are yuan text ("12.34").
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from central.payment.providers.base import (
    Notification,
    NotificationRejected,
    OrderRequest,
    OrderState,
    ProviderError,
    ProviderOrder,
    after_refused_close,
    fen_to_yuan,
    provider_unavailable,
    yuan_to_fen,
)
from central.payment.providers.http import request
from central.payment.providers.signing import rsa_sign, rsa_verify
from central.payment.providers.timefmt import beijing_text, parse_beijing

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SUCCESS, WAITING, UNKNOWN = "10000", "10003", "20000"  # 10003: customer confirming; 20000: ask again
TRADE_STATUS = {
    # a trade exists only once the customer has the code in hand (scanned, or 付款码 sent):
    # waiting for them to confirm is PAYING; not scanned yet (ACQ.TRADE_NOT_EXIST) is OPEN
    "WAIT_BUYER_PAY": OrderState.PAYING,
    "TRADE_SUCCESS": OrderState.PAID,
    "TRADE_FINISHED": OrderState.PAID,  # paid, and no refund possible any more
    "TRADE_CLOSED": OrderState.CLOSED,  # unpaid and timed out/closed, or fully refunded
}
_CANCEL_ATTEMPTS = 3


def sign_content(fields: Mapping[str, str], exclude: tuple[str, ...] = ("sign",)) -> str:
    """Alipay's string to sign: sorted ``k=v`` of the non-empty fields, joined by ``&``, no URL-encoding."""
    return "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k not in exclude and fields[k] != "")


def response_node(text: str, node: str) -> tuple[str, str]:
    """(exact text of ``node``'s value, sign) in an answer; ("", "") when the node is absent.

    The signature covers the node's bytes as Alipay sent them, so the node is cut out of
    the text rather than re-serialised from a parsed dict.
    """
    key = json.dumps(node)
    start = text.find(key)
    if start < 0:
        return "", ""
    pos = start + len(key)
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    if pos >= len(text) or text[pos] != ":":
        return "", ""
    pos += 1
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    try:
        _, end = json.JSONDecoder().raw_decode(text, pos)
        doc = json.loads(text)
    except ValueError:
        return "", ""
    sign = doc.get("sign", "") if isinstance(doc, dict) else ""
    return text[pos:end], sign if isinstance(sign, str) else ""


def _rejected(why: str) -> NotificationRejected:
    return NotificationRejected(
        f"支付宝消息未通过校验（{why}），已拒收；若持续出现请检查支付宝公钥配置",
        f"Alipay message refused: {why}; if this persists check the Alipay public key in the account config",
    )


def _refused(ans: Mapping[str, Any], *, retryable: bool = False) -> ProviderError:
    code = f"{ans.get('code', '')} {ans.get('sub_code', '')}".strip()
    msg = f"{ans.get('msg', '')} {ans.get('sub_msg', '')}".strip()
    return ProviderError(
        f"支付宝拒绝了请求：{code} {msg}", f"Alipay refused the request: {code} {msg}", retryable=retryable
    )


def _detail(ans: Mapping[str, Any]) -> str:
    keys = ("code", "sub_code", "sub_msg", "trade_status", "action")
    return " ".join(str(ans[k]) for k in keys if ans.get(k))


class Alipay:
    name = "alipay"
    CONFIG_KEYS = ("gateway", "app_id", "private_key_pem", "alipay_public_key_pem")

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.gateway = str(config["gateway"])
        self.app_id = str(config["app_id"])
        self.private_key_pem = str(config["private_key_pem"])
        self.alipay_public_key_pem = str(config["alipay_public_key_pem"])

    def create_qr(self, req: OrderRequest) -> ProviderOrder:
        ans = self._call(
            "alipay.trade.precreate",
            {
                "out_trade_no": req.order_id,
                "total_amount": fen_to_yuan(req.amount_fen),
                "subject": req.description[:256],
                "timeout_express": _minutes_left(req.expires_ms),
            },
            notify_url=req.notify_url,
        )
        if ans.get("code") != SUCCESS or not ans.get("qr_code"):
            raise _refused(ans, retryable=ans.get("code") == UNKNOWN)
        return ProviderOrder(req.order_id, OrderState.OPEN, qr_content=str(ans["qr_code"]), detail=_detail(ans))

    def micropay(self, req: OrderRequest, auth_code: str) -> ProviderOrder:
        ans = self._call(
            "alipay.trade.pay",
            {
                "out_trade_no": req.order_id,
                "scene": "bar_code",
                "auth_code": auth_code,
                "total_amount": fen_to_yuan(req.amount_fen),
                "subject": req.description[:256],
                "timeout_express": _minutes_left(req.expires_ms),
            },
            notify_url=req.notify_url,
        )
        code = ans.get("code")
        if code == SUCCESS:
            return self._order(req.order_id, {**ans, "trade_status": "TRADE_SUCCESS"})
        if code in (WAITING, UNKNOWN) or ans.get("sub_code") == "ACQ.SYSTEM_ERROR":
            # password being entered / outcome unknown: central polls (and reverses at its timeout)
            return ProviderOrder(req.order_id, OrderState.PAYING, detail=_detail(ans))
        return ProviderOrder(req.order_id, OrderState.FAILED, detail=_detail(ans))

    def query(self, order_id: str) -> ProviderOrder:
        ans = self._call("alipay.trade.query", {"out_trade_no": order_id})
        if ans.get("code") == SUCCESS:
            return self._order(order_id, ans)
        if ans.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            # a precreated order becomes a trade only when the customer scans it
            return ProviderOrder(order_id, OrderState.OPEN, detail=_detail(ans))
        raise _refused(ans, retryable=ans.get("code") == UNKNOWN)

    def close(self, order_id: str) -> ProviderOrder:
        ans = self._call("alipay.trade.close", {"out_trade_no": order_id})
        if ans.get("code") == SUCCESS:
            return ProviderOrder(
                order_id, OrderState.CLOSED, provider_ref=str(ans.get("trade_no", "")), detail=_detail(ans)
            )
        if ans.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            # never scanned: there is no trade to close, yet the code stays payable until it
            # times out; 撤销 (cancel) is what stops it (action "close"; "refund" if paid meanwhile)
            ans = self._cancel(order_id)
            state = OrderState.REVERSED if ans.get("action") == "refund" else OrderState.CLOSED
            return ProviderOrder(order_id, state, provider_ref=str(ans.get("trade_no", "")), detail=_detail(ans))
        return after_refused_close(self, order_id, _refused(ans, retryable=ans.get("code") == UNKNOWN))

    def reverse(self, order_id: str) -> ProviderOrder:
        ans = self._cancel(order_id)
        return ProviderOrder(
            order_id, OrderState.REVERSED, provider_ref=str(ans.get("trade_no", "")), detail=_detail(ans)
        )

    def _cancel(self, order_id: str) -> dict[str, Any]:
        """alipay.trade.cancel until done; ``action`` says close (nothing paid) or refund (money goes back)."""
        ans: dict[str, Any] = {}
        for _ in range(_CANCEL_ATTEMPTS):
            ans = self._call("alipay.trade.cancel", {"out_trade_no": order_id})
            if ans.get("code") == SUCCESS and ans.get("retry_flag") != "Y":
                return ans
            if ans.get("code") not in (SUCCESS, UNKNOWN) and ans.get("retry_flag") != "Y":
                break
        raise _refused(ans, retryable=ans.get("code") == UNKNOWN or ans.get("retry_flag") == "Y")

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        try:
            fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _rejected(f"not a form post ({exc})") from exc
        if not rsa_verify(
            self.alipay_public_key_pem,
            sign_content(fields, ("sign", "sign_type")).encode("utf-8"),
            fields.get("sign", ""),
        ):
            raise _rejected("bad signature")
        if fields.get("sign_type", "RSA2") != "RSA2":  # not covered by the signature, so checked by hand
            raise _rejected(f"sign_type {fields.get('sign_type')!r} is not RSA2")
        if fields.get("app_id") != self.app_id:
            raise _rejected(f"notification for another app ({fields.get('app_id')})")
        order_id = fields.get("out_trade_no", "")
        if not order_id or not fields.get("notify_id"):
            raise _rejected("notification without out_trade_no or notify_id")
        order = self._order(order_id, fields)
        return Notification(
            order_id=order_id,
            state=order.state,
            provider_ref=order.provider_ref,
            paid_amount_fen=order.paid_amount_fen or 0,
            paid_ms=order.paid_ms,
            notification_id=fields["notify_id"],
        )

    def notification_answer(self, ok: bool) -> tuple[int, str, bytes]:
        # Alipay re-sends until the page prints exactly "success"
        return 200, "text/plain; charset=utf-8", b"success" if ok else b"fail"

    def _order(self, order_id: str, ans: Mapping[str, Any]) -> ProviderOrder:
        status = str(ans.get("trade_status", ""))
        state = TRADE_STATUS.get(status)
        if state is None:
            raise provider_unavailable(self.name, f"unknown trade_status {status!r}")
        if ans.get("out_trade_no", order_id) != order_id:
            raise provider_unavailable(self.name, f"answer about order {ans.get('out_trade_no')}, not {order_id}")
        paid = state is OrderState.PAID
        return ProviderOrder(
            order_id,
            state,
            provider_ref=str(ans.get("trade_no", "")),
            paid_amount_fen=yuan_to_fen(str(ans.get("total_amount", ""))) if paid else None,
            paid_ms=parse_beijing(ans.get("gmt_payment") or ans.get("send_pay_date"), TIME_FORMAT) if paid else None,
            detail=_detail(ans),
        )

    def request_fields(self, method: str, biz: Mapping[str, Any], notify_url: str = "") -> dict[str, str]:
        """The signed form of one call (public for the tests: the string to sign is Alipay's)."""
        fields = {
            "app_id": self.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": beijing_text(int(time.time() * 1000), TIME_FORMAT),
            "version": "1.0",
            "notify_url": notify_url,
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
        }
        fields = {k: v for k, v in fields.items() if v}
        fields["sign"] = rsa_sign(self.private_key_pem, sign_content(fields).encode("utf-8"))
        return fields

    def _call(self, method: str, biz: Mapping[str, Any], notify_url: str = "") -> dict[str, Any]:
        """The verified response node of one call; an unsigned or tampered one is never believed."""
        body = urlencode(self.request_fields(method, biz, notify_url)).encode("ascii")
        resp = request(
            "POST",
            self.gateway,
            body,
            {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
            provider=self.name,
        )
        if resp.status != 200:
            raise provider_unavailable(self.name, f"{method} answered HTTP {resp.status}")
        try:
            text = resp.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise provider_unavailable(self.name, f"{method} answer is not UTF-8") from exc
        node_text, sign = response_node(text, method.replace(".", "_") + "_response")
        if not node_text:
            node_text, sign = response_node(text, "error_response")
        if not node_text:
            raise provider_unavailable(self.name, f"{method} answer has no response node")
        ans = json.loads(node_text)
        if not isinstance(ans, dict):
            raise provider_unavailable(self.name, f"{method} response node is not an object")
        if not sign:
            # Alipay leaves only some gateway errors unsigned (e.g. our own signature refused)
            if ans.get("code") in (SUCCESS, WAITING) or ans.get("trade_status"):
                raise _rejected(f"{method} answer is not signed")
            raise _refused(ans, retryable=ans.get("code") == UNKNOWN)
        if not rsa_verify(self.alipay_public_key_pem, node_text.encode("utf-8"), sign):
            raise _rejected(f"{method} answer has a bad signature")
        return ans


def _minutes_left(expires_ms: int) -> str:
    """``timeout_express`` ("5m"): whole minutes to expiry, rounded up, at least 1."""
    left_ms = expires_ms - int(time.time() * 1000)
    return f"{max(1, -(-left_ms // 60_000))}m"
