"""TechnicianModel: PIN, validation, atomic edge.toml writes and the event log of legal changes."""

from __future__ import annotations

import os
import socket
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from edge.config import load_config
from edge.software_id import SoftwareId
from edge.store import Store
from edge.store.errors import StoreFullError
from edge.ui.model.technician import TechnicianModel, note_software_id
from tests.unit.ui_model_support import ROOT

TOML = (ROOT / "examples" / "edge.toml").read_text(encoding="utf-8")


class Rig:
    def __init__(self, tmp: Path, pin: str | None = None) -> None:
        catalog = ROOT / "examples" / "catalog.json"
        text = TOML.replace('"../var/edge.db"', '"edge.db"').replace('"catalog.json"', f'"{catalog}"')
        if pin is not None:
            text = text.replace("[display]\n", f'[display]\ntechnician_pin = "{pin}"\n')
        self.path = tmp / "edge.toml"
        self.path.write_text(text, encoding="utf-8")
        self.config = load_config(self.path)
        self.store = Store.open(tmp / "edge.db")
        self.model = TechnicianModel(self.path, self.config, self.store, clock_ms=lambda: 1_764_000_000_000)


@pytest.fixture
def rig(tmp_path) -> Iterator[Rig]:
    r = Rig(tmp_path)
    yield r
    r.store.close()


def test_default_pin_opens_with_a_warning(rig):
    assert rig.model.view().fields == ()
    assert "0000" in rig.model.pin_warning
    assert rig.model.set_field("scale.e_g", "2") == "请先输入技术员密码"
    assert rig.model.unlock("0000")
    view = rig.model.view()
    assert view.unlocked and "0000" in view.message and view.message_kind == "error"
    assert {f.name for f in view.fields} >= {
        "scale.port",
        "scale.protocol",
        "printer.qr_mode",
        "sync.broker_url",
        "identity.stall",
        "display.customer_position",
        "display.lang",
    }


def test_wrong_pins_lock_the_screen_for_a_while(tmp_path):
    r = Rig(tmp_path, pin="2468")
    now = [0.0]
    r.model._monotonic = lambda: now[0]
    assert r.model.pin_warning == ""
    for left in (4, 3, 2, 1):
        assert not r.model.unlock("0000")
        assert f"{left} 次" in r.model.view().message
    assert not r.model.unlock("0000")
    assert not r.model.unlock("2468")  # locked out, even with the right PIN
    assert "秒后再试" in r.model.view().message
    now[0] += 61
    assert r.model.unlock("2468")
    r.store.close()


def test_fields_are_validated_with_clear_messages(rig):
    rig.model.unlock("0000")
    assert rig.model.set_field("scale.e_g", "abc") == "请输入整数"
    assert rig.model.set_field("scale.protocol", "modbus").startswith("请选择")
    assert rig.model.set_field("identity.stall", "") == "不能为空"
    assert rig.model.set_field("sync.password", "") == ""
    errors = rig.model.validate()
    assert set(errors) == {"scale.e_g", "scale.protocol", "identity.stall"}
    before = rig.path.read_bytes()
    result = rig.model.apply()
    assert not result.ok and "设置有误" in result.message and "分度值" in result.message
    assert rig.path.read_bytes() == before
    assert rig.store.events() == []


def test_metrology_rules_apply_to_max_and_e(rig):
    rig.model.unlock("0000")
    rig.model.set_field("scale.e_g", "3")  # not 1, 2 or 5 x 10^k
    errors = rig.model.validate()
    assert "1, 2 or 5" in errors[""]
    rig.model.set_field("scale.e_g", "1")  # 15000 divisions: above class III's 10000
    assert "divisions" in rig.model.validate()[""]
    before = rig.path.read_bytes()
    assert not rig.model.apply().ok and rig.path.read_bytes() == before


