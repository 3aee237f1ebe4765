"""Ed25519 on central's side: verifying the scales' sale signatures, signing documents.

Sale signatures cover ``Sale.signing_payload()`` (edge.core.records); documents sent
down (catalog, batches, config) are signed over ``edge.core.signed.signed_payload`` with
central's own key, kept in a PEM file created on first use.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from edge.core.signed import SIGNATURE_FIELD, signed_payload


class CentralKeyError(ValueError):
    """A key is missing, damaged or not Ed25519 ("中文 / English")."""


class DevicePublicKey:
    """A scale's Ed25519 public key, for verifying its sales.

    Verification is most of central's ingest CPU. libsodium (PyNaCl) verifies in about half
    the time OpenSSL takes on this hardware (bench/bench_central_ingest.py), so it is used
    when installed; ``cryptography`` is the fallback. Both release the GIL. ``verify``
    raises ``InvalidSignature`` like ``Ed25519PublicKey.verify``.
    """

    __slots__ = ("_nacl", "_openssl", "raw")

    def __init__(self, raw: bytes) -> None:
        self._openssl = Ed25519PublicKey.from_public_bytes(raw)  # checks length and form
        self.raw = raw
        try:
            from nacl.signing import VerifyKey
        except ImportError:
            self._nacl = None
        else:
            self._nacl = VerifyKey(raw)

    def verify(self, signature: bytes, data: bytes) -> None:
        if self._nacl is None:
            self._openssl.verify(signature, data)
            return
        from nacl.exceptions import BadSignatureError

        if len(signature) != 64:
            raise InvalidSignature
        try:
            self._nacl.verify(data, signature)
        except BadSignatureError:
            raise InvalidSignature from None


def load_public_key(b64: str) -> DevicePublicKey:
    """A scale's registered public key: base64 of the 32 raw bytes."""
    try:
        raw = base64.b64decode(b64.strip(), validate=True)
        return DevicePublicKey(raw)
    except (binascii.Error, ValueError) as exc:
        raise CentralKeyError(
            f"不是 32 字节的 base64 Ed25519 公钥（{exc}）：请重新复制秤上显示的公钥"
            "（技术人员界面或 `python -m edge doctor`） / "
            f"not a base64 Ed25519 public key of 32 bytes ({exc}); copy the key the scale shows "
            "(technician screen or `python -m edge doctor`) again"
        ) from exc


def verify_signature(key: DevicePublicKey, signature_b64: object, payload: bytes) -> bool:
    """True if ``signature_b64`` is the key's signature over ``payload``."""
    if not isinstance(signature_b64, str) or not signature_b64:
        return False
    try:
        key.verify(base64.b64decode(signature_b64, validate=True), payload)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


class CentralKey:
    """Central's signing key (documents to the scales)."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key

    @classmethod
    def load_or_create(cls, path: str | Path) -> CentralKey:
        path = Path(path)
        if path.exists():
            try:
                key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            except (ValueError, TypeError) as exc:
                raise CentralKeyError(
                    f"中心密钥 {path} 已损坏（{exc}）：请从备份恢复 / "
                    f"central key {path} is damaged ({exc}); restore it from the backup"
                ) from exc
            if not isinstance(key, Ed25519PrivateKey):
                raise CentralKeyError(
                    f"中心密钥 {path} 不是 Ed25519 密钥：请换回正确的密钥文件 / "
                    f"central key {path} is not an Ed25519 key; restore the right file"
                )
            return cls(key)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # private: owner only
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return cls(key)

    def public_key_b64(self) -> str:
        raw = self._key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode("ascii")

    def sign_document(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        """``doc`` plus its ``signature`` over the canonical JSON of the rest."""
        body = {k: v for k, v in doc.items() if k != SIGNATURE_FIELD}
        signature = base64.b64encode(self._key.sign(signed_payload(body))).decode("ascii")
        return {**body, SIGNATURE_FIELD: signature}
