"""The vendor's cart (累计): lines in, one :class:`Sale` out; and refunds of a committed sale.

A :class:`Cart` is immutable: every operation returns a new cart, so a screen can keep
the previous one (undo) and nothing else can change the lines under it. Line amounts
are computed here from the sellable weight (or the quantity) and the unit price, never
taken from what a screen showed, and checked once more when the sale is built.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from edge.core.metrology import SellableWeight
from edge.core.pricing import RoundingMode, apply_rounding, line_amount_fen
from edge.core.records import Batch, Payment, PaymentStatus, Plu, Pricing, Sale, SaleLine
from edge.core.refusals import Refusal, RefusedError
from edge.core.tracecode import parse_trace_code

MAX_LINES = 99  # one ticket; beyond this the vendor starts a second sale


def _refused(code: str, zh: str, en: str) -> RefusedError:
    return RefusedError(Refusal(code=code, zh=zh, en=en))


def _require_int(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class SaleIdentity:
    """Who sells: fixed per scale and merchant (from edge.toml ``[identity]``)."""

    market_id: str
    scale_id: str
    merchant_id: str
    stall: str
    operator: str = ""

    def sale_fields(self) -> dict[str, str]:
        """The sale record's identity fields, the same on every sale and refund of this scale."""
        return {
            "market_id": self.market_id,
            "scale_id": self.scale_id,
            "merchant_id": self.merchant_id,
            "stall": self.stall,
            "operator": self.operator,
        }


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal_fen: int  # sum of the line amounts
    rounding_fen: int  # 抹零, >= 0
    payable_fen: int  # subtotal - rounding: what the customer pays


@dataclass(frozen=True, slots=True)
class Cart:
    lines: tuple[SaleLine, ...] = ()

    # --- adding and removing lines ----------------------------------------------------------

    def add_weighed(
        self,
        weight: SellableWeight | Refusal | None,
        plu: Plu,
        batch: Batch,
        *,
        unit_price_fen: int | None = None,
    ) -> Cart:
        """Add a weight-priced line from a sellable weight (``WeighingState.sellable()``).

        A :class:`Refusal` in place of the weight is raised as it is (the scale's own reason);
        ``unit_price_fen`` overrides the catalog price (变价) for this line only.
        """
        if isinstance(weight, Refusal):
            raise RefusedError(weight)
        if plu.pricing is not Pricing.WEIGHT:
            raise _refused(
                "piece_item_weighed",
                f"“{plu.name}”按件计价，请输入数量，不要称重",
                f"{plu.name_en or plu.name} is sold by the piece; enter a quantity instead of weighing it.",
            )
        if not isinstance(weight, SellableWeight):
            raise _refused(
                "no_sellable_weight",
                "没有可交易的重量，请将商品放在秤盘上，等待重量稳定后再添加",
                "There is no sellable weight; put the goods on the platter and wait until the weight is stable.",
            )
        net_g = _require_int("net weight", weight.net_g)
        if net_g <= 0:
            raise _refused(
                "no_sellable_weight",
                "净重为零，请将商品放在秤盘上后再添加",
                "The net weight is zero; put the goods on the platter first.",
            )
        return self._with(_line(plu, batch, unit_price_fen, net_g=net_g, tare_g=weight.tare_g, quantity=1))

    def add_piece(self, plu: Plu, quantity: int, batch: Batch, *, unit_price_fen: int | None = None) -> Cart:
        """Add a piece-priced line of ``quantity`` pieces."""
        if plu.pricing is not Pricing.PIECE:
            raise _refused(
                "weighed_item_counted",
                f"“{plu.name}”按重量计价，请放到秤盘上称重",
                f"{plu.name_en or plu.name} is sold by weight; put it on the platter to weigh it.",
            )
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise _refused(
                "quantity_invalid",
                "数量必须是大于零的整数",
                "The quantity must be a whole number greater than zero.",
            )
        return self._with(_line(plu, batch, unit_price_fen, net_g=0, tare_g=0, quantity=quantity))

    def void(self, index: int) -> Cart:
        """Remove line ``index`` (0-based, as listed on the screen)."""
        _require_int("line index", index)
        if not 0 <= index < len(self.lines):
            raise IndexError(f"no line {index} in a cart of {len(self.lines)} lines")
        return Cart(self.lines[:index] + self.lines[index + 1 :])

    def cancel(self) -> Cart:
        """Drop every line (取消交易)."""
        return Cart()

    # --- totals and checkout -----------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def subtotal_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)

    def totals(self, rounding: RoundingMode | str = RoundingMode.NONE) -> Totals:
        subtotal = self.subtotal_fen
        payable, rounding_fen = apply_rounding(subtotal, rounding)
        return Totals(subtotal_fen=subtotal, rounding_fen=rounding_fen, payable_fen=payable)

    def checkout(
        self,
        *,
        identity: SaleIdentity,
        sale_id: str,
        seq: int,
        trace_code: str,
        created_ms: int,
        payment: Payment | None = None,
        software_id: str = "",
        rounding: RoundingMode | str = RoundingMode.NONE,
    ) -> Sale:
        """The :class:`Sale` for the store to commit (before printing or showing a payment QR)."""
        if not self.lines:
            raise _refused("cart_empty", "还没有添加商品，请先称重或选择商品", "The cart is empty; add an item first.")
        for line in self.lines:
            _check_amount(line)  # a cart built by hand must not smuggle in a screen's amount
        _check_sale_fields(sale_id, seq, trace_code, created_ms)
        totals = self.totals(rounding)
        return Sale(
            sale_id=sale_id,
            seq=seq,
            trace_code=trace_code,
            **identity.sale_fields(),
            created_ms=created_ms,
            lines=self.lines,
            total_fen=totals.payable_fen,
            rounding_fen=totals.rounding_fen,
            payment=payment if payment is not None else Payment(),
            software_id=software_id,
        )

    # --- helpers -----------------------------------------------------------------------------

    def _with(self, line: SaleLine) -> Cart:
        if len(self.lines) >= MAX_LINES:
            raise _refused(
                "cart_full",
                f"一笔交易最多 {MAX_LINES} 行，请先结账，再开始新的一笔",
                f"A sale holds at most {MAX_LINES} lines; check out, then start a new sale.",
            )
        return Cart((*self.lines, line))

    @staticmethod
    def _check_batch(plu: Plu, batch: Batch) -> None:
        if batch.plu != plu.plu:
            raise _refused(
                "batch_wrong_item",
                f"批次 {batch.batch_id} 不是“{plu.name}”的进货批次，请重新选择批次",
                f"Batch {batch.batch_id} is not a batch of {plu.name_en or plu.name}; choose another batch.",
            )
        if not batch.active:
            raise _refused(
                "batch_inactive",
                f"批次 {batch.batch_id} 已停用，请选择该商品的其他进货批次",
                f"Batch {batch.batch_id} is no longer active; choose another batch of this item.",
            )


