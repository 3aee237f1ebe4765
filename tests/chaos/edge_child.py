"""The scale process of the chaos suite: sells through the real Checkout while SyncService uploads.

    python -m tests.chaos.edge_child DB BROKER_URL --password P --key PEM [options]

Each life appends one ``test.restart`` entry to the event log (so the chain and its upload
are exercised across kills; ``--event-every N`` adds one per N sales), then sells
``--sell`` sales, one every ``--interval`` s, signed with the scale's device key, and keeps
syncing until it is killed. Lines on stdout, flushed:

    READY                                      SyncService started
    COMMITTED sale_id seq trace_code created_ms  after Checkout.commit returned (the vendor saw it)
    REFUSED zh|en                              the store refused a sale (e.g. disk full); retried
    DONE                                       all sales of this life committed

``--die-at KIND:N`` SIGKILLs the process itself at an exact point: ``commit`` (the N-th sale
is committed but not yet reported), ``publish`` (the N-th sales message was handed to the
MQTT client), ``ack`` (central acked, the outbox rows not yet deleted) or ``acked`` (just
deleted). The clock is simulated when ``--clock-start`` is given (epoch ms), else real
time; ``--clock-step`` advances it per sale and ``--jump-after``/``--jump-ms`` move it once.
Imports are kept to what a sale needs: ~200 restarts pay for them.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import signal
import sys
import time

from edge.checkout import Checkout
from edge.config import EdgeConfig, IdentityConfig, SyncConfig
from edge.core.cart import Cart
from edge.core.metrology import SellableWeight
from edge.core.records import Pricing
from edge.device_key import DeviceKey
from edge.store import Store, StoreError
from edge.store.samples import BATCHES, PLUS
from edge.sync import SyncService

IDENTITY = IdentityConfig(
    market_id="lz-dongfanghong", market_code="620102", scale_no=7, scale_id="620102-007",
    merchant_id="m-0042", merchant_name="老王蔬菜", stall="A-17", operator="王",
)  # fmt: skip  # the scale tests.integration.sync_support registers at central
RESTART_EVENT = "test.restart"  # test-only event kinds: one per process life,
MARK_EVENT = "test.mark"  # and one every --event-every sales (events made while offline)


class DiePoint:
    """SIGKILL this process at the N-th hit of one kind of point."""

    def __init__(self, spec: str) -> None:
        kind, _, n = spec.partition(":")
        self.kind, self.n, self.hits = kind, int(n or 0), 0

    def hit(self, kind: str) -> None:
        if kind == self.kind:
            self.hits += 1
            if self.hits == self.n:
                os.kill(os.getpid(), signal.SIGKILL)


class SimClock:
    """Epoch ms: real time, or a simulated start that moves per sale and may jump once."""

    def __init__(self, start_ms: int, step_ms: int, jump_after: int, jump_ms: int) -> None:
        self.start_ms, self.step_ms = start_ms, step_ms
        self.jump_after, self.jump_ms = jump_after, jump_ms
        self.offset_ms = 0
        self.sales = 0

    def __call__(self) -> int:
        base = self.start_ms or time.time_ns() // 1_000_000
        return base + self.offset_ms

    def sold(self) -> None:
        self.sales += 1
        self.offset_ms += self.step_ms
        if self.sales == self.jump_after:
            self.offset_ms += self.jump_ms


class ChaosStore(Store):
    die = DiePoint("")

    def ack_through(self, seq: int) -> int:
        self.die.hit("ack")  # central has committed and acked; the rows are still here
        deleted = super().ack_through(seq)
        self.die.hit("acked")
        return deleted


class ChaosSync(SyncService):
    die = DiePoint("")

    def _publish_sales(self, topic: str, body: bytes) -> bool:
        handed = super()._publish_sales(topic, body)
        self.die.hit("publish")
        return handed


def cart(rng: random.Random) -> Cart:
    """One to three lines: weighed vegetables or meat, sometimes a box of eggs."""
    out = Cart()
    for _ in range(rng.randint(1, 3)):
        i = rng.choice((0, 1, 2, 3))
        if PLUS[i].pricing is Pricing.PIECE:
            out = out.add_piece(PLUS[i], rng.randint(1, 3), BATCHES[i])
        else:
            net = rng.randint(100, 5000)
            out = out.add_weighed(SellableWeight(net, net, 0, "none", b""), PLUS[i], BATCHES[i])
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("db")
    p.add_argument("broker")
    p.add_argument("--password", required=True)
    p.add_argument("--key", required=True, help="the device key central registered for the scale")
    p.add_argument("--sell", type=int, default=0)
    p.add_argument("--interval", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--die-at", default="")
    p.add_argument("--clock-start", type=int, default=0)
    p.add_argument("--clock-step", type=int, default=0)
    p.add_argument("--jump-after", type=int, default=0)
    p.add_argument("--jump-ms", type=int, default=0)
    p.add_argument("--event-every", type=int, default=0, help="also log a test.mark event every N sales")
    p.add_argument("--batch", type=int, default=200)
    p.add_argument("--window", type=int, default=4)
    p.add_argument("--ack-timeout", type=float, default=5.0)
    p.add_argument("--backoff-max", type=float, default=5.0)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    ChaosStore.die = ChaosSync.die = die = DiePoint(args.die_at)
    clock = SimClock(args.clock_start, args.clock_step, args.jump_after, args.jump_ms)
    rng = random.Random(args.seed)
    store = ChaosStore.open(args.db, clock=clock)
    store.append_event(RESTART_EVENT, {"pid": os.getpid(), "seed": args.seed}, clock())
    sync = SyncConfig(
        broker_url=args.broker, password=args.password, heartbeat_s=30.0,
        batch_size=args.batch, window=args.window, ack_timeout_s=args.ack_timeout,
    )  # fmt: skip
    config = EdgeConfig(identity=IDENTITY, sync=sync)
    service = ChaosSync.from_config(config, store, software_id="chaos", backoff_s=(0.2, args.backoff_max))
    checkout = Checkout(config, store, DeviceKey.load_or_create(args.key), clock_ms=clock)
    service.start()
    print("READY", flush=True)
    sold = 0
    while sold < args.sell:
        try:
            sale = checkout.commit(cart(rng))
        except StoreError as exc:  # the vendor sees the message and tries again
            print("REFUSED", f"{exc.zh}|{exc.en}", flush=True)
            print(f"refused: {exc.__cause__!r}", file=sys.stderr, flush=True)
            time.sleep(0.1)
            continue
        die.hit("commit")
        sold += 1
        clock.sold()
        service.wake()
        print("COMMITTED", sale.sale_id, sale.seq, sale.trace_code, sale.created_ms, flush=True)
        if args.event_every and sold % args.event_every == 0:
            store.append_event(MARK_EVENT, {"sold": sold}, clock())
        if args.interval:
            time.sleep(args.interval)
    print("DONE", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
