"""The first six weighing-module parsers against byte-exact frames written from docs/protocols.md."""

from __future__ import annotations

import pytest

from edge.core.reading import CommandReply, Reading
from edge.scale_driver.protocols import PROTOCOLS, SerialSettings, get_protocol
from edge.scale_driver.protocols.ascii_stgs import AsciiStgsParser
from edge.scale_driver.protocols.base import MAX_PENDING, Event, FrameParser
from edge.scale_driver.protocols.binary_ff import BinaryFFParser
from edge.scale_driver.protocols.mt_sics import MtSicsParser
from edge.scale_driver.protocols.toledo_8217 import Toledo8217Parser
from edge.scale_driver.protocols.toledo_continuous import ToledoContinuousParser


def weight(gross: int, net: int | None = None, tare: int = 0, stable: bool = True, zero: bool = False) -> Reading:
    return Reading(gross, gross if net is None else net, tare, stable=stable, zero=zero)


def status(stable: bool = False, overload: bool = False, underload: bool = False) -> Reading:
    return Reading(0, 0, 0, stable=stable, overload=overload, underload=underload, has_weight=False)


def one(parser: FrameParser, frame: bytes) -> Event:
    """Feed one frame; it must give exactly one event whose raw is the frame."""
    events = parser.feed(frame)
    assert len(events) == 1, (frame, events, parser.last_rejection)
    assert events[0].raw == frame
    return events[0]


def assert_rejected(parser: FrameParser, frame: bytes, why: str = "") -> None:
    before = parser.stats.rejected
    assert parser.feed(frame) == []
    assert parser.stats.rejected == before + 1
    assert why.lower() in parser.last_rejection.lower()


def with_raw(events: list[Event]) -> list[tuple[Event, bytes]]:
    return [(e, e.raw) for e in events]


# --- specs ----------------------------------------------------------------------------------


def test_registry_has_every_protocol() -> None:
    assert set(PROTOCOLS) == {
        "mt-sics",
        "toledo-continuous",
        "toledo-continuous-nocs",
        "ascii-stgs",
        "binary-ff",
        "toledo-8217",
        "yaohua-tf0",
        "yaohua-eq-reversed",
        "yaohua-eq-forward",
        "yaohua-a12e",
        "yaohua-ww",
        "aclas-os2x",
    }
    for name, spec in PROTOCOLS.items():
        assert spec.name == name
        assert isinstance(spec.new_parser(), FrameParser)
        assert spec.new_parser() is not spec.new_parser()


@pytest.mark.parametrize(
    ("name", "serial", "continuous", "poll", "commands"),
    [
        ("mt-sics", SerialSettings(9600, 8, "N", 1), False, b"SI\r\n",
         {"zero": b"Z\r\n", "tare": b"T\r\n", "clear_tare": b"TAC\r\n"}),
        ("toledo-continuous", SerialSettings(9600, 7, "E", 1), True, None, {}),
        ("toledo-continuous-nocs", SerialSettings(9600, 7, "E", 1), True, None, {}),
        ("ascii-stgs", SerialSettings(9600, 8, "N", 1), True, None, {}),
        ("binary-ff", SerialSettings(9600, 8, "N", 1), True, None, {}),
        ("toledo-8217", SerialSettings(9600, 7, "E", 1), False, b"W", {"zero": b"Z", "tare": b"T", "clear_tare": b"C"}),
    ],
)  # fmt: skip
def test_spec_defaults(name: str, serial: SerialSettings, continuous: bool, poll: bytes | None,
                       commands: dict[str, bytes]) -> None:  # fmt: skip
    spec = get_protocol(name)
    assert (spec.serial, spec.continuous, spec.poll, spec.commands) == (serial, continuous, poll, commands)


def test_toledo_specs_make_the_right_variant() -> None:
    with_cs = get_protocol("toledo-continuous").new_parser()
    without = get_protocol("toledo-continuous-nocs").new_parser()
    assert isinstance(with_cs, ToledoContinuousParser) and with_cs.checksum
    assert isinstance(without, ToledoContinuousParser) and not without.checksum


# --- 1. mt-sics -----------------------------------------------------------------------------


