"""The physical side of a virtual weighing module: platter load, settling, zero, tare, drift.

Everything is a pure function of the history of calls and the injected clock, so a test
steps a fake clock instead of sleeping, and the same seed always gives the same readings.
Weights are integer grams; the clock only decides *which* deterministic value is shown.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from edge.core.units import round_to_division
from simulator.scale.frames import Sample

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class ModuleConfig:
    """Metrological parameters of the module (OIML R76 style: Max, e)."""

    max_g: int = 15_000
    e_g: int = 5
    settle_s: float = 0.8
    noise_divisions: int = 6  # how far readings wander (in e) right after a load change
    noise_period_s: float = 0.04  # a new noisy value every 40 ms, however often we sample
    zero_range_percent: int = 2  # zero key works within +-2 % of Max around the power-on zero
    underload_divisions: int = 20  # gross below -20 e is reported as underload
    seed: int = 0

    def __post_init__(self) -> None:
        if self.e_g <= 0 or self.max_g <= 0 or self.max_g % self.e_g:
            raise ValueError(f"need Max > 0 as a multiple of e > 0 (Max = {self.max_g} g, e = {self.e_g} g)")
        if self.settle_s < 0 or self.noise_period_s <= 0 or self.noise_divisions < 1:
            raise ValueError("settle time must be >= 0, noise period > 0 and noise >= 1 division")

    @property
    def overload_above_g(self) -> int:
        """Gross above Max + 9 e is overload (OIML R76 4.10)."""
        return self.max_g + 9 * self.e_g

    @property
    def zero_range_g(self) -> int:
        return self.max_g * self.zero_range_percent // 100


class Outcome(StrEnum):
    """What a zero/tare key press did; the values are the MT-SICS status letters."""

    DONE = "A"
    NOT_NOW = "I"  # in motion, tare active, nothing to tare
    ABOVE_RANGE = "+"
    BELOW_RANGE = "-"


@dataclass(frozen=True, slots=True)
class KeyResult:
    outcome: Outcome
    reason: str = ""
    tare_g: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.DONE


class WeighingModule:
    """A load cell plus the module's own zero and tare memory.

    Internally everything is relative to the power-on zero (empty platter = 0 g).
    A load change starts a settling period: for the first quarter the reading moves from
    the old to the new load, then it wanders around the load by a shrinking number of
    divisions; once ``settle_s`` has passed it sits exactly on the load and is stable.
    """

    def __init__(self, config: ModuleConfig | None = None, clock: Clock = time.monotonic) -> None:
        self.config = config or ModuleConfig()
        self.clock = clock
        now = clock()
        self._load_g = 0
        self._from_g = 0
        self._changed_at = now - self.config.settle_s - 1.0  # powered on settled and empty
        self._change_count = 0
        self._zero_point_g = 0
        self._tare_g = 0
        self._drift_g_per_min = 0
        self._drift_since = now
        self._drift_base_mg = 0
        self.module_error = ""

    # --- the platter ---------------------------------------------------------------------

    def put(self, load_g: int) -> None:
        """Something of ``load_g`` grams now lies on the platter (replaces what was there)."""
        if not isinstance(load_g, int) or isinstance(load_g, bool):
            raise TypeError(f"load must be integer grams, not {load_g!r}")
        self._move_to(load_g)

    def remove(self) -> None:
        self._move_to(0)

    def overload(self) -> None:
        """Put clearly more than Max + 9 e on the platter, whatever the zero point."""
        self._move_to(self.config.overload_above_g + self._zero_point_g + 20 * self.config.e_g)

    def underload(self) -> None:
        """Lift the platter: gross goes clearly below the underload limit."""
        cfg = self.config
        self._move_to(self._zero_point_g - (cfg.underload_divisions + 20) * cfg.e_g)

    def set_drift(self, g_per_min: int) -> None:
        """Slow zero drift (temperature, creep); keeps what has drifted so far."""
        if not isinstance(g_per_min, int):
            raise TypeError(f"drift must be integer grams per minute, not {g_per_min!r}")
        now = self.clock()
        self._drift_base_mg = self._drift_mg(now)
        self._drift_since = now
        self._drift_g_per_min = g_per_min

    def _move_to(self, load_g: int) -> None:
        now = self.clock()
        self._from_g = self._position_g(now)
        self._load_g = load_g
        self._changed_at = now
        self._change_count += 1

    # --- what the load cell measures -------------------------------------------------------

    def _drift_mg(self, now: float) -> int:
        elapsed_ms = int((now - self._drift_since) * 1000)
        return self._drift_base_mg + self._drift_g_per_min * elapsed_ms // 60

    def _position_g(self, now: float) -> int:
        """Where the platter is on its way to the load (no noise)."""
        cfg = self.config
        elapsed_ms = int((now - self._changed_at) * 1000)
        ramp_ms = int(cfg.settle_s * 1000) // 4
        if elapsed_ms >= ramp_ms:
            return self._load_g
        return self._from_g + (self._load_g - self._from_g) * elapsed_ms // ramp_ms

    def _noise_g(self, now: float) -> int:
        cfg = self.config
        if now >= self.stable_at():  # the same test as the stable flag, never off by a float ulp
            return 0
        settle_ms = max(1, int(cfg.settle_s * 1000))
        elapsed_ms = min(settle_ms, int((now - self._changed_at) * 1000))
        tick = elapsed_ms // max(1, int(cfg.noise_period_s * 1000))
        # One generator per (seed, load change, tick): the value does not depend on how
        # often or from which thread the module is sampled.
        rng = random.Random(f"{cfg.seed}:{self._change_count}:{tick}")
        amplitude = 1 + (cfg.noise_divisions - 1) * (settle_ms - elapsed_ms) // settle_ms
        return rng.randint(-amplitude, amplitude) * cfg.e_g

    def raw_g(self, now: float | None = None) -> int:
        """The load cell signal relative to the power-on zero, grams, before rounding to e."""
        now = self.clock() if now is None else now
        return self._position_g(now) + self._noise_g(now) + self._drift_mg(now) // 1000

    def stable_at(self) -> float:
        """Clock time at which the current load change has settled."""
        return self._changed_at + self.config.settle_s

    def is_stable(self, now: float | None = None) -> bool:
        now = self.clock() if now is None else now
        return now >= self.stable_at()

    def sample(self, now: float | None = None) -> Sample:
        """What the module displays now (multiples of e)."""
        cfg = self.config
        now = self.clock() if now is None else now
        gross = round_to_division(self.raw_g(now) - self._zero_point_g, cfg.e_g)
        return Sample(
            gross_g=gross,
            tare_g=self._tare_g,
            stable=self.is_stable(now),
            overload=gross > cfg.overload_above_g,
            underload=gross < -cfg.underload_divisions * cfg.e_g,
            module_error=self.module_error,
        )

    # --- the module's keys / commands ------------------------------------------------------

    @property
    def tare_g(self) -> int:
        return self._tare_g

    def zero(self) -> KeyResult:
        """Set a new zero point: only stable, without tare, within +-2 % Max of power-on zero."""
        now = self.clock()
        sample = self.sample(now)
        if sample.overload:
            return KeyResult(Outcome.ABOVE_RANGE, "overloaded")
        if sample.underload:
            return KeyResult(Outcome.BELOW_RANGE, "underloaded")
        if not sample.stable:
            return KeyResult(Outcome.NOT_NOW, "in motion")
        if self._tare_g:
            return KeyResult(Outcome.NOT_NOW, "a tare is active; clear it first")
        raw = self.raw_g(now)
        if raw > self.config.zero_range_g:
            return KeyResult(Outcome.ABOVE_RANGE, f"{raw} g is above the zero range of {self.config.zero_range_g} g")
        if raw < -self.config.zero_range_g:
            return KeyResult(Outcome.BELOW_RANGE, f"{raw} g is below the zero range of {self.config.zero_range_g} g")
        self._zero_point_g = raw
        return KeyResult(Outcome.DONE)

    def tare(self) -> KeyResult:
        """Weighed tare: the stable gross on the platter becomes the tare."""
        sample = self.sample()
        if sample.overload:
            return KeyResult(Outcome.ABOVE_RANGE, "overloaded")
        if sample.underload:
            return KeyResult(Outcome.BELOW_RANGE, "underloaded")
        if not sample.stable:
            return KeyResult(Outcome.NOT_NOW, "in motion")
        if sample.gross_g <= 0:
            return KeyResult(Outcome.NOT_NOW, "nothing on the platter to tare")
        if sample.gross_g > self.config.max_g:
            return KeyResult(Outcome.ABOVE_RANGE, "tare above Max")
        self._tare_g = sample.gross_g
        return KeyResult(Outcome.DONE, tare_g=self._tare_g)

    def clear_tare(self) -> KeyResult:
        self._tare_g = 0
        return KeyResult(Outcome.DONE)
