"""The scale app without windows: ``python -m edge run --config edge.toml --headless``.

:class:`ScaleApp` wires the parts once, for the Kivy app and the headless app alike:
scale driver -> MerchantModel, print worker thread, customer-display socket, pole display
(if ``[display].pole_port``), sync to central (if ``[sync].broker_url``), and a ticker for
countdowns and the sync indicator. It also logs a software change to the event log at
start and (through the model) keeps the weighing zero across restarts.

The headless app runs until SIGTERM/SIGINT (or ``quit``) and reads line commands on
stdin, so a technician can drive a scale from a terminal (``help`` lists them; see
:data:`HELP`). A closed stdin (a service) only ends the commands, never the app.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from edge import runtime, scale_sim
from edge.checkout import now_ms
from edge.config import EdgeConfig, load_config
from edge.console_notes import Announcer
from edge.core.payment import QR_METHODS
from edge.core.stopflag import StopFlag
from edge.install.sd_notify import SdNotifier
from edge.payment.service import PaymentService
from edge.printer.status import PrinterStatus
from edge.scale_driver.driver import LinkStatus
from edge.stall.console import HELP as STALL_HELP
from edge.stall.console import StallCommands
from edge.stall.wiring import Stall
from edge.store import StoreError
from edge.ui.customer_link import CustomerPublisher
from edge.ui.model import texts
from edge.ui.model.merchant import MerchantModel
from edge.ui.model.technician import TechnicianModel, note_software_id
from edge.ui.model.views import CustomerView, MerchantView
from edge.ui.pole_display import PoleDisplay
from edge.voice.announce import Voice
from edge.voice.player import announcer_from_config

log = logging.getLogger("edge.app")

TICK_S = 0.5


class ScaleApp:
    """All running parts of one scale; ``start()`` / ``stop()``; the UI talks to ``model``."""

    def __init__(
        self, config: EdgeConfig, config_path: str | Path, *, lang: str | None = None, page_size: int | None = None
    ) -> None:
        self.config = config
        self.store = runtime.open_store(config)
        try:
            note_software_id(self.store, now_ms())
        except StoreError as exc:  # a full disk must not keep the scale from weighing; retried next start
            log.error("software identification not logged: %s", exc)
        self.printer = runtime.print_worker(config, self.store)
        self.model = MerchantModel.from_config(config, self.store, self.printer, lang=lang)
        if page_size is not None:
            self.model.set_page_size(page_size)
        self.printer.on_status = self._on_printer_status
        # QR payments go through central (sync); without a broker they fall back to cash/static at once.
        self.payments = PaymentService.from_config(config, self.store, self.model, printer=self.printer)
        self.model.attach_payments(self.payments)
        self.voice = Voice(announcer_from_config(config))  # 语音播报; off or without espeak-ng: silent
        self.model.attach_voice(self.voice)
        self.driver = runtime.scale_driver(config)
        self.driver.subscribe(self.model.on_reading)
        self.driver.subscribe_status(self._on_link_status)
        self.stall = Stall(config, self.store, runtime.device_key(config), self.model.committer,
                           on_catalog_changed=self.model.reload_catalog)  # fmt: skip
        self.model.attach_stall(self.stall)
        self.technician = TechnicianModel(
            config_path, config, self.store, driver=self.driver, printer=self.printer, lang=lang
        )
        self.publisher = CustomerPublisher(config.path(config.display.customer_socket))
        self.pole = _pole_display(config)
        self.sync: Any = None  # edge.sync.SyncService when [sync].broker_url is set
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._last_printer = ""
        self.notifier = SdNotifier()  # READY/WATCHDOG to systemd (no-op outside it)
        self.updater: Any = None  # edge.update.wiring.AppUpdater when installed with slots ($TRACE_SCALE_ROOT)

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> ScaleApp:
        self.publisher.start()
        self.model.subscribe(self._to_displays)
        if self.pole is not None:
            self.pole.start()
            log.info("pole display on %s (%s)", self.config.display.pole_port, self.config.display.pole_protocol)
        self.printer.start()
        log.info("print worker started (%s)", self.config.printer.connection)
        self.stall.start()
        self.sync = self._start_sync()
        self.payments.start()
        self.driver.start()
        log.info("scale driver started: %s on %s", self.config.scale.protocol, runtime.scale_port(self.config))
        self._ticker = threading.Thread(target=self._tick, name="app-ticker", daemon=True)
        self._ticker.start()
        self.notifier.ready("scale app running")
        return self

    def stop(self) -> None:
        self.notifier.stopping()
        self._stop.set()
        if self.updater is not None:
            self.updater.stop()
        if self._ticker is not None:
            self._ticker.join(5)
        self.driver.stop()
        self.stall.stop()
        self.payments.stop()
        if self.sync is not None:
            self.sync.stop()
        self.printer.stop()
        if self.pole is not None:
            self.pole.stop()
        self.publisher.stop()
        self.voice.stop()
        self.store.close()
        log.info("stopped")

    def __enter__(self) -> ScaleApp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- wiring ---------------------------------------------------------------------------

    def _to_displays(self, merchant: MerchantView, customer: CustomerView) -> None:
        self.publisher.publish(customer)
        if self.pole is not None:
            self.pole.show(customer)

    def _on_link_status(self, status: LinkStatus) -> None:
        log.info("weighing module: %s %s", status.state.value, status.detail)
        self.model.on_link_status(status)

    def _on_printer_status(self, status: PrinterStatus) -> None:
        if status.code != self._last_printer:
            self._last_printer = status.code
            log.info("printer: %s", status.message)
        self.model.on_printer_status(status)

    def _start_sync(self) -> Any:
        """The sync service, if configured and installed. Selling never depends on it."""
        if not self.config.sync.broker_url:
            log.info("sync off ([sync].broker_url is empty): sales stay in the outbox")
            return None
        try:
            from edge.sync import SyncService
        except ImportError as exc:  # HOOK: a scale built without edge.sync sells offline
            log.warning("sync not available (%s): sales stay in the outbox", exc)
            return None
        try:
            service = SyncService.from_config(
                self.config,
                self.store,
                printer_state=lambda: self._last_printer or "unknown",
                on_applied=lambda kind, version: self.model.reload_catalog(),
                on_firmware=self._start_updater(),
            )
            self.payments.connect_sync(service)
            service.start()
        except Exception:  # a bad broker setting must not stop the scale from selling
            log.exception("sync not started; selling goes on, sales stay in the outbox")
            return None
        self.model.on_commit(lambda _sale: service.wake())
        self.stall.desk.on_registered = lambda _batch: service.wake()
        log.info("sync to %s started", self.config.sync.broker_url)
        return service

    def _start_updater(self) -> Any:
        """OTA updates (edge.update) when the scale runs from slots; the callback for firmware offers."""
        from edge.update.root import update_root
        from edge.update.wiring import AppUpdater

        root = update_root()
        if root is None:
            return None
        try:
            self.updater = AppUpdater.from_config(self.config, self.store, root).start()
        except Exception:  # updates off; selling and sync go on
            log.exception("firmware updater not started")
            return None
        return self.updater.offer

    def _tick(self) -> None:
        while not self._stop.wait(TICK_S):
            self.notifier.watchdog()  # a hung ticker stops the pings: systemd restarts the app
            try:
                if self.updater is not None:
                    self.updater.tick(self.sync is not None and self.sync.state().connected)
                self.model.tick()
                if self.sync is not None:
                    self.model.on_sync_state(self.sync.state())
            except Exception:
                log.exception("ticker step failed")


def _pole_display(config: EdgeConfig) -> PoleDisplay | None:
    port = config.display.pole_port
    if not port:
        return None
    if "://" not in port and not Path(port).is_absolute():
        port = str(config.path(port))
    return PoleDisplay(port, config.display.pole_protocol)


# --- the headless console ------------------------------------------------------------------

# a known command given the wrong arguments is answered with its usage, not "unknown command"
USAGE = {
    "plu": "plu CODE", "key": "key N", "pick": "pick I", "void": "void I", "qty": "qty N (1-999)",
    "preset-tare": "preset-tare GRAMS", "search": "search TEXT", "batch": "batch ID",
    "checkout": "checkout [cash|wechat|alipay|unionpay]", "pay": "pay wechat|alipay|unionpay",
    "paycode": "paycode DIGITS", "wait": "wait [SECONDS]", "status": "status [json]", "lang": "lang zh|en",
}  # fmt: skip

HELP = """commands (one per line):
  plu CODE            choose an item by PLU number         key N     the item on hotkey N
  search TEXT         search by name, pinyin or PLU         pick I    choose search result I (1-based)
  qty N               pieces of a piece-priced item (1-999) batch ID  bind the item to batch ID
  batches             the item's active batches
  add                 累计: the item at the stable weight into the cart
  void I              remove cart line I (1-based)          cancel    drop the whole sale
  checkout [METHOD]   commit and print (cash; others wait for payment)
  pay wechat|alipay|unionpay    checkout with a QR on the customer screen; the ticket prints once paid
  paycode DIGITS      the customer's 付款码 (pays the payment shown, or checks out the cart)
  cash                现金: the cart paid in cash, or cash instead of the QR shown    static  show the static code
  confirm             the static-code payment arrived
  zero | tare | clear-tare | preset-tare GRAMS
  wait [SECONDS]      wait until the weight can be sold (default 10 s)
  status [json]       weight, item, cart, printer, link, sync (json: both snapshots)
  reprint             reprint the last ticket               report    today's 日结
  paperless           电子小票 for the next sale (again: paper)   eticket   the ticket that cannot print: 电子小票
  lang zh|en          message language
  put GRAMS | remove | unstable [SECONDS] | sim COMMAND    the simulated weighing module (scripts/run.sh)
  frames | events | software    technician: raw module frames, event log, software id
  info | legal        法制信息: software id, event counter, lock state (JJG 1204-2025 extended display)
{stall}
  help | quit
