"""``python -m edge ...``: the scale's command line (DESIGN.md, Commands)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from edge.core.reading import Reading
from edge.core.units import format_kg
from edge.scale_driver.driver import LinkStatus, ScaleDriver
from edge.scale_driver.probe import COMMON_BAUDS, probe
from edge.scale_driver.protocols import PROTOCOLS
from edge.scale_driver.transport import TransportError

if TYPE_CHECKING:  # the selling stack is imported only by the commands that sell
    from edge.config import EdgeConfig
    from edge.core.records import Sale
    from edge.store import Store

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

    last_shown: list[Reading] = []

    def on_reading(reading: Reading) -> None:
        nonlocal count
        with out_lock:
            if done.is_set():
                return
            if args.changes and last_shown and last_shown[0] == reading:  # equal ignores raw bytes
                return
            last_shown[:] = [reading]
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
        if result.last_reading:
            print(f"# last reading: {result.last_reading} -- check it against a known test weight")
        if result.alternatives:
            print(
                f"# warning: {', '.join(result.alternatives)} read this stream equally well; put a load "
                "(e.g. 1.235 kg) on the platter and probe again to tell them apart"
            )
        print(result.to_toml(), end="")
    return 0


def _parse_item(text: str) -> tuple[str, int]:
    """``1001`` (weighed) or ``4001:3`` (three pieces)."""
    plu, _, qty = text.partition(":")
    if not plu.isdigit() or (qty and not (qty.isdigit() and int(qty) > 0)):
        raise argparse.ArgumentTypeError(f"{text!r}: use a PLU number, or PLU:COUNT for items sold by the piece")
    return plu, int(qty or 1)


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _sell_from_scale(config: EdgeConfig, store: Store, args: argparse.Namespace) -> Sale:
    """Build the cart from the scale's stable weight and commit it; raises RefusedError/StoreError."""
    from edge import runtime
    from edge.checkout import Checkout
    from edge.core.batches import pick_batch
    from edge.core.cart import Cart
    from edge.core.records import Payment, PaymentMethod, PaymentStatus, Pricing
    from edge.core.refusals import Refusal, RefusedError

    goods = runtime.catalog(store)
    sellable = None
    if any((plu := goods.get(code)) and plu.pricing is Pricing.WEIGHT for code, _ in args.plu):
        driver = runtime.scale_driver(config)
        watcher = runtime.WeightWatcher(driver, runtime.weighing_state(config, store))
        with driver:
            sellable = watcher.wait_sellable(args.wait)
            if driver.port_busy:  # the running app holds the port: reading it too would disturb it
                raise ScaleUnavailable(driver.port_busy)
            if isinstance(sellable, Refusal) and driver.latest is None:
                raise ScaleUnavailable(f"{driver.status.text(args.lang)} ({config.scale.port})")
    cart = Cart()
    for code, quantity in args.plu:
        plu = goods.require(code)
        if isinstance(plu, Refusal):
            raise RefusedError(plu)
        batch = pick_batch(store.active_batches(plu.plu), plu, args.batch)
        if isinstance(batch, Refusal):
            raise RefusedError(batch)
        if plu.pricing is Pricing.WEIGHT:
            cart = cart.add_weighed(sellable, plu, batch)
        else:
            cart = cart.add_piece(plu, quantity, batch)
    payment = Payment(PaymentMethod(args.pay), PaymentStatus.PAID)
    return Checkout(config, store, runtime.device_key(config)).commit(cart, payment)


class ScaleUnavailable(Exception):
    """No reading at all from the weighing module."""


def _numbering_refused(config: EdgeConfig, wait_s: float) -> str:
    return (
        f"本秤数据库是新的或已被清空，须先从中心取得本秤最后的销售编号，但 {wait_s:g} 秒内未收到中心答复"
        f"（{config.sync.broker_url}）。未售出，以免溯源码与已开出的小票重复。请连接网络后重试，"
        "或先运行一次秤应用（python -m edge run）。 / "
        f"this scale's store is new or was wiped, and central did not answer with the scale's last sale "
        f"numbers within {wait_s:g} s ({config.sync.broker_url}). Nothing was sold, so that no trace code "
        "repeats one already on a ticket. Connect the scale and try again, or run the app once "
        "(python -m edge run)."
    )


