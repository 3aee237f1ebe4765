"""The CJK font every Label, Button and TextInput uses.

Kivy's bundled Roboto has no Chinese glyphs (they render as boxes), so the font is
registered under Kivy's default font name before the first widget exists.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

# Debian paths, most legible first (fonts-wqy-microhei, fonts-noto-cjk, fonts-wqy-zenhei).
KNOWN_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)

MISSING_MESSAGE = (
    "no Chinese font found for the scale's screens. Install one: "
    "sudo apt-get install fonts-wqy-microhei  (or set TRACE_CJK_FONT=/path/to/font.ttc)"
)


class FontMissing(RuntimeError):
    """No usable CJK font on this machine."""


def _fc_list() -> list[str]:
    if shutil.which("fc-list") is None:
        return []
    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    paths = [line.split(":", 1)[0].strip() for line in out.splitlines() if line.strip()]
    # TTF/TTC/OTF that SDL2_ttf can open; prefer sans faces (legible on small screens).
    usable = [p for p in paths if p.lower().endswith((".ttf", ".ttc", ".otf"))]
    return sorted(usable, key=lambda p: ("sans" not in p.lower() and "hei" not in p.lower(), p))


def find_cjk_font() -> Path:
    """The font file to use: $TRACE_CJK_FONT, a known Debian path, or what fontconfig knows."""
    env = os.environ.get("TRACE_CJK_FONT", "").strip()
    if env:
        if Path(env).is_file():
            return Path(env)
        raise FontMissing(f"TRACE_CJK_FONT={env} does not exist; {MISSING_MESSAGE}")
    for candidate in (*KNOWN_PATHS, *_fc_list()):
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing(MISSING_MESSAGE)


_registered: Path | None = None


def register_cjk_font() -> Path:
    """Make the CJK font Kivy's default font (idempotent). Raises FontMissing."""
    global _registered
    if _registered is not None:
        return _registered
    path = find_cjk_font()
    from kivy.core.text import DEFAULT_FONT, LabelBase

    # Same file for every style: wqy-microhei has no bold face, SDL2_ttf emboldens it.
    LabelBase.register(DEFAULT_FONT, str(path), str(path), str(path), str(path))
    _registered = path
    return path


def require_cjk_font() -> Path:
    """register_cjk_font(), or exit with the install hint (for the app entry points)."""
    try:
        return register_cjk_font()
    except FontMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
