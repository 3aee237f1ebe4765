"""The vendor's own prices and the real-name shifts, each change also an event-log entry."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from edge.store import eventlog
from edge.store.rows import fetch


def prices(db: Database) -> dict[str, int]:
    return {plu: fen for plu, fen in db.execute("SELECT plu, unit_price_fen FROM vendor_prices")}


def set_price(db: Database, plu: str, price_fen: int | None, event: dict[str, Any], now_ms: int) -> None:
    """Set (or, with None, drop back to the guide price) and log ``price.changed``."""
    if price_fen is None:
        db.execute("DELETE FROM vendor_prices WHERE plu = ?", (plu,))
    else:
        db.execute(
            "INSERT INTO vendor_prices (plu, unit_price_fen, changed_ms, operator) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (plu) DO UPDATE SET unit_price_fen = excluded.unit_price_fen, "
            "changed_ms = excluded.changed_ms, operator = excluded.operator",
            (plu, price_fen, now_ms, event.get("operator", "")),
        )
    eventlog.append(db, "price.changed", event, now_ms)


def open_shift(db: Database) -> dict[str, Any] | None:
    found = fetch(db, "SELECT * FROM shifts WHERE ended_ms IS NULL ORDER BY shift_id DESC LIMIT 1")
    return found[0] if found else None


def start_shift(db: Database, operator: str, name: str, role: str, how: str, now_ms: int) -> int:
    """Close any open shift (one person sells at a time) and open the new one."""
    end_shift(db, now_ms)
    cursor = db.execute(
        "INSERT INTO shifts (operator, name, role, started_ms) VALUES (?, ?, ?, ?)", (operator, name, role, now_ms)
    )
    shift = int(cursor.lastrowid)
    eventlog.append(db, "operator.signed_in", {"operator": operator, "name": name, "role": role,
                                               "shift": shift, "how": how}, now_ms)  # fmt: skip
    return shift


def end_shift(db: Database, now_ms: int) -> dict[str, Any] | None:
    shift = open_shift(db)
    if shift is None:
        return None
    db.execute("UPDATE shifts SET ended_ms = ? WHERE shift_id = ?", (now_ms, shift["shift_id"]))
    eventlog.append(db, "operator.signed_out", {"operator": shift["operator"], "shift": shift["shift_id"]}, now_ms)
    return shift
