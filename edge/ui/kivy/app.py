"""``python -m edge run --config edge.toml``: the merchant window, and the customer display beside it.

The parts (driver, model, print worker, customer-display socket, sync) are wired by
`edge.app.ScaleApp`, exactly as for ``--headless``; this module only adds windows:

- the merchant touchscreen (`MerchantScreen`) and, behind the 设置 key, the technician
  screen (`TechnicianScreen`);
- the customer display, spawned as ``python -m edge customer-display --config C`` (a
  second Kivy process: Kivy has one window per process).

Model callbacks come from the driver/worker threads under the model's lock; they only
store the latest snapshot and trigger one render on the Kivy thread per frame.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edge.app import ScaleApp
    from edge.ui.model.views import CustomerView, MerchantView

log = logging.getLogger("edge.ui.kivy")

NO_CUSTOMER_ENV = "TRACE_NO_CUSTOMER_DISPLAY"  # set to 1 to run without the second window


def hotkeys_per_page(size: tuple[int, int]) -> int:
    """Hotkey grid by screen: 4×3 at 800×480, 5×3 at 1024×600, 6×4 from 1280×720 up.

    Keys stay at least about 70 px tall: a wet finger needs that much.
    """
    width, height = size
    if height < 560 or width < 960:
        return 12
    if height < 700:
        return 15
    return 24


def main(config_path: str | os.PathLike[str], *, size: tuple[int, int] | None = None,
         hook: Callable[[Any], None] | None = None) -> int:
    """Run the windowed scale until the window closes or SIGTERM/SIGINT; 2 when it cannot start.

    ``hook(app)`` runs when the window is up (tests drive the screens through it).
    """
    from edge.config import ConfigError, load_config
    from edge.seed import SeedError
    from edge.store import StoreError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from edge.ui.kivy import boot

    size = size or boot.parse_size(config.display.size)
    boot.configure(size, (0, 0), borderless=True)
    from edge.ui.kivy.fonts import require_cjk_font

    require_cjk_font()  # before any window: exits with the install hint when there is no CJK font
    customer = _spawn_customer_display(config_path)  # first: it takes a second to start on its own
    # The parts (store, catalog, driver...) start in a thread while this one opens the window:
    # the two halves of the cold start overlap, and the first readings arrive meanwhile.
    parts = _PartsStarter(config, config_path)
    parts.start()
    from kivy.core.window import Window  # noqa: F401  (importing it opens the window)

    try:
        scale = parts.result()
    except (ConfigError, SeedError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        _stop_process(customer)
        return 2
    try:
        make_app(scale, size, hook=hook).run()
    finally:
        _stop_process(customer)
        scale.stop()
    if scale.updater is not None and scale.updater.restart_requested.is_set():
        from edge.update.wiring import EXIT_RESTART

        return EXIT_RESTART
    return 0


class _PartsStarter(threading.Thread):
    """``ScaleApp(config).start()`` in the background; `result()` joins and re-raises its error."""

    def __init__(self, config: Any, config_path: str | os.PathLike[str]) -> None:
        super().__init__(name="parts-starter", daemon=True)
        self.config = config
        self.config_path = config_path
        self._scale: ScaleApp | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            from edge.app import ScaleApp

            self._scale = ScaleApp(self.config, self.config_path).start()
        except BaseException as exc:  # handed to the main thread
            self._error = exc

    def result(self) -> ScaleApp:
        self.join()
        if self._error is not None:
            raise self._error
        assert self._scale is not None
        return self._scale


def _spawn_customer_display(config_path: str | os.PathLike[str]) -> subprocess.Popen[bytes] | None:
    if os.environ.get(NO_CUSTOMER_ENV):
        return None
    command = [sys.executable, "-m", "edge", "customer-display", "--config", str(Path(config_path).resolve())]
    try:
        return subprocess.Popen(command, start_new_session=True)  # its own group: a Ctrl-C reaches us only
    except OSError as exc:
        log.error("customer display not started: %s", exc)
        return None


def _stop_process(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def _build_app_class() -> type:
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.widget import Widget

    from edge.ui.kivy.actions import ActionRunner
    from edge.ui.kivy.merchant import MerchantScreen
    from edge.ui.kivy.probe import Probe
    from edge.ui.kivy.technician import TechnicianScreen

    class _MerchantApp(App):
        title = "溯源秤"

        def __init__(self, scale: ScaleApp, size: tuple[int, int], hook: Callable[[Any], None] | None) -> None:
            super().__init__()
            self.scale = scale
            self.model = scale.model
            self.screen_size = size
            self.hook = hook
            self._lock = threading.Lock()
            self._latest: MerchantView | None = None
            self._customer_seq = -1
            self.view: MerchantView | None = None
            self.technician: TechnicianScreen | None = None

        def build(self) -> Widget:
            identity = self.scale.config.identity
            self.runner = ActionRunner(self.model)
            self.root_box = BoxLayout()
            self.merchant = MerchantScreen(self.model, place=f"{identity.merchant_name} · {identity.stall}",
                                           on_technician=self.show_technician, runner=self.runner)
            self.root_box.add_widget(self.merchant)
            self.probe = Probe("merchant")
            self.probe.root = self.root_box
            self._trigger = Clock.create_trigger(self._apply, 0)
            page_size = hotkeys_per_page(self.screen_size)
            if self.model.page_size != page_size:
                self.model.page_size = page_size  # HOOK: ScaleApp has no page-size option yet
                self.runner.call("show_page", 0)
            self.model.subscribe(self._on_snapshot)  # replays the current snapshot at once
            signal.signal(signal.SIGTERM, lambda *_: Clock.schedule_once(lambda _dt: self.stop(), 0))
            signal.signal(signal.SIGINT, lambda *_: Clock.schedule_once(lambda _dt: self.stop(), 0))
            return self.root_box

        def on_start(self) -> None:
            if self.scale.updater is not None:  # a new firmware slot switched in: stop so systemd starts it
                Clock.schedule_interval(self._check_restart, 1.0)
            if self.hook is not None:
                self.hook(self)

        def _check_restart(self, _dt: float) -> None:
            if self.scale.updater.restart_requested.is_set():
                self.stop()

        def on_stop(self) -> None:
            self.runner.stop()
            if self.technician is not None:
                self.technician.close()

        # --- model -> screen ----------------------------------------------------------------------

        def _on_snapshot(self, merchant: MerchantView, customer: CustomerView) -> None:
            """Model thread, under the model's lock: keep the latest, render on the next frame."""
            with self._lock:
                self._latest = merchant
            if customer.seq != self._customer_seq:
                self._customer_seq = customer.seq
                self.probe.write("model", seq=customer.seq)  # lag measurement (bench_ui)
            self._trigger()

        def _apply(self, _dt: float) -> None:
            with self._lock:
                view, self._latest = self._latest, None
            if view is None:
                return
            self.view = view
            if self.technician is None:
                self.merchant.render(view)
            if self.probe.on and view.weight.weight_text:
                self.probe.once_after_frame("first_weight", weight=view.weight.weight_text)

        # --- screens ---------------------------------------------------------------------------------

        def show_technician(self) -> None:
            if self.technician is not None:
                return
            self.merchant.close_popup()
            self.scale.technician.lang = self.model.lang
            self.technician = TechnicianScreen(self.scale.technician, on_exit=self.show_merchant)
            self.root_box.clear_widgets()
            self.root_box.add_widget(self.technician)

        def show_merchant(self) -> None:
            if self.technician is None:
                return
            self.technician.close()
            self.technician = None
            self.root_box.clear_widgets()
            self.root_box.add_widget(self.merchant)
            if self.view is not None:
                self.merchant.render(self.view)

    return _MerchantApp


def make_app(scale: ScaleApp, size: tuple[int, int], *, hook: Callable[[Any], None] | None = None) -> Any:
    """The Kivy App of the merchant window (Kivy imported only once the window is configured)."""
    return _build_app_class()(scale, size, hook)

