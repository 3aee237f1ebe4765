"""``python -m edge install`` / ``uninstall``: a scale's Linux made ready for kiosk use."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path, PurePosixPath

from edge.install.files import DEVICES, InstallOptions, UsbId, install_commands, install_files
from edge.install.plan import InstallError, install, uninstall

SYSFS = Path("/sys")


def _usb_id(text: str) -> UsbId:
    try:
        return UsbId.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ins = sub.add_parser("install", help="systemd units, udev rules, groups, log rotation for kiosk use")
    ins.add_argument("--dry-run", action="store_true", help="print every file and command, change nothing")
    ins.add_argument("--prefix", type=Path, default=Path("/"), help="write under this folder (default /)")
    ins.add_argument("--user", default="trace", help="the account the scale app runs as (default trace)")
    ins.add_argument("--config", default="/etc/trace-scale/edge.toml", help="edge.toml the services use")
    ins.add_argument("--root", default=os.environ.get("TRACE_SCALE_ROOT", "/opt/trace-scale"),
                     help="folder of the firmware slots (edge update), default /opt/trace-scale")  # fmt: skip
    ins.add_argument("--display", default=":0", help="X display of the kiosk session (default :0)")
    ins.add_argument("--watchdog", type=int, default=30, help="WatchdogSec of the app unit (default 30)")
    for device in DEVICES:
        hint = f"USB id of the {device.label} -> /dev/{device.link} (default: its port in --config)"
        ins.add_argument(f"--{device.role}-usb", type=_usb_id, metavar="VID:PID", help=hint)
    ins.set_defaults(handler=cmd_install)

    un = sub.add_parser("uninstall", help="remove exactly what install wrote")
    un.add_argument("--dry-run", action="store_true")
    un.add_argument("--prefix", type=Path, default=Path("/"))
    un.set_defaults(handler=cmd_uninstall)


def usb_id_of(device: str, sysfs: Path = SYSFS) -> UsbId | None:
    """The USB vendor:product of a device node such as /dev/ttyUSB0 or /dev/usb/lp0, from sysfs."""
    if not device.startswith("/dev/"):
        return None
    name = Path(os.path.realpath(device)).name
    for cls in ("tty", "usbmisc"):
        node = sysfs / "class" / cls / name / "device"
        if not node.exists():
            continue
        for folder in [node.resolve(), *node.resolve().parents]:
            vendor, product = folder / "idVendor", folder / "idProduct"
            if vendor.is_file() and product.is_file():
                return UsbId.parse(f"{vendor.read_text().strip()}:{product.read_text().strip()}")
    return None


def _config_ports(config_path: str) -> dict[str, str]:
    """role -> device node named in edge.toml (if the file is there and readable)."""
    from edge.config import ConfigError, load_config

    try:
        config = load_config(config_path)
    except ConfigError:
        return {}
    printer_kind, _, printer_path = config.printer.connection.partition(":")
    return {
        "scale": config.scale.port,
        "printer": printer_path.split("@", 1)[0] if printer_kind in ("serial", "usb") else "",
        "pole": config.display.pole_port,
    }


def _usb_ids(args: argparse.Namespace, warn: list[str]) -> dict[str, UsbId]:
    ports = _config_ports(args.config)
    ids: dict[str, UsbId] = {}
    for device in DEVICES:
        given = getattr(args, f"{device.role}_usb")
        found = given or usb_id_of(ports.get(device.role, ""))
        if found is None:
            warn.append(
                f"未设置{device.label.split()[-1]}的 USB 设备号，不生成 /dev/{device.link} / no USB id for the "
                f"{device.label.rsplit(' ', 1)[0]}: pass --{device.role}-usb VID:PID (see lsusb), or plug it in and "
                f"name its port in {args.config}; /dev/{device.link} is not created"
            )
        else:
            ids[device.role] = found
    return ids


def cmd_install(args: argparse.Namespace) -> int:
    warnings: list[str] = []
    options = InstallOptions(
        user=args.user, config=PurePosixPath(os.path.abspath(args.config)), root=PurePosixPath(args.root),
        display=args.display, watchdog_s=args.watchdog, usb=_usb_ids(args, warnings),
    )  # fmt: skip
    for text in warnings:
        print(f"warning: {text}", file=sys.stderr)
    try:
        install(install_files(options), install_commands(options), args.prefix, dry_run=args.dry_run)
    except (InstallError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.dry_run:
        print(f"installed; remove with: python -m edge uninstall --prefix {args.prefix}")
    return 0


def cmd_uninstall(args: argparse.Namespace) -> int:
    try:
        uninstall(args.prefix, dry_run=args.dry_run)
    except (InstallError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
