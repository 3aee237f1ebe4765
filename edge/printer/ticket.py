"""Layout of a sale into a device-independent trace ticket (溯源票).

The layout decides what goes on which printed line and already fits every line to the
paper's columns (CJK = 2 columns); renderers (ESC/POS bytes, a raster image) only draw it.
Money is formatted from integer fen and weight from integer grams — no floats.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from edge.core.records import Batch, PaymentMethod, PaymentStatus, Pricing, Sale, SaleLine
from edge.core.tracecode import format_trace_code
from edge.core.units import format_kg
from edge.printer.textwidth import display_width, justify, wrap

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
PAPER = {58: (32, 384), 80: (48, 576)}  # paper mm -> (font A columns, dots per line)
QR_MODULE_DOTS = {58: 6, 80: 8}  # ~0.75 / 1 mm modules: phones read them from arm's length
QR_QUIET_MODULES = 4  # ISO 18004 quiet zone, drawn by image-mode QRs


class Align(StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True, slots=True)
class Text:
    """One printed line; ``width``/``height`` are GS ! multipliers. Already fits the paper."""

    text: str
    align: Align = Align.LEFT
    bold: bool = False
    width: int = 1
    height: int = 1


@dataclass(frozen=True, slots=True)
class Qr:
    data: str
    module_dots: int


@dataclass(frozen=True, slots=True)
class Feed:
    lines: int


@dataclass(frozen=True, slots=True)
class Cut:
    pass


Element = Text | Qr | Feed | Cut


@dataclass(frozen=True, slots=True)
class TicketSettings:
    """What the ticket says about where it was printed, and how to print it."""

    market_name: str
    stall: str
    merchant_name: str
    trace_base_url: str  # QR = f"{trace_base_url}/t/{code}"
    paper_mm: int = 58  # 58 | 80
    lang: str = "zh"  # "zh" | "en"
    qr_mode: str = "native"  # "native" (GS ( k) | "image" (GS v 0, printers without native QR)

    def __post_init__(self) -> None:
        if self.paper_mm not in PAPER:
            raise ValueError(f"paper_mm must be 58 or 80, got {self.paper_mm}")
        if self.lang not in LABELS:
            raise ValueError(f"lang must be 'zh' or 'en', got {self.lang!r}")
        if self.qr_mode not in ("native", "image"):
            raise ValueError(f"qr_mode must be 'native' or 'image', got {self.qr_mode!r}")

    @property
    def columns(self) -> int:
        return PAPER[self.paper_mm][0]

    @property
    def dots(self) -> int:
        return PAPER[self.paper_mm][1]


@dataclass(frozen=True, slots=True)
class Ticket:
    elements: tuple[Element, ...]
    columns: int
    dots: int
    qr_mode: str


LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "溯源票",
        "stall": "摊位：",
        "merchant": "商户：",
        "time": "时间：",
        "seq": "票号：",
        "net": "净重 ",
        "qty": "数量 ",
        "piece": "件",
        "kg": "kg",
        "times": " × ",
        "per_kg": "元/kg",
        "per_piece": "元/件",
        "yuan": "元",
        "origin": "产地：",
        "batch": "批次：",
        "supplier": "供应商：",
        "subtotal": "小计",
        "rounding": "抹零",
        "total": "合计",
        "payment": "支付：",
        "code": "追溯码",
        "footer": "扫码查看商品来源 / Scan to trace",
    },
    "en": {
        "title": "TRACE TICKET",
        "stall": "Stall: ",
        "merchant": "Merchant: ",
        "time": "Time: ",
        "seq": "No. ",
        "net": "Net ",
        "qty": "Qty ",
        "piece": " pcs",
        "kg": " kg",
        "times": " x ",
        "per_kg": " CNY/kg",
        "per_piece": " CNY/pc",
        "yuan": " CNY",
        "origin": "Origin: ",
        "batch": "Batch: ",
        "supplier": "Supplier: ",
        "subtotal": "Subtotal",
        "rounding": "Rounding",
        "total": "Total",
        "payment": "Payment: ",
        "code": "Trace code",
        "footer": "Scan the QR to trace the goods",
    },
}
REPRINT = "重打 / REPRINT"
REFUND = "退货 / REFUND"

METHODS = {
    "zh": {
        PaymentMethod.CASH: "现金",
        PaymentMethod.WECHAT: "微信支付",
        PaymentMethod.ALIPAY: "支付宝",
        PaymentMethod.UNIONPAY: "云闪付",
        PaymentMethod.STATIC_QR: "收款码",
    },
    "en": {
        PaymentMethod.CASH: "cash",
        PaymentMethod.WECHAT: "WeChat Pay",
        PaymentMethod.ALIPAY: "Alipay",
        PaymentMethod.UNIONPAY: "UnionPay",
        PaymentMethod.STATIC_QR: "static QR",
    },
}
STATUSES = {
    "zh": {
        PaymentStatus.PAID: "已支付",
        PaymentStatus.PENDING: "待支付",
        PaymentStatus.UNCONFIRMED: "待确认",
        PaymentStatus.FAILED: "支付失败",
        PaymentStatus.REFUNDED: "已退款",
    },
    "en": {
        PaymentStatus.PAID: "paid",
        PaymentStatus.PENDING: "pending",
        PaymentStatus.UNCONFIRMED: "unconfirmed",
        PaymentStatus.FAILED: "failed",
        PaymentStatus.REFUNDED: "refunded",
    },
}


def format_fen(fen: int) -> str:
    """Integer fen as yuan with two decimals: 371 -> "3.71", -4 -> "-0.04"."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{cents:02d}"


