"""A fixed demonstration sale: the technician's test print, the benchmark and tests use it."""

from __future__ import annotations

from edge.core.records import Batch, Payment, PaymentMethod, PaymentStatus, Pricing, Sale, SaleLine
from edge.printer.ticket import TicketSettings

DEMO_CREATED_MS = 1_714_527_015_000  # 2024-05-01 09:30:15 Asia/Shanghai
DEMO_TRACE_CODE = "62010200124050100015"  # market 620102, scale 001, 2024-05-01, sale 0001

_LINES = (
    SaleLine("1001", "01010101", "白菜", Pricing.WEIGHT, 1235, 0, 1, 300, 371, "B20240501-01", "山东寿光"),
    SaleLine("3001", "03010201", "鸡蛋", Pricing.PIECE, 0, 0, 2, 1250, 2500, "B20240430-07", ""),
    SaleLine("1002", "01010305", "西红柿", Pricing.WEIGHT, 856, 0, 1, 680, 582, "B20240501-02", "甘肃榆中"),
    SaleLine("2001", "02010101", "猪肉(后腿)", Pricing.WEIGHT, 512, 0, 1, 2800, 1434, "B20240501-09", "甘肃定西"),
)

_BATCHES = tuple(
    Batch(batch_id, plu, supplier, node, f"{node}{batch_id[1:9]}{n:03d}", origin, f"JY-{n}", arrival)
    for n, (batch_id, plu, supplier, node, origin, arrival) in enumerate(
        (
            ("B20240501-01", "1001", "寿光蔬菜批发市场", "370783001", "山东寿光", "2024-05-01"),
            ("B20240430-07", "3001", "临洮禽蛋合作社", "621124002", "甘肃临洮", "2024-04-30"),
            ("B20240501-02", "1002", "榆中高原夏菜基地", "620123005", "甘肃榆中", "2024-05-01"),
            ("B20240501-09", "2001", "定西肉联厂", "621102001", "甘肃定西", "2024-05-01"),
        ),
        1,
    )
)


def demo_sale(
    lines: int = 3,
    *,
    sale_id: str = "demo-0001",
    seq: int = 1,
    trace_code: str = DEMO_TRACE_CODE,
    rounding_fen: int = 3,
) -> Sale:
    """A paid WeChat sale of the first ``lines`` demo lines (1..4), 抹零 ``rounding_fen``."""
    chosen = _LINES[:lines]
    total = sum(line.amount_fen for line in chosen) - rounding_fen
    return Sale(
        sale_id=sale_id,
        seq=seq,
        trace_code=trace_code,
        market_id="620102",
        scale_id="001",
        merchant_id="M0012",
        stall="A-12",
        operator="张三",
        created_ms=DEMO_CREATED_MS,
        lines=chosen,
        total_fen=total,
        rounding_fen=rounding_fen,
        payment=Payment(PaymentMethod.WECHAT, PaymentStatus.PAID, "wx4200001234"),
    )


def demo_batches() -> dict[str, Batch]:
    return {b.batch_id: b for b in _BATCHES}


def demo_settings(paper_mm: int = 58, lang: str = "zh", qr_mode: str = "native") -> TicketSettings:
    return TicketSettings(
        market_name="兰州东部综合批发市场",
        stall="A-12",
        merchant_name="张三蔬菜",
        trace_base_url="https://trace.example.cn",
        paper_mm=paper_mm,
        lang=lang,
        qr_mode=qr_mode,
    )