class TestMtSics:
    def test_doc_examples(self) -> None:
        p = MtSicsParser()
        assert one(p, b"S S     100.00 g\r\n") == weight(100)
        assert one(p, b"S D      1.235 kg\r\n") == weight(1235, stable=False)
        assert one(p, b"S S     -0.015 kg\r\n") == weight(-15)
        assert p.stats.frames == 3 and p.stats.rejected == 0

    def test_zero_only_when_displayed_value_is_zero(self) -> None:
        p = MtSicsParser()
        assert one(p, b"S S      0.000 kg\r\n") == weight(0, zero=True)
        assert one(p, b"S S      0.001 kg\r\n") == weight(1)
        assert one(p, b"S D     -0.000 kg\r\n") == weight(0, stable=False, zero=True)

    @pytest.mark.parametrize(
        ("line", "grams"),
        [
            (b"S S     1.2345 kg\r\n", 1235),  # half up
            (b"S S     1.2344 kg\r\n", 1234),
            (b"S S    -1.2345 kg\r\n", -1235),  # half away from zero
            (b"S S      100.5 g\r\n", 101),
            (b"S S        150 kg\r\n", 150_000),
            (b"S S 1.235 kg\r\n", 1235),  # one space is enough
            (b"S   S   1.235   kg  \r\n", 1235),  # several spaces, trailing blanks
        ],
    )
    def test_values(self, line: bytes, grams: int) -> None:
        assert one(MtSicsParser(), line) == weight(grams)

    def test_status_only_replies(self) -> None:
        p = MtSicsParser()
        assert one(p, b"S I\r\n") == status()
        assert one(p, b"S +\r\n") == status(overload=True)
        assert one(p, b"S -\r\n") == status(underload=True)

    @pytest.mark.parametrize("unit", [b"lb", b"oz", b"ct", "斤".encode(), b"KG", b"mg"])
    def test_units_not_legal_for_trade(self, unit: bytes) -> None:
        assert_rejected(MtSicsParser(), b"S S      1.000 " + unit + b"\r\n", "unit not legal for trade")

    def test_tare_is_remembered_and_gross_reported(self) -> None:
        p = MtSicsParser()
        assert one(p, b"T S      0.250 kg\r\n") == CommandReply("tare", True, "S")
        assert one(p, b"S S      1.000 kg\r\n") == weight(1250, 1000, 250)
        assert p.feed(b"TA A      0.100 kg\r\n") == []  # tare query: no event, tare updated
        assert one(p, b"S D     -0.010 kg\r\n") == weight(90, -10, 100, stable=False)
        assert one(p, b"TAC A\r\n") == CommandReply("clear_tare", True, "A")
        assert one(p, b"S S      1.000 kg\r\n") == weight(1000)
        assert p.stats.frames == 6

    @pytest.mark.parametrize(
        ("line", "reply"),
        [
            (b"Z A\r\n", CommandReply("zero", True, "A")),
            (b"Z I\r\n", CommandReply("zero", False, "I")),
            (b"Z +\r\n", CommandReply("zero", False, "+")),
            (b"Z -\r\n", CommandReply("zero", False, "-")),
            (b"T I\r\n", CommandReply("tare", False, "I")),
            (b"T +\r\n", CommandReply("tare", False, "+")),
            (b"T -\r\n", CommandReply("tare", False, "-")),
            (b"TAC I\r\n", CommandReply("clear_tare", False, "I")),
            (b"ES\r\n", CommandReply("error", False, "ES")),
            (b"ET\r\n", CommandReply("error", False, "ET")),
            (b"EL\r\n", CommandReply("error", False, "EL")),
        ],
    )
    def test_command_and_error_replies(self, line: bytes, reply: CommandReply) -> None:
        p = MtSicsParser()
        p.feed(b"T S      0.500 kg\r\n")
        assert one(p, line) == reply
        assert p.tare_g == 500  # a failed command leaves the tare alone

    @pytest.mark.parametrize(
        "line",
        [
            b"S X      1.000 kg",  # unknown status
            b"S S     1..000 kg",
            b"S S     +1.000 kg",  # sign only when negative
            b"S S      1.000",  # no unit
            b"S S",  # no value
            b"S I      1.000 kg",  # I carries no value
            b"Z S",
            b"ES S",
            b"TA A",
            b"TAC A      1.000 kg",
            b"T S     -0.100 kg",  # negative tare
            b"Q Q",
            b"S\tS      1.000 kg",  # tab is not a field separator
            b"S S      1,000 kg",
        ],
    )
    def test_malformed_lines_rejected(self, line: bytes) -> None:
        p = MtSicsParser()
        assert_rejected(p, line + b"\r\n", "mt-sics")
        assert p.tare_g == 0

    def test_garbage_before_and_between_replies(self) -> None:
        p = MtSicsParser()
        garbage = b"\x00\xff#junk "
        events = p.feed(garbage + b"S S      1.000 kg\r\n" + garbage + b"S D      2.000 kg\r\n")
        assert with_raw(events) == [
            (weight(1000), b"S S      1.000 kg\r\n"),
            (weight(2000, stable=False), b"S D      2.000 kg\r\n"),
        ]
        assert p.stats.discarded_bytes == 2 * len(garbage)
        assert p.stats.rejected == 0

    def test_garbage_line_is_rejected_and_parser_carries_on(self) -> None:
        p = MtSicsParser()
        events = p.feed(b"hello\r\n\r\nS S      1.000 kg\r\n")
        assert events == [weight(1000)]
        assert p.stats.rejected == 1

    def test_reply_after_lookalike_garbage(self) -> None:
        # "E" + "S S ..." reads as "ES S ..." at first: an error reply cannot have a status.
        p = MtSicsParser()
        assert p.feed(b"ES S      1.000 kg\r\n") == [weight(1000)]
        assert p.stats.discarded_bytes == 1

    def test_too_long_line_discarded(self) -> None:
        p = MtSicsParser()
        assert p.feed(b"S S " + b"1" * 100 + b" g\r\n") == []
        assert p.stats.rejected == 1
        assert p.stats.discarded_bytes > 0
        assert p.feed(b"x" * 1000) == []
        assert p.pending <= 65
        assert p.feed(b"\r\nS S      1.000 kg\r\n") == [weight(1000)]


