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


def continue_after(db: Database, acked: int) -> bool:
    """Make every queued row, and every row queued from now on, number above ``acked``.

    ``acked`` is central's watermark for this scale. A store that numbers below it (a
    wiped one starts at 1 again) would have its rows taken as long acked and deleted
    unsent; they are moved up instead, in order. True when anything moved (the
    publisher then starts again from ``acked``)."""
    first = db.execute("SELECT MIN(seq) FROM outbox").fetchone()[0]
    moved = first is not None and first <= acked
    if moved:
        shift = acked - first + 1
        # through negatives, so no row's new number meets another's old one on the way
        db.execute("UPDATE outbox SET seq = -(seq + ?)", (shift,))
        db.execute("UPDATE outbox SET seq = -seq")
    used = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    top = max(acked, db.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox").fetchone()[0])
    if used is None:
        db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', ?)", (top,))
        moved = moved or top > 0
    elif used[0] < top:
        db.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'outbox'", (top,))
        moved = True
    return moved


def backlog(db: Database) -> int:
    return int(db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])


def oldest_ms(db: Database) -> int | None:
    """When the oldest unacked row was queued (epoch ms), or None if all is acked."""
    row = db.execute("SELECT created_ms FROM outbox ORDER BY seq LIMIT 1").fetchone()
    return None if row is None else int(row[0])
