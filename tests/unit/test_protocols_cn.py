"""The Yaohua, ww and Aclas parsers against the examples their manuals print (docs/protocols.md 6-11)."""

from __future__ import annotations

import pytest

from edge.core.reading import Reading
from edge.scale_driver.protocols import get_protocol
from edge.scale_driver.protocols.aclas import AclasParser
from edge.scale_driver.protocols.base import FrameParser
from edge.scale_driver.protocols.framing import xor_of
from edge.scale_driver.protocols.ww_line import WwLineParser
from edge.scale_driver.protocols.yaohua import YaohuaA12eParser, YaohuaEqParser, YaohuaTf0Parser
from tests.unit.test_protocols import assert_rejected, one, status


def weight(grams: int, stable: bool = False) -> Reading:
    return Reading(grams, grams, 0, stable=stable, zero=grams == 0)


def twice(parser: FrameParser, frame: bytes) -> tuple[Reading, Reading]:
    """A format without a motion flag: the first frame is unstable, the same frame again stable."""
    first, again = one(parser, frame), one(parser, frame)
    assert isinstance(first, Reading) and isinstance(again, Reading)
    return first, again


def hexed(body: bytes) -> bytes:
    return b"%02X" % xor_of(body)


# --- yaohua-tf0 ---------------------------------------------------------------------------------


class TestYaohuaTf0:
    def test_worked_example_plus_20_00(self) -> None:
        # 02 2B 30 30 32 30 30 30 32 31 42 03: +20.00, XOR of bytes 2-9 = 0x1B
        frame = bytes.fromhex("022B303032303030323142 03".replace(" ", ""))
        assert xor_of(frame[1:9]) == 0x1B
        assert twice(YaohuaTf0Parser(), frame) == (weight(20000), weight(20000, stable=True))

    @pytest.mark.parametrize(
        ("body", "grams"),
        [(b"+0012353", 1235), (b"-0012353", -1235), (b"+0000003", 0), (b"+0012350", 1_235_000), (b"+0123454", 1235)],
    )
    def test_frames(self, body: bytes, grams: int) -> None:
        frame = b"\x02" + body + hexed(body) + b"\x03"
        first, again = twice(YaohuaTf0Parser(), frame)
        assert (first, again) == (weight(grams), weight(grams, stable=True))

    def test_a_changing_value_is_unstable_and_a_rejection_breaks_the_run(self) -> None:
        p = YaohuaTf0Parser()
        good = b"\x02+0012353" + hexed(b"+0012353") + b"\x03"
        other = b"\x02+0012403" + hexed(b"+0012403") + b"\x03"
        bad = good[:5] + b"9" + good[6:]  # digit changed under the old XOR
        assert [r.stable for r in p.feed(good + other + good + good + bad + good)] == [False, False, False, True, False]
        assert p.stats.rejected == 1 and "XOR" in p.last_rejection

    @pytest.mark.parametrize(
        ("frame", "why"),
        [
            (b"\x02+0012353" + b"00" + b"\x03", "XOR"),
            (b"\x02+0012355" + hexed(b"+0012355") + b"\x03", "byte 8"),  # 5 decimals: 0-4 only
            (b"\x02*0012353" + hexed(b"*0012353") + b"\x03", "byte 1"),
            (b"\x02+0012353" + hexed(b"+0012353").lower() + b"\x03", ""),  # hex is upper case (+37h)
            (b"\x02+0012353" + hexed(b"+0012353") + b"\x04", "byte 11"),
        ],
    )
    def test_bad_frames_rejected(self, frame: bytes, why: str) -> None:
        if frame[9:11].isupper() or frame[9:11].isdigit():
            assert_rejected(YaohuaTf0Parser(), frame, why)
        else:
            assert YaohuaTf0Parser().feed(frame) == []


# --- yaohua "=" formats ----------------------------------------------------------------------------