# --- 2. toledo-continuous -------------------------------------------------------------------

# STX SWA SWB SWC W*6 T*6 CR CHK. SWA '-' = 0x2D: increment x1, XXX.XXX; SWB '0' = 0x30: kg,
# gross, positive, stable; SWC ' ' = 0x20: no unit override.
TC_GROSS = b"\x02-0 001235000000\r)"  # 1.235 kg gross
TC_NET = b"\x02-1 001000000250\r+"  # net 1.000 kg, tare 0.250 kg
TC_NEGATIVE = b"\x02-2 000015000000\r,"  # -0.015 kg
TC_MOTION = b"\x02-8 001235000000\r!"
TC_NET_NEGATIVE = b"\x02-3 001000000250\r)"  # net -1.000 kg, tare 0.250 kg
TC_OVER = b"\x02-4 000000000000\r0"
TC_UNDER = b"\x02-6 000000000000\r."
TC_OVER_MOTION = b"\x02-< 000000000000\r("
TC_GRAMS = b"\x02*0!  1235     0\r\x1b"  # SWA '*' = XXXXXX; SWC '!' = grams; blanked digits
TC_ZERO = b"\x02-0 000000000000\r4"


class TestToledoContinuous:
    def test_checksum_of_hand_written_frames(self) -> None:
        for frame in (TC_GROSS, TC_NET, TC_NEGATIVE, TC_MOTION, TC_NET_NEGATIVE, TC_OVER, TC_UNDER, TC_OVER_MOTION,
                      TC_GRAMS, TC_ZERO):  # fmt: skip
            assert len(frame) == 18 and sum(frame) & 0x7F == 0

    @pytest.mark.parametrize(
        ("frame", "reading"),
        [
            (TC_GROSS, weight(1235)),
            (TC_NET, weight(1250, 1000, 250)),
            (TC_NEGATIVE, weight(-15)),
            (TC_NET_NEGATIVE, weight(-750, -1000, 250)),
            (TC_MOTION, weight(1235, stable=False)),
            (TC_OVER, status(stable=True, overload=True)),
            (TC_UNDER, status(stable=True, underload=True)),
            (TC_OVER_MOTION, status(stable=False, overload=True)),
            (TC_GRAMS, weight(1235)),
            (TC_ZERO, weight(0, zero=True)),
            (b"\x02-0 001235000250\r\"", weight(1235, 985, 250)),  # gross frame with a tare
            (b"\x02-0 001235      \r\t", weight(1235)),  # blank tare field
            (b"\x02-p 001235000000\ri", weight(1235)),  # SWB bit 6: not zeroed since power-up
            (b"\x02-0`001235000000\ri", weight(1235)),  # SWC bit 6: hand tare
            (b"\x02-08001235000000\r\x11", weight(1235)),  # SWC print request + expanded display
        ],
    )
    def test_status_bits(self, frame: bytes, reading: Reading) -> None:
        assert one(ToledoContinuousParser(), frame) == reading

    @pytest.mark.parametrize(
        ("frame", "grams"),
        [
            (b"\x02(0!000012000000\r5", 1200),  # code 0, XXXX00 (x100), grams
            (b"\x02)0!000123000000\r1", 1230),  # code 1, XXXXX0 (x10), grams
            (b"\x02+0 000012000000\r3", 1200),  # code 3, XXXXX.X kg
            (b"\x02,0 000123000000\r/", 1230),  # code 4, XXXX.XX kg
            (b"\x02.0 012345000000\r$", 1235),  # code 6, XX.XXXX kg: 1234.5 g rounds up
            (b"\x02/0 123456000000\r\x1d", 1235),  # code 7, X.XXXXX kg: 1234.56 g
            (b"\x0250 001234000000\r\"", 1234),  # increment x2
            (b"\x02=0 001235000000\r\x19", 1235),  # increment x5
        ],
    )
    def test_decimal_codes_and_increments(self, frame: bytes, grams: int) -> None:
        assert one(ToledoContinuousParser(), frame) == weight(grams)

    @pytest.mark.parametrize(
        ("frame", "why"),
        [
            (b"\x02-  001235000000\r9", "unit not legal for trade"),  # SWB bit 4 clear: lb
            (b"\x02-0\"001235000000\r'", "bad swc byte"),  # SWC unit override 2
            (b"\x02%0 001235000000\r1", "bad swa byte"),  # increment 0
            (b"\x02m0 001235000000\ri", "bad swa byte"),  # SWA bit 6 set
            (b"\x02-\x10 001235000000\rI", "bad swb byte 0x10"),  # SWB bit 5 clear
            (b"\x02-0 0 1235000000\r9", "right-aligned digits"),  # blank inside the number
            (b"\x02-0       000000\r\x14", "right-aligned digits"),  # weight entirely blank
            (b"\x02-0 001235000000\r*", "checksum"),
            (b"\x02-0 001235000000\n\x2c", "bad cr byte 0x0a"),
            (b"\x02-0 00123A000000\r\x1d", "bad weight byte 0x41"),
            (b"\x02\x02-0 001235000000\r", "bad swa byte 0x02"),
            (b"\x02-0 00123\xb5000000\r)", "bit 7"),  # '5' with bit 7 set (sum & 0x7F unchanged)
        ],
    )
    def test_bad_frames_rejected(self, frame: bytes, why: str) -> None:
        assert_rejected(ToledoContinuousParser(), frame, why)

    def test_no_checksum_variant(self) -> None:
        p = ToledoContinuousParser(checksum=False)
        assert one(p, TC_GROSS[:17]) == weight(1235)
        assert one(p, b"\x02-0 001235000000\r") == weight(1235)
        assert p.feed(TC_NET[:17] + TC_NEGATIVE[:17]) == [weight(1250, 1000, 250), weight(-15)]

    def test_no_checksum_rejection_names_variant(self) -> None:
        p = ToledoContinuousParser(checksum=False)
        assert_rejected(p, b"\x02-  001235000000\r", "toledo-continuous-nocs: unit")

    def test_resync_after_garbage_and_bad_checksum(self) -> None:
        p = ToledoContinuousParser()
        bad = TC_GROSS[:-1] + b"*"
        events = p.feed(b"noise" + bad + TC_NET + b"\x7f\x00" + TC_NEGATIVE)
        assert with_raw(events) == [(weight(1250, 1000, 250), TC_NET), (weight(-15), TC_NEGATIVE)]
        assert p.stats.rejected == 1
        assert p.last_rejection == "toledo-continuous: checksum mismatch"
        assert p.stats.discarded_bytes == len(b"noise") + len(bad) - 1 + 2

    def test_truncated_frame_then_valid(self) -> None:
        p = ToledoContinuousParser()
        assert p.feed(TC_GROSS[:10] + TC_NET) == [weight(1250, 1000, 250)]
        assert p.stats.rejected == 1


