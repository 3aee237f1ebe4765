"""The provisioning bundle's format: one JSON file from central that makes a scale a scale.

``python -m central scales add --bundle OUT.json`` writes it; ``python -m edge provision``
installs it. Both sides must agree on the checksum, so it lives in the pure core that
central may import. The checksum catches a damaged or hand-edited file (it is not a
signature: the bundle itself carries the device's private key and must be handled as a
secret — written 0600, deleted after installing).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from edge.core.eventlog import canonical_json

FORMAT = "trace-scale-bundle/1"
CHECKSUM_FIELD = "checksum"
IDENTITY_KEYS = ("market_id", "market_code", "market_name", "scale_id", "scale_no", "merchant_id",
                 "merchant_name", "stall")  # fmt: skip
MQTT_KEYS = ("broker_url", "username", "password", "tls_ca_pem")


def checksum(doc: Mapping[str, Any]) -> str:
    """``sha256:`` + hex of the canonical JSON of everything but the checksum field."""
    body = {key: value for key, value in doc.items() if key != CHECKSUM_FIELD}
    return "sha256:" + hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def seal(doc: Mapping[str, Any]) -> dict[str, Any]:
    """``doc`` with its format and checksum fields set."""
    body = {**{k: v for k, v in doc.items() if k != CHECKSUM_FIELD}, "format": FORMAT}
    return {**body, CHECKSUM_FIELD: checksum(body)}


def problems(doc: Any) -> list[str]:
    """What is wrong with a bundle's shape and checksum (English; [] when it is sound)."""
    if not isinstance(doc, dict):
        return ["the file is not a JSON object"]
    if doc.get("format") != FORMAT:
        return [f"format {doc.get('format')!r} is not {FORMAT!r} (a bundle from other software?)"]
    found: list[str] = []
    if doc.get(CHECKSUM_FIELD) != checksum(doc):
        found.append("the checksum does not match: the file was changed or damaged after central wrote it")
    for section, keys in (("identity", IDENTITY_KEYS), ("mqtt", MQTT_KEYS)):
        table = doc.get(section)
        if not isinstance(table, dict):
            found.append(f"{section} is missing")
            continue
        found += [f"{section}.{key} is missing" for key in keys if key not in table]
    device = doc.get("device_key")
    if not (isinstance(device, dict) and isinstance(device.get("private_pem"), str)
            and isinstance(device.get("public_key"), str)):  # fmt: skip
        found.append("device_key.private_pem / public_key is missing")
    for key in ("central_public_key", "trace_base_url"):
        if not isinstance(doc.get(key), str):
            found.append(f"{key} is missing")
    return found
