"""Legal-for-trade weighing rules, as tables of cases."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.core.metrology import (
    ScaleConfig,
    SellableWeight,
    WeighingState,
    WeightView,
    display_text,
)
from edge.core.reading import Reading
from edge.core.refusals import REASONS, Refusal, RefusedError, placeholders, refuse

# Max 15 kg, e = 5 g: Min = 100 g, zero key +-300 g, power-on zero +-3000 g, N = 5.
CFG = ScaleConfig(max_g=15_000, e_g=5)
CJK = re.compile(r"[\u4e00-\u9fff]")


# --- reading builders: S stable flag, M moving (flag off), NW status only ---------------


def S(g: int, **flags: bool) -> Reading:
    return Reading(gross_g=g, net_g=g, stable=True, raw=f"S {g}".encode(), **flags)


def M(g: int) -> Reading:
    return Reading(gross_g=g, net_g=g, stable=False)


NW = Reading(gross_g=0, net_g=0, has_weight=False)


def settle(state: WeighingState, g: int) -> WeightView:
    """Feed enough equal stable readings of ``g`` for the window to fill."""
    view = state.view
    for _ in range(state.config.stable_count):
        view = state.feed(S(g))
    return view


def zeroed(cfg: ScaleConfig = CFG, at: int = 0) -> WeighingState:
    """A state whose power-on zero was taken at module gross ``at``."""
    state = WeighingState(cfg)
    settle(state, at)
    assert state.power_on_zero_done
    return state


def code(result: object) -> str | None:
    """The refusal code of a result, or None when it was not refused."""
    return result.code if isinstance(result, Refusal) else None


# --- configuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        pytest.param({"max_g": 15_000, "e_g": 0}, ValueError, "positive", id="e-zero"),
        pytest.param({"max_g": 15_000, "e_g": -5}, ValueError, "positive", id="e-negative"),
        pytest.param({"max_g": 15_000, "e_g": 3}, ValueError, "1, 2 or 5", id="e-not-1-2-5"),
        pytest.param({"max_g": 15_001, "e_g": 5}, ValueError, "multiple", id="max-not-multiple-of-e"),
        pytest.param({"max_g": 0, "e_g": 5}, ValueError, "positive", id="max-zero"),
        pytest.param({"max_g": 450, "e_g": 5}, ValueError, "class III", id="fewer-than-100-divisions"),
        pytest.param({"max_g": 30_000, "e_g": 2}, ValueError, "class III", id="more-than-10000-divisions"),
        pytest.param(
            {"max_g": 15_000, "e_g": 5, "stable_count": 0}, ValueError, "stable_count", id="stable-count-zero"
        ),
        pytest.param({"max_g": 15_000, "e_g": 5, "min_divisions": 0}, ValueError, "min_divisions", id="min-zero"),
        pytest.param({"max_g": 15_000, "e_g": 5, "min_divisions": 3000}, ValueError, "min_divisions", id="min-at-max"),
        pytest.param(
            {"max_g": 15_000, "e_g": 5, "zero_range_percent": 5}, ValueError, "zero_range", id="zero-range-over-4pc"
        ),
        pytest.param(
            {"max_g": 15_000, "e_g": 5, "power_on_zero_percent": 21}, ValueError, "power_on", id="power-on-over-20pc"
        ),
        pytest.param({"max_g": 15_000, "e_g": 5.0}, TypeError, "integer", id="float-e"),
        pytest.param({"max_g": 15_000, "e_g": True}, TypeError, "integer", id="bool-e"),
    ],
)
def test_config_rejects(kwargs: dict[str, object], error: type[Exception], fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        ScaleConfig(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("max_g", "e_g", "min_g"),
    [
        pytest.param(15_000, 5, 100, id="15kg-e5"),
        pytest.param(30_000, 10, 200, id="30kg-e10"),
        pytest.param(6_000, 2, 40, id="6kg-e2"),
        pytest.param(3_000, 1, 20, id="3kg-e1"),
    ],
)
def test_config_min_is_20_divisions(max_g: int, e_g: int, min_g: int) -> None:
    assert ScaleConfig(max_g=max_g, e_g=e_g).min_g == min_g


# --- stability ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cfg", "readings", "stable"),
    [
        pytest.param(CFG, [S(1000)] * 5, True, id="N-equal"),
        pytest.param(CFG, [S(1000)] * 4, False, id="N-1-equal"),
        pytest.param(CFG, [S(1000)] * 4 + [M(1000)], False, id="flag-off-on-last"),
        pytest.param(CFG, [M(1000)] * 4 + [S(1000)], True, id="flag-off-readings-count-in-window"),
        pytest.param(CFG, [S(1000), S(1002), S(1001), S(1000), S(1002)], True, id="spread-2g-within-half-e"),
        pytest.param(CFG, [S(1000), S(1003), S(1001), S(1000), S(1002)], False, id="spread-3g-over-half-e"),
        pytest.param(CFG, [S(1000), S(1000), S(1020), S(1000), S(1000)], False, id="one-outlier"),
        pytest.param(CFG, [S(1020)] + [S(1000)] * 5, True, id="outlier-left-window"),
        pytest.param(CFG, [S(1000)] * 4 + [NW, S(1000)], False, id="no-weight-resets"),
        pytest.param(CFG, [S(1000)] * 2 + [NW] + [S(1000)] * 5, True, id="N-after-no-weight"),
        pytest.param(CFG, [S(1000)] * 4 + [S(1000, overload=True)] + [S(1000)] * 4, False, id="overload-flag-resets"),
        pytest.param(CFG, [S(1000)] * 4 + [S(1000, underload=True)] + [S(1000)] * 4, False, id="underload-flag-resets"),
        pytest.param(CFG, [S(1000, overload=True)] * 6, False, id="overload-never-stable"),
        pytest.param(ScaleConfig(3_000, 1, stable_count=3), [S(500), S(501), S(500)], False, id="e1-needs-equal"),
        pytest.param(ScaleConfig(3_000, 1, stable_count=3), [S(500)] * 3, True, id="e1-N3-equal"),
        pytest.param(ScaleConfig(30_000, 10), [S(1000), S(1005), S(1003), S(1000), S(1004)], True, id="e10-spread-5g"),
        pytest.param(ScaleConfig(30_000, 10), [S(1000), S(1006), S(1003), S(1000), S(1004)], False, id="e10-spread-6g"),
    ],
)
def test_stability(cfg: ScaleConfig, readings: list[Reading], stable: bool) -> None:
    state = WeighingState(cfg)
    for reading in readings:
        view = state.feed(reading)
    assert view.stable is stable
    if not stable:
        assert code(state.sellable()) in {"unstable", "not_zeroed", "overload", "underload", "no_weight"}


# --- rounding to the division -------------------------------------------------------------


@pytest.mark.parametrize(
    ("cfg", "raw", "gross"),
    [
        pytest.param(ScaleConfig(30_000, 10), 1234, 1230, id="e10-down"),
        pytest.param(ScaleConfig(30_000, 10), 1235, 1240, id="e10-half-up"),
        pytest.param(ScaleConfig(30_000, 10), 4, 0, id="e10-4g-to-0"),
        pytest.param(ScaleConfig(30_000, 10), 5, 10, id="e10-5g-half-up"),
        pytest.param(ScaleConfig(30_000, 10), -4, 0, id="e10-minus-4g-to-0"),
        pytest.param(ScaleConfig(30_000, 10), -5, -10, id="e10-minus-half-away-from-zero"),
        pytest.param(ScaleConfig(30_000, 10), -1235, -1240, id="e10-negative-symmetric"),
        pytest.param(CFG, 1232, 1230, id="e5-down"),
        pytest.param(CFG, 1233, 1235, id="e5-up"),
        pytest.param(CFG, -1233, -1235, id="e5-negative-up"),
        pytest.param(ScaleConfig(6_000, 2), 1, 2, id="e2-half-up"),
        pytest.param(ScaleConfig(6_000, 2), -1, -2, id="e2-negative-half"),
        pytest.param(ScaleConfig(3_000, 1), 1234, 1234, id="e1-unchanged"),
    ],
)
def test_gross_rounded_to_division(cfg: ScaleConfig, raw: int, gross: int) -> None:
    view = WeighingState(cfg).feed(M(raw))
    assert (view.gross_g, view.net_g) == (gross, gross)


def test_zero_offset_is_applied_before_rounding() -> None:
    state = zeroed(at=3)  # 3 g of dirt on the platter becomes zero
    assert state.feed(S(106)).gross_g == 105  # 103 g above zero; rounding first would give 105 - 5 = 100
    assert state.feed(S(105)).gross_g == 100  # 102 g above zero


@pytest.mark.parametrize(
    ("cfg", "raw", "at_zero"),
    [
        pytest.param(ScaleConfig(30_000, 20), 5, True, id="e20-quarter-e"),
        pytest.param(ScaleConfig(30_000, 20), 6, False, id="e20-over-quarter-e"),
        pytest.param(ScaleConfig(30_000, 20), -5, True, id="e20-minus-quarter-e"),
        pytest.param(ScaleConfig(30_000, 20), -6, False, id="e20-minus-over-quarter-e"),
        pytest.param(ScaleConfig(30_000, 20), 9, False, id="e20-rounds-to-0-but-off-centre"),
        pytest.param(CFG, 1, True, id="e5-1g"),
        pytest.param(CFG, 2, False, id="e5-2g"),
        pytest.param(ScaleConfig(3_000, 1), 0, True, id="e1-exact"),
        pytest.param(ScaleConfig(3_000, 1), 1, False, id="e1-1g"),
    ],
)
def test_centre_of_zero(cfg: ScaleConfig, raw: int, at_zero: bool) -> None:
    view = WeighingState(cfg).feed(M(raw))
    assert view.at_zero is at_zero


def test_centre_of_zero_follows_the_zero_key() -> None:
    state = zeroed()
    settle(state, 200)
    assert not state.view.at_zero
    assert state.press_zero() is None
    assert state.view.at_zero
    assert not state.feed(NW).at_zero


# --- what may be sold: Min, Max, overload, negative, underload -----------------------------


@pytest.mark.parametrize(
    ("cfg", "raw", "refused"),
    [
        pytest.param(CFG, 95, "below_min", id="19e-refused"),
        pytest.param(CFG, 97, "below_min", id="rounds-to-19e-refused"),
        pytest.param(CFG, 98, None, id="rounds-to-20e-accepted"),
        pytest.param(CFG, 100, None, id="20e-accepted"),
        pytest.param(CFG, 0, "below_min", id="empty-platter"),
        pytest.param(ScaleConfig(30_000, 10), 190, "below_min", id="e10-19e-refused"),
        pytest.param(ScaleConfig(30_000, 10), 200, None, id="e10-20e-accepted"),
        pytest.param(CFG, 15_000, None, id="max-accepted"),
        pytest.param(CFG, 15_002, None, id="rounds-to-max-accepted"),
        pytest.param(CFG, 15_003, "overload", id="rounds-above-max-refused"),
        pytest.param(CFG, 15_005, "overload", id="max-plus-e-refused"),
        pytest.param(CFG, -50, "negative", id="negative-gross"),
        pytest.param(CFG, -2, "below_min", id="rounds-to-zero-not-negative"),
    ],
)
def test_sellable_boundaries(cfg: ScaleConfig, raw: int, refused: str | None) -> None:
    state = zeroed(cfg)
    settle(state, raw)
    result = state.sellable()
    assert code(result) == refused
    assert code(state.view.blocked) == refused
    if refused is None:
        assert isinstance(result, SellableWeight)
        assert result.net_g == state.view.gross_g


@pytest.mark.parametrize(
    ("last", "refused"),
    [
        pytest.param(S(1000, overload=True), "overload", id="module-overload-flag"),
        pytest.param(Reading(0, 0, overload=True, has_weight=False), "overload", id="status-only-overload"),
        pytest.param(S(-100, underload=True), "underload", id="module-underload-flag"),
        pytest.param(NW, "no_weight", id="status-only-frame"),
        pytest.param(M(1000), "unstable", id="moving"),
    ],
)
def test_sellable_refuses_module_states(last: Reading, refused: str) -> None:
    state = zeroed()
    settle(state, 1000)
    assert isinstance(state.sellable(), SellableWeight)
    state.feed(last)
    assert code(state.sellable()) == refused


def test_refusal_texts_carry_the_limits() -> None:
    state = zeroed()
    settle(state, 50)
    below = state.sellable()
    assert isinstance(below, Refusal)
    assert "0.100 kg" in below.zh and "0.100 kg" in below.en
    settle(state, 16_000)
    over = state.sellable()
    assert isinstance(over, Refusal)
    assert "15.000 kg" in over.zh and "15.000 kg" in over.en


def test_sellable_carries_the_reading_frame() -> None:
    state = zeroed()
    settle(state, 1233)
    result = state.sellable()
    assert result == SellableWeight(gross_g=1235, net_g=1235, tare_g=0, tare_kind="none", reading_raw=b"S 1233")


def test_require_sellable_raises_with_the_refusal() -> None:
    state = zeroed()
    state.feed(M(1000))
    with pytest.raises(RefusedError) as caught:
        state.require_sellable()
    assert caught.value.refusal.code == "unstable"
    settle(state, 1000)
    assert state.require_sellable().net_g == 1000


# --- power-on zero ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_stable", "done", "blocked"),
    [
        pytest.param(0, True, "below_min", id="empty"),
        pytest.param(3_000, True, "below_min", id="at-plus-20pc"),
        pytest.param(-3_000, True, "below_min", id="at-minus-20pc"),
        pytest.param(3_005, False, "power_on_zero", id="over-plus-20pc"),
        pytest.param(-3_005, False, "power_on_zero", id="over-minus-20pc"),
    ],
)
def test_power_on_zero_range(first_stable: int, done: bool, blocked: str) -> None:
    state = WeighingState(CFG)
    view = settle(state, first_stable)
    assert state.power_on_zero_done is done
    assert code(view.blocked) == blocked
    if done:
        assert state.zero_offset_g == first_stable
        assert view.gross_g == 0


@pytest.mark.parametrize(
    "readings",
    [
        pytest.param([], id="no-reading-yet"),
        pytest.param([M(0)] * 10, id="moving"),
        pytest.param([S(0)] * 4, id="N-1-stable"),
        pytest.param([S(0)] * 4 + [NW], id="status-frame"),
    ],
)
def test_power_on_zero_waits_for_a_stable_reading(readings: list[Reading]) -> None:
    state = WeighingState(CFG)
    for reading in readings:
        state.feed(reading)
    assert not state.power_on_zero_done
    assert code(state.sellable()) == "not_zeroed"
    assert code(state.press_tare()) == "not_zeroed"


def test_power_on_zero_blocks_until_the_platter_is_cleared() -> None:
    state = WeighingState(CFG)
    settle(state, 5_000)
    assert code(state.sellable()) == "power_on_zero"
    state.feed(M(2_000))  # vendor lifting goods off
    assert code(state.sellable()) == "power_on_zero"
    settle(state, 4_000)  # still too much
    assert code(state.sellable()) == "power_on_zero"
    assert code(state.press_zero()) == "power_on_zero"
    assert code(state.press_tare()) == "power_on_zero"
    settle(state, 20)  # cleared: this becomes zero
    assert state.power_on_zero_done and state.zero_offset_g == 20
    settle(state, 520)
    result = state.sellable()
    assert isinstance(result, SellableWeight) and result.net_g == 500


def test_power_on_zero_is_taken_only_once() -> None:
    state = zeroed(at=10)
    settle(state, 2_000)  # a later stable reading within 20 % is a load, not a new zero
    assert state.zero_offset_g == 10
    assert state.view.gross_g == 1_990


def test_reset_power_on_forgets_zero_and_tare() -> None:
    state = zeroed(at=10)
    settle(state, 500)
    assert state.press_tare() is None
    state.reset_power_on()
    assert not state.power_on_zero_done
    assert (state.zero_offset_g, state.view.tare_kind, state.view.has_weight) == (0, "none", False)
    assert code(state.sellable()) == "not_zeroed"
    settle(state, 500)  # the next stable reading is the new power-on zero
    assert state.zero_offset_g == 500


# --- zero key -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("power_on_at", "presses", "refused", "offset_after"),
    [
        pytest.param(0, [300], None, 300, id="at-plus-2pc"),
        pytest.param(0, [305], "zero_out_of_range", 0, id="over-plus-2pc"),
        pytest.param(0, [-300], None, -300, id="at-minus-2pc"),
        pytest.param(0, [-305], "zero_out_of_range", 0, id="over-minus-2pc"),
        pytest.param(100, [400], None, 400, id="relative-to-power-on-zero"),
        pytest.param(100, [405], "zero_out_of_range", 100, id="over-relative-to-power-on-zero"),
        pytest.param(0, [200, 300], None, 300, id="cumulative-within"),
        pytest.param(0, [200, 300, 305], "zero_out_of_range", 300, id="cumulative-over-though-last-step-small"),
        pytest.param(0, [300, 0], None, 0, id="back-to-power-on-zero"),
    ],
)
def test_zero_key_range(power_on_at: int, presses: list[int], refused: str | None, offset_after: int) -> None:
    state = zeroed(at=power_on_at)
    for raw in presses:
        settle(state, raw)
        result = state.press_zero()
    assert code(result) == refused
    assert state.zero_offset_g == offset_after
    if refused is None:
        assert state.view.gross_g == 0 and state.view.at_zero


@pytest.mark.parametrize(
    ("setup", "refused"),
    [
        pytest.param([M(100)], "zero_unstable", id="unstable"),
        pytest.param([S(100)] * 5 + [S(100, overload=True)], "overload", id="module-overload"),
        pytest.param([S(100)] * 5 + [S(100, underload=True)], "underload", id="module-underload"),
        pytest.param([S(100)] * 5 + [NW], "no_weight", id="no-weight"),
    ],
)
def test_zero_key_refusals(setup: list[Reading], refused: str) -> None:
    state = zeroed()
    for reading in setup:
        state.feed(reading)
    assert code(state.press_zero()) == refused
    assert state.zero_offset_g == 0


@pytest.mark.parametrize(
    "set_tare",
    [
        pytest.param(lambda s: s.press_tare(), id="weighed-tare"),
        pytest.param(lambda s: s.preset_tare(100), id="preset-tare"),
    ],
)
def test_zero_while_tare_refused(set_tare) -> None:  # type: ignore[no-untyped-def]
    state = zeroed()
    settle(state, 100)
    assert set_tare(state) is None
    assert code(state.press_zero()) == "zero_while_tare"
    state.clear_tare()
    assert state.press_zero() is None


# --- tare ---------------------------------------------------------------------------------


def test_weighed_tare_then_goods() -> None:
    state = zeroed()
    settle(state, 502)  # container, rounds to 500
    assert state.press_tare() is None
    view = state.view
    assert (view.tare_g, view.net_g, view.tare_kind, view.net_mode) == (500, 0, "weighed", True)
    assert code(view.blocked) == "below_min"
    settle(state, 1_502)
    assert state.sellable() == SellableWeight(
        gross_g=1_500, net_g=1_000, tare_g=500, tare_kind="weighed", reading_raw=b"S 1502"
    )


@pytest.mark.parametrize(
    ("first", "second_raw", "tare", "kind"),
    [
        pytest.param(lambda s: s.press_tare(), 800, 800, "weighed", id="weighed-replaces-weighed"),
        pytest.param(lambda s: s.preset_tare(250), 800, 800, "weighed", id="weighed-replaces-preset"),
    ],
)
def test_new_weighed_tare_replaces_the_old(first, second_raw: int, tare: int, kind: str) -> None:  # type: ignore[no-untyped-def]
    state = zeroed()
    settle(state, 500)
    assert first(state) is None
    settle(state, second_raw)
    assert state.press_tare() is None
    assert (state.view.tare_g, state.view.net_g, state.view.tare_kind) == (tare, 0, kind)


@pytest.mark.parametrize(
    ("setup", "refused"),
    [
        pytest.param([S(500)] * 4 + [M(500)], "tare_unstable", id="unstable"),
        pytest.param([S(0)] * 5, "tare_empty", id="nothing-on-platter"),
        pytest.param([S(2)] * 5, "tare_empty", id="rounds-to-zero"),
        pytest.param([S(-100)] * 5, "tare_empty", id="negative-gross"),
        pytest.param([S(15_005)] * 5, "overload", id="gross-above-max"),
        pytest.param([S(500)] * 5 + [S(500, overload=True)], "overload", id="module-overload"),
        pytest.param([S(500)] * 5 + [NW], "no_weight", id="no-weight"),
    ],
)
def test_weighed_tare_refusals(setup: list[Reading], refused: str) -> None:
    state = zeroed()
    for reading in setup:
        state.feed(reading)
    assert code(state.press_tare()) == refused
    assert state.view.tare_kind == "none"


def test_weighed_tare_at_max_is_allowed() -> None:
    state = zeroed()
    settle(state, 15_000)
    assert state.press_tare() is None
    assert state.view.tare_g == 15_000


@pytest.mark.parametrize(
    ("tare_g", "refused"),
    [
        pytest.param(250, None, id="multiple-of-e"),
        pytest.param(5, None, id="one-e"),
        pytest.param(15_000, None, id="at-max"),
        pytest.param(252, "preset_not_multiple_of_e", id="not-multiple-of-e"),
        pytest.param(15_005, "tare_above_max", id="above-max"),
        pytest.param(0, "tare_not_positive", id="zero"),
        pytest.param(-5, "tare_not_positive", id="negative"),
    ],
)
def test_preset_tare(tare_g: int, refused: str | None) -> None:
    state = zeroed()
    settle(state, 1_000)
    assert state.preset_tare(100) is None  # an earlier tare, kept when the new one is refused
    assert code(state.preset_tare(tare_g)) == refused
    expected = 100 if refused else tare_g
    assert (state.view.tare_g, state.view.tare_kind, state.view.net_g) == (expected, "preset", 1_000 - expected)


def test_preset_tare_not_multiple_names_the_division() -> None:
    refusal = WeighingState(CFG).preset_tare(252)
    assert isinstance(refusal, Refusal) and "0.005 kg" in refusal.zh


@pytest.mark.parametrize("bad", [pytest.param(2.5, id="float"), pytest.param(True, id="bool")])
def test_preset_tare_must_be_integer_grams(bad: object) -> None:
    with pytest.raises(TypeError):
        WeighingState(CFG).preset_tare(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "set_tare",
    [
        pytest.param(lambda s: s.press_tare(), id="after-weighed"),
        pytest.param(lambda s: s.preset_tare(300), id="after-preset"),
    ],
)
def test_clear_tare(set_tare) -> None:  # type: ignore[no-untyped-def]
    state = zeroed()
    settle(state, 400)
    assert set_tare(state) is None
    assert state.view.net_g != state.view.gross_g
    state.clear_tare()
    view = state.view
    assert (view.tare_g, view.tare_kind, view.net_mode, view.net_g) == (0, "none", False, view.gross_g)


@pytest.mark.parametrize(
    ("tare_g", "raw", "gross", "net", "refused"),
    [
        pytest.param(200, 1_233, 1_235, 1_035, None, id="net-is-rounded-gross-minus-tare"),
        pytest.param(205, 300, 300, 95, "below_min", id="net-below-min-though-gross-above"),
        pytest.param(205, 305, 305, 100, None, id="net-at-min"),
        pytest.param(200, 100, 100, -100, "negative", id="net-negative"),
        pytest.param(200, 200, 200, 0, "below_min", id="net-zero-is-below-min-not-negative"),
        pytest.param(5_000, 15_000, 15_000, 10_000, None, id="gross-at-max"),
        pytest.param(5_000, 15_005, 15_005, 10_005, "overload", id="gross-above-max-though-net-small"),
    ],
)
def test_net_is_gross_minus_tare(tare_g: int, raw: int, gross: int, net: int, refused: str | None) -> None:
    state = zeroed()
    assert state.preset_tare(tare_g) is None
    view = settle(state, raw)
    assert (view.gross_g, view.net_g, view.tare_g) == (gross, net, tare_g)
    assert code(state.sellable()) == refused


@given(
    e_g=st.sampled_from([1, 2, 5, 10, 20, 50]),
    zero_raw=st.integers(-100, 100),
    raw=st.integers(-5_000, 40_000),
    tare_divisions=st.integers(0, 100),
)
def test_view_arithmetic_invariants(e_g: int, zero_raw: int, raw: int, tare_divisions: int) -> None:
    cfg = ScaleConfig(max_g=e_g * 3_000, e_g=e_g)
    state = zeroed(cfg, at=zero_raw)
    if tare_divisions:
        assert state.preset_tare(tare_divisions * e_g) is None
    view = state.feed(S(raw))
    assert view.gross_g % e_g == 0
    assert 2 * abs(view.gross_g - (raw - zero_raw)) <= e_g  # within half a division
    assert view.net_g == view.gross_g - view.tare_g
    assert view.overload is (view.gross_g > cfg.max_g)


# --- refusal texts ------------------------------------------------------------------------


@pytest.mark.parametrize("reason_code", sorted(REASONS))
def test_every_refusal_is_bilingual(reason_code: str) -> None:
    zh, en = REASONS[reason_code]
    assert placeholders(zh) == placeholders(en)  # both languages get the same facts
    refusal = refuse(reason_code, **{name: "1.000" for name in placeholders(zh)})
    assert refusal.code == reason_code
    assert refusal.zh.strip() and refusal.en.strip()
    assert CJK.search(refusal.zh), "zh text must be Chinese"
    assert not CJK.search(refusal.en), "en text must not be Chinese"
    assert "{" not in refusal.zh + refusal.en
    assert refusal.text() == refusal.zh == refusal.text("zh-CN")
    assert refusal.text("en") == refusal.en == refusal.text("en-US")


@pytest.mark.parametrize(
    "used",
    [
        "unstable",
        "below_min",
        "overload",
        "negative",
        "underload",
        "no_weight",
        "power_on_zero",
        "zero_out_of_range",
        "zero_while_tare",
        "tare_unstable",
        "tare_above_max",
        "tare_not_positive",
        "preset_not_multiple_of_e",
        "not_zeroed",
        "zero_unstable",
        "tare_empty",
    ],
)
def test_codes_the_state_uses_are_in_the_table(used: str) -> None:
    assert used in REASONS


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        pytest.param(lambda: refuse("no_such_code"), "unknown refusal", id="unknown-code"),
        pytest.param(lambda: refuse("below_min"), "min_kg", id="missing-value"),
        pytest.param(lambda: refuse("unstable").text("fr"), "language", id="unknown-language"),
    ],
)
def test_refusal_misuse_raises(call, fragment: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=fragment):
        call()


def test_refused_error_carries_the_refusal() -> None:
    refusal = refuse("unstable")
    error = RefusedError(refusal)
    assert error.refusal is refusal
    assert "unstable" in str(error)


# --- display ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cfg", "raw", "tare_g", "weight_text", "tare_text"),
    [
        pytest.param(CFG, 1_233, 0, "1.235", "", id="e5-three-decimals"),
        pytest.param(ScaleConfig(30_000, 10), 1_236, 0, "1.24", "", id="e10-two-decimals"),
        pytest.param(ScaleConfig(300_000, 100), 12_340, 0, "12.3", "", id="e100-one-decimal"),
        pytest.param(ScaleConfig(6_000, 2), 1_233, 0, "1.234", "", id="e2-three-decimals"),
        pytest.param(CFG, -50, 0, "-0.050", "", id="negative"),
        pytest.param(CFG, 1_500, 500, "1.000", "0.500", id="net-mode-shows-net-and-tare"),
        pytest.param(CFG, 15_005, 0, "", "", id="overload-blank"),
    ],
)
def test_display_text(cfg: ScaleConfig, raw: int, tare_g: int, weight_text: str, tare_text: str) -> None:
    state = zeroed(cfg)
    if tare_g:
        assert state.preset_tare(tare_g) is None
    shown = display_text(settle(state, raw), cfg)
    assert (shown.weight_text, shown.tare_text) == (weight_text, tare_text)
    assert shown.net is bool(tare_g)


@pytest.mark.parametrize(
    ("last", "weight_text", "stable", "zero", "overload", "underload"),
    [
        pytest.param(S(0), "0.000", True, True, False, False, id="stable-at-zero"),
        pytest.param(M(1_000), "1.000", False, False, False, False, id="moving"),
        pytest.param(NW, "", False, False, False, False, id="no-weight-blank"),
        pytest.param(S(1_000, overload=True), "", False, False, True, False, id="module-overload-blank"),
        pytest.param(S(-10, underload=True), "", False, False, False, True, id="underload-blank"),
    ],
)
def test_display_lamps(
    last: Reading, weight_text: str, stable: bool, zero: bool, overload: bool, underload: bool
) -> None:
    state = zeroed()
    shown = display_text(state.feed(last), CFG)
    assert (shown.weight_text, shown.stable, shown.zero, shown.overload, shown.underload) == (
        weight_text,
        stable,
        zero,
        overload,
        underload,
    )


# --- restoring a zero established by an earlier run -----------------------------------------


def _steady(state: WeighingState, gross_g: int, n: int = 6) -> None:
    for _ in range(n):
        state.feed(Reading(gross_g=gross_g, net_g=gross_g, stable=True))


@pytest.mark.parametrize(
    ("power_on", "offset", "code"),
    [
        pytest.param(0, 0, None, id="calibrated-zero"),
        pytest.param(40, 40 + 300, None, id="zero-key-within-2pct"),
        pytest.param(0, 301, "zero_out_of_range", id="zero-key-beyond-2pct"),
        pytest.param(3001, 3001, "power_on_zero", id="power-on-beyond-20pct"),
    ],
)
def test_restore_zero_applies_the_same_limits(power_on, offset, code):
    state = WeighingState(ScaleConfig(max_g=15000, e_g=5))
    refusal = state.restore_zero(power_on, offset)
    assert (refusal.code if refusal else None) == code
    assert state.power_on_zero_done is (code is None)


def test_restored_zero_keeps_the_load_on_the_platter_sellable():
    state = WeighingState(ScaleConfig(max_g=15000, e_g=5))
    assert state.restore_zero(0, 0) is None
    _steady(state, 1235)  # the goods were already on the platter when the process started
    sellable = state.sellable()
    assert not isinstance(sellable, Refusal) and sellable.net_g == 1235
    assert state.zero_state == (0, 0)


def test_without_restore_a_load_at_start_becomes_the_zero():
    state = WeighingState(ScaleConfig(max_g=15000, e_g=5))
    _steady(state, 1235)
    assert state.zero_state == (1235, 1235)
    assert isinstance(state.sellable(), Refusal)