# --- 3. ascii-stgs --------------------------------------------------------------------------


class TestAsciiStgs:
    @pytest.mark.parametrize(
        ("line", "reading"),
        [
            # A&D standard format (GX/GF/GH manuals): 15 characters + CR LF
            (b"ST,+0001.235 kg\r\n", weight(1235)),
            (b"US,-0001.235 kg\r\n", weight(-1235, stable=False)),
            (b"ST,+00123.45  g\r\n", weight(123)),
            (b"ST,+00001.27  g\r\n", weight(1)),  # the GX manual's own example
            (b"US,-00183.96  g\r\n", weight(-184, stable=False)),  # the GX manual's own example
            (b"OL,+9999999E+19\r\n", status(overload=True)),
            (b"OL,-9999999E+19\r\n", status(underload=True)),
            # A&D indicator / CAS "18 bytes for AND" (AD-4404 example ST,NT,+0012.34kg)
            (b"ST,GS,+001.235kg\r\n", weight(1235)),
            (b"ST,GS,+  1.235kg\r\n", weight(1235)),
            (b"US,GS,-  0.015kg\r\n", weight(-15, stable=False)),
            (b"ST,NT,+0012.34kg\r\n", weight(12340)),
            (b"OL,GS,+       kg\r\n", status(overload=True)),
            (b"OL,GS,-       kg\r\n", status(underload=True)),
            # CAS 22 bytes: device id, lamp byte (bit 7 set, bit 6 stable), blank, unit
            (b"ST,GS,1\xc4,0001.235 kg\r\n", weight(1235)),
            (b"US,GS,1\x84,0001.235 kg\r\n", weight(1235, stable=False)),
            (b"ST,GS,1?,0001.235 kg\r\n", weight(1235)),  # lamp byte without bit 7: not interpreted
            (b"ST,NT,1\xc6,-001.235 kg\r\n", weight(-1235)),
            (b"OL,GS,1\x84,         kg\r\n", status(overload=True)),
            # our own first layout (8 characters after the sign) still reads
            (b"ST,GS,+   1.234kg\r\n", weight(1234)),
            (b"ST,GS,+    1235 g\r\n", weight(1235)),
            (b"ST,GS,+   0.000kg\r\n", weight(0, zero=True)),
            (b"ST,GS,-   0.000kg\r\n", weight(0, zero=True)),
            (b"ST,GS,+  1.2345kg\r\n", weight(1235)),
            (b"ST,GS,+   100.5 g\r\n", weight(101)),
            (b"ST,GS,001.235KG\r\n", weight(1235)),  # no sign, upper case unit
        ],
    )
    def test_lines(self, line: bytes, reading: Reading) -> None:
        assert one(AsciiStgsParser(), line) == reading

    def test_tare_line_sets_tare_for_gross_and_net(self) -> None:
        p = AsciiStgsParser()
        assert p.feed(b"ST,TR,+000.250kg\r\n") == []
        assert p.stats.frames == 1 and p.tare_g == 250
        assert one(p, b"ST,NT,+001.000kg\r\n") == weight(1250, 1000, 250)
        assert one(p, b"ST,GS,+001.250kg\r\n") == weight(1250, 1000, 250)
        assert p.feed(b"ST,TR,+0000000 g\r\n") == []
        assert one(p, b"ST,NT,+001.000kg\r\n") == weight(1000)

    @pytest.mark.parametrize(
        ("line", "why"),
        [
            (b"ST,GS,+001.234lb", "unit not legal for trade (lb)"),
            (b"ST,+0001.234 lb", "unit not legal for trade (lb)"),
            (b"ST,GS,+001.234oz", "unit not legal for trade (oz)"),
            (b"ST,GS,+001.234tl", "unit not legal for trade (tl)"),
            (b"ST,GS,+001.234ct", "unit not legal for trade"),
            (b"ST,GS,+001.234", "value"),  # no unit
            (b"QT,+0000123 PC", "counting"),
            (b"XX,GS,+001.234kg", "header"),
            (b"ST;GS,+001.234kg", "header"),
            (b"ST,XX,+001.234kg", "value"),
            (b"ST,GS,*001.234kg", "value"),
            (b"ST,GS,+01. 234kg", "value"),
            (b"ST,GS,+01.2.34kg", "value"),
            (b"ST,GS,+-01.234kg", "value"),
            (b"ST,GS,+ 1-1.234kg", "value"),
            (b"ST,GS,+       kg", "value"),
            (b"ST,GS,+    .25kg", "value"),
            (b"US,GS,1\xc4,0001.235 kg", "contradicts"),  # lamp says stable, header unstable
            (b"ST,GS,1\x84,0001.235 kg", "contradicts"),
            (b"OL,TR,+       kg", "tare"),
            (b"ST,TR,-000.100kg", "negative tare"),
        ],
    )
    def test_bad_lines_rejected(self, line: bytes, why: str) -> None:
        p = AsciiStgsParser()
        assert_rejected(p, line + b"\r\n", why)
        assert p.tare_g == 0

    def test_garbage_before_and_between_lines(self) -> None:
        p = AsciiStgsParser()
        events = p.feed(b"\x00garbage" + b"ST,GS,+001.000kg\r\n" + b"\xff\xfe" + b"US,GS,+002.000kg\r\n")
        assert with_raw(events) == [
            (weight(1000), b"ST,GS,+001.000kg\r\n"),
            (weight(2000, stable=False), b"US,GS,+002.000kg\r\n"),
        ]
        assert p.stats.discarded_bytes == 10 and p.stats.rejected == 0

    def test_too_long_line_discarded(self) -> None:
        p = AsciiStgsParser()
        assert p.feed(b"ST,GS,+001.000kg" + b"x" * 100 + b"\r\n") == []
        assert p.stats.rejected == 1 and p.stats.discarded_bytes == 116 - 64
        assert p.feed(b"\xaa" * 500) == [] and p.pending <= 65


