"""Outbox drain through a real loopback Mosquitto, against raw paho one-sale-per-message.

    python bench/bench_sync_drain.py [--sales N] [--dir DIR] [--receivers K]

A store is filled with N realistic signed 3-line sales (not timed; built on /dev/shm when
there is one, then copied to DIR so the drain's acks fsync on a real disk). Then, each in
its own process so its peak RSS is its own:

- edge into central: SyncService drains the outbox (batches of 200, window 8, QoS 1) into
  K real `python -m central serve` processes on one SQLite file (default: one per CPU, as
  the README advises; one worker thread each), which verify every signature, commit and
  ack; the time runs until the outbox is empty, i.e. until every row is acked and deleted.
- edge, transport ceiling: the same drain to an in-bench receiver that only acks per
  docs/sync.md (contiguous watermark; it verifies nothing).
- raw: paho publishes the same sale JSON, one sale per QoS-1 message (paho defaults; at
  most 1,000 handed to paho at a time, as MQTT's 16-bit packet ids allow ~65k), to the
  same broker; the time runs until the receiver has every message.

Prints a markdown table (sales/s both ways, the edge process's VmHWM); ``run()`` returns
the rows as dicts. Targets (issue 4): into central >= 5,000 sales/s and >= raw, edge RSS
<= 80 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

REPO = Path(__file__).resolve().parents[1]
MOSQUITTO = "/usr/sbin/mosquitto"
MARKET, SCALE = "lz-dongfanghong", "620102-007"
SALES_TOPIC = f"trace/v1/{MARKET}/{SCALE}/sales"
ACK_TOPIC = f"trace/v1/{MARKET}/{SCALE}/ack"
RAW_TOPIC = f"bench/{SCALE}/raw"
PER_DAY = 9_000  # the trace code's daily sequence has 4 digits
TARGET_RATE = 5_000
TARGET_RSS_MB = 80
RECEIVERS = os.cpu_count() or 1  # central serve processes, as the README's "More cores, more receivers" says
WORKERS = 1  # worker threads in each: in this bench one per process beat two per process


# --- building the store (not timed) -------------------------------------------------------


def build_store(path: Path, sales: int) -> None:
    from edge.device_key import DeviceKey
    from edge.store import Store
    from edge.store.samples import sale_builder

    key = DeviceKey.load_or_create(path.parent / "device_key.pem")
    with Store.open(path) as store:
        for n in range(sales):
            day = (date(2024, 5, 12) + timedelta(days=n // PER_DAY)).isoformat()
            base = sale_builder(day, lines=3)
            store.commit_sale(day, lambda seq, daily, base=base: key.sign(base(seq, daily)))


def prepared_store(directory: Path, sales: int) -> Path:
    scratch = Path("/dev/shm") if Path("/dev/shm").is_dir() else directory
    with tempfile.TemporaryDirectory(dir=scratch, prefix="bench_sync_build_") as tmp:
        built = Path(tmp) / "scale.db"
        build_store(built, sales)
        target = directory / "scale.db"
        shutil.copyfile(built, target)  # closed store: the WAL was checkpointed into the file
        shutil.copyfile(built.parent / "device_key.pem", directory / "device_key.pem")  # central must know it
    return target


# --- the broker and the receiving side ----------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_broker(directory: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = directory / "mosquitto.conf"
    # No queue limit towards the receiver: the raw side has no resend, so a message the
    # broker dropped (default limit 1000) would never arrive and the run never finish.
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\n"
        "max_queued_messages 0\n"
    )
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"mosquitto did not start on port {port}")


class Receiver:
    """Acks the edge's batches per docs/sync.md and counts the raw messages."""

    def __init__(self, port: int) -> None:
        self.lock = threading.Lock()
        self.held: set[int] = set()
        self.acked = 0
        self.items = 0
        self.raw = 0
        self.raw_last = 0.0
        self.ready = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-central", protocol=paho.MQTTv5)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port, clean_start=True)
        self.client.loop_start()
        if not self.ready.wait(10):
            raise RuntimeError("the bench receiver could not subscribe")

    def _on_connect(self, client: paho.Client, *_: object) -> None:
        client.subscribe([(SALES_TOPIC, 1), (RAW_TOPIC, 1)])
        time.sleep(0.2)  # let SUBACK arrive before the publishers start
        self.ready.set()

    def _on_message(self, client: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        if msg.topic == RAW_TOPIC:
            with self.lock:
                self.raw += 1
                self.raw_last = time.time()
            return
        doc = json.loads(msg.payload)
        with self.lock:
            self.items += len(doc["items"])
            self.held.update(range(doc["first"], doc["last"] + 1))
            while self.acked + 1 in self.held:
                self.held.discard(self.acked + 1)
                self.acked += 1
            acked = self.acked
        client.publish(ACK_TOPIC, json.dumps({"acked_through": acked}), qos=1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def start_central(directory: Path, port: int, device_key: Path, receivers: int) -> list[subprocess.Popen[bytes]]:
    """``receivers`` real `python -m central serve` processes on one SQLite file that know the
    bench scale's device key; they share the sales through MQTT's shared subscription."""
    from central import admin
    from central.db import Database
    from central.schema import migrate
    from edge.device_key import DeviceKey
    from edge.store.samples import MARKET_CODE, SCALE_NO

    url = f"sqlite:///{directory / 'central.db'}"
    db = Database(url)
    migrate(db)
    with db.connection() as conn:
        admin.add_market(conn, MARKET, MARKET_CODE, "东方红综合市场", "兰州")
        admin.add_merchant(conn, "m-0042", MARKET, stall="A-17", display_name="老王蔬菜",
                           real_name="王", id_number="620102199001010000", phone="13800000000")  # fmt: skip
        public = DeviceKey.load_or_create(device_key).public_key_b64()
        admin.add_scale(conn, SCALE, MARKET, SCALE_NO, public, "m-0042")
    db.close()
    from simulator.fleet.run import start_central as start_serving  # not at the top: the edge child's RSS

    return start_serving(url, f"mqtt://127.0.0.1:{port}", receivers=receivers, workers=WORKERS, log_dir=directory)


# --- the two publishers, each in its own process -------------------------------------------


def _vmhwm_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def edge_main(db: str, url: str) -> None:
    import logging

    from edge.config import IdentityConfig, SyncConfig
    from edge.store import Store
    from edge.sync import SyncService
    from edge.sync.outbox_reader import OutboxReader

    logging.basicConfig(level=logging.WARNING)
    store = Store.open(db)
    reader = OutboxReader(db)
    total = reader.summary().backlog
    service = SyncService(
        SyncConfig(broker_url=url), IdentityConfig(market_id=MARKET, scale_id=SCALE), store, software_id="bench"
    )
    start = time.perf_counter()
    service.start()
    while reader.summary().backlog:
        time.sleep(0.01)
    elapsed = time.perf_counter() - start
    state = service.state()
    service.stop()
    print(json.dumps({"sales": total, "seconds": elapsed, "vmhwm_kb": _vmhwm_kb(), "resends": state.resends}))


def raw_main(db: str, url: str) -> None:
    import sqlite3

    port = int(url.rsplit(":", 1)[1])
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    payloads = [row[0].encode() for row in conn.execute("SELECT payload FROM outbox ORDER BY seq")]
    conn.close()
    done = threading.Event()
    # MQTT packet ids are 16 bits, so at most ~65k messages can be outstanding: paho
    # refuses more (MQTT_ERR_QUEUE_SIZE). Keep 1,000 handed to paho, far above the
    # broker's 20 in flight, so the pacing never limits the rate.
    room = threading.Semaphore(1000)
    acked = 0

    def on_publish(*_: object) -> None:
        nonlocal acked
        acked += 1
        room.release()
        if acked == len(payloads):
            done.set()

    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw", protocol=paho.MQTTv5)
    client.on_publish = on_publish
    client.connect("127.0.0.1", port, clean_start=True)
    client.loop_start()
    start_wall, start = time.time(), time.perf_counter()
    for body in payloads:
        room.acquire()
        info = client.publish(RAW_TOPIC, body, qos=1)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            raise RuntimeError(f"raw publish failed: {paho.error_string(info.rc)}")
    if not done.wait(600):
        raise RuntimeError(f"raw side: only {acked} of {len(payloads)} PUBACKs after 600 s")
    elapsed = time.perf_counter() - start
    client.disconnect()
    client.loop_stop()
    print(json.dumps({"sales": len(payloads), "seconds": elapsed, "start_wall": start_wall, "vmhwm_kb": _vmhwm_kb()}))


def _child(mode: str, db: Path, url: str) -> dict:
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), f"--{mode}", str(db), url],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the bench -----------------------------------------------------------------------------


