"""A vendor's day beside selling: sign-in, own prices, goods-in, and stop-sale of the item's batch.

The rules live in edge.core (operators, prices, goodsin, batches) and the services in
edge.stall; this mixin turns their answers into the message bar and keeps the selected
item's batch honest when central stops it (停售): the bound batch stays bound and the
refusal shows at once, the next 累计 from it is refused (logged for central) and the
next batch offered, which the vendor confirms with 累计 again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edge.core.batches import stopped_check, stopped_notice
from edge.core.cart import Cart
from edge.core.goodsin import GoodsIn
from edge.core.operators import Operator
from edge.core.records import Batch, Plu
from edge.core.refusals import Refusal, RefusedError
from edge.store import StoreError
from edge.ui.model.merchant.base import ModelBase


def _signed_in(op: Operator) -> tuple[str, str]:
    return f"已登录：{op.name}（{op.role_zh}）", f"Signed in: {op.name} ({op.role})"


class StallTasks(ModelBase):
    _stall: Any = None  # edge.stall.wiring.Stall, once attached

    def attach_stall(self, stall: Any) -> None:
        self._stall = stall
        stall.route_paycodes(self._scans_are_paycodes)
        stall.subscribe_scans(self._on_scan)

    _paycode_wanted = False  # the 付款码 entry is open

    def want_paycode(self, wanted: bool) -> None:
        """The vendor opened (True) or closed (False) the 付款码 entry: meanwhile a scan is the code."""
        self._paycode_wanted = wanted

    def _scans_are_paycodes(self) -> bool:
        """The scanner reads the customer's 付款码: its entry is open or a payment is under way."""
        return self._paycode_wanted or (self._payments is not None and self._payments.active())

    def _on_scan(self, kind: str, value: Any) -> None:
        """A scan: a 付款码 pays (while paying); a card signs in (say so); a bad voucher says why."""
        if kind == "paycode":
            self.micropay(value)  # edge.ui.model.merchant.payment (the merchant model has both)
        elif kind == "signin" or isinstance(value, Refusal):
            self._answer(value, _signed_in)

    @property
    def stall(self) -> Any:
        return self._stall

    # --- sign-in, prices, goods-in (called by the screens; each answers on the message bar) --

    def sign_in(self, operator_id: str, pin: str) -> Operator | None:
        return self._answer(self._stall.sign_in(operator_id, pin), _signed_in)

    def sign_in_card(self, card: str) -> Operator | None:
        kind, value = self._stall.on_scan(card)
        if kind != "signin":
            value = Refusal("signin_failed", "卡号未登记，请店主在操作员名单里登记",
                            "This card is not registered; ask the merchant to register it.")  # fmt: skip
        return self._answer(value, _signed_in)

    def sign_out(self) -> Operator | None:
        gone = self._stall.signin.sign_out()
        return self._answer(gone, lambda op: (f"已交班：{op.name}", f"Signed out: {op.name}")) if gone else None

    def set_price(self, plu: str, price_fen: int | None) -> Plu | None:
        def said(item: Plu) -> tuple[str, str]:
            yuan = f"{item.unit_price_fen // 100}.{item.unit_price_fen % 100:02d}"
            return f"{item.name} 单价改为 {yuan} 元", f"{item.name_en or item.name}: now {yuan} CNY"

        return self._answer(self._stall.set_price(plu, price_fen), said)

    def register_goods_in(self, form: GoodsIn, plu: str) -> Batch | None:
        try:
            result = self._stall.goods_in(form, plu)
        except RefusedError as exc:
            result = exc.refusal
        return self._answer(result, lambda b: (f"进货已登记：批次 {b.batch_id}", f"Goods-in registered: {b.batch_id}"))

    def _answer(self, result: Any, said: Callable[[Any], tuple[str, str]]) -> Any:
        """The message bar says what happened; the result, or None after a refusal."""
        with self._lock:
            if isinstance(result, Refusal):
                self._refused(result)
                result = None
            else:
                self._message = self._info_message(*said(result))
            self._publish()
            return result

    # --- stop-sale of the selected item's batch --------------------------------------------

    def _pick_batch(self) -> None:
        bound = self._batch if isinstance(self._batch, Batch) else None
        if self._item is not None and bound is not None and bound.plu == self._item.plu:
            try:
                fresh = self.store.get_batch(bound.batch_id)
                check = stopped_check(fresh, self.store.active_batches(self._item.plu), self._item)
            except StoreError:
                check = None
            if check is not None:  # keep it bound: the next 累计 from it is refused (and logged)
                self._batch = fresh
                self._refused(stopped_notice(self._item.name, fresh, check[1]))
                return
        super()._pick_batch()

    def _with_current(self, cart: Cart) -> Cart:
        item, bound = self._item, self._batch if isinstance(self._batch, Batch) else None
        if item is not None and bound is not None:
            fresh = self.store.get_batch(bound.batch_id)
            check = stopped_check(fresh, self.store.active_batches(item.plu), item)
            if check is not None:
                refusal, offered = check
                if self._stall is not None:
                    self._stall.log_stopped_refusal(fresh, offered)
                self._batch = offered if offered is not None else refusal
                self._chosen_batch_id = offered.batch_id if offered is not None else None
                raise RefusedError(refusal)
        return super()._with_current(cart)
