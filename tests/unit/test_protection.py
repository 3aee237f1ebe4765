"""Protection of legal parameters (JJG 1204-2025): which changes lock, the seal, the remote lock,
the lock surviving a restart, and every sale refused while locked."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.core import protection
from edge.core.eventlog import make_entry
from edge.core.protection import LockState, ProtectionState, SealError, fold, is_legal
from edge.core.refusals import RefusedError
from edge.store import Store
from tests.unit.ui_model_support import Rig


@pytest.mark.parametrize(
    ("name", "legal"),
    [
        ("scale.protocol", True),
        ("scale.port", True),
        ("scale.baud", True),
        ("scale.max_g", True),
        ("scale.e_g", True),
        ("scale.stable_count", True),  # the stability criterion decides which weight is sold
        ("scale.intervals", True),  # multi-interval ranges (another helper's key): protected from day one
        ("scale.framing", True),  # any [scale] key added later is legal unless named otherwise
        ("calibration.span", True),
        ("scale.silence_s", False),  # only when "no data" shows
        ("printer.connection", False),
        ("identity.stall", False),
        ("ticket.rounding", False),
        ("display.lang", False),
        ("sync.password", False),
        ("scale", False),
        ("", False),
    ],
)
def test_which_parameters_are_legally_relevant(name: str, legal: bool) -> None:
    assert is_legal(name) is legal


def _log(*events: tuple[str, dict]) -> list:
    entries, prev = [], None
    for i, (kind, data) in enumerate(events):
        prev = make_entry(prev, kind, data, 1000 + i)
        entries.append(prev)
    return entries


CHANGE = (protection.SETTING_CHANGED, {"key": "scale.e_g", "old": 5, "new": 2})
SEAL = (protection.SEALED, {"technician": "张师傅", "reason": "检定"})
LOCK = (protection.REMOTE_LOCKED, {"reason": "投诉调查", "version": 1})
UNLOCK = (protection.REMOTE_UNLOCKED, {"reason": "调查结束", "version": 2})


@pytest.mark.parametrize(
    ("events", "state", "counter"),
    [
        ([], LockState.UNLOCKED, 0),
        ([CHANGE], LockState.LOCKED_BY_CHANGE, 1),
        ([(protection.SETTING_CHANGED, {"key": "identity.stall", "old": "A", "new": "B"})], LockState.UNLOCKED, 0),
        ([(protection.SETTING_CHANGED, {"key": "scale.silence_s", "old": 1, "new": 2})], LockState.UNLOCKED, 0),
        ([(protection.SOFTWARE_UPDATED, {"from": None, "to": "0.1.0+abc"})], LockState.UNLOCKED, 0),  # first run
        ([(protection.SOFTWARE_UPDATED, {"from": "0.1.0+abc", "to": "0.2.0+def"})], LockState.LOCKED_BY_CHANGE, 1),
        ([CHANGE, SEAL], LockState.UNLOCKED, 1),
        ([CHANGE, SEAL, CHANGE], LockState.LOCKED_BY_CHANGE, 2),
        ([LOCK], LockState.LOCKED_REMOTELY, 0),
        ([LOCK, SEAL], LockState.LOCKED_REMOTELY, 0),  # a technician cannot lift central's lock
        ([LOCK, UNLOCK], LockState.UNLOCKED, 0),
        ([CHANGE, LOCK, UNLOCK], LockState.LOCKED_BY_CHANGE, 1),  # central cannot seal a change
        ([CHANGE, LOCK, SEAL], LockState.LOCKED_REMOTELY, 1),
        ([CHANGE, LOCK, SEAL, UNLOCK], LockState.UNLOCKED, 1),
        ([("sync_refused", {"reason": "bad signature"}), ("config.remote_applied", {})], LockState.UNLOCKED, 0),
    ],
)
def test_lock_state_follows_the_event_log(events, state: LockState, counter: int) -> None:
    folded = fold(_log(*events))
    assert folded.state is state
    assert folded.legal_changes == counter
    assert folded.locked is (state is not LockState.UNLOCKED)
    assert (folded.refusal() is None) is (state is LockState.UNLOCKED)


def test_refusal_texts_say_what_to_do() -> None:
    by_change = fold(_log(CHANGE)).refusal()
    assert by_change is not None and by_change.zh == "计量参数已更改，暂停销售：请技术人员完成铅封程序"
    assert "sealing procedure" in by_change.en
    remote = fold(_log(LOCK)).refusal()
    assert remote is not None and remote.code == "locked_remotely" and "投诉调查" in remote.zh


def test_a_seal_needs_who_and_why() -> None:
    state = fold(_log(CHANGE))
    with pytest.raises(SealError, match="技术人员姓名"):
        protection.seal_data(state, " ", "检定")
    with pytest.raises(SealError, match="reason"):
        protection.seal_data(state, "张师傅", "")
    with pytest.raises(SealError):
        protection.seal_data(state, "张师傅", "x" * 201)
    data = protection.seal_data(state, "张师傅", "检定后")
    assert data["covers"] == ["scale.e_g"] and data["legal_changes"] == 1


def test_extended_display_lines() -> None:
    state = fold(_log(CHANGE, CHANGE))
    zh = protection.legal_lines("0.1.0+abcdef123456", state, "zh")
    assert zh[0] == "软件标识: 0.1.0+abcdef123456"
    assert zh[1].endswith(": 2") and "事件计数器" in zh[1]
    assert "待铅封" in zh[2] and zh[3].endswith("scale.e_g")
    en = protection.legal_lines("0.1.0+abcdef123456", ProtectionState(), "en")
    assert en == [
        "Software id: 0.1.0+abcdef123456",
        "Event counter (legal changes): 0",
        "Lock state: unlocked (sealed)",
    ]


# --- the store: durable, derived from the hash-chained log ------------------------------------


def test_lock_and_seal_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "edge.db"
    with Store.open(path) as store:
        store.append_event(protection.SETTING_CHANGED, {"key": "scale.max_g", "old": 15000, "new": 6000}, 1)
    with Store.open(path) as store:  # power cut and restart
        state = store.protection()
        assert state.state is LockState.LOCKED_BY_CHANGE and state.pending == ("scale.max_g",)
        entry = store.seal("张师傅", "复检合格", 2)
        assert entry.kind == protection.SEALED and entry.data["technician"] == "张师傅"
    with Store.open(path) as store:
        state = store.protection()
        assert state.state is LockState.UNLOCKED and state.legal_changes == 1 and state.last_seal_id == entry.id
        assert store.verify_events() == (True, None)


# --- checkout: every sale refused while locked -----------------------------------------------


@pytest.fixture
def rig(tmp_path: Path):
    r = Rig(tmp_path)
    yield r
    r.close()


def _try_sale(rig: Rig):
    rig.power_on()
    rig.weigh(1235)
    rig.model.select_plu("1001")
    return rig.model.checkout("cash")


def test_checkout_is_refused_while_locked_and_the_message_bar_says_why(rig: Rig) -> None:
    rig.store.append_event(protection.SETTING_CHANGED, {"key": "scale.e_g", "old": 5, "new": 2}, 1)
    assert _try_sale(rig) is None
    m = rig.merchant
    assert m.message_kind == "error" and "暂停销售" in m.message and "铅封" in m.message
    assert m.lock_text == m.message and rig.customer.lock_text  # both banners at once, no tick needed
    assert rig.store.last_sale() is None and rig.store.backlog() == 0  # nothing recorded, no number used
    rig.store.seal("张师傅", "检定合格", 2)
    sale = rig.model.checkout("cash")
    assert sale is not None and sale.seq == 1


def test_remote_lock_refuses_even_after_a_seal(rig: Rig) -> None:
    rig.store.append_event(protection.REMOTE_LOCKED, {"reason": "投诉调查", "version": 1}, 1)
    rig.store.seal("张师傅", "例行检查", 2)
    assert _try_sale(rig) is None
    assert "远程锁定" in rig.merchant.message and "投诉调查" in rig.merchant.message
    rig.store.append_event(protection.REMOTE_UNLOCKED, {"reason": "结束", "version": 2}, 3)
    assert rig.model.checkout("cash") is not None


def test_store_refuses_the_sale_itself(rig: Rig) -> None:
    """Whoever calls the store (app, edge sell, a script), a locked scale records no sale."""
    rig.store.append_event(protection.SETTING_CHANGED, {"key": "scale.protocol", "old": "a", "new": "b"}, 1)
    with pytest.raises(RefusedError) as err:
        rig.store.commit_sale("2026-12-03", lambda seq, daily: pytest.fail("must not build a sale"))
    assert err.value.refusal.code == "locked_by_change"


# --- where changes happen: the technician screen and `edge configure` -------------------------


def test_technician_screen_change_locks_and_its_seal_unlocks(tmp_path: Path) -> None:
    from tests.unit.test_ui_model_technician import Rig as TechRig

    tech = TechRig(tmp_path, pin="2468")
    try:
        model = tech.model
        assert not model.seal("张师傅", "检定")  # behind the PIN
        assert model.unlock("2468")
        model.set_field("scale.e_g", "2")
        model.set_field("identity.stall", "B-09")
        assert model.apply().ok
        view = model.view()
        assert view.lock_state == "locked-by-change" and "待铅封" in view.lock_text
        assert any("事件计数器" in line and line.endswith(": 1") for line in view.legal_lines)
        assert not model.seal("张师傅", "")  # why is required
        assert "铅封原因" in model.view().message
        assert model.seal("张师傅", "e 5 g -> 2 g，检定合格")
        view = model.view()
        assert view.lock_state == "unlocked" and "恢复销售" in view.message
        [seal] = [e for e in tech.store.events() if e.kind == protection.SEALED]
        assert seal.data["technician"] == "张师傅" and seal.data["covers"] == ["scale.e_g"]
    finally:
        tech.store.close()


def test_configure_cli_change_locks_until_edge_seal(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.unit.ui_model_support import ROOT

    conf = tmp_path / "edge.toml"
    text = (ROOT / "examples" / "edge.toml").read_text(encoding="utf-8")
    conf.write_text(text.replace('"../var/edge.db"', '"edge.db"'), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def edge(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "edge", *args], input=stdin, capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=60)  # fmt: skip

    done = edge("configure", "--config", str(conf), "--set", "scale.max_g=6000")
    assert done.returncode == 0, done.stderr
    assert "python -m edge seal" in done.stdout
    legal = edge("legal", "--config", str(conf), "--json")
    assert '"state": "locked-by-change"' in legal.stdout and '"legal_changes": 1' in legal.stdout
    wrong = edge("seal", "--config", str(conf), "--technician", "张师傅", "--reason", "复检", stdin="9999\n")
    assert wrong.returncode == 3 and "密码错误" in wrong.stderr
    none = edge("seal", "--config", str(conf), "--technician", "张师傅", "--reason", "复检")  # stdin empty
    assert none.returncode == 3 and "没有输入技术员密码" in none.stderr and "TRACE_TECHNICIAN_PIN" in none.stderr
    ok = edge("seal", "--config", str(conf), "--technician", "张师傅", "--reason", "复检", stdin="0000\n")
    assert ok.returncode == 0, ok.stderr
    assert "已铅封" in ok.stdout and "正常" in ok.stdout
    shown = edge("legal", "--config", str(conf), "--lang", "en")
    assert "Event counter (legal changes): 1" in shown.stdout and "Lock state: unlocked" in shown.stdout


def test_banners_for_both_screens_follow_the_lock(rig: Rig) -> None:
    assert rig.merchant.lock_text == "" and rig.customer.lock_text == ""
    rig.store.append_event(protection.REMOTE_LOCKED, {"reason": "投诉调查", "version": 1}, 1)
    rig.model.tick()  # the app's ticker: a lock written by another process shows within a tick
    assert "远程锁定" in rig.merchant.lock_text and rig.customer.lock_text == "本秤暂停销售（计量保护锁定）"
    rig.model.set_lang("en")
    assert "locked remotely" in rig.merchant.lock_text and "not selling" in rig.customer.lock_text
    rig.store.append_event(protection.REMOTE_UNLOCKED, {"reason": "结束", "version": 2}, 2)
    rig.model.tick()
    assert rig.merchant.lock_text == "" and rig.customer.lock_text == ""


def test_customer_view_carries_the_lock_over_the_link() -> None:
    from edge.ui.model.views import CustomerView

    view = CustomerView(lock_text="本秤暂停销售（计量保护锁定）", seq=3)
    assert CustomerView.from_json(view.to_json()).lock_text == "本秤暂停销售（计量保护锁定）"


def test_new_software_locks_at_its_first_start(tmp_path: Path) -> None:
    """An OTA or manual update changes the software id: logged at the next start, and it locks."""
    from edge.software_id import SoftwareId
    from edge.ui.model.technician import note_software_id

    with Store.open(tmp_path / "edge.db") as store:
        note_software_id(store, 1, SoftwareId("0.1.0", "a" * 64))  # a new scale's first run
        assert store.protection().state is LockState.UNLOCKED
        note_software_id(store, 2, SoftwareId("0.2.0", "b" * 64))  # after the update
        state = store.protection()
        assert state.state is LockState.LOCKED_BY_CHANGE and state.pending == ("software",)
        assert state.legal_changes == 1


def test_a_seal_by_another_process_is_seen_by_the_running_app(tmp_path: Path) -> None:
    """The store folds only entries newer than it has seen: still exact across processes."""
    path = tmp_path / "edge.db"
    with Store.open(path) as app, Store.open(path) as cli:
        app.append_event(protection.SETTING_CHANGED, {"key": "scale.e_g", "old": 5, "new": 2}, 1)
        assert app.protection().locked
        cli.seal("张师傅", "复检合格", 2)  # `python -m edge seal` while the app runs
        assert not app.protection().locked and app.protection().legal_changes == 1
        app.append_event(protection.SETTING_CHANGED, {"key": "scale.max_g", "old": 15000, "new": 6000}, 3)
        state = cli.protection()
        assert state.locked and state.legal_changes == 2 and state.pending == ("scale.max_g",)
