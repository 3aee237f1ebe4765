"""The event log table: append, read, verify. The hashing itself is edge.core.eventlog."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from edge.core import protection
from edge.core.eventlog import EventEntry, make_entry, verify_chain
from edge.store.rows import fetch, fetch_one

_CHUNK = 1000


def _entry(row: dict[str, Any]) -> EventEntry:
    """Raises ValueError if the stored data is not a JSON object (a damaged or edited row)."""
    data = json.loads(row["data"])
    if not isinstance(data, dict):
        raise ValueError("event data is not a JSON object")
    return EventEntry(row["id"], row["kind"], data, row["created_ms"], row["prev_hash"], row["hash"])


def last(db: Database) -> EventEntry | None:
    row = fetch_one(db, "SELECT * FROM events ORDER BY id DESC LIMIT 1")
    return None if row is None else _entry(row)


def append(db: Database, kind: str, data: dict[str, Any], now_ms: int) -> EventEntry:
    entry = make_entry(last(db), kind, data, now_ms)
    db.execute(
        "INSERT INTO events (id, kind, data, created_ms, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)",
        (
            entry.id,
            entry.kind,
            json.dumps(entry.data, ensure_ascii=False),
            entry.created_ms,
            entry.prev_hash,
            entry.hash,
        ),
    )
    return entry


def events(db: Database, after_id: int = 0, limit: int = 100) -> list[EventEntry]:
    rows = fetch(db, "SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit))
    return [_entry(row) for row in rows]


def protection_state(
    db: Database, known: tuple[int, protection.ProtectionState] | None = None
) -> tuple[int, protection.ProtectionState]:
    """The lock state folded from the entries of the protection kinds (index events_kind).

    ``known`` = (id, state) from an earlier call: only entries after that id are read, which
    is exact because the log is append-only. Returns the new (id, state) to pass next time.
    """
    after, state = known or (0, protection.ProtectionState())
    kinds = sorted(protection.KINDS)
    marks = ", ".join("?" * len(kinds))
    rows = fetch(db, f"SELECT * FROM events WHERE kind IN ({marks}) AND id > ? ORDER BY id", (*kinds, after))
    if not rows:
        return after, state
    return rows[-1]["id"], protection.fold((_entry(row) for row in rows), state)


def verify(db: Database) -> tuple[bool, int | None]:
    """Walk the whole log in id order; ``(True, None)`` or ``(False, first bad id)``."""
    prev: EventEntry | None = None
    after = 0
    while True:
        rows = fetch(db, "SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?", (after, _CHUNK))
        if not rows:
            return True, None
        entries: list[EventEntry] = []
        for row in rows:
            try:
                entries.append(_entry(row))
            except (ValueError, TypeError):
                ok, bad = verify_chain(entries, prev)
                return (False, bad) if not ok else (False, row["id"])
        ok, bad = verify_chain(entries, prev)
        if not ok:
            return False, bad
        prev, after = entries[-1], entries[-1].id
