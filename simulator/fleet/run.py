"""A whole fleet against a real central: register, start broker and central, sell, check.

Registration goes through central's own admin code (the fleet stands in for a market office
provisioning N scales), the broker is a Mosquitto with central's password file and ACL, and
central runs as ``python -m central serve`` processes, so what is measured is the product.
Afterwards central's database is read back: every sale a virtual scale sold must be there
exactly once (nothing lost), with its one-way latency ``received_ms - created_ms``.
"""

from __future__ import annotations

import base64
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from simulator.fleet.worker import start_after_build

REPO = Path(__file__).resolve().parents[2]
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MAX_SCALES_PER_MARKET = 999  # the trace code's 3-digit scale number


@dataclass
class FleetOptions:
    scales: int = 100
    markets: int = 1
    rate_per_min: float = 4.0  # sales per scale per minute (a busy stall at peak: one every 15 s)
    duration_s: float = 30.0
    drain_s: float = 30.0
    heartbeat_s: float = 30.0
    db_url: str = ""  # default: SQLite in the work dir
    receivers: int = 1  # central serve processes (shared subscription)
    central_workers: int = 2  # worker threads per receiver
    procs: int = 1  # fleet processes
    seed: int = 1
    workdir: Path | None = None


@dataclass
class FleetReport:
    options: FleetOptions
    connect_s: float
    sold: int
    acked: int
    at_central: int
    duplicates: int
    lost: int
    backlog: int
    resends: int
    disconnects: int
    not_connected: int
    heartbeats: int
    statuses_at_central: int
    rejects: int
    elapsed_s: float
    late_start_ms: int = 0  # > 0: a worker was still building its sales when selling began
    ack_latency_ms: dict[str, float] = field(default_factory=dict)  # commit -> ack back at the scale
    central_latency_ms: dict[str, float] = field(default_factory=dict)  # commit -> row at central
    cpu_s: dict[str, float] = field(default_factory=dict)  # CPU seconds per part: central, broker, database, fleet

    def cpu_us_per_sale(self) -> dict[str, float]:
        """CPU per stored sale of each part: what sizes a deployment (docs/deployment.md)."""
        return {part: round(s / self.at_central * 1e6) for part, s in self.cpu_s.items()} if self.at_central else {}

    @property
    def sales_per_s(self) -> float:
        return self.at_central / self.elapsed_s if self.elapsed_s else 0.0

    def table(self) -> str:
        o = self.options
        rows = [
            ("scales / markets", f"{o.scales} / {o.markets}"),
            ("rate", f"{o.rate_per_min:g} sales/scale/min = {o.scales * o.rate_per_min / 60:.1f} sales/s offered"),
            ("central", f"{_db_kind(o.db_url)}, {o.receivers} receiver(s) x {o.central_workers} worker(s)"),
            ("connect all scales", f"{self.connect_s:.1f} s ({self.not_connected} not connected)"),
            ("sold at the scales", f"{self.sold:,}"),
            ("stored at central", f"{self.at_central:,} (lost {self.lost}, duplicated {self.duplicates})"),
            ("throughput", f"{self.sales_per_s:,.1f} sales/s over {self.elapsed_s:.1f} s"),
            ("sale -> central p50 / p99 / max", _pcts(self.central_latency_ms)),
            ("sale -> ack at scale p50 / p99 / max", _pcts(self.ack_latency_ms)),
            ("backlog at the end", f"{self.backlog:,}"),
            ("resends / disconnects", f"{self.resends} / {self.disconnects}"),
            ("heartbeats sent / scales with status", f"{self.heartbeats:,} / {self.statuses_at_central:,}"),
            ("rejects at central", f"{self.rejects}"),
            ("sales built and signed ahead; late start", f"{self.late_start_ms} ms"),
            ("CPU µs per stored sale", ", ".join(f"{k} {v:,.0f}" for k, v in self.cpu_us_per_sale().items())),
        ]
        out = ["| figure | value |", "| --- | --- |"]
        out += [f"| {name} | {value} |" for name, value in rows]
        return "\n".join(out)


def _pcts(p: dict[str, float]) -> str:
    if not p:
        return "n/a"
    return f"{p['p50']:.0f} / {p['p99']:.0f} / {p['max']:.0f} ms"


def _db_kind(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgres") else "SQLite"


def percentiles(values: list[int] | list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return float(ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)])

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": float(ordered[-1])}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- setting up -------------------------------------------------------------------------------


