"""More receivers, one process each: ``central serve --receivers N``.

A receiver's work (JSON parse, sale checks, Ed25519 verify, the database round trips) is
Python, and one process runs Python on one core at a time, so N cores take N processes.
They share nothing but the broker and the database: each is an MQTT v5 shared-subscription
member (``$share/central/...``, central/receiver.py), the broker hands each sales message
to one of them, and the per-scale watermark lock (central/ingest.py) keeps them exactly
once in effect. The first receiver is the ``serve`` process itself (it also runs HTTP and
payments when asked); this pool starts the other N - 1 as ``python -m central serve``
children with the same database and broker (passed in the environment, so no password is
on a command line), receiving sales and events only, and starts again any that dies.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
RESTART_DELAY_S = 1.0
STOP_WAIT_S = 10.0


@dataclass
class ReceiverPool:
    count: int  # child processes (the serve process is receiver number 0)
    db_url: str
    mqtt_url: str
    client_id: str  # children are "{client_id}-1" .. "-{count}"
    workers: int = 1
    _procs: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _watcher: threading.Thread | None = None

    def start(self) -> None:
        for n in range(1, self.count + 1):
            self._spawn(n)
        self._watcher = threading.Thread(target=self._watch, name="central-receiver-pool", daemon=True)
        self._watcher.start()

    def pids(self) -> list[int]:
        return [p.pid for p in self._procs.values()]

    def _spawn(self, n: int) -> None:
        env = {**os.environ, "CENTRAL_DB": self.db_url, "CENTRAL_MQTT": self.mqtt_url}
        cmd = [sys.executable, "-m", "central", "serve", "--receiver-only", "--workers", str(self.workers),
               "--client-id", f"{self.client_id}-{n}"]  # fmt: skip
        self._procs[n] = subprocess.Popen(cmd, env=env)
        log.info("receiver %d started (pid %d)", n, self._procs[n].pid)

    def _watch(self) -> None:
        while not self._stopping.wait(RESTART_DELAY_S):
            for n, proc in list(self._procs.items()):
                if proc.poll() is not None and not self._stopping.is_set():
                    log.error("receiver %d (pid %d) exited with %s; starting it again", n, proc.pid, proc.returncode)
                    self._spawn(n)

    def stop(self) -> None:
        """SIGTERM every child (each finishes its commit and disconnects), then wait; kill stragglers."""
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join()
        for proc in self._procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for n, proc in self._procs.items():
            try:
                proc.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                log.warning("receiver %d (pid %d) did not stop in %.0f s; killing it", n, proc.pid, STOP_WAIT_S)
                proc.kill()
                proc.wait()
