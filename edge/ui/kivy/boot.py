"""Kivy start-up settings; must run before anything imports ``kivy.core.window``.

Kivy reads window size/position/borders once, when the window module is first imported,
so every entry point (merchant, customer display, tests) calls `configure()` first.
"""

from __future__ import annotations

import logging
import os
import sys

_warnings_shown: list[logging.Handler] = []

SIZES = {"1024x600": (1024, 600), "800x480": (800, 480), "1920x1080": (1920, 1080)}
DEFAULT_SIZE = (1024, 600)


def parse_size(text: str | None, default: tuple[int, int] = DEFAULT_SIZE) -> tuple[int, int]:
    """``"1024x600"`` -> (1024, 600); empty -> default."""
    if not text:
        return default
    w, sep, h = text.lower().partition("x")
    if not sep or not w.strip().isdigit() or not h.strip().isdigit():
        raise ValueError(f"screen size must look like 1024x600, not {text!r}")
    return int(w), int(h)


def configure(
    size: tuple[int, int] = DEFAULT_SIZE,
    position: tuple[int, int] | None = None,
    *,
    borderless: bool = False,
    fullscreen: bool = False,
) -> None:
    from kivy.config import Config
    from kivy.logger import Logger

    if os.environ.get("KIVY_NO_CONSOLELOG") and not _warnings_shown:
        # Kivy's console log is off (no banner); its warnings and errors still reach the terminal.
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(logging.WARNING)
        handler.setFormatter(logging.Formatter("%(levelname)s kivy: %(message)s"))
        Logger.addHandler(handler)
        _warnings_shown.append(handler)

    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "borderless", "1" if borderless else "0")
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "resizable", "0")
    if position is not None:
        Config.set("graphics", "position", "custom")
        Config.set("graphics", "left", str(position[0]))
        Config.set("graphics", "top", str(position[1]))
    Config.set("graphics", "maxfps", "60")
    Config.set("input", "mouse", "mouse,disable_multitouch")  # no red multitouch dots on right click
    Config.set("kivy", "exit_on_escape", "0")  # a stray Esc key must not close the till
    # A physical keyboard, and Kivy's docked on-screen one for the technician's text fields
    # (the merchant screen has no text field: it has its own big-key keyboard).
    Config.set("kivy", "keyboard_mode", "systemanddock")
