"""Exact ESC/POS bytes of the trace ticket, line widths, paper sizes, English and image QR."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy
from PIL import Image

from edge.core.records import Batch, Payment, PaymentMethod, PaymentStatus, Pricing, Sale, SaleLine
from edge.printer import commands as cmd
from edge.printer.demo import demo_batches, demo_sale, demo_settings
from edge.printer.escpos_render import render_ticket
from edge.printer.ticket import TicketSettings, format_fen, group_trace_code, layout_ticket

GOLDEN = Path(__file__).parent.parent / "data" / "ticket_58_zh.bin"
URL = "https://trace.example.cn/t/62010200124050100015"

SETTINGS = TicketSettings(
    market_name="城关农贸市场",
    stall="A-12",
    merchant_name="张三蔬菜",
    trace_base_url="https://trace.example.cn",
)
SALE = Sale(
    sale_id="0b3f6c1e-8a6b-4f7e-9c1d-2f5a7e9b1c3d",
    seq=42,
    trace_code="62010200124050100015",
    market_id="620102",
    scale_id="001",
    merchant_id="M0012",
    stall="A-12",
    operator="张三",
    created_ms=1_714_527_015_000,  # 2024-05-01 01:30:15 UTC = 09:30:15 in Lanzhou
    lines=(
        SaleLine("1001", "01010101", "白菜", Pricing.WEIGHT, 1235, 0, 1, 300, 371, "B20240501-01", "山东寿光"),
        SaleLine("3001", "03010201", "鸡蛋", Pricing.PIECE, 0, 0, 2, 1250, 2500, "B20240430-07", ""),
    ),
    total_fen=2870,
    rounding_fen=1,
    payment=Payment(PaymentMethod.CASH, PaymentStatus.PAID),
)
BATCHES = {
    "B20240430-07": Batch(
        "B20240430-07", "3001", "临洮禽蛋合作社", "621124002", "62112400224043000071", "甘肃临洮", "JY-2", "2024-04-30"
    )
}


def gb(text: str) -> bytes:
    return text.encode("gb18030")


# --- a small independent reader of our ESC/POS output, to measure what really gets printed


def printed_lines(data: bytes) -> list[tuple[str, int]]:
    """(text, width multiplier) of every text line; fails on any command it does not know."""
    lines: list[tuple[str, int]] = []
    i, width, chinese, buf = 0, 1, False, b""
    while i < len(data):
        b = data[i]
        two = data[i : i + 2]
        if two == b"\x1b@":
            i += 2
        elif two in (b"\x1ba", b"\x1bE", b"\x1bd"):
            i += 3
        elif two == b"\x1d!":
            width = (data[i + 2] >> 4) + 1
            i += 3
        elif two == b"\x1c&":
            chinese, i = True, i + 2
        elif two == b"\x1c.":
            chinese, i = False, i + 2
        elif two == b"\x1dV":
            i += 3
        elif data[i : i + 3] == b"\x1d(k":
            i += 5 + int.from_bytes(data[i + 3 : i + 5], "little")
        elif data[i : i + 3] == b"\x1dv0":
            xb = int.from_bytes(data[i + 4 : i + 6], "little")
            rows = int.from_bytes(data[i + 6 : i + 8], "little")
            i += 8 + xb * rows
        elif b == 0x0A:
            lines.append((buf.decode("gb18030" if chinese else "ascii"), width))
            buf, i = b"", i + 1
        elif b < 0x20:
            raise AssertionError(f"unexpected control byte {b:#04x} at {i}")
        else:
            assert chinese or b < 0x80, f"non-ASCII byte {b:#04x} outside Chinese mode at {i}"
            buf += bytes([b])
            i += 1
    return lines


def columns(text: str) -> int:
    """Test-side measure: CJK (east Asian wide/full/ambiguous) = 2 columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WFA" else 1 for c in text)


# --- exact bytes


def test_golden_ticket_bytes() -> None:
    data = render_ticket(SALE, BATCHES, SETTINGS)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_bytes(data)
    assert data == GOLDEN.read_bytes(), "ticket bytes changed; review, then UPDATE_GOLDEN=1 to accept"


