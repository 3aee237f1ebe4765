"""``python -m edge configure``: change edge.toml from flags or prompts, checked, atomically.

A change is planned first (:func:`plan`): every value is converted to its key's type,
the whole new file is checked with the same rules the scale starts with
(:func:`check_text`: ``edge.config.parse_config``, the metrology rules, the sync rules),
and nothing is written unless all of it is valid. :func:`apply` then writes the new text
to a temporary file, appends one event-log entry per legally relevant change (the list
``edge.core.protection.is_legal``: every [scale] key but silence_s; each such change
locks selling until the technician seals, ``python -m edge seal``),
keeps ``edge.toml.bak`` and renames the new file into place: a change that takes effect
is always in the hash-chained log.
"""

from __future__ import annotations

import contextlib
import getpass
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TextIO

from edge.config import ConfigError, EdgeConfig, parse_config, parse_intervals_text
from edge.core.protection import is_legal
from edge.store import Store, StoreError
from edge.technician import toml_write
from edge.ui.model.technician import FIELDS, SETTING_CHANGED, FieldSpec
from edge.ui.model.toml_edit import edit_toml

SECRET = frozenset((spec.section, spec.key) for spec in FIELDS if spec.kind == "secret")
_DEFAULTS = EdgeConfig()

Key = tuple[str, str]  # (section, key)


class ConfigureError(Exception):
    """A change that cannot be made; ``str()`` is Chinese first, then English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


@dataclass(frozen=True, slots=True)
class Change:
    section: str
    key: str
    old: Any
    new: Any  # None: the key is removed (its default applies)
    legal: bool

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"

    def describe(self) -> str:
        def shown(value: Any) -> str:
            if value is None:
                return "(默认 default)"
            if (self.section, self.key) in SECRET and value:
                return "••••"
            return repr(value)

        mark = "  [法定计量参数：记入事件日志，铅封前暂停销售 legally relevant: logged, selling locked until sealed]"
        mark = mark if self.legal else ""
        return f"[{self.section}].{self.key}: {shown(self.old)} -> {shown(self.new)}{mark}"


@dataclass(frozen=True, slots=True)
class Plan:
    path: Path
    new_text: str
    config: EdgeConfig  # what the new file gives, already validated
    changes: tuple[Change, ...]


@dataclass(frozen=True, slots=True)
class Applied:
    changes: tuple[Change, ...]
    events: tuple[int, ...]  # event-log ids written
    backup: Path | None


# --- values --------------------------------------------------------------------------------


def section_defaults(section: str) -> Any:
    """The dataclass instance of ``section`` with its defaults; ConfigureError for an unknown one."""
    names = [f.name for f in fields(EdgeConfig) if f.name != "base_dir"]
    if section not in names:
        raise ConfigureError(
            f"没有配置段 [{section}]，可用：{', '.join(names)}",
            f"there is no section [{section}]; known sections: {', '.join(names)}",
        )
    return getattr(_DEFAULTS, section)


def key_default(section: str, key: str) -> Any:
    """The default of ``[section].key``; ConfigureError naming the known keys for an unknown one."""
    defaults = section_defaults(section)
    known = [f.name for f in fields(defaults)]
    if key not in known:
        raise ConfigureError(
            f"[{section}] 中没有 {key}，可用：{', '.join(known)}",
            f"there is no key {key} in [{section}]; known keys: {', '.join(known)}",
        )
    return getattr(defaults, key)


def coerce(section: str, key: str, text: str) -> Any:
    """``text`` as the type of ``[section].key``; empty text for an optional number removes the key."""
    default = key_default(section, key)
    text = text.strip()
    if (section, key) == ("scale", "intervals"):
        try:
            return parse_intervals_text(text) or None  # empty: a single-interval scale again
        except ConfigError as exc:
            raise ConfigureError(f"[scale].intervals 格式错误：{exc}", str(exc)) from None
    if default is None:  # an optional integer such as [scale].baud
        if not text:
            return None
        default = 0
    if isinstance(default, bool):
        if text.lower() in ("true", "yes", "1"):
            return True
        if text.lower() in ("false", "no", "0"):
            return False
        raise ConfigureError(f"[{section}].{key} 必须是 true 或 false", f"[{section}].{key} must be true or false")
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            raise ConfigureError(
                f"[{section}].{key} 必须是整数（例如 {default or 9600}），收到 {text!r}",
                f"[{section}].{key} must be a whole number (e.g. {default or 9600}), got {text!r}",
            ) from None
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise ConfigureError(
                f"[{section}].{key} 必须是数字（例如 {default}），收到 {text!r}",
                f"[{section}].{key} must be a number (e.g. {default}), got {text!r}",
            ) from None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        raise ConfigureError(f"[{section}].{key} 含有控制字符", f"[{section}].{key} contains control characters")
    return text


def parse_assignment(text: str) -> tuple[Key, Any]:
    """``section.key=value`` from ``--set``."""
    name, eq, value = text.partition("=")
    section, dot, key = name.strip().partition(".")
    if not (eq and dot and section and key):
        raise ConfigureError(
            f"无法理解 {text!r}：请写成 段.键=值，例如 scale.protocol=mt-sics",
            f"cannot understand {text!r}: write section.key=value, e.g. scale.protocol=mt-sics",
        )
    return (section, key), coerce(section, key, value)


# --- checking and planning -----------------------------------------------------------------


def check_text(text: str, path: Path) -> EdgeConfig:
    """The configuration ``text`` gives, checked as at start plus the metrology and sync rules."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    config = parse_config(data, str(path), path.resolve().parent)
    try:
        config.scale.metrology()
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path}: [scale] {exc}") from None
    if config.sync.broker_url:
        with contextlib.suppress(ImportError):  # the sync package may be absent on a bare scale
            from edge.sync import check_sync_config

            check_sync_config(config.sync, str(path))
    return config


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""  # configure creates the file
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigureError(f"无法读取 {path}（{exc}）", f"cannot read {path} ({exc})") from exc


