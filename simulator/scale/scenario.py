"""Scripted scenarios: what happens on the platter over time, deterministic and replayable.

A `Scenario` is plain data (a list of steps with hold times); a `ScenarioPlayer` applies
the steps that are due on the scale's clock. `tick()` does one step of that, so tests
drive it with a fake clock; `start()` runs it in a thread for the CLI.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from simulator.scale.virtual import VirtualScale

ACTIONS = ("put", "remove", "overload", "underload", "drift", "zero", "tare", "clear-tare", "fault", "silence")


@dataclass(frozen=True, slots=True)
class Step:
    """Do ``action`` (with ``arg``), then hold for ``hold_s`` seconds before the next step."""

    action: str
    arg: int | float | str | None = None
    hold_s: float = 0.0

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown scenario action {self.action!r}; choose one of: {', '.join(ACTIONS)}")
        if self.hold_s < 0:
            raise ValueError("a step's hold time must be >= 0 s")

    def apply(self, scale: VirtualScale) -> None:
        match self.action:
            case "put":
                scale.put(int(self.arg or 0))
            case "remove":
                scale.remove()
            case "overload":
                scale.overload()
            case "underload":
                scale.underload()
            case "drift":
                scale.set_drift(int(self.arg or 0))
            case "zero":
                scale.zero()
            case "tare":
                scale.tare()
            case "clear-tare":
                scale.clear_tare()
            case "fault":
                scale.inject(str(self.arg))
            case "silence":
                scale.silence(float(self.arg or 0))


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    steps: tuple[Step, ...]
    loop: bool = False

    @property
    def duration_s(self) -> float:
        return sum(step.hold_s for step in self.steps)


SETTLE_AND_HOLD_S = 0.8 + 5.0

DEMO = Scenario(
    "demo",
    (
        Step("remove", hold_s=3.0),
        Step("put", 1235, SETTLE_AND_HOLD_S),
        Step("remove", hold_s=3.0),
        Step("put", 480, SETTLE_AND_HOLD_S),
        Step("put", 2755, SETTLE_AND_HOLD_S),  # more goods added to the bag
        Step("remove", hold_s=3.0),
        Step("overload", hold_s=3.0),
    ),
    loop=True,
)


def static(load_g: int) -> Scenario:
    return Scenario(f"static:{load_g}", (Step("put", load_g),))


NONE = Scenario("none", ())


def parse_scenario(text: str) -> Scenario:
    """`demo`, `static:1235` (grams) or `none`."""
    name, _, arg = text.strip().partition(":")
    if name == "demo" and not arg:
        return DEMO
    if name == "none" and not arg:
        return NONE
    if name == "static" and arg.strip().isdigit():
        return static(int(arg))
    raise ValueError(f"unknown scenario {text!r}; use demo, none or static:GRAMS (e.g. static:1235)")


class ScenarioPlayer:
    """Plays a scenario on a scale by the scale's clock."""

    POLL_S = 0.02

    def __init__(self, scale: VirtualScale, scenario: Scenario) -> None:
        self.scale = scale
        self.scenario = scenario
        self._index = 0
        self._next_at: float | None = None  # clock time of the next step; None until the first tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def finished(self) -> bool:
        return self._index >= len(self.scenario.steps) and not self.scenario.loop

    def tick(self) -> list[Step]:
        """Apply every step that is due now; return them."""
        steps = self.scenario.steps
        now = self.scale.clock()
        if self._next_at is None:
            self._next_at = now
        applied: list[Step] = []
        while steps and not self.finished and now >= self._next_at:
            if self._index >= len(steps):  # looping: start over
                self._index = 0
            step = steps[self._index]
            step.apply(self.scale)
            applied.append(step)
            self._index += 1
            self._next_at += step.hold_s
            if self.scenario.loop and self.scenario.duration_s <= 0:
                break  # a zero-length loop would spin forever
        return applied

    def start(self) -> ScenarioPlayer:
        self._thread = threading.Thread(target=self._run, name=f"scenario-{self.scenario.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set() and not self.finished:
            self.tick()
            self._stop.wait(self.POLL_S)
