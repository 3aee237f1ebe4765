"""``edge.toml``: the scale's configuration, loaded into validated dataclasses.

Every error names the file, the key and what a valid value looks like, because the
person reading it is a technician at a market stall.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from edge.core import emvco
from edge.core.metrology import RANGE_MODES, ScaleConfig
from edge.core.payment import QR_METHODS
from edge.scale_driver.protocols import PROTOCOLS


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or has an invalid value."""


@dataclass(frozen=True, slots=True)
class IdentityConfig:
    market_id: str = "demo-market"
    market_code: str = "620102"  # 6-digit market node code (trace codes)
    market_name: str = "示范农贸市场"
    scale_no: int = 1  # 1-999 within the market node
    scale_id: str = "demo-scale-001"
    merchant_id: str = "M0001"
    merchant_name: str = "示范商户"
    stall: str = "A-01"
    operator: str = ""


@dataclass(frozen=True, slots=True)
class ScaleConfigSection:
    port: str = ""
    protocol: str = "mt-sics"
    baud: int | None = None
    max_g: int = 15000  # with intervals: Max of the last range (filled in when absent)
    e_g: int = 5  # with intervals: e1 (filled in when absent)
    stable_count: int = 5
    silence_s: float = 1.0
    # Multi-interval / multiple-range scale: [[Max1, e1], [Max2, e2], ...] in grams, finest
    # first, e.g. [[6000, 2], [15000, 5]]; empty: a single-interval scale of max_g / e_g.
    intervals: tuple[tuple[int, int], ...] = ()
    range_mode: str = "multi-interval"  # multi-interval (多分度值) | multiple-range (多范围)

    def metrology(self) -> ScaleConfig:
        """The core's metrological settings; ValueError/TypeError if they break the rules."""
        if self.intervals:
            return ScaleConfig.with_ranges(self.intervals, self.range_mode, stable_count=self.stable_count)  # type: ignore[arg-type]
        return ScaleConfig(max_g=self.max_g, e_g=self.e_g, stable_count=self.stable_count)


def parse_intervals_text(text: str) -> list[list[int]]:
    """``"6000/2, 15000/5"`` (the technician's form) as ``[[6000, 2], [15000, 5]]``; "" -> []."""
    pairs = []
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        max_text, slash, e_text = part.partition("/")
        if not (slash and max_text.strip().isdigit() and e_text.strip().isdigit()):
            raise ConfigError(f"intervals {text!r}: write Max/e pairs in grams, finest first, e.g. 6000/2, 15000/5")
        pairs.append([int(max_text), int(e_text)])
    return pairs


def intervals_text(intervals: tuple[tuple[int, int], ...] | list[list[int]]) -> str:
    """The technician's form of ``intervals``: ``"6000/2, 15000/5"``."""
    return ", ".join(f"{max_g}/{e_g}" for max_g, e_g in intervals)


@dataclass(frozen=True, slots=True)
class PrinterConfig:
    connection: str = "file:var/tickets.bin"  # tcp:HOST:PORT | serial:PATH[@BAUD] | usb:/dev/usb/lp0 | file:PATH
    paper_mm: int = 58
    qr_mode: str = "native"  # native | image


@dataclass(frozen=True, slots=True)
class TicketConfig:
    trace_base_url: str = "http://127.0.0.1:8080"
    lang: str = "zh"
    rounding: str = "none"  # none | jiao | yuan (抹零)
    paperless: bool = False  # 电子小票 by default: no paper; the customer scans the trace QR on the customer screen
    e_ticket_show_s: int = 30  # after a sale the customer screen shows the trace QR this long (0: not at all)


@dataclass(frozen=True, slots=True)
class StoreConfig:
    path: str = "var/edge.db"


@dataclass(frozen=True, slots=True)
class CatalogConfig:
    seed_file: str = ""  # JSON with "plus" and "batches" loaded when the store has no catalog


# Unacked messages in flight. 4 left a two-receiver central a fifth idle while a backlog of
# 200-sale messages drained (bench_sync_drain: 12,098 sales/s, raw paho 14,802); at 8 it is
# busy throughout (14,970 vs 14,836) and at 16 no faster. A resend after an ack timeout
# repeats at most this many messages.
DEFAULT_WINDOW = 8


