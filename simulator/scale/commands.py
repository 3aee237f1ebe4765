"""Answering the host's commands the way a polled module does (mt-sics, toledo-8217).

A responder turns host bytes into reply frames. It never blocks: a command that a real
module holds back (MT-SICS `S` waits up to 1 s for stability) stays queued and
``poll()`` releases its reply once the module has settled or the wait has run out.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

from simulator.scale.frames import (
    WeightFormat,
    mtsics_line,
    mtsics_value_reply,
    mtsics_weight_reply,
    toledo_8217_answer,
    toledo_8217_status,
)
from simulator.scale.module import WeighingModule


class Responder(Protocol):
    def feed(self, data: bytes) -> list[bytes]:
        """Take host bytes; return the replies that are ready now, one frame each."""
        ...

    def poll(self) -> list[bytes]:
        """Replies that became ready since the last call (commands waiting on the module)."""
        ...

    @property
    def pending(self) -> bool: ...

    def reset(self) -> None:
        """Forget half-received and queued commands (the line was unplugged)."""
        ...


class MtSicsResponder:
    """MT-SICS level 0/1: S, SI, Z, T, TA, TAC; anything else is a syntax error (`ES`)."""

    STABLE_WAIT_S = 1.0  # `S` waits this long for stability before answering `S I`
    MAX_LINE = 64

    def __init__(self, module: WeighingModule, fmt: WeightFormat) -> None:
        self.module = module
        self.fmt = fmt
        self._buffer = bytearray()
        self._queue: deque[tuple[bytes, float]] = deque()

    @property
    def pending(self) -> bool:
        return bool(self._queue)

    def reset(self) -> None:
        self._buffer.clear()
        self._queue.clear()

    def feed(self, data: bytes) -> list[bytes]:
        now = self.module.clock()
        self._buffer += data
        while (end := self._buffer.find(b"\n")) >= 0:
            line = bytes(self._buffer[:end]).rstrip(b"\r")
            del self._buffer[: end + 1]
            self._queue.append((line, now))
        if len(self._buffer) > self.MAX_LINE:
            self._buffer.clear()
            self._queue.append((b"\xff", now))  # answered ET like any garbled line
        return self.poll()

    def poll(self) -> list[bytes]:
        replies: list[bytes] = []
        while self._queue:
            line, received_at = self._queue[0]
            reply = self._answer(line, received_at)
            if reply is None:  # `S` still waiting for the module to settle
                break
            self._queue.popleft()
            if reply:
                replies.append(reply)
        return replies

    def _answer(self, line: bytes, received_at: float) -> bytes | None:
        if any(b < 0x20 or b > 0x7E for b in line):
            return mtsics_line("ET")
        command = line.decode("ascii").strip()
        if not command:
            return b""  # a bare CR LF: nothing to answer
        module = self.module
        if command == "S":
            sample = module.sample()
            if sample.out_of_range or sample.stable:
                return mtsics_weight_reply(sample, self.fmt)
            if module.clock() - received_at >= self.STABLE_WAIT_S:
                return mtsics_line("S", "I")
            return None
        if command == "SI":
            return mtsics_weight_reply(module.sample(), self.fmt)
        if command == "Z":
            return mtsics_line("Z", module.zero().outcome.value)
        if command == "T":
            result = module.tare()
            if result.ok:
                return mtsics_value_reply("T", "S", result.tare_g, self.fmt)
            return mtsics_line("T", result.outcome.value)
        if command == "TA":
            return mtsics_value_reply("TA", "A", module.tare_g, self.fmt)
        if command == "TAC":
            return mtsics_line("TAC", module.clear_tare().outcome.value)
        return mtsics_line("ES")


class Toledo8217Responder:
    """Single-byte commands W, Z, T, C; other bytes (CR, LF, noise) are ignored like the real module."""

    def __init__(self, module: WeighingModule) -> None:
        self.module = module

    @property
    def pending(self) -> bool:
        return False

    def reset(self) -> None:
        pass

    def feed(self, data: bytes) -> list[bytes]:
        replies: list[bytes] = []
        module = self.module
        for byte in data:
            command = chr(byte)
            if command == "W":
                replies.append(toledo_8217_answer(module.sample()))
            elif command in ("Z", "T", "C"):
                {"Z": module.zero, "T": module.tare, "C": module.clear_tare}[command]()
                replies.append(toledo_8217_status(module.sample()))
        return replies

    def poll(self) -> list[bytes]:
        return []
