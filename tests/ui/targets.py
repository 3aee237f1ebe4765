"""The touch-target rule both the screen tests and the payment end-to-end test check.

Keys a vendor presses while selling must be at least 48 px tall at 800x480. The status bar's
中/EN, 设置 and 店务 are not selling keys (sign-in at the start of a shift, prices and goods-in
between sales: the 店务 popups' keys are checked in test_stall_screens.py), nor are the
technician's.
"""

from __future__ import annotations

from typing import Any

MIN_TOUCH_PX = 48
NOT_SELLING = frozenset({"lang", "settings", "stall"})


def small_selling_keys(targets: list[dict[str, Any]]) -> list[str]:
    """The selling keys under 48 px tall, as 'action WxH' (empty when every key is big enough)."""
    return [
        f"{k['action']} {k['w']:.0f}x{k['h']:.0f}"
        for k in targets
        if k["action"] not in NOT_SELLING and k["h"] < MIN_TOUCH_PX
    ]
