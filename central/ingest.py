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

from central.db import Connection
from central.forwarder.outbox import enqueue_sales
from central.keys import DevicePublicKey, load_public_key, verify_signature
from central.localtime import local_date, now_ms
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
    if row is None:
        return None
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
_SALE_PG_TYPES = (
    "text", "text", "bigint", "text", "text", "text", "text", "text", "bigint", "text", "bigint", "bigint", "text",
    "text", "text", "integer", "text", "text", "text", "bigint", "bigint", "bigint",
)  # fmt: skip
_LINE_PG_TYPES = ("text", "integer", "text", "text", "text", "text", "bigint", "bigint", "bigint", "bigint", "bigint",
                  "text", "text")  # fmt: skip
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
    with conn.transaction():
        return _store_batch(conn, batch)


def store_sales_group(conn: Connection, batches: list[SalesBatch]) -> list[SalesResult]:
    """Several batches (of one or many scales) in one transaction: one commit, one fsync.

    A busy market sends many small batches (each scale a sale or two at a time); committing
    each alone makes the fsync the limit. Scales are locked in scale-id order, so receivers
    grouping side by side on PostgreSQL cannot deadlock. All or nothing: on an error no
    batch is stored and none is acked, and the scales resend.
    """
    results: list[SalesResult | None] = [None] * len(batches)
    with conn.transaction():
        for i in sorted(range(len(batches)), key=lambda i: batches[i].scale_id):
            results[i] = _store_batch(conn, batches[i])
    return [r for r in results if r is not None]


def _store_batch(conn: Connection, batch: SalesBatch) -> SalesResult:
    received = now_ms()
    conn.execute(
        "INSERT INTO scale_sync (scale_id, acked_through) VALUES (?, 0) ON CONFLICT DO NOTHING", (batch.scale_id,)
    )
    watermark = int(conn.lock_scale_sync(batch.scale_id) or 0)
    result = SalesResult(watermark, bad=[i for i in batch.items if isinstance(i, BadItem)])
    good = _signed_states_only(conn, batch.scale_id, [i for i in batch.items if isinstance(i, SalesItem)], result)
    accepted = _upsert(conn, batch.scale_id, good, received, result)
    result.acked_through = _advance(conn, batch.scale_id, watermark, accepted)
    conn.execute(
        "UPDATE scale_sync SET acked_through = ?, last_message_ms = ? WHERE scale_id = ?",
        (result.acked_through, received, batch.scale_id),
    )
    return result


def _signed_states_only(
    conn: Connection, scale_id: str, items: list[SalesItem], result: SalesResult
) -> list[SalesItem]:
    """Once a scale has sent a signed state, refuse its unsigned ones from that oseq on.

    Scales from before signed states keep working (their states are unsigned, newest oseq
    wins, as before); the switch is per scale and one-way, at the first signed oseq, so
    unsigned rows queued before the scale's upgrade (lower oseqs) still get through.
    """
    signed = [i.oseq for i in items if i.sale["state_signature"]]
    known = conn.scalar("SELECT signed_from_oseq FROM scale_sync WHERE scale_id = ?", (scale_id,))
    since = min([*signed, *([int(known)] if known is not None else [])], default=None)
    if since is None:
        return items
    if known is None or since < int(known):
        conn.execute("UPDATE scale_sync SET signed_from_oseq = ? WHERE scale_id = ?", (since, scale_id))
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