def provision(db_url: str, opts: FleetOptions) -> tuple[str, list[dict[str, Any]]]:
    """Markets, one merchant per market, the scales with fresh device keys; central's password."""
    from central import admin
    from central.db import Database
    from central.schema import migrate

    per_market = math.ceil(opts.scales / opts.markets)
    if per_market > MAX_SCALES_PER_MARKET:
        raise ValueError(f"{per_market} scales per market: at most {MAX_SCALES_PER_MARKET}; add --markets")
    db = Database(db_url)
    try:
        migrate(db)
        specs: list[dict[str, Any]] = []
        with db.connection() as conn:
            central = admin.add_central_account(conn)
            for m in range(opts.markets):
                market_id, node = f"fleet-m{m + 1:03d}", f"{700000 + m + 1:06d}"
                merchant = f"fleet-m{m + 1:03d}-v1"
                admin.add_market(conn, market_id, node, f"模拟市场 {m + 1}", "兰州")
                admin.add_merchant(conn, merchant, market_id, stall=f"{m + 1}-01", display_name="模拟商户",
                                   real_name="模拟", id_number="000000000000000000", phone="00000000000")  # fmt: skip
                for n in range(1, per_market + 1):
                    if len(specs) == opts.scales:
                        break
                    key = Ed25519PrivateKey.generate()
                    raw = key.private_bytes(
                        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
                    )
                    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
                    scale_id = f"{node}-{n:03d}"
                    creds = admin.add_scale(conn, scale_id, market_id, n, base64.b64encode(public).decode(), merchant)
                    specs.append({
                        "scale_id": scale_id, "scale_no": n, "market_id": market_id, "node_code": node,
                        "merchant_id": merchant, "password": creds.password,
                        "key_b64": base64.b64encode(raw).decode(),
                    })  # fmt: skip
        return central.password, specs
    finally:
        db.close()


