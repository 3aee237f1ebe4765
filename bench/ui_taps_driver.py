"""Counts the taps a vendor needs for one 3-line cart, on the Kivy app of a given source tree.

    python bench/ui_taps_driver.py --tree DIR --out OUT [--size 1024x600]

The cart: 白菜 weighed (1.235 kg on the platter), 3 boxes of 鸡蛋 (a piece item), 黄瓜
found by its pinyin initials ``hg`` on the on-screen keyboard; then 现金 (cash). It runs
``DIR``'s own app through ``DIR/tests/ui/ui_driver.py`` (its rig and touch driver), so the
same script measures today's build and this one: where the build has no quantity keys
the eggs are added box by box, as a vendor does there. Writes ``OUT/result.json``:
the keys tapped in order, the cart and the total (bench/bench_ui.py reads it).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def load_driver(tree: Path) -> Any:
    sys.path.insert(0, str(tree))  # the tree's edge and simulator, not this checkout's
    spec = importlib.util.spec_from_file_location("tree_ui_driver", tree / "tests" / "ui" / "ui_driver.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def taps_driver(ui: Any) -> type:
    Wait = ui.Wait

    class TapsDriver(ui.Driver):
        def sale(self) -> Iterator[Any]:
            app, r = self.app, self.result
            taps: list[str] = []
            r["taps"] = taps

            def tap(action: str) -> Iterator[Any]:
                taps.append(action)
                yield from self.tap(action)

            def chosen(plu: str) -> Wait:
                return Wait(
                    f"{plu} chosen",
                    lambda: (
                        self.view.item is not None
                        and self.view.item.plu == plu
                        and bool(self.view.item.amount_text)
                        and self.view.weight.stable
                    ),
                )

            def lines(n: int) -> Wait:
                return Wait(f"{n} lines", lambda: len(self.view.cart) == n)

            yield Wait("live weight 1.235", lambda: app.merchant.weight.weight.text == "1.235", 30)
            # 1. weighed
            yield from tap("hotkey:1001")
            yield chosen("1001")
            yield from tap("add")
            yield lines(1)
            # 2. three boxes of eggs
            yield from tap("hotkey:4001")
            yield chosen("4001")
            if self.find("qty_plus") is not None:  # a build with quantity keys
                for n in (2, 3):
                    yield from tap("qty_plus")
                    yield Wait(f"{n} boxes", lambda n=n: self.view.item.quantity == n)
                yield from tap("add")
            else:  # no quantity on the touchscreen: the item three times
                for _ in range(2):
                    yield from tap("add")
                    yield from tap("hotkey:4001")
                    yield chosen("4001")
                yield from tap("add")
            yield Wait("eggs in the cart", lambda: self.view.item is None)
            n = len(self.view.cart)
            # 3. found by pinyin initials
            yield from tap("search")
            yield from tap("kbd:H")
            yield from tap("kbd:G")
            yield Wait("results for hg", lambda: self.view.query == "hg" and bool(self.view.results))
            yield from tap("result:1004")
            yield chosen("1004")
            yield from tap("add")
            yield lines(n + 1)
            yield from self.settle()
            r["cart"] = [(line.name, line.detail, line.amount_text) for line in self.view.cart]
            r["total_text"] = self.view.total_text
            r["cart_taps"] = len(taps)
            yield from tap("checkout")
            yield Wait("sold", lambda: not self.view.cart and len(self.rig.printer.printed) >= 1, 20)

    return TapsDriver


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--size", default="1024x600")
    args = parser.parse_args()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ["TRACE_UI_PROBE"] = str(out / "probe")
    ui = load_driver(args.tree.resolve())
    rig = ui.Rig(out, args.size)
    driver = taps_driver(ui)(rig, out, "sale")
    try:
        from edge.ui.kivy import app as kivy_app

        code = kivy_app.main(str(rig.config), hook=driver.start)
    finally:
        rig.close()
    result = out / "result.json"
    if not result.exists():
        result.write_text(json.dumps({"error": f"app exited ({code}) before the cart was done"}), encoding="utf-8")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
