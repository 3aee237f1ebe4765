"""The print queue: jobs stay until the printer has taken them, so a crash or a paper-out
never loses a ticket. Failed jobs stay pending (attempts and the last error are kept).

Several processes may print from one store (the app's worker and ``edge print``): a job
is printed only by the process that :func:`claim` ed it, an atomic ``UPDATE ... WHERE
claimed_by IS NULL`` under SQLite's write lock. The claim is a lease: if its holder dies
mid-print, another process takes the job once the lease has run out (the customer may
then get the ticket twice, never none). A failed attempt gives the claim back."""

from __future__ import annotations

from sqlite_utils import Database

from edge.core.records import PrintJob
from edge.store.errors import NotFoundError
from edge.store.rows import fetch, fetch_one

KINDS = ("ticket", "reprint")


def enqueue(db: Database, sale_id: str, kind: str, now_ms: int) -> int:
    if kind not in KINDS:
        raise ValueError(f"print job kind must be one of {KINDS}, got {kind!r}")
    cursor = db.execute("INSERT INTO print_jobs (sale_id, kind, created_ms) VALUES (?, ?, ?)", (sale_id, kind, now_ms))
    return int(cursor.lastrowid or 0)


PAPERLESS = "paperless"  # last_error of a ticket job closed because the customer took the 电子小票


def paperless(db: Database, sale_id: str, now_ms: int) -> None:
    """No paper for this sale: close its pending ticket jobs, or record one born done."""
    closed = db.execute(
        "UPDATE print_jobs SET done_ms = ?, last_error = ? WHERE sale_id = ? AND kind = 'ticket' AND done_ms IS NULL",
        (now_ms, PAPERLESS, sale_id),
    ).rowcount
    has_ticket = db.execute("SELECT 1 FROM print_jobs WHERE sale_id = ? AND kind = 'ticket'", (sale_id,)).fetchone()
    if not closed and has_ticket is None:
        db.execute(
            "INSERT INTO print_jobs (sale_id, kind, created_ms, done_ms, last_error) VALUES (?, 'ticket', ?, ?, ?)",
            (sale_id, now_ms, now_ms, PAPERLESS),
        )


def pending(db: Database, limit: int = 10) -> list[PrintJob]:
    rows = fetch(
        db,
        "SELECT job_id, sale_id, kind, attempts, last_error FROM print_jobs "
        "WHERE done_ms IS NULL ORDER BY job_id LIMIT ?",
        (limit,),
    )
    return [PrintJob(**row) for row in rows]


def _job(db: Database, job_id: int) -> dict:
    row = fetch_one(db, "SELECT sale_id, kind, done_ms FROM print_jobs WHERE job_id = ?", (job_id,))
    if row is None:
        raise NotFoundError("print job", job_id)
    return row


def claim(db: Database, job_id: int, claimer: str, now_ms: int, lease_ms: int) -> bool:
    """Take the job for ``claimer`` until ``now_ms + lease_ms``; False if it is done or another
    claimer holds a lease that has not run out. A claimer may renew its own claim."""
    if lease_ms <= 0:
        raise ValueError("lease_ms must be positive")
    cursor = db.execute(
        "UPDATE print_jobs SET claimed_by = ?, claim_until_ms = ? WHERE job_id = ? AND done_ms IS NULL "
        "AND (claimed_by IS NULL OR claimed_by = ? OR claim_until_ms < ?)",
        (claimer, now_ms + lease_ms, job_id, claimer, now_ms),
    )
    return cursor.rowcount == 1


def release(db: Database, job_id: int, claimer: str) -> None:
    """Give the claim back (a failed attempt: any process may retry the job)."""
    db.execute(
        "UPDATE print_jobs SET claimed_by = NULL, claim_until_ms = NULL WHERE job_id = ? AND claimed_by = ?",
        (job_id, claimer),
    )


def done(db: Database, job_id: int, now_ms: int) -> str | None:
    """The printer took the job. Returns the sale id when a ticket job just finished (the
    caller marks that sale printed), else None. Repeats are no-ops."""
    job = _job(db, job_id)
    if job["done_ms"] is not None:
        return None
    db.execute(
        "UPDATE print_jobs SET done_ms = ?, last_attempt_ms = ?, attempts = attempts + 1 WHERE job_id = ?",
        (now_ms, now_ms, job_id),
    )
    return str(job["sale_id"]) if job["kind"] == "ticket" else None


def failed(db: Database, job_id: int, error: str, now_ms: int) -> None:
    """A print attempt failed; the job stays pending. A late failure report for a done job is ignored."""
    job = _job(db, job_id)
    if job["done_ms"] is not None:
        return
    db.execute(
        "UPDATE print_jobs SET attempts = attempts + 1, last_error = ?, last_attempt_ms = ? WHERE job_id = ?",
        (error, now_ms, job_id),
    )
