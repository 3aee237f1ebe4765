"""Software identification (WELMEC 7.2): version + SHA-256 over the legally relevant modules.

Shown on the technician screen, sent in every heartbeat and stamped on every sale, so a
regulator can tell exactly which weighing and pricing code made a record.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

_ROOT = Path(__file__).resolve().parent

# The code that decides what weight and what price a customer pays.
LEGALLY_RELEVANT = (
    "core/reading.py",
    "core/units.py",
    "core/metrology.py",
    "core/pricing.py",
    "core/cart.py",
    "core/tracecode.py",
    "core/protection.py",  # the lock that keeps a changed scale from selling
    "scale_driver/protocols/*.py",
)


@dataclass(frozen=True, slots=True)
class SoftwareId:
    version: str
    sha256: str  # hex digest over the legally relevant modules, in path order

    def __str__(self) -> str:
        return f"{self.version}+{self.sha256[:12]}"


def legally_relevant_files() -> list[Path]:
    files: set[Path] = set()
    for pattern in LEGALLY_RELEVANT:
        files.update(p for p in _ROOT.glob(pattern) if p.is_file())
    return sorted(files)


@cache
def software_id() -> SoftwareId:
    digest = hashlib.sha256()
    for path in legally_relevant_files():
        digest.update(path.relative_to(_ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    try:
        ver = version("trace-scale")
    except PackageNotFoundError:
        ver = "0+unknown"
    return SoftwareId(ver, digest.hexdigest())
