"""The outbox: what central has not acked yet, in the order it must be sent.

``seq`` here is the outbox's own number (AUTOINCREMENT, never reused). For a sale's first
row it is usually equal to the sale's ``seq``, but a payment update adds a row with a new
outbox seq, so the two drift apart: ack by the outbox seq that was sent.
"""

from __future__ import annotations

from sqlite_utils import Database


def enqueue(db: Database, kind: str, sale_id: str, payload: str, now_ms: int) -> int:
    cursor = db.execute(
        "INSERT INTO outbox (kind, sale_id, created_ms, payload) VALUES (?, ?, ?, ?)",
        (kind, sale_id, now_ms, payload),
    )
    return int(cursor.lastrowid or 0)


def batch(db: Database, limit: int, after_seq: int = 0) -> list[tuple[int, str]]:
    if limit <= 0:
        raise ValueError("limit must be positive")
    rows = db.execute(
        "SELECT seq, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, limit)
    ).fetchall()
    return [(int(seq), str(text)) for seq, text in rows]


def ack_through(db: Database, seq: int) -> int:
    """Delete every row with seq <= ``seq``; rows above are never touched. Idempotent."""
    return int(db.execute("DELETE FROM outbox WHERE seq <= ?", (seq,)).rowcount)


def backlog(db: Database) -> int:
    return int(db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])


def oldest_ms(db: Database) -> int | None:
    """When the oldest unacked row was queued (epoch ms), or None if all is acked."""
    row = db.execute("SELECT created_ms FROM outbox ORDER BY seq LIMIT 1").fetchone()
    return None if row is None else int(row[0])