def _line(plu: Plu, batch: Batch, unit_price_fen: int | None, *, net_g: int, tare_g: int, quantity: int) -> SaleLine:
    """A line of ``plu`` bound to ``batch``; the amount always computed here from weight or count."""
    Cart._check_batch(plu, batch)
    price = plu.unit_price_fen if unit_price_fen is None else unit_price_fen
    return SaleLine(
        plu=plu.plu,
        goods_code=plu.goods_code,
        name=plu.name,
        pricing=plu.pricing,
        net_g=net_g,
        tare_g=tare_g,
        quantity=quantity,
        unit_price_fen=price,
        amount_fen=line_amount_fen(plu.pricing, price, net_g=net_g, quantity=quantity),
        batch_id=batch.batch_id,
        origin=batch.origin,
    )


def _check_amount(line: SaleLine) -> None:
    expected = line_amount_fen(line.pricing, line.unit_price_fen, net_g=line.net_g, quantity=line.quantity)
    if line.amount_fen != expected:
        raise ValueError(f"line {line.plu}: amount {line.amount_fen} fen does not match its weight/price ({expected})")


def _check_sale_fields(sale_id: str, seq: int, trace_code: str, created_ms: int) -> None:
    if not isinstance(sale_id, str) or not sale_id.strip():
        raise ValueError("sale_id must be a non-empty id (a new UUID)")
    if _require_int("seq", seq) < 1:
        raise ValueError(f"seq starts at 1, got {seq}")
    if _require_int("created_ms", created_ms) < 0:
        raise ValueError(f"created_ms must be epoch milliseconds, got {created_ms}")
    if parse_trace_code(trace_code).code != trace_code:
        raise ValueError(f"trace code must be the 20 bare digits, got {trace_code!r}")


# --- refunds -------------------------------------------------------------------------------

_UNPAID = (PaymentStatus.PENDING, PaymentStatus.FAILED)


