"""Sale ids: UUIDv7 (RFC 9562), time-ordered.

A random UUID (v4) lands each new sale on a random page of every index keyed by it, and
at central, with hundreds of sales per commit, that rewrites hundreds of index pages per
commit (the drain benchmark was bound by the disk writing them). A v7 UUID starts with
the creation time in milliseconds, so new sales append at the end of those indexes; its
74 random bits keep ids from different scales apart.
"""

from __future__ import annotations

import os
import uuid

_MAX_MS = (1 << 48) - 1


def sale_uuid(created_ms: int, random: bytes | None = None) -> str:
    """The UUIDv7 text for a sale created at ``created_ms`` (UTC epoch ms); ``random``:
    10 bytes (os.urandom when not given; tests pass their own)."""
    if not 0 <= created_ms <= _MAX_MS:
        raise ValueError(f"created_ms {created_ms} does not fit the 48-bit UUIDv7 timestamp")
    rand = os.urandom(10) if random is None else random
    if len(rand) != 10:
        raise ValueError("a UUIDv7 needs 10 random bytes")
    tail = int.from_bytes(rand, "big")
    rand_a = tail >> 68  # 12 bits
    rand_b = tail & ((1 << 62) - 1)  # 62 bits
    value = (created_ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    return str(uuid.UUID(int=value))
