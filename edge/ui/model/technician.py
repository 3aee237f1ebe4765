"""TechnicianModel: the technician's settings screen as plain Python (no Kivy).

Behind a PIN (``[display].technician_pin``; the default ``0000`` is accepted with a
warning). The technician edits fields as text; :meth:`TechnicianModel.apply` validates
them with the same loader the scale starts with, writes edge.toml atomically (temporary
file + fsync + rename) and appends one event-log entry per legally relevant change
(every [scale] key but silence_s: edge.core.protection.is_legal) *before* the new file
replaces the old one, so no such change can take effect unlogged; each locks selling until
the technician's :meth:`TechnicianModel.seal` (JJG 1204-2025; docs/protection.md).
Changes take effect when the scale app restarts. The screen also shows the software
identification with the event counter and lock state, the event log (read only: there is
no way to edit it), the module's live raw frames, and offers a protocol probe and a test
print.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from edge.checkout import MARKET_TZ, now_ms
from edge.config import ConfigError, EdgeConfig, intervals_text, parse_config, parse_intervals_text
from edge.core.metrology import RANGE_MODES
from edge.core.protection import SETTING_CHANGED, SOFTWARE_UPDATED, SealError, legal_lines, state_text
from edge.printer.connections import open_connection
from edge.printer.demo import demo_batches, demo_sale
from edge.printer.errors import PrinterError
from edge.printer.escpos_render import render_ticket
from edge.printer.queue import PrintWorker
from edge.printer.status import query_status
from edge.runtime import scale_port, ticket_settings
from edge.scale_driver.driver import ScaleDriver
from edge.scale_driver.probe import ProbeResult, probe
from edge.scale_driver.protocols import PROTOCOLS
from edge.scale_driver.transport import TransportError
from edge.software_id import SoftwareId, software_id
from edge.store import Store, StoreError
from edge.ui.model import texts
from edge.ui.model.toml_edit import edit_toml, write_atomic_begin, write_atomic_commit

log = logging.getLogger(__name__)

DEFAULT_PIN = "0000"
MAX_PIN_TRIES = 5
LOCKOUT_S = 60.0
SOFTWARE_ID_KEY = "software.id"  # the id the scale last ran with (settings table)

Kind = Literal["text", "int", "choice", "secret", "ranges"]  # ranges: "6000/2, 15000/5"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    section: str
    key: str
    zh: str
    en: str
    kind: Kind = "text"
    choices: tuple[str, ...] = ()
    # legally relevant (metrology): logged, and locks selling until sealed; must agree with
    # edge.core.protection.is_legal (tests/unit/test_protection.py checks every field)
    legal: bool = False
    optional: bool = False  # may be empty (an empty number removes the key: the default applies)

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("scale", "port", "称重模块串口", "Weighing module port", legal=True),
    FieldSpec("scale", "protocol", "称重协议", "Weighing protocol", "choice", tuple(sorted(PROTOCOLS)), legal=True),
    FieldSpec(
        "scale",
        "baud",
        "波特率（空：协议默认）",
        "Baud rate (empty: protocol default)",
        "int",
        legal=True,
        optional=True,
    ),
    FieldSpec("scale", "max_g", "最大称量 Max（克）", "Maximum capacity Max (g)", "int", legal=True),
    FieldSpec("scale", "e_g", "分度值 e（克）", "Division e (g)", "int", legal=True),
    FieldSpec(
        "scale",
        "intervals",
        "多分度值 Max/e（克，如 6000/2, 15000/5；空：单分度）",
        "Intervals Max/e (g, e.g. 6000/2, 15000/5; empty: single interval)",
        "ranges",
        legal=True,
        optional=True,
    ),
    FieldSpec("scale", "range_mode", "多分度值方式", "Interval mode", "choice", RANGE_MODES, legal=True),
    FieldSpec("printer", "connection", "打印机连接", "Printer connection"),
    FieldSpec("printer", "paper_mm", "纸宽（毫米）", "Paper width (mm)", "choice", ("58", "80")),
    FieldSpec("printer", "qr_mode", "二维码方式", "QR code mode", "choice", ("native", "image")),
    FieldSpec("sync", "broker_url", "服务器地址（空：不联网）", "Broker URL (empty: no sync)", optional=True),
    FieldSpec("sync", "username", "用户名（空：秤编号）", "User name (empty: scale id)", optional=True),
    FieldSpec("sync", "password", "密码", "Password", "secret", optional=True),
    FieldSpec("identity", "market_id", "市场编号", "Market id"),
    FieldSpec("identity", "market_code", "市场节点代码（6位）", "Market node code (6 digits)"),
    FieldSpec("identity", "market_name", "市场名称", "Market name"),
    FieldSpec("identity", "scale_no", "秤号（1-999）", "Scale number (1-999)", "int"),
    FieldSpec("identity", "scale_id", "秤编号", "Scale id"),
    FieldSpec("identity", "merchant_id", "商户编号", "Merchant id"),
    FieldSpec("identity", "merchant_name", "商户名称", "Merchant name"),
    FieldSpec("identity", "stall", "摊位号", "Stall"),
    FieldSpec("display", "size", "商户屏尺寸", "Vendor screen size"),
    FieldSpec("display", "customer_position", "顾客屏位置 X,Y", "Customer screen position X,Y"),
    FieldSpec("display", "customer_size", "顾客屏尺寸", "Customer screen size"),
    FieldSpec("display", "pole_port", "客显串口（空：无）", "Pole display port (empty: none)", optional=True),
    FieldSpec(
        "display",
        "pole_protocol",
        "客显协议",
        "Pole display protocol",
        "choice",
        ("cd5220", "escpos", "cd5220-zh", "escpos-zh"),
    ),
    FieldSpec("display", "lang", "界面语言", "Screen language", "choice", ("zh", "en")),
    FieldSpec("voice", "enabled", "语音播报", "Voice announcements", "choice", ("True", "False")),
    FieldSpec("voice", "volume", "播报音量（1-100）", "Voice volume (1-100)", "int"),
)
_BY_NAME = {spec.name: spec for spec in FIELDS}

_TEXTS: dict[str, tuple[str, str]] = {
    "pin_default": (
        "技术员密码仍是出厂默认值 0000，请在 edge.toml 的 [display].technician_pin 中修改",
        "The technician PIN is still the factory default 0000; change [display].technician_pin in edge.toml.",
    ),
    "pin_wrong": ("密码错误（还可尝试 {left} 次）", "Wrong PIN ({left} tries left)."),
    "pin_locked": ("密码错误次数过多，请 {s} 秒后再试", "Too many wrong PINs; try again in {s} s."),
    "locked": ("请先输入技术员密码", "Enter the technician PIN first."),
    "unknown_field": ("没有设置项 {name}", "There is no setting {name}."),
    "need_int": ("请输入整数", "Enter a whole number."),
    "need_positive": ("必须大于零", "Must be greater than zero."),
    "need_choice": ("请选择：{choices}", "Choose one of: {choices}."),
    "need_ranges": (
        "请写成 最大称量/分度值（克），由细到粗，如 6000/2, 15000/5",
        "Write Max/e pairs in grams, finest first, e.g. 6000/2, 15000/5.",
    ),
    "need_value": ("不能为空", "Must not be empty."),
    "invalid": ("设置有误，未保存：{why}", "Settings not saved: {why}"),
    "nothing": ("没有修改", "Nothing changed."),
    "saved": (
        "已保存 {n} 项设置，重启秤程序后生效",
        "{n} settings saved; they take effect when the scale app restarts.",
    ),
    "save_failed": ("设置未保存：{why}", "Settings NOT saved: {why}"),
    "probe_running": ("正在检测称重模块协议…", "Probing the weighing module…"),
    "probe_found": (
        "检测到 {protocol}，{baud} 波特（{frames} 帧）；按“保存”写入设置",
        "Found {protocol} at {baud} baud ({frames} frames); press Save to keep it.",
    ),
    "probe_none": (
        "未检测到已知协议：请检查连接线和模块电源",
        "No known protocol answered: check the cable and the module's power.",
    ),
    "probe_failed": ("无法打开串口：{why}", "Cannot open the port: {why}"),
    "print_ok": ("测试小票已打印：{status}", "Test ticket printed: {status}"),
    "print_failed": ("测试打印失败：{why}", "Test print failed: {why}"),
    "sealed": (
        "已铅封（事件日志第 {id} 条），恢复销售",
        "Sealed (event log entry {id}); selling may resume.",
    ),
    "sealed_remote": (
        "已铅封（事件日志第 {id} 条）；中心远程锁定仍有效，需由中心解锁",
        "Sealed (event log entry {id}); central's remote lock remains until central unlocks.",
    ),
    "seal_failed": ("未铅封：{why}", "Not sealed: {why}"),
    "chain_ok": ("事件日志完整", "Event log intact"),
    "chain_broken": ("事件日志第 {id} 条起被篡改！", "The event log is broken from entry {id} on!"),
}


def _t(code: str, lang: str, **values: object) -> str:
    return texts.pick(lang, _TEXTS[code]).format(**values)


@dataclass(frozen=True, slots=True)
class FieldView:
    name: str  # "scale.port"
    label: str
    value: str  # the text being edited ("••••" for a set secret)
    kind: Kind
    choices: tuple[str, ...]
    legal: bool
    changed: bool
    error: str  # "" when the value is fine


@dataclass(frozen=True, slots=True)
class EventView:
    id: int
    time_text: str  # local time at the market
    kind: str
    detail: str  # the entry's data as compact JSON


@dataclass(frozen=True, slots=True)
class TechnicianView:
    unlocked: bool
    pin_warning: str
    fields: tuple[FieldView, ...]
    software_version: str
    software_sha256: str
    software_id: str
    events: tuple[EventView, ...]  # newest first
    events_text: str  # chain verified, or where it breaks
    raw_frames: tuple[str, ...]  # hex, oldest first
    link_text: str
    probe_running: bool
    message: str
    message_kind: str  # "info" | "error"
    lock_state: str = "unlocked"  # edge.core.protection.LockState value
    lock_text: str = ""  # the lock state in the screen's language, short (for the head line)
    legal_lines: tuple[str, ...] = ()  # the extended display: software id, event counter, lock state
    legal_changes: int = 0  # the event counter


@dataclass(frozen=True, slots=True)
class ApplyResult:
    ok: bool
    changed: tuple[str, ...]  # field names written
    logged: tuple[int, ...]  # event-log ids of the legally relevant changes
    message: str


def note_software_id(store: Store, now: int, current: SoftwareId | None = None) -> int | None:
    """Log a software change (WELMEC 7.2): compare with the id the scale last ran with.

    Returns the event id when the software changed (or ran for the first time), else None.
    """
    ident = str(current or software_id())
    previous = store.get_setting(SOFTWARE_ID_KEY)
    if previous == ident:
        return None
    entry = store.append_event(SOFTWARE_UPDATED, {"from": previous, "to": ident}, now)
    store.set_setting(SOFTWARE_ID_KEY, ident)
    log.info("software identification %s (was %s), event %d", ident, previous, entry.id)
    return entry.id


class TechnicianModel:
    def __init__(
        self,
        config_path: str | Path,
        config: EdgeConfig,
        store: Store,
        *,
        driver: ScaleDriver | None = None,
        printer: PrintWorker | None = None,
        lang: str | None = None,
        clock_ms: Callable[[], int] = now_ms,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config_path = Path(config_path)
        self.config = config
        self.store = store
        self.driver = driver
        self.printer = printer
        self.lang = lang or config.display.lang
        self._clock_ms = clock_ms
        self._monotonic = monotonic
        self._lock = threading.RLock()
        self._unlocked = False
        self._failures = 0
        self._locked_until = 0.0
        self._edits: dict[str, str] = {}
        self._message = ("", "info")
        self._probe_thread: threading.Thread | None = None

    # --- PIN -------------------------------------------------------------------------------

    @property
    def pin_warning(self) -> str:
        return _t("pin_default", self.lang) if self.config.display.technician_pin == DEFAULT_PIN else ""

    @property
    def unlocked(self) -> bool:
        return self._unlocked

    def unlock(self, pin: str) -> bool:
        with self._lock:
            now = self._monotonic()
            if now < self._locked_until:
                self._say("pin_locked", "error", s=int(self._locked_until - now) + 1)
                return False
            if hmac.compare_digest(pin.strip().encode(), self.config.display.technician_pin.encode()):
                self._unlocked, self._failures = True, 0
                self._message = (self.pin_warning, "error" if self.pin_warning else "info")
                return True
            self._failures += 1
            if self._failures >= MAX_PIN_TRIES:
                self._failures, self._locked_until = 0, now + LOCKOUT_S
                self._say("pin_locked", "error", s=int(LOCKOUT_S))
            else:
                self._say("pin_wrong", "error", left=MAX_PIN_TRIES - self._failures)
            return False

    def lock(self) -> None:
        with self._lock:
            self._unlocked = False
            self._edits.clear()

    # --- fields ------------------------------------------------------------------------------

    def current_value(self, name: str) -> str:
        spec = _BY_NAME[name]
        value = getattr(getattr(self.config, spec.section), spec.key)
        if spec.kind == "ranges":
            return intervals_text(value)
        return "" if value is None else str(value)

    def set_field(self, name: str, text: str) -> str:
        """Edit one field; returns its error ("" when fine). Nothing is written until :meth:`apply`."""
        with self._lock:
            if not self._unlocked:
                self._say("locked", "error")
                return self._message[0]
            if name not in _BY_NAME:
                self._say("unknown_field", "error", name=name)
                return self._message[0]
            text = text.strip()
            if text == self.current_value(name):
                self._edits.pop(name, None)
            else:
                self._edits[name] = text
            return self._field_error(_BY_NAME[name], text)

    def reset(self) -> None:
        with self._lock:
            self._edits.clear()

    def _text(self, spec: FieldSpec) -> str:
        return self._edits.get(spec.name, self.current_value(spec.name))

    def _field_error(self, spec: FieldSpec, text: str) -> str:
        if not text:
            return "" if spec.optional else _t("need_value", self.lang)
        if spec.kind == "int":
            if not text.isdigit():
                return _t("need_int", self.lang)
            if int(text) <= 0:
                return _t("need_positive", self.lang)
        if spec.kind == "choice" and text not in spec.choices:
            return _t("need_choice", self.lang, choices=", ".join(spec.choices))
        if spec.kind == "ranges":
            try:
                parse_intervals_text(text)
            except ConfigError:
                return _t("need_ranges", self.lang)
        return ""

    def _typed(self, spec: FieldSpec, text: str) -> Any:
        if not text and spec.kind in ("int", "ranges"):
            return None  # an empty optional number removes the key: the default applies
        if spec.kind == "ranges":
            return parse_intervals_text(text)
        if spec.kind == "int" or (spec.kind == "choice" and spec.key == "paper_mm"):
            return int(text)
        if spec.choices == ("True", "False"):
            return text == "True"  # an on/off setting is a TOML boolean
        return text

    def _changes(self) -> dict[tuple[str, str], Any]:
        return {
            (spec.section, spec.key): self._typed(spec, self._edits[spec.name])
            for spec in FIELDS
            if spec.name in self._edits
        }

    def validate(self) -> dict[str, str]:
        """Field name -> error for every field that is wrong, plus ``""`` -> whole-file error."""
        with self._lock:
            errors = {spec.name: err for spec in FIELDS if (err := self._field_error(spec, self._text(spec)))}
            if errors:
                return errors
            try:
                self._new_config(self._new_text())
            except (ConfigError, ValueError, TypeError) as exc:
                errors[""] = str(exc)
            return errors

    def _new_text(self) -> str:
        return edit_toml(self.config_path.read_text(encoding="utf-8"), self._changes())

    def _new_config(self, text: str) -> EdgeConfig:
        """The configuration ``text`` gives, checked like at start plus the metrology rules."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{self.config_path} is not valid TOML: {exc}") from exc
        config = parse_config(data, str(self.config_path), self.config.base_dir)
        config.scale.metrology()
        with contextlib.suppress(ImportError):
            from edge.sync import check_sync_config  # the sync package may be absent on a bare scale

            if config.sync.broker_url:
                check_sync_config(config.sync, str(self.config_path))
        return config

    def apply(self) -> ApplyResult:
        """Validate, log the legally relevant changes, then atomically replace edge.toml."""
        with self._lock:
            if not self._unlocked:
                self._say("locked", "error")
                return ApplyResult(False, (), (), self._message[0])
            if not self._edits:
                self._say("nothing", "info")
                return ApplyResult(True, (), (), self._message[0])
            errors = self.validate()
            if errors:
                why = "; ".join(
                    f"{_BY_NAME[n].zh if self.lang == 'zh' else _BY_NAME[n].en}: {e}" if n else e
                    for n, e in errors.items()
                )
                self._say("invalid", "error", why=why)
                return ApplyResult(False, (), (), self._message[0])
            text = self._new_text()
            new_config = self._new_config(text)
            changed = tuple(spec.name for spec in FIELDS if spec.name in self._edits)
            try:
                tmp = write_atomic_begin(self.config_path, text)
            except OSError as exc:
                self._say("save_failed", "error", why=str(exc))
                return ApplyResult(False, (), (), self._message[0])
            try:
                # Logged before the rename: a change that takes effect is always in the log.
                logged = tuple(self._log_change(spec) for spec in FIELDS if spec.legal and spec.name in self._edits)
                write_atomic_commit(tmp, self.config_path)
            except (OSError, StoreError) as exc:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                self._say("save_failed", "error", why=str(exc))
                return ApplyResult(False, (), (), self._message[0])
            log.info("edge.toml changed: %s (events %s)", ", ".join(changed), list(logged))
            self.config = new_config
            self._edits.clear()
            self._say("saved", "info", n=len(changed))
            return ApplyResult(True, changed, logged, self._message[0])

    def _log_change(self, spec: FieldSpec) -> int:
        old = getattr(getattr(self.config, spec.section), spec.key)
        new = self._typed(spec, self._edits[spec.name])
        entry = self.store.append_event(SETTING_CHANGED, {"key": spec.name, "old": old, "new": new}, self._clock_ms())
        return entry.id

    # --- live views --------------------------------------------------------------------------

    def raw_frames(self, limit: int = 20) -> tuple[str, ...]:
        """The module's latest frames as hex (oldest first)."""
        if self.driver is None:
            return ()
        for _ in range(5):  # the reader thread appends while we copy
            try:
                frames = list(self.driver.raw_frames)
                break
            except RuntimeError:
                continue
        else:
            return ()
        return tuple(frame.hex(" ") for frame in frames[-limit:])

    def events(self, limit: int = 50) -> tuple[EventView, ...]:
        """The newest ``limit`` event-log entries, newest first."""
        entries = []
        after = 0
        while True:
            page = self.store.events(after_id=after, limit=500)
            entries.extend(page)
            if len(page) < 500:
                break
            after = page[-1].id
        return tuple(
            EventView(
                id=e.id,
                time_text=datetime.fromtimestamp(e.created_ms / 1000, MARKET_TZ).strftime("%Y-%m-%d %H:%M:%S"),
                kind=e.kind,
                detail=json.dumps(e.data, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
            )
            for e in reversed(entries[-limit:])
        )

    def view(self) -> TechnicianView:
        with self._lock:
            ident = software_id()
            ok, bad = self.store.verify_events()
            protection = self.store.protection()
            fields = tuple(self._field_view(spec) for spec in FIELDS) if self._unlocked else ()
            link = self.driver.status.text(self.lang) if self.driver is not None else ""
            return TechnicianView(
                unlocked=self._unlocked,
                pin_warning=self.pin_warning,
                fields=fields,
                software_version=ident.version,
                software_sha256=ident.sha256,
                software_id=str(ident),
                events=self.events() if self._unlocked else (),
                events_text=_t("chain_ok", self.lang) if ok else _t("chain_broken", self.lang, id=bad),
                raw_frames=self.raw_frames() if self._unlocked else (),
                link_text=link,
                probe_running=self._probe_thread is not None and self._probe_thread.is_alive(),
                message=self._message[0],
                message_kind=self._message[1],
                lock_state=protection.state.value,
                lock_text=state_text(protection, self.lang, short=True),
                legal_lines=tuple(legal_lines(str(ident), protection, self.lang)),
                legal_changes=protection.legal_changes,
            )

    def seal(self, technician: str, reason: str) -> bool:
        """The sealed procedure (behind the PIN): log who and why; selling resumes unless
        central locked the scale remotely."""
        with self._lock:
            if not self._unlocked:
                self._say("locked", "error")
                return False
            try:
                entry = self.store.seal(technician, reason, self._clock_ms())
                remote = self.store.protection().remote_locked
            except SealError as exc:
                self._say("seal_failed", "error", why=exc.zh if self.lang == "zh" else exc.en)
                return False
            except StoreError as exc:
                self._say("seal_failed", "error", why=str(exc))
                return False
            log.info("sealed by %s (%s): event %d", technician, reason, entry.id)
            self._say("sealed_remote" if remote else "sealed", "info", id=entry.id)
            return True

    def _field_view(self, spec: FieldSpec) -> FieldView:
        text = self._text(spec)
        shown = "••••" if spec.kind == "secret" and text else text
        return FieldView(
            name=spec.name,
            label=spec.en if self.lang == "en" else spec.zh,
            value=shown,
            kind=spec.kind,
            choices=spec.choices,
            legal=spec.legal,
            changed=spec.name in self._edits,
            error=self._field_error(spec, text),
        )

    # --- actions -----------------------------------------------------------------------------

    def run_probe(self, port: str | None = None) -> ProbeResult | None:
        """Detect protocol and baud on ``port`` (default: the port field); fills the fields, unsaved.

        The scale driver is paused while probing (two readers on one port would steal
        each other's bytes) and restarted afterwards. Takes a few seconds: call it from a
        thread, or use :meth:`start_probe`.
        """
        if not self._unlocked:
            self._say("locked", "error")
            return None
        form_scale = replace(self.config.scale, port=self._text(_BY_NAME["scale.port"]))
        target = port or scale_port(replace(self.config, scale=form_scale))
        self._say("probe_running", "info")
        if self.driver is not None:
            self.driver.stop()
        try:
            result = probe(target)
        except TransportError as exc:
            self._say("probe_failed", "error", why=str(exc))
            return None
        finally:
            if self.driver is not None:
                self.driver.start()
        with self._lock:
            if result is None:
                self._say("probe_none", "error")
                return None
            self.set_field("scale.protocol", result.protocol)
            self.set_field("scale.baud", str(result.baud))
            self._say("probe_found", "info", protocol=result.protocol, baud=result.baud, frames=result.frames)
            return result

    def start_probe(self, port: str | None = None, done: Callable[[ProbeResult | None], None] | None = None) -> None:
        def work() -> None:
            result = self.run_probe(port)
            if done is not None:
                done(result)

        self._probe_thread = threading.Thread(target=work, name="probe", daemon=True)
        self._probe_thread.start()

    def test_print(self) -> bool:
        """Print the demonstration ticket on the printer the form describes (saved or not).

        The print worker is paused meanwhile: a serial or USB printer takes one writer.
        """
        if not self._unlocked:
            self._say("locked", "error")
            return False
        spec = self._text(_BY_NAME["printer.connection"])
        kind, _, rest = spec.partition(":")
        if kind == "file":
            spec = f"file:{self.config.path(rest)}"
        printer = replace(
            self.config.printer,
            paper_mm=int(self._text(_BY_NAME["printer.paper_mm"])),
            qr_mode=self._text(_BY_NAME["printer.qr_mode"]),
        )
        settings = ticket_settings(replace(self.config, printer=printer))
        if self.printer is not None:
            self.printer.stop()
        try:
            connection = open_connection(spec)
            try:
                connection.write(render_ticket(demo_sale(), demo_batches(), settings))
                status = query_status(connection) if connection.supports_status else None
            finally:
                connection.close()
        except (PrinterError, ValueError, OSError) as exc:
            self._say("print_failed", "error", why=str(exc))
            return False
        finally:
            if self.printer is not None:
                self.printer.start()
        if status is not None and not status.ready:
            self._say("print_failed", "error", why=texts.split_bilingual(status.message, self.lang))
            return False
        shown = texts.split_bilingual(status.message, self.lang) if status else "-"
        self._say("print_ok", "info", status=shown)
        return True

    def _say(self, code: str, kind: str, **values: object) -> None:
        self._message = (_t(code, self.lang, **values), kind)
