"""Legal-for-trade weighing rules (OIML R76, WELMEC 7.2, JJG 539): readings in, sellable weights out.

Pure domain core: no I/O, no threads, no clocks. The driver feeds every :class:`Reading`
of the weighing module into one :class:`WeighingState`; screens show its
:class:`WeightView`, and a sale line takes its weight only from :meth:`WeighingState.sellable`,
which either returns a :class:`SellableWeight` or a :class:`Refusal` saying why not.

All weights are integer grams. Software zero and tare sit on top of the module's gross:

    net   = round_e(module gross - zero offset - tare)   (half up, symmetric about zero)
    gross = net + tare

so ``net == gross - tare`` holds exactly for the values shown and sold. On a
single-interval scale the tare is a multiple of e, so this is the same as rounding the
gross first.

Multi-interval and multiple-range instruments (OIML R76-1:2006 T.3.2.6 / T.3.2.7; EU NAWI
directive 90/384/EEC Annex I 3.2 and 3.3): several (Max_i, e_i) pairs, e.g. 6/15 kg with
e = 2/5 g. ``e`` above is then the interval in use:

- multi-interval (多分度值秤): one weighing range split into partial ranges; the partial
  range follows the *net* load on increasing and decreasing loads ("all capacities are
  capacities of net load, irrespective of the value of any tare used", 90/384/EEC Annex I
  3.3.2), so after a tare the finest e is available again;
- multiple-range (多范围秤): each range runs from zero to its Max_i; the scale moves up to
  the next range when the gross load exceeds the Max of the range in use and stays there
  (latched) until it is unloaded: back at the centre of zero (±0.25 e1) it returns to the
  first range and cancels the tare (GOST R 53228-2008 = OIML R76-1:1992, selection of the
  weighing range of a multiple-range instrument).

For both: Min = 20 e1 (the first range's e), zero-setting and power-on zero ranges and the
tare range from Max1, overload above Max of the last range, displays with the decimals of e1.

Stability: the current reading carries the module's stable flag AND the last
``stable_count`` readings (module gross in grams, before any rounding) lie within half a
division of each other, i.e. ``2 * (max - min) <= e``. At e = 1 g that means N equal
readings; at e = 5 g a spread of at most 2 g. Readings with the flag off still count in the
window (they are real weights); a reading without a weight, or flagged overload/underload,
empties it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Literal, NamedTuple

from edge.core.reading import Reading
from edge.core.refusals import Refusal, RefusedError, refuse
from edge.core.units import format_kg, round_to_division

TareKind = Literal["none", "weighed", "preset"]

# Class III (retail) limits from OIML R76 / JJG 539.
MIN_DIVISIONS_CLASS_III = 100  # n = Max / e
MAX_DIVISIONS_CLASS_III = 10_000
MAX_ZERO_RANGE_PERCENT = 4  # all zero-setting (key + tracking) together, R76 4.5.1
MAX_POWER_ON_ZERO_PERCENT = 20  # initial zero-setting, R76 4.5.1

_NO_READING = Reading(gross_g=0, net_g=0, has_weight=False)


def _is_int(value: object) -> bool:
    # bool is an int subclass; True as a division would be a silent configuration bug.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_1_2_5_decade(e_g: int) -> bool:
    """OIML R76: a division is 1, 2 or 5 times a power of ten."""
    while e_g % 10 == 0:
        e_g //= 10
    return e_g in (1, 2, 5)


RangeMode = Literal["multi-interval", "multiple-range"]
RANGE_MODES: tuple[RangeMode, ...] = ("multi-interval", "multiple-range")
# OIML R76-1:2006 Table 4 (3.3.3), class III: Max_i / e_(i+1) >= 500 for every partial range
# but the last. Recalled from the Recommendation, not read here: see docs/metrology.md.
MIN_MAX_I_OVER_NEXT_E_CLASS_III = 500


class WeighingRange(NamedTuple):
    """One (partial) weighing range: its maximum capacity Max_i and interval e_i, in grams."""

    max_g: int
    e_g: int


def _check_division(max_g: object, e_g: object, where: str = "") -> None:
    """One (Max, e) pair of a class III scale; ``where`` names the range in the message."""
    where = f"{where}: " if where else ""
    if not (_is_int(max_g) and _is_int(e_g)):
        raise TypeError(f"{where}max_g and e_g must be integers, got {max_g!r}/{e_g!r}")
    assert isinstance(max_g, int) and isinstance(e_g, int)
    if e_g <= 0:
        raise ValueError(f"{where}division e must be positive, got e_g={e_g}")
    if not _is_1_2_5_decade(e_g):
        raise ValueError(f"{where}division e must be 1, 2 or 5 x 10^k grams, got e_g={e_g}")
    if max_g <= 0:
        raise ValueError(f"{where}maximum capacity must be positive, got max_g={max_g}")
    if max_g % e_g:
        raise ValueError(f"{where}max_g={max_g} is not a multiple of the division e_g={e_g}")
    n = max_g // e_g
    if not MIN_DIVISIONS_CLASS_III <= n <= MAX_DIVISIONS_CLASS_III:
        raise ValueError(
            f"{where}max_g / e_g = {n} divisions; a class III scale needs "
            f"{MIN_DIVISIONS_CLASS_III}..{MAX_DIVISIONS_CLASS_III}"
        )


def _check_ranges(ranges: tuple[WeighingRange, ...], mode: str) -> None:
    """The rules between the ranges of a multi-interval or multiple-range class III scale."""
    if mode not in RANGE_MODES:
        raise ValueError(f"range_mode must be one of {', '.join(RANGE_MODES)}, got {mode!r}")
    for i, (max_g, e_g) in enumerate(ranges, 1):
        _check_division(max_g, e_g, f"range {i} ({max_g} g / e {e_g} g)")
    for i, (low, high) in enumerate(pairwise(ranges), 1):
        if not (high.e_g > low.e_g and high.max_g > low.max_g):
            raise ValueError(
                f"ranges must grow in both Max and e (e_(i+1) > e_i, 90/384/EEC Annex I 3.3.2): "
                f"range {i} is {low.max_g} g / e {low.e_g} g, range {i + 1} is {high.max_g} g / e {high.e_g} g"
            )
        if mode == "multi-interval":
            if low.max_g % high.e_g:
                # Partial ranges meet on a common step, so the indication never skips Max_i.
                raise ValueError(f"Max{i} = {low.max_g} g must be a multiple of e{i + 1} = {high.e_g} g")
            if low.max_g // high.e_g < MIN_MAX_I_OVER_NEXT_E_CLASS_III:
                raise ValueError(
                    f"Max{i} / e{i + 1} = {low.max_g // high.e_g}; a class III multi-interval scale needs "
                    f"at least {MIN_MAX_I_OVER_NEXT_E_CLASS_III} (OIML R76-1 Table 4)"
                )


@dataclass(frozen=True, slots=True)
class ScaleConfig:
    """The metrological settings of one class III scale.

    Single-interval: ``ScaleConfig(max_g, e_g)``. Multi-interval or multiple-range:
    :meth:`with_ranges` (``ranges`` holds every (Max_i, e_i); ``max_g`` is then Max of the
    last range and ``e_g`` is e1, the finest interval).
    """

    max_g: int
    e_g: int
    stable_count: int = 5
    min_divisions: int = 20  # Min = 20 e1 for class III
    zero_range_percent: int = 2  # zero key: +-2 % of Max1 around the power-on zero
    power_on_zero_percent: int = 20  # power-on zero: |gross| <= 20 % of Max1
    ranges: tuple[WeighingRange, ...] = ()  # () or a single pair: single-interval
    range_mode: RangeMode = "multi-interval"

    @classmethod
    def with_ranges(
        cls, ranges: Sequence[Sequence[int]], range_mode: RangeMode = "multi-interval", **kwargs: int
    ) -> ScaleConfig:
        """A scale with the (Max_i, e_i) pairs ``ranges``, finest first, e.g. ``[(6000, 2), (15000, 5)]``."""
        pairs = tuple(WeighingRange(*pair) for pair in ranges)
        if not pairs:
            raise ValueError("a scale needs at least one weighing range (Max, e)")
        return cls(max_g=pairs[-1].max_g, e_g=pairs[0].e_g, ranges=pairs, range_mode=range_mode, **kwargs)

    def __post_init__(self) -> None:
        for name in ("max_g", "e_g", "stable_count", "min_divisions", "zero_range_percent", "power_on_zero_percent"):
            value = getattr(self, name)
            if not _is_int(value):
                raise TypeError(f"scale config {name} must be an integer, got {value!r}")
        ranges = tuple(WeighingRange(*pair) for pair in self.ranges)
        if len(ranges) == 1 and ranges[0] != (self.max_g, self.e_g):
            raise ValueError(f"the one range {ranges[0]} disagrees with max_g={self.max_g}, e_g={self.e_g}")
        ranges = ranges if len(ranges) > 1 else ()  # one range is a single-interval scale
        object.__setattr__(self, "ranges", ranges)
        if ranges:
            _check_ranges(ranges, self.range_mode)
            if (ranges[-1].max_g, ranges[0].e_g) != (self.max_g, self.e_g):
                raise ValueError(
                    f"max_g must be Max of the last range ({ranges[-1].max_g}) and e_g the first range's e "
                    f"({ranges[0].e_g}), got max_g={self.max_g}, e_g={self.e_g}"
                )
        else:
            _check_division(self.max_g, self.e_g)
        n = self.max1_g // self.e_g
        if self.stable_count < 1:
            raise ValueError(f"stable_count must be at least 1, got {self.stable_count}")
        if not 1 <= self.min_divisions < n:
            raise ValueError(f"min_divisions must be 1..{n - 1} (below Max), got {self.min_divisions}")
        if not 0 <= self.zero_range_percent <= MAX_ZERO_RANGE_PERCENT:
            raise ValueError(f"zero_range_percent must be 0..{MAX_ZERO_RANGE_PERCENT}, got {self.zero_range_percent}")
        if not 0 <= self.power_on_zero_percent <= MAX_POWER_ON_ZERO_PERCENT:
            raise ValueError(
                f"power_on_zero_percent must be 0..{MAX_POWER_ON_ZERO_PERCENT}, got {self.power_on_zero_percent}"
            )

    @property
    def min_g(self) -> int:
        """Minimum capacity Min (20 e1): nothing lighter may be sold."""
        return self.min_divisions * self.e_g

    @property
    def weighing_ranges(self) -> tuple[WeighingRange, ...]:
        """Every (Max_i, e_i), finest first; one pair for a single-interval scale."""
        return self.ranges or (WeighingRange(self.max_g, self.e_g),)

    @property
    def max1_g(self) -> int:
        """Max of the first range: the base of the zero-setting, power-on zero and tare ranges."""
        return self.weighing_ranges[0].max_g

    @property
    def multiple_range(self) -> bool:
        return bool(self.ranges) and self.range_mode == "multiple-range"

    def partial_range(self, net_g: int) -> int:
        """Index of the partial range a multi-interval scale uses for ``net_g`` (0 on a single one).

        The first range whose Max the net, rounded to that range's e, does not exceed.
        """
        ranges = self.weighing_ranges
        for i, (max_g, e_g) in enumerate(ranges[:-1]):
            if abs(round_to_division(net_g, e_g)) <= max_g:
                return i
        return len(ranges) - 1

    def kg(self, grams: int) -> str:
        """``grams`` as kg text with the decimals this scale's division needs."""
        return format_kg(grams, self.e_g)


