"""``python -m simulator scanner``: scan each stdin line as a barcode.

Serial (default): makes a pty behind ``--dir/--name`` (like a USB-serial scanner's udev
name), prints its path as the first stdout line, then sends every line typed on stdin as
one scan (code + postamble). ``--hid``: types each line into the focused X window instead.
"""

from __future__ import annotations

import argparse
import os
import sys

from simulator.pty import LinkedPty
from simulator.scanner.device import POSTAMBLES, hid_type, serial_frame


def add_subcommand(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "scanner",
        help="a virtual barcode scanner (serial pty or USB HID typing)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dir", default=None, help="folder for the pty symlink (default: a temporary one)")
    parser.add_argument("--name", default="scanner0")
    parser.add_argument("--postamble", choices=sorted(POSTAMBLES), default="cr")
    parser.add_argument("--stx", action="store_true", help="send STX before each code")
    parser.add_argument("--encoding", default="utf-8", help="utf-8, or gb18030 like a GBK-mode scanner")
    parser.add_argument("--hid", action="store_true", help="type into the focused X window (keyboard wedge)")
    parser.add_argument("--display", default=None, help="X display for --hid (default: $DISPLAY)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.hid:
        print("hid", flush=True)
        for line in sys.stdin:
            if line.strip():
                hid_type(line.strip(), display=args.display)
                print(f"scanned {line.strip()}", flush=True)
        return 0
    link = LinkedPty(args.dir, args.name)
    link.plug()
    print(link.path, flush=True)
    try:
        for line in sys.stdin:
            code = line.rstrip("\r\n")
            if not code:
                continue
            os.set_blocking(link.master, True)
            os.write(link.master, serial_frame(code, args.postamble, stx=args.stx, encoding=args.encoding))
            print(f"scanned {code}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        link.unplug()
        link.remove_directory()
    return 0
