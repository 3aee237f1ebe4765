"""`python -m simulator cityplatform`: the city platform as a long-running server.

The first line of stdout is the URL to forward to. Commands on stdin: ``down 503 [S]``,
``down refuse [S]``, ``up``, ``stats``, ``quit``.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from edge.core.stopflag import StopFlag

EPILOG = """controls (JSON over HTTP on the same port, or the same words on stdin):
  POST /sim/down {"mode": "503|refuse", "seconds": 3600}   be down (refuse: no HTTP until the timer ends)
  POST /sim/up                                             back up
  GET  /sim/stats                                          records held, duplicates seen, rejected
  GET  /sim/records?view=retail_market_tran_info_summ      what was stored"""


def add_subcommand(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "cityplatform",
        help="a city trace platform taking goods-in, sales and stop-sale views",
        description="Serve a city trace platform that checks the views strictly, stores them in --db, dedups "
        "on each record's key and can be down on command. Prints the URL, then serves until Ctrl-C/SIGTERM.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--listen", default="127.0.0.1:8095", help="HOST:PORT (PORT 0 picks a free port)")
    parser.add_argument("--db", required=True, help="SQLite file for what the platform received (kept across runs)")
    parser.set_defaults(run=run)
    return parser


def _console(platform: object, stop: StopFlag) -> None:
    for line in sys.stdin:
        words = line.split()
        try:
            if not words:
                continue
            if words[0] == "down":
                platform.down(words[1] if len(words) > 1 else "503", float(words[2]) if len(words) > 2 else None)
            elif words[0] == "up":
                platform.up()
            elif words[0] == "stats":
                print(json.dumps(platform.store.stats(), ensure_ascii=False), flush=True)
            elif words[0] == "quit":
                break
            else:
                print("commands: down 503|refuse [SECONDS], up, stats, quit", file=sys.stderr, flush=True)
        except (ValueError, IndexError) as exc:
            print(f"cityplatform: {exc}", file=sys.stderr, flush=True)
    else:
        return  # stdin closed (run in the background): keep serving
    stop("quit")


def run(args: argparse.Namespace) -> int:
    from simulator.cityplatform.server import CityPlatform
    from simulator.payment.cli import parse_listen

    try:
        host, port = parse_listen(args.listen)
    except ValueError as exc:
        print(f"cityplatform: {exc}", file=sys.stderr)
        return 2
    platform = CityPlatform(args.db, host, port, log_fn=lambda m: print(m, file=sys.stderr, flush=True))
    try:
        platform.start()
    except OSError as exc:
        print(f"cityplatform: 无法监听 {args.listen} / cannot listen on {args.listen}: {exc}", file=sys.stderr)
        return 2
    print(platform.url, flush=True)
    stop = StopFlag()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    threading.Thread(target=_console, args=(platform, stop), daemon=True).start()
    stop.wait()
    platform.stop()
    return 0
