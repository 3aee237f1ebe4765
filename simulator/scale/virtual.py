"""`VirtualScale`: one weighing module (physical model + protocol + faults), link-independent.

Links (pty, TCP) open a `ScaleSession` on it and shuttle bytes; tests can use the
session directly with a fake clock and never touch a file descriptor.
"""

from __future__ import annotations

import math
import threading
import time

from simulator.scale.commands import MtSicsResponder, Responder, Toledo8217Responder
from simulator.scale.faults import FaultInjector, FaultKind
from simulator.scale.frames import (
    TOLEDO_8217_MAX_G,
    Sample,
    WeightFormat,
    ascii_stgs_tare_line,
    get_protocol,
)
from simulator.scale.module import Clock, KeyResult, ModuleConfig, WeighingModule

MAX_RATE_HZ = 2000


class VirtualScale:
    """A virtual weighing module speaking one protocol of docs/protocols.md.

    Thread-safe: the scenario, the CLI and a link's serving thread may all call it.
    """

    def __init__(
        self,
        protocol: str = "mt-sics",
        *,
        seed: int = 0,
        max_g: int = 15_000,
        e_g: int = 5,
        rate_hz: float = 20.0,
        unit: str = "kg",
        decimals: int | None = None,
        settle_s: float = 0.8,
        clock: Clock = time.monotonic,
    ) -> None:
        self.spec = get_protocol(protocol)
        if unit not in self.spec.units:
            raise ValueError(f"{protocol} reports in {' or '.join(self.spec.units)}, not {unit!r}")
        if not 0 < rate_hz <= MAX_RATE_HZ:
            raise ValueError(f"output rate must be between 0 and {MAX_RATE_HZ} frames/s, not {rate_hz}")
        self.fmt = WeightFormat(unit, decimals) if decimals is not None else WeightFormat.for_division(unit, e_g)
        self.fmt.division_counts(e_g)  # raises if the format cannot show e exactly
        config = ModuleConfig(max_g=max_g, e_g=e_g, settle_s=settle_s, seed=seed)
        if self.spec.name == "toledo-8217" and (self.fmt.decimals != 3 or config.overload_above_g > TOLEDO_8217_MAX_G):
            raise ValueError("toledo-8217 sends WW.WWW kg: needs kg with 3 decimals and Max + 9 e <= 99.999 kg")
        self.spec.weight_frame(Sample(0), self.fmt, e_g)  # fail now, not in the serving thread
        self.rate_hz = rate_hz
        self.seed = seed
        self.module = WeighingModule(config, clock)
        self.faults = FaultInjector(self.spec, seed)
        self._lock = threading.RLock()
        self._silent_until = -math.inf

    # --- description ---------------------------------------------------------------------

    @property
    def protocol(self) -> str:
        return self.spec.name

    @property
    def streaming(self) -> bool:
        return self.spec.streaming

    @property
    def frame_interval_s(self) -> float:
        return 1.0 / self.rate_hz

    @property
    def clock(self) -> Clock:
        return self.module.clock

    @property
    def e_g(self) -> int:
        return self.module.config.e_g

    @property
    def max_g(self) -> int:
        return self.module.config.max_g

    # --- the platter and the keys ----------------------------------------------------------

    def put(self, load_g: int) -> None:
        with self._lock:
            self.module.put(load_g)

    def remove(self) -> None:
        with self._lock:
            self.module.remove()

    def overload(self) -> None:
        with self._lock:
            self.module.overload()

    def underload(self) -> None:
        with self._lock:
            self.module.underload()

    def set_drift(self, g_per_min: int) -> None:
        with self._lock:
            self.module.set_drift(g_per_min)

    def zero(self) -> KeyResult:
        with self._lock:
            return self.module.zero()

    def tare(self) -> KeyResult:
        with self._lock:
            return self.module.tare()

    def clear_tare(self) -> KeyResult:
        with self._lock:
            return self.module.clear_tare()

    def set_module_error(self, error: str) -> None:
        """Set a module fault, "ram" or "eeprom" (toledo-8217 status bits); "" repairs it."""
        if error not in ("", "ram", "eeprom"):
            raise ValueError(f"module error must be 'ram', 'eeprom' or '', not {error!r}")
        with self._lock:
            self.module.module_error = error

    def sample(self) -> Sample:
        with self._lock:
            return self.module.sample()

    def settled(self) -> bool:
        with self._lock:
            return self.module.is_stable()

    def weight_frame(self) -> bytes:
        """What the module shows now, encoded cleanly (no faults): a streamed frame or weight answer."""
        with self._lock:
            return self.spec.weight_frame(self.module.sample(), self.fmt, self.e_g)

    # --- faults --------------------------------------------------------------------------

    def inject(self, kind: FaultKind | str, count: int = 1) -> None:
        """Spoil the next ``count`` frames: "garbage", "truncate" or "bad-checksum"."""
        with self._lock:
            self.faults.inject(kind, count)

    def silence(self, seconds: float) -> None:
        """Send and answer nothing for ``seconds`` (commands arriving meanwhile are lost)."""
        if seconds < 0:
            raise ValueError("silence needs a duration >= 0 s")
        with self._lock:
            self._silent_until = self.clock() + seconds

    def silenced(self) -> bool:
        return self.clock() < self._silent_until

    def open_session(self) -> ScaleSession:
        return ScaleSession(self)


