"""The MQTT receiver: shared subscriptions in, database commits, acks out.

The MQTT session's thread (central/mqtt_session.py) only queues messages (a bounded
queue, so a slow database holds the broker back instead of filling memory); worker
threads parse, verify, commit and then publish the ack, per docs/sync.md. A bad message is recorded in ``rejects`` and
the receiver carries on; a database outage drops the message without an ack, and the
scale resends it after its ack timeout.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field

from central.db import Database
from central.goodsin import parse_goodsin, store_goodsin
from central.inbox import Inbox
from central.ingest import (
    SalesResult,
    ScaleInfo,
    check_scale,
    check_signatures,
    events_held,
    load_scale,
    load_scales,
    record_bad_items,
    record_reject,
    store_events,
    store_sales,
    store_sales_group,
    store_status,
)
from central.keys import CentralKey
from central.mqtt import PREFIX, MqttUrl
from central.mqtt_session import MqttSession
from central.payment.service import Outgoing, PaymentService
from central.prices import apply_price_events
from central.queries import last_numbers
from central.validate import (
    BadItem,
    Rejected,
    SalesBatch,
    Topic,
    load_json,
    parse_events,
    parse_sales,
    parse_status,
)
from edge.core.eventlog import canonical_json

log = logging.getLogger(__name__)
Message = tuple[str, bytes]  # (topic, payload)
SHARE_GROUP = "central"
KEY_CACHE_S = 30.0  # how long a scale's registration (key, market) is trusted before re-reading
GROUP_MAX = 128  # sales messages committed together by one worker (one fsync, one statement per table)
# ... or fewer once they hold this many bytes (~200 sales): a group holds its scales' locks
# until it commits, so a big one makes the other receivers wait; big messages need no company
GROUP_BYTES = 256 * 1024


@dataclass
class ReceiverStats:
    messages: int = 0
    sales_stored: int = 0
    rejected: int = 0
    acks: int = 0
    db_errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)


class Receiver:
    def __init__(
        self,
        db: Database,
        mqtt: MqttUrl,
        *,
        client_id: str | None = None,
        workers: int = 1,
        queue_size: int = 256,
        central_key: CentralKey | None = None,
        payments: PaymentService | None = None,
    ) -> None:
        self.db = db
        # payments need both: the service answers, central's key signs what it answers
        self.payments = payments if central_key is not None else None
        self.central_key = central_key
        # provider calls take seconds: payment messages get their own worker, sales never wait on them
        self._pay_queue: Inbox[Message] = Inbox(queue_size, self._room)
        self._pay_worker = threading.Thread(target=self._work, args=(self._pay_queue,), name="central-payments")
        self.mqtt = mqtt
        self.client_id = client_id or f"central-{socket.gethostname()}-{os.getpid()}-{id(self) % 10000}"
        self.stats = ReceiverStats()
        self.connected = threading.Event()
        self._queue: Inbox[Message] = Inbox(queue_size, self._room)
        self._workers = [threading.Thread(target=self._work, name=f"central-worker-{i}") for i in range(workers)]
        self._scales: dict[str, ScaleInfo | None] = {}  # registrations (None: not registered), see _scale
        self._scales_read = -KEY_CACHE_S  # monotonic time of the last reading of them all
        self._client = MqttSession(
            mqtt.host, mqtt.port, self.client_id, username=mqtt.username, password=mqtt.password,
            subscriptions=self._subscriptions(), on_message=self._on_message, paused=self._behind, on_up=self._on_up,
            on_down=self._on_down, tls=mqtt.tls_context(),
        )  # fmt: skip
        self._stopping = False

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        for worker in self._workers:
            worker.start()
        if self.payments is not None:
            self._pay_worker.start()
        self._client.start()  # connects, and reconnects after 1, 2, 4 .. 10 s

    def stop(self) -> None:
        self._stopping = True
        self._client.stop()
        for _ in self._workers:
            self._queue.close_one()
        for worker in self._workers:
            worker.join(10)
        if self._pay_worker.is_alive():
            self._pay_queue.close_one()
            self._pay_worker.join(10)

    # --- MQTT callbacks (the session's thread) ---------------------------------------------

    def _subscriptions(self) -> list[tuple[str, int]]:
        return [
            (f"$share/{SHARE_GROUP}/{PREFIX}/+/+/sales", 1),
            (f"$share/{SHARE_GROUP}/{PREFIX}/+/+/events", 1),
            (f"$share/{SHARE_GROUP}/{PREFIX}/+/+/goodsin", 1),
            # not shared: retained heartbeats/wills reach every receiver on connect; upserts are idempotent
            (f"{PREFIX}/+/+/status", 1),
            *([(f"$share/{SHARE_GROUP}/{PREFIX}/+/+/payment", 1)] if self.payments is not None else []),
        ]

    def _on_up(self, refused: list[str]) -> None:
        if refused:
            log.error("broker refused central's subscriptions (%s): check the ACL gives central trace/v1/#", refused)
        log.info("receiver %s connected to %s:%d", self.client_id, self.mqtt.host, self.mqtt.port)
        log.info("receiver %s subscribed", self.client_id)
        self.connected.set()  # subscribed: from now on nothing published reaches an empty group

    def _on_down(self, why: str) -> None:
        self.connected.clear()
        if not self._stopping:
            log.warning("receiver %s: %s; reconnecting", self.client_id, why)

    def _on_message(self, topic: str, payload: bytes) -> None:
        target = self._pay_queue if topic.endswith("/payment") and self.payments is not None else self._queue
        target.put((topic, payload))

    def _behind(self) -> bool:
        """The workers are behind: the session stops reading (back-pressure to the broker)."""
        return self._queue.over or self._pay_queue.over

    def _room(self) -> None:
        self._client.resume()

    # --- work (worker threads) --------------------------------------------------------------

    def _work(self, source: Inbox[Message] | None = None) -> None:
        source = self._queue if source is None else source  # an empty Inbox is falsy
        # sales: what else is waiting goes into the same commit; payments: one at a time
        most = GROUP_MAX if source is self._queue else 1
        while True:
            group, stop = source.take(most, lambda msg: len(msg[1]), GROUP_BYTES)
            if group:
                try:
                    self.handle_many(group)
                except Exception:  # never let one message stop the worker
                    self.stats.add(db_errors=1)
                    log.exception("%d message(s) from %s.. not stored; the scales will resend", len(group), group[0][0])
                    time.sleep(0.5)  # a database outage: do not spin
            if stop:
                return

    def handle_many(self, messages: list[tuple[str, bytes]]) -> None:
        """Process messages; the sales among them are committed in one transaction (group commit)."""
        checked: list[tuple[Topic, SalesBatch]] = []
        for name, payload in messages:
            if not name.endswith("/sales"):
                self.handle(name, payload)
                continue
            self.stats.add(messages=1)
            scale_hint = None
            try:
                topic = Topic.parse(name)
                scale_hint = topic.scale_id
                checked.append((topic, self._check_sales(topic, payload)))
            except Rejected as exc:
                self._reject(name, scale_hint, exc, payload)
        if not checked:
            return
        with self.db.connection() as conn:
            results = store_sales_group(conn, [batch for _, batch in checked])
        for (topic, _), result in zip(checked, results, strict=True):
            self._sales_stored(topic, result)

    def handle(self, topic_name: str, payload: bytes) -> None:
        """Process one message; raises only for database trouble."""
        self.stats.add(messages=1)
        scale_hint = None
        try:
            topic = Topic.parse(topic_name)
            scale_hint = topic.scale_id
            if topic.kind == "sales":
                self._sales(topic, payload)
                return
            doc = load_json(payload)
            if topic.kind == "status":
                status = parse_status(doc, topic)
                self._scale(topic)
                with self.db.connection() as conn:
                    store_status(conn, topic.scale_id, status)
                    told = status.get("last_event_id")
                    held = events_held(conn, topic.scale_id) if told else 0
                if told and told > held:  # entries lost on the way: tell the scale where to resend from
                    self._ack_events(topic, held)
                if status.get("numbering") == "ask":  # a store that may have been wiped: where to go on from
                    self._answer_numbering(topic)
            elif topic.kind == "payment" and self.payments is not None:
                self.publish_payment(self.payments.handle_message(topic_name, payload))
            elif topic.kind == "events":
                entries = parse_events(doc, topic)
                scale = self._scale(topic)
                with self.db.connection() as conn:
                    result = store_events(conn, topic.scale_id, entries)
                    bad_prices = apply_price_events(conn, topic.scale_id, topic.market_id, entries, scale.key)
                self._ack_events(topic, result.held)
                if bad_prices:
                    raise Rejected("bad_signature", f"price.changed events {bad_prices} do not verify")
                if result.broken_at is not None:
                    raise Rejected("event_chain", f"event {result.broken_at} does not extend the stored chain")
            elif topic.kind == "goodsin":
                self._goodsin(topic, doc, payload)
            else:
                raise Rejected("bad_topic", f"central does not take {topic.kind!r} messages")
        except Rejected as exc:
            self._reject(topic_name, scale_hint, exc, payload)

    def _goodsin(self, topic: Topic, doc: dict, payload: bytes) -> None:
        """Batches registered at a scale: store the good ones, keep the bad ones, ack the message."""
        items = parse_goodsin(doc, topic)
        scale = self._scale(topic)
        with self.db.connection() as conn:
            result = store_goodsin(conn, topic, items, scale.key)
            for reason, detail in result.bad:
                record_reject(conn, topic_name(topic, "goodsin"), topic.scale_id, reason, detail, payload)
        self.stats.add(rejected=len(result.bad))
        if result.stored:
            log.info("scale %s registered batches %s", topic.scale_id, ", ".join(result.stored))
        ack = canonical_json({"goodsin_acked_through": result.acked_through})
        self._client.publish(topic_name(topic, "ack"), ack, qos=1, replaces="goodsin", rank=result.acked_through)

    def _reject(self, topic_name: str, scale_hint: str | None, exc: Rejected, payload: bytes) -> None:
        self.stats.add(rejected=1)
        log.warning("rejected message on %.200s: %.500s", topic_name, exc)  # bounded: details echo the sender
        with self.db.connection() as conn:
            record_reject(conn, topic_name, scale_hint, exc.reason, exc.detail, payload)

    def _sales(self, topic: Topic, payload: bytes) -> None:
        checked = self._check_sales(topic, payload)
        with self.db.connection() as conn:
            result = store_sales(conn, checked)
        self._sales_stored(topic, result)

    def _check_sales(self, topic: Topic, payload: bytes) -> SalesBatch:
        """Parse and verify a sales/1 message (raises Rejected); forged items are marked bad."""
        batch = parse_sales(load_json(payload, max_depth=None), topic)  # checked level by level
        scale = self._scale(topic)
        checked = check_signatures(batch, scale.key)
        if any(isinstance(item, BadItem) and item.reason == "bad_signature" for item in checked.items):
            scale = self._scale(topic, fresh=True)  # the key may have been re-registered just now
            checked = check_signatures(batch, scale.key)
        return checked

    def _sales_stored(self, topic: Topic, result: SalesResult) -> None:
        """After the commit: keep the refused items for investigation, count, ack."""
        if result.bad:
            with self.db.connection() as conn:
                record_bad_items(conn, topic_name(topic, "sales"), topic.scale_id, result.bad)
        self.stats.add(sales_stored=result.stored, rejected=len(result.bad))
        if result.bad:
            bad = result.bad[0].detail
            log.warning("scale %s: %d item(s) refused, e.g. %.500s", topic.scale_id, len(result.bad), bad)
        ack = canonical_json({"acked_through": result.acked_through})
        self._client.publish(topic_name(topic, "ack"), ack, qos=1, replaces="sales", rank=result.acked_through)
        self.stats.add(acks=1)

    def publish_payment(self, outgoing: list[Outgoing]) -> None:
        """Sign each payment result with central's key and send it to its scale (QoS 1)."""
        if self.central_key is None:
            return
        for out in outgoing:
            doc = self.central_key.sign_document(out.result.to_dict())
            self._client.publish(out.topic, canonical_json(doc), qos=1)

    def _answer_numbering(self, topic: Topic) -> None:
        """``{"numbering": {"seq", "local_date", "daily_seq"}}`` on the ack topic: the last numbers
        central holds of the scale, so a wiped store continues after them (docs/sync.md)."""
        with self.db.connection() as conn:
            numbers = last_numbers(conn, topic.scale_id)
        self._client.publish(topic_name(topic, "ack"), canonical_json({"numbering": numbers}), qos=1)

    def _ack_events(self, topic: Topic, held: int) -> None:
        """``{"events_acked_through": n}`` on the ack topic: central holds the scale's events 1..n."""
        ack = canonical_json({"events_acked_through": held})
        self._client.publish(topic_name(topic, "ack"), ack, qos=1, replaces="events", rank=held)

    def _scale(self, topic: Topic, *, fresh: bool = False) -> ScaleInfo:
        """The scale's registration, read again every KEY_CACHE_S: all scales in one query (one
        by one, 1,000 scales' renewals cost a receiver an eighth of its time at a peak), and a
        scale not seen in it (registered since) or re-keyed (``fresh``) by itself."""
        now = time.monotonic()
        if now - self._scales_read > KEY_CACHE_S:
            with self.db.connection() as conn:
                self._scales = dict(load_scales(conn))
            self._scales_read = now
        scales = self._scales  # one dict throughout: another worker may swap in a newer one
        if fresh or topic.scale_id not in scales:
            with self.db.connection() as conn:
                scales[topic.scale_id] = load_scale(conn, topic.scale_id)
        return check_scale(scales[topic.scale_id], topic)


def topic_name(topic: Topic, kind: str) -> str:
    return f"{PREFIX}/{topic.market_id}/{topic.scale_id}/{kind}"
