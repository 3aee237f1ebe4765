"""The virtual weighing module without any I/O: encoders, physical model, commands, faults.

Byte-exact expectations come from docs/protocols.md, never from the parsers in edge/.
Time is a fake clock the tests step; nothing sleeps.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.scale import VirtualScale
from simulator.scale.console import CommandError, QuitRequested, execute, parse_link
from simulator.scale.faults import FaultKind, parse_fault
from simulator.scale.frames import (
    PROTOCOLS,
    Sample,
    WeightFormat,
    aclas_os2x,
    ascii_stgs_line,
    ascii_stgs_tare_line,
    bcd_lsb_first,
    binary_ff,
    mtsics_value_reply,
    mtsics_weight_reply,
    toledo_8217_answer,
    toledo_8217_status,
    toledo_8217_weight,
    toledo_continuous,
    yaohua_a12e,
    yaohua_eq,
    yaohua_tf0,
    yaohua_ww,
)
from simulator.scale.module import ModuleConfig, Outcome, WeighingModule
from simulator.scale.scenario import DEMO, Scenario, ScenarioPlayer, Step, parse_scenario

KG = WeightFormat("kg", 3)


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def settled_scale(protocol: str, clock: FakeClock, load_g: int = 0, **kwargs: object) -> VirtualScale:
    scale = VirtualScale(protocol, seed=1, clock=clock, **kwargs)
    if load_g:
        scale.put(load_g)
        clock.advance(1.0)
    return scale


# --- encoders -------------------------------------------------------------------------------


class TestWeightFormat:
    @pytest.mark.parametrize(
        ("fmt", "grams", "text"),
        [
            (KG, 1235, "1.235"),
            (KG, 0, "0.000"),
            (KG, -15, "-0.015"),
            (KG, 15045, "15.045"),
            (WeightFormat("kg", 2), 1230, "1.23"),
            (WeightFormat("g", 0), 1235, "1235"),
            (WeightFormat("g", 2), 100, "100.00"),
            (WeightFormat("g", -1), 1230, "1230"),
        ],
    )
    def test_text(self, fmt: WeightFormat, grams: int, text: str) -> None:
        assert fmt.text(grams) == text

    def test_for_division_uses_as_many_decimals_as_e_needs(self) -> None:
        assert WeightFormat.for_division("kg", 5) == KG
        assert WeightFormat.for_division("kg", 20) == WeightFormat("kg", 2)
        assert WeightFormat.for_division("g", 2) == WeightFormat("g", 0)

    def test_illegal_unit_is_refused(self) -> None:
        with pytest.raises(ValueError, match="legal for trade"):
            WeightFormat("lb", 3)


class TestMtSicsFrames:
    def test_value_right_aligned_in_ten_characters(self) -> None:
        assert mtsics_weight_reply(Sample(1235), KG) == b"S S      1.235 kg\r\n"
        assert mtsics_weight_reply(Sample(1235, stable=False), KG) == b"S D      1.235 kg\r\n"
        assert mtsics_weight_reply(Sample(-15), KG) == b"S S     -0.015 kg\r\n"
        assert mtsics_value_reply("S", "S", 100, WeightFormat("g", 2)) == b"S S     100.00 g\r\n"

    def test_weight_is_net(self) -> None:
        assert mtsics_weight_reply(Sample(1735, tare_g=500), KG) == b"S S      1.235 kg\r\n"

    def test_out_of_range_has_no_value(self) -> None:
        assert mtsics_weight_reply(Sample(16000, overload=True), KG) == b"S +\r\n"
        assert mtsics_weight_reply(Sample(-200, underload=True), KG) == b"S -\r\n"


class TestToledoContinuousFrames:
    def test_gross_frame_byte_exact(self) -> None:
        frame = toledo_continuous(Sample(1235), KG, 5)
        # SWA: bit 5 + increment x5 (code 3 << 3) + decimal code 5 (XXX.XXX) = 0x3D
        # SWB: bit 5 + kg (bit 4), stable, gross = 0x30; SWC: bit 5 only = 0x20
        assert frame[:17] == b"\x02\x3d\x30\x20001235000000\r"
        assert len(frame) == 18
        assert sum(frame) & 0x7F == 0

    def test_net_frame_carries_tare(self) -> None:
        frame = toledo_continuous(Sample(1735, tare_g=500), KG, 5)
        assert frame[2] & 0x01  # net
        assert frame[4:10] == b"001235"
        assert frame[10:16] == b"000500"

    def test_status_bits(self) -> None:
        negative = toledo_continuous(Sample(-15), KG, 5)
        assert negative[2] & 0x02 and negative[4:10] == b"000015"
        assert toledo_continuous(Sample(1235, stable=False), KG, 5)[2] & 0x08
        over = toledo_continuous(Sample(16000, overload=True), KG, 5)
        assert over[2] & 0x04 and not over[2] & 0x02
        under = toledo_continuous(Sample(-200, underload=True), KG, 5)
        assert under[2] & 0x04 and under[2] & 0x02

    def test_grams_use_unit_override_and_decimal_code_2(self) -> None:
        frame = toledo_continuous(Sample(1235), WeightFormat("g", 0), 1)
        assert frame[1] == 0x20 | 1 << 3 | 2
        assert frame[3] == 0x21
        assert frame[4:10] == b"001235"

    def test_division_must_be_1_2_or_5_counts(self) -> None:
        with pytest.raises(ValueError, match="increment"):
            toledo_continuous(Sample(0), WeightFormat("g", 0), 10)

    def test_blanked_leading_zeros(self) -> None:
        frame = toledo_continuous(Sample(1235), KG, 5, blank_leading_zeros=True)
        assert frame[4:16] == b"  1235     0"
        assert sum(frame) & 0x7F == 0

    def test_without_checksum(self) -> None:
        frame = toledo_continuous(Sample(1235), KG, 5, checksum=False)
        assert len(frame) == 17 and frame.endswith(b"\r")

    @given(
        gross=st.integers(-2000, 20000).map(lambda g: g - g % 5),
        tare=st.sampled_from([0, 5, 500, 3000]),
        stable=st.booleans(),
        blank=st.booleans(),
    )
    def test_checksum_property_and_seven_bit_bytes(self, gross: int, tare: int, stable: bool, blank: bool) -> None:
        sample = Sample(gross, tare, stable, overload=gross > 15045, underload=gross < -100)
        frame = toledo_continuous(sample, KG, 5, blank_leading_zeros=blank)
        assert len(frame) == 18
        assert sum(frame) & 0x7F == 0
        assert all(byte < 0x80 for byte in frame)
        assert all(frame[i] & 0x60 == 0x20 for i in (1, 2, 3))  # bit 5 = 1, bit 6 = 0


class TestAsciiStgsFrames:
    def test_lines(self) -> None:  # A&D AD-4404 / CAS "18 bytes for AND": ST,NT,+0012.34kg
        assert ascii_stgs_line(Sample(1235), KG) == b"ST,GS,+001.235kg\r\n"
        assert ascii_stgs_line(Sample(0, 15, stable=False), KG) == b"US,NT,-000.015kg\r\n"
        assert ascii_stgs_line(Sample(1235), WeightFormat("g", 0)) == b"ST,GS,+0001235 g\r\n"

    def test_line_is_eighteen_bytes(self) -> None:
        line = ascii_stgs_line(Sample(12345), KG)
        assert len(line) == 18 and re.fullmatch(rb"(ST|US),(GS|NT),[+-][0-9.]{7}(kg| g)\r\n", line)

    def test_out_of_range_and_tare_lines(self) -> None:
        assert ascii_stgs_line(Sample(16000, overload=True), KG) == b"OL,GS,+       kg\r\n"
        assert ascii_stgs_line(Sample(-200, underload=True), KG) == b"OL,GS,-       kg\r\n"
        assert ascii_stgs_tare_line(500, KG) == b"ST,TR,+000.500kg\r\n"


class TestBinaryFfFrames:
    def test_bcd_least_significant_byte_first(self) -> None:
        assert bcd_lsb_first(1235) == b"\x35\x12\x00"
        assert bcd_lsb_first(987654) == b"\x54\x76\x98"

    def test_frame_byte_exact(self) -> None:
        # Yousheng JCS-B: ST = 3 decimals | stable (D6) = 0x43; unit byte 0 = kg
        assert binary_ff(Sample(1235), KG) == b"\xff\x43\x35\x12\x00\x00"

    def test_status_bits(self) -> None:
        assert binary_ff(Sample(-15, stable=False), KG)[1] == 0x03 | 0x20  # D5 negative
        assert binary_ff(Sample(1735, 500), KG)[1:5] == b"\x43\x35\x12\x00"  # no net flag, value = net
        assert binary_ff(Sample(16000, overload=True), KG)[1] & 0xA0 == 0x80  # D7 overflow
        assert binary_ff(Sample(-200, underload=True), KG)[1] & 0xA0 == 0xA0

    def test_grams_and_lb_are_not_sent(self) -> None:
        with pytest.raises(ValueError, match="reports in kg"):
            VirtualScale("binary-ff", unit="g")

    @given(gross=st.integers(-20000, 20000), tare=st.integers(0, 15000), stable=st.booleans())
    def test_only_the_start_byte_is_ff_and_nibbles_are_digits(self, gross: int, tare: int, stable: bool) -> None:
        frame = binary_ff(Sample(gross, tare, stable, overload=gross > 15045, underload=gross < -100), KG)
        assert frame[0] == 0xFF and 0xFF not in frame[1:]
        assert all(b >> 4 <= 9 and b & 0x0F <= 9 for b in frame[2:5])
        assert frame[1] & 0x18 == 0  # weighing mode


class TestChineseIndicatorFrames:
    """Yaohua and Aclas encoders against the examples in their manuals (docs/protocols.md 6-11)."""

    def test_yaohua_tf0(self) -> None:
        assert yaohua_tf0(Sample(20000), WeightFormat("kg", 2)) == bytes.fromhex("022B30303230303032314203")
        assert yaohua_tf0(Sample(1235), KG) == b"\x02+00123531D\x03"
        assert yaohua_tf0(Sample(-15, stable=False), KG) == b"\x02-00001531A\x03"

    def test_yaohua_eq(self) -> None:
        assert yaohua_eq(Sample(1235), KG, reversed_digits=True) == b"=532.1000"
        assert yaohua_eq(Sample(3000), KG, reversed_digits=True) == b"=000.3000"  # A26 manual
        assert yaohua_eq(Sample(-1000), WeightFormat("kg", 2), reversed_digits=True) == b"=00.1000-"
        assert yaohua_eq(Sample(3000), KG, reversed_digits=False) == b"=0003.000"  # A26 manual
        assert yaohua_eq(Sample(-1000), WeightFormat("kg", 2), reversed_digits=False) == b"=-0001.00"

    def test_yaohua_a12e(self) -> None:
        assert yaohua_a12e(Sample(4139), KG) == bytes.fromhex("5747303034 2E3133396B6733440D0A".replace(" ", ""))
        assert yaohua_a12e(Sample(1735, 500), KG).startswith(b"WN001.235kg")
        assert yaohua_a12e(Sample(-15), KG).startswith(b"WG-00.015kg")
        assert yaohua_a12e(Sample(16000, overload=True), KG) == b"         OL23\r\n"
        assert yaohua_a12e(Sample(-200, underload=True), KG) == b"         LO23\r\n"

    def test_yaohua_ww(self) -> None:
        assert yaohua_ww(Sample(1235), KG) == b"ww00001.235kg\r\n"
        assert yaohua_ww(Sample(1735, 500), KG) == b"wn00001.235kg\r\n"
        assert yaohua_ww(Sample(-1235), KG) == b"ww-0001.235kg\r\n"

    def test_aclas_os2x(self) -> None:
        frame = aclas_os2x(Sample(1235), KG)
        assert frame[:12] == b"\x01\x02S 01.235kg" and frame[13:15] == b"\x03\x04" and len(frame) == 16
        x = 0
        for b in frame[:12]:
            x ^= b
        assert frame[12] == x
        assert aclas_os2x(Sample(0, 1234, stable=False), WeightFormat("g", 0))[2:12] == b"U-001234g "
        assert aclas_os2x(Sample(1735, 500), KG)[15] & 0x20  # tare mode
        over = aclas_os2x(Sample(16000, overload=True), KG)
        assert over[2:3] == b"F" and over[15] & 0x40


class TestToledo8217Frames:
    def test_weight_frame(self) -> None:
        assert toledo_8217_weight(1234) == b"\x0201.234\r"
        assert toledo_8217_answer(Sample(1235)) == b"\x0201.235\r"

    @pytest.mark.parametrize(
        ("sample", "status"),
        [
            (Sample(1235, stable=False), 0x41),
            (Sample(0), 0x42),
            (Sample(0, stable=False), 0x43),
            (Sample(-15), 0x50),
            (Sample(-200, underload=True), 0x50),
            (Sample(16000, overload=True), 0x60),
            (Sample(1235, module_error="ram"), 0x44),
            (Sample(1235, module_error="eeprom"), 0x48),
        ],
    )
    def test_status_frames(self, sample: Sample, status: int) -> None:
        assert toledo_8217_answer(sample) == bytes((0x02, ord("?"), status, 0x0D))

    def test_status_frame_for_commands(self) -> None:
        assert toledo_8217_status(Sample(1235)) == b"\x02?\x40\r"


def test_every_protocol_has_a_weight_frame() -> None:
    for name, spec in PROTOCOLS.items():
        unit = spec.units[0]
        assert spec.weight_frame(Sample(1235), WeightFormat.for_division(unit, 5), 5), name


# --- the physical model -----------------------------------------------------------------------


def readings(module: WeighingModule, clock: FakeClock, seconds: float, step: float = 0.01) -> list:
    out = []
    for _ in range(round(seconds / step)):
        out.append(module.sample())
        clock.advance(step)
    return out


class TestModule:
    def test_settles_with_noise_then_exactly_on_the_load(self, clock: FakeClock) -> None:
        module = WeighingModule(ModuleConfig(seed=3), clock)
        assert module.sample() == Sample(0)
        module.put(1235)
        during = readings(module, clock, 0.79)
        assert not any(s.stable for s in during)
        wander = [s.gross_g for s in during[len(during) // 4 :]]
        assert len(set(wander)) > 3
        assert max(abs(g - 1235) for g in wander) >= 3 * 5  # several divisions
        assert all(s.gross_g % 5 == 0 for s in during)
        clock.advance(0.02)
        after = readings(module, clock, 2.0)
        assert {s.gross_g for s in after} == {1235}
        assert all(s.stable for s in after)

    def test_load_is_rounded_to_the_division(self, clock: FakeClock) -> None:
        module = WeighingModule(ModuleConfig(), clock)
        module.put(1233)
        clock.advance(1)
        assert module.sample().gross_g == 1235

    def test_same_seed_same_readings(self) -> None:
        def run(seed: int) -> list[int]:
            clock = FakeClock()
            module = WeighingModule(ModuleConfig(seed=seed), clock)
            module.put(1235)
            return [s.gross_g for s in readings(module, clock, 0.8)]

        assert run(7) == run(7)
        assert run(7) != run(8)

    def test_readings_do_not_depend_on_how_often_they_are_taken(self) -> None:
        clock_a, clock_b = FakeClock(), FakeClock()
        a = WeighingModule(ModuleConfig(seed=1), clock_a)
        b = WeighingModule(ModuleConfig(seed=1), clock_b)
        a.put(500)
        b.put(500)
        seen_a, seen_b = [], []
        for k in range(8):
            for extra in range(1, 10):  # b is also sampled in between
                clock_b.now = 100.0 + k * 0.1 + extra * 0.01
                b.sample()
            clock_a.now = clock_b.now = 100.0 + k * 0.1 + 0.05
            seen_a.append(a.sample())
            seen_b.append(b.sample())
        assert seen_a == seen_b

    def test_overload_above_max_plus_9e(self, clock: FakeClock) -> None:
        module = WeighingModule(ModuleConfig(), clock)
        module.put(15045)
        clock.advance(1)
        assert not module.sample().overload
        module.put(15050)
        clock.advance(1)
        assert module.sample().overload
        module.overload()
        clock.advance(1)
        assert module.sample().overload and module.sample().stable
        module.remove()
        clock.advance(1)
        assert module.sample() == Sample(0)

    def test_underload(self, clock: FakeClock) -> None:
        module = WeighingModule(ModuleConfig(), clock)
        module.underload()
        clock.advance(1)
        assert module.sample().underload

    def test_drift_moves_zero_slowly_and_stays_stable(self, clock: FakeClock) -> None:
        module = WeighingModule(ModuleConfig(), clock)
        module.set_drift(2)  # g per minute
        clock.advance(60)
        assert module.raw_g() == 2 and module.sample().gross_g == 0
        clock.advance(90)
        assert module.sample() == Sample(5)
        module.set_drift(0)
        clock.advance(600)
        assert module.raw_g() == 5

    def test_zero_within_two_percent_of_max(self, clock: FakeClock) -> None:
        module = WeighingModule(ModuleConfig(), clock)
        module.put(250)
        clock.advance(1)
        assert module.zero().outcome is Outcome.DONE
        assert module.sample().gross_g == 0
        module.put(400)
        clock.advance(1)
        assert module.zero().outcome is Outcome.ABOVE_RANGE  # 400 g > 2 % of 15 kg
        module.put(100)
        assert module.zero().outcome is Outcome.NOT_NOW  # in motion

    def test_zero_refused_while_tare_active(self, clock: FakeClock) -> None:
        module = WeighingModule(ModuleConfig(), clock)
        module.put(200)
        clock.advance(1)
        assert module.tare().ok
        result = module.zero()
        assert result.outcome is Outcome.NOT_NOW and "tare" in result.reason

    def test_tare(self, clock: FakeClock) -> None:
        module = WeighingModule(ModuleConfig(), clock)
        assert module.tare().outcome is Outcome.NOT_NOW  # nothing on the platter
        module.put(500)
        clock.advance(1)
        result = module.tare()
        assert result.ok and result.tare_g == 500
        module.put(1735)
        clock.advance(1)
        assert module.sample() == Sample(1735, tare_g=500)
        assert module.sample().net_g == 1235
        module.clear_tare()
        assert module.sample() == Sample(1735)

    def test_bad_configuration_is_refused(self) -> None:
        with pytest.raises(ValueError, match="multiple"):
            ModuleConfig(max_g=15001, e_g=5)
        with pytest.raises(TypeError):
            WeighingModule().put(1.5)  # type: ignore[arg-type]


# --- polled commands ------------------------------------------------------------------------


def ask(session, data: bytes) -> bytes:
    return session.feed(data)


class TestMtSicsCommands:
    def test_s_answers_stable_net_weight(self, clock: FakeClock) -> None:
        session = settled_scale("mt-sics", clock, 1235).open_session()
        assert ask(session, b"S\r\n") == b"S S      1.235 kg\r\n"

    def test_s_waits_for_stability(self, clock: FakeClock) -> None:
        scale = settled_scale("mt-sics", clock)
        session = scale.open_session()
        scale.put(1235)
        assert ask(session, b"S\r\n") == b""
        assert session.pending
        clock.advance(0.5)
        assert session.poll() == b""
        clock.advance(0.31)
        assert session.poll() == b"S S      1.235 kg\r\n"
        assert not session.pending

    def test_s_gives_up_after_one_second(self, clock: FakeClock) -> None:
        scale = settled_scale("mt-sics", clock, settle_s=3.0)
        session = scale.open_session()
        scale.put(1235)
        assert ask(session, b"S\r\nSI\r\n") == b""  # SI queues behind the waiting S
        clock.advance(1.0)
        replies = session.poll()
        assert replies.startswith(b"S I\r\nS D ")

    def test_si_answers_now(self, clock: FakeClock) -> None:
        scale = settled_scale("mt-sics", clock)
        session = scale.open_session()
        scale.put(1235)
        clock.advance(0.5)
        assert re.fullmatch(rb"S D +-?\d+\.\d{3} kg\r\n", ask(session, b"SI\r\n"))
        clock.advance(0.5)
        assert ask(session, b"SI\r\n") == b"S S      1.235 kg\r\n"

    def test_overload_and_underload(self, clock: FakeClock) -> None:
        scale = settled_scale("mt-sics", clock)
        session = scale.open_session()
        scale.overload()
        clock.advance(1)
        assert ask(session, b"S\r\n") == b"S +\r\n"
        assert ask(session, b"SI\r\n") == b"S +\r\n"
        scale.underload()
        clock.advance(1)
        assert ask(session, b"S\r\n") == b"S -\r\n"

    def test_zero(self, clock: FakeClock) -> None:
        scale = settled_scale("mt-sics", clock, 250)
        session = scale.open_session()
        assert ask(session, b"Z\r\n") == b"Z A\r\n"
        assert ask(session, b"SI\r\n") == b"S S      0.000 kg\r\n"
        scale.remove()
        assert ask(session, b"Z\r\n") == b"Z I\r\n"  # in motion
        clock.advance(1)
        assert ask(session, b"Z\r\n") == b"Z -\r\n"  # 250 g below the zero point: underload
        scale.put(650)
        clock.advance(1)
        assert ask(session, b"Z\r\n") == b"Z +\r\n"  # 650 g above power-on zero

    def test_tare_commands(self, clock: FakeClock) -> None:
        scale = settled_scale("mt-sics", clock)
        session = scale.open_session()
        assert ask(session, b"T\r\n") == b"T I\r\n"  # empty platter
        scale.put(500)
        assert ask(session, b"T\r\n") == b"T I\r\n"  # in motion
        clock.advance(1)
        assert ask(session, b"T\r\n") == b"T S      0.500 kg\r\n"
        assert ask(session, b"TA\r\n") == b"TA A      0.500 kg\r\n"
        scale.put(1735)
        clock.advance(1)
        assert ask(session, b"S\r\n") == b"S S      1.235 kg\r\n"
        assert ask(session, b"TAC\r\n") == b"TAC A\r\n"
        assert ask(session, b"TA\r\n") == b"TA A      0.000 kg\r\n"

    def test_errors(self, clock: FakeClock) -> None:
        session = settled_scale("mt-sics", clock).open_session()
        assert ask(session, b"XYZ\r\n") == b"ES\r\n"
        assert ask(session, b"s\r\n") == b"ES\r\n"
        assert ask(session, b"S\x85\r\n") == b"ET\r\n"
        assert ask(session, b"\r\n") == b""

    def test_command_split_over_many_writes(self, clock: FakeClock) -> None:
        session = settled_scale("mt-sics", clock, 1235).open_session()
        assert ask(session, b"S") == b""
        assert ask(session, b"I\r") == b""
        assert ask(session, b"\n") == b"S S      1.235 kg\r\n"

    def test_grams(self, clock: FakeClock) -> None:
        session = settled_scale("mt-sics", clock, 1235, unit="g").open_session()
        assert ask(session, b"S\r\n") == b"S S       1235 g\r\n"


class TestToledo8217Commands:
    def test_w(self, clock: FakeClock) -> None:
        scale = settled_scale("toledo-8217", clock)
        session = scale.open_session()
        assert ask(session, b"W") == b"\x02?\x42\r"  # at zero
        scale.put(1235)
        assert ask(session, b"W") == b"\x02?\x41\r"  # motion
        clock.advance(1)
        assert ask(session, b"W") == b"\x0201.235\r"
        assert ask(session, b"\r\nWW") == b"\x0201.235\r" * 2  # CR LF ignored

    def test_zero_tare_clear_answer_status(self, clock: FakeClock) -> None:
        scale = settled_scale("toledo-8217", clock, 200)
        session = scale.open_session()
        assert ask(session, b"Z") == b"\x02?\x42\r"  # zeroed: at zero, no motion
        scale.put(700)
        clock.advance(1)
        assert ask(session, b"T") == b"\x02?\x40\r"  # tare done: no motion (net 0, gross not zero)
        assert scale.sample().tare_g == 500
        assert ask(session, b"W") == b"\x0200.000\r"
        assert ask(session, b"C") == b"\x02?\x40\r"
        assert scale.sample().tare_g == 0
        scale.put(100)
        assert ask(session, b"Z") == b"\x02?\x41\r"  # motion: not zeroed

    def test_module_error(self, clock: FakeClock) -> None:
        scale = settled_scale("toledo-8217", clock, 1235)
        scale.set_module_error("eeprom")
        assert ask(scale.open_session(), b"W") == b"\x02?\x48\r"


def test_streaming_modules_ignore_host_bytes(clock: FakeClock) -> None:
    assert settled_scale("binary-ff", clock).open_session().feed(b"S\r\n") == b""


def test_ascii_stgs_announces_tare_before_net_lines(clock: FakeClock) -> None:
    scale = settled_scale("ascii-stgs", clock, 500, rate_hz=10)
    session = scale.open_session()
    assert session.stream_frame() == b"ST,GS,+000.500kg\r\n"
    scale.tare()
    assert session.stream_frame() == b"ST,TR,+000.500kg\r\nST,NT,+000.000kg\r\n"
    frames = [session.stream_frame() for _ in range(20)]
    assert sum(f.startswith(b"ST,TR,") for f in frames) == 2  # repeated once a second
    scale.clear_tare()
    assert session.stream_frame() == b"ST,TR,+000.000kg\r\nST,GS,+000.500kg\r\n"


# --- faults ---------------------------------------------------------------------------------


class TestFaults:
    def test_garbage_cannot_start_a_frame(self, clock: FakeClock) -> None:
        for protocol, start in (("toledo-continuous", 0x02), ("binary-ff", 0xFF)):
            scale = settled_scale(protocol, clock, 1235)
            session = scale.open_session()
            clean = scale.weight_frame()
            for _ in range(50):
                scale.inject("garbage")
                out = session.stream_frame()
                assert out.endswith(clean) and len(out) > len(clean)
                assert start not in out[: -len(clean)]

    def test_garbage_on_a_line_protocol_is_its_own_line(self, clock: FakeClock) -> None:
        scale = settled_scale("ascii-stgs", clock, 1235)
        session = scale.open_session()
        scale.inject(FaultKind.GARBAGE)
        junk, _, rest = session.stream_frame().partition(b"\r\n")
        assert junk and b"\n" not in junk and b"\r" not in junk
        assert rest == b"ST,GS,+001.235kg\r\n"

    def test_truncate(self, clock: FakeClock) -> None:
        scale = settled_scale("toledo-continuous", clock, 1235)
        session = scale.open_session()
        scale.inject("truncate")
        assert session.stream_frame() == scale.weight_frame()[:9]
        assert session.stream_frame() == scale.weight_frame()

    def test_bad_checksum_keeps_the_frame_plausible(self, clock: FakeClock) -> None:
        scale = settled_scale("toledo-continuous", clock, 1235)
        session = scale.open_session()
        scale.inject("bad-checksum")
        frame = session.stream_frame()
        assert len(frame) == 18 and frame[4:10] == b"001236"
        assert sum(frame) & 0x7F != 0

    @pytest.mark.parametrize(
        ("protocol", "broken"),
        [
            ("mt-sics", lambda f: b"X" in f),
            ("ascii-stgs", lambda f: b"X" in f),
            ("binary-ff", lambda f: f[2] >> 4 > 9),
            ("toledo-continuous-nocs", lambda f: not f[1] & 0x20),
            ("toledo-8217", lambda f: b"X" in f),
            ("yaohua-eq-reversed", lambda f: b"X" in f),
            ("yaohua-eq-forward", lambda f: b"X" in f),
            ("yaohua-ww", lambda f: b"X" in f),
        ],
    )
    def test_corruption_breaks_the_format(self, clock: FakeClock, protocol: str, broken) -> None:
        scale = settled_scale(protocol, clock, 1235)
        scale.inject("corrupt")
        frame = scale.open_session().unsolicited_frame()
        assert len(frame) == len(scale.weight_frame()) and frame != scale.weight_frame()
        assert broken(frame)

    def test_faults_apply_to_replies_and_count(self, clock: FakeClock) -> None:
        scale = settled_scale("mt-sics", clock, 1235)
        session = scale.open_session()
        scale.inject("truncate", count=2)
        assert ask(session, b"SI\r\n") == b"S S      "
        assert ask(session, b"SI\r\n") == b"S S      "
        assert ask(session, b"SI\r\n") == b"S S      1.235 kg\r\n"

    def test_silence(self, clock: FakeClock) -> None:
        scale = settled_scale("mt-sics", clock, 1235)
        session = scale.open_session()
        scale.silence(3)
        assert ask(session, b"SI\r\n") == b""
        clock.advance(3)
        assert ask(session, b"SI\r\n") == b"S S      1.235 kg\r\n"
        stream = settled_scale("binary-ff", clock)
        stream_session = stream.open_session()
        stream.silence(1)
        assert stream_session.stream_frame() == b""
        clock.advance(1)
        assert stream_session.stream_frame() == stream.weight_frame()

    @pytest.mark.parametrize(("protocol", "check"), [("yaohua-tf0", slice(9, 11)), ("yaohua-a12e", slice(11, 13)),
                                                     ("aclas-os2x", slice(12, 13))])  # fmt: skip
    def test_corruption_keeps_the_old_xor(self, clock: FakeClock, protocol: str, check: slice) -> None:
        scale = settled_scale(protocol, clock, 1235)
        scale.inject("corrupt")
        frame, clean = scale.open_session().unsolicited_frame(), scale.weight_frame()
        assert len(frame) == len(clean) and frame != clean and frame[check] == clean[check]

    def test_unknown_fault(self) -> None:
        assert parse_fault("corrupt") is FaultKind.BAD_CHECKSUM
        with pytest.raises(ValueError, match="garbage"):
            parse_fault("smoke")


# --- configuration --------------------------------------------------------------------------


class TestConfiguration:
    def test_unknown_protocol(self) -> None:
        with pytest.raises(ValueError, match="mt-sics"):
            VirtualScale("dini-argeo")

    def test_unit_not_offered_by_protocol(self) -> None:
        with pytest.raises(ValueError, match="toledo-8217"):
            VirtualScale("toledo-8217", unit="g")

    def test_8217_capacity_limit(self) -> None:
        with pytest.raises(ValueError, match=r"99\.999"):
            VirtualScale("toledo-8217", max_g=150_000, e_g=50)

    def test_rate(self) -> None:
        assert VirtualScale("binary-ff", rate_hz=500).frame_interval_s == pytest.approx(0.002)
        with pytest.raises(ValueError, match="rate"):
            VirtualScale("binary-ff", rate_hz=0)


# --- scenarios ------------------------------------------------------------------------------


class TestScenario:
    def test_parse(self) -> None:
        assert parse_scenario("demo") is DEMO
        assert parse_scenario("static:1235").steps == (Step("put", 1235),)
        assert parse_scenario("none").steps == ()
        with pytest.raises(ValueError, match="static:GRAMS"):
            parse_scenario("static:heavy")

    def test_player_follows_the_clock(self, clock: FakeClock) -> None:
        scale = VirtualScale("mt-sics", clock=clock)
        scenario = Scenario("t", (Step("put", 1235, 2.0), Step("remove", hold_s=1.0), Step("overload")))
        player = ScenarioPlayer(scale, scenario)
        assert [s.action for s in player.tick()] == ["put"]
        clock.advance(1.0)
        assert player.tick() == [] and scale.sample().gross_g == 1235
        clock.advance(1.0)
        assert [s.action for s in player.tick()] == ["remove"]
        clock.advance(1.0)
        assert [s.action for s in player.tick()] == ["overload"]
        assert player.finished

    def test_demo_loops(self, clock: FakeClock) -> None:
        scale = VirtualScale("ascii-stgs", clock=clock)
        player = ScenarioPlayer(scale, DEMO)
        seen: set[int] = set()
        for _ in range(int(2 * DEMO.duration_s * 10) + 1):
            player.tick()
            if scale.settled():
                seen.add(scale.sample().gross_g)
            clock.advance(0.1)
        assert {0, 1235, 480, 2755} <= seen
        assert not player.finished


# --- console commands -----------------------------------------------------------------------


class FakeLink:
    address = "/tmp/x/scale0"
    plugged = True

    def __init__(self) -> None:
        self.calls: list[str] = []

    def unplug(self) -> None:
        self.calls.append("unplug")

    def replug(self) -> None:
        self.calls.append("replug")

    def silence(self, seconds: float) -> None:
        self.calls.append(f"silence {seconds}")


class TestConsole:
    def test_commands(self, clock: FakeClock) -> None:
        scale = VirtualScale("mt-sics", clock=clock)
        link = FakeLink()
        assert "1235" in execute("put 1235", scale, link)  # type: ignore[arg-type]
        clock.advance(1)
        assert scale.sample().gross_g == 1235
        execute("fault garbage 2", scale, link)  # type: ignore[arg-type]
        assert scale.faults.queued == 2
        execute("unplug", scale, link)  # type: ignore[arg-type]
        execute("silence 3", scale, link)  # type: ignore[arg-type]
        assert link.calls == ["unplug", "silence 3.0"]
        assert execute("drift 2", scale, link)  # type: ignore[arg-type]
        assert execute("zero", scale, link).startswith("refused")  # type: ignore[arg-type]
        with pytest.raises(QuitRequested):
            execute("quit", scale, link)  # type: ignore[arg-type]

    @pytest.mark.parametrize("line", ["put", "put heavy", "fault smoke", "silence", "jump"])
    def test_bad_commands_say_what_to_type(self, line: str) -> None:
        with pytest.raises(CommandError):
            execute(line, VirtualScale("mt-sics"), FakeLink())  # type: ignore[arg-type]

    def test_parse_link(self) -> None:
        assert parse_link("pty") == ("pty", "", 0)
        assert parse_link("tcp:127.0.0.1:4001") == ("tcp", "127.0.0.1", 4001)
        with pytest.raises(ValueError, match="tcp:HOST:PORT"):
            parse_link("udp:1")
