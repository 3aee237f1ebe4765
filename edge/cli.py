"""``python -m edge ...``: the scale's command line (DESIGN.md, Commands)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import threading
import time
from collections.abc import Callable

from edge.core.reading import Reading
from edge.core.units import format_kg
from edge.scale_driver.driver import LinkStatus, ScaleDriver
from edge.scale_driver.probe import COMMON_BAUDS, probe
from edge.scale_driver.protocols import PROTOCOLS
from edge.scale_driver.transport import TransportError

Handler = Callable[[argparse.Namespace], int]


def _describe(reading: Reading) -> str:
    if not reading.has_weight:
        flags = "超载 overload" if reading.overload else "欠载 underload" if reading.underload else "动态 motion"
        return f"  ------ kg  {flags}"
    flags = " ".join(
        name
        for name, on in (
            ("稳定 stable", reading.stable),
            ("零位 zero", reading.zero),
            ("净重 net", reading.tare_g != 0),
        )
        if on
    )
    return f"{format_kg(reading.net_g):>9} kg  tare {format_kg(reading.tare_g)} kg  {flags}"


def cmd_scale_read(args: argparse.Namespace) -> int:
    done = threading.Event()
    count = 0
    out_lock = threading.Lock()

    def on_reading(reading: Reading) -> None:
        nonlocal count
        with out_lock:
            if done.is_set():
                return
            line = json.dumps(reading.to_json()) if args.json else _describe(reading)
            print(line, flush=True)
            count += 1
            if args.count and count >= args.count:
                done.set()

    def on_status(status: LinkStatus) -> None:
        print(f"scale: {status.text(args.lang)} ({status.detail})" if status.detail else
              f"scale: {status.text(args.lang)}", file=sys.stderr, flush=True)

    driver = ScaleDriver(args.port, args.protocol, baud=args.baud, silence_s=args.silence)
    driver.subscribe(on_reading)
    driver.subscribe_status(on_status)
    driver.start()
    try:
        deadline = time.monotonic() + args.timeout if args.timeout else None
        while not done.wait(0.1):
            if deadline and time.monotonic() > deadline and count == 0:
                print(
                    f"error: no reading from {args.port} within {args.timeout:g} s using protocol "
                    f"{args.protocol}. Check the cable, or run: python -m edge scale probe --port {args.port}",
                    file=sys.stderr,
                )
                return 2
    except KeyboardInterrupt:
        pass
    finally:
        driver.stop()
    return 0


def cmd_scale_probe(args: argparse.Namespace) -> int:
    bauds = tuple(args.baud) if args.baud else COMMON_BAUDS
    print(f"probing {args.port} at {', '.join(map(str, bauds))} baud…", file=sys.stderr)
    try:
        result = probe(args.port, bauds)
    except TransportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if result is None:
        print(
            f"error: no known protocol answered on {args.port} "
            f"(tried {', '.join(PROTOCOLS)} at {', '.join(map(str, bauds))} baud). "
            "Check the cable and that the module is powered; some modules need their output "
            "switched to continuous or to a host interface in their own setup menu.",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(json.dumps(dataclasses.asdict(result)))
    else:
        print(f"# found {result.protocol} at {result.baud} baud ({result.frames} frames); put this in edge.toml:")
        print(result.to_toml(), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m edge", description="Trace scale (溯源秤) edge agent")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="message language (default zh)")
    sub = parser.add_subparsers(dest="command", required=True)

    scale = sub.add_parser("scale", help="talk to the weighing module").add_subparsers(
        dest="scale_command", required=True
    )
    read = scale.add_parser("read", help="print live readings")
    read.add_argument("--port", required=True, help="serial port or pyserial URL (socket://host:port)")
    read.add_argument("--protocol", required=True, choices=sorted(PROTOCOLS))
    read.add_argument("--baud", type=int, help="override the protocol's default baud rate")
    read.add_argument("--count", type=int, default=0, help="stop after N readings (default: run until Ctrl-C)")
    read.add_argument("--json", action="store_true", help="one JSON object per line")
    read.add_argument("--timeout", type=float, default=10.0, help="give up if no reading within S seconds")
    read.add_argument("--silence", type=float, default=1.0, help="seconds without data before 'no data'")
    read.set_defaults(handler=cmd_scale_read)

    prb = scale.add_parser("probe", help="detect protocol and baud rate")
    prb.add_argument("--port", required=True)
    prb.add_argument("--baud", type=int, action="append", help="baud rate to try (repeatable)")
    prb.add_argument("--json", action="store_true")
    prb.set_defaults(handler=cmd_scale_probe)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)