def test_key_slices() -> None:
    data = render_ticket(SALE, BATCHES, SETTINGS)
    # ESC @, centre, bold, double height, Chinese mode, then the market name in GB18030
    assert data.startswith(b"\x1b@\x1ba\x01\x1bE\x01\x1d!\x01\x1c&" + gb("城关农贸市场") + b"\n")
    assert gb("白菜") == b"\xb0\xd7\xb2\xcb"
    assert b"\x1c&" in data[: data.index(b"\xb0\xd7\xb2\xcb")]
    assert b"\xb0\xd7\xb2\xcb" + b" " * 22 + b"3.71" + gb("元") + b"\n" in data
    assert b"  " + gb("净重") + b" 1.235kg " + gb("×") + b" 3.00" + gb("元") + b"/kg\n" in data
    assert b"  " + gb("数量") + b" 2" + gb("件") + b" " + gb("×") + b" 12.50" + gb("元/件") + b"\n" in data
    assert gb("产地：山东寿光") in data and gb("产地：甘肃临洮") in data  # 2nd from its batch
    assert gb("批次：") + b"B20240501-01" in data
    assert gb("时间：") + b"2024-05-01 09:30:15\n" in data
    assert gb("抹零") + b" " * 21 + b"-0.01" + gb("元") in data
    assert b"\x1bE\x01\x1d!\x01" + gb("合计") + b" " * 21 + b"28.70" + gb("元") + b"\n" in data
    assert gb("支付：现金 已支付") in data
    assert b"\x1ba\x01" + gb("追溯码") + b"\n\x1bE\x01620102 001 240501 0001 5\n\x1d(k" in data
    # native QR: model 2, 6-dot modules, EC M, store (pL = len + 3), print
    assert len(URL) == 47
    qr = (
        b"\x1d(k\x04\x001A2\x00"
        b"\x1d(k\x03\x001C\x06"
        b"\x1d(k\x03\x001E1"
        b"\x1d(k\x32\x001P0" + URL.encode() + b"\x1d(k\x03\x001Q0"
    )
    assert qr in data
    dummy = Dummy()  # python-escpos builds the same five commands
    dummy.qr(URL, ec=QR_ECLEVEL_M, size=6, native=True)
    assert dummy.output == qr
    assert gb("扫码查看商品来源") + b" / Scan to trace\n" in data
    assert data.endswith(b"\x1bd\x04\x1c.\x1dV\x01")  # feed, leave Chinese mode, partial cut
    assert b"\x1dv0" not in data
    assert data.count(b"\x1c&") == 1 and data.count(b"\x1c.") == 1


def test_printed_lines_read_back() -> None:
    texts = [t for t, _ in printed_lines(render_ticket(SALE, BATCHES, SETTINGS))]
    assert texts[:3] == ["城关农贸市场", "溯源票", "-" * 32]
    assert "供应商：临洮禽蛋合作社" in " ".join(texts)
    assert texts[-1] == "扫码查看商品来源 / Scan to trace"


# --- widths and paper


@pytest.mark.parametrize("paper_mm,cols", [(58, 32), (80, 48)])
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("reprint", [False, True])
def test_no_line_exceeds_the_paper(paper_mm: int, cols: int, lang: str, reprint: bool) -> None:
    long_line = SaleLine(
        "9",
        "0",
        "新疆阿克苏冰糖心红富士苹果特级大果",
        Pricing.WEIGHT,
        123456,
        0,
        1,
        123456,
        15241,
        "B" * 40,
        "新疆维吾尔自治区阿克苏地区阿克苏市红旗坡农场",
    )
    sale = demo_sale(4)
    sale = replace(sale, lines=(*sale.lines, long_line))
    settings = demo_settings(paper_mm, lang)
    lines = printed_lines(render_ticket(sale, demo_batches(), settings, reprint=reprint))
    assert lines
    widest = max(columns(text) * width for text, width in lines)
    assert widest <= cols
    assert any(columns(text) * width == cols for text, width in lines)  # the rules span the paper
    # the long fields were wrapped, not dropped
    joined = "".join(text.strip() for text, _ in lines)
    assert "红旗坡农场" in joined and "B" * 40 in joined


