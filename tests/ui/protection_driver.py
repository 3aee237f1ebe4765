"""The protection scenario in its own process (see ui_driver.py for the plumbing):

    python tests/ui/protection_driver.py --out DIR --size 1024x600 --scenario start

The scale starts with a legal change not yet sealed: both screens show the lock banner and
a sale is refused; the technician seals on the 铅封/解锁 page (PIN, name, reason) and both
banners go away. Writes ``DIR/result.json`` and screenshots like ui_driver.py.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ui_driver import PIN, Driver, Rig, Wait, _label, main

from edge.core.protection import SETTING_CHANGED
from edge.store import Store


class ProtectionDriver(Driver):
    def start_only(self) -> Iterator[Any]:  # the "start" scenario slot runs this one
        app, r = self.app, self.result
        root = app.root_box
        yield Wait("live weight on the merchant screen", lambda: _label(root, "weight") == "1.235", 20)
        yield Wait("the merchant lock banner", lambda: bool(_label(root, "lock_banner")), 10)
        r["merchant_banner"] = _label(root, "lock_banner")
        yield Wait("the customer display locked", lambda: self.customer_last().get("lock") is True, 20)
        yield from self.shoot("merchant-locked")
        yield from self.shoot_customer("customer-locked")
        r["customer_banner_locked"] = self.result["shots"]["customer-locked"]["texts"].get("lock_banner", "")

        yield from self.tap("hotkey:1001")
        yield Wait("item selected", lambda: self.view.item is not None)
        yield from self.tap("checkout")
        yield Wait("the sale refused", lambda: self.view.message_kind == "error" and "铅封" in self.view.message)
        r["refused_message"] = self.view.message

        yield from self.tap("settings")
        yield Wait("PIN pad", lambda: app.technician is not None)
        for digit in PIN:
            yield from self.tap(f"pin:{digit}")
        yield from self.tap("pin:ok")
        tech = app.technician
        yield Wait("settings unlocked", lambda: tech.view is not None and tech.view.unlocked, 15)
        yield from self.tap("section:seal")
        yield Wait("the extended display", lambda: any("事件计数器" in (t or "") for t in _labels(tech, "legal_line")))
        r["legal_lines"] = _labels(tech, "legal_line")
        for name, text in (("seal.technician", "张师傅"), ("seal.reason", "分度值复检合格")):
            yield from self.tap(f"field:{name}")
            yield Wait("the text panel", lambda: tech.edit_panel is not None)
            tech.edit_panel.input.text = text  # what the docked keyboard's keys type
            yield from self.tap("edit_ok")
            yield Wait(f"{name} typed", lambda n=name, t=text: tech.seal_form[n] == t)
        yield from self.settle()
        yield from self.shoot("technician-seal")
        yield from self.tap("seal")
        yield Wait("sealed", lambda: tech.view.lock_state == "unlocked" and "铅封" in tech.view.message, 15)
        r["seal_message"] = tech.view.message
        yield from self.tap("tech_exit")
        yield Wait("merchant screen back", lambda: app.technician is None)
        yield Wait("the merchant banner gone", lambda: not _label(app.root_box, "lock_banner"), 10)
        yield Wait("the customer banner gone", lambda: self.customer_last().get("lock") is False, 20)
        yield from self.shoot_customer("customer-unlocked")
        r["customer_banner_unlocked"] = self.result["shots"]["customer-unlocked"]["texts"].get("lock_banner", "")
        yield from self.shoot("merchant-unlocked")


def _labels(root: Any, test_id: str) -> list[str]:
    return [x.text for x in root.walk(restrict=True) if getattr(x, "test_id", None) == test_id]


def _prepare(rig: Rig) -> None:
    with Store.open(rig.out / "edge.db") as store:  # a change of e made before this start, not sealed
        store.append_event(SETTING_CHANGED, {"key": "scale.e_g", "old": 2, "new": 5, "by": "configure"}, 1)


if __name__ == "__main__":
    raise SystemExit(main(ProtectionDriver, _prepare))
