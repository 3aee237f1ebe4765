"""What a barcode scanner puts on the wire for one code (edge.scanner cites the manuals).

Serial: ``[preamble] <data> <postamble>`` with the postamble CR (the default here), LF,
CR+LF or ETX and an optional STX preamble. USB HID: the code typed as key presses into
the focused window, then Enter, through the X server's XTEST extension (xdotool), as a
keyboard-wedge scanner does.
"""

from __future__ import annotations

import os
import shutil
import subprocess

POSTAMBLES = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n", "etx": b"\x03"}


def serial_frame(code: str, postamble: str = "cr", *, stx: bool = False, encoding: str = "utf-8") -> bytes:
    if postamble not in POSTAMBLES:
        raise ValueError(f"postamble must be one of {', '.join(POSTAMBLES)}")
    return (b"\x02" if stx else b"") + code.encode(encoding) + POSTAMBLES[postamble]


def hid_type(code: str, *, display: str | None = None, delay_ms: int = 4, focus_pid: int | None = None) -> None:
    """Type ``code`` and Enter into the focused X window, key by key (real X key events).

    ``focus_pid``: first give the input focus to that process's window (there is no window
    manager under Xvfb to do it, as there is none on a scale's kiosk screen either)."""
    tool = shutil.which("xdotool")
    if tool is None:
        raise RuntimeError("the HID scanner needs xdotool (apt-get install xdotool)")
    env = {**os.environ, **({"DISPLAY": display} if display else {})}
    if focus_pid is not None:
        found = subprocess.run([tool, "search", "--pid", str(focus_pid)], env=env, capture_output=True, text=True,
                               timeout=10)  # fmt: skip
        for window in found.stdout.split():
            subprocess.run([tool, "windowfocus", window], env=env, capture_output=True, timeout=10)
    subprocess.run([tool, "type", "--delay", str(delay_ms), "--", code], env=env, check=True, timeout=30)
    subprocess.run([tool, "key", "Return"], env=env, check=True, timeout=10)
