"""Load a catalog and batch list from a JSON file (a scale without central, or the demo).

The file is ``{"version": N, "plus": [...], "batches": [...]}`` with PLUs and batches in
their record JSON shape. It is applied only when newer than what the store holds, so
a catalog pushed by central later is never overwritten by the file.
"""

from __future__ import annotations

import json
from pathlib import Path

from edge.core.records import Batch, Plu
from edge.store import Store


class SeedError(ValueError):
    """The seed file is missing or malformed; the message names the file and the problem."""


def load_seed(store: Store, path: Path) -> bool:
    """Apply the file if its version is newer; True when something was applied."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        version = data["version"]
        plus = [Plu.from_dict(item) for item in data["plus"]]
        batches = [Batch.from_dict(item) for item in data.get("batches", [])]
    except FileNotFoundError:
        raise SeedError(f"catalog seed file {path} not found; fix [catalog].seed_file in edge.toml") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SeedError(f"catalog seed file {path} is not valid: {exc}") from exc
    if not isinstance(version, int) or version <= store.catalog_version():
        return False
    store.replace_catalog(plus, version)
    if version > store.batches_version():
        store.replace_batches(batches, version)
    return True
