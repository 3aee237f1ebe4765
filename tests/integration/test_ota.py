"""OTA firmware updates end to end: central publishes and rolls out, the scale downloads over
real HTTP, verifies, installs into an A/B slot (real virtualenvs), switches, checks its
health and rolls back by itself; every step is in the scale's event log.

The scale side runs in-process (Updater + SyncService against a real Mosquitto); the slots
are real venvs under tmp built from stdlib-built wheels of this project. The running
version is the checkout's 0.1.0, seeded into slot a once per session and copied per test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from central.db import Database
from central.firmware import publish_release, rollout
from central.http import App, HttpServer
from central.keys import CentralKey
from central.mqtt import MqttUrl
from central.publish import send
from central.receiver import Receiver
from central.wheel import build_wheel
from edge.config import IdentityConfig, SyncConfig
from edge.store import Store
from edge.sync import SyncService
from edge.update.slots import Slots
from edge.update.state import TRIAL, load_state
from edge.update.updater import BOOT_DEADLINE_S, MAX_BOOT_ATTEMPTS, Outcome, Updater, check_boot
from tests.integration.sync_support import MARKET, SCALE, Broker, wait_for

pytestmark = pytest.mark.integration

PROJECT = Path(__file__).resolve().parents[2]
RUNNING = "0.1.0"


@dataclass(frozen=True)
class Wheels:
    seeded_root: Path  # slots/a = RUNNING, current -> slots/a
    broken_source: Path  # the project with an edge package that raises on import


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Wheels:
    base = tmp_path_factory.mktemp("ota-wheels")
    seed = build_wheel(PROJECT, RUNNING, base / "seed")
    root = base / "seeded"
    slots = Slots(root)
    slots.build("a", seed)
    slots.switch("a")
    broken = base / "broken"
    for package in ("edge", "central", "simulator"):
        shutil.copytree(PROJECT / package, broken / package, ignore=shutil.ignore_patterns("__pycache__"))
    (broken / "edge" / "__init__.py").write_text('raise RuntimeError("this release is broken")\n')
    return Wheels(root, broken)


@dataclass
class Ota:
    tmp: Path
    broker: Broker
    db: Database
    key: CentralKey
    http: HttpServer
    store: Store
    root: Path
    updater: Updater
    sync: SyncService | None = None

    @property
    def central_mqtt(self) -> str:
        return f"mqtt://central:{self.broker.central_password}@127.0.0.1:{self.broker.port}"

    def publish(self, version: str, **kwargs: object) -> dict[str, object]:
        with self.db.connection() as conn:
            release = publish_release(conn, self.key, self.tmp / "firmware", version, source=PROJECT, **kwargs)
        return release.manifest

    def manifest(self, version: str) -> dict[str, object]:
        """The signed manifest central stored for ``version``."""
        with self.db.connection() as conn:
            row = conn.one("SELECT manifest FROM firmware_releases WHERE version = ?", (version,))
        assert row is not None
        return json.loads(row["manifest"])

    def offer(self, version: str) -> None:
        with self.db.connection() as conn:
            docs = rollout(conn, version, scale_id=SCALE)
        send(MqttUrl.parse(self.central_mqtt), docs)

    def start_scale(self) -> None:
        config = SyncConfig(broker_url=self.broker.url, password=self.broker.scale_password,
                            central_public_key=self.key.public_key_b64())  # fmt: skip
        self.updater.start()
        self.sync = SyncService(config, IdentityConfig(market_id=MARKET, scale_id=SCALE), self.store,
                                software_id=RUNNING, on_firmware=self.updater.offer)  # fmt: skip
        self.sync.start()

    def events(self, prefix: str = "firmware.") -> list[tuple[str, dict[str, object]]]:
        return [(e.kind, e.data) for e in self.store.events(0, 1000) if e.kind.startswith(prefix)]

    def wait_result(self, count: int = 1) -> None:
        wait_for(lambda: len(self.updater.results) >= count, 60, f"{count} firmware result(s)")


@pytest.fixture
def ota(tmp_path: Path, wheels: Wheels) -> Iterator[Ota]:
    broker = Broker(tmp_path / "broker")
    broker.start()
    db = Database(f"sqlite:///{tmp_path / 'broker' / 'central.db'}")
    http = HttpServer(App(db, None), "127.0.0.1", 0)
    http.start()
    key = CentralKey.load_or_create(tmp_path / "central-key.pem")
    root = tmp_path / "scale-root"
    shutil.copytree(wheels.seeded_root, root, symlinks=True)
    store = Store.open(tmp_path / "scale.db")
    updater = Updater(store, root, key.public_key_b64(), f"http://127.0.0.1:{http.port}", running_version=RUNNING)
    o = Ota(tmp_path, broker, db, key, http, store, root, updater)
    try:
        yield o
    finally:
        if o.sync is not None:
            o.sync.stop()
        updater.stop()
        store.close()
        http.stop()
        db.close()
        broker.stop()


def _edge_toml(o: Ota) -> Path:
    path = o.tmp / "edge.toml"
    path.write_text(f'[store]\npath = "{o.tmp / "scale.db"}"\n', encoding="utf-8")
    return path


def test_release_published_rolled_out_downloaded_installed_switched_and_booted(ota: Ota) -> None:
    o = ota
    central = [sys.executable, "-m", "central"]
    db_url = f"sqlite:///{o.tmp / 'broker' / 'central.db'}"
    done = subprocess.run([*central, "firmware", "publish", "--db", db_url, "--key", str(o.tmp / "central-key.pem"),
                           "--version", "0.2.0", "--notes", "收银修正", "--dir", str(o.tmp / "firmware")],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "release 0.2.0: trace_scale-0.2.0-py3-none-any.whl" in done.stdout
    o.start_scale()
    rollout_cmd = ["firmware", "rollout", "--db", db_url, "--mqtt", o.central_mqtt, "--version", "0.2.0"]
    rollout_cmd += ["--scale", SCALE]
    done = subprocess.run([*central, *rollout_cmd], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "offered to 1 scale(s)" in done.stdout

    o.wait_result()
    result = o.updater.results[-1]
    assert (result.outcome, result.version) == (Outcome.SWITCHED, "0.2.0"), result.reason
    kinds = [kind for kind, _ in o.events()]
    assert kinds == ["firmware.offered", "firmware.downloaded", "firmware.installed", "firmware.switched"]
    assert o.events()[-1][1] == {"version": "0.2.0", "slot": "b", "from": "a"}
    slots = Slots(o.root)
    assert slots.active() == "b" and slots.version("b") == "0.2.0" and slots.version("a") == RUNNING
    assert load_state(o.root).state == TRIAL

    # the service restarts into the new version: the boot check passes it, the new version reports itself healthy
    config = _edge_toml(o)
    new_python = str(o.root / "current" / "bin" / "python")
    update = [new_python, "-I", "-m", "edge", "update", "--root", str(o.root)]
    boot = subprocess.run([*update, "--check-boot", "--config", str(config)], capture_output=True, text=True)
    assert boot.returncode == 0 and "0.2.0 start 1 of" in boot.stdout, boot.stderr
    ok = subprocess.run([*update, "--boot-ok", "--config", str(config)], capture_output=True, text=True)
    assert "0.2.0 booted OK" in ok.stdout, ok.stderr
    status = subprocess.run([*update, "--status"], capture_output=True, text=True).stdout
    assert " * slot b: 0.2.0" in status and "   slot a: 0.1.0" in status and "state: ok" in status
    assert o.events()[-1] == ("firmware.booted_ok", {"version": "0.2.0", "slot": "b"})
    ok, _ = o.store.verify_events()
    assert ok  # the hash chain holds across the processes that wrote it

    with o.db.connection() as conn:
        row = conn.one("SELECT state FROM firmware_status WHERE scale_id = ? AND version = '0.2.0'", (SCALE,))
    assert row == {"state": "offered"}  # until the scale's heartbeat shows the new software id


def test_a_release_that_cannot_start_is_rolled_back_and_central_sees_why(ota: Ota, wheels: Wheels) -> None:
    o = ota
    broken = build_wheel(wheels.broken_source, "0.3.0", o.tmp / "built")
    o.publish("0.3.0", wheel=broken)  # type: ignore[arg-type]
    receiver = Receiver(o.db, MqttUrl.parse(o.central_mqtt))
    receiver.start()
    try:
        o.start_scale()
        o.offer("0.3.0")
        o.wait_result()
        result = o.updater.results[-1]
        assert result.outcome is Outcome.ROLLED_BACK
        assert "this release is broken" in result.reason
        assert Slots(o.root).active() == "a"  # back on the running version
        kind, data = o.events()[-1]
        assert kind == "firmware.rolled_back" and data["version"] == "0.3.0" and data["to"] == "a"
        assert "0.3.0" in load_state(o.root).failed

        def central_status() -> dict[str, object] | None:
            from central.firmware import refresh_status

            with o.db.connection() as conn:
                rows = refresh_status(conn, "0.3.0")
            return rows[0] if rows and rows[0]["state"] == "failed" else None

        wait_for(lambda: central_status() is not None, 30, "central to record the failed update")
        assert "firmware.rolled_back" in str(central_status()["detail"])  # type: ignore[index]
    finally:
        receiver.stop()

    again = o.updater.handle(json.dumps(o.manifest("0.3.0")).encode())
    assert again.outcome is Outcome.REFUSED and "failed on this scale before" in again.reason


def test_tampered_wheel_tampered_manifest_unsigned_and_older_releases_are_refused(ota: Ota) -> None:
    o = ota
    manifest = o.publish("0.2.0")
    stored = o.tmp / "firmware" / "0.2.0" / str(manifest["wheel"])
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, different bytes: served by central's real HTTP
    stored.write_bytes(bytes(data))
    result = o.updater.handle(json.dumps(manifest).encode())
    assert result.outcome is Outcome.REFUSED and "SHA-256 differs" in result.reason

    forged = {**manifest, "sha256": "0" * 64}
    result = o.updater.handle(json.dumps(forged).encode())
    assert result.outcome is Outcome.REFUSED and "bad signature" in result.reason

    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    result = o.updater.handle(json.dumps(unsigned).encode())
    assert result.outcome is Outcome.REFUSED and "unsigned" in result.reason

    older = o.publish("0.0.9")
    result = o.updater.handle(json.dumps(older).encode())
    assert result.outcome is Outcome.REFUSED and "not newer than the running 0.1.0" in result.reason

    same = o.updater.handle(json.dumps(o.publish("0.1.0")).encode())
    assert same.outcome is Outcome.ALREADY  # the running version's own retained manifest: silent

    refused = [data for kind, data in o.events() if kind == "firmware.refused"]
    assert [d["version"] for d in refused] == ["0.2.0", "0.2.0", "0.2.0", "0.0.9"]
    assert o.events()[0][0] == "firmware.offered"  # the tampered wheel got as far as the download
    assert Slots(o.root).active() == "a" and Slots(o.root).version("b") is None  # nothing installed

    base = f"http://127.0.0.1:{o.http.port}/firmware"
    for missing in ("/9.9.9/" + str(manifest["wheel"]), "/0.2.0/..%2f..%2fcentral.db", "/0.2.0/other.whl"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(base + missing, timeout=10)
        assert err.value.code == 404


def test_boot_check_rolls_back_a_version_that_never_reports(ota: Ota) -> None:
    o = ota
    result = o.updater.handle(json.dumps(o.publish("0.2.0")).encode())
    assert result.outcome is Outcome.SWITCHED, result.reason
    for _ in range(MAX_BOOT_ATTEMPTS):  # it keeps crashing before it reports
        assert "start" in check_boot(o.root, o.store)
        assert Slots(o.root).active() == "b"
    summary = check_boot(o.root, o.store)
    assert "rolled back to slot a" in summary
    assert Slots(o.root).active() == "a"
    kind, data = o.events()[-1]
    assert kind == "firmware.rolled_back" and data["reason"] == f"started {MAX_BOOT_ATTEMPTS} times without reporting"
    again = o.updater.handle(json.dumps(o.manifest("0.2.0")).encode())
    assert again.outcome is Outcome.REFUSED  # not taken again after failing


def test_boot_check_rolls_back_a_version_that_runs_but_never_reports_in_time(ota: Ota) -> None:
    o = ota
    assert o.updater.handle(json.dumps(o.publish("0.2.0")).encode()).outcome is Outcome.SWITCHED
    first_start = 1_800_000_000_000
    assert "start 1 of" in check_boot(o.root, o.store, first_start)
    assert load_state(o.root).deadline_ms == first_start + int(BOOT_DEADLINE_S * 1000)
    assert "did not report before its deadline" in check_boot(
        o.root, o.store, first_start + int(BOOT_DEADLINE_S * 1000) + 1
    )
    assert Slots(o.root).active() == "a"


def test_percent_rollout_keeps_the_same_scales_and_heartbeats_mark_them_installed(tmp_path: Path) -> None:
    from central import admin
    from central.firmware import refresh_status
    from central.ingest import store_status
    from central.schema import migrate
    from edge.core.firmware import rollout_bucket
    from edge.device_key import DeviceKey

    db = Database(f"sqlite:///{tmp_path / 'central.db'}")
    migrate(db)
    key = CentralKey.load_or_create(tmp_path / "central-key.pem")
    public = DeviceKey.load_or_create(tmp_path / "k.pem").public_key_b64()
    try:
        with db.connection() as conn:
            admin.add_market(conn, "m1", "620102", "一号市场", "兰州")
            admin.add_market(conn, "m2", "620103", "二号市场", "兰州")
            for n in range(1, 31):
                admin.add_scale(conn, f"s{n:03d}", "m1" if n <= 20 else "m2", n, public)
            publish_release(conn, key, tmp_path / "fw", "0.2.0", source=PROJECT)
            quarter = {d.topic.split("/")[3] for d in rollout(conn, "0.2.0", percent=25)}
            half = {d.topic.split("/")[3] for d in rollout(conn, "0.2.0", percent=50)}
            market = [d.topic for d in rollout(conn, "0.2.0", market_id="m2")]
            with pytest.raises(admin.AdminError, match=r"no release 0\.9\.0"):
                rollout(conn, "0.9.0", scale_id="s001")

            assert quarter == {f"s{n:03d}" for n in range(1, 31) if rollout_bucket(f"s{n:03d}") < 25}
            assert quarter and quarter < half  # raising the percentage only adds scales
            assert market == [f"trace/v1/m2/s{n:03d}/firmware" for n in range(21, 31)]

            store_status(conn, "s021", {"online": True, "software_id": "0.2.0+abcdef012345"})
            store_status(conn, "s022", {"online": True, "software_id": "0.1.0+abcdef012345"})
            states = {r["scale_id"]: r["state"] for r in refresh_status(conn, "0.2.0")}
        assert states["s021"] == "installed" and states["s022"] == "offered"
        assert set(states) == half | set(f"s{n:03d}" for n in range(21, 31))
    finally:
        db.close()
