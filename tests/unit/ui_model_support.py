"""Shared set-up for the view-model tests: a real store file, the demo catalog, readings by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from edge import runtime
from edge.config import EdgeConfig, parse_config
from edge.core.reading import Reading
from edge.store import Store
from edge.ui.model.merchant import MerchantModel

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "examples" / "catalog.json"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_config(tmp: Path, **sections: dict[str, Any]) -> EdgeConfig:
    seed = json.loads(CATALOG.read_text(encoding="utf-8"))
    # One item without any batch, to see the "no batch" refusal.
    seed["plus"].append(
        {
            "plu": "5001",
            "name": "香菜",
            "goods_code": "0101099",
            "pricing": "weight",
            "unit_price_fen": 1200,
            "category": "蔬菜",
            "hotkey": 30,
        }
    )
    (tmp / "catalog.json").write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
    data: dict[str, dict[str, Any]] = {
        "store": {"path": "edge.db"},
        "catalog": {"seed_file": "catalog.json"},
        "printer": {"connection": "file:tickets.bin"},
        "sync": {"broker_url": ""},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return parse_config(data, "test.toml", tmp)


class Rig:
    """A model over a real store, fed readings by hand."""

    def __init__(self, tmp: Path, **sections: dict[str, Any]) -> None:
        self.config = make_config(tmp, **sections)
        self.store: Store = runtime.open_store(self.config)
        self.printer = runtime.print_worker(self.config, self.store)
        self.clock = FakeClock()
        self.model = MerchantModel.from_config(self.config, self.store, self.printer, monotonic=self.clock)
        self.seen: list[tuple[Any, Any]] = []
        self.model.subscribe(lambda m, c: self.seen.append((m, c)))

    def weigh(self, grams: int, *, stable: bool = True, times: int = 6, **flags: bool) -> None:
        for _ in range(times):
            self.model.on_reading(Reading(gross_g=grams, net_g=grams, stable=stable, **flags))

    def power_on(self) -> None:
        self.weigh(0)  # the first stable reading near zero becomes the power-on zero

    @property
    def merchant(self):
        return self.model.snapshot()[0]

    @property
    def customer(self):
        return self.model.snapshot()[1]

    def close(self) -> None:
        self.printer.connection.close()
        self.store.close()
