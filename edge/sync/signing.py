"""Ed25519 signatures on documents from central (catalog, batches, config, payment results, firmware).

The signed bytes are :func:`edge.core.signed.signed_payload` (canonical JSON of the
document without ``signature``), shared with central.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from edge.core.signed import SIGNATURE_FIELD, signed_payload


class SignatureError(ValueError):
    """A document is unsigned or its signature does not verify with central's key."""


def json_object(payload: bytes) -> dict[str, Any]:
    """A message from central as a JSON object; ValueError says what is wrong with it."""
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not valid UTF-8 JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    return doc


def load_public_key(b64: str) -> Ed25519PublicKey:
    """Central's public key from ``[sync].central_public_key`` (base64 of the 32 raw bytes)."""
    if not b64.strip():
        raise ValueError(
            "no central public key is configured, so documents from central cannot be checked; "
            "copy central's public key (base64) into [sync].central_public_key in edge.toml"
        )
    try:
        raw = base64.b64decode(b64.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(
            f"[sync].central_public_key is not a base64 Ed25519 public key (32 bytes) ({exc}); "
            "copy it again from central"
        ) from exc


def verify_document(doc: Mapping[str, Any], key: Ed25519PublicKey) -> None:
    """Raise SignatureError unless ``doc['signature']`` is central's signature over the rest."""
    signature = doc.get(SIGNATURE_FIELD)
    if not signature:
        raise SignatureError("unsigned document (no signature field)")
    if not isinstance(signature, str):
        raise SignatureError("signature is not a base64 string")
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, signed_payload(doc))
    except binascii.Error as exc:
        raise SignatureError(f"signature is not valid base64 ({exc})") from exc
    except (TypeError, ValueError) as exc:
        raise SignatureError(f"document cannot be put in canonical form ({exc})") from exc
    except InvalidSignature:
        raise SignatureError("bad signature: the document was changed or not signed by central's key") from None


def sign_document(doc: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """``doc`` with a fresh signature; for tests and tools (central has its own signer)."""
    body = {k: v for k, v in doc.items() if k != SIGNATURE_FIELD}
    return {**body, SIGNATURE_FIELD: base64.b64encode(key.sign(signed_payload(body))).decode("ascii")}


def public_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")