def cmd_sell(args: argparse.Namespace) -> int:
    """A technician's test sale: commit, then print (a printer problem only queues the ticket)."""
    from edge import runtime
    from edge.config import ConfigError, load_config
    from edge.core.refusals import RefusedError
    from edge.core.tracecode import format_trace_code
    from edge.seed import SeedError
    from edge.store import StoreError

    try:
        config = load_config(args.config)
        store = runtime.open_store(config)
    except (ConfigError, SeedError, StoreError) as exc:
        return _fail(str(exc), 2)
    try:
        try:
            from edge.checkout import now_ms, numbering_unconfirmed
            from edge.ui.model.technician import note_software_id

            note_software_id(store, now_ms())  # new software since the last run locks selling (JJG 1204-2025)
            if numbering_unconfirmed(config, store):  # maybe a wiped store: go on after central's numbers
                from edge.sync.service import ask_central_numbering

                if not ask_central_numbering(config, store, args.central_wait):
                    return _fail(_numbering_refused(config, args.central_wait), 5)
            sale = _sell_from_scale(config, store, args)
        except ScaleUnavailable as exc:
            return _fail(str(exc), 3)
        except RefusedError as exc:
            return _fail(exc.refusal.text(args.lang), 3)
        except StoreError as exc:
            return _fail(str(exc), 4)
        worker = runtime.print_worker(config, store)
        printed = worker.run_once(force=True) > 0
        worker.connection.close()
        status = worker.last_status
    finally:
        store.close()
    url = f"{config.ticket.trace_base_url}/t/{sale.trace_code}"
    if args.json:
        result = {
            "sale_id": sale.sale_id,
            "seq": sale.seq,
            "trace_code": sale.trace_code,
            "url": url,
            "total_fen": sale.total_fen,
            "net_g": [line.net_g for line in sale.lines],
            "printed": printed,
            "printer": status.code if status else "unknown",
        }
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"溯源码 trace code: {format_trace_code(sale.trace_code)}")
        print(f"金额 total: {sale.total_fen // 100}.{sale.total_fen % 100:02d} 元   {url}")
        if printed:
            print("小票已打印 / ticket printed")
        else:
            why = status.message if status else ""
            print(f"小票已排队，打印机恢复后自动打印 / ticket queued, prints when the printer recovers: {why}")
    return 0


def cmd_print(args: argparse.Namespace) -> int:
    """Print what is queued; optionally queue a reprint of the last or a given ticket first."""
    from edge import runtime
    from edge.config import ConfigError, load_config
    from edge.core.tracecode import TraceCodeError, parse_trace_code
    from edge.store import StoreError

    try:
        config = load_config(args.config)
        store = runtime.open_store(config)
    except (ConfigError, StoreError) as exc:
        return _fail(str(exc), 2)
    try:
        if args.reprint:
            if args.reprint == "last":
                sale = store.last_sale()
            else:
                try:
                    sale = store.sale_by_trace_code(parse_trace_code(args.reprint).code)
                except TraceCodeError as exc:
                    return _fail(exc.text(args.lang), 2)
            if sale is None:
                return _fail("没有找到要重打的小票 / no such ticket on this scale", 2)
            store.enqueue_print(sale.sale_id, kind="reprint")
        worker = runtime.print_worker(config, store)
        printed = worker.run_once(force=True)
        worker.connection.close()
        left = len(store.pending_print_jobs(limit=1000))
        status = worker.last_status
        print(f"printed {printed}, still queued {left}" + (f": {status.message}" if left and status else ""))
        return 0 if left == 0 else 1
    finally:
        store.close()


def cmd_run(args: argparse.Namespace) -> int:
    """The scale app: Kivy windows, or ``--headless`` (line commands on stdin, see edge/app.py)."""
    if args.headless:
        from edge.app import main as headless_main

        return headless_main(args.config)
    try:
        from edge.ui.kivy.app import main as kivy_main
    except ImportError as exc:
        return _fail(
            f"the windowed scale app is not available ({exc}); install the ui extra "
            "(pip install -e .[ui]) or run with --headless"
        )
    return kivy_main(args.config)


def cmd_customer_display(args: argparse.Namespace) -> int:
    """The customer-facing window; the scale app starts it (docs/ui.md, Processes)."""
    try:
        from edge.ui.kivy.customer import main as customer_main
    except ImportError as exc:
        return _fail(f"the customer display is not available ({exc}); install the ui extra (pip install -e .[ui])")
    return customer_main(args.config)