def test_apply_writes_the_file_atomically_and_logs_legal_changes(rig):
    rig.model.unlock("0000")
    rig.model.set_field("scale.protocol", "binary-ff")
    rig.model.set_field("scale.baud", "4800")
    rig.model.set_field("scale.e_g", "2")
    rig.model.set_field("scale.max_g", "6000")
    rig.model.set_field("identity.stall", "B-07")  # not legally relevant: no event
    rig.model.set_field("printer.paper_mm", "80")
    rig.model.set_field("sync.password", "s3cret")
    view = rig.model.view()
    assert next(f for f in view.fields if f.name == "sync.password").value == "••••"
    assert next(f for f in view.fields if f.name == "scale.e_g").changed
    result = rig.model.apply()
    assert result.ok, result.message
    assert set(result.changed) == {
        "scale.protocol",
        "scale.baud",
        "scale.e_g",
        "scale.max_g",
        "identity.stall",
        "printer.paper_mm",
        "sync.password",
    }
    assert "重启" in result.message
    config = load_config(rig.path)
    scale = config.scale
    assert (scale.protocol, scale.baud, scale.e_g, scale.max_g) == ("binary-ff", 4800, 2, 6000)
    assert (config.identity.stall, config.printer.paper_mm, config.sync.password) == ("B-07", 80, "s3cret")
    text = rig.path.read_text(encoding="utf-8")
    assert "# the printer simulator" in text  # the technician's comments survive
    assert not [p for p in rig.path.parent.iterdir() if p.name.startswith(".edge.toml")]  # no temp file left
    events = rig.store.events()
    assert [(e.kind, e.data["key"], e.data["old"], e.data["new"]) for e in events] == [
        ("setting.changed", "scale.protocol", "mt-sics", "binary-ff"),
        ("setting.changed", "scale.baud", None, 4800),
        ("setting.changed", "scale.max_g", 15000, 6000),
        ("setting.changed", "scale.e_g", 5, 2),
    ]
    assert [e.id for e in events] == list(result.logged)
    assert rig.store.verify_events() == (True, None)
    shown = rig.model.view().events
    assert [e.id for e in shown] == [4, 3, 2, 1] and shown[0].time_text.startswith("2025-11-25")
    assert rig.model.apply().message == "没有修改"
    rig.model.unlock("0000")
    rig.model.set_field("scale.baud", "")  # back to the protocol's default: the key goes
    assert rig.model.apply().ok
    assert load_config(rig.path).scale.baud is None and "baud" not in rig.path.read_text(encoding="utf-8")


def test_nothing_changes_when_the_event_log_cannot_be_written(rig, monkeypatch):
    rig.model.unlock("0000")
    rig.model.set_field("scale.e_g", "2")
    rig.model.set_field("scale.max_g", "6000")
    before = rig.path.read_bytes()

    def full(*_args, **_kwargs):
        raise StoreFullError.for_write()

    monkeypatch.setattr(rig.store, "append_event", full)
    result = rig.model.apply()
    assert not result.ok and "存储空间已满" in result.message
    assert rig.path.read_bytes() == before  # an unlogged legal change never takes effect
    assert not [p for p in rig.path.parent.iterdir() if p.name.startswith(".edge.toml")]


def test_software_change_is_logged_once(rig):
    first = SoftwareId("1.0", "a" * 64)
    assert note_software_id(rig.store, 1, first) == 1
    assert note_software_id(rig.store, 2, first) is None
    assert note_software_id(rig.store, 3, SoftwareId("1.1", "b" * 64)) == 2
    events = rig.store.events()
    assert [e.kind for e in events] == ["software.updated", "software.updated"]
    assert events[1].data == {"from": str(first), "to": "1.1+bbbbbbbbbbbb"}
    view = rig.model.view()
    assert len(view.software_sha256) == 64 and view.software_id.startswith(view.software_version)


def test_raw_frames_are_shown_as_hex(rig):
    driver = SimpleNamespace(raw_frames=deque([b"S S      1.235 kg\r\n", b"\xff\x01"]))
    rig.model.driver = driver  # type: ignore[assignment]
    assert rig.model.raw_frames() == ("53 20 53 20 20 20 20 20 20 31 2e 32 33 35 20 6b 67 0d 0a", "ff 01")


def test_test_print_sends_the_demo_ticket_to_the_form_printer(rig):
    rig.model.unlock("0000")
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    received = bytearray()

    def serve() -> None:
        conn, _ = server.accept()
        conn.settimeout(2)
        try:
            while data := conn.recv(65536):
                received.extend(data)
                if b"\x10\x04" in data:  # DLE EOT status request: answer "ready"
                    conn.sendall(bytes([0x12]) * data.count(b"\x10\x04"))
        except OSError:
            pass
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    rig.model.set_field("printer.connection", f"tcp:127.0.0.1:{port}")
    assert rig.model.test_print(), rig.model.view().message
    thread.join(5)
    server.close()
    assert received.startswith(b"\x1b@") and "溯源".encode("gb18030") in bytes(received)
    assert "测试小票已打印" in rig.model.view().message
    rig.model.set_field("printer.connection", f"file:{os.devnull}/nope")
    assert not rig.model.test_print() and "测试打印失败" in rig.model.view().message


def test_voice_on_off_and_volume_are_technician_settings(rig):
    rig.model.unlock("0000")
    assert rig.model.current_value("voice.enabled") == "True"
    assert rig.model.set_field("voice.enabled", "maybe").startswith("请选择")
    rig.model.set_field("voice.enabled", "False")
    rig.model.set_field("voice.volume", "35")
    result = rig.model.apply()
    assert result.ok, result.message
    voice = load_config(rig.path).voice
    assert (voice.enabled, voice.volume) == (False, 35)  # a TOML boolean, not the text "False"
    assert "[voice]" in rig.path.read_text(encoding="utf-8")
