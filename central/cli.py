"""``python -m central``: serve, plus the market office's admin commands.

Options also come from the environment: CENTRAL_DB, CENTRAL_MQTT, CENTRAL_API_TOKEN,
CENTRAL_KEY (central's signing key file, created on first use).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import signal
import sys
from pathlib import Path
from typing import Any

from central import admin, publish, queries
from central.db import Database, DatabaseError
from central.http import App, HttpServer
from central.keys import CentralKey, CentralKeyError
from central.mosquitto import TlsFiles, write_broker_files
from central.mqtt import MqttError, MqttUrl
from central.receiver import Receiver
from central.schema import migrate
from edge.core.stopflag import StopFlag

log = logging.getLogger("central")


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:8080)")
    return host, int(port)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=os.environ.get("CENTRAL_DB"), help="sqlite:///FILE or postgresql://... "
                        "(env CENTRAL_DB)")  # fmt: skip
    mqtt = argparse.ArgumentParser(add_help=False)
    mqtt.add_argument("--mqtt", default=os.environ.get("CENTRAL_MQTT"), help="mqtt://central:PASSWORD@HOST:PORT "
                      "(env CENTRAL_MQTT)")  # fmt: skip
    key = argparse.ArgumentParser(add_help=False)
    key.add_argument("--key", default=os.environ.get("CENTRAL_KEY", "central-key.pem"),
                     help="central's Ed25519 signing key (PEM), created on first use (env CENTRAL_KEY)")  # fmt: skip

    p = argparse.ArgumentParser(prog="python -m central", description="Trace-scale central: ingest, pages, admin")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", parents=[common, mqtt], help="run the MQTT receiver and/or the HTTP side")
    s.add_argument("--http", type=_host_port, help="HOST:PORT for the trace page and API (omit: no HTTP)")
    s.add_argument(
        "--token", default=os.environ.get("CENTRAL_API_TOKEN"), help="API bearer token (env CENTRAL_API_TOKEN)"
    )
    s.add_argument("--workers", type=int, default=1, help="receiver worker threads (default 1)")
    s.add_argument("--receivers", type=int, default=int(os.environ.get("CENTRAL_RECEIVERS", "1")),
                   help="receiver processes on the broker's shared subscription, one per core (default 1; "
                   "env CENTRAL_RECEIVERS)")  # fmt: skip
    s.add_argument("--receiver-only", action="store_true", help=argparse.SUPPRESS)  # a --receivers child
    s.add_argument("--client-id", help="MQTT client id (default: central-HOST-PID)")
    s.add_argument("-v", "--verbose", action="store_true")
    s.add_argument("--key", default=os.environ.get("CENTRAL_KEY"), help="central's signing key (env CENTRAL_KEY; "
                   "default ./central-key.pem if it exists): payments run only with it")  # fmt: skip
    s.add_argument("--public-url", help="base of the payment notify URLs the providers call "
                   "(default http://HOST:PORT of --http)")  # fmt: skip
    s.add_argument("--pay-timeout", type=int, default=120, help="seconds before an unpaid QR order is closed")

    sub.add_parser("init", parents=[common], help="create or upgrade the database schema")

    m = sub.add_parser("market", help="markets").add_subparsers(dest="action", required=True)
    ma = m.add_parser("add", parents=[common])
    ma.add_argument("--id", required=True)
    ma.add_argument("--node", required=True, help="national node id, 9 digits (330212333; legacy: 6)")
    ma.add_argument("--trace-prefix", default="", help="6 digits every trace code of the market starts with "
                    "(default: the node's first 6; give another when a second market is in the county)")  # fmt: skip
    ma.add_argument("--name", required=True)
    ma.add_argument("--city", default="")
    ma.add_argument("--phone", default="", help="market office phone, public on the trace page (complaints)")
    mp = m.add_parser("phone", parents=[common], help="set the market office's public phone")
    mp.add_argument("--id", required=True)
    mp.add_argument("--phone", required=True)
    mn = m.add_parser("set-node", parents=[common], help="give a legacy market its 9-digit national node id")
    mn.add_argument("--id", required=True)
    mn.add_argument("--node", required=True)
    m.add_parser("list", parents=[common])

    mc = sub.add_parser("merchant", help="merchants (real-name registration)").add_subparsers(
        dest="action", required=True
    )
    mca = mc.add_parser("add", parents=[common])
    for name in ("--id", "--market", "--stall", "--display-name", "--real-name", "--id-number", "--phone"):
        mca.add_argument(name, required=True)
    mca.add_argument("--operator-id", default="", help="13-digit national operator id (default: given out)")
    mcl = mc.add_parser("list", parents=[common])
    mcl.add_argument("--private", action="store_true", help="also show real name, ID number and phone (office only)")

    sc = sub.add_parser("scale", aliases=["scales"], help="scales and their MQTT logins").add_subparsers(
        dest="action", required=True
    )
    sca = sc.add_parser("add", parents=[common, key], help="register; prints the MQTT password once, "
                        "or with --bundle makes the device key and writes a provisioning bundle")  # fmt: skip
    sca.add_argument("--id", required=True)
    sca.add_argument("--market", required=True)
    sca.add_argument("--no", type=int, required=True, help="scale number 1-999 within the market")
    sca_key = sca.add_mutually_exclusive_group(required=True)
    sca_key.add_argument("--public-key", help="the scale's device key, base64 (shown by the scale)")
    sca_key.add_argument("--bundle", type=Path, help="create the device key here and write the bundle for "
                         "`python -m edge provision` to this file (0600; delete it after installing)")  # fmt: skip
    sca.add_argument("--merchant")
    sca.add_argument("--broker-url", default="", help="the broker the scale connects to, mqtt[s]://HOST:PORT (bundle)")
    sca.add_argument("--trace-base-url", default="http://127.0.0.1:8080", help="trace page base URL (bundle)")
    sca.add_argument("--tls-ca", type=Path, help="the broker's CA certificate to put in the bundle (mqtts://)")
    sca.add_argument("--mosquitto-dir", type=Path, help="rewrite passwd and acl there (then SIGHUP the broker)")
    scs = sc.add_parser("assign", parents=[common], help="give a scale to a merchant")
    scs.add_argument("--id", required=True)
    scs.add_argument("--merchant", required=True)
    sck = sc.add_parser("key", parents=[common], help="replace a re-provisioned scale's public key")
    sck.add_argument("--id", required=True)
    sck.add_argument("--public-key", required=True)
    scp = sc.add_parser("password", parents=[common], help="new MQTT password (printed once)")
    scp.add_argument("--id", required=True)
    sc.add_parser("list", parents=[common])
    for verb, what in (
        ("lock", "stop selling on a scale now (signed command; logged on the scale)"),
        ("unlock", "lift central's remote lock (a pending technician seal still applies)"),
    ):
        scl = sc.add_parser(verb, parents=[common, mqtt, key], help=what)
        scl.add_argument("--scale", required=True)
        scl.add_argument("--reason", required=True, help="logged on the scale, shown to the vendor")
        scl.add_argument("--by", default=os.environ.get("USER", "central"), help="who (default $USER)")

    fl = sub.add_parser("fleet", parents=[common], help="per scale: online, backlog, software id, lock state")
    fl.add_argument("--market", default="")

    mu = sub.add_parser("mqtt-user", help="central's own broker login").add_subparsers(dest="action", required=True)
    mua = mu.add_parser("add", parents=[common], help="create; prints the password once")
    mua.add_argument("--name", default="central")
    mur = mu.add_parser("reset", parents=[common], help="new password (printed once)")
    mur.add_argument("--name", default="central")

    c = sub.add_parser("catalog", help="the market catalog").add_subparsers(dest="action", required=True)
    ci = c.add_parser("import", parents=[common], help='JSON file: {"plus": [...]} or a list of PLUs')
    ci.add_argument("--market", required=True)
    ci.add_argument("--file", required=True, type=Path)
    ci.add_argument("--merge", action="store_true", help="keep PLUs not in the file")

    b = sub.add_parser("batch", help="a merchant's incoming batches").add_subparsers(dest="action", required=True)
    ba = b.add_parser("add", parents=[common])
    ba.add_argument("--merchant", required=True)
    for name in ("--batch-id", "--plu", "--supplier", "--supplier-node", "--upstream-code", "--origin",
                 "--certificate", "--arrival-date"):  # fmt: skip
        ba.add_argument(name, required=True)
    bi = b.add_parser("import", parents=[common], help='JSON file: {"batches": [...]} or a list of batches')
    bi.add_argument("--merchant", required=True)
    bi.add_argument("--file", required=True, type=Path)
    bd = b.add_parser("deactivate", parents=[common])
    bd.add_argument("--batch-id", required=True)
    bs = b.add_parser("stop-sale", parents=[common, mqtt, key], help="停售: mark a batch unfit; the scales refuse it")
    bs.add_argument("--batch", required=True)
    bs.add_argument("--reason", required=True, help="shown to the vendor, e.g. 快检不合格（农药残留超标）")
    bl = b.add_parser("list", parents=[common], help="batches, incl. goods-in at the scales and stop-sales")
    bl.add_argument("--merchant", default="")
    bl.add_argument("--json", action="store_true", help="one JSON array (default: a table)")
    pr = sub.add_parser("prices", parents=[common], help="vendors' own prices per scale (vs. the guide price)")
    pr.add_argument("--market", default="")
    pr.add_argument("--scale", default="")
    pr.add_argument("--json", action="store_true", help="one JSON array (default: a table)")

    fo = sub.add_parser("forward", parents=[common], help="forward goods-in, sales and stop-sales to the city platform")
    fo.add_argument("--upstream", help="the platform's URL documents are POSTed to (env CENTRAL_UPSTREAM)",
                    default=os.environ.get("CENTRAL_UPSTREAM"))  # fmt: skip
    fo.add_argument("--format", choices=("json", "xml"), default="json")
    fo.add_argument("--token", default=os.environ.get("CENTRAL_UPSTREAM_TOKEN", ""),
                    help="bearer token for the platform (env CENTRAL_UPSTREAM_TOKEN)")  # fmt: skip
    fo.add_argument("--batch", type=int, default=100, help="records' rows per request (default 100)")
    fo.add_argument("--max-backoff", type=float, default=300.0, help="longest wait between retries, s (300)")
    fo.add_argument("--status", action="store_true", help="print the outbox's state and exit")
    fo.add_argument("--retry-rejected", action="store_true", help="queue refused rows again and exit")

    pb = sub.add_parser("publish", help="send signed documents to the scales").add_subparsers(
        dest="what", required=True
    )
    pc = pb.add_parser("catalog", parents=[common, mqtt, key])
    pc.add_argument("--market", required=True)
    pbb = pb.add_parser("batches", parents=[common, mqtt, key])
    target = pbb.add_mutually_exclusive_group(required=True)
    target.add_argument("--scale")
    target.add_argument("--merchant")

    sub.add_parser("key", parents=[key], help="print central's public key (for [sync].central_public_key)")

    fw = sub.add_parser("firmware", help="signed firmware releases (OTA) and staged rollout").add_subparsers(
        dest="action", required=True
    )
    fwp = fw.add_parser("publish", parents=[common, key], help="build/store a signed release")
    fwp.add_argument("--version", required=True, help="release version, dotted numbers above the scales' (0.2.0)")
    fwp.add_argument("--wheel", type=Path, help="a built wheel (default: build one from --source)")
    fwp.add_argument("--source", type=Path, default=Path(__file__).resolve().parent.parent,
                     help="project folder to build the wheel from (default: this installation's)")  # fmt: skip
    fwp.add_argument("--notes", default="")
    fwp.add_argument("--min-version", help="scales below this version must not take the release")
    fwp.add_argument("--dir", type=Path, default=Path(os.environ.get("CENTRAL_FIRMWARE_DIR", "firmware")),
                     help="where central keeps the wheels it serves (env CENTRAL_FIRMWARE_DIR)")  # fmt: skip
    fwr = fw.add_parser("rollout", parents=[common, mqtt], help="offer a release on the scales' firmware topics")
    fwr.add_argument("--version", required=True)
    fwr.add_argument("--scale")
    fwr.add_argument("--market")
    fwr.add_argument("--percent", type=int, help="a stable P %% of the scales (of --market, or of all)")
    fws = fw.add_parser("status", parents=[common], help="per scale: offered, installed or failed (and why)")
    fws.add_argument("--version", required=True)

    mq = sub.add_parser("mosquitto", parents=[common], help="write mosquitto.conf, passwd and acl from the database")
    mq.add_argument("--dir", required=True, type=Path)
    mq.add_argument("--listen", type=_host_port, default=("127.0.0.1", 1883))
    mq.add_argument("--persistence", type=Path, help="persistence directory (omit: no persistence)")
    mq.add_argument("--tls-cert")
    mq.add_argument("--tls-key")
    mq.add_argument("--tls-ca", help="require client certificates signed by this CA")
    mq.add_argument("--user", help="user mosquitto runs as when started by root")

    pa = sub.add_parser("payment-account", help="merchants' payment provider accounts").add_subparsers(
        dest="action", required=True
    )
    pai = pa.add_parser("import", parents=[common], help='accounts.json: {"wechat": {...}, "alipay": ..., ...}')
    pai.add_argument("file", type=Path)
    pai.add_argument("--merchant", required=True)
    pai.add_argument("--provider", choices=("wechat", "alipay", "unionpay"), help="only this one")
    pm = sub.add_parser("payments", help="payment reports").add_subparsers(dest="action", required=True)
    pmr = pm.add_parser("reconcile", parents=[common], help="a day's mismatches between sales and provider orders")
    pmr.add_argument("--date", required=True, help="local date YYYY-MM-DD")
    pmr.add_argument("--market", default="")
    pmr.add_argument("--json", action="store_true")

    _user_parser(sub, common)

    r = sub.add_parser("rejects", parents=[common], help="recently refused messages")
    r.add_argument("--scale")
    r.add_argument("--limit", type=int, default=20)
    return p


def _user_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    u = sub.add_parser("user", help="console users: market office (one market), city regulator (all)")
    actions = u.add_subparsers(dest="action", required=True)
    password = argparse.ArgumentParser(add_help=False)
    password.add_argument("--name", required=True, help="user name for the console login")
    password.add_argument("--password-stdin", action="store_true", help="read the password from standard input "
                          "(one line; for scripts) instead of asking twice")  # fmt: skip
    ua = actions.add_parser("add", parents=[common, password], help="create a user (asks for the password)")
    ua.add_argument("--role", required=True, choices=("office", "regulator"),
                    help="office: its own market; regulator: all markets, read-only plus stop-sale")  # fmt: skip
    ua.add_argument("--market", help="the market an office user works for (required for --role office)")
    ua.add_argument("--display-name", default="", help="shown in the console (default: the user name)")
    actions.add_parser("password", parents=[common, password], help="set a new password (logs the user out)")
    actions.add_parser("list", parents=[common])


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise admin.AdminError(
            "没有可输入密码的终端：请用 --password-stdin 从标准输入传入密码",
            "no terminal to ask for the password on: pipe it in with --password-stdin",
        )
    import getpass

    first = getpass.getpass("password / 密码: ")
    if getpass.getpass("again / 再输入一次: ") != first:
        raise admin.AdminError("两次输入的密码不一致，未做任何更改", "the two passwords differ; nothing was changed")
    return first


def _user(conn: Any, args: argparse.Namespace) -> None:
    from central.console import users

    if args.action == "list":
        _show(users.list_users(conn))
    elif args.action == "add":
        user = users.add_user(conn, args.name, _read_password(args), args.role, args.market, args.display_name)
        where = f"market {user.market_id}" if user.market_id else "every market (read-only, stop-sale)"
        print(f"user {user.username} ({user.role}, {where}) created; log in at http://HOST:PORT/console/")
    else:
        users.set_password(conn, args.name, _read_password(args))
        print(f"password of {args.name} changed; its sessions were closed")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) or args.command == "serve" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return _run(args)
    except BrokenPipeError:  # `central batch list | head`: the reader had enough, which is no error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        return 0
    except (admin.AdminError, DatabaseError, MqttError, CentralKeyError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _db(args: argparse.Namespace) -> Database:
    if not args.db:
        raise admin.AdminError(
            "未指定数据库：请加 --db sqlite:///central.db（或 postgresql://...）或设置 CENTRAL_DB",
            "no database: pass --db sqlite:///central.db (or postgresql://...) or set CENTRAL_DB",
        )
    db = Database(args.db)
    migrate(db)
    return db


def _mqtt(args: argparse.Namespace) -> MqttUrl:
    if not args.mqtt:
        raise admin.AdminError(
            "未指定 MQTT 服务器：请加 --mqtt mqtt://central:PASSWORD@HOST:PORT 或设置 CENTRAL_MQTT",
            "no broker: pass --mqtt mqtt://central:PASSWORD@HOST:PORT or set CENTRAL_MQTT",
        )
    return MqttUrl.parse(args.mqtt)


def _show(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        print(json.dumps(row, ensure_ascii=False, default=str))


def _load_list(path: Path, key: str) -> list[dict[str, Any]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise admin.AdminError(
            f"无法把 {path} 读作 JSON（{exc}）：请检查文件路径和内容", f"cannot read {path} as JSON ({exc})"
        ) from None
    items = doc.get(key) if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise admin.AdminError(
            f"{path} 的内容应为 JSON 列表，或含 {key!r}: [...] 的对象",
            f"{path} must hold a JSON list or an object with {key!r}: [...]",
        )
    return items


def _run(args: argparse.Namespace) -> int:
    cmd, action = args.command, getattr(args, "action", None)
    cmd = "scale" if cmd == "scales" else cmd  # `central scales add` is the plural alias
    if cmd == "serve":
        return _serve(args)
    if cmd == "key":
        print(CentralKey.load_or_create(args.key).public_key_b64())
        return 0
    db = _db(args)
    with db.connection() as conn:
        if cmd == "init":
            print(f"database ready at schema version {migrate(db)}")
        elif cmd == "market" and action == "add":
            admin.add_market(conn, args.id, args.node, args.name, args.city, trace_prefix=args.trace_prefix,
                             office_phone=args.phone)  # fmt: skip
            print(f"market {args.id} registered (node {args.node})")
        elif cmd == "market" and action == "set-node":
            n = admin.set_market_node(conn, args.id, args.node)
            print(f"market {args.id}: node {args.node}; {n} merchants got new operator ids")
        elif cmd == "market" and action == "phone":
            admin.set_market_phone(conn, args.id, args.phone)
            print(f"market {args.id}: office phone {args.phone}")
        elif cmd == "market":
            _show(
                conn.all(
                    "SELECT market_id, node_id, node_code AS trace_prefix, name, city, office_phone FROM markets "
                    "ORDER BY market_id"
                )
            )
        elif cmd == "merchant" and action == "add":
            admin.add_merchant(conn, args.id, args.market, stall=args.stall, display_name=args.display_name,
                               real_name=args.real_name, id_number=args.id_number, phone=args.phone,
                               operator_id=args.operator_id)  # fmt: skip
            print(f"merchant {args.id} registered (stall {args.stall})")
        elif cmd == "merchant":
            private = ", real_name, id_number, phone" if args.private else ""
            _show(
                conn.all(
                    f"SELECT merchant_id, market_id, operator_id, stall, display_name{private} FROM merchants "
                    "ORDER BY 1"
                )
            )
        elif cmd == "scale" and action == "add" and args.bundle:
            _scale_bundle(conn, args)
        elif cmd == "scale" and action == "add":
            creds = admin.add_scale(conn, args.id, args.market, args.no, args.public_key, args.merchant)
            _print_credentials(creds, "scale")
        elif cmd == "scale" and action == "assign":
            admin.assign_scale(conn, args.id, args.merchant)
            print(f"scale {args.id} now sells for merchant {args.merchant}; publish its batches next")
        elif cmd == "scale" and action == "key":
            admin.set_scale_key(conn, args.id, args.public_key)
            print(f"scale {args.id}: new public key stored")
        elif cmd == "scale" and action in publish.COMMAND_ACTIONS:
            key = CentralKey.load_or_create(args.key)
            doc = publish.command_document(conn, key, args.scale, action, args.reason, args.by)
            publish.send(_mqtt(args), [doc])
            print(f"{action} sent to {args.scale}: {doc.topic} version {doc.doc['version']}")
        elif cmd == "fleet":
            _show(queries.fleet(conn, args.market))
        elif cmd == "scale" and action == "password":
            _print_credentials(admin.reset_password(conn, args.id), "scale")
        elif cmd == "scale":
            _show(conn.all("SELECT scale_id, market_id, scale_no, merchant_id, public_key FROM scales ORDER BY 1"))
        elif cmd == "mqtt-user":
            creds = (
                admin.add_central_account(conn, args.name) if action == "add" else admin.reset_password(conn, args.name)
            )
            _print_credentials(creds, "central")
        elif cmd == "catalog":
            n = admin.set_catalog(conn, args.market, _load_list(args.file, "plus"), replace=not args.merge)
            print(f"catalog of {args.market}: {n} PLUs stored; send it with `central publish catalog`")
        elif cmd == "batch" and action == "add":
            fields = ("batch_id", "plu", "supplier", "supplier_node", "upstream_code", "origin", "certificate",
                      "arrival_date")  # fmt: skip
            admin.add_batch(conn, args.merchant, {f: getattr(args, f) for f in fields})
            print(f"batch {args.batch_id} stored; send it with `central publish batches --merchant {args.merchant}`")
        elif cmd == "batch" and action == "import":
            items = _load_list(args.file, "batches")
            for item in items:
                admin.add_batch(conn, args.merchant, item)
            print(f"{len(items)} batches stored for {args.merchant}")
        elif cmd == "batch" and action == "stop-sale":
            from central.stopsale import stop_sale_and_send

            done = stop_sale_and_send(conn, CentralKey.load_or_create(args.key), _mqtt(args), args.batch, args.reason)
            print(f"batch {done.batch_id} stopped ({done.reason}); sent to {len(done.documents)} scale(s) of "
                  f"merchant {done.merchant_id}")  # fmt: skip
        elif cmd == "batch" and action == "list":
            from central.listing import BATCH_COLUMNS, NO_BATCHES, table

            where, params = ("WHERE merchant_id = ? ", (args.merchant,)) if args.merchant else ("", ())
            rows = conn.all(
                "SELECT batch_id, merchant_id, plu, upstream_code, certificate, origin, supplier, weight_g, "
                "rapid_test, arrival_date, active, source, scale_id, operator, stop_reason "
                f"FROM batches {where}ORDER BY batch_id", params,
            )  # fmt: skip
            print(json.dumps(rows, ensure_ascii=False) if args.json else table(rows, BATCH_COLUMNS, NO_BATCHES))
        elif cmd == "prices":
            from central.listing import NO_PRICES, PRICE_COLUMNS, table
            from central.prices import vendor_prices

            rows = vendor_prices(conn, args.market, args.scale)
            print(json.dumps(rows, ensure_ascii=False) if args.json else table(rows, PRICE_COLUMNS, NO_PRICES))
        elif cmd == "forward":
            return _forward(db, conn, args)
        elif cmd == "batch":
            admin.set_batch_active(conn, args.batch_id, False)
            print(f"batch {args.batch_id} deactivated; publish the merchant's batches to take it off the scales")
        elif cmd == "publish":
            key = CentralKey.load_or_create(args.key)
            if args.what == "catalog":
                docs = [publish.catalog_document(conn, key, args.market)]
            else:
                docs = publish.batches_documents(conn, key, scale_id=args.scale or "", merchant_id=args.merchant or "")
            publish.send(_mqtt(args), docs)
            for d in docs:
                print(f"published {d.topic} version {d.doc['version']}")
        elif cmd == "firmware":
            return _firmware(conn, args)
        elif cmd == "mosquitto":
            return _mosquitto(conn, args)
        elif cmd == "payment-account":
            from central.payment.accounts import import_accounts, load_accounts_file

            for provider, public_id in import_accounts(conn, args.merchant, load_accounts_file(args.file),
                                                       args.provider):  # fmt: skip
                print(f"已导入 imported: {args.merchant} {provider} {public_id}")
        elif cmd == "payments":
            from central.payment.reconcile import format_report, reconcile

            report = reconcile(conn, _day(args.date), args.market)
            print(json.dumps(report.to_dict(), ensure_ascii=False) if args.json else format_report(report))
        elif cmd == "user":
            _user(conn, args)
        elif cmd == "rejects":
            where, params = ("WHERE scale_id = ? ", (args.scale,)) if args.scale else ("", ())
            _show(conn.all(
                f"SELECT id, topic, scale_id, reason, detail, count, first_ms, last_ms FROM rejects {where}"
                "ORDER BY last_ms DESC LIMIT ?", (*params, args.limit),
            ))  # fmt: skip
    return 0


def _forward(db: Database, conn: Any, args: argparse.Namespace) -> int:
    from central.forwarder import outbox
    from central.forwarder.sender import Backoff, Forwarder

    if args.status:
        print(json.dumps(outbox.status(conn), ensure_ascii=False))
        return 0
    if args.retry_rejected:
        print(f"{outbox.retry_rejected(conn)} refused rows queued again")
        return 0
    if not args.upstream:
        raise admin.AdminError(
            "未指定城市追溯管理平台：请加 --upstream http://HOST:PORT/PATH 或设置 CENTRAL_UPSTREAM",
            "no platform: pass --upstream http://HOST:PORT/PATH or set CENTRAL_UPSTREAM",
        )
    stop = StopFlag()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    forwarder = Forwarder(db, args.upstream, fmt=args.format, batch_size=max(1, args.batch), token=args.token,
                          backoff=Backoff(cap_s=max(0.1, args.max_backoff)))  # fmt: skip
    print(f"forwarding to {args.upstream} ({args.format})", flush=True)
    forwarder.run(stop)
    s = forwarder.stats
    print(f"stopped: {s.sent} rows sent, {s.duplicates} duplicates, {s.rejected} rejected, {s.failures} failures")
    return 0


def _day(text: str) -> str:
    from datetime import date

    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise admin.AdminError(f"日期 {text!r} 无效，请用 YYYY-MM-DD / not a date: use YYYY-MM-DD") from None


def _print_credentials(creds: admin.Credentials, role: str) -> None:
    print(f"MQTT user:     {creds.username}")
    print(f"MQTT password: {creds.password}")
    print("The password is shown only this once (central keeps only its hash): note it now, then run")
    print("`python -m central mosquitto ...` and reload the broker so it takes the new login.")
    if role == "scale":
        print("On the scale put it into [sync] of edge.toml, with central's public key from `python -m central key`.")


def _firmware(conn: Any, args: argparse.Namespace) -> int:
    from central import firmware

    if args.action == "publish":
        release = firmware.publish_release(
            conn, CentralKey.load_or_create(args.key), args.dir, args.version, wheel=args.wheel, source=args.source,
            notes=args.notes, min_version=args.min_version,
        )  # fmt: skip
        m = release.manifest
        print(f"release {m['version']}: {m['wheel']} {m['size']} bytes sha256 {m['sha256']}")
        print(f"served at /firmware/{m['version']}/{m['wheel']}; offer it with `central firmware rollout`")
    elif args.action == "rollout":
        if bool(args.scale) + bool(args.market or args.percent is not None) != 1:
            raise admin.AdminError(
                "请指定要升级的秤：--scale S，或 --market M 和/或 --percent P",
                "choose the scales: --scale S, or --market M and/or --percent P",
            )
        docs = firmware.rollout(conn, args.version, scale_id=args.scale or "", market_id=args.market or "",
                                percent=args.percent)  # fmt: skip
        if docs:
            publish.send(_mqtt(args), docs)
        print(f"release {args.version} offered to {len(docs)} scale(s)")
        for d in docs:
            print(f"  {d.topic}")
    else:
        _show(firmware.refresh_status(conn, args.version))
    return 0


def _scale_bundle(conn: Any, args: argparse.Namespace) -> None:
    from central.mosquitto import write_auth_files
    from central.provision import BundleRequest, export

    ca = args.tls_ca.read_text(encoding="ascii") if args.tls_ca else ""
    req = BundleRequest(args.id, args.market, args.no, args.merchant, args.broker_url, args.trace_base_url, ca)
    export(conn, req, CentralKey.load_or_create(args.key), args.bundle)
    print(f"scale {args.id} registered; provisioning bundle written to {args.bundle} (mode 0600)")
    print("It holds the scale's private key and MQTT password: copy it to the scale, run")
    print(f"`python -m edge provision {args.bundle.name} --config edge.toml`, then delete every copy.")
    if args.mosquitto_dir:
        files = write_auth_files(conn, args.mosquitto_dir)
        print(f"wrote {files.passwd} and {files.acl}; send the broker SIGHUP to take the new login")
    else:
        print("Run `python -m central mosquitto ...` and reload the broker so it takes the new login.")


def _mosquitto(conn: Any, args: argparse.Namespace) -> int:
    tls = None
    if args.tls_cert or args.tls_key:
        if not (args.tls_cert and args.tls_key):
            raise admin.AdminError(
                "TLS 需要同时给出 --tls-cert 和 --tls-key", "TLS needs both --tls-cert and --tls-key"
            )
        tls = TlsFiles(args.tls_cert, args.tls_key, args.tls_ca)
    host, port = args.listen
    files = write_broker_files(conn, args.dir, host=host, port=port, persistence_dir=args.persistence, tls=tls,
                               user=args.user)  # fmt: skip
    print(f"wrote {files.conf}, {files.passwd}, {files.acl}")
    print(f"run: mosquitto -c {files.conf}   (a running broker: send it SIGHUP to reload passwd and acl)")
    return 0


def _serve(args: argparse.Namespace) -> int:
    db = _db(args)
    if not args.mqtt and not args.http:
        raise admin.AdminError(
            "没有要运行的服务：请给出 --mqtt（接收秤的数据）、--http（网页和 API）或两者都给",
            "nothing to serve: give --mqtt (receiver), --http (pages and API) or both",
        )
    stop = StopFlag()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    receiver = server = sweeper = pool = None
    payments, key = (None, None) if args.receiver_only else _payments(db, args)
    if args.mqtt:
        receiver = Receiver(db, _mqtt(args), client_id=args.client_id, workers=max(1, args.workers),
                            central_key=key, payments=payments)  # fmt: skip
        receiver.start()
        log.info("receiver started (%s)", receiver.client_id)
        if payments is not None:
            from central.payment.service import Sweeper

            sweeper = Sweeper(payments, receiver.publish_payment)
            sweeper.start()
        if args.receivers > 1 and not args.receiver_only:
            from central.receivers import ReceiverPool

            pool = ReceiverPool(args.receivers - 1, db.url, args.mqtt, receiver.client_id, max(1, args.workers))
            pool.start()
    if args.http and not args.receiver_only:
        publish_results = receiver.publish_payment if receiver else None
        app = App(db, args.token, payments=payments, publish=publish_results, console=_console(args, key))
        server = HttpServer(app, *args.http)
        server.start()
        print(f"central: http://{server.host}:{server.port}/", flush=True)
        if not args.token:
            log.warning("no API token (--token / CENTRAL_API_TOKEN): the regulator API answers 401 to everyone")
    stop.wait()
    if pool:
        pool.stop()
    if sweeper:
        sweeper.stop()
    if server:
        server.stop()
    if receiver:
        receiver.stop()
    db.close()
    return 0


def _console(args: argparse.Namespace, key: CentralKey | None) -> Any:
    """The console publishes catalog and batches (stop-sale) with central's key over its own MQTT login."""
    from central.console.settings import ConsoleSettings

    if not args.mqtt or key is None:
        log.info("console: no --mqtt or no --key, so it cannot send catalogs or stop-sales to the scales")
        return ConsoleSettings(key=key)
    url = _mqtt(args)

    def send(documents: list[publish.Document]) -> None:  # a client id of its own: two pushes at once both go
        publish.send(url, documents, client_id=f"central-console-{os.getpid()}-{secrets.token_hex(3)}")

    return ConsoleSettings(key=key, send=send)


def _payments(db: Database, args: argparse.Namespace) -> tuple[Any, CentralKey | None]:
    """The payment service and central's key, or (None, None) without a key (payments off)."""
    path = args.key or ("central-key.pem" if Path("central-key.pem").exists() else "")
    if not path:
        log.info("payments off: no central key (--key / CENTRAL_KEY) to sign payment results with")
        return None, None
    from central.payment.service import PaymentService, PaymentSettings

    public_url = args.public_url or (f"http://{args.http[0]}:{args.http[1]}" if args.http else "")
    if not public_url:
        log.warning("payments: no --public-url and no --http, so providers cannot reach central's notify URL")
    settings = PaymentSettings(public_url, pay_timeout_ms=max(10, args.pay_timeout) * 1000)
    return PaymentService(db, settings), CentralKey.load_or_create(path)
