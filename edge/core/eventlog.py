"""The hash chain behind the metrology event logger (DESIGN.md, Metrology rules).

Pure functions, no I/O: the store persists entries, the technician screen shows them,
central re-verifies the chain it receives. Each entry's hash is

    sha256(prev_hash + canonical_json({"id", "kind", "data", "created_ms"}))

in lowercase hex, where the first entry's ``prev_hash`` is :data:`GENESIS_HASH`.
Editing, removing or reordering any entry breaks the hash of that entry or the link
of the next one, so :func:`verify_chain` names the first entry that cannot be trusted.
Deleting entries at the *end* of the log is not visible from the log alone: the copy
uploaded to central is the anchor for that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class EventEntry:
    """One entry of the event log; ``id`` counts 1, 2, 3, ... without gaps."""

    id: int
    kind: str  # e.g. "setting.changed", "software.updated", "clock.changed"
    data: dict[str, Any]
    created_ms: int
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "data": self.data,
            "created_ms": self.created_ms,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def canonical_json(value: Any) -> str:
    """One fixed text for a JSON value: sorted keys, no spaces, UTF-8 kept, no NaN.

    Raises TypeError/ValueError for values JSON cannot carry exactly, so nothing that
    would hash differently after a round trip enters the log.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_entry(entry_id: int, kind: str, data: Mapping[str, Any], created_ms: int) -> bytes:
    """The bytes an entry's hash covers (everything but the hashes themselves)."""
    body = {"id": entry_id, "kind": kind, "data": dict(data), "created_ms": created_ms}
    return canonical_json(body).encode("utf-8")


def entry_hash(prev_hash: str, entry_id: int, kind: str, data: Mapping[str, Any], created_ms: int) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_entry(entry_id, kind, data, created_ms)).hexdigest()


def make_entry(prev: EventEntry | None, kind: str, data: Mapping[str, Any], created_ms: int) -> EventEntry:
    """The entry that extends a chain whose last entry is ``prev`` (None for an empty log)."""
    if not kind:
        raise ValueError("an event needs a kind")
    if isinstance(created_ms, bool) or not isinstance(created_ms, int):
        raise TypeError("created_ms must be integer epoch milliseconds")
    entry_id = 1 if prev is None else prev.id + 1
    prev_hash = GENESIS_HASH if prev is None else prev.hash
    if not all(isinstance(k, str) for k in data):
        raise TypeError("event data keys must be strings")
    # Round-trip through JSON so the entry holds what a reader gets back (tuples become
    # lists), hence hashes the same after storage; the caller's key order is kept.
    plain = json.loads(json.dumps(dict(data), ensure_ascii=False, allow_nan=False))
    return EventEntry(
        entry_id, kind, plain, created_ms, prev_hash, entry_hash(prev_hash, entry_id, kind, plain, created_ms)
    )


def verify_chain(entries: Iterable[EventEntry], prev: EventEntry | None = None) -> tuple[bool, int | None]:
    """Check ids, links and hashes in order; return ``(True, None)`` or ``(False, first bad id)``.

    ``prev`` lets a caller verify a continuation (e.g. the part of the log after what
    central already holds). An entry is bad if its id does not follow the previous one,
    its ``prev_hash`` is not the previous hash, or its own hash does not match its content.
    """
    expected_id = 1 if prev is None else prev.id + 1
    expected_prev = GENESIS_HASH if prev is None else prev.hash
    for entry in entries:
        try:
            actual = entry_hash(entry.prev_hash, entry.id, entry.kind, entry.data, entry.created_ms)
        except (TypeError, ValueError):
            return False, entry.id
        if entry.id != expected_id or entry.prev_hash != expected_prev or entry.hash != actual:
            return False, entry.id
        expected_id, expected_prev = entry.id + 1, entry.hash
    return True, None
