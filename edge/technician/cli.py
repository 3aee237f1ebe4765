"""The technician commands of ``python -m edge``: configure, provision, doctor.

Imports of the store, printer and sync stacks happen inside the handlers, so building
``python -m edge``'s parser stays cheap.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    conf = sub.add_parser("configure", help="change edge.toml: --set section.key=value, or --interactive")
    conf.add_argument("--config", required=True, help="edge.toml (created if missing)")
    conf.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                      help="e.g. scale.protocol=mt-sics (repeatable; an empty number restores the default)")
    conf.add_argument("--interactive", action="store_true", help="ask for every setting (Enter keeps the value)")
    conf.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    conf.set_defaults(handler=cmd_configure)

    prov = sub.add_parser("provision", help="install central's provisioning bundle (identity, key, broker login)")
    prov.add_argument("bundle", help="the JSON file from `python -m central scales add --bundle`")
    prov.add_argument("--config", required=True, help="edge.toml (created if missing)")
    prov.add_argument("--force", action="store_true", help="replace a different identity and device key")
    prov.set_defaults(handler=cmd_provision)

    doc = sub.add_parser("doctor", help="check module, printer, broker, clock, disk, database, backlog")
    doc.add_argument("--config", required=True, help="edge.toml")
    doc.add_argument("--json", action="store_true", help="the report as one JSON object")
    doc.set_defaults(handler=cmd_doctor)  # fmt: skip

    seal = sub.add_parser("seal", help="the sealed procedure after a legal change: PIN, who and why; unlocks selling")
    seal.add_argument("--config", required=True, help="edge.toml")
    seal.add_argument("--technician", required=True, help="who seals (name or technician number), logged")
    seal.add_argument("--reason", required=True, help="why, e.g. 'e 5 g -> 2 g after verification', logged")
    seal.set_defaults(handler=cmd_seal)

    legal = sub.add_parser("legal", help="extended display: software id, event counter, lock state")
    legal.add_argument("--config", required=True, help="edge.toml")
    legal.add_argument("--json", action="store_true", help="one JSON object")
    legal.add_argument("--lang", default="zh", choices=("zh", "en"))
    legal.set_defaults(handler=cmd_legal)


def _error(exc: Exception, code: int = 2) -> int:
    print(f"错误 error: {exc}", file=sys.stderr)
    return code


def cmd_configure(args: argparse.Namespace) -> int:
    from edge.checkout import now_ms
    from edge.technician import configure

    try:
        wanted = dict(configure.parse_assignment(text) for text in args.set)
        if args.interactive:
            wanted |= configure.interactive(args.config)
        if not wanted:
            return _error(ValueError("没有要修改的设置：请用 --set 段.键=值 或 --interactive / nothing to change: "
                                     "give --set section.key=value or --interactive"))  # fmt: skip
        plan = configure.plan(args.config, wanted)
        for change in plan.changes:
            print(change.describe())
        if not plan.changes:
            print("没有修改 / nothing changed")
            return 0
        if args.dry_run:
            print("(--dry-run: 未写入 / nothing written)")
            return 0
        if args.interactive and input("保存这些修改？Save these changes? [y/N] ").strip().lower() not in ("y", "yes"):
            print("未保存 / not saved")
            return 1
        applied = configure.apply(plan, now_ms=now_ms)
    except (configure.ConfigureError, OSError) as exc:
        return _error(exc)
    except EOFError:
        return _error(ValueError("输入中断，未保存 / input ended, nothing saved"))
    logged = f"; 事件日志 event log #{', #'.join(map(str, applied.events))}" if applied.events else ""
    print(f"已保存 {len(applied.changes)} 项 / saved {len(applied.changes)} settings to {args.config}"
          f" (backup {applied.backup}){logged}; 重启秤程序后生效 / restart the scale app to use them")  # fmt: skip
    if any(c.legal for c in applied.changes):
        print("计量参数已更改，暂停销售，直到技术人员铅封 / selling is locked until a technician seals: "
              f"python -m edge seal --config {args.config} --technician NAME --reason WHY")  # fmt: skip
    return 0


def _read_pin() -> str:
    """The technician PIN: $TRACE_TECHNICIAN_PIN, else asked (hidden on a terminal), else stdin's first line."""
    import getpass
    import os

    if pin := os.environ.get("TRACE_TECHNICIAN_PIN"):
        return pin
    if sys.stdin.isatty():
        return getpass.getpass("技术员密码 technician PIN: ")
    return sys.stdin.readline().strip()


