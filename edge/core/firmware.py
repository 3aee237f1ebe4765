"""The firmware (OTA) manifest shared by central and the scale (docs/sync.md, firmware topic).

Central publishes one signed manifest per release on each targeted scale's retained
``trace/v1/{market}/{scale}/firmware`` topic; the scale verifies it with central's key
(``edge.core.signed``), downloads ``/firmware/{version}/{wheel}`` from central's HTTP side
and checks size and SHA-256 before installing. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Any

SCHEMA = "firmware/1"
_VERSION = re.compile(r"^\d+(\.\d+){0,3}$")
_WHEEL = re.compile(r"^[A-Za-z0-9_.]+-[A-Za-z0-9_.+]+-py3-none-any\.whl$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def parse_version(text: str) -> tuple[int, ...]:
    """``"1.2.3"`` -> ``(1, 2, 3)``; releases are plain dotted numbers so every side orders them alike."""
    if not isinstance(text, str) or not _VERSION.match(text):
        raise ValueError(
            f"版本号 {text!r} 须为以点分隔的数字，如 0.2.0 / version {text!r} must be dotted numbers such as 0.2.0"
        )
    parts = [int(p) for p in text.split(".")]
    while len(parts) > 1 and parts[-1] == 0:  # 0.2 == 0.2.0
        parts.pop()
    return tuple(parts)


def is_newer(offered: str, current: str) -> bool:
    """True if ``offered`` is above ``current``; a current version we cannot read counts as oldest."""
    try:
        now = parse_version(current.split("+", 1)[0])
    except ValueError:
        now = ()
    return parse_version(offered) > now


def rollout_bucket(scale_id: str) -> int:
    """0-99, stable per scale: ``--percent P`` offers a release to the scales with bucket < P,
    so raising P only ever adds scales."""
    return int.from_bytes(hashlib.sha256(scale_id.encode("utf-8")).digest()[:8], "big") % 100


def download_path(version: str, wheel: str) -> str:
    return f"/firmware/{version}/{wheel}"


@dataclass(frozen=True, slots=True)
class FirmwareManifest:
    version: str
    wheel: str  # file name of the wheel
    size: int  # bytes
    sha256: str  # hex
    created_ms: int
    min_version: str | None = None  # scales below it must not take this release
    notes: str = ""

    def __post_init__(self) -> None:
        parse_version(self.version)
        if self.min_version is not None:
            parse_version(self.min_version)
        if not _WHEEL.match(self.wheel):
            raise ValueError(f"wheel {self.wheel!r} is not a pure-Python wheel file name (NAME-VER-py3-none-any.whl)")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size <= 0:
            raise ValueError(f"size must be a positive number of bytes, got {self.size!r}")
        if not isinstance(self.sha256, str) or not _SHA256.match(self.sha256):
            raise ValueError("sha256 must be 64 lowercase hex digits")
        if isinstance(self.created_ms, bool) or not isinstance(self.created_ms, int):
            raise ValueError(f"created_ms must be epoch milliseconds, got {self.created_ms!r}")
        if not isinstance(self.notes, str):
            raise ValueError("notes must be text")

    @property
    def path(self) -> str:
        return download_path(self.version, self.wheel)

    def to_doc(self) -> dict[str, Any]:
        """The document central signs (add ``signature``)."""
        return {"schema": SCHEMA, **asdict(self)}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> FirmwareManifest:
        """Raises ValueError naming what is wrong; unknown fields are ignored (forward compatible)."""
        if doc.get("schema") != SCHEMA:
            raise ValueError(f"schema is {doc.get('schema')!r}, expected {SCHEMA!r}")
        try:
            return cls(
                version=doc["version"], wheel=doc["wheel"], size=doc["size"], sha256=doc["sha256"],
                created_ms=doc["created_ms"], min_version=doc.get("min_version"), notes=doc.get("notes", ""),
            )  # fmt: skip
        except KeyError as exc:
            raise ValueError(f"manifest has no {exc.args[0]!r}") from None
