"""Registration by the market office: markets, merchants, scales, MQTT logins, catalog, batches.

Merchants are registered under their real name (实名登记): real name, ID number and phone
are stored for the market office and never shown on public pages or in the API; the
public face of a merchant is the stall and a display name. A scale gets a random MQTT
password that is returned once to be printed; only its Mosquitto hash is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from central.db import Connection, is_unique_violation
from central.keys import load_public_key
from central.localtime import now_ms
from central.passwords import generate_password, hash_password
from edge.core.records import Batch, Plu

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # safe in MQTT topics and ACL lines
CENTRAL_ROLE, SCALE_ROLE = "central", "scale"


class AdminError(ValueError):
    """A registration that cannot be done; the message says what to change."""


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str  # shown once, never stored


def check_id(kind: str, value: str) -> str:
    if not _ID.match(value or ""):
        raise AdminError(
            f"{kind} {value!r} is not usable: 1-64 letters, digits, '.', '_' or '-' (it becomes part of MQTT topics)"
        )
    return value


def _insert(conn: Connection, what: str, sql: str, params: tuple[Any, ...]) -> None:
    try:
        with conn.transaction():
            conn.execute(sql, params)
    except Exception as exc:
        if is_unique_violation(exc):
            raise AdminError(f"{what} is already registered; choose another id or update the existing one") from None
        raise


def add_market(
    conn: Connection, market_id: str, node_code: str, name: str, city: str = "", office_phone: str = ""
) -> None:
    check_id("market id", market_id)
    if not (len(node_code) == 6 and node_code.isascii() and node_code.isdigit()):
        raise AdminError(f"market node code must be 6 digits (the start of every trace code), got {node_code!r}")
    if not name.strip():
        raise AdminError("a market needs a name (shown on the trace page)")
    _insert(
        conn,
        f"market {market_id} (or node code {node_code})",
        "INSERT INTO markets (market_id, node_code, name, city, office_phone, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
        (market_id, node_code, name.strip(), city.strip(), _office_phone(office_phone), now_ms()),
    )


def set_market_phone(conn: Connection, market_id: str, office_phone: str) -> None:
    """The market office's public phone, printed on the trace page's footer for complaints."""
    _require(conn, "markets", "market_id", market_id, "market")
    conn.execute("UPDATE markets SET office_phone = ? WHERE market_id = ?", (_office_phone(office_phone), market_id))


def _office_phone(text: str) -> str:
    phone = text.strip()
    if phone and not all(c.isdigit() or c in "-+ ()" for c in phone):
        raise AdminError(f"the market office phone may hold digits, spaces and - + ( ) only, got {text!r}")
    return phone


def _require(conn: Connection, table: str, column: str, value: str, what: str) -> dict[str, Any]:
    row = conn.one(f"SELECT * FROM {table} WHERE {column} = ?", (value,))
    if row is None:
        raise AdminError(f"{what} {value!r} is not registered; register it first")
    return row


def add_merchant(
    conn: Connection,
    merchant_id: str,
    market_id: str,
    *,
    stall: str,
    display_name: str,
    real_name: str,
    id_number: str,
    phone: str,
) -> None:
    check_id("merchant id", merchant_id)
    _require(conn, "markets", "market_id", market_id, "market")
    missing = [n for n, v in (("stall", stall), ("display name", display_name), ("real name", real_name),
                              ("ID number", id_number), ("phone", phone)) if not v.strip()]  # fmt: skip
    if missing:
        raise AdminError(f"real-name registration needs {', '.join(missing)}")
    _insert(
        conn,
        f"merchant {merchant_id}",
        "INSERT INTO merchants (merchant_id, market_id, stall, display_name, real_name, id_number, phone, created_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (merchant_id, market_id, stall.strip(), display_name.strip(), real_name.strip(), id_number.strip(),
         phone.strip(), now_ms()),
    )  # fmt: skip


def add_scale(
    conn: Connection, scale_id: str, market_id: str, scale_no: int, public_key: str, merchant_id: str | None = None
) -> Credentials:
    """Register a scale and create its MQTT login; the password is returned once."""
    check_id("scale id", scale_id)
    _require(conn, "markets", "market_id", market_id, "market")
    if merchant_id:
        merchant = _require(conn, "merchants", "merchant_id", merchant_id, "merchant")
        if merchant["market_id"] != market_id:
            raise AdminError(f"merchant {merchant_id} trades in market {merchant['market_id']}, not {market_id}")
    if not 1 <= scale_no <= 999:
        raise AdminError(f"scale number must be 1-999 (3 digits of the trace code), got {scale_no}")
    load_public_key(public_key)
    if conn.one("SELECT username FROM mqtt_accounts WHERE username = ?", (scale_id,)):
        raise AdminError(f"MQTT user {scale_id} already exists; choose another scale id")
    password = generate_password()
    try:
        with conn.transaction():
            conn.execute(
                "INSERT INTO scales (scale_id, market_id, merchant_id, scale_no, public_key, created_ms) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (scale_id, market_id, merchant_id or None, scale_no, public_key.strip(), now_ms()),
            )
            conn.execute(
                "INSERT INTO mqtt_accounts (username, role, scale_id, password_hash, created_ms) "
                "VALUES (?, ?, ?, ?, ?)",
                (scale_id, SCALE_ROLE, scale_id, hash_password(password), now_ms()),
            )
    except Exception as exc:
        if is_unique_violation(exc):
            raise AdminError(
                f"scale {scale_id} or scale number {scale_no} in {market_id} is already registered"
            ) from None
        raise
    return Credentials(scale_id, password)


def set_scale_key(conn: Connection, scale_id: str, public_key: str) -> None:
    """A re-provisioned scale's new device key."""
    load_public_key(public_key)
    _require(conn, "scales", "scale_id", scale_id, "scale")
    with conn.transaction():
        conn.execute("UPDATE scales SET public_key = ? WHERE scale_id = ?", (public_key.strip(), scale_id))


