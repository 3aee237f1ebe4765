"""One fleet process: a share of the virtual scales on one MQTT loop thread.

    python -m simulator.fleet.worker SPEC.json     prints {"ready", ...}, reads {"start_ms"},
                                                    then prints one JSON line of results

SPEC: {"broker": [host, port], "rate_per_min": R, "duration_s": S, "drain_s": D, "seed": N,
"heartbeat_s": H, "scales": [{"scale_id", "scale_no", "market_id", "node_code",
"merchant_id", "password", "key_b64"}, ...]}. Sales arrive per scale as a Poisson stream
of R per minute; after S seconds selling stops and the worker waits up to D seconds for
the acks of everything sold.
"""

from __future__ import annotations

import base64
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from simulator.fleet.mqtt_loop import Login, MqttLoop
from simulator.fleet.scale import VirtualScale

PREP_MARGIN_MS = 1_000  # slack on top of the measured build time before the first sale
BUILD_SLACK = 1.5  # the measured build time may grow under load: start this much later


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def start_after_build(build_ms: float) -> int:
    """The start (epoch ms) far enough ahead to build ``build_ms`` worth of sales first."""
    return now_ms() + PREP_MARGIN_MS + int(build_ms * BUILD_SLACK)


def _build_cost_ms(template: dict[str, Any], n: int) -> float:
    """Milliseconds to build and sign one sale here, from a throwaway scale (a few hundred)."""
    if n == 0:
        return 0.0
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(template["key_b64"]))
    probe = VirtualScale(template["scale_id"], template["scale_no"], template["market_id"], template["node_code"],
                         template["merchant_id"], key)  # fmt: skip
    count = min(n, 300)
    t0 = time.perf_counter()
    probe.prepare([(now_ms(), 2)] * count)
    return (time.perf_counter() - t0) * 1000 / count


@dataclass
class WorkerSpec:
    broker: tuple[str, int]
    rate_per_min: float
    duration_s: float
    drain_s: float
    seed: int
    heartbeat_s: float
    scales: list[dict[str, Any]]

    @classmethod
    def load(cls, path: Path) -> WorkerSpec:
        doc = json.loads(path.read_text())
        return cls(tuple(doc["broker"]), doc["rate_per_min"], doc["duration_s"], doc["drain_s"], doc["seed"],
                   doc.get("heartbeat_s", 30.0), doc["scales"])  # fmt: skip


