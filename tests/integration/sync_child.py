"""A scale process for the sync tests: python -m tests.integration.sync_child DB URL --password P [--sell N].

Runs SyncService on the store, optionally sells N more sales while syncing (printing
``COMMITTED sale_id`` after each commit returned), prints ``READY`` and then a state line
per second until killed.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from edge.config import IdentityConfig, SyncConfig
from edge.store import Store
from edge.store.samples import sale_builder
from edge.sync import SyncService

DAY = "2024-05-12"
IDENTITY = IdentityConfig(market_id="lz-dongfanghong", scale_id="620102-007")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("broker")
    parser.add_argument("--password", default="")
    parser.add_argument("--sell", type=int, default=0)
    parser.add_argument("--heartbeat", type=float, default=30.0)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--ack-timeout", type=float, default=5.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    store = Store.open(args.db)
    config = SyncConfig(
        broker_url=args.broker,
        password=args.password,
        heartbeat_s=args.heartbeat,
        batch_size=args.batch,
        ack_timeout_s=args.ack_timeout,
    )
    service = SyncService(
        config, IDENTITY, store, printer_state=lambda: "ok", software_id="test-0.1+child", backoff_s=(0.2, 2.0)
    )
    service.start()
    print("READY", flush=True)
    for _ in range(args.sell):
        sale = store.commit_sale(DAY, sale_builder(DAY))
        service.wake()
        print("COMMITTED", sale.sale_id, flush=True)
    while True:
        print("STATE", service.state(), flush=True)
        time.sleep(1)


if __name__ == "__main__":
    main()
