"""RSA-SHA256 (PKCS#1 v1.5) signing and checking, the scheme all three providers use.

Keys come from the account config as PEM text: a private key, a public key, or (WeChat's
platform certificate) an X.509 certificate, whose public key is used.
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from central.payment.providers.base import ProviderError


def _bad_key(what: str, exc: Exception) -> ProviderError:
    return ProviderError(
        f"账户配置中的{what}无法读取：请重新导入商户账户",
        f"the {what} in the account config cannot be read ({exc}); re-import the merchant account",
    )


@lru_cache(maxsize=32)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise _bad_key("商户私钥 / private key", exc) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise _bad_key("商户私钥 / private key", TypeError("not an RSA key"))
    return key


@lru_cache(maxsize=32)
def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """A PEM public key, or the public key of a PEM certificate."""
    try:
        data = pem.encode("ascii")
        if b"CERTIFICATE" in data:
            key = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise _bad_key("渠道公钥或证书 / provider public key or certificate", exc) from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise _bad_key("渠道公钥或证书 / provider public key or certificate", TypeError("not an RSA key"))
    return key


def rsa_sign(private_pem: str, message: bytes) -> str:
    """Base64 of SHA256withRSA over ``message``."""
    signature = load_private_key(private_pem).sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa_verify(public_pem: str, message: bytes, signature_b64: str) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        load_public_key(public_pem).verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError, TypeError):
        return False
    return True