def group_trace_code(code: str) -> str:
    """``NNNNNN SSS YYMMDD QQQQ C`` for reading aloud/typing; other shapes are printed as they are."""
    try:
        return format_trace_code(code)
    except ValueError:
        return code  # e.g. an upstream platform's code on a registered batch: print it verbatim


def trace_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/t/{code}"


def local_time(created_ms: int) -> str:
    return datetime.fromtimestamp(created_ms / 1000, UTC).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _qr_module_dots(data: str, paper_mm: int, dots: int) -> int:
    """The paper's module size, shrunk if a long URL needs a QR version too wide for the paper."""
    # byte-mode capacity at error correction M, versions 1..10
    capacity = (14, 26, 42, 62, 84, 106, 122, 152, 180, 213)
    nbytes = len(data.encode("utf-8"))
    version = next((v for v, cap in enumerate(capacity, 1) if nbytes <= cap), 20)
    modules = 17 + 4 * version + 2 * QR_QUIET_MODULES
    return max(1, min(QR_MODULE_DOTS[paper_mm], dots // modules))


class _Builder:
    def __init__(self, settings: TicketSettings) -> None:
        self.cols = settings.columns
        self.out: list[Element] = []

    def line(self, text: str, *, align: Align = Align.LEFT, bold: bool = False, w: int = 1, h: int = 1) -> None:
        for part in wrap(text, self.cols // w):
            self.out.append(Text(part, align, bold, w, h))

    def wrapped(self, text: str, indent: int = 0) -> None:
        for part in wrap(text, self.cols, indent):
            self.out.append(Text(part))

    def pair(self, left: str, right: str, *, bold: bool = False, h: int = 1) -> None:
        for part in justify(left, right, self.cols):
            self.out.append(Text(part, bold=bold, height=h))

    def fields(self, parts: list[str], indent: int) -> None:
        """Short fields share a line when it holds them all (80 mm), else one line each."""
        parts = [p for p in parts if p]
        joined = " " * indent + "  ".join(parts)
        if parts and display_width(joined) <= self.cols:
            self.out.append(Text(joined))
            return
        for part in parts:
            self.wrapped(" " * indent + part, indent=indent + 2)

    def rule(self) -> None:
        self.out.append(Text("-" * self.cols))


def _sale_line(b: _Builder, line: SaleLine, batch: Batch | None, lab: dict[str, str]) -> None:
    b.pair(line.name, format_fen(line.amount_fen) + lab["yuan"], bold=True)
    if line.pricing is Pricing.PIECE:
        qty = f"{lab['qty']}{line.quantity}{lab['piece']}"
        price = format_fen(line.unit_price_fen) + lab["per_piece"]
    else:
        qty = f"{lab['net']}{format_kg(line.net_g)}{lab['kg']}"
        price = format_fen(line.unit_price_fen) + lab["per_kg"]
    b.wrapped(f"  {qty}{lab['times']}{price}", indent=4)
    origin = line.origin or (batch.origin if batch else "")
    b.fields(
        [
            lab["origin"] + origin if origin else "",
            lab["batch"] + line.batch_id if line.batch_id else "",
            lab["supplier"] + batch.supplier if batch and batch.supplier else "",
        ],
        indent=2,
    )


def layout_ticket(
    sale: Sale,
    batches: Mapping[str, Batch],
    settings: TicketSettings,
    *,
    reprint: bool = False,
) -> Ticket:
    """Every printed line of the trace ticket for ``sale``; ``batches`` maps batch_id -> Batch."""
    lab = LABELS[settings.lang]
    b = _Builder(settings)

    b.line(settings.market_name, align=Align.CENTER, bold=True, h=2)
    b.line(lab["title"], align=Align.CENTER, bold=True, w=2, h=2)
    if reprint:
        b.line(REPRINT, align=Align.CENTER, bold=True)
    if sale.refund_of:
        b.line(REFUND, align=Align.CENTER, bold=True)
    b.rule()
    stall = settings.stall or sale.stall
    if stall:
        b.wrapped(lab["stall"] + stall, indent=2)
    if settings.merchant_name:
        b.wrapped(lab["merchant"] + settings.merchant_name, indent=2)
    b.wrapped(lab["time"] + local_time(sale.created_ms))
    b.wrapped(f"{lab['seq']}{sale.seq}")
    b.rule()

    for line in sale.lines:
        _sale_line(b, line, batches.get(line.batch_id), lab)
    b.rule()

    if sale.rounding_fen:
        b.pair(lab["subtotal"], format_fen(sale.total_fen + sale.rounding_fen) + lab["yuan"])
        b.pair(lab["rounding"], format_fen(-sale.rounding_fen) + lab["yuan"])
    b.pair(lab["total"], format_fen(sale.total_fen) + lab["yuan"], bold=True, h=2)
    method = METHODS[settings.lang].get(sale.payment.method, str(sale.payment.method))
    status = STATUSES[settings.lang].get(sale.payment.status, str(sale.payment.status))
    b.wrapped(f"{lab['payment']}{method} {status}")
    b.rule()

    b.line(lab["code"], align=Align.CENTER)
    b.line(group_trace_code(sale.trace_code), align=Align.CENTER, bold=True)
    url = trace_url(settings.trace_base_url, sale.trace_code)
    b.out.append(Qr(url, _qr_module_dots(url, settings.paper_mm, settings.dots)))
    b.out.append(Feed(1))  # a quiet zone under the QR so phone scanners find its edge
    b.line(lab["footer"], align=Align.CENTER)
    b.out.append(Feed(4))  # the cutter sits a few lines above the print head
    b.out.append(Cut())
    return Ticket(tuple(b.out), settings.columns, settings.dots, settings.qr_mode)


def max_line_width(ticket: Ticket) -> int:
    """Widest text line in columns (CJK = 2, doubled by GS ! width) — for checks and tests."""
    return max((display_width(e.text) * e.width for e in ticket.elements if isinstance(e, Text)), default=0)
