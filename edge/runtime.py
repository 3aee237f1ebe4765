"""Build the scale's parts from its configuration: one place for the CLI and the app.

Each function opens one part; nothing here holds policy about selling.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from edge.config import EdgeConfig
from edge.core.catalog import Catalog, SearchKeys
from edge.core.metrology import SellableWeight, WeighingState
from edge.core.prices import with_vendor_prices
from edge.core.reading import Reading
from edge.core.records import Sale
from edge.core.refusals import Refusal
from edge.device_key import DeviceKey
from edge.printer.connections import open_connection
from edge.printer.queue import PrintWorker
from edge.printer.ticket import TicketSettings
from edge.scale_driver.driver import ScaleDriver
from edge.seed import load_seed
from edge.store import Store

ZERO_STATE_KEY = "weighing.zero_state"  # (power-on zero, zero offset) kept across runs


def open_store(config: EdgeConfig) -> Store:
    """The scale's store, signing every payment/printed update with the device key."""
    path = config.path(config.store.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    store = Store.open(path)
    keys: list[DeviceKey] = []

    def sign_state(sale: Sale) -> Sale:  # the key is loaded on the first update, not at open
        if not keys:
            keys.append(device_key(config))
        return keys[0].sign_state(sale)

    store.state_signer = sign_state
    if config.catalog.seed_file:
        load_seed(store, config.path(config.catalog.seed_file))
    return store


def device_key(config: EdgeConfig) -> DeviceKey:
    """The Ed25519 key next to the database (provisioning writes it there)."""
    return DeviceKey.load_or_create(config.path(config.store.path).with_name("device_key.pem"))


SEARCH_KEYS_KEY = "catalog.search_keys"  # name -> pinyin search keys, computed once per name


def catalog(store: Store) -> Catalog:
    """The catalog with its search index. Pinyin keys are kept in the store, so a scale
    computes them (and loads pypinyin's ~80 MB of dictionaries) only for names it has
    never seen, e.g. once after central sends a new catalog. Items are at the vendor's
    own prices where set (edge.stall.prices), else at central's guide price."""
    kept: dict[str, SearchKeys] = {}
    raw = store.get_setting(SEARCH_KEYS_KEY) or {}
    for name, value in raw.items() if isinstance(raw, dict) else ():
        try:
            kept[name] = SearchKeys.from_json(value)
        except ValueError:
            continue  # a damaged entry is simply computed again
    goods = Catalog(with_vendor_prices(store.catalog(), store.vendor_prices()), store.sold_counts(), known_keys=kept)
    keys = goods.keys_by_name
    if keys.keys() - kept.keys():
        store.set_setting(SEARCH_KEYS_KEY, {name: k.to_json() for name, k in keys.items()})
    return goods


def ticket_settings(config: EdgeConfig) -> TicketSettings:
    ident, printer, ticket = config.identity, config.printer, config.ticket
    return TicketSettings(
        market_name=ident.market_name,
        stall=ident.stall,
        merchant_name=ident.merchant_name,
        trace_base_url=ticket.trace_base_url,
        paper_mm=printer.paper_mm,
        lang=ticket.lang,
        qr_mode=printer.qr_mode,
    )


def print_worker(config: EdgeConfig, store: Store) -> PrintWorker:
    spec = config.printer.connection
    kind, _, rest = spec.partition(":")
    if kind == "file":
        spec = f"file:{config.path(rest)}"
    return PrintWorker(store, open_connection(spec), ticket_settings(config))


def scale_port(config: EdgeConfig) -> str:
    port = config.scale.port
    if "://" in port or Path(port).is_absolute():
        return port
    return str(config.path(port))


def scale_driver(config: EdgeConfig) -> ScaleDriver:
    s = config.scale
    return ScaleDriver(scale_port(config), s.protocol, baud=s.baud, silence_s=s.silence_s)


def weighing_state(config: EdgeConfig, store: Store) -> WeighingState:
    """A weighing state that keeps the zero the scale established earlier, if any."""
    s = config.scale
    state = WeighingState(s.metrology())
    kept = store.get_setting(ZERO_STATE_KEY)
    # Without a kept zero, the module's calibrated zero stands: it made its own power-on zero.
    power_on, offset = kept if kept else (0, 0)
    state.restore_zero(power_on, offset)
    return state


class WeightWatcher:
    """Feeds driver readings into the weighing state and lets a caller wait for a sellable weight."""

    def __init__(self, driver: ScaleDriver, state: WeighingState) -> None:
        self.driver = driver
        self.state = state
        self._lock = threading.Condition()
        driver.subscribe(self._on_reading)

    def _on_reading(self, reading: Reading) -> None:
        with self._lock:
            self.state.feed(reading)
            self._lock.notify_all()

    def wait_sellable(self, timeout_s: float) -> SellableWeight | Refusal:
        """The first sellable weight within the timeout, else the latest reason why not."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while True:
                result = self.state.sellable()
                left = deadline - time.monotonic()
                if isinstance(result, SellableWeight) or left <= 0:
                    return result
                self._lock.wait(left)
