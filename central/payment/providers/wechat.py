"""WeChat Pay: API v3 Native QR orders and notifications, API v2 付款码 (micropay).

v3 (pay.weixin.qq.com/docs/merchant): requests are signed SHA256withRSA with the merchant
API key over ``METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n`` and sent as ``Authorization:
WECHATPAY2-SHA256-RSA2048 ...``; answers and notifications are signed by the platform
certificate over ``TIMESTAMP\\nNONCE\\nBODY\\n`` (Wechatpay-* headers); a notification's
``resource`` is AEAD_AES_256_GCM-encrypted with the APIv3 key.

v2 (pay.weixin.qq.com/wiki/doc/api/micropay.php): XML with ``sign_type=HMAC-SHA256``:
HMAC-SHA256(key=v2_key) over the sorted ``k=v&...&key=v2_key`` of the non-empty fields,
upper-case hex. Only the 付款码 calls use v2; WeChat has no v3 micropay for direct merchants.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

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
from central.payment.providers.timefmt import parse_beijing, parse_rfc3339, rfc3339

AUTH_SCHEMA = "WECHATPAY2-SHA256-RSA2048"
MAX_SKEW_S = 300  # WeChat's advice: refuse answers whose timestamp is more than 5 minutes off
USER_AGENT = "trace-scale-central/1 (+python)"  # v3 refuses requests without a User-Agent

# trade_state -> our state. REFUND: the money arrived, then (part of) it went back; the order
# was paid, and the refund is a separate matter for reconciliation.
TRADE_STATES = {
    "SUCCESS": OrderState.PAID,
    "REFUND": OrderState.PAID,
    "NOTPAY": OrderState.OPEN,
    "USERPAYING": OrderState.PAYING,
    "CLOSED": OrderState.CLOSED,
    "REVOKED": OrderState.REVERSED,
    "PAYERROR": OrderState.FAILED,
}
# micropay err_code meaning "result unknown: ask again" rather than "refused"
_MICROPAY_UNKNOWN = {"USERPAYING", "SYSTEMERROR", "BANKERROR"}
_REVERSE_ATTEMPTS = 3


def v3_message(method: str, url: str, timestamp: str, nonce: str, body: str) -> bytes:
    """The string v3 signs for a request: URL is path plus query, BODY "" for GET."""
    return f"{method}\n{url}\n{timestamp}\n{nonce}\n{body}\n".encode()


def answer_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """The string the platform signs for an answer or a notification (body byte for byte)."""
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def authorization(
    mchid: str, serial_no: str, private_key_pem: str, signature_input: tuple[str, str, str, str, str]
) -> str:
    """``Authorization`` header value for (method, url, timestamp, nonce, body)."""
    method, url, timestamp, nonce, body = signature_input
    signature = rsa_sign(private_key_pem, v3_message(method, url, timestamp, nonce, body))
    return (
        f'{AUTH_SCHEMA} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


def decrypt_resource(apiv3_key: str, resource: Mapping[str, Any]) -> bytes:
    """Plain text of a notification's ``resource`` (AEAD_AES_256_GCM, key = the 32-byte APIv3 key)."""
    if resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise _rejected(f"unsupported resource algorithm {resource.get('algorithm')!r}")
    try:
        return AESGCM(apiv3_key.encode("ascii")).decrypt(
            str(resource["nonce"]).encode("utf-8"),
            base64.b64decode(str(resource["ciphertext"]), validate=True),
            str(resource.get("associated_data") or "").encode("utf-8"),
        )
    except (KeyError, InvalidTag, binascii.Error, ValueError) as exc:
        raise _rejected(f"resource does not decrypt with the APIv3 key ({type(exc).__name__})") from exc


