"""Sales: number allocation, the one-transaction insert, reads, payment and printed updates.

Functions here run inside a transaction the caller (Store) opened; none commits.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlite_utils import Database

from edge.core.records import Payment, PaymentStatus, Sale
from edge.store import outbox, printjobs
from edge.store.errors import NotFoundError, RefundError
from edge.store.rows import LINE_COLUMNS, SALE_COLUMNS, fetch, fetch_one, line_rows, payload, sale_from_row, sale_row

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
StateSigner = Callable[[Sale], Sale]  # signs a sale's new state (DeviceKey.sign_state)
_INSERT_SALE = f"INSERT INTO sales ({', '.join(SALE_COLUMNS)}) VALUES ({', '.join('?' * len(SALE_COLUMNS))})"
_INSERT_LINE = f"INSERT INTO sale_lines ({', '.join(LINE_COLUMNS)}) VALUES ({', '.join('?' * len(LINE_COLUMNS))})"


def check_local_date(local_date: str) -> None:
    if not isinstance(local_date, str) or not _DATE.fullmatch(local_date):
        raise ValueError(f"local_date must be YYYY-MM-DD, got {local_date!r}")


def allocate(db: Database, local_date: str, floors: tuple[int, int] = (0, 0)) -> tuple[int, int]:
    """Take the next per-scale seq and the next daily seq of ``local_date``.

    Inside the caller's transaction, so a rolled-back sale gives its numbers back and
    the numbers of a committed one are never handed out again. ``floors`` (seq, daily):
    the numbers start above them (a store that does not know central's numbers yet,
    docs/sync.md "Numbering after a wiped store").
    """
    seq_floor, daily_floor = floors
    db.execute("UPDATE counters SET value = MAX(value, ?) + 1 WHERE name = 'sale_seq'", (seq_floor,))
    seq = db.execute("SELECT value FROM counters WHERE name = 'sale_seq'").fetchone()[0]
    db.execute(
        "INSERT INTO daily_counters (local_date, value) VALUES (?, ? + 1) "
        "ON CONFLICT (local_date) DO UPDATE SET value = MAX(value, ?) + 1",
        (local_date, daily_floor, daily_floor),
    )
    daily_seq = db.execute("SELECT value FROM daily_counters WHERE local_date = ?", (local_date,)).fetchone()[0]
    return seq, daily_seq


def raise_numbering(db: Database, seq: int, local_date: str, daily_seq: int) -> None:
    """Make the next numbers come after ``seq`` and ``daily_seq`` of ``local_date`` (never lowers them).

    ``daily_seq`` 0: central holds no sale of this scale (``local_date`` may then be empty)."""
    db.execute("UPDATE counters SET value = MAX(value, ?) WHERE name = 'sale_seq'", (seq,))
    if not daily_seq:
        return
    check_local_date(local_date)
    db.execute(
        "INSERT INTO daily_counters (local_date, value) VALUES (?, ?) "
        "ON CONFLICT (local_date) DO UPDATE SET value = MAX(value, excluded.value)",
        (local_date, daily_seq),
    )


def check_sale(sale: Sale, seq: int, *, refund: bool) -> None:
    """Refuse a record that breaks the store's invariants (programming errors, so ValueError)."""
    if not isinstance(sale, Sale):
        raise TypeError(f"build() must return a Sale, got {type(sale).__name__}")
    if sale.seq != seq:
        raise ValueError(f"build() returned seq {sale.seq}, but the store allocated {seq}")
    if not sale.sale_id or not sale.trace_code:
        raise ValueError("a sale needs a sale_id and a trace_code")
    if not sale.lines:
        raise ValueError("a sale needs at least one line")
    ints = [sale.created_ms, sale.total_fen, sale.rounding_fen]
    for line in sale.lines:
        ints += [line.net_g, line.tare_g, line.quantity, line.unit_price_fen, line.amount_fen]
    if any(isinstance(v, bool) or not isinstance(v, int) for v in ints):
        raise TypeError("money, weight, quantity and time must be integers (fen, grams, pieces, ms)")
    if refund and not sale.refund_of:
        raise ValueError("a refund record needs refund_of (the original sale_id)")
    if not refund and sale.refund_of is not None:
        raise ValueError("commit_sale got a refund record; use commit_refund")
    # A refund is the mirror image of a sale (edge.core.cart.build_refund): negative
    # amounts, and the waived 抹零 kept back, so its total is lines + rounding.
    lines_fen = sum(line.amount_fen for line in sale.lines)
    sign = -1 if refund else 1
    if sale.rounding_fen < 0 or sign * sale.total_fen < 0 or sale.total_fen != lines_fen - sign * sale.rounding_fen:
        raise ValueError(
            f"{'refund' if refund else 'sale'} {sale.sale_id}: total_fen {sale.total_fen} does not match "
            f"lines {lines_fen} and rounding {sale.rounding_fen}"
        )


def check_refund(db: Database, sale: Sale) -> None:
    """A refund must point at a recorded sale (not a refund) and not pay back more than it took."""
    original = fetch_one(db, "SELECT total_fen, refund_of FROM sales WHERE sale_id = ?", (sale.refund_of,))
    if original is None:
        raise RefundError(f"找不到原交易 {sale.refund_of}，不能退款", f"No sale {sale.refund_of!r} to refund.")
    if original["refund_of"] is not None:
        raise RefundError("不能对退款记录再退款", f"Sale {sale.refund_of!r} is itself a refund; it cannot be refunded.")
    already = db.execute(
        "SELECT COALESCE(SUM(total_fen), 0) FROM sales WHERE refund_of = ?", (sale.refund_of,)
    ).fetchone()[0]
    left = original["total_fen"] + already  # refund totals are negative
    if -sale.total_fen > left:
        raise RefundError(
            f"退款金额超过原交易可退金额（最多可退 {left} 分）",
            f"Refund of {-sale.total_fen} fen exceeds what is left to refund on {sale.refund_of!r} ({left} fen).",
        )