class TestYaohuaEq:
    @pytest.mark.parametrize(
        ("frame", "grams"),
        [
            (b"=532.1000", 1235),  # issue 13: 1.235 kg
            (b"=000.3000", 3000),  # A26 manual: display 3.000
            (b"=00.1000-", -1000),  # A26 / A23P manual: display -1.00
            (b"=000.0000", 0),
        ],
    )
    def test_reversed_examples(self, frame: bytes, grams: int) -> None:
        assert twice(YaohuaEqParser(True), frame) == (weight(grams), weight(grams, stable=True))

    @pytest.mark.parametrize(
        ("frame", "grams"),
        [
            (b"=0001.235", 1235),
            (b"=0003.000", 3000),  # A26 manual: display 3.000
            (b"=-0001.00", -1000),  # A26 manual: display -1.00
        ],
    )
    def test_forward_examples(self, frame: bytes, grams: int) -> None:
        assert twice(YaohuaEqParser(False), frame) == (weight(grams), weight(grams, stable=True))

    def test_no_line_end_back_to_back(self) -> None:
        p = YaohuaEqParser(True)
        assert [r.net_g for r in p.feed(b"=532.1000" * 3 + b"=00.1000-")] == [1235, 1235, 1235, -1000]

    @pytest.mark.parametrize(
        ("frame", "why"),
        [
            (b"=532.1005", "byte 8"),
            (b"=53..1000", "bad value"),
            (b"=.32.1000", "bad value"),
            (b"=532x1000", "byte 4"),
            (b"=5321.000", "4 decimals"),
        ],
    )
    def test_reversed_bad(self, frame: bytes, why: str) -> None:
        assert_rejected(YaohuaEqParser(True), frame, why)

    def test_each_direction_refuses_the_other(self) -> None:
        assert YaohuaEqParser(False).feed(b"=532.1000") == []  # sign slot holds "5"
        assert YaohuaEqParser(True).feed(b"=0001.235") == []
        # 7.500 kg forward read reversed would be 05.7000 (4 decimals): finer than 1 g, refused
        assert YaohuaEqParser(True).feed(b"=0007.500") == []
        assert YaohuaEqParser(False).feed(b"=005.7000") == []
        assert YaohuaEqParser(False).feed(b"=000.0000") == []  # an empty platter too


# --- yaohua-a12e ----------------------------------------------------------------------------------


class TestYaohuaA12e:
    def test_manual_example_and_its_xor(self) -> None:
        assert xor_of(b"WG004.139kg") == 0x3D  # the manual's check characters "3D"
        line = bytes.fromhex("57 47 30 30 34 2E 31 33 39 6B 67 33 44 0D 0A".replace(" ", ""))
        assert line == b"WG004.139kg3D\r\n"
        assert twice(YaohuaA12eParser(), line) == (weight(4139), weight(4139, stable=True))

    def test_overload_and_underload_lines_from_the_manual(self) -> None:
        assert xor_of(b" " * 9 + b"OL") == 0x23
        p = YaohuaA12eParser()
        assert one(p, b"         OL23\r\n") == status(overload=True)
        assert one(p, b"         LO23\r\n") == status(underload=True)

    @pytest.mark.parametrize(
        ("body", "grams"),
        [(b"WG001.235kg", 1235), (b"WN001.235kg", 1235), (b"WG-01.235kg", -1235), (b"WG001235 kg", 1_235_000)],
    )
    def test_frames(self, body: bytes, grams: int) -> None:
        line = body + hexed(body) + b"\r\n"
        assert twice(YaohuaA12eParser(), line) == (weight(grams), weight(grams, stable=True))

    @pytest.mark.parametrize(
        ("body", "why"),
        [(b"WG001.235lb", "(lb)"), (b"WG001.235oz", "(oz)"), (b"XG001.235kg", "header"), (b"WG00x.235kg", "value")],
    )
    def test_bad_lines_rejected(self, body: bytes, why: str) -> None:
        assert_rejected(YaohuaA12eParser(), body + hexed(body) + b"\r\n", why)

    def test_xor_mismatch(self) -> None:
        assert_rejected(YaohuaA12eParser(), b"WG004.138kg3D\r\n", "XOR")


# --- yaohua-ww --------------------------------------------------------------------------------------


