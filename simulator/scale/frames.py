"""Pure encoders of every weighing-module wire format in docs/protocols.md.

One function per frame type, no I/O and no state: a `Sample` (what the module shows at
one instant, integer grams) goes in, the exact bytes a real module would send come out.
The parsers in ``edge/scale_driver/protocols/`` are written independently from the same
page; these encoders are deliberately the other half of that contract and never import them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from edge.core.units import round_half_up_div

UNIT_GRAMS = {"kg": 1000, "g": 1}
STX = 0x02
CR = 0x0D


@dataclass(frozen=True, slots=True)
class Sample:
    """What the module displays at one instant. Weights are integer grams, multiples of e."""

    gross_g: int
    tare_g: int = 0
    stable: bool = True
    overload: bool = False
    underload: bool = False
    module_error: str = ""  # "" | "ram" | "eeprom": only toledo-8217 can report it

    @property
    def net_g(self) -> int:
        return self.gross_g - self.tare_g

    @property
    def tared(self) -> bool:
        return self.tare_g != 0

    @property
    def shown_g(self) -> int:
        """The weight on the module's display: net while a tare is active, else gross."""
        return self.net_g if self.tared else self.gross_g

    @property
    def out_of_range(self) -> bool:
        return self.overload or self.underload


@dataclass(frozen=True, slots=True)
class WeightFormat:
    """Unit and implied decimals a module reports in (decimals < 0: dummy trailing zeros)."""

    unit: str = "kg"
    decimals: int = 3

    def __post_init__(self) -> None:
        if self.unit not in UNIT_GRAMS:
            raise ValueError(f"unit must be kg or g (legal for trade), not {self.unit!r}")
        if not -2 <= self.decimals <= 5:
            raise ValueError(f"decimals must be between -2 and 5, not {self.decimals}")

    @classmethod
    def for_division(cls, unit: str, e_g: int) -> WeightFormat:
        """As many decimals as the division needs: e=5 g in kg -> 3 decimals (1.235 kg)."""
        if unit == "g":
            return cls("g", 0 if e_g % 10 else -1 if e_g % 100 else -2)
        return cls("kg", 3 if e_g % 10 else 2 if e_g % 100 else 1 if e_g % 1000 else 0)

    def counts(self, grams: int) -> int:
        """Grams as the integer display count of this format (1235 g in kg/3 -> 1235)."""
        factor = UNIT_GRAMS[self.unit]
        if self.decimals >= 0:
            return round_half_up_div(grams * 10**self.decimals, factor)
        return round_half_up_div(grams, factor * 10**-self.decimals)

    def text(self, grams: int) -> str:
        """Decimal text with point, sign only when negative: 1235 -> "1.235", -15 -> "-0.015"."""
        counts = self.counts(grams)
        sign = "-" if counts < 0 else ""
        digits = str(abs(counts))
        if self.decimals <= 0:
            return sign + digits + "0" * -self.decimals if counts else "0"
        digits = digits.rjust(self.decimals + 1, "0")
        return f"{sign}{digits[: -self.decimals]}.{digits[-self.decimals :]}"

    def division_counts(self, e_g: int) -> int:
        """The division e in display counts; raises when this format cannot show e exactly."""
        factor = UNIT_GRAMS[self.unit]
        scaled = e_g * 10**self.decimals if self.decimals >= 0 else e_g
        divisor = factor if self.decimals >= 0 else factor * 10**-self.decimals
        if scaled % divisor:
            raise ValueError(f"e = {e_g} g cannot be shown in {self.unit} with {self.decimals} decimals")
        return scaled // divisor


# --- 1. mt-sics ---------------------------------------------------------------------------

MTSICS_VALUE_WIDTH = 10


def mtsics_line(*fields: str) -> bytes:
    """One reply line: fields separated by one space, CR LF."""
    return (" ".join(fields) + "\r\n").encode("ascii")


def mtsics_value_reply(command: str, status: str, grams: int, fmt: WeightFormat) -> bytes:
    """`S S      1.235 kg` style: value right aligned in a 10-character field."""
    return mtsics_line(command, status, fmt.text(grams).rjust(MTSICS_VALUE_WIDTH), fmt.unit)


def mtsics_weight_reply(sample: Sample, fmt: WeightFormat) -> bytes:
    """The answer to `SI`: net weight now, `S S` stable or `S D` dynamic; `S +`/`S -` out of range."""
    if sample.overload:
        return mtsics_line("S", "+")
    if sample.underload:
        return mtsics_line("S", "-")
    return mtsics_value_reply("S", "S" if sample.stable else "D", sample.net_g, fmt)


# --- 2. toledo-continuous -------------------------------------------------------------------

TOLEDO_INCREMENT_CODE = {1: 1, 2: 2, 5: 3}  # increment size in display counts -> SWA bits 3-4
TOLEDO_FIELD_MAX = 999_999


