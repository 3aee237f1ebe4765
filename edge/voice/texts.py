"""What the scale says, as Chinese text: numbers are read by this module, not by the TTS.

Reading follows the standard Mandarin count (《现代汉语词典》 number usage; the same as
the "支付宝到账" and commercial scale announcements): sections of four digits with
万/亿, one 零 for a run of zeros inside a number, 十 rather than 一十 at the start
(12 -> 十二, but 112 -> 一百一十二), 两 for a leading 2 before 百/千/万/亿 and before a
classifier (两件), digits read one by one after 点 (11.81 -> 十一点八一). Amounts come
in as integer fen and weights as integer grams; trailing zeros after the point are not
said (5.00 元 -> 五元, 0.500 kg -> 零点五公斤).

No I/O here: the player (edge.voice.player) speaks what these functions return.
"""

from __future__ import annotations

from edge.core.pricing import format_yuan
from edge.core.units import format_kg

DIGITS = "零一二三四五六七八九"
_UNITS = ("", "十", "百", "千")
_SECTIONS = ("", "万", "亿")
MAX_NUMBER = 10**12 - 1

# Faults a vendor must hear even when looking away (codes from the printer and scale status).
FAULTS: dict[str, str] = {
    "paper_out": "打印机缺纸",
    "paper_near_end": "打印纸快用完了",
    "cover_open": "打印机盖未关",
    "printer_offline": "打印机未连接",
    "overload": "超载",
    "scale_offline": "称重模块未连接",
}


def _section(n: int, *, leading: bool) -> str:
    """0 < n < 10000 as words; ``leading``: the first section of the number (十二, not 一十二)."""
    out = []
    zero = False
    for power in range(3, -1, -1):
        d = n // 10**power % 10
        if d == 0:
            zero = bool(out)  # a zero between said digits is said once, trailing zeros never
            continue
        if zero:
            out.append("零")
            zero = False
        if d == 2 and power >= 2 and not out:
            out.append("两")  # 两百, 两千 (but 二十, 一千二百)
        elif not (d == 1 and power == 1 and not out and leading):
            out.append(DIGITS[d])  # 十二 at the start, 一百一十二 inside
        out.append(_UNITS[power])
    return "".join(out)


def integer_words(n: int) -> str:
    """A whole number as Mandarin words: 0 -> 零, 10 -> 十, 1061 -> 一千零六十一, 20000 -> 两万."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"integer_words needs an int, got {n!r}")
    if n < 0:
        return "负" + integer_words(-n)
    if n > MAX_NUMBER:
        raise ValueError(f"{n} is too large to read out (at most {MAX_NUMBER})")
    if n == 0:
        return DIGITS[0]
    groups = []
    rest = n
    while rest:
        groups.append(rest % 10000)
        rest //= 10000
    out = []
    zero = False
    for index in range(len(groups) - 1, -1, -1):
        section = groups[index]
        if section == 0:
            zero = bool(out)
            continue
        if out and (zero or section < 1000):
            out.append("零")  # 一万零五, 一亿零一万
        zero = False
        words = _section(section, leading=not out)
        if section == 2 and index > 0:
            words = "两"  # 两万, 两亿
        out.append(words + _SECTIONS[index])
    return "".join(out)


def decimal_words(text: str) -> str:
    """A decimal as we print it ("11.81", "0.500", "-3") as words; trailing zeros after the point dropped."""
    sign, body = ("负", text[1:]) if text.startswith("-") else ("", text)
    whole, _, frac = body.partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()) or not whole.isascii() or not frac.isascii():
        raise ValueError(f"not a decimal number: {text!r}")
    frac = frac.rstrip("0")
    said = integer_words(int(whole))
    if frac:
        said += "点" + "".join(DIGITS[int(d)] for d in frac)
    return sign + said


def yuan_words(fen: int) -> str:
    """Integer fen as an amount said aloud: 1181 -> 十一点八一元, 500 -> 五元."""
    return decimal_words(format_yuan(fen)) + "元"


def kg_words(grams: int, e_g: int = 1) -> str:
    """Integer grams as a weight said aloud, with the scale's decimals: 1235 -> 一点二三五公斤."""
    return decimal_words(format_kg(grams, e_g)) + "公斤"


def count_words(n: int) -> str:
    """A count before a classifier: 2 -> 两 (两件), otherwise :func:`integer_words`."""
    return "两" if n == 2 else integer_words(n)


def line_added(name: str, amount_fen: int, *, net_g: int | None = None, quantity: int = 1, e_g: int = 1) -> str:
    """The vendor pressed 累计: "白菜，一点二三五公斤，四点九二元" or "鸡蛋，两件，三十元"."""
    how_much = kg_words(net_g, e_g) if net_g is not None else count_words(quantity) + "件"
    return f"{name}，{how_much}，{yuan_words(amount_fen)}"


def total(fen: int) -> str:
    return "合计" + yuan_words(fen)


def payment_received(fen: int) -> str:
    """A QR payment arrived: "收款十一点八一元"."""
    return "收款" + yuan_words(fen)


def fault(code: str) -> str:
    """A fault by its status code ("paper_out" -> 打印机缺纸); unknown codes say 设备故障."""
    return FAULTS.get(code, "设备故障")