def start_broker(db_url: str, directory: Path) -> tuple[subprocess.Popen[bytes], int]:
    from central.db import Database
    from central.mosquitto import write_broker_files

    port = free_port()
    db = Database(db_url)
    try:
        with db.connection() as conn:
            files = write_broker_files(
                conn, directory, port=port, log_file=directory / "mosquitto.log",
                user="root" if os.geteuid() == 0 else None,  # as root mosquitto drops to a user that cannot read tmp
            )  # fmt: skip
    finally:
        db.close()
    proc = subprocess.Popen([MOSQUITTO, "-c", str(files.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_port(port, proc, "mosquitto")
    return proc, port


def _wait_port(port: int, proc: subprocess.Popen[bytes], what: str, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout_s:.0f} s")


def start_central(db_url: str, mqtt_url: str, *, receivers: int, workers: int, log_dir: Path) -> list[subprocess.Popen]:
    """``receivers`` real `python -m central serve` processes, returned once each has subscribed."""
    procs = []
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for i in range(receivers):
        log = (log_dir / f"central-{i}.log").open("wb")
        cmd = [sys.executable, "-m", "central", "serve", "--db", db_url, "--mqtt", mqtt_url,
               "--workers", str(workers), "--client-id", f"central-fleet-{i}", "-v"]  # fmt: skip
        procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO, env=env))
    deadline = time.monotonic() + 30
    for i, proc in enumerate(procs):
        path = log_dir / f"central-{i}.log"
        while b"subscribed" not in path.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"central {i} did not subscribe: {path.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
    return procs


def stop_processes(procs: list[subprocess.Popen]) -> None:
    """SIGTERM each, then wait; kill what has not stopped after 10 s."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- running ----------------------------------------------------------------------------------


def run_fleet(opts: FleetOptions) -> FleetReport:
    workdir = opts.workdir or Path(tempfile.mkdtemp(prefix="fleet-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db_url = opts.db_url or f"sqlite:///{workdir / 'central.db'}"
    password, specs = provision(db_url, opts)
    broker, port = start_broker(db_url, workdir / "broker")
    central: list[subprocess.Popen] = []
    workers: list[subprocess.Popen] = []
    try:
        central = start_central(db_url, f"mqtt://central:{password}@127.0.0.1:{port}", receivers=opts.receivers,
                                workers=opts.central_workers, log_dir=workdir)  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        for i in range(opts.procs):
            share = specs[i :: opts.procs]
            spec = {
                "broker": ["127.0.0.1", port], "rate_per_min": opts.rate_per_min, "duration_s": opts.duration_s,
                "drain_s": opts.drain_s, "seed": opts.seed * 1000 + i, "heartbeat_s": opts.heartbeat_s,
                "scales": share,
            }  # fmt: skip
            path = workdir / f"worker-{i}.json"
            path.write_text(json.dumps(spec))
            path.chmod(0o600)  # device keys and passwords
            cmd = [sys.executable, "-m", "simulator.fleet.worker", str(path)]
            workers.append(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO, env=env))
        _common_start(workers)
        results = []
        for proc in workers:
            out, _ = proc.communicate()
            if proc.returncode != 0:
                raise RuntimeError(f"fleet worker failed with exit code {proc.returncode}")
            results.append(json.loads(out.decode().strip().splitlines()[-1]))
        time.sleep(0.5)  # the last acks' rows are committed before the acks go out; nothing to wait for but logs
        cpu = {
            "central": sum(cpu_seconds(p.pid) for p in central),
            "broker": cpu_seconds(broker.pid),
            "database": sum(cpu_seconds(pid) for pid in db_backends(db_url)),
            "fleet": sum(r["cpu_run_s"] for r in results),  # while selling (its sales were signed before)
        }
        report = _report(opts, db_url, specs, results)
        return replace(report, cpu_s={part: round(seconds, 2) for part, seconds in cpu.items()})
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.kill()
        stop_processes(central)
        stop_processes([broker])


def _common_start(workers: list[subprocess.Popen]) -> None:
    """Every worker has connected and says how much it must build: give them all one start,
    far enough ahead for the slowest (they build side by side, one per core)."""
    ready = []
    for proc in workers:
        line = proc.stdout.readline() if proc.stdout else b""
        if not line:
            raise RuntimeError(f"fleet worker exited with {proc.wait()} before it was ready")
        ready.append(json.loads(line))
    start = start_after_build(max(r["sales"] * r["build_ms_per_sale"] for r in ready))
    for proc in workers:
        assert proc.stdin is not None
        proc.stdin.write(json.dumps({"start_ms": start}).encode() + b"\n")
        proc.stdin.flush()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a live process has used (/proc/PID/stat fields 14 and 15)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def db_backends(db_url: str) -> list[int]:
    """PostgreSQL server processes serving this database (central's connections); none on SQLite.
    The server's shared WAL writer and checkpointer are not counted."""
    if not db_url.startswith("postgres"):
        return []
    from central.db import Database

    db = Database(db_url)
    try:
        with db.connection() as conn:
            rows = conn.all(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    finally:
        db.close()
    return [int(r["pid"]) for r in rows]


def _report(opts: FleetOptions, db_url: str, specs: list[dict], results: list[dict]) -> FleetReport:
    from central.db import Database

    sold = sum(r["sold"] for r in results)
    db = Database(db_url)
    try:
        with db.connection() as conn:
            at_central = conn.scalar("SELECT COUNT(*) FROM sales") or 0
            distinct = conn.scalar("SELECT COUNT(DISTINCT sale_id) FROM sales") or 0
            one_way = [r["lag"] for r in conn.all("SELECT received_ms - created_ms AS lag FROM sales")]
            statuses = conn.scalar("SELECT COUNT(*) FROM scale_status") or 0
            rejects = conn.scalar("SELECT COALESCE(SUM(count), 0) FROM rejects") or 0
    finally:
        db.close()
    return FleetReport(
        options=opts,
        connect_s=max(r["connect_s"] for r in results),
        sold=sold,
        acked=sum(r["acked"] for r in results),
        at_central=at_central,
        duplicates=at_central - distinct,
        lost=max(0, sold - distinct),
        backlog=sum(r["backlog"] for r in results),
        resends=sum(r["resends"] for r in results),
        disconnects=sum(r["disconnects"] for r in results),
        not_connected=sum(len(r["not_connected"]) for r in results),
        heartbeats=sum(r["heartbeats"] for r in results),
        statuses_at_central=statuses,
        rejects=int(rejects),
        elapsed_s=max(r["elapsed_s"] for r in results),
        late_start_ms=max(r["late_start_ms"] for r in results),
        ack_latency_ms=percentiles([ms for r in results for ms in r["latencies_ms"]]),
        central_latency_ms=percentiles(one_way),
    )
