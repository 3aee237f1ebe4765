"""One fleet process: a share of the virtual scales on one MQTT loop thread.

    python -m simulator.fleet.worker SPEC.json     prints one JSON line of results

SPEC: {"broker": [host, port], "rate_per_min": R, "duration_s": S, "drain_s": D, "seed": N,
"heartbeat_s": H, "scales": [{"scale_id", "scale_no", "market_id", "node_code",
"merchant_id", "password", "key_b64"}, ...]}. Sales arrive per scale as a Poisson stream
of R per minute; after S seconds selling stops and the worker waits up to D seconds for
the acks of everything sold.
"""

from __future__ import annotations

import base64
import heapq
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from simulator.fleet.mqtt_loop import Login, MqttLoop
from simulator.fleet.scale import VirtualScale


def now_ms() -> int:
    return time.time_ns() // 1_000_000


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


def run(spec: WorkerSpec) -> dict[str, Any]:
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

    start = now_ms()
    heartbeat_ms = int(spec.heartbeat_s * 1000)
    for scale in scales:
        scale.first_heartbeat_at(start + rng.randrange(max(1, heartbeat_ms)))
    mean_gap_ms = 60_000 / spec.rate_per_min if spec.rate_per_min > 0 else float("inf")
    due: list[tuple[int, int]] = []  # (next sale at, index)
    if spec.rate_per_min > 0:
        for i in range(len(scales)):
            heapq.heappush(due, (start + int(rng.expovariate(1 / mean_gap_ms)), i))
    stop_selling = start + int(spec.duration_s * 1000)
    deadline = stop_selling + int(spec.drain_s * 1000)
    last_sweep = 0
    publishes = 0
    while True:
        loop.poll(0.005)
        t = now_ms()
        while due and due[0][0] <= t and t < stop_selling:
            _, i = heapq.heappop(due)
            scales[i].sell(t, lines=1 + rng.randrange(3))
            dirty.add(i)
            heapq.heappush(due, (t + max(1, int(rng.expovariate(1 / mean_gap_ms))), i))
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
                conn.client.publish(scale.topic("status"), beat, qos=1, retain=True)
            for body in scale.batches_due(t):
                conn.client.publish(scale.topic("sales"), body, qos=1)
                publishes += 1
        dirty.clear()
        if t >= stop_selling and all(s.backlog == 0 for s in scales):
            break
        if t >= deadline:
            break
    elapsed_s = (now_ms() - start) / 1000
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
        "latencies_ms": latencies,
    }


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    result = run(WorkerSpec.load(Path(sys.argv[1])))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
