"""The weighing-module driver: a reader thread that turns a port into readings.

The thread owns the transport and the parser. It polls polled protocols, sends the
zero/tare/clear-tare commands callers queue, notices silence ("no data"), and when the
port disappears (USB pulled) it keeps trying to reopen it with a short backoff so the
scale is back within a couple of seconds of the cable returning.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from enum import StrEnum

from edge.core.reading import CommandReply, Reading
from edge.scale_driver.protocols import ProtocolSpec, SerialSettings, get_protocol
from edge.scale_driver.transport import PortBusyError, SerialTransport, TransportError


class LinkState(StrEnum):
    CONNECTING = "connecting"  # port open, no valid frame yet
    ONLINE = "online"  # valid frames arriving
    NO_DATA = "no_data"  # port open but silent (or only garbage) for silence_s
    DISCONNECTED = "disconnected"  # port missing or broken; reconnecting
    STOPPED = "stopped"


_MESSAGES: dict[LinkState, tuple[str, str]] = {
    LinkState.CONNECTING: ("正在连接称重模块…", "Connecting to the weighing module…"),
    LinkState.ONLINE: ("称重模块正常", "Weighing module online"),
    LinkState.NO_DATA: (
        "称重模块无数据：请检查连接线、协议和波特率设置",
        "No data from the weighing module: check the cable, protocol and baud rate",
    ),
    LinkState.DISCONNECTED: (
        "称重模块已断开：请检查连接线，插回后会自动重连",
        "Weighing module disconnected: check the cable; it reconnects by itself when plugged back",
    ),
    LinkState.STOPPED: ("称重已停止", "Weighing stopped"),
}


@dataclass(frozen=True, slots=True)
class LinkStatus:
    state: LinkState
    detail: str = ""  # the technical cause, for the technician screen and logs

    def text(self, lang: str = "zh") -> str:
        zh, en = _MESSAGES[self.state]
        return zh if lang == "zh" else en


class DriverError(Exception):
    """A command could not be carried out; the message says why and what to do."""


@dataclass(slots=True)
class _Command:
    name: str
    payload: bytes
    future: Future[CommandReply]


class ScaleDriver:
    """Reads one weighing module in a background thread and hands readings to subscribers."""

    def __init__(
        self,
        port: str,
        protocol: ProtocolSpec | str,
        *,
        baud: int | None = None,
        silence_s: float = 1.0,
        poll_interval_s: float = 0.05,
        poll_timeout_s: float = 0.5,
        reconnect_min_s: float = 0.1,
        reconnect_max_s: float = 1.0,
        raw_history: int = 50,
    ) -> None:
        self.spec = get_protocol(protocol) if isinstance(protocol, str) else protocol
        settings = self.spec.serial
        if baud is not None:
            settings = SerialSettings(baud, settings.bytesize, settings.parity, settings.stopbits)
        self.transport = SerialTransport(port, settings)
        self.parser = self.spec.new_parser()
        self.silence_s = silence_s
        self.poll_interval_s = poll_interval_s
        self.poll_timeout_s = poll_timeout_s
        self.reconnect_min_s = reconnect_min_s
        self.reconnect_max_s = reconnect_max_s
        self.latest: Reading | None = None
        self.status = LinkStatus(LinkState.STOPPED)
        self.port_busy = ""  # why the last open failed when another process holds the port, else ""
        self.raw_frames: deque[bytes] = deque(maxlen=raw_history)  # technician's live view
        self._reading_subscribers: list[Callable[[Reading], None]] = []
        self._status_subscribers: list[Callable[[LinkStatus], None]] = []
        self._commands: queue.Queue[_Command] = queue.Queue()
        self._pending: _Command | None = None
        self._pending_sent = 0.0
        self.command_timeout_s = 3.0  # a reply later than this is given up on
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- subscribers ------------------------------------------------------------------
    def subscribe(self, callback: Callable[[Reading], None]) -> None:
        """Called in the reader thread for every reading; keep it quick."""
        self._reading_subscribers.append(callback)

    def subscribe_status(self, callback: Callable[[LinkStatus], None]) -> None:
        self._status_subscribers.append(callback)

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> ScaleDriver:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"scale-{self.spec.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None
        self.transport.close()
        self._set_status(LinkState.STOPPED)

    def __enter__(self) -> ScaleDriver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- commands -----------------------------------------------------------------------
    def zero(self, timeout_s: float = 2.0) -> CommandReply:
        return self.command("zero", timeout_s)

    def tare(self, timeout_s: float = 2.0) -> CommandReply:
        return self.command("tare", timeout_s)

    def clear_tare(self, timeout_s: float = 2.0) -> CommandReply:
        return self.command("clear_tare", timeout_s)

    def command(self, name: str, timeout_s: float = 2.0) -> CommandReply:
        """Send a module command and wait for its reply."""
        payload = self.spec.commands.get(name)
        if payload is None:
            raise DriverError(
                f"the {self.spec.name} protocol has no {name} command; "
                "use the scale's own zero/tare keys (software zero and tare)"
            )
        if self._thread is None:
            raise DriverError("the scale driver is not running")
        future: Future[CommandReply] = Future()
        self._commands.put(_Command(name, payload, future))
        try:
            return future.result(timeout=timeout_s)
        except FutureTimeout:
            raise DriverError(
                f"the weighing module did not answer the {name} command within {timeout_s:.1f} s; "
                "check the connection and that the protocol setting matches the module"
            ) from None

    # -- reader thread ------------------------------------------------------------------
    def _run(self) -> None:
        backoff = self.reconnect_min_s
        while not self._stop.is_set():
            if not self.transport.is_open:
                try:
                    self.transport.open()
                except TransportError as exc:
                    self.port_busy = str(exc) if isinstance(exc, PortBusyError) else ""
                    self._set_status(LinkState.DISCONNECTED, str(exc))
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, self.reconnect_max_s)
                    continue
                backoff = self.reconnect_min_s
                self.port_busy = ""
                self.parser = self.spec.new_parser()  # a fresh frame hunt after reconnecting
                self._set_status(LinkState.CONNECTING, self.transport.port)
                self._serve()
        self.transport.close()

    def _serve(self) -> None:
        """Read until the port breaks or the driver stops."""
        now = time.monotonic()
        last_frame = now
        last_poll = 0.0
        awaiting_poll = False
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if self._pending is not None and now - self._pending_sent > self.command_timeout_s:
                    self._fail_pending("no reply")
                if not self.spec.continuous:
                    # A polled module answers in order: a command sent while a poll reply is
                    # on its way would be credited with that reply (8217 status frames).
                    if self._pending is None and not awaiting_poll and not self._commands.empty():
                        self._send_command(self._commands.get_nowait())
                    elif (not awaiting_poll and now - last_poll >= self.poll_interval_s) or (
                        awaiting_poll and now - last_poll >= self.poll_timeout_s
                    ):
                        assert self.spec.poll is not None
                        self.transport.write(self.spec.poll)
                        last_poll, awaiting_poll = now, True
                elif self._pending is None and not self._commands.empty():
                    self._send_command(self._commands.get_nowait())
                data = self.transport.read()
                if data:
                    for event in self.parser.feed(data):
                        if isinstance(event, Reading):
                            last_frame = time.monotonic()
                            awaiting_poll = False
                            self._deliver(event)
                        else:
                            self._complete(event)
                if time.monotonic() - last_frame > self.silence_s:
                    self._set_status(LinkState.NO_DATA, self.parser.last_rejection)
                    awaiting_poll = False
        except TransportError as exc:
            self.transport.close()
            self._fail_pending(f"the weighing module disconnected: {exc}")
            self._set_status(LinkState.DISCONNECTED, str(exc))

    def _send_command(self, command: _Command) -> None:
        self.parser.note_sent(command.name)
        self._pending = command
        self._pending_sent = time.monotonic()
        try:
            self.transport.write(command.payload)
        except TransportError:
            self._pending = None
            command.future.set_exception(DriverError("the weighing module is disconnected"))
            raise

    def _complete(self, reply: CommandReply) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and not pending.future.done():
            pending.future.set_result(reply)

    def _fail_pending(self, why: str) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and not pending.future.done():
            pending.future.set_exception(DriverError(f"the {pending.name} command failed: {why}"))

    def _deliver(self, reading: Reading) -> None:
        self.latest = reading
        self.raw_frames.append(reading.raw)
        if self.status.state is not LinkState.ONLINE:
            self._set_status(LinkState.ONLINE)
        for callback in self._reading_subscribers:
            callback(reading)

    def _set_status(self, state: LinkState, detail: str = "") -> None:
        if self.status.state is state:
            return
        self.status = LinkStatus(state, detail)
        for callback in self._status_subscribers:
            callback(self.status)
