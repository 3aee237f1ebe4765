"""A USB HID scanner typing into the merchant window with no field focused: scan or a person typing."""

from __future__ import annotations

from edge.scanner import ScanBurst, key_char


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def typed(code: str, every_s: float, *, slow_frame_s: float = 0.0) -> str | None:
    clock = Clock()
    burst = ScanBurst(clock)
    for n, ch in enumerate(code):
        burst.key(ch)
        clock.now += every_s + (slow_frame_s if n == len(code) // 2 else 0.0)
    return burst.enter()


def test_a_scanner_burst_ending_in_enter_is_a_scan() -> None:
    assert typed("8613000000001", 0.004) == "8613000000001"


def test_one_slow_frame_of_the_ui_loop_does_not_split_a_scan() -> None:
    assert typed("6201000052612030077", 0.004, slow_frame_s=0.2) == "6201000052612030077"


def test_a_person_typing_the_same_keys_is_not_a_scan() -> None:
    assert typed("8613000000001", 0.15) is None


def test_short_bursts_and_a_pause_before_enter_are_not_scans() -> None:
    assert typed("12345", 0.004) is None  # under 6 characters
    clock = Clock()
    burst = ScanBurst(clock)
    for ch in "8613000000001":
        burst.key(ch)
        clock.now += 0.004
    clock.now += 1.0  # Enter pressed by hand later
    assert burst.enter() is None


def test_shifted_keys_type_what_a_us_keyboard_types() -> None:
    keys = [("h", True), ("t", False), (";", True), ("/", False), ("=", False), ("shift", False), ("-", True)]
    assert "".join(c for k, shift in keys if (c := key_char(k if len(k) == 1 else None, shift))) == "Ht:/=_"
