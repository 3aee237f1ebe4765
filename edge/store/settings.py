"""Key/value settings stored as JSON text."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database


def get(db: Database, key: str, default: Any = None) -> Any:
    row = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return default if row is None else json.loads(row[0])


def put(db: Database, key: str, value: Any) -> None:
    """Raises TypeError/ValueError for a value JSON cannot hold (nothing is written)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, text),
    )