def cmd_seal(args: argparse.Namespace) -> int:
    import hmac

    from edge.checkout import now_ms
    from edge.config import ConfigError, load_config
    from edge.core.protection import SealError, legal_lines
    from edge.software_id import software_id
    from edge.store import StoreError
    from edge.technician.configure import open_store

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return _error(exc)
    pin = _read_pin()
    if not pin:
        return _error(ValueError("没有输入技术员密码，未铅封：设置 TRACE_TECHNICIAN_PIN，或在终端上运行 / "
                                 "no technician PIN given, not sealed: set TRACE_TECHNICIAN_PIN or run it on a "
                                 "terminal"), 3)  # fmt: skip
    if not hmac.compare_digest(pin.encode(), config.display.technician_pin.encode()):
        return _error(ValueError("技术员密码错误，未铅封 / wrong technician PIN, not sealed"), 3)
    try:
        with open_store(config) as store:
            entry = store.seal(args.technician, args.reason, now_ms())
            state = store.protection()
    except (SealError, StoreError) as exc:
        return _error(exc)
    print(f"已铅封，事件日志 #{entry.id} / sealed, event log #{entry.id}")
    for line in legal_lines(str(software_id()), state, "zh") + legal_lines(str(software_id()), state, "en"):
        print(line)
    if state.remote_locked:
        print("注意：中心远程锁定仍有效，需由中心解锁 / note: central's remote lock stays until central unlocks")
    return 0


def cmd_legal(args: argparse.Namespace) -> int:
    from edge.config import ConfigError, load_config
    from edge.core.protection import legal_lines
    from edge.software_id import software_id
    from edge.store import StoreError
    from edge.technician.configure import open_store

    try:
        config = load_config(args.config)
        with open_store(config) as store:
            state = store.protection()
    except (ConfigError, StoreError) as exc:
        return _error(exc)
    ident = str(software_id())
    if args.json:
        print(json.dumps({"software_id": ident, **state.to_dict()}, ensure_ascii=False))
    else:
        print("\n".join(legal_lines(ident, state, args.lang)))
    return 0


def cmd_provision(args: argparse.Namespace) -> int:
    from edge.checkout import now_ms
    from edge.technician import configure
    from edge.technician.provision import provision

    try:
        done = provision(args.bundle, args.config, force=args.force, now_ms=now_ms)
    except (configure.ConfigureError, OSError) as exc:
        return _error(exc)
    if done.unchanged:
        print(f"秤 {done.scale_id} 已安装过此配置包，无需修改 / scale {done.scale_id}: bundle already installed")
        return 0
    for change in done.applied.changes:
        print(change.describe())
    print(f"秤 {done.scale_id} 已配置：设备密钥 {done.key_path}，事件日志 #{', #'.join(map(str, done.applied.events))}")
    print(f"scale {done.scale_id} provisioned: device key {done.key_path}. Delete the bundle file {args.bundle} now "
          "(it holds the private key and password), then run `python -m edge doctor --config ...`.")  # fmt: skip
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from edge.config import ConfigError, load_config
    from edge.technician import doctor

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        finding = doctor.Finding("config", "fail", str(exc), "python -m edge configure --config ... --interactive")
        findings = [finding]
    else:
        findings = doctor.run(config)
    if args.json:
        print(json.dumps(doctor.to_json(findings), ensure_ascii=False))
    else:
        for finding in findings:
            print(finding.text())
        bad = sum(f.status == "fail" for f in findings)
        print(f"\n{bad} 项故障 / {bad} failed" if bad else "\n全部正常 / all ok")
    return 1 if doctor.failed(findings) else 0
