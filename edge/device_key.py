"""The scale's Ed25519 device key: signs every sale so central can tell ours from forgeries.

Provisioning installs the key; a scale without one (a bench or demo setup) creates its
own on first use and the technician registers the public key at central.
"""

from __future__ import annotations

import base64
import dataclasses
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from edge.core.records import Sale, signing_bytes


class DeviceKey:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key

    @classmethod
    def load_or_create(cls, path: str | Path) -> DeviceKey:
        path = Path(path)
        if path.exists():
            try:
                key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"device key {path} is damaged ({exc}); re-provision the scale") from exc
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError(f"device key {path} is not an Ed25519 key; re-provision the scale")
            return cls(key)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return cls(key)

    def public_key_b64(self) -> str:
        raw = self._key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode()

    def sign(self, sale: Sale) -> Sale:
        """Sign the sale's content and its state (payment, printed) as committed."""
        signature = base64.b64encode(self._key.sign(sale.signing_payload())).decode()
        return self.sign_state(dataclasses.replace(sale, signature=signature))

    def sign_state(self, sale: Sale) -> Sale:
        """Sign the sale's current payment/printed state (``state_no`` already counted up)."""
        state_signature = base64.b64encode(self._key.sign(sale.state_payload())).decode()
        return dataclasses.replace(sale, state_signature=state_signature)

    def sign_record(self, record: dict[str, Any]) -> dict[str, Any]:
        """``record`` plus ``signature``: Ed25519 over its canonical JSON (goods-in, price changes)."""
        body = {k: v for k, v in record.items() if k != "signature"}
        return body | {"signature": base64.b64encode(self._key.sign(signing_bytes(body))).decode()}


def verify_sale(sale: Sale, public_key_b64: str, *, state: bool = False) -> bool:
    """True when the sale's signature (``state``: its state signature) was made by the key."""
    if state:
        signature, payload = sale.state_signature, sale.state_payload()
    else:
        signature, payload = sale.signature, sale.signing_payload()
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
        key.verify(base64.b64decode(signature), payload)
    except (InvalidSignature, ValueError, TypeError):  # bad base64, wrong length or forged
        return False
    return True