def run(sales: int = 100_000, directory: str | Path | None = None, receivers: int = RECEIVERS) -> list[dict]:
    with tempfile.TemporaryDirectory(dir=directory, prefix="bench_sync_") as tmp:
        tmpdir = Path(tmp)
        build_start = time.perf_counter()
        db = prepared_store(tmpdir, sales)
        build_s = time.perf_counter() - build_start
        raw_db, central_db = tmpdir / "raw.db", tmpdir / "central-run.db"
        shutil.copyfile(db, raw_db)  # the raw side reads the same sale JSON from its own copy
        shutil.copyfile(db, central_db)  # and the drain into real central starts from the same backlog
        broker, port = start_broker(tmpdir)
        url = f"mqtt://127.0.0.1:{port}"
        receiver: Receiver | None = None
        try:
            central = start_central(tmpdir, port, tmpdir / "device_key.pem", receivers)
            try:  # only central answers now: its acks alone empty the outbox
                to_central = _child("edge", central_db, url)
            finally:
                from simulator.fleet.run import stop_processes

                stop_processes(central)
            receiver = Receiver(port)
            edge = _child("edge", db, url)
            raw = _child("raw", raw_db, url)
            deadline = time.monotonic() + 300
            while receiver.raw < sales and time.monotonic() < deadline:
                time.sleep(0.05)
            if receiver.raw < sales:
                raise RuntimeError(f"the raw side delivered only {receiver.raw} of {sales} messages in time")
            raw_e2e = max(receiver.raw_last - raw["start_wall"], raw["seconds"])
        finally:
            if receiver is not None:
                receiver.close()
            broker.terminate()
            broker.wait(10)
    edge_rate = edge["sales"] / edge["seconds"]
    raw_rate = sales / raw_e2e
    edge_mb = edge["vmhwm_kb"] / 1024
    ok_rate = edge_rate >= TARGET_RATE and edge_rate >= raw_rate
    central_rate = to_central["sales"] / to_central["seconds"]
    central_mb = to_central["vmhwm_kb"] / 1024
    return [
        {
            "case": f"edge drain into {receivers} x `central serve` (SQLite; verified, committed, acked)",
            "sales": to_central["sales"],
            "seconds": to_central["seconds"],
            "sales_per_s": central_rate,
            "peak_rss_mb": central_mb,
            "received_items": to_central["sales"],
            "resends": to_central["resends"],
            "build_s": build_s,
            "target": f">= {TARGET_RATE} sales/s and >= raw; RSS <= {TARGET_RSS_MB} MB",
            "result": "pass"
            if central_rate >= TARGET_RATE and central_rate >= raw_rate and central_mb <= TARGET_RSS_MB
            else "short",
        },
        {
            "case": "edge drain, receiver that only acks (transport ceiling)",
            "sales": edge["sales"],
            "seconds": edge["seconds"],
            "sales_per_s": edge_rate,
            "peak_rss_mb": edge_mb,
            "received_items": receiver.items,
            "resends": edge["resends"],
            "build_s": build_s,
            "target": "reference",
            "result": "pass" if ok_rate and edge_mb <= TARGET_RSS_MB else "short",
        },
        {
            "case": "raw paho QoS 1, one sale per message (until all received)",
            "sales": sales,
            "seconds": raw_e2e,
            "sales_per_s": raw_rate,
            "peak_rss_mb": raw["vmhwm_kb"] / 1024,
            "received_items": receiver.raw,
            "resends": 0,
            "build_s": build_s,
            "target": "reference",
            "result": "",
        },
    ]