def toledo_checksum(body: bytes) -> int:
    """Two's complement of the 7-bit sum, so that sum(frame) & 0x7F == 0."""
    return (-sum(body)) & 0x7F


def toledo_swa(fmt: WeightFormat, e_g: int) -> int:
    increment = fmt.division_counts(e_g)
    if increment not in TOLEDO_INCREMENT_CODE:
        raise ValueError(f"toledo-continuous increment must be 1, 2 or 5 counts, e = {e_g} g is {increment}")
    decimal_code = fmt.decimals + 2  # code 2 = XXXXXX, 5 = XXX.XXX, 0 = XXXX00
    return 0x20 | TOLEDO_INCREMENT_CODE[increment] << 3 | decimal_code


def toledo_swb(sample: Sample, fmt: WeightFormat) -> int:
    negative = sample.underload or (not sample.overload and fmt.counts(sample.shown_g) < 0)
    return (
        0x20
        | (0x01 if sample.tared else 0)
        | (0x02 if negative else 0)
        | (0x04 if sample.out_of_range else 0)
        | (0x08 if not sample.stable else 0)
        | 0x10  # metric; grams are signalled by SWC's unit override
    )  # bit 6 "not zeroed since power-up" stays 0: the module zeroes itself at power-on


def toledo_swc(fmt: WeightFormat) -> int:
    return 0x20 | (0x01 if fmt.unit == "g" else 0)


def toledo_field(counts: int, *, blank_leading_zeros: bool = False) -> bytes:
    """Six ASCII digits without sign or point; optionally leading zeros as spaces."""
    text = f"{min(abs(counts), TOLEDO_FIELD_MAX):06d}"
    if blank_leading_zeros:
        text = text.lstrip("0").rjust(6) if counts else "     0"
    return text.encode("ascii")


def toledo_continuous(
    sample: Sample, fmt: WeightFormat, e_g: int, *, checksum: bool = True, blank_leading_zeros: bool = False
) -> bytes:
    """`STX SWA SWB SWC W*6 T*6 CR [CHK]`: net frame while a tare is active, else gross frame."""
    body = (
        bytes((STX, toledo_swa(fmt, e_g), toledo_swb(sample, fmt), toledo_swc(fmt)))
        + toledo_field(fmt.counts(sample.shown_g), blank_leading_zeros=blank_leading_zeros)
        + toledo_field(fmt.counts(sample.tare_g), blank_leading_zeros=blank_leading_zeros)
        + bytes((CR,))
    )
    return body + bytes((toledo_checksum(body),)) if checksum else body


# --- 3. ascii-stgs (A&D indicator format = CAS "18 bytes for AND") ---------------------------

ASCII_DATA_WIDTH = 7  # after the sign: 8 data bytes, e.g. "+001.235"
ASCII_UNIT = {"kg": "kg", "g": " g"}


def _ascii_line(head: str, mode: str, data: str, fmt: WeightFormat) -> bytes:
    return f"{head},{mode},{data}{ASCII_UNIT[fmt.unit]}\r\n".encode("ascii")


def _ascii_data(grams: int, fmt: WeightFormat) -> str:
    """Sign and 7 characters, leading zeros: 1235 g in kg/3 -> "+001.235", -15 -> "-000.015"."""
    sign = "-" if fmt.counts(grams) < 0 else "+"
    return sign + fmt.text(abs(grams)).rjust(ASCII_DATA_WIDTH, "0")


def ascii_stgs_line(sample: Sample, fmt: WeightFormat) -> bytes:
    """`ST,GS,+001.235kg`: header, gross/net, 8 data bytes, 2-character unit (18 bytes with CR LF)."""
    mode = "NT" if sample.tared else "GS"
    if sample.out_of_range:  # out of range: the digits are sent as spaces
        return _ascii_line("OL", mode, ("-" if sample.underload else "+") + " " * ASCII_DATA_WIDTH, fmt)
    return _ascii_line("ST" if sample.stable else "US", mode, _ascii_data(sample.shown_g, fmt), fmt)


def ascii_stgs_tare_line(tare_g: int, fmt: WeightFormat) -> bytes:
    """`ST,TR,+000.500kg`: tells the host the tare that NT lines are net of (0 = cleared)."""
    return _ascii_line("ST", "TR", _ascii_data(tare_g, fmt), fmt)


# --- 4. binary-ff (Yousheng JCS-B manual) --------------------------------------------------

BINARY_UNIT = {"kg": 0x00}  # 0x01 is lb, which a trade module must not send
BINARY_FIELD_MAX = 999_999