class TestWwLine:
    def test_examples(self) -> None:
        p = WwLineParser()
        got = p.feed(b"ww00001.235kg\r\nww00001.235kg\r\nwn00001.235kg\r\nwn00001.235kg\r\nww-0001.235kg\r\n")
        assert [(r.net_g, r.stable) for r in got] == [(1235, False), (1235, True), (1235, False), (1235, True),
                                                      (-1235, False)]  # fmt: skip
        assert p.stats.rejected == 0

    def test_without_line_end_and_in_grams(self) -> None:
        assert [r.net_g for r in WwLineParser().feed(b"ww00001.235kgww0001235g")] == [1235, 1235]

    @pytest.mark.parametrize(("frame", "why"), [(b"ww00002.723lb", "(lb)"), (b"ww00043.560oz", "(oz)")])
    def test_other_units_refused(self, frame: bytes, why: str) -> None:
        p = WwLineParser()
        assert_rejected(p, frame + b"\r\n", why)
        assert one(p, b"ww00001.235kg") == weight(1235)  # and the next frame still reads


# --- aclas-os2x -------------------------------------------------------------------------------------


def aclas(flag: bytes, sign: bytes, value: bytes, unit: bytes = b"kg", flag2: int = 0) -> bytes:
    head = b"\x01\x02" + flag + sign + value + unit
    return head + bytes((xor_of(head), 3, 4, flag2))


class TestAclas:
    @pytest.mark.parametrize(
        ("frame", "reading"),
        [
            (aclas(b"S", b" ", b"01.235"), weight(1235, stable=True)),
            (aclas(b"S", b" ", b" 1.235"), weight(1235, stable=True)),
            (aclas(b"U", b" ", b"01.235"), weight(1235)),
            (aclas(b"S", b"-", b"01.234"), weight(-1234, stable=True)),  # manual's -1.234 kg
            (aclas(b"U", b" ", b"  1234", b"g "), weight(1234)),  # manual's 1234 g, unstable
            (aclas(b"S", b" ", b"01.235", flag2=0x20), weight(1235, stable=True)),  # tare mode: net
            (aclas(b"S", b" ", b"00.000", flag2=0x10), weight(0, stable=True)),
            (aclas(b"F", b" ", b"00.000", flag2=0x40), status(overload=True)),
            (aclas(b"F", b"-", b"00.000", flag2=0x40), status(underload=True)),
        ],
    )
    def test_frames(self, frame: bytes, reading: Reading) -> None:
        assert one(AclasParser(), frame) == reading

    @pytest.mark.parametrize(
        ("frame", "why"),
        [
            (aclas(b"S", b" ", b"02.723", b"lb"), "(lb)"),
            (aclas(b"S", b" ", b"43.560", b"oz"), "(oz)"),
            (aclas(b"S", b" ", b"02.470", b"\xbd\xef"), "not legal for trade"),  # 斤 in GBK
            (aclas(b"S", b" ", b"01.2.5"), "weight field"),
            (aclas(b"X", b" ", b"01.235"), "byte 2"),
            (aclas(b"S", b" ", b"01.235")[:12] + b"\x00\x03\x04\x00", "XOR"),
        ],
    )
    def test_bad_frames_rejected(self, frame: bytes, why: str) -> None:
        assert_rejected(AclasParser(), frame, why)


# --- every new protocol refuses lb / oz / 斤 where its frame carries a unit -------------------------


@pytest.mark.parametrize("name", ["ascii-stgs", "yaohua-a12e", "yaohua-ww", "aclas-os2x"])
@pytest.mark.parametrize("unit", [b"lb", b"oz", "斤".encode("gbk")])
def test_units_not_legal_for_trade_are_refused(name: str, unit: bytes) -> None:
    frames = {
        "ascii-stgs": b"ST,GS,+001.235" + unit + b"\r\n",
        "yaohua-a12e": b"WG001.235" + unit + hexed(b"WG001.235" + unit) + b"\r\n",
        "yaohua-ww": b"ww00001.235" + unit + b"\r\n",
        "aclas-os2x": aclas(b"S", b" ", b"01.235", unit),
    }
    parser = get_protocol(name).new_parser()
    assert parser.feed(frames[name]) == []
    if name != "yaohua-ww" or unit != "斤".encode("gbk"):  # a ww frame ends at a known unit only
        assert parser.stats.rejected >= 1
