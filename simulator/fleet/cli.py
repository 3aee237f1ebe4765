"""`python -m simulator fleet`: N virtual scales selling against a real broker and central."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from simulator.fleet.run import FleetOptions, run_fleet


def add_subcommand(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "fleet",
        help="N virtual scales selling against a real Mosquitto and central",
        description="Register N scales at a fresh central (SQLite in --dir, or --db postgresql://...), start "
        "Mosquitto with central's passwords and ACL and `python -m central serve`, let every scale sell and "
        "heartbeat for --duration seconds, wait for the backlog to drain, then check central's database "
        "and print throughput, sale-to-central latency, backlog and errors.",
    )
    parser.add_argument("--scales", type=int, default=100, help="virtual scales (default 100)")
    parser.add_argument("--markets", type=int, default=1, help="markets they are spread over (<= 999 scales each)")
    parser.add_argument("--rate", type=float, default=4.0, help="sales per scale per minute (default 4: peak)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of selling (default 30)")
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for the last acks (default 30)")
    parser.add_argument("--heartbeat", type=float, default=30.0, help="heartbeat period in seconds (default 30)")
    parser.add_argument("--db", default="", help="central database URL (default: SQLite in --dir); use a fresh one")
    parser.add_argument("--receivers", type=int, default=1, help="central serve processes (default 1)")
    parser.add_argument("--central-workers", type=int, default=2, help="worker threads per receiver (default 2)")
    parser.add_argument("--procs", type=int, default=1, help="fleet processes to spread the scales over")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, help="work directory (default: a new temp dir)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    opts = FleetOptions(
        scales=args.scales, markets=args.markets, rate_per_min=args.rate, duration_s=args.duration,
        drain_s=args.drain, heartbeat_s=args.heartbeat, db_url=args.db, receivers=args.receivers,
        central_workers=args.central_workers, procs=args.procs, seed=args.seed, workdir=args.dir,
    )  # fmt: skip
    report = run_fleet(opts)
    if args.json:
        doc = asdict(report)
        doc["options"]["workdir"] = str(opts.workdir) if opts.workdir else None
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        print(report.table())
    return 0 if report.lost == 0 and report.duplicates == 0 and report.backlog == 0 else 1