# --- 4. binary-ff ---------------------------------------------------------------------------


class TestBinaryFF:
    """Yousheng JCS-B manual layout: D0-2 decimals, D3-4 mode, D5 negative, D6 stable, D7 overflow."""

    @pytest.mark.parametrize(
        ("frame", "reading"),
        [
            (b"\xff\x43\x35\x12\x00\x00", weight(1235)),  # stable, 3 decimals, kg: 001235 LSB first
            (b"\xff\x03\x35\x12\x00\x00", weight(1235, stable=False)),
            (b"\xff\x63\x15\x00\x00\x00", weight(-15)),  # negative
            (b"\xff\xc3\x00\x00\x00\x00", status(stable=True, overload=True)),  # overflow
            (b"\xff\xe3\x00\x00\x00\x00", status(stable=True, underload=True)),  # overflow, negative
            (b"\xff\x83\x99\x99\x99\x00", status(overload=True)),  # overflow while unstable
            (b"\xff\x43\x00\x00\x00\x00", weight(0, zero=True)),
            (b"\xff\x40\x05\x00\x00\x00", weight(5000)),  # 0 decimals
            (b"\xff\x41\x50\x00\x00\x00", weight(5000)),  # 1 decimal
            (b"\xff\x42\x50\x01\x00\x00", weight(1500)),  # 2 decimals
            (b"\xff\x44\x50\x12\x00\x00", weight(125)),  # 0.1250 kg
            (b"\xff\x45\x45\x23\x01\x00", weight(123)),  # 0.12345 kg = 123.45 g
            (b"\xff\x45\x55\x23\x01\x00", weight(124)),  # 123.55 g rounds up
            (b"\xff\x65\x55\x23\x01\x00", weight(-124)),  # and away from zero
        ],
    )
    def test_frames(self, frame: bytes, reading: Reading) -> None:
        assert one(BinaryFFParser(), frame) == reading

    @pytest.mark.parametrize(
        ("frame", "why"),
        [
            (b"\xff\x43\x35\x12\x00\x01", "not legal for trade (lb)"),  # the old parser read this as kg
            (b"\xff\x4b\x35\x12\x00\x00", "counting mode is not a weight"),
            (b"\xff\x53\x35\x12\x00\x00", "percent mode is not a weight"),
            (b"\xff\x5b\x35\x12\x00\x00", "status"),  # mode 11 does not exist
            (b"\xff\x46\x35\x12\x00\x00", "status"),  # 6 decimals
            (b"\xff\x47\x35\x12\x00\x00", "status"),
            (b"\xff\x43\x3a\x12\x00\x00", "bcd"),
            (b"\xff\x43\xa5\x12\x00\x00", "bcd"),
            (b"\xff\x43\x35\x1f\x00\x00", "bcd"),
            (b"\xff\x43\x35\x12\xb0\x00", "bcd"),
            (b"\xff\x43\x35\x12\x00\x02", "unit"),
        ],
    )
    def test_bad_frames_rejected(self, frame: bytes, why: str) -> None:
        assert_rejected(BinaryFFParser(), frame, why)

    def test_ff_is_never_a_valid_status_bcd_or_unit_byte(self) -> None:
        """With D7 = overflow, status bytes reach 0x80-0xFD; 0xFF itself stays impossible (7 decimals, mode 11)."""
        for pos in range(1, 6):
            frame = bytearray(b"\xff\x43\x35\x12\x00\x00")
            frame[pos] = 0xFF
            assert BinaryFFParser().feed(bytes(frame)) == []

    def test_resync_on_ff(self) -> None:
        p = BinaryFFParser()
        good = b"\xff\x43\x35\x12\x00\x00"
        events = p.feed(b"\x00\x13" + b"\xff" + good + good[:3] + good + b"\x42")
        assert with_raw(events) == [(weight(1235), good), (weight(1235), good)]
        assert p.stats.rejected == 2  # "FF FF ..." and the truncated frame
        assert p.stats.discarded_bytes == 2 + 2 + 1  # before, inside the truncated frame, after
        assert p.pending == 0


