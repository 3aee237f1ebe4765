"""Payment provider clients, the pure parts: what gets signed, how, and what is refused.

Signatures are checked with real RSA keys made here; the WeChat notification is built
exactly as WeChat's documentation describes (AEAD_AES_256_GCM over the transaction JSON
with the APIv3 key, then the platform's SHA256withRSA over timestamp, nonce and body).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import time
from urllib.parse import urlencode

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from central.payment.providers import (
    NotificationRejected,
    OrderRequest,
    OrderState,
    Provider,
    ProviderError,
    make_provider,
)
from central.payment.providers.alipay import Alipay, response_node, sign_content
from central.payment.providers.base import fen_to_yuan, yuan_to_fen
from central.payment.providers.signing import rsa_sign, rsa_verify
from central.payment.providers.unionpay import UNIONPAY_GUID, UnionPay
from central.payment.providers.wechat import (
    WechatPay,
    answer_message,
    authorization,
    from_xml,
    to_xml,
    v2_sign,
    v3_message,
)
from edge.core.emvco import parse

APIV3_KEY = "0123456789abcdef0123456789ABCDEF"


def _private_pem() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return key, pem.decode()


def _public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _cert_pem(key: rsa.RSAPrivateKey) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0x5157F09EFDC096DE15EBE81A47057A72)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def keys() -> dict[str, tuple[rsa.RSAPrivateKey, str]]:
    return {name: _private_pem() for name in ("merchant", "platform", "other")}


@pytest.fixture(scope="module")
def configs(keys) -> dict[str, dict[str, str]]:
    """``config_json`` rows as central stores them (docs/payment.md, Account configuration)."""
    return {
        "wechat": {
            "api_base": "http://127.0.0.1:9",
            "mchid": "1900009191",
            "appid": "wxd678efh567hg6787",
            "serial_no": "MERCHANTSERIAL01",
            "private_key_pem": keys["merchant"][1],
            "platform_serial": "5157F09EFDC096DE15EBE81A47057A72",
            "platform_cert_pem": _cert_pem(keys["platform"][0]),
            "apiv3_key": APIV3_KEY,
            "v2_key": "192006250b4c09247ec02edce69f6a2d",
        },
        "alipay": {
            "gateway": "http://127.0.0.1:9/gateway.do",
            "app_id": "2014072300007148",
            "private_key_pem": keys["merchant"][1],
            "alipay_public_key_pem": _public_pem(keys["platform"][0]),
        },
        "unionpay": {
            "acquirer_base": "http://127.0.0.1:9/acq",
            "merchant_account": "777290058110048",
            "merchant_name": "ZHANG VEGETABLES",
            "merchant_city": "LANZHOU",
            "mcc": "5411",
            "private_key_pem": keys["merchant"][1],
            "acquirer_public_key_pem": _public_pem(keys["platform"][0]),
        },
    }


@pytest.fixture(scope="module")
def wechat(configs) -> WechatPay:
    provider = make_provider("wechat", configs["wechat"])
    assert isinstance(provider, WechatPay) and provider.name == "wechat"
    return provider


@pytest.fixture(scope="module")
def alipay(configs) -> Alipay:
    provider = make_provider("alipay", configs["alipay"])
    assert isinstance(provider, Alipay) and provider.name == "alipay"
    return provider


@pytest.fixture(scope="module")
def unionpay(configs) -> UnionPay:
    provider = make_provider("unionpay", configs["unionpay"])
    assert isinstance(provider, UnionPay) and provider.name == "unionpay"
    return provider


# ---- registry and money ----


def test_make_provider_names_an_unknown_provider_and_each_missing_key():
    with pytest.raises(ProviderError, match="paypal"):
        make_provider("paypal", {})
    with pytest.raises(ProviderError) as err:
        make_provider("alipay", {"gateway": "https://openapi.alipay.com/gateway.do", "app_id": "1"})
    assert "private_key_pem" in err.value.message and "alipay_public_key_pem" in err.value.message
    assert "private_key_pem" in err.value.message_zh and not err.value.retryable


def test_every_provider_satisfies_the_protocol(wechat, alipay, unionpay):
    assert all(isinstance(p, Provider) for p in (wechat, alipay, unionpay))


@pytest.mark.parametrize("key", ["apiv3_key", "platform_cert_pem"])
def test_make_provider_refuses_an_unusable_wechat_config(configs, key):
    broken = {**configs["wechat"], key: "too short" if key == "apiv3_key" else ""}
    with pytest.raises(ProviderError, match=key):
        make_provider("wechat", broken)


@pytest.mark.parametrize(
    ("fen", "yuan"),
    [
        (1, "0.01"),
        (9, "0.09"),
        (10, "0.10"),
        (99, "0.99"),
        (100, "1.00"),
        (1234, "12.34"),
        (100000, "1000.00"),
        (2**53 + 1, "90071992547409.93"),
    ],
)
def test_fen_to_yuan_and_back(fen, yuan):
    assert fen_to_yuan(fen) == yuan
    assert yuan_to_fen(yuan) == fen  # exact even beyond float precision


@pytest.mark.parametrize(("text", "fen"), [("12", 1200), ("12.3", 1230), ("0.07", 7), (" 5.00 ", 500)])
def test_yuan_to_fen_accepts_alipays_shorter_forms(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", ["1.234", "-1.00", "abc", "1e3", "", "1,00", "0x10"])
def test_yuan_to_fen_refuses_what_is_not_an_amount(text):
    with pytest.raises(ProviderError):
        yuan_to_fen(text)


@pytest.mark.parametrize("fen", [0, -1, True, 1.5])
def test_fen_to_yuan_refuses_non_positive_or_non_integer(fen):
    with pytest.raises(ProviderError):
        fen_to_yuan(fen)


# ---- WeChat Pay v3 ----


def test_v3_signature_string_is_five_lines_each_ending_in_newline():
    msg = v3_message("GET", "/v3/certificates", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", "")
    assert msg == b"GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"
    body = '{"mchid":"1900009191"}'
    assert v3_message("POST", "/v3/x?a=1", "1", "n", body) == b'POST\n/v3/x?a=1\n1\nn\n{"mchid":"1900009191"}\n'


def test_authorization_header_format_and_signature(keys, wechat):
    args = ("POST", "/v3/pay/transactions/native", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", '{"a":1}')
    header = authorization(wechat.mchid, wechat.serial_no, wechat.private_key_pem, args)
    m = re.fullmatch(
        r'WECHATPAY2-SHA256-RSA2048 mchid="(\d+)",nonce_str="(\w+)",signature="([A-Za-z0-9+/=]+)",'
        r'timestamp="(\d+)",serial_no="(\w+)"',
        header,
    )
    assert m is not None, header
    assert m.groups()[:2] == ("1900009191", "593BEC0C930BF1AFEB40B4A08C8FB242")
    assert m.group(4) == "1554208460" and m.group(5) == "MERCHANTSERIAL01"
    keys["merchant"][0].public_key().verify(
        base64.b64decode(m.group(3)), v3_message(*args), padding.PKCS1v15(), hashes.SHA256()
    )


def _platform_headers(
    keys,
    body: bytes,
    *,
    timestamp: int | None = None,
    serial: str = "5157F09EFDC096DE15EBE81A47057A72",
    signer: str = "platform",
) -> dict[str, str]:
    ts, nonce = str(timestamp if timestamp is not None else int(time.time())), "fdasflkja484w"
    return {
        "Wechatpay-Timestamp": ts,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature": rsa_sign(keys[signer][1], answer_message(ts, nonce, body)),
    }


def test_answer_signature_is_checked_against_the_platform_certificate(keys, wechat):
    body = b'{"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}'
    wechat.verify_answer(_platform_headers(keys, body), body, max_skew_s=300)
    with pytest.raises(NotificationRejected, match="bad signature"):
        wechat.verify_answer(_platform_headers(keys, body), body.replace(b"p4l", b"p5l"), max_skew_s=300)
    with pytest.raises(NotificationRejected, match="bad signature"):
        wechat.verify_answer(_platform_headers(keys, body, signer="other"), body, max_skew_s=300)
    with pytest.raises(NotificationRejected, match="unknown platform certificate"):
        wechat.verify_answer(_platform_headers(keys, body, serial="0000"), body, max_skew_s=300)
    with pytest.raises(NotificationRejected, match="timestamp"):
        wechat.verify_answer(_platform_headers(keys, body, timestamp=int(time.time()) - 600), body, max_skew_s=300)
    with pytest.raises(NotificationRejected, match="missing"):
        wechat.verify_answer({}, body, max_skew_s=300)


def _transaction(**over: object) -> dict:
    tx = {
        "mchid": "1900009191",
        "appid": "wxd678efh567hg6787",
        "out_trade_no": "2024011500100125112600017301",
        "transaction_id": "1217752501201407033233368018",
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "CMC",
        "success_time": "2024-01-15T10:34:56+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 1234, "payer_total": 1234, "currency": "CNY", "payer_currency": "CNY"},
    }
    tx.update(over)
    return tx


def _wechat_notification(keys, tx: dict, *, key: str = APIV3_KEY) -> tuple[dict[str, str], bytes]:
    nonce, aad = "fdasflkja484", "transaction"  # a 12-character nonce, as WeChat sends
    ciphertext = AESGCM(key.encode()).encrypt(nonce.encode(), json.dumps(tx).encode(), aad.encode())
    doc = {
        "id": "EV-2018022511223320873",
        "create_time": "2024-01-15T10:34:57+08:00",
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": {
            "original_type": "transaction",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": base64.b64encode(ciphertext).decode(),
            "associated_data": aad,
            "nonce": nonce,
        },
    }
    body = json.dumps(doc, ensure_ascii=False).encode()
    return _platform_headers(keys, body, timestamp=1705286097), body  # an old timestamp: WeChat re-sends for hours


def test_wechat_notification_is_verified_decrypted_and_decoded(keys, wechat):
    headers, body = _wechat_notification(keys, _transaction())
    note = wechat.parse_notification({k.lower(): v for k, v in headers.items()}, body)
    assert note.order_id == "2024011500100125112600017301" and note.state is OrderState.PAID
    assert note.provider_ref == "1217752501201407033233368018" and note.paid_amount_fen == 1234
    assert note.paid_ms == 1705286096000  # 2024-01-15T10:34:56+08:00
    assert note.notification_id == "EV-2018022511223320873"


def test_tampered_or_foreign_wechat_notifications_are_refused(keys, wechat):
    headers, body = _wechat_notification(keys, _transaction())
    with pytest.raises(NotificationRejected):  # body changed after signing
        wechat.parse_notification(headers, body.replace(b"EV-2018", b"EV-2019"))
    # re-signed by someone who does not hold the APIv3 key: signature fine, decryption fails
    doc = json.loads(body)
    raw = bytearray(base64.b64decode(doc["resource"]["ciphertext"]))
    raw[5] ^= 1
    doc["resource"]["ciphertext"] = base64.b64encode(bytes(raw)).decode()
    forged = json.dumps(doc).encode()
    with pytest.raises(NotificationRejected, match="decrypt"):
        wechat.parse_notification(_platform_headers(keys, forged), forged)
    headers, body = _wechat_notification(keys, _transaction(), key="X" * 32)
    with pytest.raises(NotificationRejected, match="decrypt"):
        wechat.parse_notification(headers, body)
    headers, body = _wechat_notification(keys, _transaction(mchid="1230000109"))
    with pytest.raises(NotificationRejected, match="another merchant"):
        wechat.parse_notification(headers, body)


def test_wechat_notification_answers(wechat):
    status, _, _ = wechat.notification_answer(True)
    assert status in (200, 204)
    assert wechat.notification_answer(False)[0] >= 400  # makes WeChat send it again


def test_v2_hmac_sha256_sign_matches_wechats_documented_example():
    # pay.weixin.qq.com/wiki/doc/api/micropay.php?chapter=4_3 (签名算法), sign_type HMAC-SHA256
    fields = {
        "appid": "wxd930ea5d5a258f4f",
        "mch_id": "10000100",
        "device_info": "1000",
        "body": "test",
        "nonce_str": "ibuaiVcKdpRxkhJA",
        "empty": "",
        "sign": "IGNORED",
    }
    assert v2_sign("192006250b4c09247ec02edce69f6a2d", fields) == (
        "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"
    )


def test_v2_xml_round_trip_and_dtd_refused():
    fields = {"return_code": "SUCCESS", "body": "溯源秤 <张记> & 蔬菜"}
    assert from_xml(to_xml(fields)) == fields
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><a>&e;</a></xml>'
    with pytest.raises(ProviderError, match="DTD"):
        from_xml(evil)


# ---- Alipay ----


def test_alipay_sign_content_sorts_drops_empty_and_sign():
    fields = {
        "method": "alipay.trade.query",
        "app_id": "2014072300007148",
        "sign": "xyz",
        "notify_url": "",
        "biz_content": '{"out_trade_no":"20150320010101001"}',
        "charset": "utf-8",
    }
    assert sign_content(fields) == (
        'app_id=2014072300007148&biz_content={"out_trade_no":"20150320010101001"}&charset=utf-8&method=alipay.trade.query'
    )
    assert "sign_type" not in sign_content({"a": "1", "sign_type": "RSA2"}, ("sign", "sign_type"))


def test_alipay_request_is_signed_rsa2_over_the_sign_content(keys, alipay):
    fields = alipay.request_fields("alipay.trade.precreate", {"out_trade_no": "1", "total_amount": "0.01"}, "http://n")
    assert fields["sign_type"] == "RSA2" and fields["format"] == "JSON" and fields["version"] == "1.0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", fields["timestamp"])
    assert rsa_verify(_public_pem(keys["merchant"][0]), sign_content(fields).encode(), fields["sign"])
    assert json.loads(fields["biz_content"]) == {"out_trade_no": "1", "total_amount": "0.01"}


def test_alipay_response_node_is_cut_out_byte_for_byte():
    node = '{ "code":"10000","msg":"Success","qr_code":"https://qr.alipay.com/x}{\\"y", "n":{"a":[1,2]} }'
    text = f'{{"alipay_trade_precreate_response" :  {node},"sign":"SIG=="}}'
    assert response_node(text, "alipay_trade_precreate_response") == (node, "SIG==")
    assert response_node(text, "alipay_trade_query_response") == ("", "")


def _alipay_notification(keys, **over: str) -> dict[str, str]:
    fields = {
        "notify_time": "2024-01-15 10:34:58",
        "notify_type": "trade_status_sync",
        "notify_id": "ac05099524730693a8b330c5ecf72da9786",
        "app_id": "2014072300007148",
        "charset": "utf-8",
        "version": "1.0",
        "sign_type": "RSA2",
        "trade_no": "2024011522001400001000000001",
        "out_trade_no": "2024011500100125112600017301",
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "12.34",
        "receipt_amount": "12.34",
        "gmt_payment": "2024-01-15 10:34:56",
        "subject": "溯源秤 A12 张记蔬菜",
        "fund_bill_list": '[{"amount":"12.34","fundChannel":"ALIPAYACCOUNT"}]',
    }
    fields.update(over)
    fields["sign"] = rsa_sign(keys["platform"][1], sign_content(fields, ("sign", "sign_type")).encode())
    return fields


def test_alipay_notification_is_verified_and_decoded(keys, alipay):
    body = urlencode(_alipay_notification(keys)).encode()
    note = alipay.parse_notification({"content-type": "application/x-www-form-urlencoded"}, body)
    assert note.order_id == "2024011500100125112600017301" and note.state is OrderState.PAID
    assert note.paid_amount_fen == 1234 and note.provider_ref == "2024011522001400001000000001"
    assert note.paid_ms == 1705286096000 and note.notification_id == "ac05099524730693a8b330c5ecf72da9786"
    assert alipay.notification_answer(True) == (200, "text/plain; charset=utf-8", b"success")


def test_tampered_or_foreign_alipay_notifications_are_refused(keys, alipay):
    fields = _alipay_notification(keys)
    tampered = urlencode({**fields, "total_amount": "0.01"}).encode()
    with pytest.raises(NotificationRejected, match="bad signature"):
        alipay.parse_notification({}, tampered)
    with pytest.raises(NotificationRejected, match="bad signature"):
        alipay.parse_notification({}, urlencode({k: v for k, v in fields.items() if k != "sign"}).encode())
    with pytest.raises(NotificationRejected, match="sign_type"):  # sign_type is outside the signature
        alipay.parse_notification({}, urlencode({**fields, "sign_type": "RSA"}).encode())
    foreign = urlencode(_alipay_notification(keys, app_id="2021000000000000")).encode()
    with pytest.raises(NotificationRejected, match="another app"):
        alipay.parse_notification({}, foreign)
    assert alipay.notification_answer(False)[2] != b"success"


# ---- UnionPay ----


def test_unionpay_dynamic_code_carries_amount_and_order_id(unionpay):
    req = OrderRequest("2024011500100125112600017301", 2372, "溯源秤", "http://central/pay/notify", 0)
    qr = parse(unionpay.qr_payload(req))  # checks the CRC too
    assert qr.dynamic and qr.amount_fen == 2372 and qr.fields["54"] == "23.72"
    assert qr.bill_number == "2024011500100125112600017301"
    assert qr.template("26") == {"00": UNIONPAY_GUID, "01": "777290058110048"}
    assert (qr.fields["52"], qr.fields["59"], qr.fields["60"]) == ("5411", "ZHANG VEGETABLES", "LANZHOU")
    with pytest.raises(ProviderError):
        unionpay.micropay(req, "6222021234567890123")


def test_unionpay_notification_checks_the_acquirer_signature(keys, unionpay):
    body = json.dumps(
        {
            "order_id": "2024011500100125112600017301",
            "amount_fen": 2372,
            "status": "paid",
            "trade_no": "UP20240115000001",
            "paid_ms": 1705286096000,
        }
    ).encode()
    note = unionpay.parse_notification({"X-Acquirer-Signature": rsa_sign(keys["platform"][1], body)}, body)
    assert (note.state, note.paid_amount_fen, note.paid_ms) == (OrderState.PAID, 2372, 1705286096000)
    assert note.notification_id.startswith("sha256:")
    with pytest.raises(NotificationRejected):
        unionpay.parse_notification(
            {"X-Acquirer-Signature": rsa_sign(keys["platform"][1], body)}, body.replace(b"2372", b"2373")
        )
    with pytest.raises(NotificationRejected):
        unionpay.parse_notification({"X-Acquirer-Signature": rsa_sign(keys["other"][1], body)}, body)
    with pytest.raises(NotificationRejected):
        unionpay.parse_notification({}, body)