def bcd_lsb_first(counts: int) -> bytes:
    """Six BCD digits, least significant byte first: 1235 -> 35 12 00."""
    digits = f"{min(counts, BINARY_FIELD_MAX):06d}"
    return bytes(int(digits[i], 16) << 4 | int(digits[i + 1]) for i in (4, 2, 0))


def binary_ff(sample: Sample, fmt: WeightFormat) -> bytes:
    """`FF ST B1 B2 B3 UN`: D0-2 decimals, D3-4 mode 00 (weighing), D5 negative, D6 stable, D7 overflow."""
    if not 0 <= fmt.decimals <= 5:
        raise ValueError("binary-ff carries 0-5 decimal places")
    counts = fmt.counts(sample.shown_g)
    negative = sample.underload or (not sample.overload and counts < 0)
    status = (
        fmt.decimals | (0x20 if negative else 0) | (0x40 if sample.stable else 0) | (0x80 if sample.out_of_range else 0)
    )
    return bytes((0xFF, status)) + bcd_lsb_first(abs(counts)) + bytes((BINARY_UNIT[fmt.unit],))


# --- 5. toledo-8217 -----------------------------------------------------------------------

TOLEDO_8217_MAX_G = 99_999  # WW.WWW kg
TOLEDO_8217_ERROR_BITS = {"ram": 0x04, "eeprom": 0x08}


def toledo_8217_weight(net_g: int) -> bytes:
    """`STX WW.WWW CR` in kg, e.g. b"\\x0201.234\\r"."""
    if not 0 <= net_g <= TOLEDO_8217_MAX_G:
        raise ValueError(f"toledo-8217 weight frame carries 0..99.999 kg, not {net_g} g")
    kg, grams = divmod(net_g, 1000)
    return b"\x02" + f"{kg:02d}.{grams:03d}".encode("ascii") + b"\r"


def toledo_8217_status_byte(sample: Sample) -> int:
    return (
        0x40
        | (0x01 if not sample.stable else 0)
        | (0x02 if sample.gross_g == 0 and not sample.out_of_range else 0)  # centre of zero
        | TOLEDO_8217_ERROR_BITS.get(sample.module_error, 0)
        | (0x10 if sample.underload or (not sample.overload and sample.net_g < 0) else 0)
        | (0x20 if sample.overload else 0)
    )


def toledo_8217_status(sample: Sample) -> bytes:
    """`STX ? ST CR`."""
    return bytes((STX, ord("?"), toledo_8217_status_byte(sample), CR))


def toledo_8217_answer(sample: Sample) -> bytes:
    """The answer to `W`: a weight frame for a valid stable non-zero weight, else a status frame."""
    status = toledo_8217_status_byte(sample)
    if status != 0x40:  # motion, at zero, error, under or over capacity
        return toledo_8217_status(sample)
    return toledo_8217_weight(sample.net_g)


# --- 6-9. Yaohua (XK3190-A9 tf=0 / A26 / A23P, "=" formats, A12E) --------------------------------


def _xor(data: bytes) -> int:
    x = 0
    for b in data:
        x ^= b
    return x


def _xor_hex(data: bytes) -> bytes:
    """XOR of the bytes as two upper-case hex characters (value + 30h, or + 37h above 9)."""
    return f"{_xor(data):02X}".encode("ascii")


def _digits_text(grams: int, fmt: WeightFormat, width: int) -> str:
    """abs(grams) as the display shows it, zero padded to ``width`` characters (point included)."""
    text = fmt.text(abs(grams)).rjust(width, "0")
    if len(text) > width:
        raise ValueError(f"{text} does not fit the {width}-character weight field")
    return text


def yaohua_tf0(sample: Sample, fmt: WeightFormat) -> bytes:
    """`02 +001235 3 XX 03`: sign, six digits, decimal places, XOR of sign..decimals, ETX."""
    if not 0 <= fmt.decimals <= 4:
        raise ValueError("yaohua tf=0 carries 0-4 decimal places")
    counts = fmt.counts(sample.shown_g)
    body = ("-" if counts < 0 else "+").encode() + f"{min(abs(counts), 999_999):06d}{fmt.decimals}".encode()
    return b"\x02" + body + _xor_hex(body) + b"\x03"


def yaohua_eq(sample: Sample, fmt: WeightFormat, *, reversed_digits: bool) -> bytes:
    """`=532.1000` (A26 format 1: lowest digit first, sign last) or `=0001.235` (format 2)."""
    data = _digits_text(sample.shown_g, fmt, 7)
    sign = "-" if fmt.counts(sample.shown_g) < 0 else "0"
    return ("=" + (data[::-1] + sign if reversed_digits else sign + data)).encode("ascii")


