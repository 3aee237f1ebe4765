"""Integer arithmetic for weights (grams) and money (fen); no floats anywhere."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


def round_half_up_div(numerator: int, denominator: int) -> int:
    """Integer division rounding halves away from zero (1.5 -> 2, -1.5 -> -2)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return sign * q


def round_to_division(grams: int, e_g: int) -> int:
    """Round a weight to the scale's division e (half up, symmetric about zero)."""
    return round_half_up_div(grams, e_g) * e_g


def decimal_to_grams(text: str, unit: str) -> int:
    """Parse a decimal weight such as ``"1.2345"`` in ``kg`` or ``g`` to integer grams.

    Rounds half up to the gram. Raises ValueError on anything that is not a plain
    decimal number or an unknown unit, so a garbled frame is never turned into a weight.
    """
    text = text.strip()
    if not text or any(c not in "+-.0123456789" for c in text):
        raise ValueError(f"not a decimal weight: {text!r}")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal weight: {text!r}") from exc
    scale = {"kg": 1000, "g": 1}.get(unit.strip().lower())
    if scale is None:
        raise ValueError(f"unsupported weight unit: {unit!r} (only kg and g are legal for trade)")
    return int((value * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def digits_to_grams(digits: int, decimals: int, unit: str) -> int:
    """A module's integer display count with ``decimals`` implied places, in ``unit``, to grams."""
    scale = {"kg": 1000, "g": 1}.get(unit)
    if scale is None:
        raise ValueError(f"unsupported weight unit: {unit!r}")
    return round_half_up_div(digits * scale, 10**decimals) if decimals >= 0 else digits * scale * 10**-decimals


def format_kg(grams: int, e_g: int = 1) -> str:
    """Show grams as kg with as many decimals as the division needs (e=5 g -> ``1.235``)."""
    decimals = 3 if e_g < 10 else 2 if e_g < 100 else 1 if e_g < 1000 else 0
    sign = "-" if grams < 0 else ""
    whole, frac = divmod(abs(grams), 1000)
    if decimals == 0:
        return f"{sign}{whole}"
    frac_text = f"{frac:03d}"[:decimals]
    return f"{sign}{whole}.{frac_text}"
