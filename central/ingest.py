"""Storing what the scales upload: sales batches (with the ack watermark), status, events.

Everything here runs on one DB connection inside one transaction per message and knows
nothing of MQTT, so the receiver, the tests and the bench share it.

Sales are upserted on ``sale_id`` and ``(scale_id, seq)``: a resent sale changes
nothing; a later signed state of the same sale (higher ``state_no``) replaces payment and
printed only, and an unsigned, foreign-signed or older state is refused and kept in
``rejects`` (docs/sync.md, "Signed sale state"). The scale's watermark row is locked first (``SELECT ... FOR UPDATE`` on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so receivers working on the same scale in
parallel take turns and the watermark only ever moves up over oseqs really committed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from central.db import POSTGRES, Connection
from central.forwarder.outbox import enqueue_sales
from central.keys import DevicePublicKey, load_public_key, verify_signature
from central.localtime import local_date, now_ms
from central.partitions import ensure_months
from central.validate import BadItem, Rejected, SalesBatch, SalesItem, Topic, brief
from edge.core.eventlog import EventEntry, canonical_json, verify_chain
from edge.core.records import signed_body, signing_bytes, state_bytes

log = logging.getLogger(__name__)
MAX_REJECT_PAYLOAD = 64 * 1024  # enough to investigate; a huge junk message is not kept whole


@dataclass(frozen=True, slots=True)
class ScaleInfo:
    scale_id: str
    market_id: str
    key: DevicePublicKey


def load_scale(conn: Connection, scale_id: str) -> ScaleInfo | None:
    row = conn.one("SELECT scale_id, market_id, public_key FROM scales WHERE scale_id = ?", (scale_id,))
    return None if row is None else _scale_info(row)


def load_scales(conn: Connection) -> dict[str, ScaleInfo]:
    """Every registered scale, in one query (a city's 5,000 rows take milliseconds)."""
    rows = conn.all("SELECT scale_id, market_id, public_key FROM scales")
    return {row["scale_id"]: _scale_info(row) for row in rows}


def _scale_info(row: dict[str, Any]) -> ScaleInfo:
    return ScaleInfo(row["scale_id"], row["market_id"], load_public_key(row["public_key"]))


def check_scale(scale: ScaleInfo | None, topic: Topic) -> ScaleInfo:
    if scale is None:
        raise Rejected("unknown_scale", f"scale {topic.scale_id!r} is not registered at central; register it first")
    if scale.market_id != topic.market_id:
        raise Rejected(
            "market_mismatch", f"scale {scale.scale_id} belongs to market {scale.market_id}, not {topic.market_id}"
        )
    return scale


def check_signatures(batch: SalesBatch, key: DevicePublicKey) -> SalesBatch:
    """Mark every item whose device signature does not verify as bad (a forged record).

    This is most of ingest's CPU. libsodium releases the GIL while it verifies, so a
    receiver's worker threads verify side by side; more cores take more receivers.
    """
    items = list(batch.items)
    for index, item in enumerate(batch.items):
        if not isinstance(item, SalesItem):
            continue
        sale = item.sale
        # A signed state covers the sale's body (by hash) and its signature: one check for both.
        if sale["state_signature"] and verify_state(key, sale):
            continue
        genuine = verify_sale(key, sale)  # tells a forged sale from a forged state
        if genuine and not sale["state_signature"]:
            continue  # a scale from before signed states
        which = f"state {sale['state_no']} of sale" if genuine else "sale"
        items[index] = BadItem(
            item.oseq,
            "bad_state_signature" if genuine else "bad_signature",
            f"{which} {sale['sale_id']} (seq {sale['seq']}) does not verify with scale {batch.scale_id}'s "
            "registered key: forged, altered, or the scale's key changed (re-register its public key)",
            sale,
        )
    return SalesBatch(batch.scale_id, batch.first, batch.last, items)


def _orjson_sorted(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def verify_state(key: DevicePublicKey, sale: dict[str, Any]) -> bool:
    """Does the sale's ``state_signature`` verify over ``state_bytes`` (its payment, printed and
    state_no, bound to the body's hash and the sale signature)? orjson first, as for sales."""
    fast = state_bytes(sale, _orjson_sorted)
    if verify_signature(key, sale["state_signature"], fast):
        return True
    exact = state_bytes(sale)
    return exact != fast and verify_signature(key, sale["state_signature"], exact)


def verify_sale(key: DevicePublicKey, sale: dict[str, Any]) -> bool:
    """Does ``sale`` (its complete JSON shape, as check_sale gives it) carry the scale's
    signature over its signed fields?

    orjson encodes the signed body in a tenth of the json module's time and gives the same
    bytes for every sale seen; should some text ever encode differently, the edge's own
    encoding (``signing_bytes``) is tried before the sale is called forged.
    """
    body = signed_body(sale)
    fast = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    if verify_signature(key, sale["signature"], fast):
        return True
    exact = signing_bytes(body)
    return exact != fast and verify_signature(key, sale["signature"], exact)


@dataclass(slots=True)
class SalesResult:
    acked_through: int
    stored: int = 0  # new sales inserted
    updated: int = 0  # payment/printed replaced by a later oseq
    unchanged: int = 0  # resends
    bad: list[BadItem] = field(default_factory=list)


_SALE_COLUMNS = (
    "sale_id", "scale_id", "seq", "trace_code", "market_id", "merchant_id", "stall", "operator", "created_ms",
    "local_date", "total_fen", "rounding_fen", "payment_method", "payment_status", "provider_ref", "printed",
    "software_id", "signature", "refund_of", "oseq", "received_ms", "state_no",
)  # fmt: skip
_LINE_COLUMNS = (
    "sale_id", "line_no", "plu", "goods_code", "name", "pricing", "net_g", "tare_g", "quantity",
    "unit_price_fen", "amount_fen", "batch_id", "origin",
)  # fmt: skip
_NOTHING = "ON CONFLICT DO NOTHING"  # a resend, or another receiver was first
_UPDATE_PAYMENT = (  # an unsigned state from a scale before signed states: newest oseq wins
    "UPDATE sales SET payment_method = ?, payment_status = ?, provider_ref = ?, printed = ?, oseq = ? "
    "WHERE sale_id = ? AND oseq < ? AND state_no = 0"
)
_UPDATE_STATE = (  # a signed state: the higher state_no wins, whatever order they arrive in
    "UPDATE sales SET payment_method = ?, payment_status = ?, provider_ref = ?, printed = ?, oseq = ?, "
    "state_no = ? WHERE sale_id = ? AND state_no < ?"
)


def store_sales(conn: Connection, batch: SalesBatch) -> SalesResult:
    """Upsert the batch's good items and move the watermark; one transaction."""
    return store_sales_group(conn, [batch])[0]


def store_sales_group(conn: Connection, batches: list[SalesBatch]) -> list[SalesResult]:
    """Several batches (of one or many scales) in one transaction: one commit, one fsync.

    A busy market sends many small batches (each scale a sale or two at a time); committing
    each alone makes the fsync the limit, and on PostgreSQL every statement is a round trip
    to the server. So the group is read and written set-wise: one statement locks every
    scale's watermark row (in scale-id order, so receivers grouping side by side cannot
    deadlock), one reads the sales already held, one reads the oseq runs, then each table
    gets one multi-row insert (``Connection.insert_many``) and the updates one pipelined
    ``executemany``: about a dozen round trips per group instead of ten per message. The
    verdicts are decided in memory, batch after batch in scale order, so two batches of one
    scale in the same group see each other exactly as they would in two transactions. All or
    nothing: on an error no batch is stored and none is acked, and the scales resend.
    """
    received = now_ms()
    order = sorted(range(len(batches)), key=lambda i: batches[i].scale_id)
    scale_ids = sorted({b.scale_id for b in batches})
    results: list[SalesResult | None] = [None] * len(batches)
    if conn.dialect == POSTGRES:  # a month's first sale makes its partition (before, in its own transaction)
        hours = {i.sale["created_ms"] // 3_600_000 for b in batches for i in b.items if isinstance(i, SalesItem)}
        ensure_months(conn, {local_date(h * 3_600_000) for h in hours})  # whole-hour UTC offset: same dates
    with conn.transaction():
        if conn.dialect == POSTGRES:
            # Every read here is a handful of keys: index lookups are right at any table size. A
            # month's partition gets statistics only when autovacuum first analyses it (up to a
            # minute in), and until then the planner priced scans of it as cheap (bench_fleet).
            conn.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off")
        conn.insert_many("scale_sync", ("scale_id", "acked_through"), ("text", "bigint"),
                         [(s, 0) for s in scale_ids], _NOTHING)  # fmt: skip
        marks = conn.lock_scale_syncs(scale_ids)
        group = _Group(conn, batches, marks, received)
        for i in order:
            results[i] = group.store(batches[i])
        group.write()
    return [r for r in results if r is not None]


_HELD = ("scale_id", "seq", "sale_id", "signature", "oseq", "state_no")  # what a verdict needs of a stored sale
_HELD_COLUMNS = ", ".join(_HELD)


class _Group:
    """One transaction's sales: what the database holds (read once), the verdicts, the writes."""

    def __init__(self, conn: Connection, batches: list[SalesBatch], marks: dict[str, int], received: int) -> None:
        self.conn, self.received, self.marks = conn, received, dict(marks)
        self.stored_runs: dict[str, list[tuple[int, int]]] = {s: [] for s in marks}
        self.new_runs: dict[str, set[tuple[int, int]]] = {s: set() for s in marks}
        among, params = conn.in_list("scale_id", sorted(marks))
        for row in conn.all(f"SELECT scale_id, first_oseq, last_oseq FROM oseq_runs WHERE {among}", params):
            self.stored_runs[row["scale_id"]].append((int(row["first_oseq"]), int(row["last_oseq"])))
        # the oseq from which each scale signs its states (None: it never has), and the ones moved now
        self.signed_from: dict[str, int | None] = {
            row["scale_id"]: None if row["signed_from_oseq"] is None else int(row["signed_from_oseq"])
            for row in conn.all(f"SELECT scale_id, signed_from_oseq FROM scale_sync WHERE {among}", params)
        }
        self.signed_moved: set[str] = set()
        self.by_seq: dict[tuple[str, int], dict[str, Any]] = {}
        self.by_id: dict[str, dict[str, Any]] = {}
        for row in _held_sales(conn, batches):
            self.by_seq[(row["scale_id"], row["seq"])] = row
            self.by_id[row["sale_id"]] = row
        self.codes = _held_codes(conn, batches)  # trace code -> (sale_id, who) of the sale that has it
        self.new: dict[str, tuple[int, dict[str, Any]]] = {}  # sale_id -> newest (oseq, sale) not stored yet
        self.updates: dict[str, tuple[int, dict[str, Any]]] = {}  # sale_id -> newest unsigned state of a held sale
        self.states: dict[str, tuple[int, dict[str, Any]]] = {}  # sale_id -> (oseq, newest signed state) of one

    def store(self, batch: SalesBatch) -> SalesResult:
        scale_id = batch.scale_id
        watermark = self.marks[scale_id]
        result = SalesResult(watermark, bad=[i for i in batch.items if isinstance(i, BadItem)])
        good = _signed_states_only(self, scale_id, [i for i in batch.items if isinstance(i, SalesItem)], result)
        accepted = _upsert(self, scale_id, good, result)
        result.acked_through = self.marks[scale_id] = _advance(self, scale_id, watermark, accepted)
        return result

    def write(self) -> None:
        conn = self.conn
        if self.new:
            sale_rows = [_sale_row(s, oseq, self.received) for oseq, s in self.new.values()]
            line_rows = [row for _, s in self.new.values() for row in _line_rows(s)]
            line_columns = _LINE_COLUMNS
            if conn.dialect == POSTGRES:  # partitioned by month: each line carries its sale's local date
                dates = {row[0]: row[9] for row in sale_rows}
                line_rows = [(*row, dates[row[0]]) for row in line_rows]
                line_columns = (*line_columns, "local_date")
            # new for sure: both keys were looked up above under the scales' locks (a sale_id
            # racing in from another scale's transaction fails the group; the resend is a conflict)
            conn.copy_rows("sales", _SALE_COLUMNS, sale_rows)
            conn.copy_rows("sale_lines", line_columns, line_rows)
            forward = [sale_id for sale_id, (_, s) in self.new.items() if s["refund_of"] is None]
            enqueue_sales(conn, forward, self.received)  # the city platform hears of it (docs/city-platform.md)
        conn.executemany(
            _UPDATE_PAYMENT,
            [(*_payment(s), int(s["printed"]), o, s["sale_id"], o) for o, s in self.updates.values()],
        )
        conn.executemany(  # after the unsigned ones: a signed state always wins over them
            _UPDATE_STATE,
            [(*_payment(s), int(s["printed"]), o, s["state_no"], s["sale_id"], s["state_no"])
             for o, s in self.states.values()],
        )  # fmt: skip
        conn.executemany(
            "UPDATE scale_sync SET signed_from_oseq = ? WHERE scale_id = ?",
            [(self.signed_from[scale_id], scale_id) for scale_id in sorted(self.signed_moved)],
        )
        fresh, spent = [], []
        for scale_id, mark in self.marks.items():
            fresh += [(scale_id, f, last) for f, last in sorted(self.new_runs[scale_id]) if last > mark]
            if any(last <= mark for _, last in self.stored_runs[scale_id]):
                spent.append((scale_id, mark))
        conn.executemany("DELETE FROM oseq_runs WHERE scale_id = ? AND last_oseq <= ?", spent)  # rare: gaps
        conn.insert_many("oseq_runs", ("scale_id", "first_oseq", "last_oseq"), ("text", "bigint", "bigint"), fresh,
                         _NOTHING)  # fmt: skip
        conn.update_many("scale_sync", ("scale_id",), ("acked_through", "last_message_ms"),
                         ("text", "bigint", "bigint"),
                         [(scale_id, mark, self.received) for scale_id, mark in self.marks.items()])  # fmt: skip


def _held_sales(conn: Connection, batches: list[SalesBatch]) -> list[dict[str, Any]]:
    """The stored sales any item of the group names, by (scale_id, seq) or by sale_id
    (a sale_id taken by another seq must not vanish silently). One statement on PostgreSQL;
    SQLite is in-process and asks per batch (its parameter count stays small)."""
    items = [(b.scale_id, i.sale) for b in batches for i in b.items if isinstance(i, SalesItem)]
    keys = [(scale_id, sale["seq"], sale["sale_id"]) for scale_id, sale in items]
    if not keys:
        return []
    if conn.dialect == POSTGRES:
        # two index lookups joined by UNION (an OR of the two scans every partition), each a
        # join with the keys as a set, on whole unique keys: the planner then knows each key
        # matches one row. A sale's local_date follows from its signed created_ms, so the same
        # sale_id is looked for where it must be (a partition has no index on sale_id alone, and
        # `sale_id = ANY(...)` on a month not analysed yet was planned as a sequential scan)
        held = ", ".join("s." + c for c in _HELD)
        return conn.all(
            f"SELECT {held} FROM sales s JOIN unnest(%b::text[], %b::text[]) AS i(sale_id, local_date) "
            "ON s.sale_id = i.sale_id AND s.local_date = i.local_date UNION "
            f"SELECT {held} FROM sales s "
            "JOIN unnest(%b::text[], %b::bigint[]) AS k(scale_id, seq) ON s.scale_id = k.scale_id AND s.seq = k.seq",
            (
                [k[2] for k in keys],
                [local_date(sale["created_ms"]) for _, sale in items],
                [k[0] for k in keys],
                [k[1] for k in keys],
            ),
        )
    rows: list[dict[str, Any]] = []
    for scale_id in sorted({k[0] for k in keys}):
        seqs = sorted({k[1] for k in keys if k[0] == scale_id})
        ids = sorted({k[2] for k in keys if k[0] == scale_id})
        marks, id_marks = ", ".join("?" * len(seqs)), ", ".join("?" * len(ids))
        rows += conn.all(
            f"SELECT {_HELD_COLUMNS} FROM sales WHERE (scale_id = ? AND seq IN ({marks})) OR sale_id IN ({id_marks})",
            (scale_id, *seqs, *ids),
        )
    return rows


def _signed_states_only(group: _Group, scale_id: str, items: list[SalesItem], result: SalesResult) -> list[SalesItem]:
    """Once a scale has sent a signed state, refuse its unsigned ones from that oseq on.

    Scales from before signed states keep working (their states are unsigned, newest oseq
    wins, as before); the switch is per scale and one-way, at the first signed oseq, so
    unsigned rows queued before the scale's upgrade (lower oseqs) still get through.
    """
    signed = [i.oseq for i in items if i.sale["state_signature"]]
    known = group.signed_from.get(scale_id)
    since = min([*signed, *([known] if known is not None else [])], default=None)
    if since is None:
        return items
    if known is None or since < known:
        group.signed_from[scale_id] = since
        group.signed_moved.add(scale_id)
    kept = []
    for item in items:
        if item.sale["state_signature"] or item.oseq < since:
            kept.append(item)
            continue
        sale = item.sale
        result.bad.append(
            BadItem(
                item.oseq,
                "unsigned_state",
                f"sale {sale['sale_id']}: payment/printed state without a device signature, but scale {scale_id} "
                f"signs its states since oseq {since}: a replayed or forged update",
                sale,
            )
        )
    return kept


def _held_codes(conn: Connection, batches: list[SalesBatch]) -> dict[str, tuple[str, str]]:
    """The stored sales holding any trace code the group's sales carry (one statement)."""
    codes = sorted({i.sale["trace_code"] for b in batches for i in b.items if isinstance(i, SalesItem)})
    if not codes:
        return {}
    among, params = conn.in_list("trace_code", codes)
    rows = conn.all(f"SELECT trace_code, sale_id, scale_id, seq FROM sales WHERE {among}", params)
    return {r["trace_code"]: (r["sale_id"], f"sale {r['sale_id']} (seq {r['seq']} of {r['scale_id']})") for r in rows}


def _upsert(group: _Group, scale_id: str, items: list[SalesItem], result: SalesResult) -> list[int]:
    """Decide each item: a new sale, a later payment state, a resend or a conflict; return the
    oseqs accepted. Nothing is written here: ``_Group.write`` inserts the new sales (and
    queues them for the city forwarder) and applies the later states, in the same commit.
    A sale first seen in this group is "held" from then on, as if already committed; its
    ``by`` says which message brought it (twice in one message is not a resend)."""
    accepted: list[int] = []
    created: list[str] = []  # sale_ids this message brings first (by: result)
    for item in items:
        sale = item.sale
        sale_id, seq = sale["sale_id"], sale["seq"]
        held = group.by_seq.get((scale_id, seq))
        if held is None:
            taken = group.by_id.get(sale_id)
            if taken is not None:
                where = f"seq {taken['seq']} of {taken['scale_id']}"
                said = "appears twice with different content" if taken.get("by") else f"is already stored as {where}"
                result.bad.append(_conflict(item, f"sale_id {sale_id} {said}"))
                continue
            held = {"scale_id": scale_id, "seq": seq, "sale_id": sale_id, "signature": sale["signature"],
                    "oseq": item.oseq, "state_no": _state_no(sale), "by": result, "sale": sale}  # fmt: skip
            group.by_seq[(scale_id, seq)] = group.by_id[sale_id] = held
            group.new[sale_id] = (item.oseq, sale)
            created.append(sale_id)
            result.stored += 1
        elif held["sale_id"] != sale_id:
            where = "in this message" if held.get("by") is result else "already"
            result.bad.append(_conflict(item, f"seq {seq} of {scale_id} is {where} sale {held['sale_id']}"))
            continue
        elif held["signature"] != sale["signature"]:
            what = (
                "appears twice with different content" if held.get("by") else "was stored with different signed content"
            )
            result.bad.append(_conflict(item, f"sale {sale_id} {what}"))
            continue
        elif held.get("by") is not None:  # first seen in this group: keep the newer of the two
            if _newer(item.oseq, sale, held["oseq"], held["sale"]):
                held.update(oseq=item.oseq, state_no=_state_no(sale), sale=sale)
                group.new[sale_id] = (item.oseq, sale)
                result.updated += held["by"] is not result
            elif held["by"] is not result:
                result.unchanged += 1
        elif sale["state_signature"]:
            stored_no = int(held["state_no"])
            if sale["state_no"] > stored_no:
                oseq = max(item.oseq, int(held["oseq"]))
                held.update(oseq=oseq, state_no=sale["state_no"])
                group.states[sale_id] = (oseq, sale)
                result.updated += 1
            elif sale["state_no"] < stored_no and item.oseq > held["oseq"]:
                # A later message with an older state: no scale sends that; a replay does.
                result.bad.append(_stale(item, stored_no))
                continue
            else:
                result.unchanged += 1  # a resend of a state central holds or has passed
        elif item.oseq > held["oseq"] and not held["state_no"]:
            held["oseq"] = item.oseq
            group.updates[sale_id] = (item.oseq, sale)
            result.updated += 1
        else:
            result.unchanged += 1
        accepted.append(item.oseq)
    _refuse_taken_codes(group, scale_id, items, result, accepted, created)
    return accepted


def _refuse_taken_codes(
    group: _Group,
    scale_id: str,
    items: list[SalesItem],
    result: SalesResult,
    accepted: list[int],
    created: list[str],
) -> None:
    """Refuse the message's new sales whose trace code another sale already has (stored,
    earlier in this group, or earlier in this message); ``accepted`` loses their oseqs.

    A trace code is one sale's public address (the ticket's QR): a second sale under it
    would show a customer someone else's ticket, so it is refused and kept in rejects.
    """
    # only this message's new sales (scanning the whole group's for each message was
    # quadratic in the group: 128 one-sale messages, 16,000 steps)
    mine = sorted((group.new[sale_id][0], sale_id) for sale_id in created)
    for _, sale_id in mine:
        oseq, sale = group.new[sale_id]
        code = sale["trace_code"]
        holder = group.codes.get(code)
        if holder is None or holder[0] == sale_id:
            group.codes[code] = (sale_id, f"sale {sale_id} (seq {sale['seq']}, same message)")
            continue
        del group.new[sale_id], group.by_id[sale_id], group.by_seq[(scale_id, sale["seq"])]
        result.stored -= 1
        refused = {i.oseq for i in items if i.sale["sale_id"] == sale_id}  # the sale and its updates
        accepted[:] = [o for o in accepted if o not in refused]
        result.bad.append(_conflict(SalesItem(oseq, "sale", sale), f"trace code {code} already belongs to {holder[1]}"))


def _newer(oseq: int, sale: dict[str, Any], held_oseq: int, held: dict[str, Any]) -> bool:
    """Of two items of one new sale in a message, the one to store: the higher signed
    state_no, else (unsigned) the later oseq."""
    if sale["state_signature"] and held["state_signature"]:
        return sale["state_no"] > held["state_no"]
    return oseq > held_oseq


def _stale(item: SalesItem, stored_no: int) -> BadItem:
    sale = item.sale
    return BadItem(
        item.oseq,
        "stale_state",
        f"sale {sale['sale_id']}: state {sale['state_no']} is older than the state {stored_no} central holds; "
        "a replayed payment/printed update is never applied",
        sale,
    )


def _conflict(item: SalesItem, detail: str) -> BadItem:
    return BadItem(item.oseq, "conflict", detail + "; the scale's database may have been restored or cloned", item.sale)


def _payment(sale: dict[str, Any]) -> tuple[str, str, str]:
    pay = sale["payment"]
    return pay["method"], pay["status"], pay["provider_ref"]


_SALE_ROW_FIELDS = _SALE_COLUMNS[:9]  # sale_id .. created_ms, as in the JSON shape


def _sale_row(sale: dict[str, Any], oseq: int, received: int) -> tuple[Any, ...]:
    return (
        *[sale[name] for name in _SALE_ROW_FIELDS], local_date(sale["created_ms"]), sale["total_fen"],
        sale["rounding_fen"], *_payment(sale), int(sale["printed"]), sale["software_id"], sale["signature"],
        sale["refund_of"], oseq, received, _state_no(sale),
    )  # fmt: skip


def _state_no(sale: dict[str, Any]) -> int:
    """The state_no central keeps: a signed state's number, 0 for an unsigned one."""
    return int(sale["state_no"]) if sale["state_signature"] else 0


_LINE_ROW_FIELDS = _LINE_COLUMNS[2:]  # plu .. origin, as in the JSON shape


def _line_rows(sale: dict[str, Any]) -> Iterable[tuple[Any, ...]]:
    sale_id = sale["sale_id"]
    for no, line in enumerate(sale["lines"], start=1):
        yield (sale_id, no, *[line[name] for name in _LINE_ROW_FIELDS])


def runs(oseqs: Iterable[int]) -> list[tuple[int, int]]:
    """Contiguous runs of ascending oseqs: [1,2,3,5,6] -> [(1,3),(5,6)]."""
    out: list[tuple[int, int]] = []
    for oseq in sorted(set(oseqs)):
        if out and oseq == out[-1][1] + 1:
            out[-1] = (out[-1][0], oseq)
        else:
            out.append((oseq, oseq))
    return out


def _advance(group: _Group, scale_id: str, watermark: int, accepted: list[int]) -> int:
    """Add the accepted runs and return the highest contiguous oseq now held (the runs left
    above it are written by ``_Group.write``; in-order traffic writes none)."""
    pending = group.new_runs[scale_id]
    pending.update((first, last) for first, last in runs(accepted) if last > watermark)
    new_mark = watermark
    for first, last in sorted({*group.stored_runs[scale_id], *pending}):
        if first > new_mark + 1:
            break  # a gap: the edge resends from new_mark + 1
        new_mark = max(new_mark, last)
    return new_mark


# --- rejects ---------------------------------------------------------------------------------


def record_reject(
    conn: Connection, topic: str, scale_id: str | None, reason: str, detail: str, payload: bytes | str
) -> None:
    """Keep a refused message for investigation; the same bytes again count up one row."""
    data = payload if isinstance(payload, bytes) else payload.encode("utf-8")
    digest = hashlib.sha256(topic.encode() + b"\0" + reason.encode() + b"\0" + data).hexdigest()
    text = data[:MAX_REJECT_PAYLOAD].decode("utf-8", errors="replace").replace("\0", "\ufffd")
    ts = now_ms()
    with conn.transaction():
        conn.execute(
            "INSERT INTO rejects (digest, topic, scale_id, reason, detail, payload, count, first_ms, last_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?) "
            "ON CONFLICT (digest) DO UPDATE SET count = rejects.count + 1, last_ms = excluded.last_ms",
            (digest, topic, scale_id, reason, detail[:2000], text, ts, ts),
        )


def record_bad_items(conn: Connection, topic: str, scale_id: str, bad: list[BadItem]) -> None:
    for item in bad:
        try:
            raw = canonical_json(item.raw)
        except (TypeError, ValueError, RecursionError):  # nested past what json can write
            raw = brief(item.raw)
        record_reject(conn, topic, scale_id, item.reason, f"oseq {item.oseq}: {item.detail}", raw)


# --- status and events -------------------------------------------------------------------------


def store_status(conn: Connection, scale_id: str, status: dict[str, Any]) -> None:
    """Upsert the heartbeat; the will (online false only) keeps the last known details."""
    cols = ("software_id", "backlog", "oldest_unacked_ms", "printer", "last_sale_ms", "last_event_id",
            "last_event_hash", "sent_ms", "lock_state", "legal_changes")  # fmt: skip
    values = [status.get(c) for c in cols]
    keep = ", ".join(f"{c} = COALESCE(excluded.{c}, scale_status.{c})" for c in cols)
    with conn.transaction():
        conn.execute(
            f"INSERT INTO scale_status (scale_id, online, {', '.join(cols)}, received_ms) "
            f"VALUES (?, ?, {', '.join('?' * len(cols))}, ?) "
            "ON CONFLICT (scale_id) DO UPDATE SET online = excluded.online, "
            f"received_ms = excluded.received_ms, {keep}",
            (scale_id, int(status["online"]), *values, now_ms()),
        )


@dataclass(frozen=True, slots=True)
class EventsResult:
    stored: int
    broken_at: int | None  # first entry that does not extend the stored chain
    held: int = 0  # the scale's events central now holds, 1..held (the events ack)


def events_held(conn: Connection, scale_id: str) -> int:
    """The highest event id central holds for the scale (its chain is 1..that)."""
    return int(conn.scalar("SELECT MAX(event_id) FROM events WHERE scale_id = ?", (scale_id,)) or 0)


def store_events(conn: Connection, scale_id: str, entries: list[EventEntry]) -> EventsResult:
    """Append the entries that extend the chain central holds; stop at the first bad one."""
    received = now_ms()
    with conn.transaction():
        conn.execute(
            "INSERT INTO scale_sync (scale_id, acked_through) VALUES (?, 0) ON CONFLICT DO NOTHING", (scale_id,)
        )
        conn.lock_scale_sync(scale_id)  # one writer per scale's chain at a time
        last = conn.one(
            "SELECT event_id, kind, data, created_ms, prev_hash, hash FROM events WHERE scale_id = ? "
            "ORDER BY event_id DESC LIMIT 1",
            (scale_id,),
        )
        prev = None if last is None else EventEntry(
            int(last["event_id"]), last["kind"], json.loads(last["data"]), int(last["created_ms"]),
            last["prev_hash"], last["hash"],
        )  # fmt: skip
        held = prev.id if prev else 0
        old = [e for e in entries if e.id <= held]
        fresh = sorted((e for e in entries if e.id > held), key=lambda e: e.id)
        if fresh and fresh[0].id > held + 1:
            # A gap, not a break: entries held+1.. were lost on the way (uploaded while no
            # central was subscribed). Keep nothing past it; the events ack makes the scale resend.
            fresh = []
        broken: int | None = None
        for entry in old:  # a resend must be exactly what central already holds
            stored = conn.one(
                "SELECT kind, data, created_ms, prev_hash, hash FROM events WHERE scale_id = ? AND event_id = ?",
                (scale_id, entry.id),
            )
            resent = (entry.kind, canonical_json(entry.data), entry.created_ms, entry.prev_hash, entry.hash)
            if stored is None or tuple(stored.values()) != resent:
                broken = entry.id if broken is None else min(broken, entry.id)
        ok, bad_id = verify_chain(fresh, prev)
        good = fresh if ok else [e for e in fresh if e.id < (bad_id or 0)]
        if not ok:
            broken = bad_id if broken is None else min(broken, bad_id or broken)
        conn.executemany(
            "INSERT INTO events (scale_id, event_id, kind, data, created_ms, prev_hash, hash, received_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                (scale_id, e.id, e.kind, canonical_json(e.data), e.created_ms, e.prev_hash, e.hash, received)
                for e in good
            ],
        )
        if broken is not None:
            conn.execute(
                "INSERT INTO event_chain_breaks (scale_id, bad_event_id, detail, received_ms) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (scale_id) DO UPDATE SET bad_event_id = excluded.bad_event_id, "
                "detail = excluded.detail, received_ms = excluded.received_ms",
                (scale_id, broken, f"event {broken} does not extend the chain central holds", received),
            )
    return EventsResult(len(good), broken, held + len(good))
