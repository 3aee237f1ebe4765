"""Firmware releases (OTA): publish a signed release, roll it out in stages, follow each scale.

- ``publish``: the wheel (built from the project with :mod:`central.wheel`, or given) is
  copied into central's firmware folder; its manifest (edge.core.firmware) is signed with
  central's key and stored. HTTP serves the wheel at ``/firmware/{version}/{wheel}``.
- ``rollout``: the signed manifest goes retained onto the firmware topic of one scale,
  every scale of a market, or a stable percentage of scales (a hash of the scale id, so
  the same scales stay in when the percentage grows).
- ``status``: what each offered scale did, read from what the scales report: the heartbeat's
  ``software_id`` (``VERSION+hash``) says it runs the release; a ``firmware.refused`` or
  ``firmware.rolled_back`` event for the version says it did not, and why.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from central.admin import AdminError, bilingual
from central.db import Connection
from central.keys import CentralKey
from central.localtime import now_ms
from central.mqtt import PREFIX
from central.publish import Document, unregistered_scale
from central.wheel import build_wheel
from edge.core.firmware import FirmwareManifest, parse_version, rollout_bucket

FAILED_EVENTS = ("firmware.refused", "firmware.rolled_back", "firmware.failed")


@dataclass(frozen=True, slots=True)
class Release:
    manifest: dict[str, Any]  # signed
    path: Path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def publish_release(
    conn: Connection,
    key: CentralKey,
    firmware_dir: Path,
    version: str,
    *,
    wheel: Path | None = None,
    source: Path | None = None,
    notes: str = "",
    min_version: str | None = None,
) -> Release:
    """Store a signed release; the wheel is ``wheel`` or built from the project folder ``source``."""
    try:
        parse_version(version)
        if min_version:
            parse_version(min_version)
    except ValueError as exc:
        raise bilingual(exc) from None
    if conn.scalar("SELECT 1 FROM firmware_releases WHERE version = ?", (version,)):
        raise AdminError(
            f"版本 {version} 已发布过；已发布的版本不能更改，请发布更高的版本号",
            f"release {version} already exists; a release never changes, publish a higher version",
        )
    folder = Path(firmware_dir).resolve() / version
    if wheel is None:
        if source is None:
            raise AdminError(
                "请给出 --wheel PATH，或用来构建 wheel 的项目文件夹（--source）",
                "give --wheel PATH or the project folder to build the wheel from",
            )
        stored = build_wheel(source, version, folder)
    else:
        if not wheel.is_file():
            raise AdminError(
                f"找不到 wheel 文件 {wheel}：请用 `pip wheel . --no-deps -w dist` 构建，或去掉 --wheel",
                f"wheel {wheel} not found; build it with `pip wheel . --no-deps -w dist` or omit --wheel",
            )
        folder.mkdir(parents=True, exist_ok=True)
        stored = folder / wheel.name
        shutil.copyfile(wheel, stored)
    try:
        manifest = FirmwareManifest(
            version=version, wheel=stored.name, size=stored.stat().st_size, sha256=_sha256(stored),
            created_ms=now_ms(), min_version=min_version or None, notes=notes,
        )  # fmt: skip
    except ValueError as exc:
        raise AdminError(f"无法发布 {stored.name}：{exc}", f"cannot publish {stored.name}: {exc}") from None
    signed = key.sign_document(manifest.to_doc())
    with conn.transaction():
        conn.execute(
            "INSERT INTO firmware_releases (version, wheel, size, sha256, path, notes, min_version, manifest, "
            "created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (version, manifest.wheel, manifest.size, manifest.sha256, str(stored), notes, manifest.min_version,
             json.dumps(signed, ensure_ascii=False), manifest.created_ms),
        )  # fmt: skip
    return Release(signed, stored)


def release_file(conn: Connection, version: str, wheel: str) -> Path | None:
    """The stored wheel of a release (for HTTP), or None."""
    row = conn.one("SELECT path FROM firmware_releases WHERE version = ? AND wheel = ?", (version, wheel))
    return Path(row["path"]) if row else None


def rollout(
    conn: Connection, version: str, *, scale_id: str = "", market_id: str = "", percent: int | None = None
) -> list[Document]:
    """The retained firmware documents for the targeted scales; records the rollout and 'offered'."""
    row = conn.one("SELECT manifest FROM firmware_releases WHERE version = ?", (version,))
    if row is None:
        raise AdminError(
            f"没有版本 {version}：请先用 `central firmware publish --version {version}` 发布",
            f"no release {version}; publish it first with `central firmware publish --version {version}`",
        )
    if percent is not None and not 0 <= percent <= 100:
        raise AdminError(f"--percent 应为 0-100，收到 {percent}", f"--percent must be 0-100, got {percent}")
    if scale_id:
        scales = conn.all("SELECT scale_id, market_id FROM scales WHERE scale_id = ?", (scale_id,))
        if not scales:
            raise unregistered_scale(scale_id)
        kind, target = "scale", scale_id
    else:
        where, params = ("WHERE market_id = ? ", (market_id,)) if market_id else ("", ())
        scales = conn.all(f"SELECT scale_id, market_id FROM scales {where}ORDER BY scale_id", params)
        if market_id and not scales:
            raise AdminError(
                f"市场 {market_id!r} 没有已登记的秤：请核对市场编号（central market list）",
                f"market {market_id!r} has no registered scales",
            )
        if percent is not None:
            scales = [s for s in scales if rollout_bucket(s["scale_id"]) < percent]
        elif not market_id:
            raise AdminError(
                "请指定要升级的秤：--scale S、--market M 或 --percent P",
                "choose the scales: --scale S, --market M or --percent P",
            )
        kind = "percent" if percent is not None else "market"
        target = f"{market_id or '*'}:{percent}" if percent is not None else market_id
    manifest = json.loads(row["manifest"])
    ms = now_ms()
    with conn.transaction():
        conn.execute(
            "INSERT INTO firmware_rollouts (version, target_kind, target, scales, created_ms) VALUES (?, ?, ?, ?, ?)",
            (version, kind, target, len(scales), ms),
        )
        for s in scales:
            _set_status(conn, s["scale_id"], version, "offered", f"rollout {kind} {target}", ms)
    return [Document(f"{PREFIX}/{s['market_id']}/{s['scale_id']}/firmware", manifest) for s in scales]


def _set_status(conn: Connection, scale_id: str, version: str, state: str, detail: str, ms: int) -> None:
    conn.execute(
        "INSERT INTO firmware_status (scale_id, version, state, detail, updated_ms) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (scale_id, version) DO UPDATE SET state = excluded.state, detail = excluded.detail, "
        "updated_ms = excluded.updated_ms",
        (scale_id, version, state, detail, ms),
    )


def refresh_status(conn: Connection, version: str) -> list[dict[str, Any]]:
    """Update each offered scale's state from its heartbeat and events; return the rows."""
    rows = conn.all(
        "SELECT f.scale_id, f.state, f.detail, s.software_id FROM firmware_status f "
        "LEFT JOIN scale_status s ON s.scale_id = f.scale_id WHERE f.version = ? ORDER BY f.scale_id",
        (version,),
    )
    ms = now_ms()
    with conn.transaction():
        for row in rows:
            state, detail = row["state"], row["detail"]
            running = (row["software_id"] or "").split("+", 1)[0]
            if running and parse_version(running) == parse_version(version):
                state, detail = "installed", f"heartbeat software_id {row['software_id']}"
            else:
                failure = _last_failure(conn, row["scale_id"], version)
                if failure:
                    state, detail = "failed", failure
            if (state, detail) != (row["state"], row["detail"]):
                _set_status(conn, row["scale_id"], version, state, detail, ms)
    return conn.all(
        "SELECT scale_id, version, state, detail, updated_ms FROM firmware_status WHERE version = ? ORDER BY scale_id",
        (version,),
    )


def _last_failure(conn: Connection, scale_id: str, version: str) -> str:
    marks = ", ".join("?" for _ in FAILED_EVENTS)
    for event in conn.all(
        f"SELECT kind, data FROM events WHERE scale_id = ? AND kind IN ({marks}) ORDER BY event_id DESC",
        (scale_id, *FAILED_EVENTS),
    ):
        data = json.loads(event["data"])
        if data.get("version") == version:
            return f"{event['kind']}: {data.get('reason', '')}"
    return ""
