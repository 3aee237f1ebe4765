"""语音播报 texts: numbers read the Mandarin way, from integer fen and grams."""

from __future__ import annotations

import pytest

from edge.voice import texts


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "零"), (7, "七"), (10, "十"), (12, "十二"), (20, "二十"), (101, "一百零一"), (110, "一百一十"),
        (112, "一百一十二"), (200, "两百"), (1010, "一千零一十"), (1061, "一千零六十一"), (2200, "两千二百"),
        (10001, "一万零一"), (12000, "一万两千"), (20000, "两万"), (100010, "十万零一十"),
        (120000000, "一亿两千万"), (100000001, "一亿零一"), (-3, "负三"),
    ],
)  # fmt: skip
def test_integers(n: int, words: str) -> None:
    assert texts.integer_words(n) == words


def test_amounts_and_weights_as_the_screens_show_them() -> None:
    assert texts.yuan_words(1181) == "十一点八一元"  # the example
    assert texts.yuan_words(1180) == "十一点八元" and texts.yuan_words(500) == "五元"
    assert texts.yuan_words(5) == "零点零五元" and texts.yuan_words(106167) == "一千零六十一点六七元"
    assert texts.kg_words(1235, 5) == "一点二三五公斤" and texts.kg_words(500, 5) == "零点五公斤"
    assert texts.kg_words(12340, 20) == "十二点三四公斤"  # e = 20 g: two decimals, as on the screen


def test_announcements() -> None:
    assert texts.payment_received(1181) == "收款十一点八一元"
    assert texts.line_added("白菜", 492, net_g=1235, e_g=5) == "白菜，一点二三五公斤，四点九二元"
    assert texts.line_added("鸡蛋（盒装10枚）", 3000, quantity=2) == "鸡蛋（盒装10枚），两件，三十元"
    assert texts.fault("paper_out") == "打印机缺纸" and texts.fault("???") == "设备故障"


def test_bad_numbers_are_refused() -> None:
    with pytest.raises(TypeError):
        texts.integer_words(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="too large"):
        texts.integer_words(10**12)
    with pytest.raises(ValueError, match="not a decimal"):
        texts.decimal_words("1,5")
