"""Deterministic sample records for tests, benches and demos (never on the app's sale path).

``sale_builder`` returns the ``build(seq, daily_seq)`` callback commit_sale expects,
making a consistent sale: real trace code, line amounts from price x weight, totals
that add up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from edge.core.cart import SaleIdentity, build_refund
from edge.core.ids import sale_uuid
from edge.core.pricing import line_amount_fen
from edge.core.records import Batch, Payment, PaymentMethod, PaymentStatus, Plu, Pricing, Sale, SaleLine
from edge.core.tracecode import make_trace_code

MARKET_CODE = "620102"  # a Lanzhou district node code
SCALE_NO = 7

PLUS: tuple[Plu, ...] = (
    Plu("1001", "白菜", "0101001", Pricing.WEIGHT, 398, "蔬菜", 1, "Chinese cabbage"),
    Plu("1002", "土豆", "0101002", Pricing.WEIGHT, 460, "蔬菜", 2, "Potato"),
    Plu("2001", "猪肉", "0201001", Pricing.WEIGHT, 3280, "肉类", 3, "Pork"),
    Plu("3001", "鸡蛋（盒）", "0301001", Pricing.PIECE, 1500, "蛋类", 4, "Eggs (box)"),
)

BATCHES: tuple[Batch, ...] = tuple(
    Batch(
        batch_id=f"B-{p.plu}-01",
        plu=p.plu,
        supplier="兰州大青山农产品批发市场",
        supplier_node="620100",
        upstream_code="62010000120240512000" + p.plu[-1],
        origin="甘肃榆中",
        certificate=f"QC{p.plu}0001",
        arrival_date="2024-05-12",
    )
    for p in PLUS
)


def sample_line(plu: Plu, *, net_g: int = 1235, quantity: int = 1, tare_g: int = 0) -> SaleLine:
    if plu.pricing is Pricing.WEIGHT:
        quantity = 1
    else:
        net_g, tare_g = 0, 0
    amount = line_amount_fen(plu.pricing, plu.unit_price_fen, net_g=net_g, quantity=quantity)
    return SaleLine(
        plu=plu.plu,
        goods_code=plu.goods_code,
        name=plu.name,
        pricing=plu.pricing,
        net_g=net_g,
        tare_g=tare_g,
        quantity=quantity,
        unit_price_fen=plu.unit_price_fen,
        amount_fen=amount,
        batch_id=f"B-{plu.plu}-01",
        origin="甘肃榆中",
    )


def sale_builder(
    local_date: str,
    *,
    lines: int = 3,
    created_ms: int = 1_715_500_000_000,
    payment: Payment | None = None,
    refund_of: Sale | None = None,
    rounding_fen: int = 0,
) -> Callable[[int, int], Sale]:
    """A build callback. ``refund_of``: make a full refund record of that sale instead."""

    def build(seq: int, daily_seq: int) -> Sale:
        code = make_trace_code(MARKET_CODE, SCALE_NO, date.fromisoformat(local_date), daily_seq)
        if refund_of is not None:
            identity = SaleIdentity(refund_of.market_id, refund_of.scale_id, refund_of.merchant_id, refund_of.stall)
            return build_refund(
                refund_of,
                identity=identity,
                sale_id=sale_uuid(created_ms + seq),
                seq=seq,
                trace_code=code,
                created_ms=created_ms + seq,
                software_id="edge-0.1.0+test",
            )
        sale_lines = tuple(sample_line(PLUS[i % len(PLUS)], net_g=500 + 37 * i) for i in range(lines))
        rounding = rounding_fen
        pay = payment or Payment(PaymentMethod.CASH, PaymentStatus.PAID, "")
        return Sale(
            sale_id=sale_uuid(created_ms + seq),
            seq=seq,
            trace_code=code,
            market_id="lz-dongfanghong",
            scale_id=f"{MARKET_CODE}-{SCALE_NO:03d}",
            merchant_id="m-0042",
            stall="A-17",
            operator="王",
            created_ms=created_ms + seq,
            lines=sale_lines,
            total_fen=sum(line.amount_fen for line in sale_lines) - rounding,
            rounding_fen=rounding,
            payment=pay,
            software_id="edge-0.1.0+test",
            signature="",
        )

    return build
