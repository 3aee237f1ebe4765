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