Every answer ends with a line starting "ok:" or "error:" (status json: one JSON line).
Between answers the scale says what happened by itself in lines starting "note:"
(a payment arrived, a ticket printed, the printer is out of paper, ...).""".replace(
    "{stall}", STALL_HELP
)


def _json(view: object) -> str:
    return json.dumps(dataclasses.asdict(view), ensure_ascii=False)  # type: ignore[call-overload]


class Console:
    """Line commands -> model actions; every answer ends with an ``ok:``/``error:`` line."""

    def __init__(self, app: ScaleApp, out: TextIO, stop: Callable[[], None]) -> None:
        self.app = app
        self.model = app.model
        self.out = out
        self.stop = stop
        self._out_lock = threading.Lock()  # answers and notes (another thread) stay whole lines
        self.notes = Announcer(app.model, app.printer, self.say)
        self.scale_sim = scale_sim.control_path()
        self.stall = StallCommands(app.stall, self, lambda: self.model.lang, app.config.scale.e_g)
        app.stall.subscribe_scans(self.stall.announce_scan)

    def say(self, text: str) -> None:
        with self._out_lock:
            self.out.write(text + "\n")
            self.out.flush()

    def _result(self) -> None:
        merchant, _ = self.model.snapshot()
        prefix = "error" if merchant.message_kind == "error" else "ok"
        self.say(f"{prefix}: {merchant.message or '-'}")

    def _status(self) -> list[str]:
        m, c = self.model.snapshot()
        w = m.weight
        flags = " ".join(
            n
            for n, on in (
                ("stable", w.stable),
                ("zero", w.zero),
                ("net", w.net),
                ("overload", w.overload),
                ("underload", w.underload),
            )
            if on
        )
        lines = [f"weight: {w.weight_text or '-'} kg {flags}" + (f" tare {w.tare_text} kg" if w.tare_text else "")]
        if w.blocked_text:
            lines.append(f"  {w.blocked_text}")
        if m.item is not None:
            i = m.item
            qty = f" qty {i.quantity}" if i.pricing == "piece" else ""
            lines.append(
                f"item: {i.plu} {i.name} {i.unit_price_text}{qty} amount {i.amount_text or '-'} batch {i.batch_id}"
            )
        shown = m.payment.lines if m.payment is not None else m.cart  # while paying: the sale being paid
        lines.extend(f"  {line.index + 1}. {line.name} {line.detail} = {line.amount_text}" for line in shown)
        if m.payment is not None:  # the cart is empty by now: the total is the sale's
            lines.append(f"total: {m.payment.amount_text}")
        else:
            lines.append(f"total: {m.total_text}" + (f" (rounding {m.rounding_text})" if m.rounding_text else ""))
        lines.append(f"printer: {m.printer_text or '-'} | scale: {m.link_text or '-'} | sync: {m.sync_text}")
        lines.append(f"customer screen: {c.mode}" + (f" qr {c.qr_content} ¥{c.qr_amount_text}" if c.qr_content else ""))
        if m.payment is not None:  # a QR payment under way: its stage and what the vendor may do
            lines.append(f"payment: {m.payment.stage} {m.payment.method} {m.payment.amount_text} "
                         f"[{' '.join(m.payment.actions)}]"
                         + (f" {m.payment.countdown_s} s left" if m.payment.countdown_s is not None else ""))
        return lines

    def execute(self, line: str) -> None:
        words = line.split()
        if not words:
            return
        if self.stall.handle(line, self.model.daily_report):
            return
        name, args = words[0].lower(), words[1:]
        arg = " ".join(args)
        model = self.model
        simple: dict[str, Callable[[], object]] = {
            "add": model.add_line,
            "cancel": model.cancel_sale,
            "zero": model.press_zero,
            "tare": model.press_tare,
            "clear-tare": model.clear_tare,
            "reprint": model.reprint_last,
            "paperless": model.toggle_paperless,
            "eticket": model.paperless_instead,
        }
        if name in simple and not args:
            simple[name]()
            self._result()
        elif name == "plu" and len(args) == 1:
            model.select_plu(args[0])
            self._result_or_item()
        elif name in ("key", "pick", "void", "qty", "preset-tare") and len(args) == 1 and args[0].isdigit():
            n = int(args[0])
            {
                "key": lambda: model.press_hotkey(n),
                "pick": lambda: model.pick_result(n - 1),
                "void": lambda: model.void_line(n - 1),
                "qty": lambda: model.set_quantity(n),
                "preset-tare": lambda: model.preset_tare(n),
            }[name]()
            if name in ("key", "pick"):
                self._result_or_item()
            else:
                self._result()
        elif name == "search" and args:
            model.clear_query()
            model.type_text(arg)
            results = model.snapshot()[0].results
            for i, key in enumerate(results, 1):
                self.say(f"  {i}. {key.plu} {key.name} {key.price_text}")
            self.say(f"ok: {len(results)} found")
        elif name == "batch" and len(args) == 1:
            model.choose_batch(args[0])
            self._result()
        elif name == "batches" and not args and model.snapshot()[0].item is None:
            zh, en = texts.MESSAGES["no_item"]  # an empty list would read as "this item has no batch"
            self.say(f"error: {zh if model.lang == 'zh' else en}")
        elif name == "batches" and not args:
            for b in model.batches_for_item():
                self.say(f"  {b.batch_id} {b.origin} {b.supplier} {b.arrival_date}")
            self.say("ok: -")
        elif name == "checkout" and len(args) <= 1:
            self._checkout(args[0] if args else "cash")
        elif name == "cash" and not args and model.snapshot()[0].payment is None:
            self._checkout("cash")  # as the 现金 key: no QR under way, so the cart is paid in cash
        elif name == "pay" and len(args) == 1:
            self._pay(lambda: model.checkout(args[0]) if args[0] in QR_METHODS else None, args[0])
        elif name == "paycode" and len(args) == 1:
            self._pay(lambda: model.micropay(args[0]), "")
        elif name in ("cash", "static", "confirm") and not args:
            {"cash": model.pay_cash_instead, "static": model.use_static_qr, "confirm": model.confirm_static_paid}[
                name
            ]()
            self._result()
        elif name == "wait" and len(args) <= 1:
            self._wait(float(args[0]) if args and args[0].replace(".", "", 1).isdigit() else 10.0)
        elif name == "status" and args in ([], ["json"]):
            if args:
                merchant, customer = model.snapshot()
                self.say(
                    json.dumps(
                        {"merchant": json.loads(_json(merchant)), "customer": json.loads(_json(customer))},
                        ensure_ascii=False,
                    )
                )
            else:
                for text in self._status():
                    self.say(text)
                self.say("ok: -")
        elif name == "lang" and len(args) == 1:
            model.set_lang(args[0])
            self._result()
        elif name == "frames" and not args:
            for frame in self.app.technician.raw_frames():
                self.say(f"  {frame}")
            self.say(f"ok: {self.app.driver.status.text(model.lang)}")
        elif name == "events" and not args:
            for e in self.app.technician.events(20):
                self.say(f"  #{e.id} {e.time_text} {e.kind} {e.detail}")
            ok, bad = self.app.store.verify_events()
            self.say("ok: event log intact" if ok else f"error: event log broken from entry {bad}")
        elif name == "software" and not args:
            from edge.software_id import software_id

            ident = software_id()
            self.say(f"ok: {ident.version} sha256 {ident.sha256}")
        elif name in scale_sim.FORWARDED or (name == "sim" and args):
            self.say(scale_sim.send(self.scale_sim, arg if name == "sim" else line))
        elif name in ("info", "legal") and not args:
            from edge.core.protection import legal_lines
            from edge.software_id import software_id

            state = self.app.store.protection()
            for text in legal_lines(str(software_id()), state, model.lang):
                self.say(f"  {text}")
            self.say(f"{'error' if state.locked else 'ok'}: {state.state.value}")
        elif name == "help":
            self.say(HELP)
            self.say("ok: -")
        elif name == "quit":
            self.say("ok: stopping")
            self.stop()
        elif name in USAGE:
            self.say(f"error: 参数不对 wrong arguments; 用法 usage: {USAGE[name]}")
        else:
            self.say(f"error: unknown command {line.strip()!r}; type help")

    def _checkout(self, method: str) -> None:
        """Commit the cart paid by ``method`` and say the sale (``checkout``, and ``cash`` on a cart)."""
        try:
            sale = self.model.checkout(method)
        except ValueError:
            self.say("error: payment method must be cash, wechat, alipay, unionpay or static_qr")
            return
        if sale is not None:
            self.say(f"sale: {sale.trace_code} seq {sale.seq} total_fen {sale.total_fen} id {sale.sale_id}")
        self._result()

    def _pay(self, start: Callable[[], Any], method: str) -> None:
        if method and method not in QR_METHODS:
            self.say(f"error: pay needs one of {', '.join(QR_METHODS)}; cash sales: checkout cash")
            return
        sale = start()
        if sale is not None:
            self.say(f"sale: {sale.trace_code} seq {sale.seq} total_fen {sale.total_fen} id {sale.sale_id}")
        self._result()

    def _result_or_item(self) -> None:
        merchant, _ = self.model.snapshot()
        if merchant.message_kind == "error" and merchant.message:
            self._result()
        elif merchant.item is not None:
            i = merchant.item
            self.say(f"ok: {i.plu} {i.name} {i.unit_price_text} batch {i.batch_id or '-'} {i.origin}")
        else:
            self._result()

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.model.sellable_now():
                merchant, _ = self.model.snapshot()
                self.say(f"ok: {merchant.weight.weight_text} kg stable")
                return
            time.sleep(0.05)
        merchant, _ = self.model.snapshot()
        self.say(f"error: {merchant.weight.blocked_text or 'no sellable weight'}")

    def serve(self, stdin: TextIO) -> None:
        self.notes.start()
        for line in stdin:
            try:
                with self.notes.quiet():
                    self.execute(line)
            except Exception as exc:  # a console typo must never stop the scale
                log.exception("command %r failed", line.strip())
                self.say(f"error: {exc}")
        log.info("stdin closed; the scale keeps running until SIGTERM/SIGINT")


def main(config_path: str | Path, *, lang: str | None = None, stdin: TextIO | None = None) -> int:
    """Run the headless scale until SIGTERM/SIGINT or ``quit``; 2 when it cannot start."""
    from edge.config import ConfigError
    from edge.seed import SeedError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        config = load_config(config_path)
        app = ScaleApp(config, config_path, lang=lang)
    except (ConfigError, SeedError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = StopFlag()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    app.start()
    console = Console(app, sys.stdout, stop)
    threading.Thread(target=console.serve, args=(stdin or sys.stdin,), name="console", daemon=True).start()
    log.info("headless scale running (type help on stdin)")
    try:
        while not stop.wait(0.5):
            if app.updater is not None and app.updater.restart_requested.is_set():
                break  # a new version is switched in: exit so systemd starts it
    finally:
        app.stop()
    if app.updater is not None and app.updater.restart_requested.is_set():
        from edge.update.wiring import EXIT_RESTART

        return EXIT_RESTART
    return 0
