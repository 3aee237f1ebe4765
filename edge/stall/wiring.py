"""The vendor's-day services of one scale, built from edge.toml ``[stall]`` and wired to the app.

:class:`Stall` owns sign-in, the vendor's prices, the goods-in desk and the serial
scanner. A scanned code is the customer's 付款码 while a payment is under way (the vendor
scans the customer's phone with the same scanner), else a sign-in card when it is one of
the operators' cards, otherwise an upstream voucher for the goods-in form
(:attr:`Stall.voucher`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edge.checkout import Checkout, now_ms
from edge.config import EdgeConfig
from edge.core.batches import active_batches, batch_stopped
from edge.core.cart import Cart
from edge.core.goodsin import GoodsIn, Voucher, parse_voucher, scanned_text
from edge.core.operators import Operator
from edge.core.records import Batch, Plu
from edge.core.refusals import Refusal, RefusedError
from edge.device_key import DeviceKey
from edge.scanner import SerialScanner
from edge.stall.goodsin import GoodsInDesk
from edge.stall.prices import VendorPrices
from edge.stall.signin import SignIn, load_operators
from edge.store import Store

log = logging.getLogger(__name__)

STOPPED_REFUSAL_EVENT = "sale.refused_stopped_batch"  # central's queries read it by this name


class Stall:
    def __init__(
        self,
        config: EdgeConfig,
        store: Store,
        key: DeviceKey,
        checkout: Checkout,
        *,
        on_catalog_changed: Callable[[], None] = lambda: None,
        clock_ms: Callable[[], int] = now_ms,
    ) -> None:
        ident, stall = config.identity, config.stall
        path = config.path(stall.operators_file) if stall.operators_file else None
        self.store = store
        self.clock_ms = clock_ms
        self.signin = SignIn(
            store,
            operators_or_none(path, stall.signin_required),
            clock_ms,
            required=stall.signin_required,
            fallback=ident.operator,
        )
        self.prices = VendorPrices(store, key, ident.scale_id, ident.merchant_id, clock_ms)
        self.desk = GoodsInDesk(
            store,
            key,
            scale_id=ident.scale_id,
            merchant_id=ident.merchant_id,
            id_prefix=f"{ident.market_code}{ident.scale_no:03d}",
            clock_ms=clock_ms,
        )
        self.checkout = checkout
        checkout.may_sell = self.may_sell
        checkout.set_operator(self.signin.operator_id)
        self.signin.subscribe(lambda _op: checkout.set_operator(self.signin.operator_id))
        self.on_catalog_changed = on_catalog_changed
        self.voucher: Voucher | None = None  # the last scanned voucher, for the goods-in form
        self._scan_listeners: list[Callable[[str, Any], None]] = []
        self._paying: Callable[[], bool] = lambda: False  # the merchant model's (route_paycodes)
        self.scanner = (
            SerialScanner(config.path(stall.scanner_port).as_posix() if "://" not in stall.scanner_port
                          else stall.scanner_port, self.on_scan, baud=stall.scanner_baud)
            if stall.scanner_port else None
        )  # fmt: skip

    def start(self) -> None:
        if self.scanner is not None:
            self.scanner.start()

    def stop(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()

    def subscribe_scans(self, listener: Callable[[str, Any], None]) -> None:
        """``listener(kind, value)``: ("signin", Operator | Refusal), ("voucher", Voucher | Refusal)
        or ("paycode", the code) while paying."""
        self._scan_listeners.append(listener)

    def route_paycodes(self, paying: Callable[[], bool]) -> None:
        """While ``paying()`` is true a scan is the customer's 付款码 (kind "paycode", the
        code), never a card or a voucher: at the checkout the vendor's scanner reads the phone."""
        self._paying = paying

    def on_scan(self, code: str) -> tuple[str, Any]:
        """A code from a scanner (serial, or a HID scanner typing into a field or the console)."""
        result: tuple[str, Any]
        if self._paying():
            result = ("paycode", scanned_text(code))
        elif self.signin.by_card(code) is not None:
            result = ("signin", self.signin.sign_in(card=code))
        else:
            try:
                self.voucher = parse_voucher(code)
                result = ("voucher", self.voucher)
            except RefusedError as exc:
                result = ("voucher", exc.refusal)
        for listener in self._scan_listeners:
            try:
                listener(*result)
            except Exception:
                log.exception("scan listener failed")
        return result

    def may_sell(self, cart: Cart) -> Refusal | None:
        """Checked at every commit: someone signed in (if required), no line from a stopped batch."""
        refusal = self.signin.check_may_sell()
        if refusal is not None:
            return refusal
        for n, line in enumerate(cart.lines, 1):
            batch = self.store.get_batch(line.batch_id) if line.batch_id else None
            if batch is not None and batch.stopped:
                offered = next(iter(active_batches(self.store.active_batches(line.plu), line.plu)), None)
                self.log_stopped_refusal(batch, offered)
                return batch_stopped(line.name, batch, offered, line_no=n)
        return None

    # --- actions the screens and the console share ----------------------------------------

    def set_price(self, plu: str, price_fen: int | None) -> Plu | Refusal:
        result = self.prices.set_price(plu, price_fen, self.signin.operator_id)
        if isinstance(result, Plu):
            self.on_catalog_changed()
        return result

    def goods_in(self, form: GoodsIn, plu: str) -> Batch | Refusal:
        if not form.upstream_code.strip() and self.voucher is not None:
            form = dataclasses.replace(form, upstream_code=self.voucher.code)
        result = self.desk.register(form, plu, self.signin.operator_id)
        if isinstance(result, Batch):
            self.voucher = None
            self.on_catalog_changed()
        return result

    def sign_in(self, operator_id: str, pin: str) -> Operator | Refusal:
        return self.signin.sign_in(operator_id=operator_id, pin=pin)

    def log_stopped_refusal(self, batch: Batch, offered: Batch | None) -> None:
        """The refusal of a line from a stopped batch: an event-log entry, uploaded to central."""
        self.store.append_event(
            STOPPED_REFUSAL_EVENT,
            {"batch_id": batch.batch_id, "plu": batch.plu, "reason": batch.stop_reason,
             "offered": offered.batch_id if offered else "", "operator": self.signin.operator_id},
            self.clock_ms(),
        )  # fmt: skip


def operators_or_none(path: Path | None, required: bool) -> tuple[Operator, ...]:
    """The operators file; a missing one only disables sign-in, unless sign-in is required
    (then the scale must not start). A file that is there but wrong always stops it."""
    if path is not None and not path.exists() and not required:
        log.warning("operators file %s not found: nobody can sign in (sales carry [identity].operator)", path)
        return ()
    return load_operators(path)