@dataclass(frozen=True, slots=True)
class SyncConfig:
    broker_url: str = ""  # mqtt://HOST:PORT, or mqtts:// for TLS; empty: no upload (a stand-alone scale)
    username: str = ""  # empty: the scale_id (docs/sync.md)
    password: str = ""
    tls_ca: str = ""  # CA file for mqtts://; empty: the system's CAs
    central_public_key: str = ""  # base64 Ed25519 key that signs catalog/batches/config
    heartbeat_s: float = 30.0
    batch_size: int = 200  # sales per message (at most 256 KiB)
    window: int = DEFAULT_WINDOW  # unacked messages in flight
    ack_timeout_s: float = 5.0  # resend from the ack watermark after this long without progress


@dataclass(frozen=True, slots=True)
class DisplayConfig:
    size: str = "1024x600"  # merchant window, WIDTHxHEIGHT
    customer_position: str = "1024,0"  # customer window's top-left corner, X,Y (the second screen)
    customer_size: str = "800x480"
    customer_socket: str = "var/run/customer.sock"  # merchant -> customer display snapshots (docs/ui.md)
    pole_port: str = ""  # serial port of a 2x20 pole display; empty: none
    pole_protocol: str = "cd5220"  # cd5220 | escpos; -zh suffix: the display shows GB18030 Chinese
    technician_pin: str = "0000"  # technician settings screen; change it on every installed scale
    lang: str = "zh"  # zh | en: the vendor's screen language at start


@dataclass(frozen=True, slots=True)
class PaymentConfig:
    methods: tuple[str, ...] = QR_METHODS  # the QR buttons the vendor sees (cash is always there)
    answer_timeout_s: float = 5.0  # no answer from central this long: offer cash or the static code
    static_qr: str = ""  # EMVCo static payload shown when offline (docs/payment.md); empty: none

    def __post_init__(self) -> None:
        object.__setattr__(self, "methods", tuple(self.methods))  # TOML gives a list


@dataclass(frozen=True, slots=True)
class StallConfig:
    """A vendor's day (README, For vendors): sign-in and the barcode scanner."""

    operators_file: str = ""  # JSON list of the people who may sign in (README, Sign-in); empty: no sign-in
    signin_required: bool = False  # true: nobody sells before signing in
    scanner_port: str = ""  # a serial barcode scanner (e.g. /dev/ttyACM0); a USB HID one types into the screen
    scanner_baud: int = 9600


@dataclass(frozen=True, slots=True)
class VoiceConfig:
    """语音播报 (edge/voice): espeak-ng's Mandarin voice says lines, payments and faults."""

    enabled: bool = True
    volume: int = 80  # 0-100 %
    voice: str = "cmn"  # espeak-ng voice (cmn: Mandarin)
    speed: int = 160  # words per minute (espeak-ng -s)
    out_dir: str = ""  # write each announcement as a WAV here instead of playing it (no speaker, tests)