# A ticket says the goods are paid for: a sale committed with payment pending (a QR
# payment under way) gets its ticket job only when set_payment records one of these.
TICKET_STATUSES = (PaymentStatus.PAID, PaymentStatus.UNCONFIRMED)


def insert(db: Database, sale: Sale, local_date: str, daily_seq: int, now_ms: int, *, paper: bool = True) -> None:
    """The sale, its lines, its outbox row and (unless payment is pending) its ticket print job.

    ``paper=False`` (电子小票): the ticket job is recorded as done without printing, so the
    sale never gets a paper ticket, not even when a pending payment arrives later."""
    db.execute(_INSERT_SALE, sale_row(sale, local_date, daily_seq))
    db.conn.executemany(_INSERT_LINE, line_rows(sale))
    outbox.enqueue(db, "sale", sale.sale_id, payload(sale), now_ms)
    if not paper:
        printjobs.paperless(db, sale.sale_id, now_ms)
    elif sale.payment.status is not PaymentStatus.PENDING:
        printjobs.enqueue(db, sale.sale_id, "ticket", now_ms)


def load(db: Database, where: str, params: Sequence[Any] = (), tail: str = "") -> list[Sale]:
    """Sales matching a fixed SQL ``where`` clause (values only through ``params``)."""
    rows = fetch(db, f"SELECT * FROM sales WHERE {where} {tail}", params)
    return [
        sale_from_row(row, fetch(db, "SELECT * FROM sale_lines WHERE sale_id = ? ORDER BY line_no", (row["sale_id"],)))
        for row in rows
    ]


def get(db: Database, sale_id: str) -> Sale | None:
    found = load(db, "sale_id = ?", (sale_id,))
    return found[0] if found else None


def require(db: Database, sale_id: str) -> Sale:
    sale = get(db, sale_id)
    if sale is None:
        raise NotFoundError("sale", sale_id)
    return sale


def _new_state(db: Database, sale: Sale, sign: StateSigner | None, now_ms: int, **change: Any) -> Sale:
    """The next state of ``sale`` (state_no + 1), signed, stored and queued for central.

    A new outbox row rather than editing the queued one: the publisher may already be
    sending the old row, and an ack for it must not swallow the update. Without a signer
    (a store opened by a tool without the device key) the state goes unsigned, as from a
    scale before signed states.
    """
    updated = dataclasses.replace(sale, **change, state_no=sale.state_no + 1, state_signature="")
    if sign is not None:
        updated = sign(updated)
    db.execute(
        "UPDATE sales SET pay_method = ?, pay_status = ?, pay_ref = ?, printed = ?, state_no = ?, "
        "state_signature = ? WHERE sale_id = ?",
        (
            str(updated.payment.method),
            str(updated.payment.status),
            updated.payment.provider_ref,
            int(updated.printed),
            updated.state_no,
            updated.state_signature,
            sale.sale_id,
        ),
    )
    outbox.enqueue(db, "sale_update", sale.sale_id, payload(updated), now_ms)
    return updated


def set_payment(db: Database, sale_id: str, payment: Payment, now_ms: int, sign: StateSigner | None = None) -> Sale:
    """Record a payment outcome and queue the updated, signed sale state for central."""
    sale = require(db, sale_id)
    if sale.payment == payment:
        return sale
    updated = _new_state(db, sale, sign, now_ms, payment=payment)
    if payment.status in TICKET_STATUSES and not updated.printed and not _has_ticket_job(db, sale_id):
        printjobs.enqueue(db, sale_id, "ticket", now_ms)  # the money arrived: now the ticket
    return updated


def _has_ticket_job(db: Database, sale_id: str) -> bool:
    """Any ticket job, done or not: a sale never gets a second ticket (reprints are their own kind)."""
    row = db.execute("SELECT 1 FROM print_jobs WHERE sale_id = ? AND kind = 'ticket' LIMIT 1", (sale_id,)).fetchone()
    return row is not None


def mark_printed(db: Database, sale_id: str, now_ms: int, sign: StateSigner | None = None) -> None:
    """Set the printed flag; pending ticket jobs of the sale are done too (no second ticket)."""
    record_printed(db, sale_id, now_ms, sign)
    db.execute(
        "UPDATE print_jobs SET done_ms = ? WHERE sale_id = ? AND kind = 'ticket' AND done_ms IS NULL",
        (now_ms, sale_id),
    )


def record_printed(db: Database, sale_id: str, now_ms: int, sign: StateSigner | None = None) -> None:
    """The sale's ticket is out: flag it and tell central (a signed ``sale_update``), so
    the market office can see which sales reached the customer on paper. Once only."""
    sale = require(db, sale_id)
    if sale.printed:
        return
    _new_state(db, sale, sign, now_ms, printed=True)


def sold_counts(db: Database) -> dict[str, int]:
    rows = db.execute(
        "SELECT l.plu, COUNT(*) FROM sale_lines l JOIN sales s ON s.sale_id = l.sale_id "
        "WHERE s.refund_of IS NULL GROUP BY l.plu"
    ).fetchall()
    return {plu: count for plu, count in rows}
