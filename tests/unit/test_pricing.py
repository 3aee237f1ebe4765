"""Line amounts, 抹零 and the per-500 g display price: integer fen, half up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.core.pricing import (
    RoundingMode,
    apply_rounding,
    format_yuan,
    line_amount_fen,
    piece_amount_fen,
    price_per_500g_fen,
    weight_amount_fen,
)
from edge.core.records import Pricing

# (net_g, fen per kg, expected fen, why)
WEIGHT_TABLE = [
    (1235, 398, 492, "491.53 fen rounds up"),
    (1000, 398, 398, "one kilogram is the unit price"),
    (0, 398, 0, "nothing on the platter costs nothing"),
    (1235, 0, 0, "a zero price"),
    (500, 1, 1, "exactly 0.5 fen rounds up"),
    (1500, 1, 2, "exactly 1.5 fen rounds up"),
    (2500, 1, 3, "exactly 2.5 fen rounds up (not to even)"),
    (1, 500, 1, "1 g at 5.00 yuan/kg is exactly half a fen"),
    (3, 500, 2, "1.5 fen"),
    (1001, 1500, 1502, "1501.5 fen"),
    (499, 1, 0, "0.499 fen rounds down"),
    (501, 1, 1, "0.501 fen rounds up"),
    (1234, 1999, 2467, "2466.766 fen"),
    (333, 2999, 999, "998.667 fen"),
    (100, 2995, 300, "299.5 fen"),
    (15000, 999_999, 14_999_985, "full 15 kg at 9999.99 yuan/kg"),
]


@pytest.mark.parametrize(("net_g", "price", "expected", "why"), WEIGHT_TABLE)
def test_weight_amount_table(net_g: int, price: int, expected: int, why: str) -> None:
    assert weight_amount_fen(net_g, price) == expected, why
    assert line_amount_fen(Pricing.WEIGHT, price, net_g=net_g) == expected


@pytest.mark.parametrize(
    ("quantity", "price", "expected"),
    [(1, 250, 250), (3, 250, 750), (0, 250, 0), (12, 99, 1188), (5, 0, 0)],
)
def test_piece_amount_table(quantity: int, price: int, expected: int) -> None:
    assert piece_amount_fen(quantity, price) == expected
    assert line_amount_fen(Pricing.PIECE, price, quantity=quantity) == expected
    assert line_amount_fen("piece", price, quantity=quantity) == expected


@given(st.integers(0, 1_000_000), st.integers(0, 10_000_000))
def test_weight_amount_matches_decimal_half_up(net_g: int, price: int) -> None:
    exact = Decimal(net_g) * Decimal(price) / Decimal(1000)
    assert weight_amount_fen(net_g, price) == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# (subtotal, mode, payable, rounding)
ROUNDING_TABLE = [
    (1234, "none", 1234, 0),
    (1234, "jiao", 1230, 4),
    (1239, "jiao", 1230, 9),
    (1230, "jiao", 1230, 0),
    (1234, "yuan", 1200, 34),
    (1299, "yuan", 1200, 99),
    (1200, "yuan", 1200, 0),
    (100, "yuan", 100, 0),
    (0, "none", 0, 0),
    (0, "jiao", 0, 0),
    (0, "yuan", 0, 0),
    # A coarse mode never makes a sale free: it falls back to the next finer step.
    (85, "yuan", 80, 5),
    (5, "yuan", 5, 0),
    (7, "jiao", 7, 0),
    (99, "jiao", 90, 9),
]


@pytest.mark.parametrize(("subtotal", "mode", "payable", "rounding"), ROUNDING_TABLE)
def test_rounding_table(subtotal: int, mode: str, payable: int, rounding: int) -> None:
    assert apply_rounding(subtotal, mode) == (payable, rounding)
    assert apply_rounding(subtotal, RoundingMode(mode)) == (payable, rounding)


def test_rounding_defaults_to_none() -> None:
    assert apply_rounding(1234) == (1234, 0)


@given(st.integers(0, 10_000_000), st.sampled_from(list(RoundingMode)))
def test_rounding_invariants(subtotal: int, mode: RoundingMode) -> None:
    payable, rounding = apply_rounding(subtotal, mode)
    step = {RoundingMode.NONE: 1, RoundingMode.JIAO: 10, RoundingMode.YUAN: 100}[mode]
    assert payable + rounding == subtotal
    assert 0 <= rounding < step
    assert payable > 0 or subtotal == 0
    if subtotal >= step:
        assert payable % step == 0


@pytest.mark.parametrize(("per_kg", "per_500g"), [(398, 199), (399, 200), (1, 1), (0, 0), (2000, 1000), (1999, 1000)])
def test_price_per_500g_is_half_rounded_up(per_kg: int, per_500g: int) -> None:
    assert price_per_500g_fen(per_kg) == per_500g


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: weight_amount_fen(-1, 398), "net weight must not be negative"),
        (lambda: weight_amount_fen(1000, -398), "unit price must not be negative"),
        (lambda: piece_amount_fen(-2, 100), "quantity must not be negative"),
        (lambda: piece_amount_fen(2, -100), "unit price must not be negative"),
        (lambda: price_per_500g_fen(-1), "unit price must not be negative"),
        (lambda: apply_rounding(-5, "jiao"), "subtotal must not be negative"),
        (lambda: apply_rounding(100, "fen"), "unknown rounding mode 'fen'"),
    ],
)
def test_negative_or_unknown_inputs_are_rejected(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("bad", [1.5, True, "100", None])
def test_non_integers_are_rejected(bad: object) -> None:
    with pytest.raises(TypeError, match="must be an integer"):
        weight_amount_fen(bad, 398)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be an integer"):
        piece_amount_fen(1, bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(("fen", "text"), [(0, "0.00"), (5, "0.05"), (492, "4.92"), (120000, "1200.00"), (-5, "-0.05")])
def test_format_yuan(fen: int, text: str) -> None:
    assert format_yuan(fen) == text
