"""The scale's durable store: one SQLite file, one Store object per process.

Every method is one transaction and holds a lock, so one Store can be shared by the UI,
printer and sync threads. Writes are BEGIN IMMEDIATE ... COMMIT with synchronous=FULL:
when a write method returns, its data is on disk. sqlite/OS failures surface as
StoreError (StoreFullError when the disk is full), with the failed write rolled back.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlite_utils import Database

from edge.core import protection
from edge.core.eventlog import EventEntry
from edge.core.records import Batch, Payment, Plu, PrintJob, Sale
from edge.core.refusals import RefusedError
from edge.core.report import DailyReport
from edge.store import catalog as catalog_
from edge.store import db as db_
from edge.store import eventlog, goodsin, outbox, printjobs, report, sales, settings, vendor
from edge.store.errors import StoreError

Build = Callable[[int, int], Sale]  # (seq, daily_seq) -> the sale to record


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


NUMBERING_KEY = "numbering.central"  # the numbers central last reported for this scale


class Store:
    def __init__(self, db: Database, path: Path, clock: Callable[[], int]) -> None:
        self._db = db
        self._path = path
        self._clock = clock
        self._lock = threading.RLock()
        self._closed = False
        # Signs each new payment/printed state with the device key (edge.runtime.open_store
        # sets it); None: states are sent unsigned, as by scales before signed states.
        self.state_signer: sales.StateSigner | None = None
        self._protection: tuple[int, protection.ProtectionState] | None = None  # (last id folded, state)

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        clock: Callable[[], int] = _now_ms,
        busy_timeout_ms: int = db_.BUSY_TIMEOUT_MS,
    ) -> Store:
        """Open or create the database and migrate it to the latest schema.

        ``clock`` (epoch ms) stamps outbox rows and print jobs. Raises SchemaTooNewError for
        a file from newer software (left untouched) and StoreError for an unusable file.
        """
        path = Path(path)
        return cls(db_.connect(path, busy_timeout_ms=busy_timeout_ms), path, clock)

    # --- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def path(self) -> Path:
        return self._path

    @property
    def db(self) -> Database:
        """The sqlite-utils handle, for diagnostics and tests; app code uses the methods."""
        return self._db

    def schema_version(self) -> int:
        with self._read():
            return db_.schema_version(self._db.conn)

    def integrity_check(self) -> list[str]:
        """SQLite's integrity check plus foreign keys; an empty list means the file is sound."""
        with self._read():
            problems = [r[0] for r in self._db.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
            problems += [f"foreign key: {tuple(r)}" for r in self._db.execute("PRAGMA foreign_key_check").fetchall()]
        return problems

    def free_bytes(self) -> int:
        """Free space on the database's filesystem (for a warning before the disk is full)."""
        return shutil.disk_usage(self._path.resolve().parent).free

    # --- transactions ------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("数据库已关闭", f"The store {self._path} is closed.")

    @contextmanager
    def _write(self, *, sale: bool = False) -> Iterator[Database]:
        with self._lock:
            self._check_open()
            with db_.write(self._db, sale=sale) as db:
                yield db

    @contextmanager
    def _read(self) -> Iterator[Database]:
        """A read snapshot: several SELECTs see the same committed state."""
        with self._lock:
            self._check_open()
            conn = self._db.conn
            try:
                conn.execute("BEGIN")
                yield self._db
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(
                        f"数据库读取出错，请联系技术人员（{exc}）", f"Reading the database failed: {exc}"
                    ) from exc
                raise

    # --- sales -------------------------------------------------------------------------

    def commit_sale(
        self, local_date: str, build: Build, *, paper: bool = True, floors: tuple[int, int] = (0, 0)
    ) -> Sale:
        """Record a sale durably before anything is printed or shown as paid.

        In one transaction: take the next ``seq`` and the next daily sequence of
        ``local_date`` (YYYY-MM-DD), call ``build(seq, daily_seq)`` for the sale (the caller
        makes the trace code and signs), insert the sale, its lines, its outbox row and its
        ticket print job (not for a sale whose payment is pending: see set_payment), commit.
        While the legal parameters are locked (edge.core.protection) it raises RefusedError
        and records nothing. Anything ``build`` raises rolls back and passes through;
        a full disk raises StoreFullError, other database failures StoreError — in every
        failure case nothing was recorded and no number was used up.
        ``paper=False`` sells paperless (电子小票): no ticket job is left to print.
        ``floors`` (seq, daily): numbers start above them (see :meth:`numbering_known`).
        """
        return self._commit(local_date, build, refund=False, paper=paper, floors=floors)

    def commit_refund(self, local_date: str, build: Build, *, floors: tuple[int, int] = (0, 0)) -> Sale:
        """Like commit_sale for a refund record (``refund_of`` set, positive amounts).

        Raises RefundError if the original is unknown, is itself a refund, or would be
        refunded beyond its total. The original sale is not changed.
        """
        return self._commit(local_date, build, refund=True, floors=floors)

    def _commit(
        self, local_date: str, build: Build, *, refund: bool, paper: bool = True, floors: tuple[int, int] = (0, 0)
    ) -> Sale:
        sales.check_local_date(local_date)
        with self._write(sale=True) as db:
            if not refund:
                # In the sale's own transaction: no sale slips in after a lock (JJG 1204-2025 6.4).
                refusal = self._protection_state(db).refusal()
                if refusal is not None:
                    raise RefusedError(refusal)
            seq, daily_seq = sales.allocate(db, local_date, floors)
            sale = build(seq, daily_seq)
            sales.check_sale(sale, seq, refund=refund)
            if refund:
                sales.check_refund(db, sale)
            sales.insert(db, sale, local_date, daily_seq, self._clock(), paper=paper)
        return sale

    def get_sale(self, sale_id: str) -> Sale | None:
        with self._read() as db:
            return sales.get(db, sale_id)

    def sale_by_trace_code(self, code: str) -> Sale | None:
        with self._read() as db:
            found = sales.load(db, "trace_code = ?", (code,))
        return found[0] if found else None

    def last_sale(self) -> Sale | None:
        with self._read() as db:
            found = sales.load(db, "1", tail="ORDER BY seq DESC LIMIT 1")
        return found[0] if found else None

    def recent_sales(self, limit: int = 20) -> list[Sale]:
        """Newest first (refund records included)."""
        with self._read() as db:
            return sales.load(db, "1", (limit,), tail="ORDER BY seq DESC LIMIT ?")

    def refunds_of(self, sale_id: str) -> list[Sale]:
        """The refund records of a sale, oldest first."""
        with self._read() as db:
            return sales.load(db, "refund_of = ?", (sale_id,), tail="ORDER BY seq")

    def set_payment(self, sale_id: str, payment: Payment) -> Sale:
        """Record a payment outcome; queues the updated sale for central. Returns the sale.

        ``paid`` or ``unconfirmed`` (a vendor-confirmed static QR) also queues the ticket of a
        sale committed as pending, unless it is printed or has a ticket job already.
        """
        with self._write() as db:
            return sales.set_payment(db, sale_id, payment, self._clock(), self.state_signer)

    def mark_printed(self, sale_id: str) -> None:
        """Flag the sale printed and close its pending ticket jobs (so it is not printed twice)."""
        with self._write() as db:
            sales.mark_printed(db, sale_id, self._clock(), self.state_signer)

    def sold_counts(self) -> dict[str, int]:
        """PLU -> number of sale lines ever sold (refund records excluded), for search ranking."""
        with self._read() as db:
            return sales.sold_counts(db)

    def daily_report(self, local_date: str) -> DailyReport:
        sales.check_local_date(local_date)
        with self._read() as db:
            return report.daily_report(db, local_date)

    # --- outbox ------------------------------------------------------------------------

    def outbox_batch(self, limit: int, after_seq: int = 0) -> list[tuple[int, str]]:
        """Up to ``limit`` unacked ``(outbox seq, sale JSON)`` with seq > after_seq, ascending."""
        with self._read() as db:
            return outbox.batch(db, limit, after_seq)

    def ack_through(self, seq: int) -> int:
        """Central has committed every outbox seq <= ``seq``: delete those rows, return how many."""
        with self._write() as db:
            return outbox.ack_through(db, seq)

    def backlog(self) -> int:
        with self._read() as db:
            return outbox.backlog(db)

    def oldest_unacked_ms(self) -> int | None:
        with self._read() as db:
            return outbox.oldest_ms(db)

    # --- print queue -------------------------------------------------------------------

    def enqueue_print(self, sale_id: str, kind: str = "reprint") -> int:
        with self._write() as db:
            sales.require(db, sale_id)
            return printjobs.enqueue(db, sale_id, kind, self._clock())

    def go_paperless(self, sale_id: str) -> None:
        """The customer takes this sale's ticket from the screen's QR (电子小票): its ticket is not printed."""
        with self._write() as db:
            sales.require(db, sale_id)
            printjobs.paperless(db, sale_id, self._clock())

    def pending_print_jobs(self, limit: int = 10) -> list[PrintJob]:
        """Jobs not yet done, oldest first (failed ones included, with attempts/last_error)."""
        with self._read() as db:
            return printjobs.pending(db, limit)

    def claim_print_job(self, job_id: int, claimer: str, now_ms: int, lease_ms: int) -> bool:
        """Take a pending job for this claimer (one process prints it); False: done or taken."""
        with self._write() as db:
            return printjobs.claim(db, job_id, claimer, now_ms, lease_ms)

    def release_print_job(self, job_id: int, claimer: str) -> None:
        with self._write() as db:
            printjobs.release(db, job_id, claimer)

    def mark_print_done(self, job_id: int, now_ms: int) -> None:
        with self._write() as db:
            ticket_of = printjobs.done(db, job_id, now_ms)
            if ticket_of is not None:
                sales.record_printed(db, ticket_of, now_ms, self.state_signer)

    def mark_print_failed(self, job_id: int, error: str, now_ms: int) -> None:
        with self._write() as db:
            printjobs.failed(db, job_id, error, now_ms)

    # --- catalog and batches -----------------------------------------------------------

    def replace_catalog(self, plus: Sequence[Plu], version: int) -> None:
        """Atomically replace the catalog. Raises StaleVersionError (nothing changed) if
        ``version`` is not newer than catalog_version(); ValueError for duplicate PLUs."""
        with self._write() as db:
            catalog_.replace_catalog(db, plus, version)

    def catalog(self) -> list[Plu]:
        """In the order central sent."""
        with self._read() as db:
            return catalog_.catalog(db)

    def catalog_version(self) -> int:
        """0 before the first catalog."""
        with self._read() as db:
            return catalog_.version(db, "catalog")

    def upsert_batch(self, batch: Batch) -> None:
        with self._write() as db:
            catalog_.upsert_batch(db, batch)

    def replace_batches(self, batches: Sequence[Batch], version: int) -> None:
        """Central's batch list; same version rule as replace_catalog. Unlisted central
        batches become inactive (never deleted); locally registered ones are kept."""
        with self._write() as db:
            catalog_.replace_batches(db, batches, version)

    def batches_version(self) -> int:
        with self._read() as db:
            return catalog_.version(db, "batches")

    def active_batches(self, plu: str | None = None) -> list[Batch]:
        with self._read() as db:
            return catalog_.active_batches(db, plu)

    def get_batch(self, batch_id: str) -> Batch | None:
        """Active or not (a reprint may need an old batch)."""
        with self._read() as db:
            return catalog_.get_batch(db, batch_id)

    def batch_with_certificate(self, certificate: str) -> Batch | None:
        """Any batch (active or not) registered under this certificate number."""
        with self._read() as db:
            return catalog_.batch_with_certificate(db, certificate)

    # --- goods-in, vendor prices, shifts -------------------------------------------------

    def register_goods_in(self, batch: Batch, payload: dict[str, Any], now_ms: int) -> int:
        """A batch registered at the scale, its signed upload row and its event, in one transaction."""
        with self._write() as db:
            return goodsin.register(db, batch, payload, now_ms)

    def goodsin_unacked(self, limit: int = 50) -> list[tuple[int, dict[str, Any]]]:
        with self._read() as db:
            return goodsin.unacked(db, limit)

    def goodsin_ack_through(self, seq: int) -> int:
        with self._write() as db:
            return goodsin.ack_through(db, seq, self._clock())

    def vendor_prices(self) -> dict[str, int]:
        """PLU -> the vendor's own unit price (fen)."""
        with self._read() as db:
            return vendor.prices(db)

    def set_vendor_price(self, plu: str, price_fen: int | None, event: dict[str, Any], now_ms: int) -> None:
        """The vendor's price for ``plu`` (None: back to central's guide price), logged as ``price.changed``."""
        with self._write() as db:
            vendor.set_price(db, plu, price_fen, event, now_ms)

    def open_shift(self) -> dict[str, Any] | None:
        with self._read() as db:
            return vendor.open_shift(db)

    def start_shift(self, operator: str, name: str, role: str, how: str, now_ms: int) -> int:
        with self._write() as db:
            return vendor.start_shift(db, operator, name, role, how, now_ms)

    def end_shift(self, now_ms: int) -> dict[str, Any] | None:
        with self._write() as db:
            return vendor.end_shift(db, now_ms)

    # --- numbering from central ---------------------------------------------------------

    def numbering_known(self) -> bool:
        """Central has told this store the last numbers it holds of this scale (docs/sync.md)."""
        return self.get_setting(NUMBERING_KEY) is not None

    def raise_numbering(self, seq: int, local_date: str, daily_seq: int, now_ms: int, acked_through: int = 0) -> bool:
        """Central's last seq, daily number and ack watermark of this scale: ours continue after them.

        Returns True when outbox rows were renumbered above ``acked_through`` (see
        :func:`edge.store.outbox.continue_after`): the publisher must start again."""
        with self._write() as db:
            sales.raise_numbering(db, seq, local_date, daily_seq)
            moved = outbox.continue_after(db, acked_through) if acked_through else False
            settings.put(db, NUMBERING_KEY, {"seq": seq, "local_date": local_date, "daily_seq": daily_seq,
                                             "acked_through": acked_through, "at_ms": now_ms})  # fmt: skip
        return moved

    # --- settings ----------------------------------------------------------------------

    def get_setting(self, key: str, default: Any = None) -> Any:
        with self._read() as db:
            return settings.get(db, key, default)

    def set_setting(self, key: str, value: Any) -> None:
        with self._write() as db:
            settings.put(db, key, value)

    # --- event log ---------------------------------------------------------------------

    def append_event(self, kind: str, data: dict[str, Any], now_ms: int) -> EventEntry:
        """Append to the hash-chained log (there is no way to change or delete an entry)."""
        with self._write() as db:
            return eventlog.append(db, kind, data, now_ms)

    def events(self, after_id: int = 0, limit: int = 100) -> list[EventEntry]:
        with self._read() as db:
            return eventlog.events(db, after_id, limit)

    def protection(self) -> protection.ProtectionState:
        """Lock state and event counter of the legal parameters, derived from the event log."""
        with self._read() as db:
            return self._protection_state(db)

    def _protection_state(self, db: Database) -> protection.ProtectionState:
        # Folds only entries newer than the last call (another process's seal included).
        self._protection = eventlog.protection_state(db, self._protection)
        return self._protection[1]

    def seal(self, technician: str, reason: str, now_ms: int) -> EventEntry:
        """The technician's sealed procedure: log who and why; clears a lock by change
        (not central's remote lock). Raises SealError without a name or reason."""
        with self._write() as db:
            data = protection.seal_data(self._protection_state(db), technician, reason)
            return eventlog.append(db, protection.SEALED, data, now_ms)

    def verify_events(self) -> tuple[bool, int | None]:
        """``(True, None)`` if the whole chain holds, else ``(False, id of the first bad entry)``."""
        with self._read() as db:
            return eventlog.verify(db)
