"""Trace codes printed on tickets (DESIGN.md, Trace codes).

20 digits ``NNNNNN SSS YYMMDD QQQQ C``: market node code (6), scale number within the node
(3, 001-999), local sale date (YYMMDD, years 2000-2099), daily sequence (4, 0001-9999) and
a Luhn check digit over the first 19. Luhn catches every single mistyped digit and every
swap of two neighbouring digits except 0<->9, which covers most of what people get wrong
when they copy a number off a ticket.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from edge.core.refusals import Refusal, RefusedError

TRACE_CODE_LENGTH = 20
MARKET_CODE_LENGTH = 6
MAX_SCALE_NO = 999
MAX_DAILY_SEQ = 9999
_FIRST_YEAR, _LAST_YEAR = 2000, 2099  # YY is read as 20YY
_SEPARATORS = frozenset(" -\t")  # what a person may type between digit groups
_URL_MARK = "/t/"  # QR content is {trace_base_url}/t/{code}

DAILY_SEQ_EXHAUSTED = Refusal(
    code="daily_seq_exhausted",
    zh=f"本秤今日的小票编号已用完（每天最多 {MAX_DAILY_SEQ} 笔），今天不能再开票，请联系市场管理员或技术员",
    en=(
        f"This scale has used up today's ticket numbers (at most {MAX_DAILY_SEQ} sales a day); "
        "no more tickets can be issued today. Call the market office or a technician."
    ),
)


class TraceCodeError(ValueError):
    """A typed or scanned trace code that is not valid; ``zh``/``en`` say what is wrong."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.code = code
        self.zh = zh
        self.en = en

    @property
    def refusal(self) -> Refusal:
        """The same message as a :class:`Refusal`, for screens that show refusals."""
        return Refusal(code=self.code, zh=self.zh, en=self.en)

    def text(self, lang: str = "zh") -> str:
        return self.refusal.text(lang)


@dataclass(frozen=True, slots=True)
class TraceCode:
    """The parts of a trace code; :attr:`code` gives the 20 digits back."""

    market_code: str
    scale_no: int
    sale_date: date
    daily_seq: int

    @property
    def code(self) -> str:
        return make_trace_code(self.market_code, self.scale_no, self.sale_date, self.daily_seq)

    def __str__(self) -> str:
        return self.code


_DOUBLED = str.maketrans("0123456789", "0246813579")  # a digit doubled, minus 9 when above 9


def luhn_check_digit(digits: str) -> str:
    """The Luhn check digit to append to ``digits`` (``"7992739871"`` -> ``"3"``)."""
    if not digits or not _is_ascii_digits(digits):
        raise ValueError(f"Luhn needs a non-empty string of digits, got {digits!r}")
    # The rightmost payload digit sits next to the check digit, so it is the first doubled.
    # Sum of the digits = sum of their values; a translation table does the doubling in C
    # (central checks every sale's code: 5.5 -> ~1.5 us).
    backwards = digits[::-1]
    total = sum(map(int, backwards[0::2].translate(_DOUBLED))) + sum(map(int, backwards[1::2]))
    return str((10 - total % 10) % 10)


def luhn_is_valid(number: str) -> bool:
    """True if the last digit of ``number`` is the Luhn check digit of the rest."""
    if len(number) < 2 or not _is_ascii_digits(number):
        return False
    return luhn_check_digit(number[:-1]) == number[-1]


def make_trace_code(market_code: str, scale_no: int, local_date: date, daily_seq: int) -> str:
    """The 20-digit trace code of a sale.

    Raises ValueError/TypeError for a malformed input (a configuration or programming
    error) and :class:`RefusedError` with :data:`DAILY_SEQ_EXHAUSTED` past sale 9999 of the day.
    """
    if not isinstance(market_code, str) or len(market_code) != MARKET_CODE_LENGTH or not _is_ascii_digits(
        market_code
    ):
        raise ValueError(f"market node code must be {MARKET_CODE_LENGTH} digits, got {market_code!r}")
    _require_int("scale number", scale_no)
    if not 1 <= scale_no <= MAX_SCALE_NO:
        raise ValueError(f"scale number must be 1-{MAX_SCALE_NO}, got {scale_no}")
    if not isinstance(local_date, date):
        raise TypeError(f"sale date must be a datetime.date, got {local_date!r}")
    if not _FIRST_YEAR <= local_date.year <= _LAST_YEAR:
        raise ValueError(f"sale date must be in {_FIRST_YEAR}-{_LAST_YEAR}, got {local_date.isoformat()}")
    _require_int("daily sequence", daily_seq)
    if daily_seq > MAX_DAILY_SEQ:
        raise RefusedError(DAILY_SEQ_EXHAUSTED)
    if daily_seq < 1:
        raise ValueError(f"daily sequence starts at 1, got {daily_seq}")
    payload = f"{market_code}{scale_no:03d}{local_date:%y%m%d}{daily_seq:04d}"
    return payload + luhn_check_digit(payload)


