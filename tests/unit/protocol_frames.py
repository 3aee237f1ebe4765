"""Small valid-frame builders for the parser property tests and the parser bench.

Written from docs/protocols.md only (independently of ``simulator/``), for a plain
weight reading: ``frame(name, grams, stable)`` returns the frame bytes and the
``(gross_g, net_g, stable, has_weight)`` a parser must report for them.
"""

from __future__ import annotations

from collections.abc import Callable

from edge.core.reading import Reading

Expect = tuple[int, int, bool, bool]

MAX_ABS_G = 99_999  # a weight every format can carry (8217: WW.WWW kg)


def expect_of(reading: Reading, name: str = "") -> Expect:
    """What a test compares; for the REPEAT_STABLE formats without the stable flag."""
    stable = reading.stable and name not in REPEAT_STABLE
    return (reading.gross_g, reading.net_g, stable, reading.has_weight)


def kg_text(grams: int) -> str:
    """1235 -> "1.235", -15 -> "-0.015" (three decimals, sign only when negative)."""
    sign = "-" if grams < 0 else ""
    whole, frac = divmod(abs(grams), 1000)
    return f"{sign}{whole}.{frac:03d}"


def mt_sics(grams: int, stable: bool) -> tuple[bytes, Expect]:
    line = f"S {'S' if stable else 'D'} {kg_text(grams):>10} kg\r\n"
    return line.encode(), (grams, grams, stable, True)


def toledo(grams: int, stable: bool, checksum: bool = True) -> tuple[bytes, Expect]:
    swa = 0x20 | 0x08 | 5  # increment x1, XXX.XXX
    swb = 0x20 | 0x10 | (0x02 if grams < 0 else 0) | (0 if stable else 0x08)  # kg, gross
    body = bytes((0x02, swa, swb, 0x20)) + f"{abs(grams):6d}     0\r".encode()
    frame = body + bytes(((-sum(body)) & 0x7F,)) if checksum else body
    return frame, (grams, grams, stable, True)


def toledo_nocs(grams: int, stable: bool) -> tuple[bytes, Expect]:
    return toledo(grams, stable, checksum=False)


def ascii_stgs(grams: int, stable: bool) -> tuple[bytes, Expect]:
    """A&D indicator / CAS "18 bytes for AND": ``ST,GS,+001.235kg``."""
    sign = "-" if grams < 0 else "+"
    line = f"{'ST' if stable else 'US'},GS,{sign}{kg_text(abs(grams)):0>7}kg\r\n"
    return line.encode(), (grams, grams, stable, True)


def binary_ff(grams: int, stable: bool) -> tuple[bytes, Expect]:
    status = 3 | (0x20 if grams < 0 else 0) | (0x40 if stable else 0)  # Yousheng JCS-B: D5 negative, D6 stable
    digits = f"{abs(grams):06d}"
    bcd = bytes(int(digits[i : i + 2], 16) for i in (4, 2, 0))  # least significant byte first
    return b"\xff" + bytes((status,)) + bcd + b"\x00", (grams, grams, stable, True)


def toledo_8217(grams: int, stable: bool) -> tuple[bytes, Expect]:
    if not stable:
        return b"\x02?A\r", (0, 0, False, False)  # motion
    if grams < 0:
        return b"\x02?P\r", (0, 0, True, False)  # under capacity
    kg, g = divmod(grams, 1000)
    return f"\x02{kg:02d}.{g:03d}\r".encode(), (grams, grams, True, True)


def _xor_hex(data: bytes) -> bytes:
    x = 0
    for b in data:
        x ^= b
    return b"%02X" % x


def _padded(grams: int, width: int) -> str:
    """abs(grams) in kg with three decimals, zero padded: (1235, 7) -> "001.235"."""
    return kg_text(abs(grams)).rjust(width, "0")


