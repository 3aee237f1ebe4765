"""The bytes a signed document's signature covers (docs/sync.md, "Down, signed").

Central signs catalog, batch lists and device configuration with its Ed25519 key; the
scale verifies them. Both sides must agree on the exact bytes, so this lives in the pure
core that central may import: the canonical JSON of everything but ``signature``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edge.core.eventlog import canonical_json

SIGNATURE_FIELD = "signature"


def signed_payload(doc: Mapping[str, Any]) -> bytes:
    """Canonical UTF-8 JSON of ``doc`` without its signature field.

    Raises TypeError/ValueError for values JSON cannot carry exactly (NaN, non-string keys),
    so a document that would verify differently after a round trip is never signed.
    """
    body = {key: value for key, value in doc.items() if key != SIGNATURE_FIELD}
    return canonical_json(body).encode("utf-8")
