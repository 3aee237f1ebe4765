"""Legal-for-trade weighing rules (OIML R76, WELMEC 7.2, JJG 539): readings in, sellable weights out.

Pure domain core: no I/O, no threads, no clocks. The driver feeds every :class:`Reading`
of the weighing module into one :class:`WeighingState`; screens show its
:class:`WeightView`, and a sale line takes its weight only from :meth:`WeighingState.sellable`,
which either returns a :class:`SellableWeight` or a :class:`Refusal` saying why not.

All weights are integer grams. Software zero and tare sit on top of the module's gross:

    gross = round_e(module gross - zero offset)     (half up, symmetric about zero)
    net   = gross - tare                            (tare is always a multiple of e)

so ``net == gross - tare`` holds exactly for the values shown and sold.

Stability: the current reading carries the module's stable flag AND the last
``stable_count`` readings (module gross in grams, before any rounding) lie within half a
division of each other, i.e. ``2 * (max - min) <= e``. At e = 1 g that means N equal
readings; at e = 5 g a spread of at most 2 g. Readings with the flag off still count in the
window (they are real weights); a reading without a weight, or flagged overload/underload,
empties it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from typing import Literal

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


@dataclass(frozen=True, slots=True)
class ScaleConfig:
    """The metrological settings of one single-interval class III scale.

    Multi-interval scales (e.g. 6/15 kg with e = 2/5 g) are not supported.
    """

    max_g: int
    e_g: int
    stable_count: int = 5
    min_divisions: int = 20  # Min = 20 e for class III
    zero_range_percent: int = 2  # zero key: +-2 % of Max around the power-on zero
    power_on_zero_percent: int = 20  # power-on zero: |gross| <= 20 % of Max

    def __post_init__(self) -> None:
        for name in ("max_g", "e_g", "stable_count", "min_divisions", "zero_range_percent", "power_on_zero_percent"):
            value = getattr(self, name)
            if not _is_int(value):
                raise TypeError(f"scale config {name} must be an integer, got {value!r}")
        if self.e_g <= 0:
            raise ValueError(f"division e must be positive, got e_g={self.e_g}")
        if not _is_1_2_5_decade(self.e_g):
            raise ValueError(f"division e must be 1, 2 or 5 x 10^k grams, got e_g={self.e_g}")
        if self.max_g <= 0:
            raise ValueError(f"maximum capacity must be positive, got max_g={self.max_g}")
        if self.max_g % self.e_g:
            raise ValueError(f"max_g={self.max_g} is not a multiple of the division e_g={self.e_g}")
        n = self.max_g // self.e_g
        if not MIN_DIVISIONS_CLASS_III <= n <= MAX_DIVISIONS_CLASS_III:
            raise ValueError(
                f"max_g / e_g = {n} divisions; a class III scale needs "
                f"{MIN_DIVISIONS_CLASS_III}..{MAX_DIVISIONS_CLASS_III}"
            )
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
        """Minimum capacity Min: nothing lighter may be sold."""
        return self.min_divisions * self.e_g

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

    # --- inputs -------------------------------------------------------------------------

    def feed(self, reading: Reading) -> WeightView:
        """Take the module's next reading and return the view it gives."""
        self._last = reading
        self._stable = self._track_stability(reading)
        if self._power_on_zero_g is None and self._stable:
            self._try_power_on_zero(reading.gross_g)
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
        if 100 * abs(power_on_zero_g) > cfg.power_on_zero_percent * cfg.max_g:
            return refuse("power_on_zero")
        if 100 * abs(zero_offset_g - power_on_zero_g) > cfg.zero_range_percent * cfg.max_g:
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
        within +-``zero_range_percent`` of Max around the power-on zero (cumulative, so
        repeated presses cannot walk the zero away).
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
        if 100 * shift > self._config.zero_range_percent * self._config.max_g:
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
        self._tare_g = view.gross_g  # already a multiple of e, so net = gross - tare stays on e
        self._tare_kind = "weighed"
        return None

    def preset_tare(self, tare_g: int) -> Refusal | None:
        """A preset tare typed or chosen by the vendor; replaces any tare.

        It must be 0 < tare <= Max and a multiple of e (OIML R76). A value off the division
        is refused rather than rounded: a silently changed tare would surprise the vendor.
        """
        if not _is_int(tare_g):
            raise TypeError(f"preset tare must be integer grams, got {tare_g!r}")
        if tare_g <= 0:
            return refuse("tare_not_positive")
        if tare_g > self._config.max_g:
            return refuse("tare_above_max", max_kg=self._config.kg(self._config.max_g))
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
    def view(self) -> WeightView:
        """The view at the latest reading, with the current zero and tare applied."""
        reading = self._last
        e = self._config.e_g
        above_zero_g = reading.gross_g - self._zero_offset_g if reading.has_weight else 0
        gross = round_to_division(above_zero_g, e)
        view = WeightView(
            gross_g=gross,
            net_g=gross - self._tare_g if reading.has_weight else 0,
            tare_g=self._tare_g,
            stable=self._stable,
            overload=reading.overload or gross > self._config.max_g,
            underload=reading.underload,
            at_zero=reading.has_weight and 4 * abs(above_zero_g) <= e,
            net_mode=self._tare_kind != "none",
            has_weight=reading.has_weight,
            tare_kind=self._tare_kind,
            blocked=None,
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

    def _track_stability(self, reading: Reading) -> bool:
        if not reading.has_weight or reading.overload or reading.underload:
            # Such a frame breaks the run: N equal readings must be N consecutive weights.
            self._window.clear()
            return False
        self._window.append(reading.gross_g)
        if not reading.stable or len(self._window) < self._config.stable_count:
            return False
        # Within +-0.5 e of each other, in integers: max - min <= e / 2.
        return 2 * (max(self._window) - min(self._window)) <= self._config.e_g

    def _try_power_on_zero(self, gross_g: int) -> None:
        if 100 * abs(gross_g) <= self._config.power_on_zero_percent * self._config.max_g:
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


def display_text(view: WeightView, config: ScaleConfig) -> DisplayText:
    """Format ``view`` for a vendor or customer screen.

    Over- and underload blank the figure: R76 forbids indications above Max + 9 e, and
    blanking from Max on is the simple side of that rule (the lamp tells why).
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
    )
