"""The payment gateway simulator spoken to as a merchant would: hand-signed requests, verified answers.

Each test signs its requests with the keys from accounts.json (cryptography), checks the
simulator's signatures the way a provider client must, and receives notifications with a tiny
stdlib HTTP server. Nothing here imports central: the wire format is the contract.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from edge.core import emvco
from simulator.payment import PaymentGateway, SimError

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ORDER = "2024011500100125112600017301"  # trace code + attempt, as central makes them
WECHAT_CODE = "134567890123456789"  # 18 digits starting 13: a WeChat 付款码
ALIPAY_CODE = "287654321098765432"  # starting 28: an Alipay 付款码


# --- a merchant's notify_url ---------------------------------------------------------------
@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class NotifyReceiver:
    """Records every notification; answers from ``answers`` (then ``default``) like a merchant server."""

    default: tuple[int, bytes] = (200, b"")
    answers: list[tuple[int, bytes]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def wait(self, count: int, timeout_s: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout_s
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= count, f"expected {count} notifications, got {len(self.received)}"
        return self.received


@pytest.fixture
def receiver() -> Iterator[NotifyReceiver]:
    state = NotifyReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status, answer = state.answers.pop(0) if state.answers else state.default
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("payment-state")  # keys are generated once for the module


@pytest.fixture
def gw(state_dir: Path) -> Iterator[PaymentGateway]:
    gateway = PaymentGateway(state_dir, host="127.0.0.1", port=0).start()
    yield gateway
    gateway.stop()


# --- small hand-written clients ------------------------------------------------------------
def http(method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, data=body if method != "GET" else None, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers.items()), answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()


def load_key(pem: str) -> Any:
    return serialization.load_pem_private_key(pem.encode(), password=None)


def sign(pem: str, data: bytes) -> str:
    return base64.b64encode(load_key(pem).sign(data, padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(public_key: Any, data: bytes, signature: str) -> None:
    public_key.verify(base64.b64decode(signature), data, padding.PKCS1v15(), hashes.SHA256())  # raises if wrong


class Wechat:
    def __init__(self, account: dict[str, Any]) -> None:
        self.a = account
        cert = x509.load_pem_x509_certificate(account["platform_cert_pem"].encode())
        self.platform_key = cert.public_key()
        assert f"{cert.serial_number:X}" == account["platform_serial"]

    def call(
        self,
        method: str,
        target: str,
        doc: dict | None = None,
        tamper: Callable[[bytes], bytes] | None = None,
        stamp: str = "",
    ) -> tuple[int, dict, Any]:
        body = b"" if doc is None else json.dumps(doc, ensure_ascii=False).encode()
        stamp, nonce = stamp or str(int(time.time())), secrets.token_hex(16)
        signature = sign(self.a["private_key_pem"], f"{method}\n{target}\n{stamp}\n{nonce}\n".encode() + body + b"\n")
        auth = (
            f'WECHATPAY2-SHA256-RSA2048 mchid="{self.a["mchid"]}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{stamp}",serial_no="{self.a["serial_no"]}"'
        )
        sent = tamper(body) if tamper else body
        headers = {"Authorization": auth, "Content-Type": "application/json", "Accept": "application/json"}
        status, answer_headers, raw = http(method, self.a["api_base"] + target, sent, headers)
        self.check_signed(answer_headers, raw)
        return status, answer_headers, json.loads(raw) if raw else None

    def check_signed(self, headers: dict[str, str], body: bytes) -> None:
        h = {k.lower(): v for k, v in headers.items()}
        assert h["wechatpay-serial"] == self.a["platform_serial"]
        message = f"{h['wechatpay-timestamp']}\n{h['wechatpay-nonce']}\n".encode() + body + b"\n"
        verify(self.platform_key, message, h["wechatpay-signature"])

    def native(self, order_id: str, total: int, notify_url: str, description: str = "溯源秤 A12 白菜") -> tuple:
        doc = {
            "appid": self.a["appid"],
            "mchid": self.a["mchid"],
            "description": description,
            "out_trade_no": order_id,
            "notify_url": notify_url,
            "amount": {"total": total, "currency": "CNY"},
        }
        return self.call("POST", "/v3/pay/transactions/native", doc)

    def query(self, order_id: str) -> tuple:
        return self.call("GET", f"/v3/pay/transactions/out-trade-no/{order_id}?mchid={self.a['mchid']}")

    def close(self, order_id: str) -> tuple:
        return self.call("POST", f"/v3/pay/transactions/out-trade-no/{order_id}/close", {"mchid": self.a["mchid"]})

    def decrypt(self, received: Received) -> dict[str, Any]:
        """What a merchant does with a notification: check the signature, then open the resource."""
        self.check_signed(received.headers, received.body)
        resource = json.loads(received.body)["resource"]
        assert resource["algorithm"] == "AEAD_AES_256_GCM"
        plain = AESGCM(self.a["apiv3_key"].encode()).decrypt(
            resource["nonce"].encode(), base64.b64decode(resource["ciphertext"]), resource["associated_data"].encode()
        )
        return json.loads(plain)

    def v2(self, path: str, fields: dict[str, str], key: str | None = None) -> dict[str, str]:
        fields = {"appid": self.a["appid"], "mch_id": self.a["mchid"], "nonce_str": secrets.token_hex(8), **fields}
        fields["sign_type"] = "HMAC-SHA256"
        fields["sign"] = v2_sign(fields, key or self.a["v2_key"])
        body = "<xml>" + "".join(f"<{k}>{v}</{k}>" for k, v in fields.items()) + "</xml>"
        status, _, raw = http("POST", self.a["api_base"] + path, body.encode(), {"Content-Type": "text/xml"})
        assert status == 200
        answer = {child.tag: child.text or "" for child in ET.fromstring(raw)}
        if answer["return_code"] == "SUCCESS":
            assert answer["sign"] == v2_sign(answer, self.a["v2_key"]), "v2 answer signature"
        return answer

    def micropay(self, order_id: str, total: int, auth_code: str = WECHAT_CODE) -> dict[str, str]:
        fields = {"body": "溯源秤 A12", "out_trade_no": order_id, "total_fee": str(total), "auth_code": auth_code}
        return self.v2("/pay/micropay", {**fields, "spbill_create_ip": "127.0.0.1"})


def v2_sign(fields: dict[str, str], key: str) -> str:
    text = "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "sign" and v)
    return hmac.new(key.encode(), f"{text}&key={key}".encode(), hashlib.sha256).hexdigest().upper()


class Alipay:
    def __init__(self, account: dict[str, Any]) -> None:
        self.a = account
        self.alipay_key = serialization.load_pem_public_key(account["alipay_public_key_pem"].encode())

    def call(self, method: str, biz: dict[str, Any], notify_url: str = "", key_pem: str | None = None) -> dict:
        params = {
            "app_id": self.a["app_id"],
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            "notify_url": notify_url,
            "biz_content": json.dumps(biz, ensure_ascii=False),
        }
        params = {k: v for k, v in params.items() if v}
        content = "&".join(f"{k}={params[k]}" for k in sorted(params))
        params["sign"] = sign(key_pem or self.a["private_key_pem"], content.encode())
        headers = {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"}
        status, _, raw = http("POST", self.a["gateway"], urllib.parse.urlencode(params).encode(), headers)
        assert status == 200
        text = raw.decode()
        node = method.replace(".", "_") + "_response"
        # verify over the exact text of the node, as Alipay's SDKs do
        match = re.fullmatch(r'\{"' + node + r'":(\{.*\}),"sign":"([^"]+)"\}', text)
        assert match, text
        verify(self.alipay_key, match.group(1).encode(), match.group(2))
        return json.loads(match.group(1))

    def check_notification(self, received: Received) -> dict[str, str]:
        fields = dict(urllib.parse.parse_qsl(received.body.decode()))
        content = "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k not in ("sign", "sign_type") and fields[k])
        verify(self.alipay_key, content.encode(), fields["sign"])
        return fields


class Unionpay:
    def __init__(self, account: dict[str, Any]) -> None:
        self.a = account
        self.acquirer_key = serialization.load_pem_public_key(account["acquirer_public_key_pem"].encode())

    def payload(self, order_id: str, amount_fen: int, account: str | None = None) -> str:
        qr = emvco.MerchantQr(
            merchant_name=self.a["merchant_name"],
            merchant_city=self.a["merchant_city"],
            category_code=self.a["mcc"],
            accounts=emvco.accounts(("26", [("00", "A000000333"), ("01", account or self.a["merchant_account"])])),
            amount_fen=amount_fen,
            bill_number=order_id,
        )
        return qr.payload()

    def call(self, path: str, doc: dict[str, Any], signature: str | None = None) -> tuple[int, dict]:
        body = json.dumps(doc).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Merchant-Signature": signature or sign(self.a["private_key_pem"], body),
        }
        status, answer_headers, raw = http("POST", self.a["acquirer_base"] + path, body, headers)
        verify(self.acquirer_key, raw, {k.lower(): v for k, v in answer_headers.items()}["x-acquirer-signature"])
        return status, json.loads(raw)


# --- accounts and keys ---------------------------------------------------------------------
def test_accounts_json_has_every_config_key_and_keys_survive_a_restart(state_dir: Path) -> None:
    first = PaymentGateway(state_dir).start()
    try:
        on_disk = json.loads((state_dir / "accounts.json").read_text())
        assert on_disk == first.accounts
        assert set(on_disk["wechat"]) == {
            "api_base", "mchid", "appid", "serial_no", "private_key_pem", "platform_serial", "platform_cert_pem",
            "apiv3_key", "v2_key",
        }  # fmt: skip
        assert set(on_disk["alipay"]) == {"gateway", "app_id", "private_key_pem", "alipay_public_key_pem"}
        assert set(on_disk["unionpay"]) == {
            "acquirer_base", "merchant_account", "merchant_name", "merchant_city", "mcc", "private_key_pem",
            "acquirer_public_key_pem",
        }  # fmt: skip
        assert on_disk["wechat"]["api_base"] == first.url
        assert on_disk["alipay"]["gateway"] == first.url + "/gateway.do"
        assert len(on_disk["wechat"]["apiv3_key"]) == 32 and on_disk["wechat"]["apiv3_key"].isascii()
        assert oct((state_dir / "accounts.json").stat().st_mode & 0o777) == "0o600"
    finally:
        first.stop()
    second = PaymentGateway(state_dir).start()
    try:
        for provider in ("wechat", "alipay", "unionpay"):  # same merchant, new port
            assert second.accounts[provider]["private_key_pem"] == first.accounts[provider]["private_key_pem"]
        assert second.accounts["wechat"]["platform_cert_pem"] == first.accounts["wechat"]["platform_cert_pem"]
        assert json.loads((state_dir / "accounts.json").read_text())["wechat"]["api_base"] == second.url
    finally:
        second.stop()


# --- WeChat Pay v3 Native ------------------------------------------------------------------
def test_wechat_native_order_paid_notification_and_query(gw: PaymentGateway, receiver: NotifyReceiver) -> None:
    wx = Wechat(gw.accounts["wechat"])
    status, _, doc = wx.native(ORDER, 1234, receiver.url + "/pay/notify/wechat/m1")
    assert status == 200 and doc["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    status, _, doc = wx.query(ORDER)
    assert (status, doc["trade_state"], doc["amount"]["total"]) == (200, "NOTPAY", 1234)
    assert "transaction_id" not in doc

    order = gw.scan(wx.native(ORDER, 1234, receiver.url + "/pay/notify/wechat/m1")[2]["code_url"])
    assert order["state"] == "paid" and order["order_id"] == ORDER

    note = receiver.wait(1)[0]
    assert note.path == "/pay/notify/wechat/m1"
    envelope = json.loads(note.body)
    assert envelope["event_type"] == "TRANSACTION.SUCCESS" and envelope["resource_type"] == "encrypt-resource"
    transaction = wx.decrypt(note)
    assert transaction["out_trade_no"] == ORDER and transaction["trade_state"] == "SUCCESS"
    assert transaction["amount"]["total"] == 1234 and transaction["amount"]["payer_total"] == 1234
    assert transaction["mchid"] == gw.accounts["wechat"]["mchid"]

    status, _, doc = wx.query(ORDER)
    assert (doc["trade_state"], doc["transaction_id"]) == ("SUCCESS", transaction["transaction_id"])
    assert doc["success_time"].endswith("+08:00")
    status, _, doc = wx.close(ORDER)  # the money arrived: closing is refused
    assert (status, doc["code"]) == (400, "ORDERPAID")
    _wait_until(lambda: gw.order(ORDER)["notifications_sent"] == 1)


def test_wechat_refuses_bad_or_missing_signatures(gw: PaymentGateway, receiver: NotifyReceiver) -> None:
    wx = Wechat(gw.accounts["wechat"])
    doc = {"appid": wx.a["appid"], "mchid": wx.a["mchid"], "description": "x", "out_trade_no": ORDER,
           "notify_url": receiver.url, "amount": {"total": 100}}  # fmt: skip
    status, _, answer = wx.call("POST", "/v3/pay/transactions/native", doc, tamper=lambda b: b.replace(b"100", b"1"))
    assert (status, answer["code"]) == (401, "SIGN_ERROR")
    status, headers, raw = http("GET", f"{wx.a['api_base']}/v3/pay/transactions/out-trade-no/{ORDER}?mchid=1")
    wx.check_signed(headers, raw)  # even a refusal is signed by the platform
    assert (status, json.loads(raw)["code"]) == (401, "SIGN_ERROR")
    other = Wechat({**wx.a, "private_key_pem": gw.accounts["alipay"]["private_key_pem"]})  # wrong merchant key
    assert other.native(ORDER, 100, receiver.url)[0] == 401
    stale = str(int(time.time()) - 600)  # a correctly signed request replayed ten minutes later
    assert wx.call("GET", f"/v3/pay/transactions/out-trade-no/{ORDER}?mchid={wx.a['mchid']}", stamp=stale)[0] == 401
    assert gw.orders() == []


def test_wechat_certificate_download_and_query_by_transaction_id(gw: PaymentGateway, receiver: NotifyReceiver) -> None:
    wx = Wechat(gw.accounts["wechat"])
    status, _, doc = wx.call("GET", "/v3/certificates")
    (item,) = doc["data"]
    assert (status, item["serial_no"]) == (200, wx.a["platform_serial"])
    sealed = item["encrypt_certificate"]
    pem = AESGCM(wx.a["apiv3_key"].encode()).decrypt(
        sealed["nonce"].encode(), base64.b64decode(sealed["ciphertext"]), sealed["associated_data"].encode()
    )
    assert pem.decode() == wx.a["platform_cert_pem"]

    gw.scan(wx.native(ORDER, 321, receiver.url)[2]["code_url"])
    transaction_id = gw.order(ORDER)["transaction_id"]
    status, _, doc = wx.call("GET", f"/v3/pay/transactions/id/{transaction_id}?mchid={wx.a['mchid']}")
    assert (status, doc["out_trade_no"], doc["trade_state"]) == (200, ORDER, "SUCCESS")
    assert wx.call("GET", f"/v3/pay/transactions/id/4200000000?mchid={wx.a['mchid']}")[2]["code"] == "ORDER_NOT_EXIST"


def test_wechat_duplicate_order_id_and_closed_orders(gw: PaymentGateway, receiver: NotifyReceiver) -> None:
    wx = Wechat(gw.accounts["wechat"])
    first = wx.native(ORDER, 500, receiver.url)[2]["code_url"]
    assert wx.native(ORDER, 500, receiver.url)[2]["code_url"] == first  # a retried create gets the same code
    status, _, doc = wx.native(ORDER, 600, receiver.url)
    assert (status, doc["code"]) == (400, "INVALID_REQUEST")

    status, _, doc = wx.close(ORDER)
    assert (status, doc) == (204, None)
    assert wx.query(ORDER)[2]["trade_state"] == "CLOSED"
    with pytest.raises(SimError) as refused:
        gw.scan(first)
    assert refused.value.status == 409 and "无法支付" in refused.value.message_zh
    assert wx.native(ORDER, 500, receiver.url)[2]["code"] == "ORDER_CLOSED"
    assert wx.query("2024011500100125112600017399")[:1] == (404,)
    assert receiver.received == []


def test_notifications_are_retried_until_the_merchant_answers_200(gw: PaymentGateway, receiver: NotifyReceiver) -> None:
    receiver.answers = [(500, b'{"code":"FAIL"}'), (503, b"")]
    wx = Wechat(gw.accounts["wechat"])
    gw.scan(wx.native(ORDER, 990, receiver.url)[2]["code_url"])
    notes = receiver.wait(3)
    _wait_until(lambda: gw.order(ORDER)["notifications_sent"] == 1)
    assert {n.body for n in notes} == {notes[0].body}  # a retry is the same notification
    assert gw.order(ORDER)["notify_attempts"] == 3
    time.sleep(0.5)
    assert len(receiver.received) == 3  # accepted: no more retries


def test_pay_twice_sends_the_same_notification_id_and_replay_resends_byte_for_byte(
    gw: PaymentGateway, receiver: NotifyReceiver
) -> None:
    wx = Wechat(gw.accounts["wechat"])
    gw.scan(wx.native(ORDER, 2372, receiver.url)[2]["code_url"], action="pay_twice")
    first, second = receiver.wait(2)
    assert json.loads(first.body)["id"] == json.loads(second.body)["id"]
    assert wx.decrypt(first)["transaction_id"] == wx.decrypt(second)["transaction_id"]

    gw.act(ORDER, "replay")
    replayed = receiver.wait(3)[2]
    assert replayed.body == second.body
    for name in ("wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial"):
        assert replayed.headers[name] == second.headers[name]
    with pytest.raises(SimError):
        gw.act(ORDER, "pay")  # already paid


def test_held_back_notifications_leave_central_to_query(gw: PaymentGateway, receiver: NotifyReceiver) -> None:
    gw.set_behaviour(notify=False)
    wx = Wechat(gw.accounts["wechat"])
    code_url = wx.native(ORDER, 100, receiver.url)[2]["code_url"]
    assert gw.scan(code_url)["state"] == "paid"
    time.sleep(0.5)
    assert receiver.received == []
    assert wx.query(ORDER)[2]["trade_state"] == "SUCCESS"
    gw.act(ORDER, "replay")  # the held-back notification can still be delivered on demand
    assert wx.decrypt(receiver.wait(1)[0])["trade_state"] == "SUCCESS"


def test_customer_cancel_leaves_a_qr_order_open(gw: PaymentGateway, receiver: NotifyReceiver) -> None:
    wx = Wechat(gw.accounts["wechat"])
    code_url = wx.native(ORDER, 100, receiver.url)[2]["code_url"]
    assert gw.scan(code_url, action="cancel")["state"] == "open"
    assert wx.query(ORDER)[2]["trade_state"] == "NOTPAY"
    assert gw.scan(code_url)["state"] == "paid"  # changed their mind


# --- WeChat v2 付款码 ----------------------------------------------------------------------
def test_wechat_micropay_paid_at_once(gw: PaymentGateway) -> None:
    wx = Wechat(gw.accounts["wechat"])
    answer = wx.micropay(ORDER, 888)
    assert (answer["return_code"], answer["result_code"], answer["total_fee"]) == ("SUCCESS", "SUCCESS", "888")
    assert answer["transaction_id"] and answer["trade_type"] == "MICROPAY"
    assert wx.v2("/pay/orderquery", {"out_trade_no": ORDER})["trade_state"] == "SUCCESS"
    assert wx.micropay(ORDER, 999)["err_code"] == "OUT_TRADE_NO_USED"


def test_wechat_micropay_userpaying_then_paid_after_the_second_query(gw: PaymentGateway) -> None:
    gw.set_behaviour(micropay="userpaying_then_pay")
    wx = Wechat(gw.accounts["wechat"])
    answer = wx.micropay(ORDER, 450)
    assert (answer["result_code"], answer["err_code"]) == ("FAIL", "USERPAYING")
    states = [wx.v2("/pay/orderquery", {"out_trade_no": ORDER})["trade_state"] for _ in range(3)]
    assert states == ["USERPAYING", "SUCCESS", "SUCCESS"]


def test_wechat_micropay_userpaying_reversed_and_failures(gw: PaymentGateway) -> None:
    wx = Wechat(gw.accounts["wechat"])
    gw.set_behaviour(micropay="userpaying")
    assert wx.micropay(ORDER, 450)["err_code"] == "USERPAYING"
    for _ in range(3):
        assert wx.v2("/pay/orderquery", {"out_trade_no": ORDER})["trade_state"] == "USERPAYING"
    assert wx.v2("/secapi/pay/reverse", {"out_trade_no": ORDER})["result_code"] == "SUCCESS"
    assert wx.v2("/pay/orderquery", {"out_trade_no": ORDER})["trade_state"] == "REVOKED"
    assert gw.order(ORDER)["state"] == "reversed"

    gw.set_behaviour(micropay="fail")
    failed = wx.micropay("2024011500100125112600017302", 450)
    assert (failed["result_code"], failed["err_code"]) == ("FAIL", "NOTENOUGH")
    assert wx.micropay("2024011500100125112600017303", 450, auth_code="281234567890123456")["err_code"] == (
        "AUTH_CODE_INVALID"
    )  # an Alipay code is no WeChat code
    bad = wx.v2("/pay/micropay", {"out_trade_no": "x1", "total_fee": "1", "body": "b"}, key="0" * 32)
    assert (bad["return_code"], "签名错误" in bad["return_msg"]) == ("FAIL", True)


def test_customer_cancels_at_the_password_prompt(gw: PaymentGateway) -> None:
    gw.set_behaviour(micropay="userpaying")
    wx = Wechat(gw.accounts["wechat"])
    wx.micropay(ORDER, 450)
    assert gw.act(ORDER, "cancel")["state"] == "failed"
    assert wx.v2("/pay/orderquery", {"out_trade_no": ORDER})["trade_state"] == "PAYERROR"


# --- Alipay --------------------------------------------------------------------------------
def precreate(ali: Alipay, order_id: str, amount: str, notify_url: str) -> dict:
    biz = {"out_trade_no": order_id, "total_amount": amount, "subject": "溯源秤 A12 白菜"}
    return ali.call("alipay.trade.precreate", biz, notify_url)


def test_alipay_precreate_scan_notification_query(gw: PaymentGateway, receiver: NotifyReceiver) -> None:
    receiver.default = (200, b"success")
    ali = Alipay(gw.accounts["alipay"])
    answer = precreate(ali, ORDER, "12.34", receiver.url + "/pay/notify/alipay/m1")
    assert answer["code"] == "10000" and answer["qr_code"].startswith("https://qr.alipay.com/")
    # like the real Alipay: no trade until the customer scans
    assert ali.call("alipay.trade.query", {"out_trade_no": ORDER})["sub_code"] == "ACQ.TRADE_NOT_EXIST"

    gw.scan(answer["qr_code"])
    fields = ali.check_notification(receiver.wait(1)[0])
    assert (fields["trade_status"], fields["out_trade_no"], fields["total_amount"]) == ("TRADE_SUCCESS", ORDER, "12.34")
    assert fields["app_id"] == ali.a["app_id"] and fields["notify_type"] == "trade_status_sync"
    _wait_until(lambda: gw.order(ORDER)["notifications_sent"] == 1)

    query = ali.call("alipay.trade.query", {"out_trade_no": ORDER})
    assert (query["code"], query["trade_status"], query["trade_no"]) == ("10000", "TRADE_SUCCESS", fields["trade_no"])
    closed = ali.call("alipay.trade.close", {"out_trade_no": ORDER})
    assert (closed["code"], closed["sub_code"]) == ("40004", "ACQ.TRADE_STATUS_ERROR")
    assert precreate(ali, ORDER, "12.34", receiver.url)["sub_code"] == "ACQ.TRADE_HAS_SUCCESS"


def test_alipay_refuses_bad_signature_and_reused_order_id(gw: PaymentGateway, receiver: NotifyReceiver) -> None:
    ali = Alipay(gw.accounts["alipay"])
    wrong = gw.accounts["wechat"]["private_key_pem"]
    biz = {"out_trade_no": ORDER, "total_amount": "1.00", "subject": "x"}
    refused = ali.call("alipay.trade.precreate", biz, receiver.url, key_pem=wrong)
    assert (refused["code"], refused["sub_code"]) == ("40002", "isv.invalid-signature")
    assert gw.orders() == []
    assert precreate(ali, ORDER, "1.00", receiver.url)["code"] == "10000"
    assert precreate(ali, ORDER, "1.01", receiver.url)["sub_code"] == "ACQ.CONTEXT_INCONSISTENT"


def test_alipay_notification_retried_until_success(gw: PaymentGateway, receiver: NotifyReceiver) -> None:
    receiver.answers = [(200, b"fail")]
    receiver.default = (200, b"success")
    ali = Alipay(gw.accounts["alipay"])
    gw.scan(precreate(ali, ORDER, "0.50", receiver.url)["qr_code"])
    first, second = receiver.wait(2)
    assert first.body == second.body
    _wait_until(lambda: gw.order(ORDER)["notifications_sent"] == 1)


def test_alipay_close_after_scan_then_pay_is_impossible(gw: PaymentGateway, receiver: NotifyReceiver) -> None:
    ali = Alipay(gw.accounts["alipay"])
    qr = precreate(ali, ORDER, "3.00", receiver.url)["qr_code"]
    assert ali.call("alipay.trade.close", {"out_trade_no": ORDER})["sub_code"] == "ACQ.TRADE_NOT_EXIST"
    gw.scan(qr, action="cancel")  # scanned, then the customer backed out: now the trade exists
    assert ali.call("alipay.trade.query", {"out_trade_no": ORDER})["trade_status"] == "WAIT_BUYER_PAY"
    assert ali.call("alipay.trade.close", {"out_trade_no": ORDER})["code"] == "10000"
    assert ali.call("alipay.trade.query", {"out_trade_no": ORDER})["trade_status"] == "TRADE_CLOSED"
    with pytest.raises(SimError):
        gw.scan(qr)
    assert receiver.received == []


def test_alipay_bar_code_pay_wait_buyer_pay_then_success(gw: PaymentGateway, receiver: NotifyReceiver) -> None:
    receiver.default = (200, b"success")
    ali = Alipay(gw.accounts["alipay"])
    biz = {"out_trade_no": ORDER, "scene": "bar_code", "auth_code": ALIPAY_CODE, "total_amount": "7.41", "subject": "x"}
    paid = ali.call("alipay.trade.pay", biz, receiver.url)
    assert (paid["code"], paid["total_amount"]) == ("10000", "7.41") and paid["gmt_payment"]
    assert ali.check_notification(receiver.wait(1)[0])["trade_status"] == "TRADE_SUCCESS"

    gw.set_behaviour(micropay="userpaying_then_pay")
    biz2 = {**biz, "out_trade_no": "2024011500100125112600017302"}
    assert ali.call("alipay.trade.pay", biz2)["code"] == "10003"
    statuses = [
        ali.call("alipay.trade.query", {"out_trade_no": biz2["out_trade_no"]})["trade_status"] for _ in range(2)
    ]
    assert statuses == ["WAIT_BUYER_PAY", "TRADE_SUCCESS"]

    gw.set_behaviour(micropay="userpaying")
    biz3 = {**biz, "out_trade_no": "2024011500100125112600017303"}
    assert ali.call("alipay.trade.pay", biz3)["code"] == "10003"
    cancel = ali.call("alipay.trade.cancel", {"out_trade_no": biz3["out_trade_no"]})
    assert (cancel["code"], cancel["action"], cancel["retry_flag"]) == ("10000", "close", "N")
    assert gw.order(biz3["out_trade_no"])["state"] == "reversed"

    gw.set_behaviour(micropay="fail")
    biz4 = {**biz, "out_trade_no": "2024011500100125112600017304"}
    assert ali.call("alipay.trade.pay", biz4)["sub_code"] == "ACQ.BUYER_BALANCE_NOT_ENOUGH"
    biz5 = {**biz, "out_trade_no": "2024011500100125112600017305", "auth_code": WECHAT_CODE}
    assert ali.call("alipay.trade.pay", biz5)["sub_code"] == "ACQ.PAYMENT_AUTH_CODE_INVALID"


# --- UnionPay acquirer ---------------------------------------------------------------------
def test_unionpay_registered_code_paid_and_notified(gw: PaymentGateway, receiver: NotifyReceiver) -> None:
    up = Unionpay(gw.accounts["unionpay"])
    qr = up.payload(ORDER, 2372)
    register = {"order_id": ORDER, "amount_fen": 2372, "qr_content": qr, "notify_url": receiver.url + "/n/unionpay"}
    status, doc = up.call("/orders", register)
    assert (status, doc) == (
        200,
        {"order_id": ORDER, "amount_fen": 2372, "status": "open", "trade_no": "", "paid_ms": None},
    )
    assert up.call("/orders", register)[0] == 200  # registering again is harmless
    assert up.call("/orders", {**register, "amount_fen": 2373})[1]["code"] == "INVALID_REQUEST"  # tag 54 says 23.72

    gw.scan(qr)
    note = receiver.wait(1)[0]
    verify(up.acquirer_key, note.body, note.headers["x-acquirer-signature"])
    paid = json.loads(note.body)
    assert (paid["order_id"], paid["amount_fen"], paid["status"]) == (ORDER, 2372, "paid") and paid["trade_no"]
    status, doc = up.call(f"/orders/{ORDER}", {"order_id": ORDER})
    assert (doc["status"], doc["trade_no"], doc["paid_ms"]) == ("paid", paid["trade_no"], paid["paid_ms"])
    status, doc = up.call(f"/orders/{ORDER}/close", {"order_id": ORDER})
    assert (status, doc["code"]) == (409, "ORDER_PAID")


def test_unionpay_refuses_bad_signatures_and_closes_open_orders(gw: PaymentGateway, receiver: NotifyReceiver) -> None:
    up = Unionpay(gw.accounts["unionpay"])
    qr = up.payload(ORDER, 100)
    register = {"order_id": ORDER, "amount_fen": 100, "qr_content": qr, "notify_url": receiver.url}
    status, doc = up.call("/orders", register, signature=sign(gw.accounts["alipay"]["private_key_pem"], b"{}"))
    assert (status, doc["code"]) == (401, "SIGN_ERROR")
    assert up.call(f"/orders/{ORDER}", {"order_id": ORDER})[0] == 404
    assert up.call("/orders", register)[0] == 200
    status, doc = up.call(f"/orders/{ORDER}/close", {"order_id": ORDER})
    assert (status, doc["status"]) == (200, "closed")
    with pytest.raises(SimError):
        gw.scan(qr)
    with pytest.raises(SimError) as foreign:
        gw.scan(up.payload("2024011500100125112600017302", 100, account="898000000000001"))
    assert foreign.value.status == 400
    genuine = up.payload("2024011500100125112600017303", 100)
    with pytest.raises(SimError) as altered:  # 1.00 yuan changed to 0.01 on a forged sticker: the CRC no longer fits
        gw.scan(genuine.replace("54041.00", "54040.01"))
    assert "CRC" in altered.value.message
    assert gw.order("2024011500100125112600017303") is None


def test_unionpay_unregistered_code_is_paid_without_notification(gw: PaymentGateway) -> None:
    up = Unionpay(gw.accounts["unionpay"])
    order = gw.scan(up.payload(ORDER, 555))
    assert (order["state"], order["amount_fen"], order["notify_url"]) == ("paid", 555, "")
    assert up.call(f"/orders/{ORDER}", {"order_id": ORDER})[1]["status"] == "paid"


# --- controls over HTTP and the command line ------------------------------------------------
def test_sim_controls_over_http(gw: PaymentGateway, receiver: NotifyReceiver) -> None:
    wx = Wechat(gw.accounts["wechat"])
    code_url = wx.native(ORDER, 100, receiver.url)[2]["code_url"]
    status, _, raw = http("POST", gw.url + "/sim/scan", json.dumps({"qr_content": "weixin://nope"}).encode())
    assert status == 404 and json.loads(raw)["message_zh"]
    status, _, raw = http("POST", gw.url + "/sim/behaviour", json.dumps({"micropay": "later"}).encode())
    assert status == 400 and "micropay" in json.loads(raw)["message"]
    status, _, raw = http("POST", gw.url + "/sim/behaviour", json.dumps({"notify": False}).encode())
    assert json.loads(raw) == {"micropay": "pay", "notify": False}
    status, _, raw = http("POST", gw.url + "/sim/scan", json.dumps({"qr_content": code_url, "action": "pay"}).encode())
    assert (status, json.loads(raw)["state"]) == (200, "paid")
    status, _, raw = http("POST", f"{gw.url}/sim/orders/{ORDER}/replay")
    assert status == 200
    receiver.wait(1)
    orders = json.loads(http("GET", gw.url + "/sim/orders")[2])
    assert [(o["provider"], o["order_id"], o["state"]) for o in orders] == [("wechat", ORDER, "paid")]
    assert http("POST", f"{gw.url}/sim/orders/{ORDER}/refund")[0] == 400
    assert http("POST", f"{gw.url}/sim/orders/nope/pay")[0] == 404


def test_command_line_prints_url_and_accounts_and_stops_on_sigterm(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "payment", "--listen", "127.0.0.1:0", "--state", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        accounts_path = Path(proc.stdout.readline().strip())
        assert url.startswith("http://127.0.0.1:")
        assert json.loads(accounts_path.read_text())["wechat"]["api_base"] == url
        assert http("GET", url + "/sim/orders")[:1] == (200,)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    bad = subprocess.run(
        [sys.executable, "-m", "simulator", "payment", "--listen", "nowhere", "--state", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "HOST:PORT" in bad.stderr


def _wait_until(check: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)