@dataclass(frozen=True, slots=True)
class WeightView:
    """What a screen shows and a sale may use, at the latest reading.

    Weights are rounded to e. When ``has_weight`` is False they are 0 and mean nothing.
    ``blocked`` is why the weight may not be used right now (None: it may be sold).
    """

    gross_g: int
    net_g: int
    tare_g: int
    stable: bool
    overload: bool  # module flag, or gross above Max
    underload: bool  # module flag
    at_zero: bool  # centre of zero: |gross| <= e/4 before rounding
    net_mode: bool  # a tare is set
    has_weight: bool
    tare_kind: TareKind
    blocked: Refusal | None
    e_g: int = 0  # the interval the weights are rounded to (e_i of the range in use)
    range_no: int = 1  # the (partial) weighing range in use, 1 = the finest


@dataclass(frozen=True, slots=True)
class SellableWeight:
    """A weight a sale line may use; ``reading_raw`` is the module frame it came from."""

    gross_g: int
    net_g: int
    tare_g: int
    tare_kind: TareKind
    reading_raw: bytes


class WeighingState:
    """Turns a module's readings into sellable weights: stability, zero, tare, Min/Max.

    Power-on zero: the first stable reading after construction (or :meth:`reset_power_on`)
    becomes the zero if |gross| <= ``power_on_zero_percent`` of Max; otherwise every use
    of the weight is refused (``power_on_zero``) until a stable reading within that range
    arrives, which then becomes the zero.
    """

    def __init__(self, config: ScaleConfig) -> None:
        self._config = config
        self._window: deque[int] = deque(maxlen=config.stable_count)
        self._reset()

    def _reset(self) -> None:
        self._window.clear()
        self._last = _NO_READING
        self._stable = False
        self._zero_offset_g = 0
        self._power_on_zero_g: int | None = None  # module gross taken as zero at power-on
        self._power_on_refused = False  # a stable reading was outside the power-on range
        self._tare_g = 0
        self._tare_kind: TareKind = "none"
        self._range = 0  # multiple-range: the latched range (index)

    # --- inputs -------------------------------------------------------------------------

    def feed(self, reading: Reading) -> WeightView:
        """Take the module's next reading and return the view it gives."""
        self._last = reading
        if self._config.multiple_range:
            self._latch_range_up(reading)
        self._stable = self._track_stability(reading)
        if self._power_on_zero_g is None and self._stable:
            self._try_power_on_zero(reading.gross_g)
        if self._config.multiple_range:
            self._latch_range_down(reading)
        return self.view

    def reset_power_on(self) -> None:
        """Forget zero, tare and stability, as at power-on (e.g. after the module reconnects)."""
        self._reset()

    def restore_zero(self, power_on_zero_g: int, zero_offset_g: int) -> Refusal | None:
        """Take over a zero the scale established earlier (kept in the store across runs).

        A short-lived process (a technician's test sale) must not take the load already on
        the platter as its power-on zero. The same limits apply as when the zero was set:
        power-on zero within the power-on range, the zero key's offset within its range.
        """
        if not (_is_int(power_on_zero_g) and _is_int(zero_offset_g)):
            raise TypeError("zero values must be integer grams")
        cfg = self._config
        if 100 * abs(power_on_zero_g) > cfg.power_on_zero_percent * cfg.max1_g:
            return refuse("power_on_zero")
        if 100 * abs(zero_offset_g - power_on_zero_g) > cfg.zero_range_percent * cfg.max1_g:
            return refuse("zero_out_of_range", percent=cfg.zero_range_percent)
        self._power_on_zero_g = power_on_zero_g
        self._zero_offset_g = zero_offset_g
        self._power_on_refused = False
        return None

    @property
    def zero_state(self) -> tuple[int, int] | None:
        """(power-on zero, current zero offset) in module grams, to keep for :meth:`restore_zero`."""
        if self._power_on_zero_g is None:
            return None
        return self._power_on_zero_g, self._zero_offset_g

    def press_zero(self) -> Refusal | None:
        """The zero key: the current weight becomes zero, or a refusal saying why not.

        Allowed only when stable, without a tare, and while the total zero offset stays
        within +-``zero_range_percent`` of Max (Max1 on a multi-interval or multiple-range
        scale) around the power-on zero (cumulative, so repeated presses cannot walk the
        zero away).
        """
        if self._tare_kind != "none":
            return refuse("zero_while_tare")
        view = self.view
        problem = self._no_usable_weight(view)
        if problem is not None:
            return problem
        if not view.stable:
            return refuse("zero_unstable")
        if self._power_on_zero_g is None:
            # Stable but not zeroed means the power-on range was exceeded: the zero key
            # cannot stand in for power-on zero, which has the wider range.
            return refuse("power_on_zero")
        candidate = self._last.gross_g
        shift = abs(candidate - self._power_on_zero_g)
        if 100 * shift > self._config.zero_range_percent * self._config.max1_g:
            return refuse("zero_out_of_range", percent=self._config.zero_range_percent)
        self._zero_offset_g = candidate
        return None

    def press_tare(self) -> Refusal | None:
        """The tare key: the current gross becomes the tare (weighed tare), or a refusal.

        A weighed tare while another tare is set replaces it with the whole current gross
        (subtractive tare): the net goes back to zero and the net range shrinks to Max - tare.
        """
        view = self.view
        if self._power_on_zero_g is None:
            return self._power_on_refusal()
        problem = self._no_usable_weight(view)
        if problem is not None:
            return problem
        if not view.stable:
            return refuse("tare_unstable")
        if view.gross_g <= 0:
            return refuse("tare_empty")
        if view.gross_g > self._config.max1_g:
            return self._tare_range_refusal()
        self._tare_g = view.gross_g  # a multiple of e1 (within Max1), so net = gross - tare stays on e
        self._tare_kind = "weighed"
        return None

    def preset_tare(self, tare_g: int) -> Refusal | None:
        """A preset tare typed or chosen by the vendor; replaces any tare.

        It must be 0 < tare <= Max (Max1) and a multiple of e (e1) (OIML R76). A value off
        the division is refused rather than rounded: a silently changed tare would surprise
        the vendor.
        """
        if not _is_int(tare_g):
            raise TypeError(f"preset tare must be integer grams, got {tare_g!r}")
        if tare_g <= 0:
            return refuse("tare_not_positive")
        if tare_g > self._config.max1_g:
            return self._tare_range_refusal()
        if tare_g % self._config.e_g:
            return refuse("preset_not_multiple_of_e", e_kg=self._config.kg(self._config.e_g))
        self._tare_g = tare_g
        self._tare_kind = "preset"
        return None

    def clear_tare(self) -> None:
        """Back to gross weighing."""
        self._tare_g = 0
        self._tare_kind = "none"

    # --- outputs ------------------------------------------------------------------------

    @property
    def config(self) -> ScaleConfig:
        return self._config

    @property
    def zero_offset_g(self) -> int:
        """Module gross currently taken as zero (for the technician screen)."""
        return self._zero_offset_g

    @property
    def power_on_zero_done(self) -> bool:
        return self._power_on_zero_g is not None

    @property
    def range_no(self) -> int:
        """The weighing range in use now (1 = the finest)."""
        return self._range_index(self._last) + 1

    @property
    def view(self) -> WeightView:
        """The view at the latest reading, with the current zero and tare applied."""
        reading = self._last
        cfg = self._config
        index = self._range_index(reading)
        e = cfg.weighing_ranges[index].e_g
        above_zero_g = reading.gross_g - self._zero_offset_g if reading.has_weight else 0
        net = round_to_division(above_zero_g - self._tare_g, e) if reading.has_weight else 0
        gross = net + self._tare_g if reading.has_weight else 0
        view = WeightView(
            gross_g=gross,
            net_g=net,
            tare_g=self._tare_g,
            stable=self._stable,
            overload=reading.overload or gross > cfg.max_g,
            underload=reading.underload,
            at_zero=reading.has_weight and 4 * abs(above_zero_g) <= cfg.e_g,
            net_mode=self._tare_kind != "none",
            has_weight=reading.has_weight,
            tare_kind=self._tare_kind,
            blocked=None,
            e_g=e,
            range_no=index + 1,
        )
        return replace(view, blocked=self._refusal_for(view))

    def sellable(self) -> SellableWeight | Refusal:
        """The weight a sale line may take now, or why none may be taken."""
        view = self.view
        if view.blocked is not None:
            return view.blocked
        return SellableWeight(
            gross_g=view.gross_g,
            net_g=view.net_g,
            tare_g=view.tare_g,
            tare_kind=view.tare_kind,
            reading_raw=self._last.raw,
        )

    def require_sellable(self) -> SellableWeight:
        """:meth:`sellable` for callers that raise: RefusedError carries the refusal."""
        result = self.sellable()
        if isinstance(result, Refusal):
            raise RefusedError(result)
        return result

    # --- rules --------------------------------------------------------------------------

    def _range_index(self, reading: Reading) -> int:
        """The range a reading is rounded in: latched (multiple-range) or by the net (multi-interval)."""
        if not self._config.ranges:
            return 0
        if self._config.multiple_range:
            return self._range
        above_zero_g = reading.gross_g - self._zero_offset_g if reading.has_weight else 0
        return self._config.partial_range(above_zero_g - self._tare_g)

    def _latch_range_up(self, reading: Reading) -> None:
        """Multiple-range: a gross above the Max of the range in use moves to the next range."""
        if not reading.has_weight or reading.overload or reading.underload:
            return
        ranges = self._config.weighing_ranges
        above_zero_g = reading.gross_g - self._zero_offset_g
        while self._range < len(ranges) - 1:
            max_g, e_g = ranges[self._range]
            if round_to_division(above_zero_g, e_g) <= max_g:
                break
            self._range += 1

    def _latch_range_down(self, reading: Reading) -> None:
        """Multiple-range: back to the first range only when unloaded (stable at the centre of
        zero), which also cancels the tare, as the standard asks."""
        if self._range == 0 or not self._stable:
            return
        if 4 * abs(reading.gross_g - self._zero_offset_g) <= self._config.e_g:
            self._range = 0
            self.clear_tare()

    def _tare_range_refusal(self) -> Refusal:
        cfg = self._config
        code = "tare_above_max1" if cfg.ranges else "tare_above_max"
        return refuse(code, max_kg=cfg.kg(cfg.max1_g))

    def _track_stability(self, reading: Reading) -> bool:
        if not reading.has_weight or reading.overload or reading.underload:
            # Such a frame breaks the run: N equal readings must be N consecutive weights.
            self._window.clear()
            return False
        self._window.append(reading.gross_g)
        if not reading.stable or len(self._window) < self._config.stable_count:
            return False
        # Within +-0.5 e of each other, in integers: max - min <= e / 2 (e of the range in use).
        e = self._config.weighing_ranges[self._range_index(reading)].e_g
        return 2 * (max(self._window) - min(self._window)) <= e

    def _try_power_on_zero(self, gross_g: int) -> None:
        if 100 * abs(gross_g) <= self._config.power_on_zero_percent * self._config.max1_g:
            self._power_on_zero_g = gross_g
            self._zero_offset_g = gross_g
            self._power_on_refused = False
        else:
            self._power_on_refused = True

    def _power_on_refusal(self) -> Refusal:
        return refuse("power_on_zero") if self._power_on_refused else refuse("not_zeroed")

    def _no_usable_weight(self, view: WeightView) -> Refusal | None:
        """Overload, underload or no value: nothing to zero, tare or sell."""
        if view.overload:
            return refuse("overload", max_kg=self._config.kg(self._config.max_g))
        if view.underload:
            return refuse("underload")
        if not view.has_weight:
            return refuse("no_weight")
        return None

    def _refusal_for(self, view: WeightView) -> Refusal | None:
        """Why ``view`` may not be sold, most fundamental reason first."""
        if self._power_on_zero_g is None:
            return self._power_on_refusal()
        problem = self._no_usable_weight(view)
        if problem is not None:
            return problem
        if not view.stable:
            return refuse("unstable")
        if view.net_g < 0:
            return refuse("negative")
        if view.net_g < self._config.min_g:
            return refuse("below_min", min_kg=self._config.kg(self._config.min_g))
        return None


