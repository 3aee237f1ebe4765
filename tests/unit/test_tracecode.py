"""Trace codes: layout, Luhn, parsing what people type, and the messages they see."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.core.refusals import RefusedError
from edge.core.tracecode import (
    DAILY_SEQ_EXHAUSTED,
    TraceCode,
    TraceCodeError,
    format_trace_code,
    looks_like_trace_code,
    luhn_check_digit,
    luhn_is_valid,
    make_trace_code,
    next_daily_seq,
    parse_trace_code,
)

SALE_DATE = date(2025, 3, 9)
CODE = make_trace_code("620102", 1, SALE_DATE, 42)

market_codes = st.text("0123456789", min_size=6, max_size=6)
scale_nos = st.integers(1, 999)
sale_dates = st.dates(date(2000, 1, 1), date(2099, 12, 31))
daily_seqs = st.integers(1, 9999)


def with_check_digit(payload: str) -> str:
    return payload + luhn_check_digit(payload)


# --- Luhn ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "check"),
    [("7992739871", "3"), ("411111111111111", "1"), ("0", "0"), ("1", "8"), ("000000000000000000", "0")],
)
def test_luhn_known_examples(payload: str, check: str) -> None:
    assert luhn_check_digit(payload) == check
    assert luhn_is_valid(payload + check)


def test_luhn_rejects_wrong_check_digits() -> None:
    assert not luhn_is_valid("79927398710")
    assert not luhn_is_valid("4111111111111112")
    assert not luhn_is_valid("7")  # too short to carry a check digit
    assert not luhn_is_valid("79927398a13")


@pytest.mark.parametrize("bad", ["", "12a4", "١٢٣"])
def test_luhn_check_digit_needs_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="digits"):
        luhn_check_digit(bad)


# --- making codes --------------------------------------------------------------------------


def test_layout_is_market_scale_date_sequence_check() -> None:
    assert len(CODE) == 20
    assert CODE[:6] == "620102"
    assert CODE[6:9] == "001"
    assert CODE[9:15] == "250309"
    assert CODE[15:19] == "0042"
    assert CODE[19] == luhn_check_digit(CODE[:19])
    assert format_trace_code(CODE) == f"620102 001 250309 0042 {CODE[19]}"


@given(market_codes, scale_nos, sale_dates, daily_seqs)
def test_make_then_parse_round_trips(market: str, scale_no: int, day: date, seq: int) -> None:
    code = make_trace_code(market, scale_no, day, seq)
    assert len(code) == 20 and code.isdigit() and luhn_is_valid(code)
    parsed = parse_trace_code(code)
    assert parsed == TraceCode(market_code=market, scale_no=scale_no, sale_date=day, daily_seq=seq)
    assert parsed.code == code == str(parsed)
    assert parse_trace_code(format_trace_code(code)) == parsed


def test_sequence_past_9999_is_refused_with_a_message_for_the_vendor() -> None:
    assert make_trace_code("620102", 1, SALE_DATE, 9999).endswith(
        "9999" + luhn_check_digit("620102001250309" + "9999")
    )
    with pytest.raises(RefusedError) as caught:
        make_trace_code("620102", 1, SALE_DATE, 10_000)
    assert caught.value.refusal == DAILY_SEQ_EXHAUSTED
    assert "用完" in caught.value.refusal.text("zh")
    assert "used up" in caught.value.refusal.text("en")


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("62010", 1, SALE_DATE, 1), ValueError, "market node code must be 6 digits"),
        (("62010a", 1, SALE_DATE, 1), ValueError, "market node code must be 6 digits"),
        (("620102", 0, SALE_DATE, 1), ValueError, "scale number must be 1-999"),
        (("620102", 1000, SALE_DATE, 1), ValueError, "scale number must be 1-999"),
        (("620102", 1, date(1999, 12, 31), 1), ValueError, "2000-2099"),
        (("620102", 1, date(2100, 1, 1), 1), ValueError, "2000-2099"),
        (("620102", 1, SALE_DATE, 0), ValueError, "daily sequence starts at 1"),
        (("620102", 1, SALE_DATE, True), TypeError, "daily sequence must be an integer"),
        (("620102", 1, "2025-03-09", 1), TypeError, "datetime.date"),
    ],
)
def test_make_validates_its_inputs(args: tuple, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make_trace_code(*args)


def test_next_daily_seq_restarts_each_day_and_stops_after_9999() -> None:
    assert next_daily_seq(None, SALE_DATE) == 1
    today = TraceCode("620102", 1, SALE_DATE, 41)
    assert next_daily_seq(today, SALE_DATE) == 42
    assert next_daily_seq(today, date(2025, 3, 10)) == 1
    with pytest.raises(RefusedError):
        next_daily_seq(TraceCode("620102", 1, SALE_DATE, 9999), SALE_DATE)


# --- what Luhn guarantees ------------------------------------------------------------------


@given(market_codes, scale_nos, sale_dates, daily_seqs)
def test_every_single_digit_typo_is_detected(market: str, scale_no: int, day: date, seq: int) -> None:
    code = make_trace_code(market, scale_no, day, seq)
    for position in range(20):
        for digit in "0123456789":
            if digit != code[position]:
                typo = code[:position] + digit + code[position + 1 :]
                assert not luhn_is_valid(typo), (code, position, digit)


@given(market_codes, scale_nos, sale_dates, daily_seqs)
def test_adjacent_swaps_are_detected_except_09_and_90(market: str, scale_no: int, day: date, seq: int) -> None:
    code = make_trace_code(market, scale_no, day, seq)
    for position in range(19):
        a, b = code[position], code[position + 1]
        if a == b:
            continue
        swapped = code[:position] + b + a + code[position + 2 :]
        assert luhn_is_valid(swapped) == ({a, b} == {"0", "9"}), (code, position)


def test_the_one_swap_luhn_misses_is_09() -> None:
    payload = "620102001250309" + "0090"  # seq 0090 puts "09" side by side
    code = with_check_digit(payload)
    swapped = code[:16] + "90" + code[18:]
    assert luhn_is_valid(swapped)


# --- parsing what people type ----------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        CODE,
        format_trace_code(CODE),
        f"  {CODE[:6]}-{CODE[6:9]}-{CODE[9:15]}-{CODE[15:]}  ",
        CODE.translate(str.maketrans("0123456789", "０１２３４５６７８９")),  # full-width IME digits
        f"https://trace.example.cn/t/{CODE}",
        f"http://127.0.0.1:8080/t/{CODE}?from=qr",
    ],
)
def test_parse_accepts_what_a_person_types_or_scans(typed: str) -> None:
    assert parse_trace_code(typed).code == CODE


@pytest.mark.parametrize(
    ("typed", "code", "zh", "en"),
    [
        ("", "trace_code_empty", "请输入溯源码", "Enter the trace code"),
        (" - ", "trace_code_empty", "请输入溯源码", "Enter the trace code"),
        (CODE[:19], "trace_code_length", "溯源码应为20位数字，您输入了19位", "you entered 19"),
        (CODE + "1", "trace_code_length", "溯源码应为20位数字，您输入了21位", "you entered 21"),
        ("12345", "trace_code_length", "溯源码应为20位数字，您输入了5位", "you entered 5"),
        (CODE[:10] + "O" + CODE[11:], "trace_code_not_digits", "只能包含数字，发现了“O”", "found 'O'"),
        (CODE[:19] + str((int(CODE[19]) + 1) % 10), "trace_code_check_digit", "校验位不符，请核对溯源码是否输错",
         "check digit does not match"),
        (with_check_digit("620102001250230" + "0001"), "trace_code_date", "日期 250230", "date 250230"),
        (with_check_digit("620102001251301" + "0001"), "trace_code_date", "不存在", "does not exist"),
        (with_check_digit("620102001250309" + "0000"), "trace_code_numbers", "为 0", "is 0"),
        (with_check_digit("620102000250309" + "0001"), "trace_code_numbers", "为 0", "is 0"),
    ],
)
def test_parse_errors_say_what_is_wrong(typed: str, code: str, zh: str, en: str) -> None:
    with pytest.raises(TraceCodeError) as caught:
        parse_trace_code(typed)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.code == code
    assert zh in error.zh
    assert en in error.en
    assert error.refusal.text("zh") == error.zh
    assert error.text("en") == error.en


def test_format_rejects_what_is_not_a_code() -> None:
    with pytest.raises(ValueError, match="20-digit"):
        format_trace_code("12345")


def test_looks_like_trace_code() -> None:
    assert looks_like_trace_code(format_trace_code(CODE))
    assert not looks_like_trace_code("SC-2025-0001")
    assert not looks_like_trace_code(CODE[:19])
