"""`python -m simulator ...`: virtual hardware for the trace scale.

Each subcommand is one `add_<name>` function that registers its parser and sets
``run``; adding a simulator (printer, payment, fleet) is one more such function.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from simulator.cityplatform.cli import add_subcommand as add_cityplatform
from simulator.fleet.cli import add_subcommand as add_fleet
from simulator.payment.cli import add_subcommand as add_payment
from simulator.printer.cli import add_subcommand as add_printer
from simulator.scanner.cli import add_subcommand as add_scanner


def add_scale(subcommands: argparse._SubParsersAction) -> None:
    from simulator.scale import console

    parser = subcommands.add_parser(
        "scale",
        help="a virtual weighing module over a pty or TCP",
        description="Serve a virtual weighing module. Prints the pty path (or socket:// URL) as the "
        "first line of stdout, then serves until Ctrl-C/SIGTERM or 'quit' on stdin.",
        epilog=console.HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    console.add_arguments(parser)
    parser.set_defaults(run=console.run)


SUBCOMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    add_scale,
    add_printer,
    add_fleet,
    add_payment,
    add_cityplatform,
    add_scanner,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulator", description="Virtual hardware for the trace scale (溯源秤)."
    )
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
