"""Multi-interval and multiple-range scales (OIML R76-1 T.3.2.6 / T.3.2.7), as tables of cases.

The scale of the tables is the usual retail price-computing scale: 6/15 kg with e = 2/5 g.
Min = 20 e1 = 40 g; zero key +-2 % of Max1 = +-120 g; power-on zero 20 % of Max1 = 1200 g;
tare up to Max1 = 6 kg.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.core.cart import Cart
from edge.core.metrology import ScaleConfig, SellableWeight, WeighingState, display_text
from edge.core.reading import Reading
from edge.core.records import Batch, Plu, Pricing
from edge.core.refusals import Refusal
from tests.unit.test_metrology import M, S, code, settle, zeroed

MI = ScaleConfig.with_ranges([(6_000, 2), (15_000, 5)])  # multi-interval 多分度值
MR = ScaleConfig.with_ranges([(6_000, 2), (15_000, 5)], "multiple-range")  # multiple-range 多范围


# --- configuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ranges", "mode", "fragment"),
    [
        pytest.param([(6_000, 5), (15_000, 2)], "multi-interval", "grow", id="e-decreasing"),
        pytest.param([(6_000, 2), (6_000, 5)], "multi-interval", "grow", id="max-not-increasing"),
        pytest.param([(6_000, 2), (15_000, 2)], "multi-interval", "grow", id="same-e"),
        pytest.param([(6_002, 2), (15_000, 5)], "multi-interval", "multiple of e2", id="max1-off-e2"),
        pytest.param([(2_000, 2), (15_000, 5)], "multi-interval", "Table 4", id="max1-over-e2-below-500"),
        pytest.param([(6_000, 2), (150_000, 5)], "multi-interval", "class III", id="range2-over-10000-e"),
        pytest.param([(150, 1), (15_000, 5)], "multi-interval", "class III", id="range1-under-100-e"),
        pytest.param([(6_000, 2), (15_000, 4)], "multi-interval", "1, 2 or 5", id="e2-not-1-2-5"),
        pytest.param([(6_000, 2), (15_001, 5)], "multi-interval", "multiple", id="max2-off-e2"),
        pytest.param([(6_000, 2), (15_000, 5)], "multi-range", "range_mode", id="unknown-mode"),
        pytest.param([], "multi-interval", "at least one", id="no-range"),
    ],
)
def test_ranges_rejected(ranges: list[tuple[int, int]], mode: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        ScaleConfig.with_ranges(ranges, mode)  # type: ignore[arg-type]


def test_max_and_e_must_match_the_ranges() -> None:
    with pytest.raises(ValueError, match="last range"):
        ScaleConfig(max_g=15_000, e_g=5, ranges=((6_000, 2), (15_000, 5)))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="disagrees"):
        ScaleConfig(max_g=15_000, e_g=5, ranges=((6_000, 2),))  # type: ignore[arg-type]


def test_table_4_is_a_multi_interval_rule_only() -> None:
    # Each range of a multiple-range scale is classified on its own (90/384/EEC Annex I 3.2).
    assert ScaleConfig.with_ranges([(2_000, 2), (15_000, 5)], "multiple-range").max1_g == 2_000


@pytest.mark.parametrize(
    ("cfg", "max_g", "e_g", "max1_g", "min_g", "ranges"),
    [
        pytest.param(MI, 15_000, 2, 6_000, 40, ((6_000, 2), (15_000, 5)), id="6-15kg-e2-5"),
        pytest.param(ScaleConfig.with_ranges([(15_000, 5), (30_000, 10)]), 30_000, 5, 15_000, 100, None, id="15-30kg"),
        pytest.param(
            ScaleConfig.with_ranges([(3_000, 1), (6_000, 2), (15_000, 5)]),
            15_000,
            1,
            3_000,
            20,
            None,
            id="three-ranges",
        ),
        pytest.param(
            ScaleConfig.with_ranges([(15_000, 5)]), 15_000, 5, 15_000, 100, ((15_000, 5),), id="one-is-single"
        ),
        pytest.param(ScaleConfig(15_000, 5), 15_000, 5, 15_000, 100, ((15_000, 5),), id="single"),
    ],
)
def test_capacities(
    cfg: ScaleConfig, max_g: int, e_g: int, max1_g: int, min_g: int, ranges: tuple[tuple[int, int], ...] | None
) -> None:
    assert (cfg.max_g, cfg.e_g, cfg.max1_g, cfg.min_g) == (max_g, e_g, max1_g, min_g)
    if ranges is not None:
        assert cfg.weighing_ranges == ranges


def test_one_range_equals_a_single_interval_scale() -> None:
    assert ScaleConfig.with_ranges([(15_000, 5)]) == ScaleConfig(15_000, 5)


# --- rounding: the partial range follows the net (multi-interval) -------------------------


@pytest.mark.parametrize(
    ("raw", "net", "e_g", "range_no", "refused"),
    [
        pytest.param(1_233, 1_234, 2, 1, None, id="r1-half-up-to-e1"),
        pytest.param(1_232, 1_232, 2, 1, None, id="r1-on-e1"),
        pytest.param(38, 38, 2, 1, "below_min", id="19-e1-below-min"),
        pytest.param(40, 40, 2, 1, None, id="min-is-20-e1"),
        pytest.param(5_999, 6_000, 2, 1, None, id="rounds-to-max1-stays-r1"),
        pytest.param(6_000, 6_000, 2, 1, None, id="at-max1"),
        pytest.param(6_001, 6_000, 5, 2, None, id="over-max1-rounds-in-r2"),
        pytest.param(6_003, 6_005, 5, 2, None, id="r2-first-step"),
        pytest.param(7_232, 7_230, 5, 2, None, id="r2-down"),
        pytest.param(7_233, 7_235, 5, 2, None, id="r2-up"),
        pytest.param(15_002, 15_000, 5, 2, None, id="rounds-to-max"),
        pytest.param(15_003, 15_005, 5, 2, "overload", id="above-max-of-last-range"),
        pytest.param(-1_233, -1_234, 2, 1, "negative", id="negative-r1"),
    ],
)
def test_multi_interval_rounding(raw: int, net: int, e_g: int, range_no: int, refused: str | None) -> None:
    state = zeroed(MI)
    settle(state, raw)
    view = state.view
    assert (view.net_g, view.gross_g, view.e_g, view.range_no) == (net, net, e_g, range_no)
    assert code(state.sellable()) == refused


@pytest.mark.parametrize(
    ("tare_g", "raw", "gross", "net", "e_g"),
    [
        pytest.param(5_000, 7_233, 7_234, 2_234, 2, id="tare-brings-net-back-to-e1"),
        pytest.param(1_000, 7_233, 7_235, 6_235, 5, id="net-above-max1-e2"),
        pytest.param(1_000, 7_000, 7_000, 6_000, 2, id="net-at-max1-e1"),
        pytest.param(1_000, 7_001, 7_000, 6_000, 5, id="net-just-over-max1-e2"),
        pytest.param(6_000, 15_000, 15_000, 9_000, 5, id="tare-at-max1-gross-at-max"),
    ],
)
def test_multi_interval_range_is_chosen_by_the_net(tare_g: int, raw: int, gross: int, net: int, e_g: int) -> None:
    state = zeroed(MI)
    assert state.preset_tare(tare_g) is None
    settle(state, raw)
    view = state.view
    assert (view.gross_g, view.net_g, view.tare_g, view.e_g) == (gross, net, tare_g, e_g)
    sold = state.sellable()
    assert isinstance(sold, SellableWeight) and sold.net_g == net and sold.gross_g - sold.tare_g == net


@given(raw=st.integers(-2_000, 16_000), tare_e1=st.integers(0, 3_000), zero=st.integers(-100, 100))
def test_multi_interval_invariants(raw: int, tare_e1: int, zero: int) -> None:
    state = WeighingState(MI)
    settle(state, zero)
    if tare_e1:
        assert state.preset_tare(2 * tare_e1) is None
    view = state.feed(S(raw))
    assert view.net_g == view.gross_g - view.tare_g
    assert view.net_g % view.e_g == 0
    assert 2 * abs(view.net_g - (raw - zero - view.tare_g)) <= view.e_g  # within half the interval in use
    assert view.e_g == (2 if abs(view.net_g) <= 6_000 and view.range_no == 1 else 5)


# --- stability: half the interval in use ----------------------------------------------------


@pytest.mark.parametrize(
    ("readings", "stable"),
    [
        pytest.param([1_000, 1_001, 1_000, 1_001, 1_000], True, id="r1-spread-1g"),
        pytest.param([1_000, 1_002, 1_000, 1_002, 1_000], False, id="r1-spread-2g-over-half-e1"),
        pytest.param([7_230, 7_232, 7_231, 7_230, 7_232], True, id="r2-spread-2g-within-half-e2"),
        pytest.param([7_230, 7_233, 7_231, 7_230, 7_232], False, id="r2-spread-3g"),
    ],
)
def test_stability_uses_the_interval_in_use(readings: list[int], stable: bool) -> None:
    state = zeroed(MI)
    for g in readings:
        view = state.feed(S(g))
    assert view.stable is stable


# --- zero and tare ranges from Max1 ---------------------------------------------------------


@pytest.mark.parametrize(
    ("cfg", "first_stable", "done"),
    [
        pytest.param(MI, 1_200, True, id="power-on-at-20pc-of-max1"),
        pytest.param(MI, 1_202, False, id="power-on-over-20pc-of-max1"),
        pytest.param(MR, 1_202, False, id="multiple-range-too"),
        pytest.param(ScaleConfig(15_000, 5), 1_205, True, id="single-uses-max"),
    ],
)
def test_power_on_zero_range_from_max1(cfg: ScaleConfig, first_stable: int, done: bool) -> None:
    state = WeighingState(cfg)
    settle(state, first_stable)
    assert state.power_on_zero_done is done


@pytest.mark.parametrize(
    ("cfg", "raw", "refused"),
    [
        pytest.param(MI, 120, None, id="zero-key-at-2pc-of-max1"),
        pytest.param(MI, 122, "zero_out_of_range", id="zero-key-over-2pc-of-max1"),
        pytest.param(MR, 122, "zero_out_of_range", id="multiple-range-too"),
        pytest.param(ScaleConfig(15_000, 5), 300, None, id="single-uses-max"),
    ],
)
def test_zero_key_range_from_max1(cfg: ScaleConfig, raw: int, refused: str | None) -> None:
    state = zeroed(cfg)
    settle(state, raw)
    assert code(state.press_zero()) == refused
    assert (state.restore_zero(0, raw) is None) is (refused is None)


@pytest.mark.parametrize(
    ("action", "refused", "tare_after"),
    [
        pytest.param(("preset", 6_000), None, 6_000, id="preset-at-max1"),
        pytest.param(("preset", 6_002), "tare_above_max1", 0, id="preset-over-max1"),
        pytest.param(("preset", 1_001), "preset_not_multiple_of_e", 0, id="preset-off-e1"),
        pytest.param(("preset", 1_002), None, 1_002, id="preset-on-e1"),
        pytest.param(("weighed", 6_000), None, 6_000, id="weighed-at-max1"),
        pytest.param(("weighed", 5_433), None, 5_434, id="weighed-rounded-to-e1"),
        pytest.param(("weighed", 7_000), "tare_above_max1", 0, id="weighed-over-max1"),
    ],
)
def test_tare_range_is_max1(action: tuple[str, int], refused: str | None, tare_after: int) -> None:
    state = zeroed(MI)
    kind, grams = action
    if kind == "preset":
        result = state.preset_tare(grams)
    else:
        settle(state, grams)
        result = state.press_tare()
    assert code(result) == refused
    assert state.view.tare_g == tare_after
    if refused == "tare_above_max1":
        assert isinstance(result, Refusal) and "6.000 kg" in result.zh and "6.000 kg" in result.en


def test_preset_off_e1_names_e1() -> None:
    refusal = WeighingState(MI).preset_tare(1_001)
    assert isinstance(refusal, Refusal) and "0.002 kg" in refusal.zh


# --- multiple-range: latched until unloaded ------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        pytest.param([S(1_233)], [(1_234, 1)], id="starts-in-r1"),
        pytest.param([S(7_233)], [(7_235, 2)], id="over-max1-to-r2"),
        pytest.param([S(6_001)], [(6_000, 2)], id="just-over-max1-to-r2"),
        pytest.param([S(7_233), S(1_233)], [(7_235, 2), (1_235, 2)], id="latched-in-r2-on-decreasing-load"),
        pytest.param([M(7_233), M(1_233)], [(7_235, 2), (1_235, 2)], id="moving-load-latches-too"),
        pytest.param([S(7_233), M(0)], [(7_235, 2), (0, 2)], id="moving-at-zero-stays-r2"),
        pytest.param([S(7_233), S(20)], [(7_235, 2), (20, 2)], id="small-load-stays-r2"),
        pytest.param([S(7_233), S(0), S(1_233)], [(7_235, 2), (0, 1), (1_234, 1)], id="unloaded-back-to-r1"),
        pytest.param([S(7_233), S(1), S(1_233)], [(7_235, 2), (0, 2), (1_235, 2)], id="1g-is-off-centre-of-zero"),
    ],
)
def test_multiple_range_latch(steps: list[Reading], expected: list[tuple[int, int]]) -> None:
    state = zeroed(MR)
    for reading, (net, range_no) in zip(steps, expected, strict=True):
        for _ in range(MR.stable_count if reading.stable else 1):
            view = state.feed(reading)
        assert (view.net_g, view.range_no, view.e_g) == (net, range_no, (2, 5)[range_no - 1])


def test_multiple_range_return_cancels_the_tare() -> None:
    state = zeroed(MR)
    settle(state, 500)
    assert state.press_tare() is None
    settle(state, 7_000)  # gross above Max1: range 2
    assert (state.view.range_no, state.view.net_g, state.view.tare_g) == (2, 6_500, 500)
    settle(state, 500)  # goods off, container still on: stays in range 2, tare kept
    assert (state.view.range_no, state.view.tare_kind) == (2, "weighed")
    settle(state, 0)  # unloaded
    assert (state.view.range_no, state.view.tare_kind, state.view.net_g) == (1, "none", 0)


def test_multiple_range_zero_key_returns_to_r1() -> None:
    state = zeroed(MR)
    settle(state, 7_000)
    settle(state, 100)  # dirt left on the platter: still range 2
    assert state.view.range_no == 2
    assert state.press_zero() is None
    settle(state, 100)
    assert state.view.range_no == 1


def test_reset_power_on_returns_to_r1() -> None:
    state = zeroed(MR)
    settle(state, 7_000)
    state.reset_power_on()
    assert state.range_no == 1


# --- display and pricing --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cfg", "raw", "text", "range_no"),
    [
        pytest.param(MI, 1_233, "1.234", 0, id="mi-r1"),
        pytest.param(MI, 7_233, "7.235", 0, id="mi-r2-same-decimals"),
        pytest.param(
            ScaleConfig.with_ranges([(15_000, 5), (30_000, 10)]), 16_006, "16.010", 0, id="e2-10g-keeps-e1-decimals"
        ),
        pytest.param(MR, 1_233, "1.234", 1, id="mr-shows-range-1"),
        pytest.param(MR, 7_233, "7.235", 2, id="mr-shows-range-2"),
        pytest.param(ScaleConfig(15_000, 5), 1_233, "1.235", 0, id="single"),
    ],
)
def test_display(cfg: ScaleConfig, raw: int, text: str, range_no: int) -> None:
    state = zeroed(cfg)
    settle(state, raw)
    shown = display_text(state.view, cfg)
    assert (shown.weight_text, shown.range_no) == (text, range_no)


PORK = Plu("2001", "五花肉", "6902001", Pricing.WEIGHT, 1_990, category="肉类")
PORK_BATCH = Batch("b-pork", "2001", "定点屠宰场", "620200", "UP-3", "临夏州", "动检-3", "2025-03-08")


@pytest.mark.parametrize(
    ("cfg", "raw", "net", "amount_fen"),
    [
        # 1.234 kg x 19.90 = 24.5566 -> 24.56; 7.235 kg x 19.90 = 143.9765 -> 143.98
        pytest.param(MI, 1_233, 1_234, 2_456, id="r1-e2"),
        pytest.param(MI, 7_233, 7_235, 14_398, id="r2-e5"),
        pytest.param(MR, 1_233, 1_234, 2_456, id="mr-r1"),
        pytest.param(ScaleConfig(15_000, 5), 1_233, 1_235, 2_458, id="single-e5"),
    ],
)
def test_amount_is_priced_from_the_rounded_weight(cfg: ScaleConfig, raw: int, net: int, amount_fen: int) -> None:
    state = zeroed(cfg)
    settle(state, raw)
    line = Cart().add_weighed(state.sellable(), PORK, PORK_BATCH).lines[0]
    assert (line.net_g, line.amount_fen) == (net, amount_fen)