def v2_sign(key: str, fields: Mapping[str, str]) -> str:
    """HMAC-SHA256 signature of a v2 message (``sign`` itself and empty fields excluded)."""
    text = "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "sign" and fields[k] != "")
    text += f"&key={key}"
    return hmac.new(key.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest().upper()


def to_xml(fields: Mapping[str, str]) -> bytes:
    root = ET.Element("xml")
    for name, value in fields.items():
        ET.SubElement(root, name).text = value
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def from_xml(body: bytes) -> dict[str, str]:
    # WeChat's own advice for v2 XML: never process a DTD (XXE, entity expansion)
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise provider_unavailable("wechat", "XML answer with a DTD refused")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise provider_unavailable("wechat", f"answer is not XML: {exc}") from exc
    return {child.tag: (child.text or "") for child in root}


def _rejected(why: str) -> NotificationRejected:
    return NotificationRejected(
        f"微信支付消息未通过校验（{why}），已拒收；若持续出现请检查商户平台证书与 APIv3 密钥",
        f"WeChat Pay message refused: {why}; if this persists check the platform certificate and APIv3 key",
    )


def _refused(code: str, message: str, *, retryable: bool = False) -> ProviderError:
    return ProviderError(
        f"微信支付拒绝了请求：{code} {message}",
        f"WeChat Pay refused the request: {code} {message}",
        retryable=retryable,
    )


class WechatPay:
    name = "wechat"
    CONFIG_KEYS = (
        "api_base",
        "mchid",
        "appid",
        "serial_no",
        "private_key_pem",
        "platform_serial",
        "platform_cert_pem",
        "apiv3_key",
        "v2_key",
    )

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.base = str(config["api_base"]).rstrip("/")
        self.mchid, self.appid = str(config["mchid"]), str(config["appid"])
        self.serial_no, self.private_key_pem = str(config["serial_no"]), str(config["private_key_pem"])
        self.platform_serial, self.platform_cert_pem = str(config["platform_serial"]), str(config["platform_cert_pem"])
        self.apiv3_key, self.v2_key = str(config["apiv3_key"]), str(config["v2_key"])
        self.client_ip = str(config.get("client_ip") or "127.0.0.1")  # v2 spbill_create_ip
        if len(self.apiv3_key.encode("utf-8")) != 32:
            raise ProviderError(
                "微信支付 apiv3_key 必须是 32 个字符：请在商户平台核对后重新导入",
                "WeChat Pay apiv3_key must be 32 characters; check it in the merchant platform and re-import",
            )

    # ---- API v3: Native QR orders ----

    def create_qr(self, req: OrderRequest) -> ProviderOrder:
        body = {
            "appid": self.appid,
            "mchid": self.mchid,
            "description": req.description[:127],
            "out_trade_no": req.order_id,
            "time_expire": rfc3339(req.expires_ms),
            "notify_url": req.notify_url,
            "amount": {"total": req.amount_fen, "currency": "CNY"},
        }
        doc = self._v3_ok("POST", "/v3/pay/transactions/native", body)
        code_url = doc.get("code_url") if isinstance(doc, dict) else None
        if not isinstance(code_url, str) or not code_url:
            raise provider_unavailable(self.name, "Native order answer without code_url")
        return ProviderOrder(req.order_id, OrderState.OPEN, qr_content=code_url)

    def query(self, order_id: str) -> ProviderOrder:
        path = f"/v3/pay/transactions/out-trade-no/{quote(order_id, safe='')}?mchid={quote(self.mchid, safe='')}"
        return self._order_from_transaction(order_id, self._v3_ok("GET", path, None))

    def close(self, order_id: str) -> ProviderOrder:
        path = f"/v3/pay/transactions/out-trade-no/{quote(order_id, safe='')}/close"
        resp = self._v3("POST", path, {"mchid": self.mchid})
        if resp.status in (200, 204):
            return ProviderOrder(order_id, OrderState.CLOSED, detail="CLOSED")
        code, message = resp.error_fields()  # typically ORDERPAID
        return after_refused_close(self, order_id, _refused(code, message, retryable=resp.status >= 500))

    def _v3(self, method: str, path: str, body_doc: Mapping[str, Any] | None) -> HttpResponse:
        body = "" if body_doc is None else json.dumps(body_doc, ensure_ascii=False, separators=(",", ":"))
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        headers = {
            "Authorization": authorization(
                self.mchid, self.serial_no, self.private_key_pem, (method, path, timestamp, nonce, body)
            ),
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if body_doc is not None:
            headers["Content-Type"] = "application/json"
        resp = request(method, self.base + path, body.encode("utf-8"), headers, provider=self.name)
        # an unsigned error answer is possible (e.g. our own signature was refused): it can
        # only ever become an error here, never a state
        if 200 <= resp.status < 300 or "wechatpay-signature" in resp.headers:
            self.verify_answer(resp.headers, resp.body, max_skew_s=MAX_SKEW_S)
        return resp

    def _v3_ok(self, method: str, path: str, body_doc: Mapping[str, Any] | None) -> Any:
        resp = self._v3(method, path, body_doc)
        if 200 <= resp.status < 300:
            return resp.json()
        code, message = resp.error_fields()
        raise _refused(code, message, retryable=resp.status >= 500 or resp.status == 429)

    def verify_answer(self, headers: Mapping[str, str], body: bytes, *, max_skew_s: int | None) -> None:
        """Raise NotificationRejected unless the platform certificate signed ``body``."""
        h = {k.lower(): v for k, v in headers.items()}
        serial, timestamp = h.get("wechatpay-serial", ""), h.get("wechatpay-timestamp", "")
        nonce, signature = h.get("wechatpay-nonce", ""), h.get("wechatpay-signature", "")
        if not (serial and timestamp and nonce and signature):
            raise _rejected("Wechatpay-Serial/-Timestamp/-Nonce/-Signature headers missing")
        if serial != self.platform_serial:
            raise _rejected(f"signed by unknown platform certificate {serial}")
        if not timestamp.isdigit():
            raise _rejected("Wechatpay-Timestamp is not a number")
        if max_skew_s is not None and abs(time.time() - int(timestamp)) > max_skew_s:
            raise _rejected(f"timestamp {timestamp} more than {max_skew_s} s from our clock")
        if not rsa_verify(self.platform_cert_pem, answer_message(timestamp, nonce, body), signature):
            raise _rejected("bad signature")

    def _order_from_transaction(self, order_id: str, doc: Any) -> ProviderOrder:
        if not isinstance(doc, dict) or doc.get("out_trade_no") != order_id:
            raise provider_unavailable(self.name, f"query answer is not about order {order_id}")
        trade_state = str(doc.get("trade_state", ""))
        state = TRADE_STATES.get(trade_state)
        if state is None:
            raise provider_unavailable(self.name, f"unknown trade_state {trade_state!r}")
        amount = doc.get("amount") if isinstance(doc.get("amount"), dict) else {}
        total = amount.get("total")
        paid = state is OrderState.PAID and isinstance(total, int) and not isinstance(total, bool)
        return ProviderOrder(
            order_id,
            state,
            provider_ref=str(doc.get("transaction_id") or ""),
            paid_amount_fen=total if paid else None,
            paid_ms=parse_rfc3339(doc.get("success_time")) if paid else None,
            detail=f"{trade_state} {doc.get('trade_state_desc') or ''}".strip(),
        )

    # ---- notifications ----

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        # no clock check: WeChat re-sends the same notification for hours, and a replay
        # changes nothing at central (notification_id); the signature is what matters
        self.verify_answer(headers, body, max_skew_s=None)
        try:
            doc = json.loads(body.decode("utf-8"))
            resource = doc["resource"]
            event_id = str(doc["id"])
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise _rejected(f"not a notification document ({exc})") from exc
        if not isinstance(resource, dict):
            raise _rejected("resource is not an object")
        try:
            tx = json.loads(decrypt_resource(self.apiv3_key, resource).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _rejected("decrypted resource is not JSON") from exc
        if not isinstance(tx, dict):
            raise _rejected("decrypted resource is not an object")
        if tx.get("mchid") != self.mchid or tx.get("appid", self.appid) != self.appid:
            raise _rejected(f"notification for another merchant ({tx.get('mchid')})")
        order_id = str(tx.get("out_trade_no") or "")
        order = self._order_from_transaction(order_id, tx) if order_id else None
        if order is None:
            raise _rejected("notification without out_trade_no")
        return Notification(
            order_id=order_id,
            state=order.state,
            provider_ref=order.provider_ref,
            paid_amount_fen=order.paid_amount_fen or 0,
            paid_ms=order.paid_ms,
            notification_id=event_id,
        )

    def notification_answer(self, ok: bool) -> tuple[int, str, bytes]:
        if ok:  # 200 (or 204): received; anything else makes WeChat re-send
            return 200, "application/json", b'{"code":"SUCCESS","message":"\xe6\x88\x90\xe5\x8a\x9f"}'
        return 500, "application/json", b'{"code":"FAIL","message":"\xe5\xa4\xb1\xe8\xb4\xa5"}'

    # ---- API v2: 付款码 ----

    def micropay(self, req: OrderRequest, auth_code: str) -> ProviderOrder:
        fields = {
            "body": _cut_utf8(req.description, 128),
            "out_trade_no": req.order_id,
            "total_fee": str(req.amount_fen),
            "fee_type": "CNY",
            "spbill_create_ip": self.client_ip,
            "auth_code": auth_code,
        }
        ans = self._v2("/pay/micropay", fields)
        if ans.get("result_code") == "SUCCESS":
            return self._v2_order(req.order_id, {**ans, "trade_state": "SUCCESS"})
        err = ans.get("err_code", "")
        detail = f"{err} {ans.get('err_code_des', '')}".strip()
        if err in _MICROPAY_UNKNOWN:  # customer entering the password, or result unknown: poll
            return ProviderOrder(req.order_id, OrderState.PAYING, detail=detail)
        return ProviderOrder(req.order_id, OrderState.FAILED, detail=detail)

    def reverse(self, order_id: str) -> ProviderOrder:
        # /secapi/ needs the merchant's client certificate (mutual TLS) at the real WeChat;
        # the simulator does not ask for one and no certificate is configured here, so a
        # production deployment must add it to the HTTPS connection before going live.
        ans: dict[str, str] = {}
        for _ in range(_REVERSE_ATTEMPTS):
            ans = self._v2("/secapi/pay/reverse", {"out_trade_no": order_id})
            if ans.get("result_code") == "SUCCESS" and ans.get("recall") != "Y":
                return ProviderOrder(order_id, OrderState.REVERSED, detail="REVOKED")
            if ans.get("result_code") != "SUCCESS" and ans.get("err_code") not in _MICROPAY_UNKNOWN:
                break
        raise _refused(
            ans.get("err_code", "") or "recall=Y",
            ans.get("err_code_des", "") or "reverse not finished",
            retryable=ans.get("result_code") == "SUCCESS" or ans.get("err_code") in _MICROPAY_UNKNOWN,
        )

    def _v2(self, path: str, fields: Mapping[str, str]) -> dict[str, str]:
        msg = {
            "appid": self.appid,
            "mch_id": self.mchid,
            "nonce_str": secrets.token_hex(16),
            "sign_type": "HMAC-SHA256",
            **fields,
        }
        msg["sign"] = v2_sign(self.v2_key, msg)
        resp = request(
            "POST", self.base + path, to_xml(msg), {"Content-Type": "text/xml; charset=utf-8"}, provider=self.name
        )
        if resp.status != 200:
            raise provider_unavailable(self.name, f"{path} answered HTTP {resp.status}")
        ans = from_xml(resp.body)
        if ans.get("return_code") != "SUCCESS":
            raise _refused(
                ans.get("return_code", "FAIL"),
                ans.get("return_msg", ""),
                retryable=ans.get("return_msg", "") == "SYSTEMERROR",
            )
        if not hmac.compare_digest(ans.get("sign", ""), v2_sign(self.v2_key, ans)):
            raise _rejected(f"{path} answer has a bad v2 signature")
        if ans.get("mch_id", self.mchid) != self.mchid:
            raise _rejected(f"{path} answer for another merchant")
        return ans

    def _v2_order(self, order_id: str, ans: Mapping[str, str]) -> ProviderOrder:
        trade_state = ans.get("trade_state", "")
        state = TRADE_STATES.get(trade_state)
        if state is None or ans.get("out_trade_no", order_id) != order_id:
            raise provider_unavailable(
                self.name, f"v2 answer with trade_state {trade_state!r} for {ans.get('out_trade_no')}"
            )
        paid = state is OrderState.PAID and ans.get("total_fee", "").isdigit()
        return ProviderOrder(
            order_id,
            state,
            provider_ref=ans.get("transaction_id", ""),
            paid_amount_fen=int(ans["total_fee"]) if paid else None,
            paid_ms=parse_beijing(ans.get("time_end"), "%Y%m%d%H%M%S") if paid else None,
            detail=f"{trade_state} {ans.get('trade_state_desc', '')}".strip(),
        )


def _cut_utf8(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")[:max_bytes]
    return data.decode("utf-8", errors="ignore")
