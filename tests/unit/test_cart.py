"""Cart lines, checkout into a Sale, refunds, and the batch each line binds to."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from edge.core.batches import active_batches, no_active_batch, pick_batch, register_batch, require_batch
from edge.core.cart import MAX_LINES, Cart, SaleIdentity, build_refund, refundable_lines
from edge.core.metrology import ScaleConfig, SellableWeight, WeighingState
from edge.core.reading import Reading
from edge.core.records import Batch, Payment, PaymentMethod, PaymentStatus, Plu, Pricing, Sale
from edge.core.refusals import Refusal, RefusedError
from edge.core.tracecode import TraceCodeError, format_trace_code, make_trace_code

CABBAGE = Plu("1001", "白菜", "6901001", Pricing.WEIGHT, 398, category="蔬菜", name_en="Chinese cabbage")
PORK = Plu("2001", "五花肉", "6902001", Pricing.WEIGHT, 2800, category="肉类")
EGG = Plu("3001", "鸡蛋", "6903001", Pricing.PIECE, 80, category="蛋类")

CABBAGE_OLD = Batch("b-cab-1", "1001", "兰州蔬菜批发", "620100", "UP-1", "榆中县", "QC-1", "2025-03-01")
CABBAGE_NEW = Batch("b-cab-2", "1001", "兰州蔬菜批发", "620100", "UP-2", "榆中县", "QC-2", "2025-03-08")
PORK_BATCH = Batch("b-pork", "2001", "定点屠宰场", "620200", "UP-3", "临夏州", "动检-3", "2025-03-08")
EGG_BATCH = Batch("b-egg", "3001", "蛋品合作社", "620300", "UP-4", "永登县", "QC-4", "2025-03-07")

IDENTITY = SaleIdentity(market_id="m-620102", scale_id="s-001", merchant_id="M0001", stall="A-01", operator="王")
TODAY = date(2025, 3, 9)


def trace(seq: int) -> str:
    return make_trace_code("620102", 1, TODAY, seq)


def weight(net_g: int, tare_g: int = 0) -> SellableWeight:
    kind = "weighed" if tare_g else "none"
    return SellableWeight(net_g + tare_g, net_g, tare_g, kind, b"S S 1.235 kg\r\n")


def refused(call) -> Refusal:
    with pytest.raises(RefusedError) as caught:
        call()
    return caught.value.refusal


def checkout(cart: Cart, seq: int = 1, **extra) -> Sale:
    return cart.checkout(
        identity=IDENTITY,
        sale_id=f"sale-{seq}",
        seq=seq,
        trace_code=trace(seq),
        created_ms=1_741_500_000_000,
        software_id="edge 0.1 sha256:abcd",
        **extra,
    )


# --- lines ---------------------------------------------------------------------------------


def test_weighed_line_amount_comes_from_the_sellable_weight() -> None:
    cart = Cart().add_weighed(weight(1235), CABBAGE, CABBAGE_OLD)
    (line,) = cart.lines
    assert line.amount_fen == 492  # 1.235 kg x 3.98 yuan/kg = 4.9153 yuan
    assert (line.plu, line.goods_code, line.name, line.pricing) == ("1001", "6901001", "白菜", Pricing.WEIGHT)
    assert (line.net_g, line.tare_g, line.quantity, line.unit_price_fen) == (1235, 0, 1, 398)
    assert (line.batch_id, line.origin) == ("b-cab-1", "榆中县")


def test_tare_is_recorded_and_the_net_is_priced() -> None:
    (line,) = Cart().add_weighed(weight(1235, tare_g=265), CABBAGE, CABBAGE_OLD).lines
    assert (line.net_g, line.tare_g, line.amount_fen) == (1235, 265, 492)


def test_line_from_a_real_weighing_state() -> None:
    state = WeighingState(ScaleConfig(max_g=15_000, e_g=5))
    for _ in range(5):
        state.feed(Reading(gross_g=0, net_g=0, stable=True))
    for _ in range(5):
        state.feed(Reading(gross_g=2003, net_g=2003, stable=True, raw=b"S S 2.003 kg"))
    (line,) = Cart().add_weighed(state.sellable(), PORK, PORK_BATCH).lines
    assert line.net_g == 2005  # rounded to e = 5 g by the weighing rules
    assert line.amount_fen == 5614  # 2.005 kg x 28.00 yuan/kg


def test_a_refused_weight_is_raised_as_the_scales_own_reason() -> None:
    state = WeighingState(ScaleConfig(max_g=15_000, e_g=5))
    for _ in range(5):
        state.feed(Reading(gross_g=0, net_g=0, stable=True))
    state.feed(Reading(gross_g=1000, net_g=1000, stable=False))
    reason = refused(lambda: Cart().add_weighed(state.sellable(), CABBAGE, CABBAGE_OLD))
    assert reason.code == "unstable"


def test_weight_line_needs_a_sellable_weight() -> None:
    assert refused(lambda: Cart().add_weighed(None, CABBAGE, CABBAGE_OLD)).code == "no_sellable_weight"
    assert refused(lambda: Cart().add_weighed(weight(0), CABBAGE, CABBAGE_OLD)).code == "no_sellable_weight"


def test_pricing_kind_must_match_the_line_kind() -> None:
    reason = refused(lambda: Cart().add_weighed(weight(500), EGG, EGG_BATCH))
    assert reason.code == "piece_item_weighed" and "按件计价" in reason.zh
    reason = refused(lambda: Cart().add_piece(CABBAGE, 2, CABBAGE_OLD))
    assert reason.code == "weighed_item_counted" and "Chinese cabbage" in reason.en


def test_piece_lines() -> None:
    (line,) = Cart().add_piece(EGG, 12, EGG_BATCH).lines
    assert (line.pricing, line.net_g, line.tare_g, line.quantity, line.amount_fen) == (Pricing.PIECE, 0, 0, 12, 960)
    for bad in (0, -1, True, 2.0):
        assert refused(lambda bad=bad: Cart().add_piece(EGG, bad, EGG_BATCH)).code == "quantity_invalid"


def test_price_override_for_one_line() -> None:
    cart = Cart().add_weighed(weight(1000), CABBAGE, CABBAGE_OLD, unit_price_fen=350)
    cart = cart.add_piece(EGG, 2, EGG_BATCH, unit_price_fen=75)
    assert [(line.unit_price_fen, line.amount_fen) for line in cart.lines] == [(350, 350), (75, 150)]


def test_line_must_bind_to_an_active_batch_of_its_item() -> None:
    assert refused(lambda: Cart().add_weighed(weight(500), CABBAGE, PORK_BATCH)).code == "batch_wrong_item"
    stopped = replace(CABBAGE_OLD, active=False)
    assert refused(lambda: Cart().add_weighed(weight(500), CABBAGE, stopped)).code == "batch_inactive"


def test_cart_is_immutable_void_and_cancel() -> None:
    empty = Cart()
    one = empty.add_weighed(weight(1235), CABBAGE, CABBAGE_OLD)
    two = one.add_piece(EGG, 3, EGG_BATCH)
    three = two.add_weighed(weight(800), PORK, PORK_BATCH)
    assert (len(empty), len(one), len(two), len(three)) == (0, 1, 2, 3)
    voided = three.void(1)
    assert [line.plu for line in voided.lines] == ["1001", "2001"]
    assert len(three) == 3
    assert three.cancel() == Cart()
    with pytest.raises(IndexError):
        three.void(3)
    with pytest.raises(IndexError):
        three.void(-1)


def test_a_ticket_holds_at_most_max_lines() -> None:
    cart = Cart()
    for _ in range(MAX_LINES):
        cart = cart.add_piece(EGG, 1, EGG_BATCH)
    assert refused(lambda: cart.add_piece(EGG, 1, EGG_BATCH)).code == "cart_full"


# --- totals and checkout -------------------------------------------------------------------


def sample_cart() -> Cart:
    return (
        Cart()
        .add_weighed(weight(1235), CABBAGE, CABBAGE_OLD)  # 492
        .add_weighed(weight(505), PORK, PORK_BATCH)  # 1414
        .add_piece(EGG, 3, EGG_BATCH)  # 240
    )


@pytest.mark.parametrize(("mode", "payable", "rounding"), [("none", 2146, 0), ("jiao", 2140, 6), ("yuan", 2100, 46)])
def test_totals_with_rounding(mode: str, payable: int, rounding: int) -> None:
    totals = sample_cart().totals(mode)
    assert (totals.subtotal_fen, totals.payable_fen, totals.rounding_fen) == (2146, payable, rounding)


def test_checkout_builds_the_sale() -> None:
    cart = sample_cart()
    payment = Payment(PaymentMethod.WECHAT, PaymentStatus.PENDING, "wx-1")
    sale = checkout(cart, seq=7, rounding="jiao", payment=payment)
    assert (sale.sale_id, sale.seq, sale.trace_code) == ("sale-7", 7, trace(7))
    assert (sale.market_id, sale.scale_id, sale.merchant_id, sale.stall, sale.operator) == (
        "m-620102", "s-001", "M0001", "A-01", "王",
    )
    assert sale.lines == cart.lines
    assert (sale.total_fen, sale.rounding_fen) == (2140, 6)
    assert sale.payment == payment
    assert sale.software_id == "edge 0.1 sha256:abcd"
    assert sale.refund_of is None and not sale.printed and sale.signature == ""
    assert Sale.from_dict(sale.to_dict()) == sale


def test_checkout_defaults_to_paid_cash_without_rounding() -> None:
    sale = checkout(sample_cart())
    assert sale.payment == Payment()
    assert (sale.total_fen, sale.rounding_fen) == (2146, 0)


def test_empty_cart_cannot_check_out() -> None:
    reason = refused(lambda: checkout(Cart()))
    assert reason.code == "cart_empty"
    assert "请先" in reason.zh and "empty" in reason.en


def test_checkout_checks_the_record_fields() -> None:
    cart = sample_cart()
    wrong_check = trace(1)[:19] + str((int(trace(1)[19]) + 1) % 10)
    with pytest.raises(TraceCodeError):
        cart.checkout(identity=IDENTITY, sale_id="s", seq=1, trace_code=wrong_check, created_ms=0)
    with pytest.raises(ValueError, match="20 bare digits"):
        cart.checkout(identity=IDENTITY, sale_id="s", seq=1, trace_code=format_trace_code(trace(1)), created_ms=0)
    with pytest.raises(ValueError, match="seq starts at 1"):
        cart.checkout(identity=IDENTITY, sale_id="s", seq=0, trace_code=trace(1), created_ms=0)
    with pytest.raises(ValueError, match="sale_id"):
        cart.checkout(identity=IDENTITY, sale_id=" ", seq=1, trace_code=trace(1), created_ms=0)
    with pytest.raises(ValueError, match="created_ms"):
        cart.checkout(identity=IDENTITY, sale_id="s", seq=1, trace_code=trace(1), created_ms=-1)


def test_checkout_recomputes_amounts_of_a_hand_built_cart() -> None:
    line = sample_cart().lines[0]
    forged = Cart((replace(line, amount_fen=line.amount_fen - 100),))
    with pytest.raises(ValueError, match="does not match"):
        checkout(forged)


# --- refunds -------------------------------------------------------------------------------


def refund(original: Sale, seq: int, **extra) -> Sale:
    return build_refund(
        original, identity=IDENTITY, sale_id=f"refund-{seq}", seq=seq, trace_code=trace(seq), created_ms=1, **extra
    )


def test_full_refund_gives_back_what_was_paid() -> None:
    original = checkout(sample_cart(), rounding="yuan")  # lines 2146, paid 2100
    back = refund(original, 2)
    assert back.refund_of == original.sale_id
    assert [line.amount_fen for line in back.lines] == [-492, -1414, -240]
    assert [(line.net_g, line.quantity) for line in back.lines] == [(1235, 1), (505, 1), (0, 3)]
    assert (back.total_fen, back.rounding_fen) == (-2100, 46)
    assert back.total_fen == sum(line.amount_fen for line in back.lines) + back.rounding_fen
    assert back.payment == Payment(PaymentMethod.CASH, PaymentStatus.REFUNDED)
    assert (back.seq, back.trace_code, back.scale_id) == (2, trace(2), "s-001")
    assert Sale.from_dict(back.to_dict()) == back


def test_partial_refunds_never_give_back_more_than_was_paid() -> None:
    cart = Cart().add_weighed(weight(2588), CABBAGE, CABBAGE_OLD).add_piece(EGG, 1, EGG_BATCH)
    original = checkout(cart, rounding="yuan")  # lines 1030 + 80 = 1110, paid 1100
    first = refund(original, 2, line_indexes=[0])
    assert (first.total_fen, first.rounding_fen) == (-1030, 0)
    second = refund(original, 3, line_indexes=[1], previous_refunds=[first])
    assert (second.total_fen, second.rounding_fen) == (-70, 10)
    assert first.total_fen + second.total_fen == -original.total_fen
    assert refundable_lines(original, [first, second]) == ()
    assert refused(lambda: refund(original, 4, previous_refunds=[first, second])).code == "already_refunded"


def test_refunding_an_expensive_line_first_is_capped_at_the_amount_paid() -> None:
    cart = Cart().add_piece(EGG, 1, EGG_BATCH).add_piece(replace(EGG, unit_price_fen=1030), 1, EGG_BATCH)
    original = checkout(cart, rounding="yuan")  # lines 80 + 1030 = 1110, paid 1100
    big = refund(original, 2, line_indexes=[1])
    assert (big.total_fen, big.rounding_fen) == (-1030, 0)
    small = refund(original, 3, previous_refunds=[big])
    assert [line.plu for line in small.lines] == ["3001"]
    assert (small.total_fen, small.rounding_fen) == (-70, 10)


def test_identical_lines_are_refunded_one_for_one() -> None:
    cart = Cart().add_piece(EGG, 1, EGG_BATCH).add_piece(EGG, 1, EGG_BATCH)
    original = checkout(cart)
    first = refund(original, 2, line_indexes=[1])
    assert len(refundable_lines(original, [first])) == 1  # either one: they are the same
    second = refund(original, 3, previous_refunds=[first])
    assert len(second.lines) == 1 and second.total_fen == -80


def test_refund_refusals() -> None:
    original = checkout(sample_cart())
    first = refund(original, 2, line_indexes=[0])
    reason = refused(lambda: refund(original, 3, line_indexes=[0], previous_refunds=[first]))
    assert reason.code == "line_already_refunded" and "第 1 行" in reason.zh
    assert refused(lambda: refund(original, 3, line_indexes=[])).code == "refund_nothing"
    assert refused(lambda: refund(first, 3)).code == "refund_of_refund"
    unpaid = replace(original, payment=Payment(PaymentMethod.WECHAT, PaymentStatus.FAILED))
    assert refused(lambda: refund(unpaid, 3)).code == "refund_unpaid"
    elsewhere = replace(original, merchant_id="M0002")
    assert refused(lambda: refund(elsewhere, 3)).code == "refund_other_merchant"
    with pytest.raises(IndexError):
        refund(original, 3, line_indexes=[5])
    with pytest.raises(ValueError, match="repeat"):
        refund(original, 3, line_indexes=[1, 1])
    other = checkout(sample_cart(), seq=9)
    with pytest.raises(ValueError, match="is not a refund of"):
        refund(original, 3, previous_refunds=[refund(other, 4)])


# --- batches -------------------------------------------------------------------------------

BATCHES = [CABBAGE_NEW, PORK_BATCH, CABBAGE_OLD, replace(CABBAGE_OLD, batch_id="b-cab-0", active=False)]


def test_oldest_active_batch_is_picked() -> None:
    assert pick_batch(BATCHES, CABBAGE) == CABBAGE_OLD
    assert [b.batch_id for b in active_batches(BATCHES, "1001")] == ["b-cab-1", "b-cab-2"]
    same_day = replace(CABBAGE_OLD, batch_id="b-cab-1a")
    assert pick_batch([same_day, *BATCHES], CABBAGE) == CABBAGE_OLD  # then by batch id


def test_explicit_pick_wins_when_active_and_of_that_item() -> None:
    assert pick_batch(BATCHES, CABBAGE, "b-cab-2") == CABBAGE_NEW
    # an inactive pick or another item's batch is refused, never silently replaced
    for chosen in ("b-cab-0", "b-pork"):
        refusal = pick_batch(BATCHES, CABBAGE, chosen)
        assert isinstance(refusal, Refusal) and refusal.code == "batch_not_usable" and chosen in refusal.zh
    assert require_batch(BATCHES, PORK) == PORK_BATCH


def test_no_batch_asks_the_vendor_to_register_one() -> None:
    result = pick_batch(BATCHES, EGG)
    assert result == no_active_batch(EGG)
    assert "请先登记该商品的进货批次" in result.zh and "鸡蛋" in result.zh
    assert "register" in result.en
    assert refused(lambda: require_batch(BATCHES, EGG)).code == "no_active_batch"


def test_malformed_arrival_dates_sort_last() -> None:
    broken = replace(CABBAGE_OLD, batch_id="b-bad", arrival_date="yesterday")
    assert pick_batch([broken, CABBAGE_NEW], CABBAGE) == CABBAGE_NEW


def register(**fields) -> Batch:
    values = {
        "batch_id": "b-new", "plu": CABBAGE, "upstream_code": "SC-2025-0001", "arrival_date": TODAY, "today": TODAY,
    }
    return register_batch(**(values | fields))


def test_register_a_batch_at_the_scale() -> None:
    batch = register(supplier=" 兰州蔬菜批发 ", origin="榆中县\r\n", certificate="QC-9", supplier_node="620100")
    assert batch == Batch("b-new", "1001", "兰州蔬菜批发", "620100", "SC-2025-0001", "榆中县", "QC-9", "2025-03-09")
    assert pick_batch([batch], CABBAGE) == batch


def test_register_normalizes_one_of_our_trace_codes() -> None:
    upstream = make_trace_code("620100", 12, date(2025, 3, 8), 77)
    assert register(upstream_code=format_trace_code(upstream)).upstream_code == upstream


def test_register_refusals() -> None:
    assert refused(lambda: register(upstream_code="  ")).code == "batch_upstream_missing"
    typo = make_trace_code("620100", 12, date(2025, 3, 8), 77)
    typo = typo[:5] + str((int(typo[5]) + 1) % 10) + typo[6:]
    reason = refused(lambda: register(upstream_code=typo))
    assert reason.code == "batch_upstream_invalid" and "校验位不符" in reason.zh
    assert refused(lambda: register(arrival_date=date(2025, 3, 10))).code == "batch_arrival_future"
    assert refused(lambda: register(origin="x" * 200)).code == "batch_field_too_long"
    with pytest.raises(ValueError, match="batch_id"):
        register(batch_id="")