@dataclass(frozen=True, slots=True)
class EdgeConfig:
    identity: IdentityConfig = field(default_factory=IdentityConfig)
    scale: ScaleConfigSection = field(default_factory=ScaleConfigSection)
    printer: PrinterConfig = field(default_factory=PrinterConfig)
    ticket: TicketConfig = field(default_factory=TicketConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    catalog: CatalogConfig = field(default_factory=CatalogConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    display: DisplayConfig = field(default_factory=DisplayConfig)
    payment: PaymentConfig = field(default_factory=PaymentConfig)
    stall: StallConfig = field(default_factory=StallConfig)
    voice: VoiceConfig = field(default_factory=VoiceConfig)
    base_dir: Path = Path(".")  # relative paths in the file are relative to the file

    def path(self, value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else self.base_dir / p


_SECTIONS: dict[str, type] = {
    "identity": IdentityConfig,
    "scale": ScaleConfigSection,
    "printer": PrinterConfig,
    "ticket": TicketConfig,
    "store": StoreConfig,
    "catalog": CatalogConfig,
    "sync": SyncConfig,
    "display": DisplayConfig,
    "payment": PaymentConfig,
    "stall": StallConfig,
    "voice": VoiceConfig,
}


def _type_ok(value: Any, default: Any) -> bool:
    if isinstance(value, bool) or isinstance(default, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, tuple):
        return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
    if default is None or isinstance(default, int):
        return isinstance(value, int)
    if isinstance(default, float):
        return isinstance(value, int | float)
    return isinstance(value, type(default))


def _scale_intervals(source: str, raw: dict[str, Any]) -> dict[str, Any]:
    """[scale] with ``intervals`` checked as pairs; max_g / e_g follow from them unless given."""
    if "intervals" not in raw:
        return raw
    value = raw["intervals"]
    if not (
        isinstance(value, list)
        and all(isinstance(pair, list) and len(pair) == 2 and all(type(v) is int for v in pair) for pair in value)
    ):
        raise ConfigError(
            f"{source}: [scale].intervals must be a list of [Max, e] pairs in grams, finest first, "
            f"e.g. [[6000, 2], [15000, 5]]; got {value!r}"
        )
    pairs = tuple((pair[0], pair[1]) for pair in value)
    out = dict(raw, intervals=pairs)
    if pairs:
        out.setdefault("max_g", pairs[-1][0])
        out.setdefault("e_g", pairs[0][1])
    return out


def _section(source: str, name: str, cls: type, raw: dict[str, Any]) -> Any:
    known = {f.name: f for f in fields(cls)}
    for key in raw:
        if key not in known:
            raise ConfigError(f"{source}: unknown key [{name}].{key}; known keys: {', '.join(known)}")
    if cls is ScaleConfigSection:
        raw = _scale_intervals(source, raw)
    defaults = cls()
    for key, value in raw.items():
        if key == "intervals":
            continue  # checked by _scale_intervals
        default = getattr(defaults, key)
        if not _type_ok(value, default):
            wanted = "integer" if default is None else type(default).__name__
            wanted = "list of strings" if isinstance(default, tuple) else wanted
            raise ConfigError(f"{source}: [{name}].{key} must be a {wanted}, got {value!r}")
    return cls(**raw)


def parse_config(data: dict[str, Any], source: str = "edge.toml", base_dir: Path = Path(".")) -> EdgeConfig:
    for name in data:
        if name not in _SECTIONS:
            raise ConfigError(f"{source}: unknown section [{name}]; known sections: {', '.join(_SECTIONS)}")
    parts = {name: _section(source, name, cls, data.get(name, {})) for name, cls in _SECTIONS.items()}
    config = EdgeConfig(**parts, base_dir=base_dir)
    _validate(config, source)
    return config


def _validate(config: EdgeConfig, source: str) -> None:
    ident, scale, printer, ticket = config.identity, config.scale, config.printer, config.ticket
    if not (len(ident.market_code) == 6 and ident.market_code.isdigit()):
        raise ConfigError(f"{source}: [identity].market_code must be 6 digits, got {ident.market_code!r}")
    if not 1 <= ident.scale_no <= 999:
        raise ConfigError(f"{source}: [identity].scale_no must be 1-999, got {ident.scale_no}")
    if scale.protocol not in PROTOCOLS:
        raise ConfigError(
            f"{source}: [scale].protocol {scale.protocol!r} is unknown; use one of {', '.join(PROTOCOLS)}"
        )
    if scale.e_g <= 0 or scale.max_g <= 0 or scale.max_g % scale.e_g:
        raise ConfigError(
            f"{source}: [scale] needs e_g > 0 and max_g a multiple of e_g (got {scale.max_g}/{scale.e_g})"
        )
    _validate_intervals(scale, source)
    if printer.paper_mm not in (58, 80):
        raise ConfigError(f"{source}: [printer].paper_mm must be 58 or 80, got {printer.paper_mm}")
    if printer.qr_mode not in ("native", "image"):
        raise ConfigError(f"{source}: [printer].qr_mode must be native or image, got {printer.qr_mode!r}")
    if printer.connection.split(":", 1)[0] not in ("tcp", "serial", "usb", "file"):
        raise ConfigError(
            f"{source}: [printer].connection {printer.connection!r} must start with tcp:, serial:, usb: or file:"
        )
    if ticket.lang not in ("zh", "en"):
        raise ConfigError(f"{source}: [ticket].lang must be zh or en, got {ticket.lang!r}")
    if ticket.rounding not in ("none", "jiao", "yuan"):
        raise ConfigError(f"{source}: [ticket].rounding must be none, jiao or yuan, got {ticket.rounding!r}")
    if ticket.e_ticket_show_s < 0:
        raise ConfigError(f"{source}: [ticket].e_ticket_show_s must be 0 (off) or seconds, e.g. 30")
    if not 0 <= config.voice.volume <= 100:
        raise ConfigError(f"{source}: [voice].volume must be 0-100 (%), got {config.voice.volume}")
    if not 80 <= config.voice.speed <= 450:
        raise ConfigError(f"{source}: [voice].speed must be 80-450 words per minute, got {config.voice.speed}")
    _validate_display(config.display, source)
    _validate_payment(config.payment, source)


def _validate_intervals(scale: ScaleConfigSection, source: str) -> None:
    if scale.range_mode not in RANGE_MODES:
        raise ConfigError(f"{source}: [scale].range_mode must be {' or '.join(RANGE_MODES)}, got {scale.range_mode!r}")
    if not scale.intervals:
        return
    last_max, first_e = scale.intervals[-1][0], scale.intervals[0][1]
    if (scale.max_g, scale.e_g) != (last_max, first_e):
        raise ConfigError(
            f"{source}: [scale].max_g / e_g ({scale.max_g} / {scale.e_g}) disagree with intervals "
            f"{intervals_text(scale.intervals)}: remove max_g and e_g, or set max_g = {last_max} "
            f"(Max of the last range) and e_g = {first_e} (e1)"
        )
    try:
        scale.metrology()
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{source}: [scale].intervals {intervals_text(scale.intervals)}: {exc}") from None


def _validate_payment(payment: PaymentConfig, source: str) -> None:
    for method in payment.methods:
        if method not in QR_METHODS:
            raise ConfigError(
                f"{source}: [payment].methods: {method!r} is unknown; use some of {', '.join(QR_METHODS)}"
            )
    if len(set(payment.methods)) != len(payment.methods):
        raise ConfigError(f"{source}: [payment].methods lists a method twice: {list(payment.methods)}")
    if payment.answer_timeout_s <= 0:
        raise ConfigError(f"{source}: [payment].answer_timeout_s must be positive seconds, e.g. 5")
    if payment.static_qr:
        try:
            parsed = emvco.parse(payment.static_qr)
        except emvco.EmvcoError as exc:
            raise ConfigError(
                f"{source}: [payment].static_qr is not a valid EMVCo payload ({exc}); "
                "copy the merchant's static code text again"
            ) from None
        if parsed.dynamic or parsed.amount_fen is not None:
            raise ConfigError(
                f"{source}: [payment].static_qr must be a static code (tag 01 = 11, no amount); "
                "a dynamic code belongs to one sale only"
            )


def _validate_display(display: DisplayConfig, source: str) -> None:
    for key in ("size", "customer_size"):
        w, x, h = getattr(display, key).partition("x")
        if not (x and w.isdigit() and h.isdigit() and int(w) > 0 and int(h) > 0):
            raise ConfigError(f"{source}: [display].{key} must be WIDTHxHEIGHT such as 1024x600")
    x, comma, y = display.customer_position.partition(",")
    if not (comma and x.lstrip("-").isdigit() and y.lstrip("-").isdigit()):
        raise ConfigError(f"{source}: [display].customer_position must be X,Y such as 1024,0")
    if display.pole_protocol not in ("cd5220", "escpos", "cd5220-zh", "escpos-zh"):
        raise ConfigError(
            f"{source}: [display].pole_protocol must be cd5220 or escpos (-zh for GB18030 Chinese displays), "
            f"got {display.pole_protocol!r}"
        )
    if display.lang not in ("zh", "en"):
        raise ConfigError(f"{source}: [display].lang must be zh or en, got {display.lang!r}")
    if not (display.technician_pin.isdigit() and 4 <= len(display.technician_pin) <= 8):
        raise ConfigError(f"{source}: [display].technician_pin must be 4 to 8 digits")


def load_config(path: str | Path) -> EdgeConfig:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} not found; copy examples/edge.toml and edit it") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return parse_config(data, str(path), path.resolve().parent)
