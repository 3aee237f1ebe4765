"""Line amounts, 抹零 rounding and price display, in integer fen (DESIGN.md, Units and money).

Weight pricing: amount = round-half-up(net_g x fen_per_kg / 1000). Piece pricing:
amount = quantity x fen_per_piece. Nothing here ever touches a float.
"""

from __future__ import annotations

from enum import StrEnum

from edge.core.records import Pricing
from edge.core.units import round_half_up_div

GRAMS_PER_KG = 1000
DISPLAY_GRAMS = 500  # a unit price may be *shown* per 500 g; 斤 as a unit is banned


class RoundingMode(StrEnum):
    """抹零: how much of the total the vendor waives (``[ticket].rounding`` in edge.toml)."""

    NONE = "none"
    JIAO = "jiao"  # drop the fen: 12.34 -> 12.30
    YUAN = "yuan"  # drop fen and jiao: 12.34 -> 12.00


# Fen per rounding step, coarsest first: a mode may fall back to the finer steps after it.
_STEP_FEN = {RoundingMode.YUAN: 100, RoundingMode.JIAO: 10, RoundingMode.NONE: 1}


def _require_int(name: str, value: object) -> int:
    # bool is an int subclass and a float would silently break exactness: refuse both.
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    return value


def _require_non_negative(name: str, value: object, unit: str) -> int:
    number = _require_int(name, value)
    if number < 0:
        raise ValueError(f"{name} must not be negative, got {number} {unit}")
    return number


def weight_amount_fen(net_g: int, unit_price_fen_per_kg: int) -> int:
    """Amount in fen for ``net_g`` grams at ``unit_price_fen_per_kg``, rounded half up.

    >>> weight_amount_fen(1235, 398)  # 1.235 kg x 3.98 yuan/kg = 4.9153 yuan
    492
    """
    grams = _require_non_negative("net weight", net_g, "g")
    price = _require_non_negative("unit price", unit_price_fen_per_kg, "fen/kg")
    return round_half_up_div(grams * price, GRAMS_PER_KG)


def piece_amount_fen(quantity: int, unit_price_fen: int) -> int:
    """Amount in fen for ``quantity`` pieces at ``unit_price_fen`` each."""
    pieces = _require_non_negative("quantity", quantity, "pieces")
    price = _require_non_negative("unit price", unit_price_fen, "fen/piece")
    return pieces * price


def line_amount_fen(pricing: Pricing, unit_price_fen: int, *, net_g: int = 0, quantity: int = 1) -> int:
    """Amount of one sale line: by weight (``net_g``) or by piece (``quantity``)."""
    if Pricing(pricing) is Pricing.WEIGHT:
        return weight_amount_fen(net_g, unit_price_fen)
    return piece_amount_fen(quantity, unit_price_fen)


def apply_rounding(subtotal_fen: int, mode: RoundingMode | str = RoundingMode.NONE) -> tuple[int, int]:
    """抹零: ``(payable_fen, rounding_fen)`` with ``payable + rounding == subtotal``, rounding >= 0.

    The waived part is always dropped (never rounded up: the customer never pays more
    than the lines). A mode that would make a non-zero total free falls back to the next
    finer one, so 0.85 yuan under ``yuan`` becomes 0.80, not 0.00.
    """
    subtotal = _require_non_negative("subtotal", subtotal_fen, "fen")
    try:
        chosen = RoundingMode(mode)
    except ValueError:
        raise ValueError(f"unknown rounding mode {mode!r}; use one of: {', '.join(RoundingMode)}") from None
    for step in (s for s in _STEP_FEN.values() if s <= _STEP_FEN[chosen]):
        payable = subtotal - subtotal % step
        if payable > 0:
            return payable, subtotal - payable
    return subtotal, 0  # only a zero subtotal gets here: nothing to waive


def price_per_500g_fen(unit_price_fen_per_kg: int) -> int:
    """The per-kg price shown per 500 g, rounded half up (for display only, never for amounts)."""
    price = _require_non_negative("unit price", unit_price_fen_per_kg, "fen/kg")
    return round_half_up_div(price * DISPLAY_GRAMS, GRAMS_PER_KG)


def format_yuan(fen: int) -> str:
    """Fen as yuan text with two decimals: 1234 -> ``12.34``, -5 -> ``-0.05``."""
    amount = _require_int("amount", fen)
    sign = "-" if amount < 0 else ""
    yuan, rest = divmod(abs(amount), 100)
    return f"{sign}{yuan}.{rest:02d}"