# --- display ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DisplayText:
    """A weight display: the main figure in kg plus the indicator lamps."""

    weight_text: str  # net in net mode, else gross; "" when no value may be shown
    tare_text: str  # "" without a tare
    stable: bool  # 稳定 lamp
    zero: bool  # 零位 (centre of zero) lamp
    net: bool  # 净重 lamp
    overload: bool
    underload: bool
    range_no: int = 0  # multiple-range: the range in use (must be shown); 0 otherwise


def display_text(view: WeightView, config: ScaleConfig) -> DisplayText:
    """Format ``view`` for a vendor or customer screen.

    Over- and underload blank the figure: R76 forbids indications above Max + 9 e, and
    blanking from Max on is the simple side of that rule (the lamp tells why). The
    decimals are those of e1 in every range, so the decimal point never moves; in a
    coarser range the last digit steps by that range's e (e.g. 7.235, 7.240 at e2 = 5 g).
    """
    shown = view.has_weight and not view.overload and not view.underload
    return DisplayText(
        weight_text=config.kg(view.net_g if view.net_mode else view.gross_g) if shown else "",
        tare_text=config.kg(view.tare_g) if view.net_mode else "",
        stable=view.stable,
        zero=view.at_zero,
        net=view.net_mode,
        overload=view.overload,
        underload=view.underload,
        range_no=view.range_no if config.multiple_range else 0,
    )