def run(spec: WorkerSpec, start_at: Callable[[int, float], int] | None = None) -> dict[str, Any]:
    """Connect, build every sale ahead, sell from the start ``start_at(sales, ms_per_sale)``
    gives (default: as soon as this worker has built its share), drain, report."""
    start_at = start_at or (lambda n, cost: start_after_build(n * cost))
    rng = random.Random(spec.seed)
    loop = MqttLoop(*spec.broker)
    scales: list[VirtualScale] = []
    conns = []
    by_ack_topic: dict[str, int] = {}
    dirty: set[int] = set()  # scales to look at on this turn: sold, acked, or the periodic sweep

    def on_ack(topic: str, payload: bytes) -> None:
        i = by_ack_topic.get(topic)
        if i is not None:
            scales[i].on_ack(payload, now_ms())
            dirty.add(i)  # the window may have room again

    for s in spec.scales:
        key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(s["key_b64"]))
        scale = VirtualScale(s["scale_id"], s["scale_no"], s["market_id"], s["node_code"], s["merchant_id"], key,
                             heartbeat_ms=int(spec.heartbeat_s * 1000))  # fmt: skip
        scales.append(scale)
        by_ack_topic[scale.topic("ack")] = len(scales) - 1
        login = Login(f"fleet-{scale.scale_id}", scale.scale_id, s["password"], scale.topic("status"), scale.will())
        conns.append(loop.add(login, on_ack, [scale.topic("ack")]))

    # connect everyone first (not timed as selling)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 60 and not all(c.connected for c in loop.connections):
        loop.connect_missing(budget=100)
        loop.poll(0.01)
    connect_s = time.monotonic() - t0
    refused = [c.login.username for c in loop.connections if not c.connected]

    # Every sale of the run is drawn (a Poisson stream of R a minute per scale), built and signed
    # before the clock runs (VirtualScale.prepare), from a start the fleet's runner gives every
    # worker alike: it reads each worker's "ready" line and answers with a start far enough
    # ahead for the slowest to build its share (run.py, _common_start).
    mean_gap_ms = 60_000 / spec.rate_per_min if spec.rate_per_min > 0 else float("inf")
    duration_ms = int(spec.duration_s * 1000)
    plan: list[tuple[int, int, int]] = []  # (offset from the start, scale index, lines)
    if spec.rate_per_min > 0:
        for i in range(len(scales)):
            at = int(rng.expovariate(1 / mean_gap_ms))
            while at < duration_ms:
                plan.append((at, i, 1 + rng.randrange(3)))
                at += max(1, int(rng.expovariate(1 / mean_gap_ms)))
    plan.sort()
    cost_ms = _build_cost_ms(spec.scales[0], len(plan)) if spec.scales else 0.0
    start = start_at(len(plan), cost_ms)
    cpu_build = time.process_time()
    by_scale: dict[int, list[tuple[int, int]]] = {}
    for at, i, lines in plan:
        by_scale.setdefault(i, []).append((start + at, lines))
    for i, sales in by_scale.items():
        scales[i].prepare(sales)
        loop.poll(0)  # keep the connections serviced while building
    late_start_ms = max(0, now_ms() - start)  # > 0: building overran, the first sales start late
    cpu_build = time.process_time() - cpu_build
    while now_ms() < start:
        loop.poll(0.005)
    cpu_run = time.process_time()
    heartbeat_ms = int(spec.heartbeat_s * 1000)
    for scale in scales:
        scale.first_heartbeat_at(start + rng.randrange(max(1, heartbeat_ms)))
    stop_selling = start + duration_ms
    deadline = stop_selling + int(spec.drain_s * 1000)
    last_sweep = 0
    publishes = 0
    next_sale = 0
    while True:
        loop.poll(0.005)
        t = now_ms()
        while next_sale < len(plan) and start + plan[next_sale][0] <= t:
            _, i, lines = plan[next_sale]
            next_sale += 1
            scales[i].sell(t, lines=lines)  # the prepared sale, stamped with its planned time
            dirty.add(i)
        if t - last_sweep >= 250:  # timeouts, heartbeats, reconnects
            last_sweep = t
            dirty.update(range(len(scales)))
            loop.connect_missing()
        for i in dirty:
            scale = scales[i]
            conn = conns[i]
            if not conn.connected:
                continue
            beat = scale.heartbeat_due(t)
            if beat is not None:
                conn.publish(scale.topic("status"), beat, qos=1, retain=True)
            for body in scale.batches_due(t):
                conn.publish(scale.topic("sales"), body, qos=1)
                publishes += 1
        dirty.clear()
        if t >= stop_selling and all(s.backlog == 0 for s in scales):
            break
        if t >= deadline:
            break
    elapsed_s = (now_ms() - start) / 1000
    cpu_run = time.process_time() - cpu_run
    loop.close()
    latencies = [ms for s in scales for ms in s.stats.latencies_ms]
    return {
        "scales": len(scales),
        "connect_s": round(connect_s, 2),
        "not_connected": refused,
        "sold": sum(s.stats.sold for s in scales),
        "acked": sum(s.stats.acked for s in scales),
        "backlog": sum(s.backlog for s in scales),
        "resends": sum(s.stats.resends for s in scales),
        "heartbeats": sum(s.stats.heartbeats for s in scales),
        "publishes": publishes,
        "disconnects": sum(c.disconnects for c in loop.connections),
        "elapsed_s": round(elapsed_s, 2),
        "late_start_ms": late_start_ms,
        "cpu_build_s": round(cpu_build, 3),  # building and signing the sales, before the clock ran
        "cpu_run_s": round(cpu_run, 3),  # selling, sending, acks: the fleet's load while measured
        "latencies_ms": latencies,
    }


def _ask_runner(sales: int, cost_ms: float) -> int:
    """Tell the runner (our stdout) how much there is to build; its answer on stdin is the start."""
    print(json.dumps({"ready": True, "sales": sales, "build_ms_per_sale": cost_ms}), flush=True)
    line = sys.stdin.readline()
    if not line:
        raise SystemExit("the fleet runner went away before giving the start time")
    return int(json.loads(line)["start_ms"])


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    result = run(WorkerSpec.load(Path(sys.argv[1])), _ask_runner)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