def _upsert(conn: Connection, scale_id: str, items: list[SalesItem], received: int, result: SalesResult) -> list[int]:
    """Insert new sales, apply later payment states; return the oseqs accepted."""
    if not items:
        return []
    seqs = sorted({i.sale["seq"] for i in items})
    ids = sorted({i.sale["sale_id"] for i in items})
    marks, id_marks = ", ".join("?" * len(seqs)), ", ".join("?" * len(ids))
    held_rows = conn.all(  # by seq, and by sale_id: a sale_id taken by another seq must not vanish silently
        f"SELECT scale_id, seq, sale_id, signature, oseq, state_no FROM sales "
        f"WHERE (scale_id = ? AND seq IN ({marks})) OR sale_id IN ({id_marks})",
        (scale_id, *seqs, *ids),
    )
    existing = {row["seq"]: row for row in held_rows if row["scale_id"] == scale_id}
    by_id = {row["sale_id"]: row for row in held_rows}
    new: dict[str, tuple[int, dict[str, Any]]] = {}  # sale_id -> newest (oseq, sale) of a sale not stored yet
    new_seqs: dict[int, str] = {}  # seq -> sale_id of those
    updates: list[tuple[int, dict[str, Any]]] = []
    states: dict[str, tuple[int, dict[str, Any]]] = {}  # sale_id -> newest signed state of a held sale
    accepted: list[int] = []
    for item in items:
        sale = item.sale
        sale_id, seq = sale["sale_id"], sale["seq"]
        held = existing.get(seq)
        if held is None:
            taken = by_id.get(sale_id)
            if taken is not None:
                where = f"seq {taken['seq']} of {taken['scale_id']}"
                result.bad.append(_conflict(item, f"sale_id {sale_id} is already stored as {where}"))
                continue
            held_new = new.get(sale_id)
            same_seq = new_seqs.get(seq)
            if same_seq is not None and same_seq != sale_id:
                result.bad.append(_conflict(item, f"seq {seq} is also sale {same_seq} in this message"))
                continue
            if held_new is not None and held_new[1]["signature"] != sale["signature"]:
                result.bad.append(_conflict(item, f"sale {sale_id} appears twice with different content"))
                continue
            if held_new is None or _newer(item.oseq, sale, *held_new):
                new[sale_id] = (item.oseq, sale)
            new_seqs[seq] = sale_id
        elif held["sale_id"] != sale_id:
            result.bad.append(_conflict(item, f"seq {seq} of {scale_id} is already sale {held['sale_id']}"))
            continue
        elif held["signature"] != sale["signature"]:
            result.bad.append(_conflict(item, f"sale {sale_id} was stored with different signed content"))
            continue
        elif sale["state_signature"]:
            stored_no = int(held["state_no"])
            if sale["state_no"] > stored_no:
                if sale_id not in states or sale["state_no"] > states[sale_id][1]["state_no"]:
                    states[sale_id] = (item.oseq, sale)
            elif sale["state_no"] < stored_no and item.oseq > held["oseq"]:
                # A later message with an older state: no scale sends that; a replay does.
                result.bad.append(_stale(item, stored_no))
                continue
            else:
                result.unchanged += 1  # a resend of a state central holds or has passed
        elif item.oseq > held["oseq"] and not held["state_no"]:
            updates.append((item.oseq, sale))
        else:
            result.unchanged += 1
        accepted.append(item.oseq)
    for sale_id, why in _trace_code_taken(conn, new).items():
        oseq, sale = new.pop(sale_id)
        refused = {i.oseq for i in items if i.sale["sale_id"] == sale_id}  # the sale and its updates
        accepted = [o for o in accepted if o not in refused]
        result.bad.append(_conflict(SalesItem(oseq, "sale", sale), why))
    if new:
        sale_rows = [_sale_row(s, oseq, received) for oseq, s in new.values()]
        line_rows = [row for _, s in new.values() for row in _line_rows(s)]
        conn.insert_many("sales", _SALE_COLUMNS, _SALE_PG_TYPES, sale_rows, _NOTHING)
        conn.insert_many("sale_lines", _LINE_COLUMNS, _LINE_PG_TYPES, line_rows, _NOTHING)
        forward = [sale_id for sale_id, (_, s) in new.items() if s["refund_of"] is None]
        enqueue_sales(conn, forward, received)  # the city platform hears of it (docs/city-platform.md)
        result.stored += len(new)
    if updates:
        conn.executemany(
            _UPDATE_PAYMENT,
            [
                (*_payment(s), int(s["printed"]), o, s["sale_id"], o)
                for o, s in updates
            ],
        )
        result.updated += len(updates)
    if states:
        conn.executemany(
            _UPDATE_STATE,
            [
                (*_payment(s), int(s["printed"]), max(o, int(existing[s["seq"]]["oseq"])), s["state_no"],
                 s["sale_id"], s["state_no"])
                for o, s in states.values()
            ],
        )  # fmt: skip
        result.updated += len(states)
    return accepted


def _trace_code_taken(conn: Connection, new: dict[str, tuple[int, dict[str, Any]]]) -> dict[str, str]:
    """New sales whose trace code another sale already has (stored, or earlier in this message).

    A trace code is one sale's public address (the ticket's QR): a second sale under it
    would show a customer someone else's ticket, so it is refused and kept in rejects.
    """
    if not new:
        return {}
    codes = sorted({s["trace_code"] for _, s in new.values()})
    held = conn.all(
        f"SELECT trace_code, sale_id, scale_id, seq FROM sales WHERE trace_code IN ({', '.join('?' * len(codes))})",
        tuple(codes),
    )
    holders = {row["trace_code"]: f"sale {row['sale_id']} (seq {row['seq']} of {row['scale_id']})" for row in held}
    taken: dict[str, str] = {}
    for sale_id, (_, sale) in sorted(new.items(), key=lambda kv: kv[1][0]):
        code = sale["trace_code"]
        if code in holders:
            taken[sale_id] = f"trace code {code} already belongs to {holders[code]}"
        else:
            holders[code] = f"sale {sale_id} (seq {sale['seq']}, same message)"
    return taken


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
    return BadItem(
        item.oseq, "conflict", detail + "; the scale's database may have been restored or cloned", item.sale
    )


def _payment(sale: dict[str, Any]) -> tuple[str, str, str]:
    pay = sale["payment"]
    return pay["method"], pay["status"], pay["provider_ref"]


_SALE_ROW_FIELDS = _SALE_COLUMNS[:9]  # sale_id .. created_ms, as in the JSON shape


def _sale_row(sale: dict[str, Any], oseq: int, received: int) -> tuple[Any, ...]:
    return (
        *[sale[name] for name in _SALE_ROW_FIELDS], local_date(sale["created_ms"]), sale["total_fen"],
        sale["rounding_fen"], *_payment(sale), int(sale["printed"]), sale["software_id"], sale["signature"],
        sale["refund_of"], oseq, received, sale["state_no"] if sale["state_signature"] else 0,
    )  # fmt: skip


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


def _advance(conn: Connection, scale_id: str, watermark: int, accepted: list[int]) -> int:
    """Add the accepted runs and return the highest contiguous oseq now held."""
    fresh = [(scale_id, first, last) for first, last in runs(accepted) if last > watermark]
    conn.executemany(
        "INSERT INTO oseq_runs (scale_id, first_oseq, last_oseq) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", fresh
    )
    held = conn.all("SELECT first_oseq, last_oseq FROM oseq_runs WHERE scale_id = ? ORDER BY first_oseq", (scale_id,))
    new_mark = watermark
    for row in held:
        if row["first_oseq"] > new_mark + 1:
            break  # a gap: the edge resends from new_mark + 1
        new_mark = max(new_mark, int(row["last_oseq"]))
    if held:
        conn.execute("DELETE FROM oseq_runs WHERE scale_id = ? AND last_oseq <= ?", (scale_id, new_mark))
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
