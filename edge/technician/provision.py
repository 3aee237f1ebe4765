"""``python -m edge provision BUNDLE``: install central's provisioning bundle on the scale.

The bundle (edge/core/provisioning.py) is checked first: format, checksum, and that its
private key is the one whose public key central registered. Then the identity, sync and
ticket settings go into edge.toml through the configure writer (validated, atomic,
``edge.toml.bak``, legally relevant changes and a ``provisioned`` entry in the event log)
and the device key is installed where the scale looks for it (next to the database, as
``edge.runtime.device_key`` opens it), mode 0600. A scale that already has a different
identity or key is left alone unless ``force`` is given.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge.core import provisioning
from edge.technician import configure
from edge.technician.configure import ConfigureError, Key

PROVISIONED = "provisioned"
CA_FILE = "central-ca.pem"


class ProvisionError(ConfigureError):
    """The bundle is refused or cannot be installed; nothing was changed."""


@dataclass(frozen=True, slots=True)
class Provisioned:
    scale_id: str
    key_path: Path
    applied: configure.Applied
    unchanged: bool  # the same bundle was installed already


def load_bundle(path: str | Path) -> dict[str, Any]:
    """The bundle's JSON, checked; ProvisionError says what is wrong and what to do."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ProvisionError(f"无法读取配置包 {path}（{exc}）", f"cannot read the bundle {path} ({exc})") from exc
    found = provisioning.problems(doc)
    if not found and _public_key(doc["device_key"]["private_pem"]) != doc["device_key"]["public_key"]:
        found.append("the device key does not match the public key central registered")
    if found:
        raise ProvisionError(
            "配置包无效，未安装；请在中心重新导出（central scales add --bundle）",
            f"bundle refused, nothing installed: {'; '.join(found)}. Export a new one at central",
        )
    return doc


def _public_key(private_pem: str) -> str | None:
    try:
        key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        return None
    if not isinstance(key, Ed25519PrivateKey):
        return None
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def settings(doc: dict[str, Any], ca_path: Path | None) -> dict[Key, Any]:
    """What the bundle sets in edge.toml."""
    wanted: dict[Key, Any] = {("identity", key): doc["identity"][key] for key in provisioning.IDENTITY_KEYS}
    mqtt = doc["mqtt"]
    wanted |= {
        ("sync", "broker_url"): mqtt["broker_url"],
        ("sync", "username"): mqtt["username"],
        ("sync", "password"): mqtt["password"],
        ("sync", "central_public_key"): doc["central_public_key"],
        ("ticket", "trace_base_url"): doc["trace_base_url"],
    }
    if ca_path is not None:
        wanted[("sync", "tls_ca")] = str(ca_path)
    return wanted


def key_path(config_path: Path, wanted: dict[Key, Any]) -> Path:
    """Where edge.runtime.device_key looks: ``device_key.pem`` next to the database."""
    plan = configure.plan(config_path, wanted)
    return plan.config.path(plan.config.store.path).with_name("device_key.pem")


def _conflicts(config_path: Path, doc: dict[str, Any], key_file: Path) -> list[tuple[str, str]]:
    found = []
    identity = configure.current_values(config_path).get("identity", {})
    for key in ("market_id", "scale_id"):
        if key in identity and identity[key] != doc["identity"][key]:
            found.append((
                f"edge.toml 中已有另一身份 {key}={identity[key]!r}（配置包为 {doc['identity'][key]!r}）",
                f"edge.toml already has another identity {key}={identity[key]!r} (bundle: {doc['identity'][key]!r})",
            ))  # fmt: skip
    if key_file.exists():
        existing = _public_key(key_file.read_text(encoding="ascii", errors="replace"))
        if existing != doc["device_key"]["public_key"]:
            found.append((
                f"本秤已有另一设备密钥 {key_file}",
                f"this scale already has a different device key {key_file}",
            ))  # fmt: skip
    return found


def _write_private(path: Path, text: str, mode: int) -> Path:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        os.fchmod(f.fileno(), mode)
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    return tmp


def provision(
    bundle_path: str | Path, config_path: str | Path, *, force: bool = False, now_ms: Callable[[], int]
) -> Provisioned:
    config_path = Path(config_path)
    doc = load_bundle(bundle_path)
    ca_pem = doc["mqtt"]["tls_ca_pem"]
    ca_path = config_path.resolve().parent / CA_FILE if ca_pem else None
    wanted = settings(doc, ca_path)
    key_file = key_path(config_path, wanted)
    conflicts = _conflicts(config_path, doc, key_file)
    if conflicts and not force:
        raise ProvisionError(
            "；".join(zh for zh, _ in conflicts) + "。未做任何修改；确认要替换这台秤的身份和密钥，请加 --force",
            "; ".join(en for _, en in conflicts) + ". Nothing was changed; to replace this scale's identity "
            "and key, run again with --force",
        )
    plan = configure.plan(config_path, wanted, explicit=True)
    same_key = key_file.exists() and not conflicts
    if same_key and not plan.changes:
        return Provisioned(doc["identity"]["scale_id"], key_file, configure.Applied((), (), None), True)
    replaced = None
    if key_file.exists() and not same_key:
        replaced = key_file.with_name(f"{key_file.name}.replaced-{now_ms()}")
    event = {
        "scale_id": doc["identity"]["scale_id"],
        "market_id": doc["identity"]["market_id"],
        "public_key": doc["device_key"]["public_key"],
        "bundle_created_ms": doc.get("created_ms"),
        "replaced_key": str(replaced) if replaced else None,
    }
    key_file.parent.mkdir(parents=True, exist_ok=True)
    tmp_key = _write_private(key_file, doc["device_key"]["private_pem"], 0o600)
    try:
        if ca_path is not None and ca_pem:
            os.replace(_write_private(ca_path, ca_pem, 0o644), ca_path)
        applied = configure.apply(
            plan, now_ms=now_ms, extra_events=[(PROVISIONED, event)], source="provision", private=True
        )
        if replaced is not None:
            os.replace(key_file, replaced)  # the old key stays (0600): its signatures may still need checking
        os.replace(tmp_key, key_file)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_key.unlink()
        raise
    return Provisioned(doc["identity"]["scale_id"], key_file, applied, False)
