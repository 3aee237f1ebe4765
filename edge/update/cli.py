"""``python -m edge update``: slots status, the boot-time check, a local install."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from edge.update.root import ROOT_ENV, update_root

if TYPE_CHECKING:
    from edge.store import Store

DEFAULT_ROOT = Path("/opt/trace-scale")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    up = sub.add_parser("update", help="firmware slots: --status, --check-boot (systemd ExecStartPre), --seed WHEEL")
    up.add_argument("--root", type=Path, default=update_root() or DEFAULT_ROOT,
                    help=f"folder with slots/ and current (env {ROOT_ENV}, default {DEFAULT_ROOT})")  # fmt: skip
    up.add_argument("--config", help="edge.toml (the event log lives in its store)")
    what = up.add_mutually_exclusive_group(required=True)
    what.add_argument("--status", action="store_true", help="slots, versions and the last result")
    what.add_argument("--check-boot", action="store_true",
                      help="before each start: roll back a new version that failed to start or report")  # fmt: skip
    what.add_argument("--boot-ok", action="store_true", help="declare the running version healthy (ends its trial)")
    what.add_argument("--seed", type=Path, metavar="WHEEL",
                      help="install a local wheel into the free slot and switch to it (first install)")  # fmt: skip
    up.set_defaults(handler=cmd_update)


def _fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def cmd_update(args: argparse.Namespace) -> int:
    from edge.update.updater import status_lines

    root: Path = args.root
    if args.status:
        print("\n".join(status_lines(root)))
        return 0
    if not args.config:
        return _fail("需要配置文件 / --config edge.toml is needed: the update steps go into the scale's event log")
    from edge import runtime
    from edge.config import ConfigError, load_config
    from edge.store import StoreError

    try:
        store = runtime.open_store(load_config(args.config))
    except (ConfigError, StoreError) as exc:
        return _fail(str(exc))
    try:
        return _with_store(args, root, store)
    finally:
        store.close()


def _with_store(args: argparse.Namespace, root: Path, store: Store) -> int:
    from edge.checkout import now_ms
    from edge.software_id import software_id
    from edge.update.slots import SlotError, Slots
    from edge.update.updater import check_boot, mark_booted

    if args.check_boot:
        print(check_boot(root, store))
        return 0  # never keep the service from starting: after a rollback the old version runs
    if args.boot_ok:
        version = software_id().version
        ended = mark_booted(root, store, version)
        print(f"{version} booted OK, trial ended" if ended else f"{version}: no trial pending for this version")
        return 0
    slots = Slots(root)
    if not args.seed.is_file():
        return _fail(f"没有找到安装包 / wheel {args.seed} not found")
    slot = slots.inactive()
    try:
        slots.build(slot, args.seed)
        slots.switch(slot)
    except SlotError as exc:
        return _fail(str(exc))
    version = slots.version(slot)
    store.append_event("firmware.installed", {"version": version, "slot": slot, "source": "local"}, now_ms())
    print(f"version {version} installed into slot {slot}; {root}/current points at it")
    return 0
