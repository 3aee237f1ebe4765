"""Every key a real merchant onboarding hands out, generated once into the state directory.

`GatewayKeys.load_or_create(state_dir)` keeps the keys across restarts (``keys/*.pem`` and
``keys/ids.json``), so a central that imported ``accounts.json`` once keeps working.
`accounts()` builds the ``config_json`` of docs/payment.md for each provider, pointing at
this server's URL; ``accounts.json`` is rewritten on every start because the port may change.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

KEY_NAMES = (
    "wechat_merchant",  # the merchant's API key: signs Authorization headers
    "wechat_platform",  # WeChat's platform key: signs responses and notifications
    "alipay_app",  # the merchant's app key: signs gateway.do requests
    "alipay_platform",  # Alipay's key: signs responses and notifications
    "unionpay_merchant",  # signs requests to the acquirer
    "unionpay_acquirer",  # signs the acquirer's answers and notifications
)


def rsa_sign(key: rsa.RSAPrivateKey, data: bytes) -> str:
    """SHA256withRSA, PKCS#1 v1.5, base64: the one signature all three providers use."""
    return base64.b64encode(key.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def rsa_verify(key: rsa.RSAPublicKey, data: bytes, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), data, padding.PKCS1v15(), hashes.SHA256())
    except Exception:  # bad base64, wrong length, wrong signature: all mean "not signed by this key"
        return False
    return True


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def public_pem(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def _random_text(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _new_ids() -> dict[str, str]:
    return {
        "wechat_mchid": "19" + _random_text(8, string.digits),
        "wechat_appid": "wx" + secrets.token_hex(8),
        "wechat_serial_no": secrets.token_hex(20).upper(),
        "wechat_apiv3_key": _random_text(32),
        "wechat_v2_key": _random_text(32),
        "alipay_app_id": "2021" + _random_text(12, string.digits),
        "alipay_seller_id": "2088" + _random_text(12, string.digits),
        "unionpay_merchant_account": "898" + _random_text(12, string.digits),
    }


def _platform_certificate(key: rsa.RSAPrivateKey, mchid: str) -> x509.Certificate:
    """A self-signed stand-in for the WeChat Pay platform certificate (平台证书)."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tenpay.com (simulated)"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Tenpay.com Root CA for {mchid}"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=5 * 365))
        .sign(key, hashes.SHA256())
    )


@dataclass(frozen=True)
class GatewayKeys:
    keys: dict[str, rsa.RSAPrivateKey]
    ids: dict[str, str]
    platform_cert_pem: str
    platform_serial: str

    @classmethod
    def load_or_create(cls, state_dir: Path) -> GatewayKeys:
        folder = Path(state_dir) / "keys"
        folder.mkdir(parents=True, exist_ok=True)
        keys: dict[str, rsa.RSAPrivateKey] = {}
        for name in KEY_NAMES:
            path = folder / f"{name}.pem"
            if not path.exists():
                _write_private(path, private_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
            assert isinstance(loaded, rsa.RSAPrivateKey)
            keys[name] = loaded
        ids_path = folder / "ids.json"
        if not ids_path.exists():
            _write_private(ids_path, json.dumps(_new_ids(), indent=2))
        ids = json.loads(ids_path.read_text())
        cert_path = folder / "wechat_platform_cert.pem"
        if not cert_path.exists():
            cert = _platform_certificate(keys["wechat_platform"], ids["wechat_mchid"])
            cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        return cls(keys, ids, cert_path.read_text(), f"{cert.serial_number:X}")

    def public(self, name: str) -> rsa.RSAPublicKey:
        return self.keys[name].public_key()

    def accounts(self, url: str) -> dict[str, dict[str, Any]]:
        """The three ``config_json`` documents of docs/payment.md, pointing at ``url``."""
        ids = self.ids
        return {
            "wechat": {
                "api_base": url,
                "mchid": ids["wechat_mchid"],
                "appid": ids["wechat_appid"],
                "serial_no": ids["wechat_serial_no"],
                "private_key_pem": private_pem(self.keys["wechat_merchant"]),
                "platform_serial": self.platform_serial,
                "platform_cert_pem": self.platform_cert_pem,
                "apiv3_key": ids["wechat_apiv3_key"],
                "v2_key": ids["wechat_v2_key"],
            },
            "alipay": {
                "gateway": f"{url}/gateway.do",
                "app_id": ids["alipay_app_id"],
                "private_key_pem": private_pem(self.keys["alipay_app"]),
                "alipay_public_key_pem": public_pem(self.public("alipay_platform")),
            },
            "unionpay": {
                "acquirer_base": f"{url}/unionpay",
                "merchant_account": ids["unionpay_merchant_account"],
                "merchant_name": "Trace Market Demo",
                "merchant_city": "Lanzhou",
                "mcc": "5411",
                "private_key_pem": private_pem(self.keys["unionpay_merchant"]),
                "acquirer_public_key_pem": public_pem(self.public("unionpay_acquirer")),
            },
        }

    def write_accounts(self, state_dir: Path, url: str) -> Path:
        path = Path(state_dir) / "accounts.json"
        _write_private(path, json.dumps(self.accounts(url), indent=2, ensure_ascii=False) + "\n")
        return path


def _write_private(path: Path, text: str) -> None:
    """Merchant secrets: owner-only, written whole (temp file + rename) so a crash leaves no half key."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)