class ScaleSession:
    """The module's side of one connection: command parsing state and stream bookkeeping."""

    TARE_REPEAT_S = 1.0  # ascii-stgs: repeat an active tare so a late host learns it

    def __init__(self, scale: VirtualScale) -> None:
        self.scale = scale
        self._responder: Responder | None = {
            "mt-sics": lambda: MtSicsResponder(scale.module, scale.fmt),
            "toledo-8217": lambda: Toledo8217Responder(scale.module),
        }.get(scale.protocol, lambda: None)()
        self._tare_sent = 0
        self._frames_since_tare = 0

    @property
    def pending(self) -> bool:
        return self._responder is not None and self._responder.pending

    def reset(self) -> None:
        """A new connection: forget half-received commands and what the host was told."""
        with self.scale._lock:
            if self._responder is not None:
                self._responder.reset()
            self._tare_sent = 0
            self._frames_since_tare = 0

    def feed(self, data: bytes) -> bytes:
        """Host bytes in, reply bytes out (streaming modules ignore what the host sends)."""
        with self.scale._lock:
            if self._responder is None:
                return b""
            if self.scale.silenced():
                self._responder.reset()
                return b""
            return self._on_wire(self._responder.feed(data))

    def poll(self) -> bytes:
        """Replies that became ready without new input (a waiting MT-SICS `S`)."""
        with self.scale._lock:
            if self._responder is None or self.scale.silenced():
                return b""
            return self._on_wire(self._responder.poll())

    def stream_frame(self) -> bytes:
        """The bytes of the next streamed frame (b"" while silenced or for a polled protocol)."""
        with self.scale._lock:
            if not self.scale.streaming or self.scale.silenced():
                return b""
            return self._weight_frames()

    def unsolicited_frame(self) -> bytes:
        """One weight frame now, for benchmarks: the streamed frame, or a polled module's weight answer."""
        with self.scale._lock:
            return self._weight_frames()

    def _weight_frames(self) -> bytes:
        return self._on_wire([*self._tare_lines(), self.scale.weight_frame()])

    def _tare_lines(self) -> list[bytes]:
        scale = self.scale
        if scale.protocol != "ascii-stgs":
            return []
        tare = scale.module.tare_g
        self._frames_since_tare += 1
        repeat_every = max(1, round(self.TARE_REPEAT_S * scale.rate_hz))
        if tare == self._tare_sent and not (tare and self._frames_since_tare >= repeat_every):
            return []
        self._tare_sent = tare
        self._frames_since_tare = 0
        return [ascii_stgs_tare_line(tare, scale.fmt)]

    def _on_wire(self, frames: list[bytes]) -> bytes:
        return b"".join(self.scale.faults.apply(frame) for frame in frames)
