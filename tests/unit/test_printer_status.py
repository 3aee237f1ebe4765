"""DLE EOT status requests and the parsing of the printer's answers."""

from __future__ import annotations

import pytest

from edge.printer.errors import PrinterError
from edge.printer.status import (
    MESSAGES,
    NO_ANSWER,
    REQUESTS,
    is_status_byte,
    parse_status,
    query_status,
)


def test_requests() -> None:
    assert REQUESTS == {1: b"\x10\x04\x01", 2: b"\x10\x04\x02", 3: b"\x10\x04\x03", 4: b"\x10\x04\x04"}


def test_status_byte_pattern() -> None:
    assert is_status_byte(0x12)  # bits 1 and 4 set, bit 7 clear
    assert is_status_byte(0x72) and is_status_byte(0x1E) and is_status_byte(0x16)
    for bad in (0x00, 0x02, 0x10, 0x92, 0xFF, 0x0A, ord("A")):
        assert not is_status_byte(bad), hex(bad)


# (printer, offline cause, error cause, paper) -> expected fields
TABLE = [
    pytest.param((0x12, 0x12, None, 0x12), dict(code="ok", ready=True, online=True), id="ready"),
    pytest.param(
        (0x12, 0x12, None, 0x1E),
        dict(code="paper_near_end", ready=True, paper_near_end=True, paper_out=False),
        id="paper-near-end",
    ),
    pytest.param(
        (0x1A, 0x32, None, 0x72),
        dict(code="paper_out", ready=False, online=False, paper_out=True, paper_near_end=True),
        id="paper-out",
    ),
    pytest.param(
        (0x12, 0x12, None, 0x72), dict(code="paper_out", ready=False, paper_out=True), id="paper-out-sensor-only"
    ),
    pytest.param((0x1A, 0x16, None, 0x12), dict(code="cover_open", ready=False, cover_open=True), id="cover-open"),
    pytest.param(
        (0x1A, 0x36, None, 0x72),
        dict(code="cover_open", ready=False, cover_open=True, paper_out=True),
        id="cover-open-and-paper-out",
    ),
    pytest.param((0x1A, 0x52, 0x1A, 0x12), dict(code="cutter", ready=False, error=True), id="cutter-jam"),
    pytest.param((0x1A, 0x52, 0x52, 0x12), dict(code="head_hot", ready=False, error=True), id="head-hot"),
    pytest.param((0x1A, 0x52, 0x32, 0x12), dict(code="error", ready=False, error=True), id="unrecoverable"),
    pytest.param((0x1A, 0x12, None, 0x12), dict(code="offline", ready=False, online=False), id="offline"),
    pytest.param((0xFF, None, None, None), dict(code="bad_answer", ready=False, online=False), id="garbage"),
    pytest.param((0x12, 0x00, None, 0x12), dict(code="bad_answer", ready=False), id="garbage-later"),
    pytest.param((None, None, None, None), dict(code="no_answer", ready=False, online=False), id="no-answer"),
]


@pytest.mark.parametrize("answers,expected", TABLE)
def test_parse_table(answers: tuple[int | None, ...], expected: dict[str, object]) -> None:
    status = parse_status(*answers)
    for name, value in expected.items():
        assert getattr(status, name) == value, name
    assert status.message == MESSAGES[status.code]
    assert " / " in status.message  # Chinese first, then English


def test_paper_out_message() -> None:
    assert parse_status(0x1A, 0x32, None, 0x72).message == "打印机缺纸，请装纸 / Printer out of paper: load paper"
    assert NO_ANSWER.to_dict()["online"] is False


class ScriptedPrinter:
    """Answers DLE EOT n from a table; records what was asked."""

    def __init__(self, answers: dict[int, int], stale: bytes = b"") -> None:
        self.answers = answers
        self.pending = bytearray(stale)
        self.asked: list[int] = []

    def write(self, data: bytes) -> None:
        assert data[:2] == b"\x10\x04"
        self.asked.append(data[2])
        if data[2] in self.answers:
            self.pending.append(self.answers[data[2]])

    def read(self, size: int, timeout_s: float) -> bytes:
        out = bytes(self.pending[:size])
        del self.pending[:size]
        return out


def test_query_ready_printer() -> None:
    printer = ScriptedPrinter({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}, stale=b"\x1e")
    status = query_status(printer, timeout_s=0.01)
    assert status.code == "ok" and status.ready
    assert printer.asked == [1, 2, 4]  # n = 3 only when the offline cause reports an error
    assert status.raw == b"\x12\x12\x12"


def test_query_asks_error_cause_on_error() -> None:
    printer = ScriptedPrinter({1: 0x1A, 2: 0x52, 3: 0x1A, 4: 0x12})
    status = query_status(printer, timeout_s=0.01)
    assert printer.asked == [1, 2, 4, 3]
    assert status.code == "cutter"


def test_query_paper_out() -> None:
    status = query_status(ScriptedPrinter({1: 0x1A, 2: 0x32, 4: 0x72}), timeout_s=0.01)
    assert status.paper_out and not status.ready


def test_query_silent_printer_is_offline() -> None:
    printer = ScriptedPrinter({})
    status = query_status(printer, timeout_s=0.01)
    assert status == NO_ANSWER and not status.online
    assert printer.asked == [1]  # no point asking the rest


def test_query_garbage_stops_early() -> None:
    printer = ScriptedPrinter({1: 0x41, 2: 0x12, 4: 0x12})
    status = query_status(printer, timeout_s=0.01)
    assert status.code == "bad_answer" and printer.asked == [1]


def test_query_broken_connection_never_raises() -> None:
    class Broken:
        def write(self, data: bytes) -> None:
            raise PrinterError("cable pulled")

        def read(self, size: int, timeout_s: float) -> bytes:
            return b""

    status = query_status(Broken())
    assert status.code == "connection" and not status.ready
    assert "cable pulled" in status.message
