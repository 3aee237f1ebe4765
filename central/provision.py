"""Provisioning bundles: register a scale, make its device key and MQTT login, export them.

``python -m central scales add ... --bundle OUT.json``. Central generates the scale's
Ed25519 key here, so the private key travels inside the bundle: the file is written 0600
and is to be deleted once ``python -m edge provision`` has installed it. Central keeps
only the public key (to verify the scale's sales) and the password's hash.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central import admin
from central.db import Connection
from central.keys import CentralKey
from central.localtime import now_ms
from edge.core.provisioning import seal


@dataclass(frozen=True, slots=True)
class BundleRequest:
    scale_id: str
    market_id: str
    scale_no: int
    merchant_id: str | None
    broker_url: str
    trace_base_url: str
    tls_ca_pem: str = ""  # the broker's CA certificate for mqtts://, if it is not a public one


def new_device_key() -> tuple[str, str]:
    """(private key PEM as edge/device_key.py stores it, public key base64 as central registers it)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return pem.decode("ascii"), base64.b64encode(raw).decode("ascii")


def register_and_bundle(conn: Connection, req: BundleRequest, central_key: CentralKey) -> dict[str, Any]:
    """Register the scale (admin.add_scale: checks, MQTT login) and return its sealed bundle."""
    private_pem, public_key = new_device_key()
    creds = admin.add_scale(conn, req.scale_id, req.market_id, req.scale_no, public_key, req.merchant_id)
    market = conn.one("SELECT node_code, name FROM markets WHERE market_id = ?", (req.market_id,)) or {}
    merchant = (
        conn.one("SELECT stall, display_name FROM merchants WHERE merchant_id = ?", (req.merchant_id,))
        if req.merchant_id
        else None
    ) or {}
    return seal({
        "created_ms": now_ms(),
        "identity": {
            "market_id": req.market_id,
            "market_code": market.get("node_code", ""),
            "market_name": market.get("name", ""),
            "scale_id": req.scale_id,
            "scale_no": req.scale_no,
            "merchant_id": req.merchant_id or "",
            "merchant_name": merchant.get("display_name", ""),
            "stall": merchant.get("stall", ""),
        },
        "device_key": {"private_pem": private_pem, "public_key": public_key},
        "mqtt": {
            "broker_url": req.broker_url,
            "username": creds.username,
            "password": creds.password,
            "tls_ca_pem": req.tls_ca_pem,
        },
        "central_public_key": central_key.public_key_b64(),
        "trace_base_url": req.trace_base_url,
    })  # fmt: skip


def export(conn: Connection, req: BundleRequest, central_key: CentralKey, out: Path) -> dict[str, Any]:
    """Register and write the bundle to ``out`` (0600, atomically).

    The file is created before the scale is registered, so an unwritable path fails
    without leaving a registered scale whose password nobody has.
    """
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise admin.AdminError(
            f"无法写入配置包 {out}（{exc}）：请换一个可写的路径",
            f"cannot write the bundle {out} ({exc}); choose a writable path",
        ) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), 0o600)  # owner only, whatever the umask: it holds a private key
            doc = register_and_bundle(conn, req, central_key)
            json.dump(doc, f, ensure_ascii=False, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return doc
