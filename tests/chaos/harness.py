"""The parts a chaos scenario breaks: a market's broker, a central process, scale processes.

- the broker and the registration (market, scale 620102-007 with its device key, central's
  login, the real password file and ACL) are tests.integration.sync_support's;
- :class:`CentralProcess` is ``python -m central serve`` (receiver + trace page over HTTP) on
  a SQLite file, started, SIGKILLed and restarted like the real service;
- :class:`EdgeChild` runs tests/chaos/edge_child.py and collects what it reports.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.broker import free_port
from tests.integration.sync_support import SCALE, Broker, wait_for

REPO = Path(__file__).resolve().parents[2]


def _kill(proc: subprocess.Popen[str] | subprocess.Popen[bytes], sig: int) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, sig)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(15)


def query(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple]:
    """Read a SQLite file another process writes (read-only; WAL lets us beside the writer)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        return conn.execute(sql, params).fetchall()


class CentralProcess:
    """``python -m central serve --db sqlite:///FILE --mqtt ... --http 127.0.0.1:PORT``; same port on restart."""

    def __init__(self, broker: Broker, db: Path, log: Path) -> None:
        self.broker, self.db, self.log = broker, db, log
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        mqtt = f"mqtt://central:{self.broker.central_password}@127.0.0.1:{self.broker.port}"
        mark = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "central", "serve", "--db", f"sqlite:///{self.db}", "--mqtt", mqtt,
                 "--http", f"127.0.0.1:{self.port}", "--client-id", f"central-chaos-{self.starts}"],
                cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.starts += 1
        # subscribed: from then on nothing the scale publishes reaches an empty group
        wait_for(lambda: "subscribed" in self.log_text(mark) or self.proc.poll() is not None, 30, "central to start")
        assert self.proc.poll() is None, f"central exited: {self.log_text(mark)[-2000:]}"
        wait_for(self.healthy, 30, "central's HTTP side")

    def log_text(self, since: int = 0) -> str:
        if not self.log.exists():
            return ""
        with open(self.log, "rb") as f:
            f.seek(since)
            return f.read().decode(errors="replace")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=5) as resp:
                return resp.status == 200
        except OSError:
            return False

    def kill(self) -> None:
        assert self.proc is not None
        _kill(self.proc, signal.SIGKILL)

    def stop(self) -> None:
        if self.proc is not None:
            _kill(self.proc, signal.SIGTERM)

    def sales(self) -> int:
        try:
            return int(query(self.db, "SELECT COUNT(*) FROM sales WHERE scale_id = ?", (SCALE,))[0][0])
        except sqlite3.Error:
            return 0


@dataclass
class ChildLog:
    committed: list[tuple[str, int, str, int]] = field(default_factory=list)  # sale_id, seq, code, created_ms
    refused: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)


class EdgeChild:
    """One life of the scale process (tests/chaos/edge_child.py) and what it printed."""

    def __init__(self, site: Site, db: Path, *args: str, broker_url: str | None = None) -> None:
        with open(site.workdir / "edge.log", "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.chaos.edge_child", str(db), broker_url or site.broker.url,
                 f"--password={site.broker.scale_password}", "--key", str(site.scale_key), *args],
                cwd=REPO, stdout=subprocess.PIPE, stderr=err, text=True,
            )  # fmt: skip
        self.log = ChildLog()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if not line.endswith("\n"):
                return  # the half-written last line of a killed process
            word, _, rest = line.rstrip("\n").partition(" ")
            if word == "READY":
                self.log.ready.set()
            elif word == "COMMITTED":
                sale_id, seq, code, created = rest.split()
                self.log.committed.append((sale_id, int(seq), code, int(created)))
            elif word == "REFUSED":
                self.log.refused.append(rest)
            elif word == "DONE":
                self.log.done.set()

    def wait_ready(self, timeout_s: float = 30) -> None:
        wait_for(lambda: self.log.ready.is_set() or self.proc.poll() is not None, timeout_s, "the scale to start")
        assert self.log.ready.is_set(), f"the scale process exited with {self.proc.returncode} before READY"

    def wait_done(self, timeout_s: float) -> None:
        wait_for(lambda: self.log.done.is_set() or self.proc.poll() is not None, timeout_s, "the scale's sales")
        assert self.log.done.is_set(), f"the scale process exited with {self.proc.returncode} before DONE"

    def wait_exit(self, timeout_s: float = 60) -> int:
        """For a life told to kill itself (``--die-at``): its exit status."""
        self.proc.wait(timeout_s)
        self._reader.join(10)
        return self.proc.returncode

    def kill(self) -> None:
        _kill(self.proc, signal.SIGKILL)
        self._reader.join(10)


class Site:
    """One market: broker with the real ACL, central (process), the scale's files under ``workdir``."""

    def __init__(self, workdir: Path, central_db: Path | None = None) -> None:
        self.workdir = workdir
        self.broker = Broker(workdir / "market")  # registers market, scale and central's login
        self.scale_key = workdir / "market" / "scale_key.pem"
        self.central_db = central_db or workdir / "market" / "central.db"
        if central_db is not None:  # central's database lives elsewhere (e.g. a small disk)
            with sqlite3.connect(workdir / "market" / "central.db") as src, sqlite3.connect(central_db) as dst:
                src.backup(dst)
        self.central = CentralProcess(self.broker, self.central_db, workdir / "central.log")
        self.children: list[EdgeChild] = []

    def start(self) -> None:
        self.broker.start()
        self.central.start()

    def child(self, db: Path, *args: str, broker_url: str | None = None) -> EdgeChild:
        child = EdgeChild(self, db, *args, broker_url=broker_url)
        self.children.append(child)
        return child

    def close(self) -> None:
        for child in self.children:
            child.kill()
        self.central.stop()
        self.broker.stop()


def edge_backlog(db: Path) -> int:
    return int(query(db, "SELECT COUNT(*) FROM outbox")[0][0])


def edge_last_seq(db: Path) -> int:
    return int(query(db, "SELECT COALESCE(MAX(seq), 0) FROM sales")[0][0])


def wait_drained(site: Site, db: Path, timeout_s: float) -> None:
    """The scale's outbox is empty and central holds every sale and event-log entry it made."""

    def drained() -> bool:
        try:
            edge_sales, edge_events = query(db, "SELECT (SELECT COUNT(*) FROM sales), (SELECT COUNT(*) FROM events)")[0]
            at_central = query(
                site.central_db,
                "SELECT (SELECT COUNT(*) FROM sales WHERE scale_id = ?), "
                "(SELECT COUNT(*) FROM events WHERE scale_id = ?)",
                (SCALE, SCALE),
            )[0]
        except sqlite3.Error:
            return False
        return edge_backlog(db) == 0 and at_central == (edge_sales, edge_events)

    deadline = time.monotonic() + timeout_s
    while not drained():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"not drained after {timeout_s:.0f} s: edge backlog {edge_backlog(db)}, "
                f"central {site.central.sales()} sales; central log tail: {site.central.log_text()[-1500:]}"
            )
        time.sleep(0.1)
