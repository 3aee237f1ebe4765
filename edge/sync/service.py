"""SyncService: everything the scale exchanges with central, on two background threads.

- the MQTT supervisor (edge.sync.client) keeps a connection up for ever;
- the sync worker drives the outbox publisher, the event-log upload, the heartbeat and
  applies signed documents from central, all from one thread, so store writes of sync
  are never concurrent with each other and never run on paho's network thread.

Selling never waits for sync: the worker reads the outbox on its own read-only SQLite
connection and only takes the Store's lock for short writes (ack, refused-document
events, catalog replacement). ``state()`` returns a snapshot without touching the store.

    service = SyncService.from_config(config, store, printer_state=printer.status_text)
    service.start()
    ...  # sell; call service.wake() after a commit to send it at once
    service.stop()
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge.config import ConfigError, EdgeConfig, IdentityConfig, SyncConfig
from edge.core.payment import PaymentMessageError, PaymentRequest, PaymentResult
from edge.store.store import Store
from edge.sync import wire
from edge.sync.client import ClientSettings, Delivery, Message, MqttClient, Will, parse_broker_url
from edge.sync.events import EventUploader
from edge.sync.goodsin import GoodsInUploader
from edge.sync.heartbeat import Heartbeat
from edge.sync.inbound import InboundHandler, InboundResult
from edge.sync.outbox_reader import OutboxReader, OutboxSummary
from edge.sync.publisher import OutboxPublisher
from edge.sync.signing import SignatureError, json_object, load_public_key, verify_document
from edge.sync.topics import Topics

log = logging.getLogger(__name__)

IDLE_S = 0.2  # how soon a new sale goes out without wake(), and the resend timer's grain
SUMMARY_EVERY_S = 0.5
ERROR_PAUSE_S = 1.0


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class SyncState:
    connected: bool
    backlog: int  # outbox rows central has not acked
    oldest_unacked_ms: int | None
    acked_through: int  # highest oseq acked during this run (0: none yet)
    last_ack_ms: int | None  # when central's last ack arrived
    last_error: str  # "" when all is well; otherwise what happened and what is being done
    resends: int  # restarts from the ack watermark after ack_timeout_s


def read_payment_result(payload: bytes, key: Ed25519PublicKey | None) -> PaymentResult | None:
    """A ``payment/1`` result from central, signature checked; None for the scale's own
    requests echoed on the shared topic. ValueError says why a message is refused."""
    doc = json_object(payload)
    if doc.get("type") != "result":
        return None  # create/micropay/query/close: this scale's own requests
    if key is None:
        raise ValueError("no [sync].central_public_key configured, so central's results cannot be checked")
    try:
        verify_document(doc, key)
        return PaymentResult.from_dict(doc)
    except (SignatureError, PaymentMessageError) as exc:
        raise ValueError(str(exc)) from exc


def check_sync_config(cfg: SyncConfig, source: str = "edge.toml") -> None:
    """Raise ConfigError naming the [sync] key and a valid value."""
    try:
        parse_broker_url(cfg.broker_url)
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    if not 1 <= cfg.batch_size <= wire.MAX_ITEMS:
        raise ConfigError(f"{source}: [sync].batch_size must be 1-{wire.MAX_ITEMS}, got {cfg.batch_size}")
    if cfg.window < 1:
        raise ConfigError(f"{source}: [sync].window must be at least 1, got {cfg.window}")
    if cfg.ack_timeout_s <= 0 or cfg.heartbeat_s <= 0:
        raise ConfigError(f"{source}: [sync].ack_timeout_s and heartbeat_s must be positive seconds")


class SyncService:
    def __init__(
        self,
        config: SyncConfig,
        identity: IdentityConfig,
        store: Store,
        *,
        printer_state: Callable[[], str] = lambda: "unknown",
        software_id: str | None = None,
        on_applied: Callable[[str, int], None] | None = None,
        on_payment_result: Callable[[PaymentResult], None] | None = None,
        on_firmware: Callable[[bytes], None] | None = None,
        keepalive_s: int = 30,
        backoff_s: tuple[float, float] = (0.5, 30.0),
        client_id: str | None = None,
    ) -> None:
        check_sync_config(config)
        if software_id is None:
            from edge.software_id import software_id as _software_id

            software_id = str(_software_id())
        self._config = config
        self._store = store
        self._scale_id = identity.scale_id
        self.topics = Topics(identity.market_id, identity.scale_id)
        self._reader = OutboxReader(store.path)
        self._client = MqttClient(
            ClientSettings(
                broker_url=config.broker_url,
                client_id=client_id or f"edge-{identity.scale_id}",
                username=config.username or identity.scale_id,
                password=config.password,
                tls_ca=config.tls_ca,
                keepalive_s=keepalive_s,
                will=Will(self.topics.status, wire.offline_status(identity.scale_id)),
                backoff_min_s=backoff_s[0],
                backoff_max_s=backoff_s[1],
            ),
            on_connect=lambda _epoch: self._wake.set(),
            on_disconnect=lambda _reason: self._wake.set(),
        )
        self._publisher = OutboxPublisher(
            store,
            self._reader,
            self.topics.sales,
            identity.scale_id,
            batch_size=config.batch_size,
            window=config.window,
            ack_timeout_s=config.ack_timeout_s,
        )
        self._events = EventUploader(store, self.topics.events, identity.scale_id)
        self._goodsin = GoodsInUploader(store, self.topics.goodsin, identity.scale_id)
        self._heartbeat = Heartbeat(store, identity.scale_id, software_id, printer_state, config.heartbeat_s)
        self._inbound = InboundHandler(
            store, identity.market_id, identity.scale_id, config.central_public_key, on_applied=on_applied
        )
        self._on_firmware = on_firmware  # the OTA updater (edge.update) checks and applies manifests itself
        self._inbox: queue.SimpleQueue[tuple[str, Message]] = queue.SimpleQueue()
        self._numbering: queue.SimpleQueue[wire.Numbering] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._summary = OutboxSummary(0, None, None, None)
        self._summary_at = 0.0
        self._worker_error = ""
        self._heartbeat_epoch = 0
        self.inbound_results: list[InboundResult] = []  # the latest few, for tests and diagnostics
        # Called on paho's network thread with each verified payment result: hand it on, quickly.
        self.on_payment_result = on_payment_result
        self._central_key: Ed25519PublicKey | None = None
        with contextlib.suppress(ValueError):  # InboundHandler has logged it; results are refused
            self._central_key = load_public_key(config.central_public_key)

    @classmethod
    def from_config(cls, config: EdgeConfig, store: Store, **kwargs: Any) -> SyncService:
        return cls(config.sync, config.identity, store, **kwargs)

    # --- control -------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("SyncService.start() called twice; create a new service instead")
        self._client.subscribe(self.topics.ack, self._on_ack)
        for kind, topic in (
            ("catalog", self.topics.catalog),
            ("batches", self.topics.batches),
            ("config", self.topics.config),
            ("command", self.topics.command),
        ):
            self._client.subscribe(topic, lambda msg, kind=kind: self._on_document(kind, msg))
        self._client.subscribe(self.topics.payment, self._on_payment)
        if self._on_firmware is not None:
            on_firmware = self._on_firmware
            self._client.subscribe(self.topics.firmware, lambda msg: on_firmware(msg.payload))
        self._thread = threading.Thread(target=self._run, name="edge-sync", daemon=True)
        self._thread.start()
        self._client.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the worker, publish the retained offline status, disconnect."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        self._client.stop(final=(self.topics.status, wire.offline_status(self._scale_id)), timeout_s=timeout_s)
        self._reader.close()

    def wake(self) -> None:
        """Look at the outbox now (call after a sale commit or a goods-in; otherwise within IDLE_S)."""
        self._goodsin.poke = True
        self._wake.set()

    @property
    def connected(self) -> bool:
        return self._client.connected

    def publish_payment(self, request: PaymentRequest) -> bool:
        """Send a payment request to central now; False when not connected (nothing is queued)."""
        body = json.dumps(request.to_dict(), ensure_ascii=False).encode()
        return self._client.publish(self.topics.payment, body, qos=1) is not None

    def __enter__(self) -> SyncService:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def state(self) -> SyncState:
        published = self._publisher.state()
        with self._lock:
            summary, worker_error = self._summary, self._worker_error
        return SyncState(
            connected=self._client.connected,
            backlog=summary.backlog,
            oldest_unacked_ms=summary.oldest_ms,
            acked_through=published.acked_through,
            last_ack_ms=published.last_ack_ms,
            last_error=worker_error or self._client.last_error,
            resends=published.resends,
        )

    # --- paho's network thread: record and wake, nothing more ------------------------------

    def _on_ack(self, message: Message) -> None:
        try:
            numbering = wire.parse_numbering(message.payload)
        except ValueError as exc:
            log.warning("ignored a bad numbering answer on %s: %s", message.topic, exc)
            return
        if numbering is not None:
            self._numbering.put(numbering)  # the worker writes it to the store
            self._wake.set()
            return
        try:
            kind, acked = wire.parse_any_ack(message.payload)
        except ValueError as exc:
            log.warning("ignored a bad ack on %s: %s", message.topic, exc)
            return
        if kind == "events":
            self._events.on_central_holds(acked)
        elif kind == "goodsin":
            self._goodsin.on_ack(acked)
        else:
            self._publisher.on_ack(acked)
        self._wake.set()

    def _on_payment(self, message: Message) -> None:
        try:
            result = read_payment_result(message.payload, self._central_key)
        except ValueError as exc:
            log.warning("dropped a payment result on %s: %s", message.topic, exc)
            return
        if result is not None and self.on_payment_result is not None:
            self.on_payment_result(result)

    def _on_document(self, kind: str, message: Message) -> None:
        self._inbox.put((kind, message))
        self._wake.set()

    # --- the sync worker -------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self._iterate()
                with self._lock:
                    self._worker_error = ""
            except Exception as exc:  # the worker must outlive any store or network error
                log.exception("sync step failed")
                with self._lock:
                    self._worker_error = f"sync paused {ERROR_PAUSE_S:.0f} s after an error, then retries: {exc}"
                self._stop.wait(ERROR_PAUSE_S)
                continue
            if not busy:
                self._wake.wait(IDLE_S)
                self._wake.clear()

    def _iterate(self) -> bool:
        client = self._client
        connected, epoch = client.connected, client.epoch
        while not self._inbox.empty():
            kind, message = self._inbox.get()
            result = self._inbound.handle(kind, message.topic, message.payload)
            self.inbound_results = [*self.inbound_results[-19:], result]
        while not self._numbering.empty():
            numbers = self._numbering.get()
            n = numbers
            if self._store.raise_numbering(n.seq, n.local_date, n.daily_seq, _now_ms(), n.acked_through):
                self._publisher.continue_after(n.acked_through)
            log.info("central's last numbers of this scale: seq %d, %s no. %d; ours continue after them",
                     numbers.seq, numbers.local_date, numbers.daily_seq)  # fmt: skip
        self._refresh_summary(force=False)
        if connected and (epoch != self._heartbeat_epoch or self._heartbeat.due()):
            self._send_heartbeat(epoch)
        busy = self._publisher.step(connected, epoch, self._publish_sales)
        if busy:
            self._refresh_summary(force=True)
        busy = self._events.step(connected, epoch, self._publish_tracked) or busy
        busy = self._goodsin.step(connected, self._publish_tracked) or busy
        return busy

    def _refresh_summary(self, *, force: bool) -> None:
        now = time.monotonic()
        if force or now - self._summary_at >= SUMMARY_EVERY_S:
            summary = self._reader.summary()
            with self._lock:
                self._summary = summary
            self._summary_at = now

    def _send_heartbeat(self, epoch: int) -> None:
        self._refresh_summary(force=True)
        payload = self._heartbeat.payload(self._summary, _now_ms())
        if self._client.publish(self.topics.status, payload, qos=1, retain=True) is not None:
            self._heartbeat.sent()
            self._heartbeat_epoch = epoch

    def _publish_sales(self, topic: str, body: bytes) -> bool:
        return self._client.publish(topic, body, qos=1) is not None

    def _publish_tracked(self, topic: str, body: bytes) -> Delivery | None:
        return self._client.publish(topic, body, qos=1)


def ask_central_numbering(config: EdgeConfig, store: Store, timeout_s: float) -> bool:
    """Sync until central has told ``store`` its last numbers of this scale; False when it has
    not within ``timeout_s`` (no broker, central down).

    For tools that sell without the app (``python -m edge sell``): the same heartbeat
    ``"numbering": "ask"`` and the same answer handling as the running app (docs/sync.md,
    "Numbering after a wiped store"). Its own MQTT client id, so a running app is not
    disconnected by it."""
    service = SyncService.from_config(config, store, client_id=f"edge-{config.identity.scale_id}-cli",
                                      backoff_s=(0.2, 1.0))  # fmt: skip
    deadline = time.monotonic() + timeout_s
    service.start()
    try:
        while not store.numbering_known():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True
    finally:
        service.stop()
