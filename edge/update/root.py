"""Where an installed scale keeps its firmware slots (light: imported by every CLI start)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT_ENV = "TRACE_SCALE_ROOT"


def update_root() -> Path | None:
    """``$TRACE_SCALE_ROOT``, or None when the scale runs from a plain checkout (OTA off)."""
    value = os.environ.get(ROOT_ENV, "").strip()
    return Path(value) if value else None
