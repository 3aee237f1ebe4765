"""`python -m simulator printer`: a virtual ESC/POS ticket printer.

The first line of stdout is where it listens (`tcp:HOST:PORT` or the pty path); each
printed ticket is logged on stderr. It serves until SIGINT/SIGTERM or `quit` on stdin;
a closed stdin (or /dev/null) only ends the commands, never the serving.

Heavy imports (Pillow, qrcode) happen in `run`, so registering the subcommand is cheap.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from edge.core.stopflag import StopFlag

if TYPE_CHECKING:
    from simulator.printer.device import PrinterDevice

HELP = """commands (one per line on stdin):
  paper-out | paper-near-end | paper-ok   roll paper sensors (paper-ok clears both)
  cover-open | cover-close                the print head cover
  offline | online                        the printer's online state
  status                                  show the sensors and counters
  quit                                    stop serving
While paper is out, the cover is open or the printer is offline, everything but
DLE EOT status requests is discarded (counted, not printed)."""


def add_subcommand(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "printer",
        help="a virtual ESC/POS ticket printer over TCP or a pty",
        description="Serve a virtual 58/80 mm ESC/POS thermal printer. Prints where it listens as the first "
        "line of stdout, then writes each ticket to OUT/ticket-NNNN.png/.txt/.bin/.json until Ctrl-C/SIGTERM "
        "or 'quit' on stdin.",
        epilog=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--listen", default="tcp:127.0.0.1:9100", help="tcp:HOST:PORT (PORT 0 picks a free port) or pty"
    )
    parser.add_argument("--out", required=True, help="directory for the printed tickets")
    parser.add_argument("--paper", type=int, choices=(58, 80), default=58, help="paper width in mm (default 58)")
    parser.add_argument("--dir", default=None, help="pty only: directory for the symlink (default: a new temp dir)")
    parser.add_argument("--name", default="printer0", help="pty only: name of the symlink (default: printer0)")
    parser.set_defaults(run=run)
    return parser


class QuitRequested(Exception):
    pass


def _paper_ok(device: PrinterDevice) -> None:
    device.set_paper_out(False)
    device.set_paper_near_end(False)


COMMANDS: dict[str, Callable[[PrinterDevice], None]] = {
    "paper-out": lambda d: d.set_paper_out(True),
    "paper-near-end": lambda d: d.set_paper_near_end(True),
    "paper-ok": _paper_ok,
    "cover-open": lambda d: d.set_cover_open(True),
    "cover-close": lambda d: d.set_cover_open(False),
    "offline": lambda d: d.set_offline(True),
    "online": lambda d: d.set_offline(False),
    "status": lambda d: None,
}


def execute(line: str, device: PrinterDevice) -> str:
    """Carry out one stdin command; return what to log."""
    word = line.strip().lower()
    if not word:
        return ""
    if word == "quit":
        raise QuitRequested
    action = COMMANDS.get(word)
    if action is None:
        return f"printer: unknown command {word!r}; one of: {', '.join([*COMMANDS, 'quit'])}"
    action(device)
    return f"printer: {device.describe()}"


def run(args: argparse.Namespace) -> int:
    from simulator.printer.device import PrinterDevice
    from simulator.printer.fonts import FontNotFoundError
    from simulator.printer.server import PrinterPty, PrinterServer, parse_listen

    try:
        kind, host, port = parse_listen(args.listen)
    except ValueError as exc:
        print(f"printer: {exc}", file=sys.stderr)
        return 2

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        device = PrinterDevice(args.out, paper=args.paper, log=log)
    except FontNotFoundError as exc:
        print(f"printer: {exc}", file=sys.stderr)
        return 1
    link = PrinterServer(device, host, port) if kind == "tcp" else PrinterPty(device, args.dir, args.name)
    try:
        link.start()
    except OSError as exc:
        print(f"printer: cannot listen on {args.listen}: {exc}", file=sys.stderr)
        return 1

    done = StopFlag()
    previous = {sig: signal.signal(sig, done) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(link.address, flush=True)
        log(f"printer: {args.paper} mm paper, tickets go to {device.out_dir}")
        threading.Thread(target=_read_commands, args=(sys.stdin, device, done, log), daemon=True).start()
        while not done.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        link.stop()
        log(f"printer: stopped; {device.describe()}")
    return 0


def _read_commands(
    stream: TextIO | None, device: PrinterDevice, done: StopFlag, log: Callable[[str], None]
) -> None:
    if stream is None:
        return
    try:
        for line in stream:
            try:
                message = execute(line, device)
            except QuitRequested:
                done("quit")
                return
            if message:
                log(message)
    except (OSError, ValueError):  # stdin closed under us
        return