def current_values(path: Path) -> dict[str, dict[str, Any]]:
    """What the file holds now (raw TOML tables; keys not in the file are absent)."""
    try:
        return tomllib.loads(_read(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigureError(
            f"{path} 不是有效的 TOML，请先手工修复或从 edge.toml.bak 恢复（{exc}）",
            f"{path} is not valid TOML; fix it by hand or restore edge.toml.bak first ({exc})",
        ) from exc


def current_value(data: Mapping[str, Mapping[str, Any]], section: str, key: str) -> Any:
    table = data.get(section, {})
    return table[key] if key in table else key_default(section, key)


def plan(path: str | Path, wanted: Mapping[Key, Any], *, explicit: bool = False) -> Plan:
    """Check ``wanted`` against the file; raises ConfigureError (nothing is written here).

    A value equal to what the key already means (its default when absent) is no change,
    unless ``explicit``: then every wanted key ends up written in the file (provisioning
    pins the identity instead of leaning on defaults).
    """
    path = Path(path)
    old_text = _read(path)
    data = current_values(path)
    for section, key in wanted:
        key_default(section, key)
    changes = tuple(
        Change(section, key, current_value(data, section, key), value, is_legal(f"{section}.{key}"))
        for (section, key), value in wanted.items()
        if current_value(data, section, key) != value
        or (explicit and value is not None and key not in data.get(section, {}))
    )
    new_text = edit_toml(old_text, {(c.section, c.key): c.new for c in changes}) if changes else old_text
    try:
        config = check_text(new_text, path)
    except ConfigError as exc:
        raise ConfigureError("设置无效，未保存", f"not saved: {exc}") from None
    return Plan(path, new_text, config, changes)


def open_store(config: EdgeConfig) -> Store:
    """The scale's store (created if missing) without loading the catalog seed."""
    db_path = config.path(config.store.path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    return Store.open(db_path)


def apply(
    p: Plan,
    *,
    now_ms: Callable[[], int],
    private: bool = False,
    extra_events: Iterable[tuple[str, dict[str, Any]]] = (),
    source: str = "configure",
) -> Applied:
    """Write the planned file; log the legally relevant changes (and ``extra_events``) first.

    ``private``: the file now holds a secret (the broker password), readable by its owner only.
    """
    events_wanted = [
        (SETTING_CHANGED, {"key": c.name, "old": c.old, "new": c.new, "by": source}) for c in p.changes if c.legal
    ]
    events_wanted += list(extra_events)
    if not p.changes and not events_wanted:
        return Applied((), (), None)
    tmp = None
    try:
        if p.changes:
            tmp = toml_write.begin(p.path, p.new_text, private=private)
    except OSError as exc:
        raise ConfigureError(
            f"无法写入 {p.path}，原文件未改动（{exc}）", f"cannot write {p.path}; the old file is unchanged ({exc})"
        ) from exc
    ids: list[int] = []
    try:
        if events_wanted:
            with open_store(p.config) as store:
                # Logged before the rename: a change that takes effect is always in the log.
                ids = [store.append_event(kind, data, now_ms()).id for kind, data in events_wanted]
        backup = toml_write.commit(tmp, p.path) if tmp else None
    except (OSError, StoreError) as exc:
        if tmp:
            toml_write.abort(tmp)
        raise ConfigureError(
            f"设置未保存，原文件未改动（{exc}）", f"settings NOT saved; the old file is unchanged ({exc})"
        ) from exc
    return Applied(p.changes, tuple(ids), backup)


# --- interactive ---------------------------------------------------------------------------


def _prompt_one(spec: FieldSpec, current: Any, ask: Callable[[str], str], out: TextIO) -> Any:
    shown = "" if current is None else str(current)
    if spec.kind == "secret":
        shown = "••••" if current else ""
    choices = f" ({'/'.join(spec.choices)})" if spec.choices else ""
    clear = "，输入 - 清空 / - clears" if spec.optional else ""
    while True:
        text = ask(f"{spec.zh} {spec.en}{choices} [{shown}]{clear}: ").strip()
        if not text:
            return current
        if text == "-" and spec.optional:
            text = ""
        try:
            value = coerce(spec.section, spec.key, text)
        except ConfigureError as exc:
            print(f"  ✗ {exc}", file=out)
            continue
        if spec.choices and str(value) not in spec.choices:
            print(f"  ✗ 请选择 {', '.join(spec.choices)} / choose one of {', '.join(spec.choices)}", file=out)
            continue
        if spec.kind == "int" and value is not None and value <= 0:
            print("  ✗ 必须大于零 / must be greater than zero", file=out)
            continue
        return value


def interactive(
    path: str | Path,
    *,
    ask: Callable[[str], str] = input,
    secret: Callable[[str], str] | None = None,
    out: TextIO = sys.stdout,
) -> dict[Key, Any]:
    """Ask for every setting of the technician screen, the current value as default (Enter keeps it)."""
    data = current_values(Path(path))
    if secret is None:
        secret = getpass.getpass if sys.stdin.isatty() else ask
    wanted: dict[Key, Any] = {}
    section = ""
    for spec in FIELDS:
        if spec.section != section:
            section = spec.section
            print(f"\n[{section}]", file=out)
        current = current_value(data, spec.section, spec.key)
        value = _prompt_one(spec, current, secret if spec.kind == "secret" else ask, out)
        if value != current:
            wanted[(spec.section, spec.key)] = value
    return wanted