def test_80mm_is_wider_with_bigger_qr() -> None:
    data58 = render_ticket(SALE, BATCHES, SETTINGS)
    data80 = render_ticket(SALE, BATCHES, replace(SETTINGS, paper_mm=80))
    assert b"-" * 48 + b"\n" in data80 and b"-" * 49 not in data80
    assert b"-" * 32 + b"\n" in data58 and b"-" * 33 not in data58
    assert b"\x1d(k\x03\x001C\x08" in data80 and b"\x1d(k\x03\x001C\x06" in data58
    assert b"\xb0\xd7\xb2\xcb" + b" " * 38 + b"3.71" in data80


def test_english_variant() -> None:
    data = render_ticket(SALE, BATCHES, replace(SETTINGS, lang="en"))
    texts = [t for t, _ in printed_lines(data)]
    assert "TRACE TICKET" in texts
    assert "  Net 1.235 kg x 3.00 CNY/kg" in texts
    assert "  Qty 2 pcs x 12.50 CNY/pc" in texts
    assert any(t.startswith("Total") and t.endswith("28.70 CNY") for t in texts)
    assert "Payment: cash paid" in texts
    assert gb("元") not in data and gb("溯源票") not in data
    assert b"\x1c&" in data  # product names stay Chinese


def test_reprint_and_refund_marks() -> None:
    data = render_ticket(SALE, BATCHES, SETTINGS, reprint=True)
    assert gb("重打 / REPRINT") + b"\n" in data
    assert gb("重打") not in render_ticket(SALE, BATCHES, SETTINGS)
    refund = replace(SALE, refund_of="x")
    assert gb("退货 / REFUND") in render_ticket(refund, BATCHES, SETTINGS)


def test_image_qr_mode_is_a_raster_and_much_bigger() -> None:
    import zxingcpp

    native = render_ticket(SALE, BATCHES, SETTINGS)
    data = render_ticket(SALE, BATCHES, replace(SETTINGS, qr_mode="image"))
    assert b"\x1d(k" not in data
    start = data.index(b"\x1dv0\x00")
    xb = int.from_bytes(data[start + 4 : start + 6], "little")
    rows = int.from_bytes(data[start + 6 : start + 8], "little")
    assert xb * 8 <= 384 and rows > 100
    assert len(data) > 5 * len(native)
    # the bitmap really is the QR of the trace URL
    bits = data[start + 8 : start + 8 + xb * rows]
    img = Image.frombytes("1", (xb * 8, rows), bits).point(lambda v: 255 - v)
    found = zxingcpp.read_barcodes(img.convert("L"))
    assert [r.text for r in found] == [URL]


def test_three_line_ticket_fits_budget() -> None:
    data = render_ticket(demo_sale(3), demo_batches(), demo_settings())
    assert len(data) <= 1536


def test_money_and_code_formatting() -> None:
    assert [format_fen(v) for v in (0, 5, 371, 100000, -3, -250)] == [
        "0.00",
        "0.05",
        "3.71",
        "1000.00",
        "-0.03",
        "-2.50",
    ]
    assert group_trace_code("62010200124050100015") == "620102 001 240501 0001 5"
    assert group_trace_code("ABC") == "ABC"


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="paper_mm"):
        TicketSettings("m", "s", "n", "u", paper_mm=76)
    with pytest.raises(ValueError, match="qr_mode"):
        TicketSettings("m", "s", "n", "u", qr_mode="svg")
    with pytest.raises(ValueError, match="lang"):
        TicketSettings("m", "s", "n", "u", lang="fr")


def test_layout_has_one_qr_and_ends_with_cut() -> None:
    ticket = layout_ticket(SALE, BATCHES, SETTINGS)
    kinds = [type(e).__name__ for e in ticket.elements]
    assert kinds.count("Qr") == 1 and kinds[-2:] == ["Feed", "Cut"]
    assert cmd.qr_store(URL.encode())[3:5] == bytes([len(URL) + 3, 0])