# The formats without a motion flag: a parser calls a reading stable only when it repeats the
# frame before it, so a builder cannot say "stable"; tests compare these without the flag.
REPEAT_STABLE = frozenset(("yaohua-tf0", "yaohua-eq-reversed", "yaohua-eq-forward", "yaohua-a12e", "yaohua-ww"))


def yaohua_tf0(grams: int, stable: bool) -> tuple[bytes, Expect]:
    """XK3190-A26 format 0: STX, sign, 6 digits, decimals, XOR of sign..decimals in hex, ETX."""
    body = f"{'-' if grams < 0 else '+'}{abs(grams):06d}3".encode()
    return b"\x02" + body + _xor_hex(body) + b"\x03", (grams, grams, False, True)


def yaohua_eq_reversed(grams: int, stable: bool) -> tuple[bytes, Expect]:
    """A26 format 1: '=', 7 characters lowest digit first, sign '0' or '-'."""
    return f"={_padded(grams, 7)[::-1]}{'-' if grams < 0 else '0'}".encode(), (grams, grams, False, True)


def yaohua_eq_forward(grams: int, stable: bool) -> tuple[bytes, Expect]:
    """A26 format 2: '=', sign '0' or '-', 7 characters highest digit first."""
    return f"={'-' if grams < 0 else '0'}{_padded(grams, 7)}".encode(), (grams, grams, False, True)


def yaohua_a12e(grams: int, stable: bool) -> tuple[bytes, Expect]:
    """XK3190-A12(E): W G, 7-character value ('-' first when negative), kg, XOR in hex, CR LF."""
    value = "-" + _padded(grams, 6) if grams < 0 else _padded(grams, 7)
    body = f"WG{value}kg".encode()
    return body + _xor_hex(body) + b"\r\n", (grams, grams, False, True)


def yaohua_ww(grams: int, stable: bool) -> tuple[bytes, Expect]:
    value = "-" + _padded(grams, 8) if grams < 0 else _padded(grams, 9)
    return f"ww{value}kg".encode(), (grams, grams, False, True)


def aclas_os2x(grams: int, stable: bool) -> tuple[bytes, Expect]:
    """OS2CX active output: 01 02 flag sign weight(6) unit(2) XOR(0-11) 03 04 flag2."""
    head = b"\x01\x02" + (b"S" if stable else b"U") + (b"-" if grams < 0 else b" ") + _padded(grams, 6).encode() + b"kg"
    x = 0
    for b in head:
        x ^= b
    return head + bytes((x, 3, 4, 0x10 if grams == 0 else 0)), (grams, grams, stable, True)


BUILDERS: dict[str, Callable[[int, bool], tuple[bytes, Expect]]] = {
    "mt-sics": mt_sics,
    "toledo-continuous": toledo,
    "toledo-continuous-nocs": toledo_nocs,
    "ascii-stgs": ascii_stgs,
    "binary-ff": binary_ff,
    "toledo-8217": toledo_8217,
    "yaohua-tf0": yaohua_tf0,
    "yaohua-eq-reversed": yaohua_eq_reversed,
    "yaohua-eq-forward": yaohua_eq_forward,
    "yaohua-a12e": yaohua_a12e,
    "yaohua-ww": yaohua_ww,
    "aclas-os2x": aclas_os2x,
}

# Bytes that start a frame (or end a line): garbage without them cannot form or cut one.
FRAME_MARKERS: dict[str, bytes] = {
    "mt-sics": b"\r\n",
    "toledo-continuous": b"\x02",
    "toledo-continuous-nocs": b"\x02",
    "ascii-stgs": b"\r\n",
    "binary-ff": b"\xff",
    "toledo-8217": b"\x02",
    "yaohua-tf0": b"\x02",
    "yaohua-eq-reversed": b"=",
    "yaohua-eq-forward": b"=",
    "yaohua-a12e": b"\r\n",
    "yaohua-ww": b"w",
    "aclas-os2x": b"\x01",
}
