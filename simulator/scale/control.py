"""A control socket for the scale simulator: the same commands as its stdin, from another process.

``python -m simulator scale ... --control var/run/scale.ctl`` listens on that Unix socket;
each connection sends one command line (``put 1235``, ``remove``, ``unstable 3``, any
stdin command) and reads one answer line back. ``scripts/run.sh`` starts the simulator
so, and the headless scale's console forwards ``put`` / ``remove`` / ``unstable`` /
``sim CMD`` to it: the vendor's terminal drives the platter too.

The first command stops the demo scenario, so a load put by hand stays on the platter
instead of racing the demo loop.

``unstable [SECONDS]`` is a control-only command: the load keeps moving (a few grams up
and down, faster than the module settles) for that long (default 5 s), then stays put.
"""

from __future__ import annotations

import contextlib
import os
import socketserver
import threading
from collections.abc import Callable
from pathlib import Path

from simulator.scale.links import Link
from simulator.scale.virtual import VirtualScale

WOBBLE_G = (15, -10, 20, -5, 10)  # grams around the load (the first step moves it), one every WOBBLE_STEP_S
WOBBLE_STEP_S = 0.1  # shorter than any settle time: never stable while it moves
MAX_LINE = 200


class Wobble:
    """Keeps the load moving for a while (a customer leaning on the platter), then puts it back."""

    def __init__(self, sim: VirtualScale) -> None:
        self.sim = sim
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, seconds: float) -> None:
        self.stop()
        self._stop = threading.Event()
        base = self.sim.sample().gross_g
        self._thread = threading.Thread(target=self._run, args=(base, seconds, self._stop), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def _run(self, base: int, seconds: float, stop: threading.Event) -> None:
        steps = max(1, round(seconds / WOBBLE_STEP_S))
        for i in range(steps):
            self.sim.put(max(0, base + WOBBLE_G[i % len(WOBBLE_G)] + (i % 3)))
            if stop.wait(WOBBLE_STEP_S):
                return
        self.sim.put(base)


class ControlServer:
    """Serves command lines on a Unix socket; ``execute(line)`` answers them (the stdin console's)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        sim: VirtualScale,
        link: Link,
        execute: Callable[[str, VirtualScale, Link], str],
        on_first: Callable[[], None],
    ) -> None:
        self.path = Path(path)
        self.sim, self.link, self.execute = sim, link, execute
        self.wobble = Wobble(sim)
        self._on_first: Callable[[], None] | None = on_first
        self._lock = threading.Lock()
        self._server: socketserver.ThreadingUnixStreamServer | None = None

    def start(self) -> ControlServer:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # a socket left by an earlier run
        self.path.parent.mkdir(parents=True, exist_ok=True)
        control = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                line = self.rfile.readline(MAX_LINE).decode("utf-8", "replace").strip()
                self.wfile.write((control.answer(line) + "\n").encode("utf-8"))

        self._server = socketserver.ThreadingUnixStreamServer(str(self.path), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="scale-control", daemon=True).start()
        return self

    def stop(self) -> None:
        self.wobble.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def answer(self, line: str) -> str:
        """One command's answer line (never raises: a bad command gets ``error: ...``)."""
        from simulator.scale.console import CommandError, QuitRequested

        with self._lock:
            if self._on_first is not None:
                self._on_first()  # the demo stops: from now on the platter is the user's
                self._on_first = None
            words = line.split()
            try:
                if words and words[0].lower() == "unstable":
                    return self._unstable(words[1:])
                self.wobble.stop()  # a new load ends the wobble
                return self.execute(line, self.sim, self.link) or "ok: -"
            except QuitRequested:
                return "error: quit is not allowed over the control socket; stop the simulator itself"
            except (CommandError, ValueError, TypeError) as exc:
                return f"error: {exc}"

    def _unstable(self, args: list[str]) -> str:
        try:
            seconds = float(args[0]) if args else 5.0
        except ValueError:
            seconds = -1.0
        if not 0 < seconds <= 600 or len(args) > 1:
            return "error: usage: unstable [SECONDS] (0 < SECONDS <= 600), e.g. 'unstable 3'"
        self.wobble.start(seconds)
        return f"ok: the load moves for {seconds:g} s"
