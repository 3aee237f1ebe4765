"""Load a catalog and batch list from a JSON file (a scale without central, or the demo).

The file is ``{"version": N, "plus": [...], "batches": [...]}`` with PLUs and batches in
their record JSON shape. It is applied only when its version is newer than the last seed
applied, and only for what central has not sent: the seed keeps its own version counter, so
central's first catalog or batches document (version 1) is newer than any seed and applied,
and a catalog pushed by central is never overwritten by the file.
"""

from __future__ import annotations

import json
from pathlib import Path

from edge.core.records import Batch, Plu
from edge.store import Store


class SeedError(ValueError):
    """The seed file is missing or malformed; the message names the file and the problem."""


def load_seed(store: Store, path: Path) -> bool:
    """Apply the file if its version is newer than the last seed; True when it was."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        version = data["version"]
        plus = [Plu.from_dict(item) for item in data["plus"]]
        batches = [Batch.from_dict(item) for item in data.get("batches", [])]
    except FileNotFoundError:
        raise SeedError(f"catalog seed file {path} not found; fix [catalog].seed_file in edge.toml") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SeedError(f"catalog seed file {path} is not valid: {exc}") from exc
    if not isinstance(version, int) or isinstance(version, bool):
        raise SeedError(f"catalog seed file {path} is not valid: version must be a whole number, got {version!r}")
    return store.apply_seed(plus, batches, version)