def assign_scale(conn: Connection, scale_id: str, merchant_id: str) -> None:
    scale = _require(conn, "scales", "scale_id", scale_id, "scale")
    merchant = _require(conn, "merchants", "merchant_id", merchant_id, "merchant")
    if merchant["market_id"] != scale["market_id"]:
        raise AdminError(f"merchant {merchant_id} is in market {merchant['market_id']}, scale {scale_id} is not")
    with conn.transaction():
        conn.execute("UPDATE scales SET merchant_id = ? WHERE scale_id = ?", (merchant_id, scale_id))


def add_central_account(conn: Connection, username: str = "central") -> Credentials:
    """Central's own broker login (readwrite trace/v1/#)."""
    check_id("MQTT user", username)
    password = generate_password()
    _insert(
        conn,
        f"MQTT user {username}",
        "INSERT INTO mqtt_accounts (username, role, scale_id, password_hash, created_ms) VALUES (?, ?, NULL, ?, ?)",
        (username, CENTRAL_ROLE, hash_password(password), now_ms()),
    )
    return Credentials(username, password)


def reset_password(conn: Connection, username: str) -> Credentials:
    _require(conn, "mqtt_accounts", "username", username, "MQTT user")
    password = generate_password()
    with conn.transaction():
        conn.execute(
            "UPDATE mqtt_accounts SET password_hash = ? WHERE username = ?", (hash_password(password), username)
        )
    return Credentials(username, password)


# --- catalog and batches -------------------------------------------------------------------


def set_catalog(conn: Connection, market_id: str, plus: Iterable[dict[str, Any]], *, replace: bool = True) -> int:
    """Store the market's PLUs (validated as edge.core Plu); ``replace`` drops PLUs not given."""
    _require(conn, "markets", "market_id", market_id, "market")
    try:
        items = [Plu.from_dict(p) for p in plus]
    except (ValueError, TypeError, KeyError) as exc:
        raise AdminError(f"catalog entry refused: {exc}; fix the catalog file") from None
    with conn.transaction():
        if replace:
            conn.execute("DELETE FROM catalog WHERE market_id = ?", (market_id,))
        conn.executemany(
            "INSERT INTO catalog (market_id, plu, name, goods_code, pricing, unit_price_fen, category, hotkey, "
            "name_en) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (market_id, plu) DO UPDATE SET "
            "name = excluded.name, goods_code = excluded.goods_code, pricing = excluded.pricing, "
            "unit_price_fen = excluded.unit_price_fen, category = excluded.category, hotkey = excluded.hotkey, "
            "name_en = excluded.name_en",
            [(market_id, p.plu, p.name, p.goods_code, p.pricing.value, p.unit_price_fen, p.category, p.hotkey,
              p.name_en) for p in items],
        )  # fmt: skip
    return len(items)


def catalog(conn: Connection, market_id: str) -> list[Plu]:
    rows = conn.all(
        "SELECT plu, name, goods_code, pricing, unit_price_fen, category, hotkey, name_en FROM catalog "
        "WHERE market_id = ? ORDER BY plu",
        (market_id,),
    )
    return [Plu.from_dict(row) for row in rows]


def add_batch(conn: Connection, merchant_id: str, batch: dict[str, Any]) -> Batch:
    """Register (or replace) one of a merchant's incoming batches."""
    _require(conn, "merchants", "merchant_id", merchant_id, "merchant")
    try:
        item = Batch.from_dict(batch)
        date.fromisoformat(item.arrival_date)
    except (ValueError, TypeError, KeyError) as exc:
        raise AdminError(f"batch refused: {exc}; arrival_date is YYYY-MM-DD and batch_id/plu are required") from None
    check_id("batch id", item.batch_id)
    owner = conn.scalar("SELECT merchant_id FROM batches WHERE batch_id = ?", (item.batch_id,))
    if owner is not None and owner != merchant_id:
        raise AdminError(f"batch {item.batch_id} belongs to merchant {owner}; batch ids are unique per city")
    with conn.transaction():
        conn.execute(
            "INSERT INTO batches (batch_id, merchant_id, plu, supplier, supplier_node, upstream_code, origin, "
            "certificate, arrival_date, active, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (batch_id) DO UPDATE SET plu = excluded.plu, supplier = excluded.supplier, "
            "supplier_node = excluded.supplier_node, upstream_code = excluded.upstream_code, "
            "origin = excluded.origin, certificate = excluded.certificate, arrival_date = excluded.arrival_date, "
            "active = excluded.active",
            (item.batch_id, merchant_id, item.plu, item.supplier, item.supplier_node, item.upstream_code,
             item.origin, item.certificate, item.arrival_date, int(item.active), now_ms()),
        )  # fmt: skip
    return item


def set_batch_active(conn: Connection, batch_id: str, active: bool) -> None:
    _require(conn, "batches", "batch_id", batch_id, "batch")
    with conn.transaction():
        conn.execute("UPDATE batches SET active = ? WHERE batch_id = ?", (int(active), batch_id))


def active_batches(conn: Connection, merchant_id: str) -> list[Batch]:
    rows = conn.all(
        "SELECT batch_id, plu, supplier, supplier_node, upstream_code, origin, certificate, arrival_date, active "
        "FROM batches WHERE merchant_id = ? AND active = 1 ORDER BY batch_id",
        (merchant_id,),
    )
    return [Batch.from_dict({**row, "active": bool(row["active"])}) for row in rows]