# --- 5. toledo-8217 -------------------------------------------------------------------------


class TestToledo8217:
    @pytest.mark.parametrize(
        ("frame", "reading"),
        [
            (b"\x0201.234\r", weight(1234)),
            (b"\x0200.000\r", weight(0, zero=True)),
            (b"\x0299.999\r", weight(99_999)),
            (b"\x02?A\r", status()),  # 0x41 motion
            (b"\x02?B\r", weight(0, zero=True)),  # 0x42 at zero, no motion: stable zero reading
            (b"\x02?C\r", status()),  # at zero in motion
            (b"\x02?P\r", status(stable=True, underload=True)),  # 0x50 under capacity
            (b"\x02?`\r", status(stable=True, overload=True)),  # 0x60 over capacity
            (b"\x02?a\r", status(overload=True)),  # over capacity in motion
            (b"\x02?@\r", status(stable=True)),  # no state bit: status only
        ],
    )
    def test_frames(self, frame: bytes, reading: Reading) -> None:
        assert one(Toledo8217Parser(), frame) == reading

    @pytest.mark.parametrize(("frame", "fault"), [(b"\x02?D\r", "RAM error"), (b"\x02?H\r", "EEPROM error")])
    def test_module_fault_gives_no_reading(self, frame: bytes, fault: str) -> None:
        p = Toledo8217Parser()
        assert p.feed(frame) == []
        assert p.last_rejection == f"toledo-8217: module fault: {fault}"

    @pytest.mark.parametrize(
        "frame",
        [
            b"\x02?\x01\r",  # bit 6 clear
            b"\x02?\xc1\r",  # bit 7 set
            b"\x02?A\n",
            b"\x021.234 \r",
            b"\x0201,234\r",
            b"\x02-1.234\r",
            b"\x0201.2345",
            b"\x02 1.234\r",
        ],
    )
    def test_malformed_frames_rejected(self, frame: bytes) -> None:
        assert_rejected(Toledo8217Parser(), frame, "malformed")

    @pytest.mark.parametrize(
        ("command", "frame", "ok", "code"),
        [
            ("zero", b"\x02?B\r", True, ""),
            ("zero", b"\x02?C\r", False, "motion"),
            ("zero", b"\x02?@\r", False, "not_at_zero"),
            ("zero", b"\x02?D\r", False, "ram_error"),
            ("zero", b"\x02?b\r", False, "over_capacity"),
            ("zero", b"\x0200.000\r", True, ""),
            ("zero", b"\x0200.005\r", False, "not_at_zero"),
            ("tare", b"\x02?@\r", True, ""),
            ("tare", b"\x02?A\r", False, "motion"),
            ("tare", b"\x02?P\r", False, "under_capacity"),
            ("tare", b"\x0201.234\r", True, ""),
            ("clear_tare", b"\x02?B\r", True, ""),
            ("clear_tare", b"\x02?H\r", False, "eeprom_error"),
        ],
    )
    def test_note_sent_attributes_next_frame(self, command: str, frame: bytes, ok: bool, code: str) -> None:
        p = Toledo8217Parser()
        p.note_sent(command)
        events = p.feed(frame)
        assert events[-1] == CommandReply(command, ok, code) and events[-1].raw == frame
        assert all(isinstance(e, Reading) for e in events[:-1])
        assert [e for e in p.feed(frame) if isinstance(e, CommandReply)] == []  # only the next frame

    def test_reply_waits_for_a_well_formed_frame(self) -> None:
        p = Toledo8217Parser()
        p.note_sent("tare")
        assert p.feed(b"\x02?\x01\r") == []  # noise is no answer
        assert p.feed(b"\x02?@\r") == [status(stable=True), CommandReply("tare", True, "")]

    def test_no_reply_without_note_sent_and_unknown_commands_ignored(self) -> None:
        p = Toledo8217Parser()
        p.note_sent("weight")
        assert p.feed(b"\x02?B\r") == [weight(0, zero=True)]

    def test_resync_after_garbage(self) -> None:
        p = Toledo8217Parser()
        events = p.feed(b"W\x00junk\x0201.2" + b"\x0201.234\r" + b"zz" + b"\x02?A\r")
        assert with_raw(events) == [(weight(1234), b"\x0201.234\r"), (status(), b"\x02?A\r")]
        assert p.stats.rejected == 1


