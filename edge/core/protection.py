"""Protection of legally relevant parameters (JJG 1204-2025 6.4/6.5, JJF 2184-2025; docs/protection.md).

Pure: no I/O. The lock state is *derived from the hash-chained event log*
(:mod:`edge.core.eventlog`), never stored beside it, so it cannot be edited without
breaking the chain and survives every restart exactly as the log does:

- a change of a legally relevant parameter (``setting.changed`` of a key
  :func:`is_legal` names) or of the software (``software.updated`` from a previous id)
  sets *locked by change*; the technician's sealed procedure (``protection.sealed``:
  PIN plus who and why) clears it. This is JJG 1204-2025's self-lock (6.4 自锁功能,
  "开壳锁机、授权解锁": a scale whose legal settings were opened stops until an
  authorised person unlocks it).
- central's signed command ``protection.remote_locked`` sets *locked remotely*; only
  central's ``protection.remote_unlocked`` clears it (a technician's seal does not: the
  market office or regulator locked it for a reason the technician may not know).
- the event counter (:attr:`ProtectionState.legal_changes`) counts the legally relevant
  changes, one per saved change as audit-trail indicators count them (Ohaus Defender /
  Valor "CFGxxx", Rice Lake 920i audit trail, Rinstrum calibration counter; WELMEC 7.2
  and OIML R 76-1's event counter), and is shown on request with the software id
  (:func:`legal_lines`, JJG 1204-2025 6.3 软件标识 / 6.10 扩展显示装置).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from edge.core.eventlog import EventEntry
from edge.core.refusals import Refusal, refuse

SETTING_CHANGED = "setting.changed"
SOFTWARE_UPDATED = "software.updated"
SEALED = "protection.sealed"
REMOTE_LOCKED = "protection.remote_locked"
REMOTE_UNLOCKED = "protection.remote_unlocked"

# Every event kind that moves the lock state (the store reads only these).
KINDS: frozenset[str] = frozenset({SETTING_CHANGED, SOFTWARE_UPDATED, SEALED, REMOTE_LOCKED, REMOTE_UNLOCKED})

# [scale] holds the weighing module's link and metrology: every key is legally relevant
# unless named here, so a key added later (intervals, framing, a calibration setting) is
# protected from the day it exists. silence_s only decides when "no data" is shown.
_SCALE_NOT_LEGAL = frozenset({"silence_s"})
# Whole sections that are legally relevant (calibration-related settings, if a module
# driver ever keeps its adjustment here rather than in the sealed module).
_LEGAL_SECTIONS = frozenset({"calibration"})

MAX_TEXT = 200  # who / why of a seal or command: a sentence, not a document


def is_legal(name: str) -> bool:
    """Whether ``section.key`` of edge.toml is a legally relevant parameter."""
    section, _, key = name.partition(".")
    if section in _LEGAL_SECTIONS:
        return bool(key)
    return section == "scale" and bool(key) and key not in _SCALE_NOT_LEGAL


class LockState(StrEnum):
    UNLOCKED = "unlocked"
    LOCKED_BY_CHANGE = "locked-by-change"
    LOCKED_REMOTELY = "locked-remotely"


@dataclass(frozen=True, slots=True)
class ProtectionState:
    change_pending: bool = False  # a legal change not yet sealed
    remote_locked: bool = False
    legal_changes: int = 0  # the event counter
    last_change_id: int = 0  # event ids, 0 = none
    last_seal_id: int = 0
    remote_reason: str = ""
    pending: tuple[str, ...] = ()  # what changed since the last seal, e.g. ("scale.e_g",)
    command_version: int = 0  # central's last applied lock/unlock command: older ones are replays

    @property
    def state(self) -> LockState:
        """Remote first: central's lock outlasts a seal, so it is the one to name."""
        if self.remote_locked:
            return LockState.LOCKED_REMOTELY
        if self.change_pending:
            return LockState.LOCKED_BY_CHANGE
        return LockState.UNLOCKED

    @property
    def locked(self) -> bool:
        return self.remote_locked or self.change_pending

    def refusal(self) -> Refusal | None:
        """Why a sale is refused now, or None when selling is allowed."""
        if self.remote_locked:
            return refuse("locked_remotely", reason=self.remote_reason or "-")
        if self.change_pending:
            return refuse("locked_by_change")
        return None

    def to_dict(self) -> dict[str, Any]:
        """The heartbeat's ``protection`` object (docs/sync.md)."""
        return {
            "state": self.state.value,
            "change_pending": self.change_pending,
            "remote_locked": self.remote_locked,
            "legal_changes": self.legal_changes,
            "pending": list(self.pending),
        }


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def is_legal_change(kind: str, data: Mapping[str, Any]) -> bool:
    """Whether an event-log entry is a legally relevant change (it locks and counts)."""
    if kind == SETTING_CHANGED:
        return is_legal(_text(data, "key"))
    # The first run has no previous id: installing is not changing (the initial
    # verification seals the scale as installed).
    return kind == SOFTWARE_UPDATED and data.get("from") is not None


