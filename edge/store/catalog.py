"""The market catalog (PLUs) and the merchant's batches, each with the version central sent.

A catalog or batch list that is not newer than the one held raises StaleVersionError and
changes nothing: a retained MQTT message is delivered again on every reconnect, and an
old one must never overwrite prices. Callers treat the error as "already up to date".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlite_utils import Database

from edge.core.records import Batch, Plu
from edge.store.errors import StaleVersionError
from edge.store.rows import BATCH_COLUMNS, batch_from_row, batch_row, fetch, fetch_one, plu_from_row, plu_row

_UPSERT_BATCH = (
    f"INSERT INTO batches ({', '.join(BATCH_COLUMNS)}) VALUES ({', '.join('?' * len(BATCH_COLUMNS))}) "
    "ON CONFLICT (batch_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in BATCH_COLUMNS if c not in ("batch_id", "source"))
)


def version(db: Database, name: str) -> int:
    row = db.execute("SELECT version FROM data_versions WHERE name = ?", (name,)).fetchone()
    return 0 if row is None else int(row[0])


def _take_version(db: Database, name: str, offered: int) -> None:
    if isinstance(offered, bool) or not isinstance(offered, int):
        raise TypeError(f"{name} version must be an integer")
    current = version(db, name)
    if offered <= current:
        raise StaleVersionError(name, offered, current)
    db.execute(
        "INSERT INTO data_versions (name, version) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET version = ?",
        (name, offered, offered),
    )


def _no_duplicates(keys: Sequence[str], what: str) -> None:
    dupes = sorted(k for k, n in Counter(keys).items() if n > 1)
    if dupes:
        raise ValueError(f"duplicate {what} in the list: {', '.join(dupes)}")


def replace_catalog(db: Database, plus: Sequence[Plu], offered: int) -> None:
    _no_duplicates([p.plu for p in plus], "PLU")
    _take_version(db, "catalog", offered)
    db.execute("DELETE FROM catalog")
    db["catalog"].insert_all([plu_row(p, n) for n, p in enumerate(plus)])


def catalog(db: Database) -> list[Plu]:
    return [plu_from_row(row) for row in fetch(db, "SELECT * FROM catalog ORDER BY position")]


def upsert_batch(db: Database, batch: Batch) -> None:
    """Add or change one batch (e.g. registered at the scale by scanning the upstream code).

    A new batch counts as local; one central sent stays central's.
    """
    values = batch_row(batch, "local")
    db.execute(_UPSERT_BATCH, tuple(values[c] for c in BATCH_COLUMNS))


def replace_batches(db: Database, batches: Sequence[Batch], offered: int) -> None:
    """Central's list becomes the truth for central's batches: listed ones are written,
    central batches not listed are deactivated (kept for reprints and investigations).
    Batches registered locally and not in the list are left as they are."""
    _no_duplicates([b.batch_id for b in batches], "batch_id")
    _take_version(db, "batches", offered)
    if batches:
        db["batches"].upsert_all([batch_row(b, "central") for b in batches], pk="batch_id")
    listed = {b.batch_id for b in batches}
    held = [r[0] for r in db.execute("SELECT batch_id FROM batches WHERE source = 'central' AND active = 1")]
    gone = [(batch_id,) for batch_id in held if batch_id not in listed]
    db.conn.executemany("UPDATE batches SET active = 0 WHERE batch_id = ?", gone)


def active_batches(db: Database, plu: str | None = None) -> list[Batch]:
    """Newest arrival first, so the default batch for a PLU is the first one."""
    if plu is None:
        rows = fetch(db, "SELECT * FROM batches WHERE active = 1 ORDER BY arrival_date DESC, batch_id")
    else:
        rows = fetch(
            db, "SELECT * FROM batches WHERE active = 1 AND plu = ? ORDER BY arrival_date DESC, batch_id", (plu,)
        )
    return [batch_from_row(row) for row in rows]


def get_batch(db: Database, batch_id: str) -> Batch | None:
    row = fetch_one(db, "SELECT * FROM batches WHERE batch_id = ?", (batch_id,))
    return None if row is None else batch_from_row(row)


def batch_with_certificate(db: Database, certificate: str) -> Batch | None:
    row = fetch_one(db, "SELECT * FROM batches WHERE certificate = ? ORDER BY batch_id LIMIT 1", (certificate,))
    return None if row is None else batch_from_row(row)
