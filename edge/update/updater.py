"""Over-the-air updates: a signed manifest in, a checked new version running (or the old one back).

Steps, each written to the store's hash-chained event log (a software update is legally
relevant, WELMEC 7.2):

1. ``firmware.offered`` — the manifest verifies with central's key, is newer than the
   running version, not one that failed here before, and this version is >= its
   ``min_version``; otherwise ``firmware.refused`` with the reason (once per payload per run:
   the manifest is retained and comes back on every reconnect; the running version itself
   is "already installed" and silent).
2. ``firmware.downloaded`` — the wheel from central's HTTP side, size and SHA-256 as in the
   manifest (else ``firmware.refused``).
3. ``firmware.installed`` — into the slot that is not running (edge.update.slots).
4. ``firmware.switched`` — ``current`` points at it, and the new version passed a start-up
   check (its Python imports the app and reports the manifest's version). A failed check
   switches straight back: ``firmware.rolled_back``. Then the app restarts into it.
5. ``firmware.booted_ok`` — the new version, running, has connected (or ran for a while):
   :func:`mark_booted`. Until then every start goes through :func:`check_boot` (the
   service's ExecStartPre), which rolls back after too many starts or past the deadline.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from edge.core.firmware import FirmwareManifest, is_newer, parse_version
from edge.store.store import Store
from edge.sync.signing import SignatureError, json_object, load_public_key, verify_document
from edge.update.slots import SlotError, Slots
from edge.update.state import (
    OK,
    ROLLED_BACK,
    TRIAL,
    UpdateState,
    booted_version,
    load_state,
    save_state,
    write_marker,
)

log = logging.getLogger(__name__)

BOOT_DEADLINE_S = 600.0  # the new version must report within this long after the switch
MAX_BOOT_ATTEMPTS = 3  # starts of a trial version before the boot check gives up on it
HEALTH_TIMEOUT_S = 120.0
DOWNLOAD_TIMEOUT_S = 60.0
# Run by the new slot's own Python: the app's modules import, and the installed version is what it says.
HEALTH_CODE = "import importlib.metadata as m, edge.app, edge.sync; print(m.version('trace-scale'))"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class Outcome(StrEnum):
    SWITCHED = "switched"
    ALREADY = "already installed"
    REFUSED = "refused"
    ROLLED_BACK = "rolled back"
    FAILED = "failed"
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class UpdateResult:
    outcome: Outcome
    version: str | None = None
    reason: str = ""


class Refused(Exception):
    pass


def rollback(root: Path, store: Store, state: UpdateState, reason: str, now_ms: int) -> None:
    """Back to the previous slot; the failed version is never taken again."""
    slots = Slots(root)
    if state.previous:
        slots.switch(state.previous)
    failed = [*state.failed, state.version] if state.version not in state.failed else state.failed
    new = UpdateState(ROLLED_BACK, state.version, state.previous, "", 0, 0,
                      f"{state.version} rolled back: {reason}", now_ms, failed)  # fmt: skip
    save_state(root, new)
    store.append_event("firmware.rolled_back", {"version": state.version, "to": state.previous, "reason": reason},
                       now_ms)  # fmt: skip
    log.error("firmware %s rolled back to slot %s: %s", state.version, state.previous, reason)


def check_boot(root: Path, store: Store, now_ms: int | None = None) -> str:
    """Run before each start of the service: count the trial version's starts, roll it back
    when it has not reported in time. Returns a one-line summary."""
    now_ms = _now_ms() if now_ms is None else now_ms
    state = load_state(root)
    if state.state != TRIAL:
        return f"no update pending ({state.state})"
    if booted_version(root) == state.version:
        return f"{state.version} booted OK"
    if state.attempts >= MAX_BOOT_ATTEMPTS or (state.attempts and now_ms > state.deadline_ms):
        why = (
            f"started {state.attempts} times without reporting"
            if state.attempts >= MAX_BOOT_ATTEMPTS
            else "did not report before its deadline"
        )
        rollback(root, store, state, why, now_ms)
        return f"{state.version} {why}: rolled back to slot {state.previous}"
    if state.attempts == 0:  # the clock starts at its first start, however late the app restarted
        state.deadline_ms = now_ms + int(BOOT_DEADLINE_S * 1000)
    state.attempts += 1
    state.updated_ms = now_ms
    save_state(root, state)
    return f"{state.version} start {state.attempts} of {MAX_BOOT_ATTEMPTS}, must report by {state.deadline_ms}"


def mark_booted(root: Path, store: Store, running_version: str, now_ms: int | None = None) -> bool:
    """The running version is up and has reported: end its trial. True if a trial ended."""
    now_ms = _now_ms() if now_ms is None else now_ms
    state = load_state(root)
    if state.state != TRIAL or parse_version(state.version) != parse_version(running_version.split("+", 1)[0]):
        return False
    write_marker(root, state.version)
    state.state, state.result, state.updated_ms = OK, f"{state.version} running and reporting", now_ms
    save_state(root, state)
    store.append_event("firmware.booted_ok", {"version": state.version, "slot": state.slot}, now_ms)
    log.info("firmware %s booted OK", state.version)
    return True


class Updater:
    def __init__(
        self,
        store: Store,
        root: str | Path,
        central_public_key: str,
        base_url: str,
        *,
        running_version: str,
        on_switched: Callable[[str], None] | None = None,
        wall_ms: Callable[[], int] = _now_ms,
        boot_deadline_s: float = BOOT_DEADLINE_S,
        health_timeout_s: float = HEALTH_TIMEOUT_S,
    ) -> None:
        self.store = store
        self.root = Path(root)
        self.slots = Slots(self.root)
        self.base_url = base_url.rstrip("/")
        self.running_version = running_version.split("+", 1)[0]
        self.on_switched = on_switched
        self.wall_ms = wall_ms
        self.boot_deadline_s = boot_deadline_s
        self.health_timeout_s = health_timeout_s
        self._key_problem = ""
        try:
            self._key = load_public_key(central_public_key)
        except ValueError as exc:
            self._key, self._key_problem = None, str(exc)
        self._refused: set[bytes] = set()
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.results: list[UpdateResult] = []

    # --- background use (the app): offers are handled one at a time off the sync thread ----

    def start(self) -> Updater:
        self._thread = threading.Thread(target=self._run, name="edge-update", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(5)

    def offer(self, payload: bytes) -> None:
        self._queue.put(payload)

    def _run(self) -> None:
        while (payload := self._queue.get()) is not None:
            try:
                self.handle(payload)
            except Exception:  # an update problem must never stop the scale
                log.exception("firmware update failed")

    # --- one offer ---------------------------------------------------------------------

    def handle(self, payload: bytes) -> UpdateResult:
        result = self._handle(payload)
        self.results = [*self.results[-19:], result]
        return result

    def _handle(self, payload: bytes) -> UpdateResult:
        if not payload:
            return UpdateResult(Outcome.IGNORED)
        version: str | None = None
        try:
            manifest = self._check(payload)
            version = manifest.version
            if parse_version(version) == parse_version(self.running_version):
                return UpdateResult(Outcome.ALREADY, version)
            self._check_version(manifest)
        except Refused as exc:
            return self._refuse(payload, version, str(exc))
        self._event("firmware.offered", {"version": version, "size": manifest.size, "sha256": manifest.sha256})
        try:
            wheel = self._download(manifest)
        except Refused as exc:
            return self._refuse(payload, version, str(exc))
        self._event("firmware.downloaded", {"version": version, "file": wheel.name})
        slot = self.slots.inactive()
        try:
            self.slots.build(slot, wheel)
        except SlotError as exc:
            self._event("firmware.failed", {"version": version, "slot": slot, "reason": str(exc)})
            state = load_state(self.root)
            state.result, state.updated_ms = f"{version} not installed: {exc}", self.wall_ms()
            self._save(state)
            return UpdateResult(Outcome.FAILED, version, str(exc))
        finally:
            wheel.unlink(missing_ok=True)
        self._event("firmware.installed", {"version": version, "slot": slot})
        return self._switch(manifest, slot)

    def _check(self, payload: bytes) -> FirmwareManifest:
        try:
            doc = json_object(payload)
        except ValueError as exc:
            raise Refused(str(exc)) from exc
        if self._key is None:
            raise Refused(self._key_problem)
        try:
            verify_document(doc, self._key)
            return FirmwareManifest.from_doc(doc)
        except (SignatureError, ValueError) as exc:
            raise Refused(str(exc)) from exc

    def _check_version(self, manifest: FirmwareManifest) -> None:
        state = load_state(self.root)
        if not is_newer(manifest.version, self.running_version):
            raise Refused(f"version {manifest.version} is not newer than the running {self.running_version}")
        if manifest.version in state.failed:
            raise Refused(f"version {manifest.version} failed on this scale before; publish a fixed, higher version")
        if manifest.min_version and is_newer(manifest.min_version, self.running_version):
            raise Refused(
                f"needs version {manifest.min_version} or later first; this scale runs {self.running_version}"
            )
        if state.state == TRIAL:
            raise Refused(f"version {state.version} is still on trial; try again after it reported or rolled back")

    def _download(self, manifest: FirmwareManifest) -> Path:
        url = self.base_url + manifest.path
        folder = self.root / "downloads"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / manifest.wheel
        digest, size = hashlib.sha256(), 0
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as resp, open(target, "wb") as out:
                while chunk := resp.read(1 << 16):
                    size += len(chunk)
                    if size > manifest.size:
                        break
                    digest.update(chunk)
                    out.write(chunk)
        except (OSError, urllib.error.URLError) as exc:
            target.unlink(missing_ok=True)
            raise Refused(f"download of {url} failed ({exc}); check [ticket].trace_base_url and the network") from exc
        if size != manifest.size or digest.hexdigest() != manifest.sha256:
            target.unlink(missing_ok=True)
            what = f"size {size} bytes, manifest says {manifest.size}" if size != manifest.size else "SHA-256 differs"
            raise Refused(f"downloaded wheel does not match the signed manifest ({what}): tampered or damaged")
        return target

    def _switch(self, manifest: FirmwareManifest, slot: str) -> UpdateResult:
        version, now = manifest.version, self.wall_ms()
        previous = self.slots.active() or ""
        self.slots.switch(slot)
        state = UpdateState(TRIAL, version, slot, previous, 0, now + int(self.boot_deadline_s * 1000),
                            f"{version} switched in, on trial", now, load_state(self.root).failed)  # fmt: skip
        self._save(state)
        problem = self._health_check(version)
        if problem:
            rollback(self.root, self.store, state, problem, self.wall_ms())
            return UpdateResult(Outcome.ROLLED_BACK, version, problem)
        self._event("firmware.switched", {"version": version, "slot": slot, "from": previous})
        if self.on_switched is not None:
            self.on_switched(version)
        return UpdateResult(Outcome.SWITCHED, version)

    def _health_check(self, version: str) -> str:
        """'' if the new current version starts and reports ``version``; else what went wrong."""
        python = self.slots.current_link / "bin" / "python"
        try:
            done = subprocess.run([str(python), "-I", "-c", HEALTH_CODE], capture_output=True, text=True,
                                  timeout=self.health_timeout_s, cwd=self.root)  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"the new version did not start: {exc}"
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return f"the new version did not start (exit {done.returncode}): {last}"
        reported = done.stdout.strip()
        if parse_version(reported) != parse_version(version):
            return f"the new slot reports version {reported!r}, not {version}"
        return ""

    # --- records -------------------------------------------------------------------------

    def _event(self, kind: str, data: dict[str, Any]) -> None:
        self.store.append_event(kind, data, self.wall_ms())
        log.info("%s %s", kind, data)

    def _save(self, state: UpdateState) -> None:
        save_state(self.root, state)

    def _refuse(self, payload: bytes, version: str | None, reason: str) -> UpdateResult:
        if version is None:
            try:
                version = str(json.loads(payload).get("version"))
            except (ValueError, AttributeError):
                version = None
        digest = hashlib.sha256(payload).digest()
        if digest not in self._refused:
            self._refused.add(digest)
            self._event("firmware.refused", {"version": version, "reason": reason})
            state = load_state(self.root)
            state.result, state.updated_ms = f"{version} refused: {reason}", self.wall_ms()
            self._save(state)
        return UpdateResult(Outcome.REFUSED, version, reason)


def status_lines(root: Path) -> list[str]:
    """For ``python -m edge update --status``."""
    slots, state = Slots(root), load_state(root)
    lines = [f"root: {root}"]
    for info in slots.info():
        mark = "*" if info.current else " "
        lines.append(f" {mark} slot {info.name}: {info.version or '(empty)'}")
    trial = f" ({state.version}, {state.attempts} starts)" if state.state == TRIAL else ""
    lines.append(f"state: {state.state}{trial}")
    lines.append(f"last result: {state.result or '-'}")
    if state.failed:
        lines.append(f"refused for good (rolled back before): {', '.join(state.failed)}")
    return lines
