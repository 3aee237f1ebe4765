"""The updater's own record on disk, next to the slots: ``ROOT/update-state.json`` and the
``ROOT/booted-ok`` marker. Kept outside the slots so the boot check of either version
reads the same file; written atomically (temp file, fsync, rename)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

STATE_FILE = "update-state.json"
MARKER_FILE = "booted-ok"

IDLE, TRIAL, OK, ROLLED_BACK = "idle", "trial", "ok", "rolled_back"


@dataclass
class UpdateState:
    state: str = IDLE  # trial: switched to `version`, waiting for it to boot and report
    version: str = ""
    slot: str = ""
    previous: str = ""  # the slot to go back to
    attempts: int = 0  # starts of the trial version seen by the boot check
    deadline_ms: int = 0  # the trial version must report by then
    result: str = ""  # the last outcome, for `edge update --status`
    updated_ms: int = 0
    failed: list[str] = field(default_factory=list)  # versions rolled back: never taken again


def load_state(root: Path) -> UpdateState:
    try:
        raw = json.loads((root / STATE_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return UpdateState()
    except (OSError, ValueError):
        return UpdateState(result="update-state.json was unreadable and was reset")
    known = UpdateState.__dataclass_fields__
    return UpdateState(**{k: v for k, v in raw.items() if k in known})


def save_state(root: Path, state: UpdateState) -> None:
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / (STATE_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(asdict(state), f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, root / STATE_FILE)


def booted_version(root: Path) -> str:
    try:
        return (root / MARKER_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def write_marker(root: Path, version: str) -> None:
    tmp = root / (MARKER_FILE + ".tmp")
    tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(tmp, root / MARKER_FILE)