def yaohua_a12e(sample: Sample, fmt: WeightFormat) -> bytes:
    """`WG004.139kg3D CR LF`; nine blanks + `OL` / `LO` when out of range."""
    if sample.out_of_range:
        body = b" " * 9 + (b"LO" if sample.underload else b"OL")
    else:
        value = sample.shown_g
        negative = fmt.counts(value) < 0
        text = _digits_text(value, fmt, 6 if negative else 7)
        field = ("-" + text if negative else text) if fmt.decimals > 0 else text[-6:].rjust(6, "0") + " "
        body = b"W" + (b"N" if sample.tared else b"G") + field.encode("ascii") + b"kg"
    return body + _xor_hex(body) + b"\r\n"


def yaohua_ww(sample: Sample, fmt: WeightFormat) -> bytes:
    """`ww00001.235kg CR LF` (gross) or `wn...` (net); a leading `-` when negative."""
    value = sample.shown_g
    negative = fmt.counts(value) < 0
    text = ("-" if negative else "") + _digits_text(value, fmt, 8 if negative else 9)
    return b"w" + (b"n" if sample.tared else b"w") + text.encode("ascii") + b"kg\r\n"


# --- 11. Aclas / Pinnacle OS2X active output ------------------------------------------------------

ACLAS_UNIT = {"kg": b"kg", "g": b"g "}


def aclas_os2x(sample: Sample, fmt: WeightFormat) -> bytes:
    """`01 02 S ' ' 01.235 kg XOR 03 04 Flag2` (16 bytes)."""
    value = sample.shown_g
    negative = sample.underload or (not sample.overload and fmt.counts(value) < 0)
    flag = b"F" if sample.out_of_range else b"S" if sample.stable else b"U"
    weight = b"000000" if sample.out_of_range else _digits_text(value, fmt, 6).encode("ascii")
    head = b"\x01\x02" + flag + (b"-" if negative else b" ") + weight + ACLAS_UNIT[fmt.unit]
    flag2 = (
        (0x10 if fmt.counts(value) == 0 else 0) | (0x20 if sample.tared else 0) | (0x40 if sample.out_of_range else 0)
    )
    return head + bytes((_xor(head), 0x03, 0x04, flag2))


# --- the protocols as data ---------------------------------------------------------------

Encoder = Callable[[Sample, WeightFormat, int], bytes]


@dataclass(frozen=True, slots=True)
class ProtocolSpec:
    """How one protocol behaves: streamed or polled, which units, and its weight frame."""

    name: str
    streaming: bool
    units: tuple[str, ...]
    weight_frame: Encoder  # streamed frame, or the answer to the protocol's weight poll
    frame_starts: bytes = b""  # bytes that start a frame; injected garbage avoids them
    line_based: bool = False


PROTOCOLS: dict[str, ProtocolSpec] = {
    spec.name: spec
    for spec in (
        ProtocolSpec("mt-sics", False, ("kg", "g"), lambda s, f, e: mtsics_weight_reply(s, f), line_based=True),
        ProtocolSpec("toledo-continuous", True, ("kg", "g"), toledo_continuous, frame_starts=b"\x02"),
        ProtocolSpec(
            "toledo-continuous-nocs",
            True,
            ("kg", "g"),
            lambda s, f, e: toledo_continuous(s, f, e, checksum=False),
            frame_starts=b"\x02",
        ),
        ProtocolSpec("ascii-stgs", True, ("kg", "g"), lambda s, f, e: ascii_stgs_line(s, f), line_based=True),
        ProtocolSpec("binary-ff", True, ("kg",), lambda s, f, e: binary_ff(s, f), frame_starts=b"\xff"),
        ProtocolSpec("toledo-8217", False, ("kg",), lambda s, f, e: toledo_8217_answer(s), frame_starts=b"\x02"),
        ProtocolSpec("yaohua-tf0", True, ("kg",), lambda s, f, e: yaohua_tf0(s, f), frame_starts=b"\x02"),
        ProtocolSpec(
            "yaohua-eq-reversed",
            True,
            ("kg",),
            lambda s, f, e: yaohua_eq(s, f, reversed_digits=True),
            frame_starts=b"=",
        ),
        ProtocolSpec(
            "yaohua-eq-forward",
            True,
            ("kg",),
            lambda s, f, e: yaohua_eq(s, f, reversed_digits=False),
            frame_starts=b"=",
        ),
        ProtocolSpec("yaohua-a12e", True, ("kg",), lambda s, f, e: yaohua_a12e(s, f), line_based=True),
        ProtocolSpec("yaohua-ww", True, ("kg",), lambda s, f, e: yaohua_ww(s, f), frame_starts=b"w"),
        ProtocolSpec("aclas-os2x", True, ("kg", "g"), lambda s, f, e: aclas_os2x(s, f), frame_starts=b"\x01"),
    )
}


def get_protocol(name: str) -> ProtocolSpec:
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise ValueError(f"unknown scale protocol {name!r}; choose one of: {', '.join(PROTOCOLS)}") from None
