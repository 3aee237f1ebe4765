"""Incremental ESC/POS decoder: bytes in, finished tickets and status requests out.

Written from the ESC/POS command reference (Epson TM series and the Chinese 58/80 mm
printers that copy it), independently of the edge's encoder, so that the two check each
other. Bytes may arrive in any chunks: a command cut in two waits for the rest.

Each command is looked up in a table (prefix byte -> second byte -> `Command`) that says
how long it is, so commands we do not simulate are skipped whole instead of leaking
their parameters into the text. What a real printer would print differently from what
we render (unknown commands, Chinese bytes without FS &, lines too wide ...) is written
into the ticket's warnings with the byte offset, which is what tests of the edge check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

from simulator.printer.document import (
    FONT_A_CELL,
    Align,
    Barcode,
    Bitmap,
    Document,
    Feed,
    InlineImage,
    QrCode,
    RasterImage,
    Run,
    Style,
    TextLine,
    TextRun,
)

NUL, HT, LF, FF, CR, DLE, CAN, ESC, FS, GS = 0x00, 0x09, 0x0A, 0x0C, 0x0D, 0x10, 0x18, 0x1B, 0x1C, 0x1D

DEFAULT_LINE_SPACING = 30  # dots; ESC 2 (about 3.75 mm on 203 dpi Chinese printers)
DEFAULT_TAB_COLUMNS = tuple(range(8, 256, 8))  # HT stops every 8 font-A columns after ESC @
MAX_COMMAND_BYTES = 16 * 1024 * 1024  # a longer declared length is a garbled header, not an image
UNKNOWN = -1  # a length function's answer for a sub-command it does not know

# ESC t n -> Python codec (the common Epson tables); anything else renders as CP437
CODE_PAGES = {
    0: "cp437",
    2: "cp850",
    3: "cp860",
    4: "cp863",
    5: "cp865",
    16: "cp1252",
    17: "cp866",
    18: "cp852",
    19: "cp858",
}
QR_ECC = {48: "L", 49: "M", 50: "Q", 51: "H"}
QR_MODELS = {49: 1, 50: 2, 51: 3}  # 3 = micro QR
SYMBOLS_2D = {48: "PDF417", 50: "MaxiCode", 51: "GS1 DataBar", 52: "composite", 53: "Aztec", 54: "DataMatrix"}

Buffer = bytes | bytearray
LengthFn = Callable[[Buffer, int], int | None]


@dataclass(frozen=True)
class Command:
    """One entry of a command table.

    `length` is the total byte count including the prefix, or a function of (buffer, start)
    returning it, None while more bytes are needed, or UNKNOWN. `handler` names the
    decoder method that carries the command out; without one the command is accepted
    and has no effect, and `note` (if set) says what is not simulated, as a warning.
    """

    name: str
    length: int | LengthFn
    handler: str | None = None
    note: str = ""
    realtime: bool = False  # carried out even while the printer discards data (DLE EOT ...)


@dataclass(frozen=True)
class StatusRequest:
    """DLE EOT n: the host asks for a status byte; the device answers it, nothing is printed."""

    n: int


Event = StatusRequest | Document


class Parsed(NamedTuple):
    length: int
    handler: Callable[[bytes], None] | None
    realtime: bool = False


# --- lengths of the variable-size commands ------------------------------------------------


def _le16(buf: Buffer, i: int) -> int:
    return buf[i] + 256 * buf[i + 1]


def _paren_length(buf: Buffer, pos: int) -> int | None:
    """ESC/GS/FS ( fn pL pH <pL+pH*256 bytes>."""
    return None if len(buf) < pos + 5 else 5 + _le16(buf, pos + 3)


def _gs_v_length(buf: Buffer, pos: int) -> int | None:
    """GS v 0 m xL xH yL yH d1..dk, k = x bytes * y rows."""
    if len(buf) < pos + 3:
        return None
    if buf[pos + 2] != 0x30:
        return UNKNOWN
    return None if len(buf) < pos + 8 else 8 + _le16(buf, pos + 4) * _le16(buf, pos + 6)


def _gs_8_length(buf: Buffer, pos: int) -> int | None:
    """GS 8 L p1 p2 p3 p4 <32-bit length bytes> (large graphics)."""
    if len(buf) < pos + 3:
        return None
    if buf[pos + 2] != 0x4C:
        return UNKNOWN
    return None if len(buf) < pos + 7 else 7 + int.from_bytes(buf[pos + 3 : pos + 7], "little")


def _esc_star_length(buf: Buffer, pos: int) -> int | None:
    """ESC * m nL nH d1..dk: nL+nH*256 columns of 1 (8-dot) or 3 (24-dot) bytes."""
    if len(buf) < pos + 5:
        return None
    m = buf[pos + 2]
    if m not in (0, 1, 32, 33):
        return UNKNOWN
    return 5 + _le16(buf, pos + 3) * (3 if m >= 32 else 1)


def _gs_k_length(buf: Buffer, pos: int) -> int | None:
    """GS k m d1..dk NUL (m <= 6) or GS k m n d1..dn (65 <= m <= 79)."""
    if len(buf) < pos + 3:
        return None
    m = buf[pos + 2]
    if m <= 6:
        end = buf.find(b"\x00", pos + 3, pos + 3 + 256)
        if end < 0:
            return None if len(buf) < pos + 3 + 256 else UNKNOWN
        return end + 1 - pos
    if 65 <= m <= 79:
        return None if len(buf) < pos + 4 else 4 + buf[pos + 3]
    return UNKNOWN


def _esc_d_upper_length(buf: Buffer, pos: int) -> int | None:
    """ESC D n1..nk NUL, at most 32 tab stops."""
    end = buf.find(b"\x00", pos + 2, pos + 2 + 33)
    if end < 0:
        return None if len(buf) < pos + 2 + 33 else UNKNOWN
    return end + 1 - pos


def _gs_star_length(buf: Buffer, pos: int) -> int | None:
    """GS * x y d1..d(x*y*8) (downloaded bit image)."""
    return None if len(buf) < pos + 4 else 4 + buf[pos + 2] * buf[pos + 3] * 8


def _gs_upper_v_length(buf: Buffer, pos: int) -> int | None:
    """GS V m (cut) or GS V m n (feed and cut)."""
    if len(buf) < pos + 3:
        return None
    m = buf[pos + 2]
    if m in (0, 1, 48, 49):
        return 3
    return 4 if m in (65, 66, 97, 98, 103, 104) else UNKNOWN


def _esc_amp_length(buf: Buffer, pos: int) -> int | None:
    """ESC & y c1 c2 [x d1..d(y*x)] for each character c1..c2 (user-defined characters)."""
    if len(buf) < pos + 5:
        return None
    y, c1, c2 = buf[pos + 2], buf[pos + 3], buf[pos + 4]
    i = pos + 5
    for _ in range(c1, c2 + 1):
        if len(buf) <= i:
            return None
        i += 1 + y * buf[i]
    return i - pos


def _fs_q_length(buf: Buffer, pos: int) -> int | None:
    """FS q n [xL xH yL yH d1..d(x*y*8)] n times (define NV bit images)."""
    if len(buf) < pos + 3:
        return None
    i = pos + 3
    for _ in range(buf[pos + 2]):
        if len(buf) < i + 4:
            return None
        i += 4 + _le16(buf, i) * _le16(buf, i + 2) * 8
    return i - pos


def _dle_dc4_length(buf: Buffer, pos: int) -> int | None:
    if len(buf) < pos + 3:
        return None
    return {1: 5, 2: 5, 3: 5, 7: 4, 8: 10}.get(buf[pos + 2], UNKNOWN)


# --- command tables ------------------------------------------------------------------------
# Fixed lengths count the prefix: ESC a n is 3 bytes.

ESC_COMMANDS: dict[int, Command] = {
    0x20: Command("ESC SP", 3, "_right_spacing"),
    0x21: Command("ESC !", 3, "_print_mode"),
    0x24: Command("ESC $", 4, note="absolute print position"),
    0x25: Command("ESC %", 3),
    0x26: Command("ESC &", _esc_amp_length, note="user-defined characters"),
    0x28: Command("ESC (", _paren_length),
    0x2A: Command("ESC *", _esc_star_length, "_bit_image"),
    0x2D: Command("ESC -", 3, "_underline"),
    0x32: Command("ESC 2", 2, "_default_line_spacing"),
    0x33: Command("ESC 3", 3, "_line_spacing"),
    0x3D: Command("ESC =", 3),
    0x3F: Command("ESC ?", 3),
    0x40: Command("ESC @", 2, "_init"),
    0x42: Command("ESC B", 4),  # buzzer on Chinese printers
    0x44: Command("ESC D", _esc_d_upper_length, "_tab_stops"),
    0x45: Command("ESC E", 3, "_emphasized"),
    0x47: Command("ESC G", 3, "_double_strike"),
    0x4A: Command("ESC J", 3, "_feed_dots"),
    0x4C: Command("ESC L", 2, note="page mode"),
    0x4D: Command("ESC M", 3, "_font"),
    0x52: Command("ESC R", 3),
    0x53: Command("ESC S", 2),
    0x54: Command("ESC T", 3, note="page-mode print direction"),
    0x56: Command("ESC V", 3, note="90 degree rotation"),
    0x57: Command("ESC W", 10, note="page-mode print area"),
    0x5C: Command("ESC \\", 4, note="relative print position"),
    0x61: Command("ESC a", 3, "_align"),
    0x63: Command("ESC c", 4),
    0x64: Command("ESC d", 3, "_feed_lines"),
    0x65: Command("ESC e", 3, note="reverse feed"),
    0x69: Command("ESC i", 2, "_partial_cut"),
    0x6D: Command("ESC m", 2, "_partial_cut"),
    0x70: Command("ESC p", 5),  # cash drawer pulse
    0x72: Command("ESC r", 3),
    0x74: Command("ESC t", 3, "_code_page"),
    0x75: Command("ESC u", 3, note="peripheral status request (answered only to DLE EOT)"),
    0x76: Command("ESC v", 2, note="paper status request (answered only to DLE EOT)"),
    0x7B: Command("ESC {", 3, note="upside-down printing"),
}

GS_COMMANDS: dict[int, Command] = {
    0x21: Command("GS !", 3, "_char_size"),
    0x24: Command("GS $", 4, note="page-mode vertical position"),
    0x28: Command("GS (", _paren_length, "_gs_paren"),
    0x2A: Command("GS *", _gs_star_length, note="downloaded bit image"),
    0x2F: Command("GS /", 3, note="downloaded bit image"),
    0x38: Command("GS 8", _gs_8_length, "_gs_8"),
    0x3A: Command("GS :", 2, note="macro definition"),
    0x42: Command("GS B", 3, "_reverse"),
    0x48: Command("GS H", 3),
    0x49: Command("GS I", 3, note="printer ID request (answered only to DLE EOT)"),
    0x4C: Command("GS L", 4, note="left margin"),
    0x50: Command("GS P", 4),
    0x54: Command("GS T", 3),
    0x56: Command("GS V", _gs_upper_v_length, "_cut"),
    0x57: Command("GS W", 4, note="print area width"),
    0x5C: Command("GS \\", 4, note="page-mode relative vertical position"),
    0x5E: Command("GS ^", 5, note="macro execution"),
    0x61: Command("GS a", 3, note="automatic status back (ASB)"),
    0x62: Command("GS b", 3),
    0x66: Command("GS f", 3),
    0x67: Command("GS g", 6),
    0x68: Command("GS h", 3, "_barcode_height"),
    0x6B: Command("GS k", _gs_k_length, "_barcode"),
    0x72: Command("GS r", 3, note="status request (answered only to DLE EOT)"),
    0x76: Command("GS v", _gs_v_length, "_raster"),
    0x77: Command("GS w", 3),
    0x7C: Command("GS |", 3),  # print density
}

FS_COMMANDS: dict[int, Command] = {
    0x21: Command("FS !", 3, "_kanji_print_mode"),
    0x26: Command("FS &", 2, "_kanji_on"),
    0x28: Command("FS (", _paren_length),
    0x2D: Command("FS -", 3, "_kanji_underline"),
    0x2E: Command("FS .", 2, "_kanji_off"),
    0x32: Command("FS 2", 76, note="user-defined Chinese character"),
    0x3F: Command("FS ?", 4),
    0x43: Command("FS C", 3, "_kanji_code_system"),
    0x53: Command("FS S", 4),
    0x57: Command("FS W", 3, "_kanji_quadruple"),
    0x70: Command("FS p", 4, note="NV bit image"),
    0x71: Command("FS q", _fs_q_length, note="NV bit image definition"),
}

DLE_COMMANDS: dict[int, Command] = {
    0x04: Command("DLE EOT", 3, "_status_request", realtime=True),
    0x05: Command("DLE ENQ", 3, realtime=True),
    0x14: Command("DLE DC4", _dle_dc4_length, realtime=True),
}

PREFIXES: dict[int, tuple[str, dict[int, Command]]] = {
    ESC: ("ESC", ESC_COMMANDS),
    GS: ("GS", GS_COMMANDS),
    FS: ("FS", FS_COMMANDS),
    DLE: ("DLE", DLE_COMMANDS),
}

# single control bytes: handler name, or None = ignored without a warning
CONTROLS: dict[int, str | None] = {LF: "_line_feed", HT: "_tab", CR: None, NUL: None, FF: None, CAN: None}


def _is_gb_lead(b: int) -> bool:
    return 0x81 <= b <= 0xFE


def _gb_char_length(buf: Buffer, pos: int) -> int | None:
    """Bytes of the GB18030 character at pos (2 or 4), 0 if invalid, None if incomplete."""
    if not _is_gb_lead(buf[pos]):
        return 0
    if len(buf) < pos + 2:
        return None
    b2 = buf[pos + 1]
    if 0x40 <= b2 <= 0xFE and b2 != 0x7F:
        return 2
    if 0x30 <= b2 <= 0x39:
        if len(buf) < pos + 4:
            return None
        return 4 if _is_gb_lead(buf[pos + 2]) and 0x30 <= buf[pos + 3] <= 0x39 else 0
    return 0


def _hex(data: bytes, limit: int = 8) -> str:
    text = " ".join(f"{b:02X}" for b in data[:limit])
    return text + (" ..." if len(data) > limit else "")


@dataclass
class _Modes:
    """Everything ESC @ resets."""

    align: Align = Align.LEFT
    emphasized: bool = False
    double_strike: bool = False
    underline: int = 0
    width: int = 1
    height: int = 1
    font: str = "A"
    reverse: bool = False
    kanji: bool = False  # FS & ... FS .: bytes >= 0x81 are GB18030 characters
    kanji_width: int = 1
    kanji_height: int = 1
    kanji_underline: int = 0
    code_page: int = 0
    line_spacing: int = DEFAULT_LINE_SPACING
    tab_columns: tuple[int, ...] = DEFAULT_TAB_COLUMNS
    qr_model: int = 2
    qr_module: int = 3
    qr_ecc: str = "L"
    qr_data: bytes | None = None
    barcode_height: int = 162
    graphics: RasterImage | None = None  # GS ( L fn 112 data waiting for fn 50


class EscPosDecoder:
    """Turns an ESC/POS byte stream into `Document`s (one per cut) and `StatusRequest`s.

    Set `discarding` while the printer cannot print (paper out, cover open): commands are
    still framed, so a DLE EOT inside the stream is answered, but nothing else takes effect
    and the bytes are counted in `discarded_bytes`.
    """

    def __init__(self, paper_width: int = 384) -> None:
        self.paper_width = paper_width
        self.discarding = False
        self.discarded_bytes = 0
        self.modes = _Modes()
        self._buf = bytearray()
        self._events: list[Event] = []
        self._doc = Document()
        self._offset = 0  # where the command being carried out starts in the ticket's bytes
        self._line: list[Run] = []
        self._line_x = 0
        self._line_align = Align.LEFT
        self._wrap_warned = False

    # --- input ---------------------------------------------------------------------------

    def feed(self, data: bytes) -> list[Event]:
        """Decode what has arrived; return the tickets finished and status requests, in order."""
        buf = self._buf
        buf += data
        pos = 0
        while pos < len(buf):
            parsed = self._parse(buf, pos)
            if parsed is None:  # a command cut short: wait for the rest
                break
            chunk = bytes(buf[pos : pos + parsed.length])
            pos += parsed.length
            self._execute(parsed, chunk)
        del buf[:pos]
        return self._take_events()

    def end_of_stream(self) -> list[Event]:
        """The host closed the connection: finish what was printed without a cut."""
        if self._buf:
            if self.discarding:
                self.discarded_bytes += len(self._buf)
            else:
                self._offset = len(self._doc.raw)
                self._doc.raw += self._buf
                rest = bytes(self._buf)
                self._warn(f"data ended inside an incomplete command: {_hex(rest)} ({len(rest)} bytes dropped)")
            self._buf.clear()
        if self._line or self._doc.elements:
            self._offset = len(self._doc.raw)
            self._warn("data ended without a cut (GS V): ticket finished at end of connection")
            if self._line:
                self._flush_line()
            self._finish(None)
        else:
            self._doc = Document()  # status requests only: no paper came out
        return self._take_events()

    @property
    def pending_text(self) -> str:
        """Text received but not printed yet (no LF so far)."""
        return TextLine(list(self._line), self._line_align, 0).text()

    def _take_events(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    def _execute(self, parsed: Parsed, chunk: bytes) -> None:
        if self.discarding and not parsed.realtime:
            self.discarded_bytes += len(chunk)
            return
        self._offset = len(self._doc.raw)
        self._doc.raw += chunk
        if parsed.handler is not None:
            parsed.handler(chunk)

    # --- framing ---------------------------------------------------------------------------

    def _parse(self, buf: bytearray, pos: int) -> Parsed | None:
        b = buf[pos]
        if b in PREFIXES:
            return self._parse_command(buf, pos)
        if b < 0x20 or b == 0x7F:
            if b in CONTROLS:
                name = CONTROLS[b]
                return Parsed(1, getattr(self, name) if name else None)
            return Parsed(1, self._unknown_control)
        if b < 0x80:
            end = pos + 1
            while end < len(buf) and 0x20 <= buf[end] < 0x7F:
                end += 1
            return Parsed(end - pos, self._ascii_text)
        if not self.modes.kanji:
            end = pos + 1
            while end < len(buf) and buf[end] >= 0x80:
                end += 1
            return Parsed(end - pos, self._code_page_text)
        return self._parse_gb18030(buf, pos)

    def _parse_command(self, buf: bytearray, pos: int) -> Parsed | None:
        if len(buf) < pos + 2:
            return None
        table = PREFIXES[buf[pos]][1]
        command = table.get(buf[pos + 1])
        if command is None:
            return Parsed(2, self._unknown_command)
        total = command.length if isinstance(command.length, int) else command.length(buf, pos)
        if total is None:
            return None
        if total == UNKNOWN:
            return Parsed(2, self._unknown_command)
        if total > MAX_COMMAND_BYTES:
            return Parsed(2, partial(self._garbled, command, total))
        if len(buf) < pos + total:
            return None
        return Parsed(total, self._handler(command), command.realtime)

    def _parse_gb18030(self, buf: bytearray, pos: int) -> Parsed | None:
        end = pos
        while end < len(buf):
            size = _gb_char_length(buf, end)
            if size is None:  # a character cut in two
                break
            if size == 0:
                if end == pos:
                    return Parsed(1, self._invalid_gb18030)
                break
            end += size
        return Parsed(end - pos, self._gb18030_text) if end > pos else None

    def _handler(self, command: Command) -> Callable[[bytes], None] | None:
        if command.handler:
            return getattr(self, command.handler)
        if command.note:
            return partial(self._not_simulated, command)
        return None

    # --- warnings --------------------------------------------------------------------------

    def _warn(self, message: str) -> None:
        self._doc.warnings.append(f"byte {self._offset}: {message}")

    def _unknown_command(self, chunk: bytes) -> None:
        prefix = PREFIXES[chunk[0]][0]
        second = chunk[1]
        shown = f" ({chr(second)!r})" if 0x20 < second < 0x7F else ""
        self._warn(
            f"unknown command {prefix} 0x{second:02X}{shown}: skipped 2 bytes; "
            "any parameters it has are read as the data that follows"
        )

    def _garbled(self, command: Command, total: int, chunk: bytes) -> None:
        self._warn(f"{command.name} declares {total} bytes, more than any printer takes: header skipped")

    def _unknown_control(self, chunk: bytes) -> None:
        self._warn(f"unknown control byte 0x{chunk[0]:02X} skipped")

    def _not_simulated(self, command: Command, chunk: bytes) -> None:
        self._warn(f"{command.name} ({command.note}) is not simulated: ignored")

    # --- text ------------------------------------------------------------------------------

    def _style(self, wide: bool) -> Style:
        m = self.modes
        width, height, underline = m.width, m.height, m.underline
        if wide:  # FS ! / FS W / FS - add to the size and underline of double-byte characters
            width, height = max(width, m.kanji_width), max(height, m.kanji_height)
            underline = max(underline, m.kanji_underline)
        return Style(
            bold=m.emphasized or m.double_strike,
            underline=underline,
            width=width,
            height=height,
            font=m.font,
            reverse=m.reverse,
            wide=wide,
        )

    def _put_text(self, text: str, wide: bool) -> None:
        style = self._style(wide)
        for char in text:
            if self._line_x + style.advance > self.paper_width and self._line:
                if not self._wrap_warned:
                    self._warn(
                        f"line wider than the paper ({self.paper_width} dots): wrapped after {self.pending_text!r}"
                    )
                    self._wrap_warned = True
                self._flush_line()
            self._append_run_char(char, style)

    def _append_run_char(self, char: str, style: Style) -> None:
        if not self._line:
            self._line_align = self.modes.align
        last = self._line[-1] if self._line else None
        if isinstance(last, TextRun) and last.style == style:
            last.text += char
        else:
            self._line.append(TextRun(char, style))
        self._line_x += style.advance

    def _ascii_text(self, chunk: bytes) -> None:
        self._put_text(chunk.decode("ascii"), wide=False)

    def _gb18030_text(self, chunk: bytes) -> None:
        text = chunk.decode("gb18030", errors="replace")
        if "\ufffd" in text:
            self._warn(f"GB18030 bytes {_hex(chunk)} include unassigned codes: printed as '?'")
            text = text.replace("\ufffd", "?")
        self._put_text(text, wide=True)

    def _invalid_gb18030(self, chunk: bytes) -> None:
        self._warn(f"byte 0x{chunk[0]:02X} does not start a valid GB18030 character: printed as '?'")
        self._put_text("?", wide=False)

    def _code_page_text(self, chunk: bytes) -> None:
        codec = CODE_PAGES.get(self.modes.code_page, "cp437")
        text = chunk.decode(codec, errors="replace").replace("\ufffd", "?")
        hint = ""
        try:
            as_gb = chunk.decode("gb18030")
            if any(ord(c) >= 0x2E80 for c in as_gb):
                hint = f" (as GB18030 they read {as_gb!r})"
        except UnicodeDecodeError:
            pass
        self._warn(
            f"bytes {_hex(chunk)} outside Chinese mode (no FS &) printed as code page "
            f"{self.modes.code_page} characters {text!r}{hint}"
        )
        self._put_text(text, wide=False)

    # --- lines and feeds -------------------------------------------------------------------

    def _flush_line(self, advance: int | None = None) -> None:
        line = TextLine(self._line, self._line_align, 0)
        base = self.modes.line_spacing if advance is None else advance
        line.advance = max(base, line.height)  # tall characters push the paper further
        self._doc.elements.append(line)
        self._line = []
        self._line_x = 0

    def _flush_before_block(self, what: str) -> None:
        """Images, QR codes and cuts are taken at the start of a line only."""
        if self._line:
            self._warn(f"{what} while text {self.pending_text!r} waits for LF: the text is printed first")
            self._flush_line()

    def _feed(self, lines: int, dots: int) -> None:
        if lines or dots:
            self._doc.elements.append(Feed(dots=dots, lines=lines))

    def _line_feed(self, chunk: bytes) -> None:
        self._wrap_warned = False
        if self._line:
            self._flush_line()
        else:
            self._feed(1, self.modes.line_spacing)

    def _feed_lines(self, chunk: bytes) -> None:  # ESC d n: print the buffer and feed n lines
        n = chunk[2]
        self._wrap_warned = False
        if self._line and n:
            self._flush_line()
            n -= 1
        elif self._line:
            self._flush_line(advance=0)
        self._feed(n, n * self.modes.line_spacing)

    def _feed_dots(self, chunk: bytes) -> None:  # ESC J n: print the buffer and feed n dots
        n = chunk[2]
        self._wrap_warned = False
        if self._line:
            self._flush_line(advance=n)
        else:
            self._feed(0, n)

    def _tab(self, chunk: bytes) -> None:
        space = self._style(False)
        column = FONT_A_CELL[0] * space.width
        stop = next((c * column for c in self.modes.tab_columns if c * column > self._line_x), None)
        if stop is None or stop > self.paper_width:
            return  # no tab stop left on this line: HT is ignored
        while self._line_x < stop:
            self._append_run_char(" ", space)

    def _tab_stops(self, chunk: bytes) -> None:
        columns = list(chunk[2:-1])
        for i in range(1, len(columns)):
            if columns[i] <= columns[i - 1]:
                self._warn(f"ESC D tab stops {columns} are not ascending: stops from {columns[i]} on ignored")
                del columns[i:]
                break
        self.modes.tab_columns = tuple(columns)

    def _line_spacing(self, chunk: bytes) -> None:
        self.modes.line_spacing = chunk[2]

    def _default_line_spacing(self, chunk: bytes) -> None:
        self.modes.line_spacing = DEFAULT_LINE_SPACING

    # --- modes -----------------------------------------------------------------------------

    def _init(self, chunk: bytes) -> None:
        if self._line:
            self._warn(f"ESC @ cleared text that had no LF: {self.pending_text!r} is not printed")
            self._line = []
            self._line_x = 0
        self.modes = _Modes()

    def _print_mode(self, chunk: bytes) -> None:  # ESC ! n sets font, bold, size and underline at once
        n = chunk[2]
        m = self.modes
        m.font = "B" if n & 0x01 else "A"
        m.emphasized = bool(n & 0x08)
        m.height = 2 if n & 0x10 else 1
        m.width = 2 if n & 0x20 else 1
        m.underline = 1 if n & 0x80 else 0

    def _char_size(self, chunk: bytes) -> None:  # GS ! n: bits 4-6 width - 1, bits 0-2 height - 1
        n = chunk[2]
        width, height = (n >> 4) + 1, (n & 0x0F) + 1
        if width > 8 or height > 8:
            self._warn(f"GS ! 0x{n:02X} is out of range (multipliers 1..8): ignored")
            return
        self.modes.width, self.modes.height = width, height

    def _emphasized(self, chunk: bytes) -> None:
        self.modes.emphasized = bool(chunk[2] & 1)

    def _double_strike(self, chunk: bytes) -> None:  # on a thermal head it looks like bold
        self.modes.double_strike = bool(chunk[2] & 1)

    def _underline(self, chunk: bytes) -> None:
        n = chunk[2]
        if n not in (0, 1, 2, 48, 49, 50):
            self._warn(f"ESC - {n} is out of range: ignored")
            return
        self.modes.underline = n % 48

    def _font(self, chunk: bytes) -> None:
        n = chunk[2]
        if n not in (0, 1, 48, 49):
            self._warn(f"ESC M {n}: only fonts A and B exist here; font A used")
        self.modes.font = "B" if n in (1, 49) else "A"

    def _reverse(self, chunk: bytes) -> None:
        self.modes.reverse = bool(chunk[2] & 1)

    def _right_spacing(self, chunk: bytes) -> None:
        if chunk[2]:
            self._warn(f"ESC SP {chunk[2]} (extra character spacing) is not simulated: ignored")

    def _align(self, chunk: bytes) -> None:
        n = chunk[2]
        if n not in (0, 1, 2, 48, 49, 50):
            self._warn(f"ESC a {n} is out of range: ignored")
            return
        if self._line:
            self._warn(f"ESC a {n % 48} in the middle of a line: it applies from the next line")
        self.modes.align = Align(n % 48)

    def _code_page(self, chunk: bytes) -> None:
        n = chunk[2]
        self.modes.code_page = n
        self._doc.code_pages.append(n)
        if n not in CODE_PAGES:
            self._warn(f"ESC t {n}: code page not simulated, rendered as CP437")

    def _kanji_on(self, chunk: bytes) -> None:
        self.modes.kanji = True

    def _kanji_off(self, chunk: bytes) -> None:
        self.modes.kanji = False

    def _kanji_print_mode(self, chunk: bytes) -> None:  # FS ! n: bit 2 double width, 3 double height, 7 underline
        n = chunk[2]
        self.modes.kanji_width = 2 if n & 0x04 else 1
        self.modes.kanji_height = 2 if n & 0x08 else 1
        self.modes.kanji_underline = 1 if n & 0x80 else 0

    def _kanji_underline(self, chunk: bytes) -> None:
        n = chunk[2]
        if n not in (0, 1, 2, 48, 49, 50):
            self._warn(f"FS - {n} is out of range: ignored")
            return
        self.modes.kanji_underline = n % 48

    def _kanji_quadruple(self, chunk: bytes) -> None:
        size = 2 if chunk[2] & 1 else 1
        self.modes.kanji_width = self.modes.kanji_height = size

    def _kanji_code_system(self, chunk: bytes) -> None:
        if chunk[2] not in (0, 48):
            self._warn(f"FS C {chunk[2]}: only the GB18030 code system (0) is simulated")

    # --- real-time -------------------------------------------------------------------------

    def _status_request(self, chunk: bytes) -> None:
        self._events.append(StatusRequest(chunk[2]))

    # --- QR codes and graphics -------------------------------------------------------------

    def _gs_paren(self, chunk: bytes) -> None:
        function = chunk[2]
        body = chunk[5:]
        if function == 0x6B:  # GS ( k: 2-D symbols
            self._symbol(body)
        elif function == 0x4C:  # GS ( L: graphics
            self._graphics(body, "GS ( L")
        elif function not in (0x44, 0x4B):  # D: real-time command switches, K: print density
            self._warn(f"GS ( {chr(function)!r} is not simulated: ignored")

    def _gs_8(self, chunk: bytes) -> None:  # GS 8 L: GS ( L with a 32-bit length
        self._graphics(chunk[7:], "GS 8 L")

    def _symbol(self, body: bytes) -> None:
        if len(body) < 2:
            self._warn(f"GS ( k with {len(body)} parameter bytes is too short: ignored")
            return
        cn, fn, args = body[0], body[1], body[2:]
        if cn != 49:
            self._warn(f"GS ( k: {SYMBOLS_2D.get(cn, f'symbol cn={cn}')} is not simulated: ignored")
            return
        m = self.modes
        if fn == 65:  # function 165: model
            model = QR_MODELS.get(args[0] if args else -1)
            if model is None:
                self._warn(f"GS ( k QR model {_hex(args)} is out of range: ignored")
            else:
                m.qr_model = model
        elif fn == 67:  # function 167: module size in dots
            if args and 1 <= args[0] <= 16:
                m.qr_module = args[0]
            else:
                self._warn(f"GS ( k QR module size {_hex(args)} is out of range 1..16: ignored")
        elif fn == 69:  # function 169: error correction level
            ecc = QR_ECC.get(args[0] if args else -1)
            if ecc is None:
                self._warn(f"GS ( k QR error correction {_hex(args)} is out of range 48..51: ignored")
            else:
                m.qr_ecc = ecc
        elif fn == 80:  # function 180: store data (m = 48, then the data)
            if not args or args[0] != 48:
                self._warn("GS ( k QR store: the byte after fn should be 48")
            m.qr_data = bytes(args[1:])
            if not m.qr_data:
                self._warn("GS ( k QR store with no data")
        elif fn == 81:  # function 181: print the stored symbol
            self._flush_before_block("QR print")
            if not m.qr_data:
                self._warn("GS ( k QR print with no data stored: nothing printed")
                return
            if m.qr_model != 2:
                self._warn(f"QR model {m.qr_model} requested: rendered as model 2")
            self._doc.elements.append(QrCode(m.qr_data, m.qr_module, m.qr_ecc, m.qr_model, m.align))
        elif fn == 82:  # function 182: transmit size information
            self._warn("GS ( k QR size request is not answered")
        else:
            self._warn(f"GS ( k QR function {fn + 100} is not simulated: ignored")

    def _graphics(self, body: bytes, name: str) -> None:
        if len(body) < 2:
            self._warn(f"{name} with {len(body)} parameter bytes is too short: ignored")
            return
        fn = body[1]
        if fn == 112:  # store raster graphics: a bx by c xL xH yL yH d1..dk
            if len(body) < 10:
                self._warn(f"{name} fn 112 header is too short: ignored")
                return
            tone, bx, by = body[2], body[3], body[4]
            width, height = _le16(body, 6), _le16(body, 8)
            data = bytes(body[10:])
            if tone != 48:
                self._warn(f"{name} multi-tone graphics: only the first plane is rendered")
            row_bytes = (width + 7) // 8
            data = data[: row_bytes * height].ljust(row_bytes * height, b"\x00")
            self.modes.graphics = RasterImage(Bitmap(width, height, data), self.modes.align, max(1, bx), max(1, by))
        elif fn == 50:  # print the stored graphics
            self._flush_before_block(f"{name} print")
            graphics = self.modes.graphics
            if graphics is None:
                self._warn(f"{name} print with no graphics stored: nothing printed")
                return
            graphics.align = self.modes.align
            self._append_block_image(graphics)
            self.modes.graphics = None
        elif fn != 49:  # 49: dot density, nothing to simulate
            self._warn(f"{name} function {fn} is not simulated: ignored")

    def _append_block_image(self, image: RasterImage) -> None:
        if image.width > self.paper_width:
            self._warn(f"image {image.width} dots wide is wider than the paper ({self.paper_width}): clipped")
        self._doc.elements.append(image)

    def _raster(self, chunk: bytes) -> None:  # GS v 0 m xL xH yL yH d1..dk
        self._flush_before_block("GS v 0 image")
        mode = chunk[3]
        if mode not in (0, 1, 2, 3, 48, 49, 50, 51):
            self._warn(f"GS v 0 mode {mode} is out of range: printed at normal size")
            mode = 0
        width_bytes, height = _le16(chunk, 4), _le16(chunk, 6)
        bitmap = Bitmap(width_bytes * 8, height, chunk[8:])
        self._append_block_image(RasterImage(bitmap, self.modes.align, 2 if mode & 1 else 1, 2 if mode & 2 else 1))

    def _bit_image(self, chunk: bytes) -> None:  # ESC * m nL nH: columns, MSB at the top
        mode, columns = chunk[2], _le16(chunk, 3)
        per_column = 3 if mode >= 32 else 1
        height = 8 * per_column
        row_bytes = (columns + 7) // 8
        rows = bytearray(row_bytes * height)
        data = chunk[5:]
        for x in range(columns):
            for i in range(per_column):
                value = data[x * per_column + i]
                for bit in range(8):
                    if value & (0x80 >> bit):
                        rows[(i * 8 + bit) * row_bytes + x // 8] |= 0x80 >> (x % 8)
        # single density doubles each dot sideways; 8-dot mode is 1/3 the vertical density
        scale_x = 2 if mode in (0, 32) else 1
        scale_y = 3 if mode in (0, 1) else 1
        image = InlineImage(Bitmap(columns, height, bytes(rows)), scale_x, scale_y)
        if self._line_x + image.width > self.paper_width:
            self._warn(f"ESC * image {image.width} dots wide does not fit the line: clipped")
        if not self._line:
            self._line_align = self.modes.align
        self._line.append(image)
        self._line_x += image.width

    def _barcode_height(self, chunk: bytes) -> None:
        self.modes.barcode_height = max(1, chunk[2])

    def _barcode(self, chunk: bytes) -> None:
        self._flush_before_block("GS k barcode")
        system = chunk[2]
        data = chunk[3:-1] if system <= 6 else chunk[4:]
        self._warn(f"GS k barcode (system {system}) drawn as a placeholder box")
        self._doc.elements.append(Barcode(system, bytes(data), self.modes.barcode_height, self.modes.align))

    # --- cuts ------------------------------------------------------------------------------

    def _cut(self, chunk: bytes) -> None:  # GS V m [n]
        mode = chunk[2]
        self._flush_before_block("cut")
        if len(chunk) == 4 and mode in (65, 66):  # feed n dots, then cut
            self._feed(0, chunk[3])
        self._finish("full" if mode in (0, 48, 65, 97, 103) else "partial")

    def _partial_cut(self, chunk: bytes) -> None:  # ESC i / ESC m
        self._flush_before_block("cut")
        self._finish("partial")

    def _finish(self, cut: str | None) -> None:
        self._doc.cut = cut
        self._events.append(self._doc)
        self._doc = Document()
        self._wrap_warned = False