# --- every protocol -------------------------------------------------------------------------

STREAMS: dict[str, bytes] = {
    "mt-sics": b"S S     100.00 g\r\nT S      0.250 kg\r\nS D      1.235 kg\r\nZ I\r\nxxS +\r\nES\r\n",
    "toledo-continuous": TC_GROSS + TC_NET + b"ab" + TC_MOTION + TC_OVER + TC_GRAMS,
    "toledo-continuous-nocs": TC_GROSS[:17] + TC_NET[:17] + b"\x02" + TC_MOTION[:17],
    "ascii-stgs": b"ST,GS,+001.234kg\r\nST,TR,+000.250kg\r\nUS,NT,-000.015kg\r\n"
    b"ST,+0001.235 kg\r\nOL,GS,+       kg\r\n",
    "binary-ff": b"\xff\x43\x35\x12\x00\x00\x00\xff\x63\x15\x00\x00\x00\xff\xc3\x00\x00\x00\x00",
    "toledo-8217": b"\x0201.234\r\x02?A\r\x02?B\r\x02?D\r\x0299.999\r",
    "yaohua-tf0": b"\x02+00200021B\x03\x02+00200021B\x03xx\x02-00123531B\x03",
    "yaohua-eq-reversed": b"=532.1000=532.1000=00.1000-",
    "yaohua-eq-forward": b"=0001.235=0001.235=-0001.00",
    "yaohua-a12e": b"WG004.139kg3D\r\nWG004.139kg3D\r\n         OL23\r\nWN001.235kg3E\r\n",
    "yaohua-ww": b"ww00001.235kg\r\nww00001.235kg\r\nwn-0001.235kg\r\nww00002.000lb\r\n",
    "aclas-os2x": b"\x01\x02S 01.235kgg\x03\x04\x00\x01\x02U-00.015kgm\x03\x04\x00\x01\x02F 000000kgi\x03\x04@",
}


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_split_at_every_byte_boundary(name: str) -> None:
    stream = STREAMS[name]
    whole = with_raw(get_protocol(name).new_parser().feed(stream))
    assert len(whole) >= 3
    for cut in range(len(stream) + 1):
        p = get_protocol(name).new_parser()
        assert with_raw(p.feed(stream[:cut]) + p.feed(stream[cut:])) == whole, cut
    p = get_protocol(name).new_parser()
    assert with_raw([e for i in range(len(stream)) for e in p.feed(stream[i : i + 1])]) == whole


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_stats_identical_however_split(name: str) -> None:
    stream = b"\x00\x01junk" + STREAMS[name] + b"\xfe\x7f"
    whole = get_protocol(name).new_parser()
    whole.feed(stream)
    bytewise = get_protocol(name).new_parser()
    for i in range(len(stream)):
        bytewise.feed(stream[i : i + 1])
    assert bytewise.stats == whole.stats


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_pending_bounded_and_bytearray_input(name: str) -> None:
    p = get_protocol(name).new_parser()
    for chunk in (b"\x02" * 300, b"\xff" * 300, b"S S " * 100, bytearray(b"\r" * 300), memoryview(b"?" * 300)):
        p.feed(chunk)
        assert p.pending <= MAX_PENDING
    assert all(isinstance(e.raw, bytes) for e in p.feed(bytearray(STREAMS[name])))
