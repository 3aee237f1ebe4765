"""Exact bytes for the 2 x 20 pole display, CD5220 and ESC/POS command sets."""

from __future__ import annotations

import dataclasses
import os
import pty
import time
import tty

import pytest

from edge.ui.model.views import CartLineView, CustomerView
from edge.ui.pole_display import PoleDisplay, _pair, init_bytes, lines_for, parse_protocol, render

WEIGHING = CustomerView(
    mode="weighing",
    weight_text="1.235",
    item_name="白菜",
    unit_price_text="3.98 元/kg",
    amount_text="4.92",
    stall="A-12",
)


def test_cd5220_weighing_ascii():
    assert render(WEIGHING, "cd5220") == (
        b"\x1bQA" + b"1.235kg        @3.98" + b"\r" + b"\x1bQB" + b"AMOUNT          4.92" + b"\r"
    )


def test_escpos_weighing_ascii():
    assert render(WEIGHING, "escpos") == (
        b"\x1f$\x01\x01" + b"1.235kg        @3.98" + b"\x1f$\x01\x02" + b"AMOUNT          4.92"
    )


def test_chinese_display_gets_gb18030_with_two_columns_per_character():
    data = render(WEIGHING, "cd5220-zh")
    top = "白菜".encode("gb18030") + b" " * 9 + b"1.235kg"
    bottom = "单价".encode("gb18030") + b"3.98" + b" " * 8 + b"4.92"
    assert data == b"\x1bQA" + top + b"\r\x1bQB" + bottom + b"\r"
    assert len(top) == len(bottom) == 20  # 20 columns: a Chinese character is two bytes and two columns


def test_init_sequences():
    assert init_bytes("cd5220") == b"\x1b@\x0c\x1b\x11"
    assert init_bytes("escpos-zh") == b"\x1b@\x0c\x1f\x01"


@pytest.mark.parametrize(
    ("view", "ascii_lines", "zh_lines"),
    [
        (CustomerView(stall="A-12"), ("WELCOME", "A-12"), ("欢迎光临", "A-12")),
        (
            CustomerView(mode="cart", lines=(CartLineView(0, "白菜", "", "4.92"),) * 3, total_text="34.92"),
            ("3 ITEMS", "TOTAL          34.92"),
            ("3件商品", "合计           34.92"),
        ),
        (
            CustomerView(mode="payment", qr_amount_text="34.92", countdown_s=58),
            ("PLEASE PAY       58s", "TOTAL          34.92"),
            ("请付款           58s", "合计           34.92"),
        ),
        (
            CustomerView(mode="paid", total_text="34.92"),
            ("PAID  THANK YOU", "TOTAL          34.92"),
            ("已付款 谢谢", "合计           34.92"),
        ),
        (
            CustomerView(mode="weighing", weight_text="", stall="A-12"),  # overload: the figure is blanked
            ("--", ""),
            ("--", ""),
        ),
    ],
)
def test_lines_per_mode(view, ascii_lines, zh_lines):
    assert tuple(line.rstrip() for line in lines_for(view, chinese=False)) == ascii_lines
    assert tuple(line.rstrip() for line in lines_for(view, chinese=True)) == zh_lines


def test_an_ascii_display_never_gets_chinese():
    data = render(CustomerView(stall="甲-12"), "escpos")
    assert data.isascii() and data.endswith(b"\x1f$\x01\x02" + b" " * 20)


def test_long_texts_are_cut_to_twenty_columns_without_splitting_a_character():
    view = CustomerView(
        mode="weighing",
        weight_text="12.345",
        item_name="有机精品长豆角特级礼盒装",
        unit_price_text="123.45 元/kg",
        amount_text="1523.90",
    )
    top, bottom = lines_for(view, chinese=True)
    assert top == "有机精品长  12.345kg"  # 11 columns left: five characters, never half of the sixth
    assert bottom == "单价123.45   1523.90"
    assert all(sum(2 if not c.isascii() else 1 for c in line) == 20 for line in (top, bottom))


def test_unknown_protocol_is_refused():
    with pytest.raises(ValueError, match="cd5220"):
        parse_protocol("epson")


def test_writer_sends_init_once_then_only_changed_views_over_a_pty():
    master, slave = pty.openpty()
    tty.setraw(slave)
    name = os.ttyname(slave)
    display = PoleDisplay(name, "cd5220").start()
    try:
        display.show(WEIGHING)
        expected = init_bytes("cd5220") + render(WEIGHING, "cd5220")
        got = b""
        deadline = time.monotonic() + 5
        while len(got) < len(expected) and time.monotonic() < deadline:
            got += os.read(master, 1024)
        assert got == expected
        display.show(WEIGHING)  # the same screen again: nothing is sent
        paid = CustomerView(mode="paid", total_text="4.92")
        display.show(paid)
        expected = render(paid, "cd5220")
        got = b""
        while len(got) < len(expected) and time.monotonic() < deadline:
            got += os.read(master, 1024)
        assert got == expected
    finally:
        display.stop()
        os.close(master)
        os.close(slave)


def test_an_unsellable_weight_shows_why_instead_of_an_amount_and_pieces_their_count():
    moving = dataclasses.replace(WEIGHING, sellable=False, blocked_code="unstable", blocked_text="未稳定")
    assert lines_for(moving, chinese=False) == ("1.235kg        @3.98", "            UNSTABLE")  # where the amount was
    assert lines_for(moving, chinese=True)[1].rstrip().endswith("未稳定")
    sellable = dataclasses.replace(WEIGHING, sellable=True)
    assert lines_for(sellable, chinese=False)[1] == "AMOUNT          4.92"
    eggs = CustomerView(mode="weighing", item_name="鸡蛋", pricing="piece", quantity_text="2 件",
                        unit_price_text="15.00 元/件", amount_text="30.00", sellable=True)  # fmt: skip
    assert lines_for(eggs, chinese=False) == ("2 PCS         @15.00", "AMOUNT         30.00")
    assert lines_for(eggs, chinese=True)[0] == _pair("鸡蛋", "2件")
