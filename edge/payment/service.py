"""PaymentService: carries out the steps of each sale's PaymentFlow.

It sends the flow's requests to central (``SyncService.publish_payment``), records
payment outcomes and events in the store (which queues the ticket), wakes the print
worker and the sync worker, and tells the merchant view model what to show.

Threads: vendor actions run on the caller's thread and return when their step is
done (so a console or a screen sees the answer at once). Results from central arrive
on paho's network thread and are only queued there; this service's own thread takes
them, and ticks the flows for timeouts, so the store is never written on paho's thread.
One lock keeps every step and its effects in order. The model is never called back while
the model holds its own lock: the model calls in here only outside its lock.

    payments = PaymentService.from_config(config, store, model, printer=printer)
    payments.connect_sync(sync)      # publish_payment / on_payment_result / wake
    model.attach_payments(payments)
    payments.start() ... payments.stop()
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from edge.config import EdgeConfig, PaymentConfig
from edge.core.payment import QR_METHODS, PaymentRequest, PaymentResult
from edge.core.records import Payment, Sale
from edge.payment.flow import SETTLED, PaymentFlow, Screen, Step
from edge.store.errors import StoreError

if TYPE_CHECKING:
    from edge.store import Store

log = logging.getLogger(__name__)

TICK_S = 0.2  # timeouts and queued results are handled within this
KEEP_FLOWS = 20  # finished flows kept so a late "paid" still finds its sale


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class PaymentScreen(Protocol):
    """What the service needs of the merchant view model (edge.ui.model.merchant)."""

    def show_payment(self, qr_content: str, amount_fen: int, timeout_s: float | None) -> None: ...
    def payment_done(self) -> None: ...
    def cancel_payment(self) -> None: ...
    def payment_notice(self, code: str, values: dict[str, Any], error: bool) -> None: ...
    def payment_state(self, sale_id: str, stage: str, method: str, actions: frozenset[str]) -> None: ...


class PaymentService:
    def __init__(
        self,
        config: PaymentConfig,
        store: Store,
        screen: PaymentScreen | None = None,
        *,
        publish: Callable[[PaymentRequest], bool] = lambda _request: False,
        wake_printer: Callable[[], None] = lambda: None,
        wake_sync: Callable[[], None] = lambda: None,
        clock_ms: Callable[[], int] = _now_ms,
    ) -> None:
        self.config = config
        self._store = store
        self._screen = screen
        self._publish = publish
        self._wake_printer = wake_printer
        self._wake_sync = wake_sync
        self._clock = clock_ms
        self._lock = threading.RLock()
        self._flows: OrderedDict[str, PaymentFlow] = OrderedDict()
        self._current: PaymentFlow | None = None
        self._shown: Screen = Screen()
        self._unsaved: list[tuple[str, Payment]] = []  # records the store refused (full disk): retried
        self._inbox: queue.SimpleQueue[PaymentResult] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_config(
        cls, config: EdgeConfig, store: Store, screen: PaymentScreen | None = None, *, printer: Any = None
    ) -> PaymentService:
        wake = printer.wake if printer is not None else (lambda: None)
        return cls(config.payment, store, screen, wake_printer=wake)

    def connect_sync(self, sync: Any) -> None:
        """Talk to central through ``sync`` (an edge.sync.SyncService, not yet started)."""
        self._publish = sync.publish_payment
        self._wake_sync = sync.wake
        sync.on_payment_result = self.on_result

    def set_screen(self, screen: PaymentScreen) -> None:
        self._screen = screen

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> PaymentService:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="edge-payment", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                result = self._inbox.get(timeout=TICK_S)
            except queue.Empty:
                result = None
            try:
                if result is not None:
                    self.handle_result(result)
                self.tick()
            except Exception:  # the payment thread must outlive a store or screen error
                log.exception("payment step failed")

    # --- state -------------------------------------------------------------------------------

    def active(self) -> bool:
        """A payment of the shown sale is under way (not yet paid, cash or confirmed)."""
        with self._lock:
            return self._current is not None and not self._current.done

    def flow(self, sale_id: str) -> PaymentFlow | None:
        with self._lock:
            return self._flows.get(sale_id)

    # --- the vendor --------------------------------------------------------------------------

    def begin_qr(self, sale: Sale, method: str) -> None:
        """Ask central for a QR for ``sale`` (committed as pending)."""
        if method not in QR_METHODS:
            raise ValueError(f"not a QR payment method: {method!r}")
        with self._lock:
            flow = self._new_flow(sale)
            self._apply(flow, flow.start_qr(method, self._clock()))

    def begin_static(self, sale: Sale) -> None:
        """Checkout straight to the static code (``[payment].static_qr``), e.g. known offline."""
        with self._lock:
            flow = self._new_flow(sale)
            self._apply(flow, flow.use_static(self._clock()))

    def begin_micropay(self, sale: Sale, auth_code: str) -> None:
        """The customer's 付款码 for ``sale`` (committed as pending; the code already checked)."""
        with self._lock:
            flow = self._new_flow(sale)
            self._apply(flow, flow.start_micropay(auth_code, self._clock()))

    def micropay(self, auth_code: str) -> bool:
        """The 付款码 for the payment under way; False if there is none."""
        return self._vendor(lambda flow, now: flow.start_micropay(auth_code, now))

    def cash(self) -> bool:
        return self._vendor(lambda flow, now: flow.cash(now))

    def use_static(self) -> bool:
        return self._vendor(lambda flow, now: flow.use_static(now))

    def confirm_static(self) -> bool:
        return self._vendor(lambda flow, now: flow.confirm_static(now))

    def cancel(self) -> bool:
        return self._vendor(lambda flow, now: flow.cancel(now))

    def _vendor(self, action: Callable[[PaymentFlow, int], Step]) -> bool:
        with self._lock:
            flow = self._current
            if flow is None:
                return False
            self._apply(flow, action(flow, self._clock()))
            return True

    # --- central and the clock ----------------------------------------------------------------

    def on_result(self, result: PaymentResult) -> None:
        """Any thread (paho's): queue a verified result for the payment thread."""
        self._inbox.put(result)

    def handle_result(self, result: PaymentResult) -> None:
        with self._lock:
            flow = self._flows.get(result.sale_id)
            if flow is None:
                log.warning(
                    "dropped a payment result for sale %s (order %s, %s): not a sale this scale is paying",
                    result.sale_id,
                    result.order_id,
                    result.status,
                )
                return
            self._apply(flow, flow.on_result(result, self._clock()))

    def tick(self) -> None:
        """Timeouts of every open flow, queued results (when not on the thread), retries."""
        while True:
            try:
                result = self._inbox.get_nowait()
            except queue.Empty:
                break
            self.handle_result(result)
        with self._lock:
            now = self._clock()
            for flow in list(self._flows.values()):
                if not flow.done:
                    self._apply(flow, flow.tick(now))
            self._retry_records()

    # --- carrying out a step --------------------------------------------------------------------

    def _new_flow(self, sale: Sale) -> PaymentFlow:
        timeout_ms = int(self.config.answer_timeout_s * 1000)
        flow = PaymentFlow(sale, answer_timeout_ms=timeout_ms, static_qr=self.config.static_qr)
        self._flows[sale.sale_id] = flow
        while len(self._flows) > KEEP_FLOWS:
            oldest = next(iter(self._flows))
            if oldest == sale.sale_id:
                break
            self._flows.pop(oldest)
        self._current = flow
        self._shown = Screen()
        return flow

    def _apply(self, flow: PaymentFlow, step: Step) -> None:
        quiet = step.record is None and step.event is None and not step.send and step.notice is None
        if quiet and (flow is not self._current or step.screen == self._shown):
            return  # nothing happened (the usual tick)
        unsent = [request for request in step.send if not self._send(request)]
        if step.event is not None:
            self._log_event(*step.event)
        if step.record is not None:
            self._save(flow.sale_id, step.record)
        self._show(flow, step)
        for request in unsent:
            self._apply(flow, flow.not_sent(request, self._clock()))

    def _send(self, request: PaymentRequest) -> bool:
        try:
            sent = self._publish(request)
        except Exception:  # a broken link is "not sent": the flow offers cash/static
            log.exception("payment request %s not sent", request.request_id)
            sent = False
        log.info(
            "payment %s %s for sale %s: %s",
            request.type,
            request.request_id,
            request.sale_id,
            "sent" if sent else "not sent (not connected)",
        )
        return sent

    def _save(self, sale_id: str, payment: Payment) -> None:
        try:
            self._store.set_payment(sale_id, payment)
        except StoreError as exc:
            log.error("payment of sale %s not recorded yet (%s); retrying", sale_id, exc)
            self._unsaved.append((sale_id, payment))
            self._notice("pay_record_failed", {"why": exc.en}, True)
            return
        log.info("sale %s payment recorded: %s %s", sale_id, payment.method, payment.status)
        self._wake_printer()
        self._wake_sync()

    def _retry_records(self) -> None:
        pending, self._unsaved = self._unsaved, []
        for sale_id, payment in pending:
            self._save(sale_id, payment)

    def _log_event(self, kind: str, data: dict[str, Any]) -> None:
        try:
            self._store.append_event(kind, data, self._clock())
        except StoreError as exc:
            log.error("payment event %s not logged (%s): %s", kind, exc, data)

    def _show(self, flow: PaymentFlow, step: Step) -> None:
        screen = self._screen
        if screen is None:
            return
        if flow is self._current:
            if step.stage in SETTLED:
                if self._shown != Screen() or step.record is not None:
                    screen.payment_done()
                self._shown = Screen()
            elif step.screen != self._shown:
                self._shown = step.screen
                if step.screen.kind == "none":
                    screen.cancel_payment()
                else:
                    left = (step.screen.expires_ms - self._clock()) / 1000 if step.screen.expires_ms else None
                    screen.show_payment(step.screen.qr_content, step.screen.amount_fen, left)
            screen.payment_state(flow.sale_id, str(step.stage), flow.method, flow.actions())
        if step.notice is not None:
            values = dict(step.notice.values)
            values.setdefault("amount_fen", flow.amount_fen)
            values.setdefault("method", flow.method)
            self._notice(step.notice.code, values, step.notice.error)

    def _notice(self, code: str, values: dict[str, Any], error: bool) -> None:
        if self._screen is not None:
            self._screen.payment_notice(code, values, error)
