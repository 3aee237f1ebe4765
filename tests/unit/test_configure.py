"""`edge configure`'s parts on real files: the TOML writer, validation, atomic saves, the event log."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.config import load_config
from edge.store import Store
from edge.technician import configure, toml_write
from edge.technician.configure import ConfigureError

ROOT = Path(__file__).resolve().parents[2]
CLOCK = iter(range(1_795_000_000_000, 1_796_000_000_000, 1000))

ORIGINAL = """\
# a scale at stall A-12
[identity]
scale_id = "620102-001"   # printed on the label
scale_no = 1

[scale]
port = "/dev/ttyUSB0"
protocol = "mt-sics"      # the module's manual says MT-SICS
max_g = 15000
e_g = 5

[store]
path = "edge.db"
"""


def now() -> int:
    return next(CLOCK)


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    path = tmp_path / "edge.toml"
    path.write_text(ORIGINAL, encoding="utf-8")
    return path


def events(tmp_path: Path) -> list[tuple[str, dict]]:
    with Store.open(tmp_path / "edge.db") as store:
        assert store.verify_events() == (True, None)
        return [(e.kind, e.data) for e in store.events()]


# --- the TOML writer -----------------------------------------------------------------------

_keys = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
_values = st.one_of(
    st.text(),  # any text: Chinese, quotes, backslashes, newlines, NUL, DEL
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_keys, st.dictionaries(_keys, _values, max_size=6), max_size=4))
def test_dumps_reads_back_as_the_same_values(data: dict) -> None:
    assert tomllib.loads(toml_write.dumps(data)) == data


def test_strings_toml_forbids_raw_are_escaped() -> None:
    text = 'a"b\\c\nd\te\x00f\x7fg 老王蔬菜'
    written = toml_write.toml_string(text)
    assert "\x7f" not in written and "\x00" not in written and "\n" not in written
    assert tomllib.loads(f"v = {written}")["v"] == text


def test_a_change_keeps_comments_and_every_other_value(conf: Path) -> None:
    p = configure.plan(conf, {("scale", "protocol"): "ascii-stgs", ("printer", "paper_mm"): 80})
    configure.apply(p, now_ms=now)
    text = conf.read_text(encoding="utf-8")
    assert 'protocol = "ascii-stgs"  # the module\'s manual says MT-SICS' in text
    assert "# a scale at stall A-12" in text
    data = tomllib.loads(text)
    assert data["scale"] == {"port": "/dev/ttyUSB0", "protocol": "ascii-stgs", "max_g": 15000, "e_g": 5}
    assert data["printer"] == {"paper_mm": 80}
    assert load_config(conf).scale.protocol == "ascii-stgs"


# --- values and validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        ("scale.max_g=abc", "[scale].max_g must be a whole number (e.g. 15000), got 'abc'"),
        ("scale.e_g=3", "division e must be 1, 2 or 5 x 10^k grams, got e_g=3"),
        ("scale.max_g=15001", "[scale] needs e_g > 0 and max_g a multiple of e_g (got 15001/5)"),
        ("identity.market_code=12", "[identity].market_code must be 6 digits, got '12'"),
        ("identity.scale_no=1000", "[identity].scale_no must be 1-999, got 1000"),
        ("scale.protocol=sics", "[scale].protocol 'sics' is unknown; use one of mt-sics"),
        ("printer.paper_mm=70", "[printer].paper_mm must be 58 or 80, got 70"),
        ("printer.connection=lpt1", "must start with tcp:, serial:, usb: or file:"),
        ("sync.broker_url=http://x", "write mqtt://HOST:PORT"),
        ("scale.foo=1", "there is no key foo in [scale]; known keys: port, protocol, baud"),
        ("scales.port=/dev/ttyS0", "there is no section [scales]; known sections: identity, scale"),
        ("scale.port", "write section.key=value, e.g. scale.protocol=mt-sics"),
    ],
)
def test_a_wrong_value_is_refused_naming_the_key_and_a_valid_value(conf: Path, assignment: str, expected: str) -> None:
    with pytest.raises(ConfigureError) as caught:
        configure.plan(conf, dict([configure.parse_assignment(assignment)]))
    message = str(caught.value)
    assert expected in message
    assert "\u4e00" <= message[0] <= "\u9fff" or message.startswith("["), "Chinese first"
    assert conf.read_text(encoding="utf-8") == ORIGINAL


def test_values_take_their_keys_types_and_an_empty_baud_restores_the_default(conf: Path) -> None:
    assert configure.parse_assignment("scale.baud=4800") == (("scale", "baud"), 4800)
    assert configure.parse_assignment("scale.silence_s=1.5") == (("scale", "silence_s"), 1.5)
    assert configure.parse_assignment("identity.stall= B-07 ") == (("identity", "stall"), "B-07")
    configure.apply(configure.plan(conf, {("scale", "baud"): 4800}), now_ms=now)
    assert load_config(conf).scale.baud == 4800
    configure.apply(configure.plan(conf, dict([configure.parse_assignment("scale.baud=")])), now_ms=now)
    assert "baud" not in conf.read_text(encoding="utf-8")
    assert load_config(conf).scale.baud is None


def test_setting_what_is_already_there_changes_nothing(conf: Path, tmp_path: Path) -> None:
    p = configure.plan(conf, {("scale", "protocol"): "mt-sics", ("scale", "stable_count"): 5})  # 5: the default
    assert p.changes == ()
    assert configure.apply(p, now_ms=now).events == ()
    assert not (tmp_path / "edge.toml.bak").exists()


# --- atomic writes -------------------------------------------------------------------------


def test_a_failed_write_keeps_the_old_file_and_logs_nothing(conf: Path, tmp_path: Path) -> None:
    # The temporary file's name is taken by a directory: opening it for writing fails for real.
    (tmp_path / f".edge.toml.tmp-{os.getpid()}").mkdir()
    p = configure.plan(conf, {("scale", "protocol"): "binary-ff"})
    with pytest.raises(ConfigureError, match="the old file is unchanged"):
        configure.apply(p, now_ms=now)
    assert conf.read_text(encoding="utf-8") == ORIGINAL
    assert not (tmp_path / "edge.db").exists() or events(tmp_path) == []


def test_when_the_event_log_cannot_be_written_the_change_does_not_take_effect(conf: Path, tmp_path: Path) -> None:
    (tmp_path / "db-dir").mkdir()  # [store].path names a directory: the store cannot open it
    p = configure.plan(conf, {("scale", "e_g"): 2, ("store", "path"): "db-dir"})
    with pytest.raises(ConfigureError, match="settings NOT saved"):
        configure.apply(p, now_ms=now)
    assert conf.read_text(encoding="utf-8") == ORIGINAL
    assert [f.name for f in tmp_path.iterdir() if f.name.startswith(".")] == []  # no temporary file left


def test_the_previous_file_is_kept_as_bak_and_permissions_stay(conf: Path, tmp_path: Path) -> None:
    conf.chmod(0o600)
    applied = configure.apply(configure.plan(conf, {("identity", "stall"): "B-07"}), now_ms=now)
    assert applied.backup == tmp_path / "edge.toml.bak"
    assert applied.backup.read_text(encoding="utf-8") == ORIGINAL
    assert stat.S_IMODE(conf.stat().st_mode) == 0o600
    assert load_config(conf).identity.stall == "B-07"


def test_a_missing_file_is_created(tmp_path: Path) -> None:
    path = tmp_path / "new.toml"
    configure.apply(configure.plan(path, {("store", "path"): "edge.db", ("identity", "stall"): "C-3"}), now_ms=now)
    assert load_config(path).identity.stall == "C-3"


# --- the event log -------------------------------------------------------------------------


def test_legally_relevant_changes_are_logged_with_old_and_new_values(conf: Path, tmp_path: Path) -> None:
    p = configure.plan(conf, {("scale", "protocol"): "toledo-8217", ("scale", "max_g"): 6000,
                              ("identity", "stall"): "B-07"})  # fmt: skip
    assert [(c.name, c.legal) for c in p.changes] == [
        ("scale.protocol", True),
        ("scale.max_g", True),
        ("identity.stall", False),
    ]
    applied = configure.apply(p, now_ms=now)
    assert len(applied.events) == 2
    assert events(tmp_path) == [
        ("setting.changed", {"key": "scale.protocol", "old": "mt-sics", "new": "toledo-8217", "by": "configure"}),
        ("setting.changed", {"key": "scale.max_g", "old": 15000, "new": 6000, "by": "configure"}),
    ]


def test_the_legal_list_is_the_technician_screens(conf: Path) -> None:
    """One rule (edge.core.protection.is_legal) for the screen and for configure, which also
    covers [scale] keys the screen does not show."""
    from edge.core.protection import is_legal
    from edge.ui.model.technician import FIELDS

    assert [f.name for f in FIELDS if f.legal != is_legal(f.name)] == []
    p = configure.plan(conf, {("scale", "stable_count"): 3, ("scale", "silence_s"): 2.0})
    assert {c.name: c.legal for c in p.changes} == {"scale.stable_count": True, "scale.silence_s": False}


# --- the command ---------------------------------------------------------------------------


def edge(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edge", *args], capture_output=True, text=True, input=stdin,
                          timeout=60, cwd=ROOT)  # fmt: skip


def test_dry_run_shows_the_diff_and_writes_nothing(conf: Path) -> None:
    done = edge("configure", "--config", str(conf), "--set", "scale.e_g=2", "--set", "identity.stall=B-07",
                "--dry-run")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "[scale].e_g: 5 -> 2  [法定计量参数：记入事件日志，铅封前暂停销售 legally relevant" in done.stdout
    assert "[identity].stall: 'A-01' -> 'B-07'" in done.stdout
    assert conf.read_text(encoding="utf-8") == ORIGINAL


def test_a_refused_value_exits_non_zero_with_the_reason(conf: Path) -> None:
    done = edge("configure", "--config", str(conf), "--set", "scale.e_g=3")
    assert done.returncode == 2
    assert "设置无效，未保存" in done.stderr and "e_g=3" in done.stderr
    assert conf.read_text(encoding="utf-8") == ORIGINAL


def test_interactive_keeps_defaults_re_asks_bad_values_and_saves_on_yes(conf: Path, tmp_path: Path) -> None:
    from edge.ui.model.technician import FIELDS

    answers = {"scale.max_g": ["abc", "6000"], "identity.stall": ["B-07"]}
    lines = [a for spec in FIELDS for a in answers.get(spec.name, [""])]
    done = edge("configure", "--config", str(conf), "--interactive", stdin="\n".join([*lines, "y"]) + "\n")
    assert done.returncode == 0, done.stderr
    assert "最大称量 Max（克） Maximum capacity Max (g) [15000]" in done.stdout
    assert "must be a whole number" in done.stdout
    config = load_config(conf)
    assert (config.scale.max_g, config.identity.stall, config.scale.protocol) == (6000, "B-07", "mt-sics")
    assert [d["key"] for _k, d in events(tmp_path)] == ["scale.max_g"]
