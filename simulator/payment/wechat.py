"""WeChat Pay as a merchant sees it: API v3 Native (JSON, RSA-signed) and v2 付款码 (XML, HMAC).

v3: every request carries ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,
signature=…,timestamp=…,serial_no=…`` signed with the merchant key over
``METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n``; every answer (errors too) and every notification
carries ``Wechatpay-Timestamp/-Nonce/-Signature/-Serial`` signed with the platform key over
``TIMESTAMP\\nNONCE\\nBODY\\n``. A notification's ``resource`` is AEAD_AES_256_GCM with the
APIv3 key. v2: XML fields signed by HMAC-SHA256 over the sorted ``k=v&…&key=V2KEY``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from typing import Any
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from edge.core.payment import PaymentMessageError, code_provider
from simulator.payment.common import ProviderSim, Request, Response, json_bytes, nonce
from simulator.payment.keys import rsa_sign, rsa_verify
from simulator.payment.orders import Order, Outgoing, State, now_ms

QR_PREFIX = "weixin://wxpay/bizpayurl?pr="
MAX_CLOCK_SKEW_S = 300  # WeChat refuses a request whose timestamp is more than 5 minutes off
CHINA = timezone(timedelta(hours=8))
_ORDER_PATH = re.compile(r"^/v3/pay/transactions/(out-trade-no|id)/([^/]+)(/close)?$")
_AUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')

# our state -> v3 trade_state (v2 uses the same words)
TRADE_STATE = {
    State.OPEN: ("NOTPAY", "订单未支付"),
    State.PAYING: ("USERPAYING", "用户支付中，需要输入密码"),
    State.PAID: ("SUCCESS", "支付成功"),
    State.CLOSED: ("CLOSED", "订单已关闭"),
    State.FAILED: ("PAYERROR", "支付失败"),
    State.REVERSED: ("REVOKED", "订单已撤销"),
}


class WechatError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def rfc3339(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, CHINA).isoformat(timespec="seconds")


def v2_sign(fields: dict[str, str], key: str) -> str:
    """API v2 HMAC-SHA256: sorted non-empty ``k=v`` (but sign) joined by &, then ``&key=KEY``."""
    text = "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "sign" and fields[k] != "")
    return hmac.new(key.encode(), f"{text}&key={key}".encode(), hashlib.sha256).hexdigest().upper()


def v2_xml(fields: dict[str, str]) -> bytes:
    inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items())
    return f"<xml>{inner}</xml>".encode()


def parse_v2_xml(body: bytes) -> dict[str, str]:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise ValueError(f"body is not XML: {exc}") from None
    return {child.tag: (child.text or "") for child in root}


class WechatSim(ProviderSim):
    name = "wechat"

    def owns_qr(self, qr_content: str) -> bool:
        return qr_content.startswith(QR_PREFIX)

    @property
    def mchid(self) -> str:
        return self.keys.ids["wechat_mchid"]

    @property
    def appid(self) -> str:
        return self.keys.ids["wechat_appid"]

    def handle(self, req: Request) -> Response | None:
        if req.path.startswith("/v3/"):
            try:
                return self._v3(req)
            except WechatError as exc:
                return self._signed(exc.status, {"code": exc.code, "message": exc.message})
        v2 = {
            "/pay/micropay": self._micropay,
            "/pay/orderquery": self._orderquery,
            "/secapi/pay/reverse": self._reverse,
        }
        if req.path in v2 and req.method == "POST":
            return self._v2(req, v2[req.path])
        return None

    # --- API v3 ---------------------------------------------------------------------------
    def _v3(self, req: Request) -> Response:
        if req.path == "/v3/pay/transactions/native" and req.method == "POST":
            self._check_authorization(req)
            return self._native(_json_body(req))
        if req.path == "/v3/certificates" and req.method == "GET":
            self._check_authorization(req)
            return self._signed(200, self._certificates())
        match = _ORDER_PATH.match(req.path)
        if match and req.method == "GET" and not match.group(3):
            self._check_authorization(req)
            if req.query.get("mchid") != self.mchid:
                raise WechatError(
                    400, "PARAM_ERROR", f"mchid 查询参数缺失或不是本商户号 / query mchid must be {self.mchid}"
                )
            by, key = match.group(1), match.group(2)
            order = self._order(key) if by == "out-trade-no" else self._by_transaction_id(key)
            return self._signed(200, self._transaction(order, query=True))
        if match and req.method == "POST" and match.group(1) == "out-trade-no" and match.group(3):
            self._check_authorization(req)
            return self._close(match.group(2), _json_body(req))
        raise WechatError(404, "NOT_FOUND", f"没有这个接口 / no such API: {req.method} {req.path}")

    def _by_transaction_id(self, transaction_id: str) -> Order:
        order = next(
            (o for o in self.book.all() if o.provider == self.name and o.transaction_id == transaction_id), None
        )
        if order is None:
            raise WechatError(404, "ORDER_NOT_EXIST", f"订单不存在 / no transaction {transaction_id}")
        return order

    def _certificates(self) -> dict[str, Any]:
        """``GET /v3/certificates``: the platform certificate, encrypted with the APIv3 key like a notification."""
        iv = nonce(12)
        ciphertext = AESGCM(self.keys.ids["wechat_apiv3_key"].encode()).encrypt(
            iv.encode(), self.keys.platform_cert_pem.encode(), b"certificate"
        )
        cert = x509.load_pem_x509_certificate(self.keys.platform_cert_pem.encode())
        return {
            "data": [
                {
                    "serial_no": self.keys.platform_serial,
                    "effective_time": cert.not_valid_before_utc.astimezone(CHINA).isoformat(timespec="seconds"),
                    "expire_time": cert.not_valid_after_utc.astimezone(CHINA).isoformat(timespec="seconds"),
                    "encrypt_certificate": {
                        "algorithm": "AEAD_AES_256_GCM",
                        "nonce": iv,
                        "associated_data": "certificate",
                        "ciphertext": base64.b64encode(ciphertext).decode("ascii"),
                    },
                }
            ]
        }

    def _check_authorization(self, req: Request) -> None:
        header = req.headers.get("Authorization", "")
        scheme, _, params_text = header.partition(" ")
        params = dict(_AUTH_PARAM.findall(params_text))
        if scheme != "WECHATPAY2-SHA256-RSA2048" or not {
            "mchid",
            "nonce_str",
            "signature",
            "timestamp",
            "serial_no",
        } <= set(params):
            raise WechatError(
                401,
                "SIGN_ERROR",
                "Authorization 头缺失或格式错误 / missing or malformed WECHATPAY2-SHA256-RSA2048 header",
            )
        if params["mchid"] != self.mchid:
            raise WechatError(401, "SIGN_ERROR", f"商户号不匹配 / mchid {params['mchid']!r} is not this merchant")
        if params["serial_no"] != self.keys.ids["wechat_serial_no"]:
            raise WechatError(401, "SIGN_ERROR", "商户证书序列号不匹配 / serial_no is not the merchant certificate's")
        if not params["timestamp"].isdigit() or abs(int(params["timestamp"]) - time.time()) > MAX_CLOCK_SKEW_S:
            raise WechatError(401, "SIGN_ERROR", "时间戳与服务器相差超过5分钟 / timestamp more than 5 minutes off")
        message = f"{req.method}\n{req.target}\n{params['timestamp']}\n{params['nonce_str']}\n".encode()
        if not rsa_verify(self.keys.public("wechat_merchant"), message + req.body + b"\n", params["signature"]):
            raise WechatError(
                401, "SIGN_ERROR", "签名错误，请检查签名参数和方法是否都符合签名算法要求 / signature does not verify"
            )

    def _signed_headers(self, body: bytes) -> dict[str, str]:
        stamp, once = str(int(time.time())), nonce()
        signature = rsa_sign(self.keys.keys["wechat_platform"], f"{stamp}\n{once}\n".encode() + body + b"\n")
        return {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": once,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": self.keys.platform_serial,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
            "Request-ID": uuid.uuid4().hex,
        }

    def _signed(self, status: int, doc: Any | None) -> Response:
        body = b"" if doc is None else json_bytes(doc)
        headers = self._signed_headers(body)
        if doc is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        return Response(status, body, headers)

    def _order(self, order_id: str) -> Order:
        order = self.book.get(self.name, order_id)
        if order is None:
            raise WechatError(404, "ORDER_NOT_EXIST", f"订单不存在 / no order {order_id}")
        return order

    def _native(self, doc: dict[str, Any]) -> Response:
        if doc.get("appid") != self.appid or doc.get("mchid") != self.mchid:
            raise WechatError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配 / appid and mchid do not match")
        order_id, description = doc.get("out_trade_no"), doc.get("description")
        amount = doc.get("amount") if isinstance(doc.get("amount"), dict) else {}
        total = amount.get("total")
        if not (isinstance(order_id, str) and 6 <= len(order_id) <= 32 and order_id.isascii()):
            raise WechatError(
                400, "PARAM_ERROR", "out_trade_no 必须是6到32个字符 / out_trade_no must be 6-32 characters"
            )
        if not (isinstance(description, str) and description) or not isinstance(doc.get("notify_url"), str):
            raise WechatError(
                400, "PARAM_ERROR", "缺少 description 或 notify_url / description and notify_url are required"
            )
        if not isinstance(total, int) or isinstance(total, bool) or total <= 0:
            raise WechatError(400, "PARAM_ERROR", "amount.total 必须是正整数（分） / amount.total must be positive fen")
        if amount.get("currency", "CNY") != "CNY":
            raise WechatError(400, "PARAM_ERROR", "仅支持人民币 CNY / currency must be CNY")
        with self.book.lock:
            order = self.book.get(self.name, order_id)
            if order is not None:
                if order.state is State.PAID:
                    raise WechatError(400, "ORDERPAID", "该订单已支付 / this order is already paid")
                if order.state is not State.OPEN:
                    raise WechatError(400, "ORDER_CLOSED", "订单已关闭 / this order is closed; use a new out_trade_no")
                if order.amount_fen != total or order.description != description:
                    raise WechatError(
                        400, "INVALID_REQUEST", "201 商户订单号重复 / out_trade_no already used with other parameters"
                    )
                return self._signed(200, {"code_url": order.qr_content})
            self.book.add(
                Order(
                    provider=self.name,
                    order_id=order_id,
                    kind="qr",
                    amount_fen=total,
                    description=description,
                    notify_url=doc["notify_url"],
                    qr_content=QR_PREFIX + secrets.token_urlsafe(12),
                    expires_ms=_parse_expire(doc.get("time_expire")),
                )
            )
            return self._signed(200, {"code_url": self.book.get(self.name, order_id).qr_content})

    def _close(self, order_id: str, doc: dict[str, Any]) -> Response:
        if doc.get("mchid") != self.mchid:
            raise WechatError(400, "PARAM_ERROR", f"mchid 缺失或不是本商户号 / body mchid must be {self.mchid}")
        with self.book.lock:
            order = self._order(order_id)
            if order.state is State.PAID:
                raise WechatError(400, "ORDERPAID", "订单已支付，不能关闭 / the order is paid and cannot be closed")
            if order.state in (State.OPEN, State.PAYING):
                order.mark(State.CLOSED, "closed by merchant")
            return self._signed(204, None)

    def _transaction(self, order: Order, query: bool = False) -> dict[str, Any]:
        with self.book.lock:
            if query:
                self.on_query(order)
            state, desc = TRADE_STATE[order.state]
            doc: dict[str, Any] = {
                "appid": self.appid,
                "mchid": self.mchid,
                "out_trade_no": order.order_id,
                "trade_type": "NATIVE" if order.kind == "qr" else "MICROPAY",
                "trade_state": state,
                "trade_state_desc": desc,
                "amount": {"total": order.amount_fen, "currency": "CNY"},
            }
            if order.state is State.PAID:
                doc.update(
                    transaction_id=order.transaction_id,
                    bank_type="OTHERS",
                    attach="",
                    success_time=rfc3339(order.paid_ms or now_ms()),
                    payer={"openid": "oSimulatedCustomerOpenId000"},
                )
                doc["amount"].update(payer_total=order.amount_fen, payer_currency="CNY")
            return doc

    def notification(self, order: Order) -> Outgoing | None:
        if not order.notify_url or order.kind != "qr":  # v2 付款码 has no notify_url: the merchant polls
            return None
        resource_plain = json_bytes(self._transaction(order))
        iv = nonce(12)
        ciphertext = AESGCM(self.keys.ids["wechat_apiv3_key"].encode()).encrypt(
            iv.encode(), resource_plain, b"transaction"
        )
        body = json_bytes(
            {
                # the same payment keeps its id across retries and duplicates (merchants dedupe on it)
                "id": str(uuid.uuid5(uuid.NAMESPACE_OID, "wechat:" + order.transaction_id)),
                "create_time": rfc3339(now_ms()),
                "resource_type": "encrypt-resource",
                "event_type": "TRANSACTION.SUCCESS",
                "summary": "支付成功",
                "resource": {
                    "original_type": "transaction",
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": base64.b64encode(ciphertext).decode("ascii"),
                    "associated_data": "transaction",
                    "nonce": iv,
                },
            }
        )
        headers = {"Content-Type": "application/json", **self._signed_headers(body)}
        return Outgoing(order.notify_url, headers, body)

    def accepted(self, status: int, body: bytes) -> bool:
        return status in (200, 204)

    # --- API v2 付款码 ---------------------------------------------------------------------
    def _v2(self, req: Request, action: Any) -> Response:
        key = self.keys.ids["wechat_v2_key"]
        try:
            fields = parse_v2_xml(req.body)
        except ValueError as exc:
            return self._v2_answer({"return_code": "FAIL", "return_msg": f"XML格式错误 / {exc}"}, sign=False)
        if fields.get("sign_type", "MD5") != "HMAC-SHA256":
            return self._v2_answer({"return_code": "FAIL", "return_msg": "签名类型须为 HMAC-SHA256 / sign_type"}, False)
        if not hmac.compare_digest(fields.get("sign", ""), v2_sign(fields, key)):
            return self._v2_answer({"return_code": "FAIL", "return_msg": "签名错误 / signature does not verify"}, False)
        if fields.get("appid") != self.appid or fields.get("mch_id") != self.mchid:
            return self._v2_answer(
                {"return_code": "FAIL", "return_msg": "appid和mch_id不匹配 / appid or mch_id"}, False
            )
        with self.book.lock:
            result = action(fields)
        answer = {"return_code": "SUCCESS", "return_msg": "OK", "appid": self.appid, "mch_id": self.mchid}
        answer["nonce_str"] = nonce()
        answer.update(result)
        return self._v2_answer(answer, sign=True)

    def _v2_answer(self, fields: dict[str, str], sign: bool) -> Response:
        if sign:
            fields["sign"] = v2_sign(fields, self.keys.ids["wechat_v2_key"])
        return Response(200, v2_xml(fields), {"Content-Type": "text/xml; charset=utf-8"})

    @staticmethod
    def _v2_fail(code: str, text: str) -> dict[str, str]:
        return {"result_code": "FAIL", "err_code": code, "err_code_des": text}

    def _v2_paid_fields(self, order: Order) -> dict[str, str]:
        paid = datetime.fromtimestamp((order.paid_ms or now_ms()) / 1000, CHINA)
        return {
            "openid": "oSimulatedCustomerOpenId000",
            "is_subscribe": "N",
            "trade_type": "MICROPAY",
            "bank_type": "OTHERS",
            "fee_type": "CNY",
            "total_fee": str(order.amount_fen),
            "cash_fee": str(order.amount_fen),
            "transaction_id": order.transaction_id,
            "time_end": paid.strftime("%Y%m%d%H%M%S"),
        }

    def _micropay(self, fields: dict[str, str]) -> dict[str, str]:
        order_id, auth_code, total = (
            fields.get("out_trade_no", ""),
            fields.get("auth_code", ""),
            fields.get("total_fee", ""),
        )
        if not (order_id and fields.get("body") and total.isdigit() and int(total) > 0):
            return self._v2_fail("PARAM_ERROR", "缺少 out_trade_no/body 或 total_fee 不是正整数（分）")
        try:
            issuer = code_provider(auth_code)
        except PaymentMessageError:
            issuer = ""
        if issuer != "wechat":
            return self._v2_fail("AUTH_CODE_INVALID", "付款码无效，请让顾客刷新后重新扫码 / invalid auth_code")
        order = self.book.get(self.name, order_id)
        if order is not None:
            if order.amount_fen != int(total) or order.auth_code != auth_code:
                return self._v2_fail("OUT_TRADE_NO_USED", "商户订单号重复 / out_trade_no already used")
            return self._v2_state_answer(order)  # a retried micropay answers the order as it stands
        order = self.book.add(
            Order(
                provider=self.name,
                order_id=order_id,
                kind="micropay",
                amount_fen=int(total),
                description=fields["body"],
                auth_code=auth_code,
            )
        )
        self.start_micropay(order)
        return self._v2_state_answer(order)

    def _v2_state_answer(self, order: Order) -> dict[str, str]:
        if order.state is State.PAID:
            return {"result_code": "SUCCESS", "out_trade_no": order.order_id, **self._v2_paid_fields(order)}
        if order.state is State.PAYING:
            return self._v2_fail("USERPAYING", "需要用户输入支付密码")
        if order.state is State.FAILED:
            return self._v2_fail("NOTENOUGH", "用户余额不足 / balance not enough")
        if order.state is State.REVERSED:
            return self._v2_fail("ORDERREVERSED", "订单已撤销")
        return self._v2_fail("ORDERCLOSED", "订单已关闭")

    def _orderquery(self, fields: dict[str, str]) -> dict[str, str]:
        order = self.book.get(self.name, fields.get("out_trade_no", ""))
        if order is None:
            return self._v2_fail("ORDERNOTEXIST", "此交易订单号不存在 / no such out_trade_no")
        self.on_query(order)
        state, desc = TRADE_STATE[order.state]
        answer = {"result_code": "SUCCESS", "out_trade_no": order.order_id, "trade_state": state}
        answer["trade_state_desc"] = desc
        if order.state is State.PAID:
            answer.update(self._v2_paid_fields(order))
            answer["trade_type"] = "MICROPAY" if order.kind == "micropay" else "NATIVE"
        return answer

    def _reverse(self, fields: dict[str, str]) -> dict[str, str]:
        order = self.book.get(self.name, fields.get("out_trade_no", ""))
        if order is None:
            return self._v2_fail("ORDERNOTEXIST", "此交易订单号不存在 / no such out_trade_no")
        if order.kind != "micropay":
            return self._v2_fail(
                "TRADE_ERROR", "只能撤销付款码订单，扫码订单请关单 / only micropay orders can be reversed"
            )
        if order.state is not State.REVERSED:  # real 撤销 undoes a paid order too: the money goes back
            order.mark(State.REVERSED, "reversed by merchant" + (" (refunded)" if order.state is State.PAID else ""))
        return {"result_code": "SUCCESS", "recall": "N"}


def _json_body(req: Request) -> dict[str, Any]:
    try:
        doc = json.loads(req.body or b"{}")
    except ValueError:
        raise WechatError(400, "PARAM_ERROR", "请求体不是JSON / body is not JSON") from None
    if not isinstance(doc, dict):
        raise WechatError(400, "PARAM_ERROR", "请求体须为JSON对象 / body must be a JSON object")
    return doc


def _parse_expire(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value).timestamp()) * 1000
    except ValueError:
        raise WechatError(400, "PARAM_ERROR", f"time_expire 不是 RFC3339 时间 / time_expire {value!r}") from None
