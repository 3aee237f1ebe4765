"""`python -m simulator scale`: serve one virtual module; line commands on stdin steer it.

The first line of stdout is the address a host opens (pty symlink or socket:// URL);
everything else goes to stderr. The simulator serves until SIGINT/SIGTERM or `quit`;
a closed stdin (or /dev/null) only ends the commands, never the serving.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from edge.core.stopflag import StopFlag
from simulator.scale.control import ControlServer
from simulator.scale.faults import FaultKind, parse_fault
from simulator.scale.frames import PROTOCOLS
from simulator.scale.links import Link, PtyLink, TcpLink
from simulator.scale.scenario import ScenarioPlayer, parse_scenario
from simulator.scale.virtual import VirtualScale

HELP = """commands (one per line):
  put GRAMS            put a load on the platter (e.g. put 1235)
  remove               empty the platter
  overload | underload load above Max + 9 e / lift the platter
  drift G_PER_MIN      slow zero drift in grams per minute (drift 0 stops it)
  zero | tare | clear-tare   press the module's keys
  fault KIND [COUNT]   spoil the next frame(s): garbage | truncate | bad-checksum
  unplug | replug      the adapter disappears / comes back (same path)
  silence SECONDS      send and answer nothing for a while
  status               show what the module displays now
  quit                 stop serving"""


class CommandError(ValueError):
    """A stdin command that cannot be carried out; the message says what to type instead."""


class QuitRequested(Exception):
    pass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--protocol", required=True, choices=sorted(PROTOCOLS), help="wire protocol to speak")
    parser.add_argument("--link", default="pty", help="pty (default) or tcp:HOST:PORT (PORT 0 picks a free port)")
    parser.add_argument("--dir", default=None, help="directory for the pty symlink (default: a new temp dir)")
    parser.add_argument("--name", default="scale0", help="name of the pty symlink (default: scale0)")
    parser.add_argument("--seed", type=int, default=0, help="seed for noise and garbage (default: 0)")
    parser.add_argument("--max-g", type=int, default=15_000, help="capacity Max in grams (default: 15000)")
    parser.add_argument("--e-g", type=int, default=5, help="division e in grams (default: 5)")
    parser.add_argument("--rate", type=float, default=20.0, help="frames per second when streaming (default: 20)")
    parser.add_argument("--unit", choices=("kg", "g"), default="kg", help="unit the module reports in")
    parser.add_argument("--settle", type=float, default=0.8, help="seconds a new load takes to settle")
    parser.add_argument("--scenario", default="none", help="demo (loops through loads), static:GRAMS or none (default)")
    parser.add_argument("--control", default=None, help="also take commands on this Unix socket (control.py)")


def parse_link(text: str) -> tuple[str, str, int]:
    """`pty` -> ("pty", "", 0); `tcp:HOST:PORT` -> ("tcp", HOST, PORT)."""
    if text == "pty":
        return "pty", "", 0
    kind, _, rest = text.partition(":")
    host, _, port = rest.rpartition(":")
    if kind != "tcp" or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"--link must be 'pty' or 'tcp:HOST:PORT' (e.g. tcp:127.0.0.1:4001), not {text!r}")
    return "tcp", host, int(port)


def execute(line: str, sim: VirtualScale, link: Link) -> str:
    """Carry out one stdin command; return what happened (for stderr)."""
    words = line.split()
    if not words:
        return ""
    name, args = words[0].lower(), words[1:]

    def int_arg(usage: str) -> int:
        if len(args) != 1 or not args[0].lstrip("-").isdigit():
            raise CommandError(f"usage: {usage}")
        return int(args[0])

    simple: dict[str, Callable[[], object]] = {
        "remove": sim.remove,
        "overload": sim.overload,
        "underload": sim.underload,
        "unplug": link.unplug,
        "replug": link.replug,
    }
    if name in simple:
        simple[name]()
        return f"ok: {name}" + (f" ({link.address})" if name in ("unplug", "replug") else "")
    if name == "put":
        grams = int_arg("put GRAMS (integer grams), e.g. 'put 1235'")
        if grams < 0:
            raise CommandError("put needs grams >= 0; use 'underload' to lift the platter")
        sim.put(grams)
        return f"ok: {grams} g on the platter, settling"
    if name == "drift":
        sim.set_drift(int_arg("drift G_PER_MIN (integer grams per minute), e.g. 'drift 2'"))
        return f"ok: zero drifts {args[0]} g per minute"
    if name in ("zero", "tare", "clear-tare"):
        result = {"zero": sim.zero, "tare": sim.tare, "clear-tare": sim.clear_tare}[name]()
        return f"ok: {name}" if result.ok else f"refused: {name}: {result.reason}"
    if name == "fault":
        return _fault(args, sim)
    if name == "silence":
        try:
            seconds = float(args[0]) if len(args) == 1 else -1.0
        except ValueError:
            seconds = -1.0
        if seconds < 0:
            raise CommandError("usage: silence SECONDS, e.g. 'silence 3'")
        link.silence(seconds)
        return f"ok: silent for {seconds:g} s"
    if name == "status":
        s = sim.sample()
        return (
            f"gross {s.gross_g} g, tare {s.tare_g} g, net {s.net_g} g, stable {s.stable}, "
            f"overload {s.overload}, underload {s.underload}, {'plugged' if link.plugged else 'unplugged'}"
        )
    if name == "help":
        return HELP
    if name in ("quit", "exit"):
        raise QuitRequested
    raise CommandError(f"unknown command {words[0]!r}; type 'help' for the list")


def _fault(args: list[str], sim: VirtualScale) -> str:
    kinds = " | ".join(k.value for k in FaultKind)
    if not 1 <= len(args) <= 2 or (len(args) == 2 and not args[1].isdigit()):
        raise CommandError(f"usage: fault {kinds} [COUNT]")
    try:
        kind = parse_fault(args[0])
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    count = int(args[1]) if len(args) == 2 else 1
    sim.inject(kind, count)
    return f"ok: next {count} frame(s) get {kind.value}"


def _read_commands(stream: TextIO, sim: VirtualScale, link: Link, stop: StopFlag) -> None:
    try:
        for line in stream:
            try:
                message = execute(line, sim, link)
            except QuitRequested:
                stop("quit")
                return
            except (CommandError, ValueError, TypeError) as exc:
                message = f"error: {exc}"
            if message:
                print(message, file=sys.stderr, flush=True)
    except (OSError, ValueError):  # stdin closed under us: keep serving
        return


def run(args: argparse.Namespace) -> int:
    try:
        link_kind, host, port = parse_link(args.link)
        scenario = parse_scenario(args.scenario)
        sim = VirtualScale(
            args.protocol,
            seed=args.seed,
            max_g=args.max_g,
            e_g=args.e_g,
            rate_hz=args.rate,
            unit=args.unit,
            settle_s=args.settle,
        )
    except ValueError as exc:
        print(f"simulator scale: error: {exc}", file=sys.stderr)
        return 2
    link: Link = PtyLink(sim, args.dir, args.name) if link_kind == "pty" else TcpLink(sim, host, port)
    try:
        link.start()
    except OSError as exc:
        print(f"simulator scale: error: cannot open {args.link}: {exc}", file=sys.stderr)
        return 1

    stop = StopFlag()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    print(link.address, flush=True)
    device = f" -> {link.device}" if isinstance(link, PtyLink) else ""
    rate = f", {args.rate:g} frames/s" if sim.streaming else ", polled"
    print(
        f"simulator scale: {sim.protocol} module, Max {sim.max_g} g, e {sim.e_g} g{rate}, "
        f"serving on {link.address}{device}; scenario {scenario.name}; "
        "type 'help' on stdin for commands, Ctrl-C to stop",
        file=sys.stderr,
        flush=True,
    )
    player = ScenarioPlayer(sim, scenario).start()
    control = ControlServer(args.control, sim, link, execute, player.stop).start() if args.control else None
    if sys.stdin is not None and not sys.stdin.closed:
        threading.Thread(target=_read_commands, args=(sys.stdin, sim, link, stop), daemon=True).start()
    try:
        while not stop.wait(0.2):
            pass
    finally:
        if control is not None:
            control.stop()
        player.stop()
        link.stop()
    print("simulator scale: stopped", file=sys.stderr, flush=True)
    return 0