QUICK = {"sales": 5_000}  # bench/report.py --quick


def figures(rows: list[dict]) -> list:
    """The report's figures (bench/figures.py): drain rates (anchor: raw paho, one sale per message), RSS."""
    from bench.figures import at_least, at_least_anchor, at_most

    central, edge, raw = rows
    anchor = (raw["sales_per_s"], "raw paho QoS 1, one sale per message")
    return [
        at_least(f"outbox drain of {central['sales']:,} sales into central serve (SQLite)", central["sales_per_s"],
                 "sales/s", TARGET_RATE, anchor=anchor),
        at_least_anchor("the same drain against raw one-sale-per-message QoS 1", central["sales_per_s"], "sales/s",
                        anchor=anchor),
        at_least_anchor("outbox drain to a receiver that only acks", edge["sales_per_s"], "sales/s", anchor=anchor),
        at_most("edge process peak RSS while draining", max(central["peak_rss_mb"], edge["peak_rss_mb"]), "MB",
                TARGET_RSS_MB),
    ]  # fmt: skip


def markdown(rows: list[dict]) -> str:
    lines = [
        "| case | sales | seconds | sales/s | peak RSS MB | received | resends | target | result |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['sales']} | {r['seconds']:.2f} | {r['sales_per_s']:,.0f} | {r['peak_rss_mb']:.1f} "
            f"| {r['received_items']} | {r['resends']} | {r['target']} | {r['result']} |"
        )
    lines.append(f"\nstore build (not timed in the rates): {rows[0]['build_s']:.0f} s for {rows[0]['sales']} sales")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=100_000)
    parser.add_argument("--dir", default=None, help="directory for the database (default: system temp)")
    parser.add_argument("--receivers", type=int, default=RECEIVERS,
                        help=f"central serve processes (default {RECEIVERS}: one per CPU)")  # fmt: skip
    parser.add_argument("--edge", nargs=2, metavar=("DB", "URL"), help=argparse.SUPPRESS)
    parser.add_argument("--raw", nargs=2, metavar=("DB", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.edge:
        edge_main(*args.edge)
    elif args.raw:
        raw_main(*args.raw)
    else:
        print(markdown(run(args.sales, args.dir, args.receivers)))


if __name__ == "__main__":
    main()