def cmd_key(args: argparse.Namespace) -> int:
    """The scale's identity for registering it at central: scale id and device public key."""
    from edge import runtime
    from edge.config import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return _fail(str(exc), 2)
    key = runtime.device_key(config)
    if args.json:
        print(json.dumps({"scale_id": config.identity.scale_id, "public_key": key.public_key_b64()}))
    else:
        print(f"scale {config.identity.scale_id} device public key (Ed25519, base64): {key.public_key_b64()}")
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
    read.add_argument(
        "--protocol",
        required=True,
        choices=sorted(PROTOCOLS),
        metavar="PROTOCOL",
        help="the module's wire protocol: " + "; ".join(f"{name} = {spec.title}" for name, spec in PROTOCOLS.items()),
    )
    read.add_argument("--baud", type=int, help="override the protocol's default baud rate")
    read.add_argument("--count", type=int, default=0, help="stop after N readings (default: run until Ctrl-C)")
    read.add_argument("--json", action="store_true", help="one JSON object per line")
    read.add_argument("--changes", action="store_true", help="print a reading only when it differs from the last")
    read.add_argument("--timeout", type=float, default=10.0, help="give up if no reading within S s (0: never)")
    read.add_argument("--silence", type=float, default=1.0, help="seconds without data before 'no data'")
    read.set_defaults(handler=cmd_scale_read)

    prb = scale.add_parser(
        "probe", help="detect protocol and baud rate (every protocol of 'scale read'); prints the [scale] section"
    )
    prb.add_argument("--port", required=True)
    prb.add_argument("--baud", type=int, action="append", help="baud rate to try (repeatable)")
    prb.add_argument("--json", action="store_true")
    prb.set_defaults(handler=cmd_scale_probe)

    sell = sub.add_parser("sell", help="one sale from the current stable weight (a technician's test sale)")
    sell.add_argument("--config", required=True, help="edge.toml")
    sell.add_argument("--plu", required=True, action="append", type=_parse_item,
                      help="PLU to sell (repeatable); PLU:COUNT for items sold by the piece")
    sell.add_argument("--pay", choices=("cash",), default="cash", help="payment method (a test sale is paid in cash)")
    sell.add_argument("--batch", help="bind the lines to this batch id instead of the oldest active one")
    sell.add_argument("--wait", type=float, default=10.0, help="seconds to wait for a stable, sellable weight")
    sell.add_argument("--central-wait", type=float, default=10.0,
                      help="seconds to wait for central's last numbers when the store may have been wiped "
                           "(with [sync]; no answer: nothing is sold, exit 5)")
    sell.add_argument("--json", action="store_true", help="print the result as one JSON object")
    sell.set_defaults(handler=cmd_sell)

    prn = sub.add_parser("print", help="print queued tickets; --reprint last|TRACE_CODE queues a reprint first")
    prn.add_argument("--config", required=True)
    prn.add_argument("--reprint", metavar="last|CODE")
    prn.set_defaults(handler=cmd_print)

    key = sub.add_parser("key", help="print the scale id and its device public key (to register it at central)")
    key.add_argument("--config", required=True)
    key.add_argument("--json", action="store_true")
    key.set_defaults(handler=cmd_key)

    run = sub.add_parser("run", help="the scale app (merchant and customer screens)")
    run.add_argument("--config", required=True, help="edge.toml")
    run.add_argument("--headless", action="store_true", help="no windows: line commands on stdin (type help)")
    run.set_defaults(handler=cmd_run)

    customer = sub.add_parser("customer-display", help="the customer screen (started by run)")
    customer.add_argument("--config", required=True, help="edge.toml")
    customer.set_defaults(handler=cmd_customer_display)

    from edge.technician.cli import add_parsers as add_technician_parsers  # configure, provision, doctor

    add_technician_parsers(sub)

    from edge.install.cli import add_parsers as add_install_parsers  # install, uninstall
    from edge.update.cli import add_parser as add_update_parser  # update (OTA slots)

    add_install_parsers(sub)
    add_update_parser(sub)

    pin = sub.add_parser("pin-hash", help="the pin_hash of a PIN for the operators file (sign-in)")
    pin.add_argument("pin", nargs="?", help="4-8 digits (asked for when left out)")
    pin.set_defaults(handler=cmd_pin_hash)
    return parser


def cmd_pin_hash(args: argparse.Namespace) -> int:
    import getpass

    from edge.core.operators import hash_pin

    try:
        print(hash_pin(args.pin if args.pin is not None else getpass.getpass("PIN: ")))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)
