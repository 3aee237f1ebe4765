"""Real-time printer status: DLE EOT n requests and their one-byte answers.

n = 1 printer, 2 offline cause, 3 error cause, 4 paper roll sensor (Epson ESC/POS). Every
genuine answer byte has bit 1 and bit 4 set and bit 7 clear; anything else is line noise or
a wrong baud rate and is not trusted. A printer that does not answer at all is offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from edge.printer import commands as cmd
from edge.printer.errors import PrinterError

STATUS_MASK = 0x92  # bits 7, 4, 1
STATUS_PATTERN = 0x12  # bit 7 clear, bits 4 and 1 set

# n = 1
PRINTER_OFFLINE = 0x08
# n = 2
OFFLINE_COVER_OPEN = 0x04
OFFLINE_PAPER_END = 0x20
OFFLINE_ERROR = 0x40
# n = 3
ERROR_MECHANICAL = 0x04
ERROR_CUTTER = 0x08
ERROR_UNRECOVERABLE = 0x20
ERROR_AUTO_RECOVERABLE = 0x40  # e.g. head too hot: clears by itself
# n = 4
PAPER_NEAR_END = 0x0C
PAPER_END = 0x60

REQUESTS = {n: cmd.status_request(n) for n in (1, 2, 3, 4)}

MESSAGES = {
    "ok": "打印机正常 / Printer ready",
    "paper_near_end": "纸卷快用完，请准备新纸卷 / Paper near end: have a new roll ready",
    "paper_out": "打印机缺纸，请装纸 / Printer out of paper: load paper",
    "cover_open": "打印机盖未合上，请合上盖子 / Printer cover open: close the cover",
    "cutter": "切刀卡纸，请打开盖子取出卡纸 / Cutter jammed: open the cover and clear the paper",
    "head_hot": "打印头过热，请稍候 / Print head too hot: wait a moment",
    "error": "打印机故障，请关闭电源再打开 / Printer error: switch the printer off and on again",
    "offline": "打印机脱机，请检查打印机 / Printer offline: check the printer",
    "no_answer": "打印机无应答，请检查电源和连接线 / Printer not answering: check its power and cable",
    "bad_answer": (
        "打印机应答无法识别，请检查波特率和打印机型号 / "
        "Printer answer not understood: check the baud rate and printer model"
    ),
    "unchecked": "此连接无法读取打印机状态 / Printer status not available on this connection",
}


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """What the UI and heartbeat show; ``ready`` says whether a ticket may be sent now."""

    online: bool
    cover_open: bool = False
    paper_out: bool = False
    paper_near_end: bool = False
    error: bool = False
    code: str = "ok"  # key of MESSAGES, or "connection"
    message: str = MESSAGES["ok"]
    raw: bytes = b""  # answer bytes for n = 1, 2, 3, 4 as received

    @property
    def ready(self) -> bool:
        return self.online and not (self.cover_open or self.paper_out or self.error)

    def to_dict(self) -> dict[str, Any]:
        return {
            "online": self.online,
            "ready": self.ready,
            "cover_open": self.cover_open,
            "paper_out": self.paper_out,
            "paper_near_end": self.paper_near_end,
            "error": self.error,
            "code": self.code,
            "message": self.message,
        }


NO_ANSWER = PrinterStatus(online=False, code="no_answer", message=MESSAGES["no_answer"])
UNCHECKED = PrinterStatus(online=True, code="unchecked", message=MESSAGES["unchecked"])


def connection_failed(error: Exception) -> PrinterStatus:
    return PrinterStatus(
        online=False, code="connection", message=f"打印机连接失败 / Printer connection failed: {error}"
    )


def is_status_byte(value: int) -> bool:
    return (value & STATUS_MASK) == STATUS_PATTERN


def _error_code(err: int) -> str:
    if err & ERROR_CUTTER:
        return "cutter"
    if err & (ERROR_MECHANICAL | ERROR_UNRECOVERABLE):
        return "error"
    if err & ERROR_AUTO_RECOVERABLE:
        return "head_hot"
    return "error"  # offline cause says "error" but the cause is unknown


def parse_status(
    printer: int | None,
    offline_cause: int | None = None,
    error_cause: int | None = None,
    paper: int | None = None,
) -> PrinterStatus:
    """Combine the answers to DLE EOT 1..4 (None = not asked / no answer) into one status."""
    raw = bytes(b for b in (printer, offline_cause, error_cause, paper) if b is not None)
    if printer is None:
        return NO_ANSWER
    if not all(is_status_byte(b) for b in raw):
        return PrinterStatus(online=False, code="bad_answer", message=MESSAGES["bad_answer"], raw=raw)
    off = offline_cause or 0
    err = error_cause or 0
    roll = paper or 0
    cover_open = bool(off & OFFLINE_COVER_OPEN)
    paper_out = bool(off & OFFLINE_PAPER_END) or bool(roll & PAPER_END)
    near_end = bool(roll & PAPER_NEAR_END) or paper_out  # an empty roll is also "near end"
    error = bool(off & OFFLINE_ERROR) or bool(
        err & (ERROR_MECHANICAL | ERROR_CUTTER | ERROR_UNRECOVERABLE | ERROR_AUTO_RECOVERABLE)
    )
    online = not (printer & PRINTER_OFFLINE)
    if cover_open:
        code = "cover_open"
    elif paper_out:
        code = "paper_out"
    elif error:
        code = _error_code(err)
    elif not online:
        code = "offline"
    elif near_end:
        code = "paper_near_end"
    else:
        code = "ok"
    return PrinterStatus(
        online=online,
        cover_open=cover_open,
        paper_out=paper_out,
        paper_near_end=near_end,
        error=error,
        code=code,
        message=MESSAGES[code],
        raw=raw,
    )


class StatusPort(Protocol):
    """What a status query needs from a connection (every class in ``connections`` has it)."""

    def write(self, data: bytes) -> None: ...

    def read(self, size: int, timeout_s: float) -> bytes: ...


def _ask(conn: StatusPort, n: int, timeout_s: float) -> int | None:
    conn.write(REQUESTS[n])
    answer = conn.read(1, timeout_s)
    return answer[0] if answer else None


def query_status(conn: StatusPort, timeout_s: float = 0.5) -> PrinterStatus:
    """Ask the printer DLE EOT 1, 2, 4 (and 3 when it reports an error). Never raises."""
    try:
        conn.read(256, 0.0)  # drop a late answer to an earlier query, or it would shift every reply
        printer = _ask(conn, cmd.STATUS_PRINTER, timeout_s)
        if printer is None or not is_status_byte(printer):
            return parse_status(printer)
        offline = _ask(conn, cmd.STATUS_OFFLINE_CAUSE, timeout_s)
        paper = _ask(conn, cmd.STATUS_PAPER, timeout_s)
        error = None
        if offline is not None and is_status_byte(offline) and offline & OFFLINE_ERROR:
            error = _ask(conn, cmd.STATUS_ERROR_CAUSE, timeout_s)
        return parse_status(printer, offline, error, paper)
    except PrinterError as exc:
        return connection_failed(exc)