def next_daily_seq(last: TraceCode | None, local_date: date) -> int:
    """The daily sequence for the next sale: 1 on a new day, else one more than ``last``.

    Raises :class:`RefusedError` (:data:`DAILY_SEQ_EXHAUSTED`) once the day's 9999 are used.
    """
    if last is None or last.sale_date != local_date:
        return 1
    if last.daily_seq >= MAX_DAILY_SEQ:
        raise RefusedError(DAILY_SEQ_EXHAUSTED)
    return last.daily_seq + 1


def parse_trace_code(text: str) -> TraceCode:
    """Read a trace code typed by a person or scanned from a ticket's QR.

    Spaces and dashes between digits are ignored, full-width digits are accepted, and a
    scanned ``.../t/{code}`` address is reduced to its code. Raises :class:`TraceCodeError`
    saying what is wrong.
    """
    digits = _clean(text)
    if not digits:
        raise TraceCodeError(
            "trace_code_empty",
            "请输入溯源码（小票上的 20 位数字）",
            "Enter the trace code (the 20 digits on the ticket).",
        )
    bad = next((c for c in digits if c not in "0123456789"), None)
    if bad is not None:
        raise TraceCodeError(
            "trace_code_not_digits",
            f"溯源码只能包含数字，发现了“{bad}”，请核对后重新输入",
            f"A trace code contains digits only; found {bad!r}. Check it and enter it again.",
        )
    if len(digits) != TRACE_CODE_LENGTH:
        raise TraceCodeError(
            "trace_code_length",
            f"溯源码应为{TRACE_CODE_LENGTH}位数字，您输入了{len(digits)}位",
            f"A trace code has {TRACE_CODE_LENGTH} digits; you entered {len(digits)}.",
        )
    if not luhn_is_valid(digits):
        raise TraceCodeError(
            "trace_code_check_digit",
            "校验位不符，请核对溯源码是否输错",
            "The check digit does not match; check the trace code for a typing mistake.",
        )
    return _decode(digits)


def format_trace_code(code: str) -> str:
    """Group a trace code for reading on a ticket: ``NNNNNN SSS YYMMDD QQQQ C``."""
    digits = _clean(code)
    if len(digits) != TRACE_CODE_LENGTH or not _is_ascii_digits(digits):
        raise ValueError(f"not a {TRACE_CODE_LENGTH}-digit trace code: {code!r}")
    return f"{digits[:6]} {digits[6:9]} {digits[9:15]} {digits[15:19]} {digits[19]}"


def looks_like_trace_code(text: str) -> bool:
    """True if ``text`` is 20 digits once separators are dropped (ours, or shaped like ours)."""
    digits = _clean(text)
    return len(digits) == TRACE_CODE_LENGTH and _is_ascii_digits(digits)


# --- helpers -------------------------------------------------------------------------------


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit() also accepts superscripts and other scripts' digits.
    return text.isascii() and text.isdigit()


def _require_int(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r}")


def _clean(text: str) -> str:
    """Drop what a person types between groups; full-width digits (IME input) become ASCII."""
    if not isinstance(text, str):
        raise TypeError(f"trace code must be text, got {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text).strip()
    if _URL_MARK in text:
        text = text.rsplit(_URL_MARK, 1)[1].split("?", 1)[0].split("#", 1)[0].strip("/")
    return "".join(c for c in text if c not in _SEPARATORS)


def _decode(digits: str) -> TraceCode:
    market_code, scale_text, date_text, seq_text = digits[:6], digits[6:9], digits[9:15], digits[15:19]
    try:
        sale_date = date(2000 + int(date_text[:2]), int(date_text[2:4]), int(date_text[4:6]))
    except ValueError:
        raise TraceCodeError(
            "trace_code_date",
            f"溯源码中的日期 {date_text}（年月日）不存在，请核对溯源码是否输错",
            f"The date {date_text} (YYMMDD) in the trace code does not exist; check the code for a typing mistake.",
        ) from None
    scale_no, daily_seq = int(scale_text), int(seq_text)
    if scale_no == 0 or daily_seq == 0:
        # Never issued (numbering starts at 1); the check digit cannot catch everything.
        raise TraceCodeError(
            "trace_code_numbers",
            "溯源码中的秤号或流水号为 0，这样的溯源码不存在，请核对是否输错",
            "The scale number or daily sequence in the trace code is 0; no such code exists. Check for a typo.",
        )
    return TraceCode(market_code=market_code, scale_no=scale_no, sale_date=sale_date, daily_seq=daily_seq)