def step(state: ProtectionState, entry: EventEntry) -> ProtectionState:
    """The state after one event-log entry (entries of other kinds change nothing)."""
    kind, data = entry.kind, entry.data
    if is_legal_change(kind, data):
        what = _text(data, "key") if kind == SETTING_CHANGED else "software"
        pending = state.pending if what in state.pending else (*state.pending, what)
        return replace(
            state,
            change_pending=True,
            legal_changes=state.legal_changes + 1,
            last_change_id=entry.id,
            pending=pending,
        )
    if kind == SEALED:
        return replace(state, change_pending=False, last_seal_id=entry.id, pending=())
    if kind in (REMOTE_LOCKED, REMOTE_UNLOCKED):
        version = data.get("version")
        version = max(state.command_version, version) if isinstance(version, int) else state.command_version
        locked = kind == REMOTE_LOCKED
        reason = _text(data, "reason") if locked else ""
        return replace(state, remote_locked=locked, remote_reason=reason, command_version=version)
    return state


def fold(entries: Iterable[EventEntry], state: ProtectionState | None = None) -> ProtectionState:
    """The state after ``entries`` (in id order), starting from ``state`` (default: a fresh scale)."""
    state = state or ProtectionState()
    for entry in entries:
        state = step(state, entry)
    return state


class SealError(ValueError):
    """A seal or command that cannot be recorded; ``zh`` and ``en`` say what to do."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


def _checked(value: object, zh: str, en: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise SealError(f"请填写{zh}", f"enter {en}")
    if len(text) > MAX_TEXT or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        raise SealError(f"{zh}过长或含控制字符（最多 {MAX_TEXT} 字）", f"{en} is too long or has control characters")
    return text


def seal_data(state: ProtectionState, technician: str, reason: str) -> dict[str, Any]:
    """The ``protection.sealed`` entry's data: who, why, and what the seal covers.

    Raises SealError for a missing name or reason (the log must say who and why).
    """
    return {
        "technician": _checked(technician, "技术人员姓名", "the technician's name"),
        "reason": _checked(reason, "铅封原因", "a reason"),
        "legal_changes": state.legal_changes,
        "covers": list(state.pending),
        "last_change_id": state.last_change_id,
    }


def command_data(action: object, reason: object, by: str, version: int, issued_ms: object) -> tuple[str, dict]:
    """The event for central's lock/unlock command; SealError for an unknown action or no reason."""
    kinds = {"lock": REMOTE_LOCKED, "unlock": REMOTE_UNLOCKED}
    if not isinstance(action, str) or action not in kinds:
        raise SealError(f"未知指令 {action!r}", f"unknown command {action!r}: expected lock or unlock")
    issued = issued_ms if isinstance(issued_ms, int) and not isinstance(issued_ms, bool) else None
    reason_text = _checked(reason, "原因", "a reason")
    data = {"reason": reason_text, "by": by[:MAX_TEXT], "version": version, "issued_ms": issued}
    return kinds[action], data


_STATE_TEXT: dict[LockState, tuple[str, str]] = {
    LockState.UNLOCKED: ("正常（已铅封）", "unlocked (sealed)"),
    LockState.LOCKED_BY_CHANGE: ("锁定：计量参数已更改，待铅封", "locked: legal parameter changed, seal pending"),
    LockState.LOCKED_REMOTELY: ("锁定：中心远程锁定", "locked remotely by central"),
}


_STATE_SHORT: dict[LockState, tuple[str, str]] = {
    LockState.UNLOCKED: ("已铅封", "sealed"),
    LockState.LOCKED_BY_CHANGE: ("锁定·待铅封", "locked: seal pending"),
    LockState.LOCKED_REMOTELY: ("远程锁定", "locked remotely"),
}


def state_text(state: ProtectionState, lang: str = "zh", *, short: bool = False) -> str:
    """The lock state in words; ``short`` for a status line."""
    zh, en = (_STATE_SHORT if short else _STATE_TEXT)[state.state]
    return zh if lang.lower().startswith("zh") else en


_CUSTOMER_TEXT = ("本秤暂停销售（计量保护锁定）", "This scale is not selling now (legal-metrology lock)")


def banner_texts(state: ProtectionState, lang: str = "zh") -> tuple[str, str]:
    """(vendor, customer) banner texts while locked; ("", "") when selling is allowed.

    The vendor reads what to do (the refusal); the customer only that nothing is sold here now.
    """
    refusal = state.refusal()
    if refusal is None:
        return "", ""
    zh = lang.lower().startswith("zh")
    return refusal.text("zh" if zh else "en"), _CUSTOMER_TEXT[0 if zh else 1]


def legal_lines(software_id: str, state: ProtectionState, lang: str = "zh") -> list[str]:
    """The extended display (JJG 1204-2025 6.10, WELMEC 7.2 "software identification on
    request"): software id, event counter, lock state, one line each."""
    zh = lang.lower().startswith("zh")
    lines = [
        f"{'软件标识' if zh else 'Software id'}: {software_id}",
        f"{'事件计数器（计量参数更改次数）' if zh else 'Event counter (legal changes)'}: {state.legal_changes}",
        f"{'锁定状态' if zh else 'Lock state'}: {state_text(state, lang)}",
    ]
    if state.pending:
        lines.append(f"{'待铅封的更改' if zh else 'Changed, not sealed'}: {', '.join(state.pending)}")
    if state.remote_locked and state.remote_reason:
        lines.append(f"{'远程锁定原因' if zh else 'Remote lock reason'}: {state.remote_reason}")
    return lines
