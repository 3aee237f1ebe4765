"""The state every merchant task shares, and what they all need: the lock, messages, status inputs.

Inputs arrive from several threads (scale driver, print worker, sync poller, the UI);
one lock (``_lock``, re-entrant) serialises them. A vendor mistake never raises; it sets
the message (kind ``error``) in the current language."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

from edge import runtime
from edge.checkout import Checkout
from edge.config import EdgeConfig
from edge.core.cart import Cart
from edge.core.catalog import Catalog
from edge.core.metrology import WeighingState
from edge.core.protection import ProtectionState
from edge.core.reading import Reading
from edge.core.records import Batch, Plu, Sale
from edge.core.refusals import Refusal, RefusedError
from edge.printer.queue import PrintWorker
from edge.printer.status import PrinterStatus
from edge.scale_driver.driver import LinkState, LinkStatus
from edge.store import Store, StoreError
from edge.ui.model import texts
from edge.ui.model.views import (
    CustomerView,
    MerchantView,
)
from edge.voice.announce import Voice

Subscriber = Callable[[MerchantView, CustomerView], None]

PAGE_SIZE = 24  # hotkey grid cells per page (the Kivy grid is 6 x 4)
SEARCH_LIMIT = 20
MESSAGE_S = 6.0  # a message stays this long (or until the next action)
PAID_SHOW_S = 5.0  # the customer sees "paid" this long after a sale
NO_WEIGHT = Reading(gross_g=0, net_g=0, has_weight=False)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Message:
    zh: str
    en: str
    kind: str  # "info" | "error"
    until: float  # monotonic time it disappears

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True, slots=True)
class PaymentShown:
    qr_content: str
    amount_fen: int
    deadline: float  # monotonic; math.inf: no countdown (the static code)


class ModelBase:
    def __init__(
        self,
        config: EdgeConfig,
        store: Store,
        catalog: Catalog,
        state: WeighingState,
        checkout: Checkout,
        printer: PrintWorker | None = None,
        *,
        lang: str | None = None,
        page_size: int = PAGE_SIZE,
        search_limit: int = SEARCH_LIMIT,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.store = store
        self.state = state
        self.committer = checkout
        self.printer = printer
        self.page_size = page_size
        self.search_limit = search_limit
        self._clock = monotonic
        self._lock = threading.RLock()
        self._subscribers: list[Subscriber] = []
        self._commit_hooks: list[Callable[[Sale], None]] = []
        self._catalog = catalog
        self._lang = lang or config.display.lang
        self._cart = Cart()
        self._item: Plu | None = None
        self._batch: Batch | Refusal | None = None  # picked when the item was chosen
        self._chosen_batch_id: str | None = None
        self._quantity = 1
        self._page = 0
        self._category = ""
        self._query = ""
        self._results: tuple[Plu, ...] = ()
        self._message: Message | None = None
        self._busy = False
        self._link: LinkStatus | None = None
        self._printer_status: PrinterStatus | None = None
        self._sync: tuple[str, dict[str, object]] = ("sync_off", {})
        self._payment: PaymentShown | None = None
        self._paid: tuple[Sale | None, int, float] | None = None  # (sale, amount, until)
        self._shown_sale: Sale | None = None  # committed, awaiting payment on the customer screen
        self._payments: Any = None  # edge.payment.PaymentService, once attached
        self._pay_state: tuple[str, str, frozenset[str]] | None = None  # (stage, method, actions)
        self._voice = Voice(None)  # 语音播报, once attached
        self._paperless = config.ticket.paperless  # the next sale is paperless (电子小票)
        self._paper_offer: Sale | None = None  # its ticket could not print: offer the 电子小票
        kept = store.get_setting(runtime.ZERO_STATE_KEY)
        self._kept_zero: tuple[int, int] | None = tuple(kept) if kept else None  # type: ignore[assignment]
        self._protection: ProtectionState = store.protection()  # refreshed by tick() and after a refused sale
        self._seq = 0
        self._merchant = MerchantView()
        self._customer = CustomerView()
        self._publish(force=True)

    @classmethod
    def from_config(
        cls, config: EdgeConfig, store: Store, printer: PrintWorker | None = None, **kwargs: object
    ) -> Self:
        """The model over the runtime parts of ``config`` (catalog, kept zero, device key)."""
        return cls(
            config,
            store,
            runtime.catalog(store),
            runtime.weighing_state(config, store),
            Checkout(config, store, runtime.device_key(config)),
            printer,
            **kwargs,
        )

    def attach_payments(self, payments: Any) -> None:
        """QR payments through ``payments`` (edge.payment.PaymentService): checkout with a
        QR method then asks central for the QR; without it such a sale just stays pending."""
        self._payments = payments

    def attach_voice(self, voice: Voice) -> None:
        """语音播报 through ``voice`` (edge.voice.announce): lines, payments and printer faults."""
        self._voice = voice

    def _paid_until(self) -> float:
        """The customer sees "paid" (and the 电子小票 QR) until then."""
        return self._clock() + max(PAID_SHOW_S, self.config.ticket.e_ticket_show_s)

    def on_commit(self, hook: Callable[[Sale], None]) -> None:
        """Called after every committed sale, outside the lock (e.g. wake the sync service)."""
        self._commit_hooks.append(hook)

    @property
    def lang(self) -> str:
        return self._lang

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def on_link_status(self, status: LinkStatus) -> None:
        with self._lock:
            self._link = status
            if status.state is not LinkState.ONLINE:
                # The last reading is stale now: blank the weight so nothing is sold from it.
                self.state.feed(NO_WEIGHT)
            self._publish()

    def on_printer_status(self, status: PrinterStatus) -> None:
        with self._lock:
            before = self._printer_status
            self._printer_status = status
            if not status.ready and (before is None or before.code != status.code):
                self._voice.fault(status.code)  # said once when it starts, not at every poll
            self._publish()

    def on_sync_state(self, state: object) -> None:
        """A ``edge.sync.SyncState`` (duck-typed: ``connected``, ``backlog``)."""
        connected = bool(getattr(state, "connected", False))
        backlog = int(getattr(state, "backlog", 0) or 0)
        with self._lock:
            if connected and backlog:
                self._sync = ("sync_backlog", {"n": backlog})
            else:
                self._sync = ("sync_online" if connected else "sync_offline", {})
            self._publish()

    def tick(self) -> None:
        """Call about once a second: payment countdown, message and "paid" expiry, lock state
        (a seal from ``python -m edge seal`` or central's command lands in the store)."""
        with self._lock:
            self._refresh_protection()
            now = self._clock()
            if self._payment is not None and now >= self._payment.deadline:
                self._payment = None
                self._say_error("payment_timeout")
            if self._paid is not None and now >= self._paid[2]:
                self._paid = None
                self._shown_sale = None
            if self._message is not None and now >= self._message.until:
                self._message = None
            self._publish()

    def set_lang(self, lang: str) -> None:
        with self._lock:
            if lang in texts.LANGS:
                self._lang = lang
                self._say("lang")
            else:
                self._say_error("bad_lang", lang=lang)
            self._publish()

    def _busy_refused(self) -> bool:
        if self._busy:
            self._say_error("busy")
        return self._busy

    def _info_message(self, zh: str, en: str) -> Message:
        return Message(zh, en, "info", self._clock() + MESSAGE_S)

    def _error_message(self, zh: str, en: str) -> Message:
        return Message(zh, en, "error", self._clock() + MESSAGE_S)

    def _say(self, code: str, /, **values: object) -> None:
        zh, en = texts.MESSAGES[code]
        self._message = self._info_message(zh.format(**values), en.format(**values))

    def _say_error(self, code: str, /, **values: object) -> None:
        zh, en = texts.MESSAGES[code]
        self._message = self._error_message(zh.format(**values), en.format(**values))

    def _refresh_protection(self) -> None:
        try:
            self._protection = self.store.protection()
        except StoreError as exc:  # keep the last known state; the next tick tries again
            log.warning("lock state not read: %s", exc)

    def _refused(self, refusal: Refusal) -> None:
        self._message = self._error_message(refusal.zh, refusal.en)

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, RefusedError):
            self._refused(exc.refusal)
        elif isinstance(exc, StoreError):
            self._message = self._error_message(exc.zh, exc.en)
        else:
            self._say_error("sale_failed", why=f"{type(exc).__name__}: {exc}")