def refundable_lines(original: Sale, previous_refunds: Iterable[Sale] = ()) -> tuple[int, ...]:
    """Indexes of the original's lines not yet given back by ``previous_refunds``."""
    refunds = _own_refunds(original, previous_refunds)
    given_back = Counter(_as_original(line) for refund in refunds for line in refund.lines)
    left = []
    for index, line in enumerate(original.lines):
        if given_back[line] > 0:
            given_back[line] -= 1  # identical lines (two 500 g bags) are matched one for one
        else:
            left.append(index)
    return tuple(left)


def build_refund(
    original: Sale,
    *,
    identity: SaleIdentity,
    sale_id: str,
    seq: int,
    trace_code: str,
    created_ms: int,
    line_indexes: Sequence[int] | None = None,
    previous_refunds: Iterable[Sale] = (),
    payment: Payment | None = None,
    software_id: str = "",
) -> Sale:
    """A refund record (退款) of ``original``, for the store to commit as a new sale.

    ``line_indexes`` picks lines of the original (default: every line not yet refunded).
    Refund lines are the original lines with a negative ``amount_fen``; weights and
    quantities stay positive (what was given back). The customer gets back the lines'
    amount, but never more than they paid: what 抹零 waived is kept back, first from
    the refund that would overshoot, and shows as the refund's ``rounding_fen`` (>= 0),
    so ``total_fen == sum(amount_fen) + rounding_fen`` (all amounts negative).
    ``previous_refunds`` are the refunds already recorded for ``original``.
    """
    previous = _own_refunds(original, previous_refunds)
    _check_refundable(original, identity)
    left = refundable_lines(original, previous)
    if not left:
        raise _refused(
            "already_refunded",
            "这笔交易已全部退款",
            "Every line of this sale has already been refunded.",
        )
    chosen = _chosen_lines(original, left, line_indexes)
    _check_sale_fields(sale_id, seq, trace_code, created_ms)
    amount = sum(original.lines[i].amount_fen for i in chosen)
    paid_back = sum(-refund.total_fen for refund in previous)
    refund_total = max(0, min(amount, original.total_fen - paid_back))
    return Sale(
        sale_id=sale_id,
        seq=seq,
        trace_code=trace_code,
        **identity.sale_fields(),
        created_ms=created_ms,
        lines=tuple(replace(original.lines[i], amount_fen=-original.lines[i].amount_fen) for i in chosen),
        total_fen=-refund_total,
        rounding_fen=amount - refund_total,
        payment=payment or Payment(method=original.payment.method, status=PaymentStatus.REFUNDED),
        software_id=software_id,
        refund_of=original.sale_id,
    )


def _as_original(refund_line: SaleLine) -> SaleLine:
    return replace(refund_line, amount_fen=-refund_line.amount_fen)


def _own_refunds(original: Sale, refunds: Iterable[Sale]) -> tuple[Sale, ...]:
    refunds = tuple(refunds)
    for refund in refunds:
        if refund.refund_of != original.sale_id:
            raise ValueError(f"sale {refund.sale_id} is not a refund of {original.sale_id}")
    return refunds


def _check_refundable(original: Sale, identity: SaleIdentity) -> None:
    if original.refund_of is not None:
        raise _refused(
            "refund_of_refund",
            "这是一张退款单，不能再次退款",
            "This is a refund record; it cannot be refunded again.",
        )
    if (original.market_id, original.merchant_id) != (identity.market_id, identity.merchant_id):
        raise _refused(
            "refund_other_merchant",
            "只能退本商户的交易，请到原摊位办理退款",
            "Only this merchant's sales can be refunded here; go to the stall that made the sale.",
        )
    if original.payment.status in _UNPAID:
        raise _refused(
            "refund_unpaid",
            "原交易未付款，无需退款",
            "The original sale was never paid, so there is nothing to refund.",
        )


def _chosen_lines(original: Sale, left: tuple[int, ...], line_indexes: Sequence[int] | None) -> tuple[int, ...]:
    if line_indexes is None:
        return left
    chosen = tuple(line_indexes)
    if not chosen:
        raise _refused("refund_nothing", "请选择要退款的商品", "Choose the lines to refund.")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"line indexes repeat: {list(chosen)}")
    for index in chosen:
        _require_int("line index", index)
        if not 0 <= index < len(original.lines):
            raise IndexError(f"no line {index} in a sale of {len(original.lines)} lines")
        if index not in left:
            raise _refused(
                "line_already_refunded",
                f"第 {index + 1} 行“{original.lines[index].name}”已经退过款",
                f"Line {index + 1} ({original.lines[index].name}) has already been refunded.",
            )
    return tuple(sorted(chosen))
