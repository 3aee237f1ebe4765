"""The print worker: takes queued print jobs from the store and gets them onto paper.

A printer problem never blocks or loses a sale: the sale and its print job are already
committed when the worker sees them, the worker runs in its own thread and never raises into
the caller, and a job leaves the queue only when the printer has taken the ticket and
reports no problem afterwards. Otherwise the job stays pending with the human message and
is retried with backoff (wake() retries at once, e.g. when the vendor has loaded paper).

Each job is claimed in the store before it is printed (``Store.claim_print_job``, a lease
of ``lease_s``), so two workers on one store (the app and ``edge print``) never print the
same job; a failure gives the claim back.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Protocol

from edge.core.records import Batch, PrintJob, Sale
from edge.printer.connections import Connection
from edge.printer.errors import PrinterError
from edge.printer.escpos_render import render_ticket
from edge.printer.status import UNCHECKED, PrinterStatus, connection_failed, query_status
from edge.printer.ticket import TicketSettings

log = logging.getLogger(__name__)

BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)  # after 1, 2, 3... consecutive printer failures; last repeats
LEASE_S = 60.0  # a claim outlives any print attempt (status timeouts included) many times over


class PrintStore(Protocol):
    """The store methods the worker uses (edge.store.Store provides them)."""

    def pending_print_jobs(self, limit: int = 10) -> list[PrintJob]: ...

    def get_sale(self, sale_id: str) -> Sale | None: ...

    def get_batch(self, batch_id: str) -> Batch | None: ...

    def claim_print_job(self, job_id: int, claimer: str, now_ms: int, lease_ms: int) -> bool: ...

    def release_print_job(self, job_id: int, claimer: str) -> None: ...

    def mark_print_done(self, job_id: int, now_ms: int) -> None: ...

    def mark_print_failed(self, job_id: int, error: str, now_ms: int) -> None: ...


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class PrintWorker:
    """Owns one printer connection; prints pending jobs oldest first, one at a time."""

    def __init__(
        self,
        store: PrintStore | Callable[[], PrintStore],
        connection: Connection,
        settings: TicketSettings,
        *,
        poll_s: float = 5.0,
        status_every_s: float = 30.0,
        status_timeout_s: float = 0.5,
        after_print_delay_s: float = 0.2,
        backoff_s: Sequence[float] = BACKOFF_S,
        clock_ms: Callable[[], int] = _now_ms,
        on_status: Callable[[PrinterStatus], None] | None = None,
        lease_s: float = LEASE_S,
    ) -> None:
        """``store`` may be a factory, called once in the worker thread (SQLite connections
        are bound to the thread that opened them)."""
        self._store_arg = store
        self._store: PrintStore | None = None
        self._owns_store = False
        self.connection = connection
        self.settings = settings
        self.poll_s = poll_s
        self.status_every_s = status_every_s
        self.status_timeout_s = status_timeout_s
        self.after_print_delay_s = after_print_delay_s
        self.backoff_s = tuple(backoff_s)
        self.clock_ms = clock_ms
        self.on_status = on_status
        self.lease_ms = int(lease_s * 1000)
        # Who holds a claim, for the store and for a technician reading it: host, process, worker.
        self.claimer = f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        self.printed = 0  # tickets sent and confirmed since start
        self._status: PrinterStatus | None = None
        self._status_at = 0.0  # monotonic time of the last status query
        self._failures = 0  # consecutive printer failures, for backoff
        self._retry_at = 0.0  # monotonic time before which printing is not tried again
        self._skip: set[int] = set()  # jobs that cannot print at all (sale missing / layout bug)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # --- control (any thread) ---------------------------------------------------------

    @property
    def last_status(self) -> PrinterStatus | None:
        """The printer status last seen (None before the first check) — for the UI and heartbeat."""
        with self._lock:
            return self._status

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="print-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)  # the thread closes the connection on its way out
            self._thread = None
        else:
            self.connection.close()

    def wake(self) -> None:
        """Process the queue now (a new sale, a reprint, or the vendor fixed the printer)."""
        self._wake.set()

    # --- the work (worker thread, or a test calling run_once directly) ----------------

    def store(self) -> PrintStore:
        if self._store is None:
            arg = self._store_arg
            self._owns_store = callable(arg) and not hasattr(arg, "pending_print_jobs")
            self._store = arg() if self._owns_store else arg  # type: ignore[assignment,operator]
        assert self._store is not None
        return self._store

    def run_once(self, *, force: bool = False) -> int:
        """Print what is pending; returns how many tickets were printed. Never raises."""
        try:
            return self._process(force=force)
        except Exception:  # a bug or a broken store must not kill the thread or reach the sale
            log.exception("print worker: unexpected error")
            return 0

    def _run(self) -> None:
        force = True
        while not self._stop.is_set():
            self.run_once(force=force)
            if self._stop.is_set():
                break
            wait = self.poll_s
            if self._failures:
                wait = min(wait, max(0.05, self._retry_at - time.monotonic()))
            force = self._wake.wait(wait)
            self._wake.clear()
        self.connection.close()
        close = getattr(self._store, "close", None)
        if self._owns_store and close is not None:
            close()  # opened by our factory in this thread: ours to close
            self._store = None

    def _set_status(self, status: PrinterStatus) -> PrinterStatus:
        with self._lock:
            self._status = status
        self._status_at = time.monotonic()
        if self.on_status is not None:
            try:
                self.on_status(status)
            except Exception:
                log.exception("print worker: on_status callback failed")
        return status

    def check_status(self) -> PrinterStatus:
        if not self.connection.supports_status:
            return self._set_status(UNCHECKED)
        return self._set_status(query_status(self.connection, self.status_timeout_s))

    def _printer_failed(self, job: PrintJob, message: str) -> None:
        self._failures += 1
        delay = self.backoff_s[min(self._failures, len(self.backoff_s)) - 1] if self.backoff_s else 0.0
        self._retry_at = time.monotonic() + delay
        store = self.store()
        store.mark_print_failed(job.job_id, message, self.clock_ms())
        store.release_print_job(job.job_id, self.claimer)
        log.warning("print job %s not printed (%s); retry in %.0f s", job.job_id, message, delay)

    def _process(self, *, force: bool) -> int:
        store = self.store()
        if force:
            self._retry_at = 0.0
        jobs = [j for j in store.pending_print_jobs(limit=10 + len(self._skip)) if j.job_id not in self._skip]
        if not jobs:
            if time.monotonic() - self._status_at >= self.status_every_s:
                self.check_status()  # keep the UI's printer indicator fresh while idle
            return 0
        if time.monotonic() < self._retry_at:
            return 0
        printed = 0
        for job in jobs[:10]:
            if self._stop.is_set():
                break
            outcome = self._print_job(store, job)
            if outcome is None:
                continue  # this job cannot print; the next one may
            if not outcome:
                break  # printer problem: everything else waits for the backoff
            printed += 1
        return printed

    def _print_job(self, store: PrintStore, job: PrintJob) -> bool | None:
        """True printed, False printer problem (retry later), None job unprintable (skipped)
        or being printed by another process."""
        if not store.claim_print_job(job.job_id, self.claimer, self.clock_ms(), self.lease_ms):
            log.info("print job %s is being printed by another process", job.job_id)
            return None
        try:
            sale = store.get_sale(job.sale_id)
            if sale is None:
                raise LookupError(f"sale {job.sale_id} not found")
            batches = {}
            for line in sale.lines:
                if line.batch_id and line.batch_id not in batches:
                    batch = store.get_batch(line.batch_id)
                    if batch is not None:
                        batches[line.batch_id] = batch
            data = render_ticket(sale, batches, self.settings, reprint=job.kind == "reprint")
        except Exception as exc:
            # not a printer problem: retrying cannot help until someone fixes the data/code
            log.exception("print job %s cannot be laid out", job.job_id)
            self._skip.add(job.job_id)
            store.mark_print_failed(job.job_id, f"无法生成小票 / Cannot lay out ticket: {exc}", self.clock_ms())
            store.release_print_job(job.job_id, self.claimer)
            return None

        before = self.check_status()
        if not before.ready:
            self._printer_failed(job, before.message)
            return False
        try:
            self.connection.write(data)
        except PrinterError as exc:
            self._set_status(connection_failed(exc))
            self._printer_failed(job, f"打印失败 / Print failed: {exc}")
            return False
        if self.after_print_delay_s:
            time.sleep(self.after_print_delay_s)  # let the mechanism start, so a jam/paper end shows
        after = self.check_status()
        if not after.ready:
            # the ticket may be cut short: keep the job so the customer gets a whole one
            self._printer_failed(job, after.message)
            return False
        store.mark_print_done(job.job_id, self.clock_ms())
        self._failures = 0
        self._retry_at = 0.0
        self.printed += 1
        return True
