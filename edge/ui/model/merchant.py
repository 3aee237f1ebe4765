"""MerchantModel: the vendor's screen as plain Python (docs/ui.md); no Kivy here.

Inputs arrive from several threads (scale driver, print worker, sync poller, the UI);
one lock serialises them. Every change builds a new :class:`MerchantView` and
:class:`CustomerView` and hands both to the subscribers, still under the lock so they
arrive in order: subscribers must be quick (schedule onto the UI thread, queue a write).

Selling rules stay in ``edge.core`` (metrology, cart, batches) and ``edge.checkout``:
this class only decides what to show and turns refusals into messages. A vendor mistake
never raises; it sets ``message`` (kind ``error``) in the current language.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from edge import runtime
from edge.checkout import Checkout, local_date
from edge.config import EdgeConfig
from edge.core.batches import active_batches, pick_batch
from edge.core.cart import Cart
from edge.core.catalog import Catalog
from edge.core.metrology import WeighingState, display_text
from edge.core.payment import QR_METHODS, PaymentMessageError, code_provider
from edge.core.pricing import piece_amount_fen, weight_amount_fen
from edge.core.protection import banner_texts
from edge.core.reading import Reading
from edge.core.records import Batch, Payment, PaymentMethod, PaymentStatus, Plu, Pricing, Sale
from edge.core.refusals import Refusal, RefusedError
from edge.core.report import DailyReport
from edge.core.tracecode import format_trace_code
from edge.printer.queue import PrintWorker
from edge.printer.status import PrinterStatus
from edge.scale_driver.driver import LinkState, LinkStatus
from edge.store import Store, StoreError
from edge.ui.model import texts
from edge.ui.model.views import (
    CartLineView,
    CustomerView,
    ItemPanel,
    KeyView,
    MerchantView,
    PaymentPanel,
    WeightPanel,
)

log = logging.getLogger(__name__)

Subscriber = Callable[[MerchantView, CustomerView], None]

PAGE_SIZE = 24  # hotkey grid cells per page (the Kivy grid is 6 x 4)
SEARCH_LIMIT = 20
MESSAGE_S = 6.0  # a message stays this long (or until the next action)
PAID_SHOW_S = 5.0  # the customer sees "paid" this long after a sale
MAX_QUANTITY = 999
_NO_WEIGHT = Reading(gross_g=0, net_g=0, has_weight=False)


@dataclass(frozen=True, slots=True)
class _Message:
    zh: str
    en: str
    kind: str  # "info" | "error"
    until: float  # monotonic time it disappears

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True, slots=True)
class _PaymentShown:
    qr_content: str
    amount_fen: int
    deadline: float  # monotonic; math.inf: no countdown (the static code)


class MerchantModel:
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
        self._message: _Message | None = None
        self._busy = False
        self._link: LinkStatus | None = None
        self._printer_status: PrinterStatus | None = None
        self._sync: tuple[str, dict[str, object]] = ("sync_off", {})
        self._payment: _PaymentShown | None = None
        self._paid: tuple[Sale | None, int, float] | None = None  # (sale, amount, until)
        self._shown_sale: Sale | None = None  # committed, awaiting payment on the customer screen
        self._payments: Any = None  # edge.payment.PaymentService, once attached
        self._pay_state: tuple[str, str, frozenset[str]] | None = None  # (stage, method, actions)
        kept = store.get_setting(runtime.ZERO_STATE_KEY)
        self._kept_zero: tuple[int, int] | None = tuple(kept) if kept else None  # type: ignore[assignment]
        self._protection = store.protection()  # refreshed by tick() and after a refused sale
        self._seq = 0
        self._merchant = MerchantView()
        self._customer = CustomerView()
        self._publish(force=True)

    @classmethod
    def from_config(
        cls, config: EdgeConfig, store: Store, printer: PrintWorker | None = None, **kwargs: object
    ) -> MerchantModel:
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

    # --- subscribers ---------------------------------------------------------------------

    def subscribe(self, callback: Subscriber, *, replay: bool = True) -> None:
        """``callback(merchant, customer)`` after every change (and now, with ``replay``)."""
        with self._lock:
            self._subscribers.append(callback)
            if replay:
                self._deliver(callback)

    def attach_payments(self, payments: Any) -> None:
        """QR payments through ``payments`` (edge.payment.PaymentService): checkout with a
        QR method then asks central for the QR; without it such a sale just stays pending."""
        self._payments = payments

    def on_commit(self, hook: Callable[[Sale], None]) -> None:
        """Called after every committed sale, outside the lock (e.g. wake the sync service)."""
        self._commit_hooks.append(hook)

    def snapshot(self) -> tuple[MerchantView, CustomerView]:
        with self._lock:
            return self._merchant, self._customer

    @property
    def lang(self) -> str:
        return self._lang

    def sellable_now(self) -> bool:
        """Whether the weight on the platter may be sold right now (stable, >= Min, <= Max)."""
        with self._lock:
            return self.state.view.blocked is None

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    # --- inputs from the parts -------------------------------------------------------------

    def on_reading(self, reading: Reading) -> None:
        """Every reading of the weighing module (driver thread)."""
        with self._lock:
            self.state.feed(reading)
            self._keep_zero()
            self._publish()

    def on_link_status(self, status: LinkStatus) -> None:
        with self._lock:
            self._link = status
            if status.state is not LinkState.ONLINE:
                # The last reading is stale now: blank the weight so nothing is sold from it.
                self.state.feed(_NO_WEIGHT)
            self._publish()

    def on_printer_status(self, status: PrinterStatus) -> None:
        with self._lock:
            self._printer_status = status
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

    def reload_catalog(self) -> None:
        """After central replaced the catalog or the batch list."""
        with self._lock:
            self._catalog = runtime.catalog(self.store)
            if self._item is not None:
                self._item = self._catalog.get(self._item.plu)  # new price; None if withdrawn
                self._pick_batch()
            self._results = tuple(self._catalog.search(self._query, self.search_limit)) if self._query else ()
            self._page = min(self._page, self._page_count() - 1)
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

    # --- item selection ------------------------------------------------------------------

    def select_plu(self, plu: str) -> None:
        with self._lock:
            found = self._catalog.require(plu)
            if isinstance(found, Refusal):
                self._refused(found)
            else:
                self._select(found)
            self._publish()

    def press_hotkey(self, position: int) -> None:
        """A cell of the grid: a hotkey position, or (in a category) the item's 1-based place."""
        with self._lock:
            if self._category:
                items = self._catalog.in_category(self._category)
                found = items[position - 1] if 1 <= position <= len(items) else None
            else:
                found = self._catalog.by_hotkey(position)
            if found is None:
                self._say_error("bad_hotkey", n=position)
            else:
                self._select(found)
            self._publish()

    def show_page(self, n: int) -> None:
        with self._lock:
            if 0 <= n < self._page_count():
                self._page = n
            else:
                self._say_error("bad_page", n=n + 1)
            self._publish()

    def show_category(self, name: str) -> None:
        """``""`` goes back to the hotkey pages."""
        with self._lock:
            if name and name not in self._catalog.categories():
                self._say_error("bad_category", name=name)
            else:
                self._category, self._page = name, 0
            self._publish()

    def type_text(self, chars: str) -> None:
        with self._lock:
            self._set_query(self._query + chars)

    def backspace(self) -> None:
        with self._lock:
            self._set_query(self._query[:-1])

    def clear_query(self) -> None:
        with self._lock:
            self._set_query("")

    def pick_result(self, i: int) -> None:
        with self._lock:
            if 0 <= i < len(self._results):
                self._select(self._results[i])
            else:
                self._say_error("bad_result", n=i + 1)
            self._publish()

    def set_page_size(self, page_size: int) -> None:
        """Hotkey cells per page (the window decides how many fit); back to the first page."""
        if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
            raise ValueError(f"page size must be a positive integer, got {page_size!r}")
        with self._lock:
            self.page_size, self._page = page_size, 0
            self._publish()

    def set_quantity(self, quantity: int) -> None:
        """Pieces of the selected piece-priced item (default 1)."""
        with self._lock:
            if isinstance(quantity, int) and not isinstance(quantity, bool) and 1 <= quantity <= MAX_QUANTITY:
                self._quantity = quantity
            else:
                self._say_error("bad_quantity")
            self._publish()

    def batches_for_item(self) -> list[Batch]:
        """The selected item's active batches, oldest first (the one a line binds to first)."""
        with self._lock:
            if self._item is None:
                return []
            return active_batches(self.store.active_batches(self._item.plu), self._item.plu)

    def choose_batch(self, batch_id: str) -> None:
        with self._lock:
            if self._item is None:
                self._say_error("no_item")
            else:
                found = pick_batch(self.store.active_batches(self._item.plu), self._item, batch_id)
                if isinstance(found, Refusal):
                    self._refused(found)
                else:
                    self._chosen_batch_id, self._batch = batch_id, found
                    self._say("batch_chosen", batch=found.batch_id, origin=found.origin)
            self._publish()

    # --- weighing keys -------------------------------------------------------------------

    def press_zero(self) -> None:
        with self._lock:
            self._weighing_key(self.state.press_zero, "zeroed")

    def press_tare(self) -> None:
        with self._lock:
            self._weighing_key(self.state.press_tare, "tared")

    def preset_tare(self, tare_g: int) -> None:
        with self._lock:
            self._weighing_key(lambda: self.state.preset_tare(tare_g), "tared")

    def clear_tare(self) -> None:
        with self._lock:
            self.state.clear_tare()
            self._say("tare_cleared")
            self._publish()

    # --- the cart ------------------------------------------------------------------------

    def add_line(self) -> None:
        """累计: the selected item at the current sellable weight (or quantity) into the cart."""
        with self._lock:
            if not self._busy_refused():
                try:
                    self._cart = self._with_current(self._cart)
                except (RefusedError, StoreError) as exc:
                    self._failed(exc)
                else:
                    line = self._cart.lines[-1]
                    self._say(
                        "added",
                        name=line.name,
                        detail=texts.line_detail(line, self.state.config.e_g, self._lang),
                        amount=texts.amount_text(line.amount_fen),
                    )
                    self._clear_item()
            self._publish()

    def void_line(self, i: int) -> None:
        with self._lock:
            if not self._busy_refused():
                if 0 <= i < len(self._cart):
                    self._cart = self._cart.void(i)
                    self._say("voided", n=i + 1)
                else:
                    self._say_error("no_line", n=i + 1)
            self._publish()

    def cancel_sale(self) -> None:
        if self._payments is not None and self._payments.active():
            self._payments.cancel()  # the sale stays recorded unpaid; an open order is closed
            return
        with self._lock:
            if not self._busy_refused():
                if self._cart.lines or self._item is not None or self._payment is not None:
                    self._cart = Cart()
                    self._clear_item()
                    self._payment = None
                    self._say("cancelled")
                else:
                    self._say_error("nothing_to_cancel")
            self._publish()

    def checkout(self, method: str = "cash") -> Sale | None:
        """Commit the cart (plus the item on the platter, if one is selected), then print.

        The sale is durable before the ticket is queued to the printer; a printer problem
        or being offline only shows a message. Cash is paid at once; other methods are
        committed as pending, and with payments attached a QR method then asks central for
        the QR (the ticket prints once the money has arrived).
        """
        pay_method = PaymentMethod(method)
        if self._payment_refused(method):
            return None
        sale = self._checkout(pay_method)
        if sale is not None and self._payments is not None and method in QR_METHODS:
            self._payments.begin_qr(sale, method)
        elif sale is not None and self._payments is not None and pay_method is PaymentMethod.STATIC_QR:
            self._payments.begin_static(sale)
        return sale

    def micropay(self, auth_code: str) -> Sale | None:
        """The customer's 付款码 (typed by the scanner): pays the payment under way, or
        checks out the cart with it. Returns the sale committed, if one was."""
        code = auth_code.strip()
        if self._payments is None:  # a stand-alone scale cannot reach any provider
            self._say_now("pay_offline", error=True)
            return None
        if self._payments.active():
            self._payments.micropay(code)
            return None
        try:
            provider = code_provider(code)
        except PaymentMessageError:
            self._say_now("pay_bad_code", error=True, n=len(code))
            return None
        if self._payment_refused(provider):
            return None
        sale = self._checkout(PaymentMethod(provider))
        if sale is not None:
            self._payments.begin_micropay(sale, code)
        return sale

    def pay_cash_instead(self) -> None:
        """改收现金: central closes the QR order first (the customer may have paid already)."""
        self._payment_action("cash")

    def use_static_qr(self) -> None:
        """静态码: the configured static code with the amount beside it (offline)."""
        self._payment_action("use_static")

    def confirm_static_paid(self) -> None:
        """已收款: the static-code payment arrived (recorded unconfirmed, then printed)."""
        self._payment_action("confirm_static")

    def _payment_action(self, name: str) -> None:
        if self._payments is None or not getattr(self._payments, name)():
            self._say_now("pay_none", error=True)

    def _payment_refused(self, method: str) -> bool:
        """Say why a checkout cannot start now (a payment under way, a method not enabled)."""
        payments = self._payments
        if payments is not None and payments.active():
            self._say_now("pay_busy", error=True)
            return True
        if payments is None:
            return False  # no payment service: a non-cash sale just stays pending
        if method == PaymentMethod.STATIC_QR and not self.config.payment.static_qr:
            self._say_now("pay_no_static", error=True)
            return True
        if method in QR_METHODS and method not in self.config.payment.methods:
            self._say_now("pay_method_off", error=True, method=method)
            return True
        return False

    def _checkout(self, pay_method: PaymentMethod) -> Sale | None:
        with self._lock:
            if self._busy_refused():
                self._publish()
                return None
            try:
                cart = self._with_current(self._cart) if self._item is not None else self._cart
            except (RefusedError, StoreError) as exc:
                self._failed(exc)
                self._publish()
                return None
            self._busy = True
            self._publish()
        status = PaymentStatus.PAID if pay_method is PaymentMethod.CASH else PaymentStatus.PENDING
        sale: Sale | None = None
        try:
            sale = self.committer.commit(cart, Payment(pay_method, status))
        except Exception as exc:  # disk full, database trouble or a bug: nothing was recorded
            log.log(logging.INFO if isinstance(exc, RefusedError) else logging.ERROR, "sale not recorded: %s", exc)
            with self._lock:
                self._busy = False
                self._failed(exc)
                if isinstance(exc, RefusedError):
                    self._refresh_protection()  # a lock refused it: the banner shows at once
                self._publish()
            return None
        with self._lock:
            self._busy = False
            self._after_sale(sale, cart)
            self._publish()
        if sale is not None:
            log.info("sale %s seq %d total %d fen committed", sale.trace_code, sale.seq, sale.total_fen)
            if self.printer is not None:
                self.printer.wake()
            for hook in self._commit_hooks:
                try:
                    hook(sale)
                except Exception:
                    log.exception("commit hook failed")
        return sale

    def reprint_last(self) -> None:
        with self._lock:
            try:
                sale = self.store.last_sale()
                if sale is None:
                    self._say_error("no_sale_yet")
                else:
                    self.store.enqueue_print(sale.sale_id, kind="reprint")
                    self._say("reprint_queued", code=format_trace_code(sale.trace_code))
            except StoreError as exc:
                self._message = self._error_message(exc.zh, exc.en)
            self._publish()
        if self.printer is not None:
            self.printer.wake()

    def daily_report(self, day: str | None = None) -> DailyReport:
        """日结 of ``day`` (YYYY-MM-DD, default today at the market)."""
        if day is None:
            day = local_date(self.committer.clock_ms()).date().isoformat()
        return self.store.daily_report(day)

    # --- payment (driven by the payment flow) ------------------------------------------------

    def show_payment(self, qr_content: str, amount_fen: int, timeout_s: float | None) -> None:
        """Show a payment QR on the customer screen with a countdown (None: no countdown)."""
        with self._lock:
            deadline = math.inf if timeout_s is None else self._clock() + timeout_s
            self._payment = _PaymentShown(qr_content, amount_fen, deadline)
            self._paid = None
            self._publish()

    def payment_done(self) -> None:
        """The payment arrived: the customer screen says "paid"."""
        with self._lock:
            sale = self._shown_sale
            amount = self._payment.amount_fen if self._payment else (sale.total_fen if sale else 0)
            self._payment = None
            self._paid = (sale, amount, self._clock() + PAID_SHOW_S)
            self._say("paid", total=texts.amount_text(amount))
            self._publish()

    def cancel_payment(self) -> None:
        with self._lock:
            self._payment = None
            self._publish()

    def payment_notice(self, code: str, values: dict[str, Any], error: bool) -> None:
        """A message from the payment flow (a key of texts.MESSAGES; amount_fen/method filled in)."""
        with self._lock:
            self._say_now(code, error=error, **values)

    def payment_state(self, sale_id: str, stage: str, method: str, actions: frozenset[str]) -> None:
        """Where the payment of the shown sale stands (the vendor's payment buttons)."""
        with self._lock:
            done = stage in ("paid", "cash", "static-unconfirmed", "cancelled")
            self._pay_state = None if done else (stage, method, actions)
            self._publish()

    def set_lang(self, lang: str) -> None:
        with self._lock:
            if lang in texts.LANGS:
                self._lang = lang
                self._say("lang")
            else:
                self._say_error("bad_lang", lang=lang)
            self._publish()

    # --- internals (called with the lock held) -----------------------------------------------

    def _select(self, plu: Plu) -> None:
        self._item = plu
        self._chosen_batch_id = None
        self._quantity = 1
        self._paid = None
        self._query, self._results = "", ()
        self._message = None
        self._pick_batch()
        if isinstance(self._batch, Refusal):
            self._refused(self._batch)  # say it now, not only when the vendor presses 累计

    def _pick_batch(self) -> None:
        if self._item is None:
            self._batch = None
            return
        try:
            batches = self.store.active_batches(self._item.plu)
        except StoreError as exc:
            log.warning("cannot read batches: %s", exc)
            batches = []
        self._batch = pick_batch(batches, self._item, self._chosen_batch_id)

    def _clear_item(self) -> None:
        self._item, self._batch, self._chosen_batch_id, self._quantity = None, None, None, 1

    def _with_current(self, cart: Cart) -> Cart:
        """``cart`` plus the selected item; the amount comes from the sellable weight, not the screen."""
        item = self._item
        if item is None:
            raise RefusedError(Refusal("no_item", *texts.MESSAGES["no_item"]))
        batch = pick_batch(self.store.active_batches(item.plu), item, self._chosen_batch_id)
        if isinstance(batch, Refusal):
            raise RefusedError(batch)
        if item.pricing is Pricing.WEIGHT:
            return cart.add_weighed(self.state.sellable(), item, batch)
        return cart.add_piece(item, self._quantity, batch)

    def _say_now(self, code: str, /, *, error: bool = False, **values: Any) -> None:
        """A message with payment values made readable (fen -> yuan, method -> its name), shown now."""
        with self._lock:
            zh, en = texts.MESSAGES[code]
            fen = values.pop("amount_fen", None)
            if fen is not None:
                values.setdefault("amount", texts.amount_text(int(fen)))
            names = texts.METHOD_NAMES.get(str(values.pop("method", "")), ("", ""))
            self._message = (self._error_message if error else self._info_message)(
                zh.format(method=names[0], **values), en.format(method=names[1], **values)
            )
            self._publish()

    def _after_sale(self, sale: Sale, cart: Cart) -> None:
        self._cart = Cart()
        self._clear_item()
        self._shown_sale = sale
        if sale.payment.status is PaymentStatus.PAID:
            self._paid = (sale, sale.total_fen, self._clock() + PAID_SHOW_S)
        values = {"total": texts.amount_text(sale.total_fen), "code": format_trace_code(sale.trace_code)}
        sold = (texts.MESSAGES["sold"][0].format(**values), texts.MESSAGES["sold"][1].format(**values))
        if sale.payment.status is PaymentStatus.PENDING:
            self._say("sold_waiting_payment", **values)  # no ticket before the money arrives
            return
        if self.printer is None:
            tail, kind = texts.MESSAGES["no_printer"], "info"
        elif (status := self._printer_status or self.printer.last_status) is not None and not status.ready:
            # Paper out, cover open, offline: the sale is kept, the ticket waits in the queue.
            zh, en = texts.MESSAGES["ticket_queued"]
            why = texts.split_bilingual
            tail, kind = (zh.format(why=why(status.message, "zh")), en.format(why=why(status.message, "en"))), "error"
        else:
            tail, kind = texts.MESSAGES["ticket_printing"], "info"
        self._message = _Message(f"{sold[0]}；{tail[0]}", f"{sold[1]}; {tail[1]}", kind, self._clock() + MESSAGE_S)

    def _weighing_key(self, press: Callable[[], Refusal | None], done: str) -> None:
        refusal = press()
        if refusal is not None:
            self._refused(refusal)
        elif done == "tared":
            self._say(done, tare=texts.kg_text(self.state.view.tare_g, self.state.config.e_g))
        else:
            self._say(done)
        self._keep_zero()
        self._publish()

    def _keep_zero(self) -> None:
        """Persist the zero when it changes (power-on zero, the zero key), for the next start."""
        zero = self.state.zero_state
        if zero is None or zero == self._kept_zero:
            return
        try:
            self.store.set_setting(runtime.ZERO_STATE_KEY, list(zero))
            self._kept_zero = zero
        except StoreError as exc:  # a full disk must not stop weighing; retried at the next change
            log.warning("zero not kept: %s", exc)

    def _busy_refused(self) -> bool:
        if self._busy:
            self._say_error("busy")
        return self._busy

    def _set_query(self, query: str) -> None:
        self._query = query
        self._results = tuple(self._catalog.search(query, self.search_limit)) if query else ()
        self._publish()

    def _page_count(self) -> int:
        if self._category:
            return max(1, -(-len(self._catalog.in_category(self._category)) // self.page_size))
        return self._catalog.hotkey_page_count(self.page_size)

    def _info_message(self, zh: str, en: str) -> _Message:
        return _Message(zh, en, "info", self._clock() + MESSAGE_S)

    def _error_message(self, zh: str, en: str) -> _Message:
        return _Message(zh, en, "error", self._clock() + MESSAGE_S)

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

    # --- snapshots ---------------------------------------------------------------------------

    def _publish(self, *, force: bool = False) -> None:
        merchant = self._build_merchant()
        customer = self._build_customer(merchant)
        customer_changed = force or replace(customer, seq=self._customer.seq) != self._customer
        if not customer_changed and merchant == self._merchant:
            return
        if customer_changed:
            self._seq += 1
        self._merchant = merchant
        self._customer = replace(customer, seq=self._seq)
        for callback in self._subscribers:
            self._deliver(callback)

    def _deliver(self, callback: Subscriber) -> None:
        try:
            callback(self._merchant, self._customer)
        except Exception:  # one broken screen must not stop the scale
            log.exception("snapshot subscriber failed")

    def _key(self, plu: Plu, position: int) -> KeyView:
        return KeyView(plu.plu, plu.name, texts.unit_price_text(plu.pricing, plu.unit_price_fen, self._lang), position)

    def _keys(self) -> tuple[KeyView | None, ...]:
        size = self.page_size
        if self._category:
            items = self._catalog.in_category(self._category)
            first = self._page * size
            return tuple(self._key(items[i], i + 1) if i < len(items) else None for i in range(first, first + size))
        cells = self._catalog.hotkey_page(self._page, size)
        first = self._page * size + 1
        return tuple(None if p is None else self._key(p, first + i) for i, p in enumerate(cells))

    def _weight_panel(self) -> tuple[WeightPanel, int | None]:
        """The panel, and the live net in grams when a weight is shown (else None)."""
        view = self.state.view
        shown = display_text(view, self.state.config)
        blocked = view.blocked
        if blocked is not None and blocked.code == "below_min" and view.net_g == 0:
            blocked = None  # an empty platter is not a problem to report
        panel = WeightPanel(
            weight_text=shown.weight_text,
            tare_text=shown.tare_text,
            stable=shown.stable,
            zero=shown.zero,
            net=shown.net,
            overload=shown.overload,
            underload=shown.underload,
            blocked_text=blocked.text(self._lang) if blocked is not None else "",
        )
        return panel, (view.net_g if shown.weight_text else None)

    def _item_panel(self, net_g: int | None) -> ItemPanel | None:
        item = self._item
        if item is None:
            return None
        price = item.unit_price_fen
        if item.pricing is Pricing.WEIGHT:
            # Live amount of the weight shown, stable or not; the line's amount is recomputed at 累计.
            amount = texts.amount_text(weight_amount_fen(net_g, price)) if net_g is not None and net_g > 0 else ""
        else:
            amount = texts.amount_text(piece_amount_fen(self._quantity, price))
        batch = self._batch if isinstance(self._batch, Batch) else None
        return ItemPanel(
            plu=item.plu,
            name=item.name,
            unit_price_text=texts.unit_price_text(item.pricing, price, self._lang),
            price_per_500g_text=texts.per_500g_text(item.pricing, price, self._lang),
            amount_text=amount,
            batch_id=batch.batch_id if batch else "",
            origin=batch.origin if batch else "",
            supplier=batch.supplier if batch else "",
            pricing=str(item.pricing),
        )

    def _line_views(self, sale_lines: tuple) -> tuple[CartLineView, ...]:
        e_g = self.state.config.e_g
        return tuple(
            CartLineView(i, line.name, texts.line_detail(line, e_g, self._lang), texts.amount_text(line.amount_fen))
            for i, line in enumerate(sale_lines)
        )

    def _build_merchant(self) -> MerchantView:
        weight, net_g = self._weight_panel()
        totals = self._cart.totals(self.config.ticket.rounding)
        if self._printer_status is None:
            printer = texts.status("printer_unknown", self._lang) if self.printer is not None else ""
        else:
            printer = texts.split_bilingual(self._printer_status.message, self._lang)
        sync_code, sync_values = self._sync
        message = self._message
        return MerchantView(
            weight=weight,
            item=self._item_panel(net_g),
            cart=self._line_views(self._cart.lines),
            subtotal_text=texts.amount_text(totals.subtotal_fen),
            rounding_text=texts.amount_text(totals.rounding_fen) if totals.rounding_fen else "",
            total_text=texts.amount_text(totals.payable_fen),
            keys=self._keys(),
            page=self._page,
            page_count=self._page_count(),
            categories=self._catalog.categories(),
            category=self._category,
            query=self._query,
            results=tuple(self._key(p, i) for i, p in enumerate(self._results)),
            message=message.text(self._lang) if message else "",
            message_kind="error" if message and message.kind == "error" else "info",
            printer_text=printer,
            sync_text=texts.status(sync_code, self._lang, **sync_values),
            link_text=self._link.text(self._lang) if self._link is not None else "",
            lang=self._lang,
            busy=self._busy,
            payment=self._payment_panel(),
            pay_methods=self.config.payment.methods if self._payments is not None else (),
            lock_text=banner_texts(self._protection, self._lang)[0],
        )

    def _payment_panel(self) -> PaymentPanel | None:
        if self._pay_state is None:
            return None
        stage, method, actions = self._pay_state
        sale = self._shown_sale
        amount = texts.amount_text(sale.total_fen) if sale is not None else ""
        return PaymentPanel(stage, method, amount, tuple(sorted(actions)))

    def _build_customer(self, merchant: MerchantView) -> CustomerView:
        ident = self.config.identity
        base = CustomerView(
            market_name=ident.market_name,
            stall=ident.stall,
            merchant_name=ident.merchant_name,
            lang=self._lang,
            weight_text=merchant.weight.weight_text,
            lock_text=banner_texts(self._protection, self._lang)[1],
        )
        if self._payment is not None:
            pay = self._payment
            sale = self._shown_sale
            left = 0 if math.isinf(pay.deadline) else max(0, math.ceil(pay.deadline - self._clock()))
            return replace(
                base,
                mode="payment",
                lines=self._line_views(sale.lines) if sale else merchant.cart,
                total_text=texts.amount_text(sale.total_fen) if sale else merchant.total_text,
                qr_content=pay.qr_content,
                qr_amount_text=texts.amount_text(pay.amount_fen),
                countdown_s=left,
            )
        if self._paid is not None:
            sale, amount, _ = self._paid
            return replace(
                base,
                mode="paid",
                lines=self._line_views(sale.lines) if sale else (),
                total_text=texts.amount_text(amount),
            )
        item = merchant.item
        view = self.state.view
        on_platter = view.has_weight and not view.at_zero
        if item is not None or on_platter:
            return replace(
                base,
                mode="weighing",
                item_name=item.name if item else "",
                origin=item.origin if item else "",
                unit_price_text=item.unit_price_text if item else "",
                amount_text=item.amount_text if item else "",
                lines=merchant.cart,
                total_text=merchant.total_text,
            )
        if merchant.cart:
            return replace(base, mode="cart", lines=merchant.cart, total_text=merchant.total_text)
        return base  # idle: market and stall
