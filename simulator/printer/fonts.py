"""Find a font with Chinese glyphs for rendering tickets.

Order: $TRACE_CJK_FONT, the Debian/Fedora paths of WenQuanYi and Noto CJK, then
fontconfig. The project's bootstrap installs Debian's fonts-wqy-microhei.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ENV_VAR = "TRACE_CJK_FONT"
KNOWN_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc",
)
INSTALL_HINT = (
    "no font with Chinese glyphs found for the printer simulator: install one "
    "(Debian/Ubuntu: apt-get install fonts-wqy-microhei) or set TRACE_CJK_FONT=/path/to/font.ttc"
)


class FontNotFoundError(RuntimeError):
    """No CJK font on this machine; the message says what to install."""


def find_cjk_font() -> Path:
    configured = os.environ.get(ENV_VAR)
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontNotFoundError(f"{ENV_VAR}={configured} is not a font file; {INSTALL_HINT}")
        return path
    for known in KNOWN_PATHS:
        if Path(known).is_file():
            return Path(known)
    found = _from_fontconfig()
    if found is None:
        raise FontNotFoundError(INSTALL_HINT)
    return found


def _from_fontconfig() -> Path | None:
    if shutil.which("fc-match") is None:
        return None
    # fc-match falls back to any font (DejaVu) when no Chinese one exists: check it covers zh
    result = _run(["fc-match", ":lang=zh", "-f", "%{file}\n%{lang}"])
    if result:
        file, _, langs = result.partition("\n")
        if any(lang.startswith("zh") for lang in langs.split("|")) and Path(file).is_file():
            return Path(file)
    listed = _run(["fc-list", ":lang=zh", "-f", "%{file}\n"])
    for line in (listed or "").splitlines():
        if line and Path(line).is_file():
            return Path(line)
    return None


def _run(argv: list[str]) -> str | None:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
