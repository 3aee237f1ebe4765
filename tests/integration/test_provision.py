"""Provisioning round trip: `central scales add --bundle` on a real SQLite central, `edge provision`,
then the scale logs into a real Mosquitto with those credentials and central accepts its signed sale."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from central import admin
from central.db import Database
from central.mqtt import MqttUrl
from central.receiver import Receiver
from central.schema import migrate
from edge import runtime
from edge.checkout import Checkout
from edge.config import load_config
from edge.core.cart import Cart
from edge.core.records import Payment, PaymentMethod, PaymentStatus
from edge.store import Store
from edge.sync import SyncService
from tests.integration.sync_support import wait_for

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MARKET, NODE, MERCHANT = "lz-zhangye-rd", "620102", "M0001"


def run(module: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env={**os.environ, **(env or {})})  # fmt: skip


class Central:
    def __init__(self, tmp: Path, mosquitto) -> None:  # type: ignore[no-untyped-def]
        self.tmp = tmp
        self.url = f"sqlite:///{tmp / 'central.db'}"
        self.env = {"CENTRAL_DB": self.url, "CENTRAL_KEY": str(tmp / "central-key.pem")}
        self.db = Database(self.url)
        migrate(self.db)
        catalog = json.loads((ROOT / "examples" / "catalog.json").read_text(encoding="utf-8"))
        with self.db.connection() as conn:
            admin.add_market(conn, MARKET, NODE, "兰州市城关区张掖路农贸市场", "兰州")
            admin.add_merchant(conn, MERCHANT, MARKET, stall="A-12", display_name="老王蔬菜", real_name="王大伟",
                               id_number="620102198001011234", phone="13900000000")  # fmt: skip
            for batch in catalog["batches"]:
                admin.add_batch(conn, MERCHANT, batch)
            self.central_password = admin.add_central_account(conn).password
        self.broker = mosquitto(self.db)

    def add_scale(self, scale_id: str, no: int, bundle: Path) -> subprocess.CompletedProcess[str]:
        done = run("central", "scales", "add", "--id", scale_id, "--market", MARKET, "--no", str(no),
                   "--merchant", MERCHANT, "--bundle", str(bundle), "--broker-url",
                   f"mqtt://127.0.0.1:{self.broker.port}", "--trace-base-url", "https://trace.example.cn",
                   "--mosquitto-dir", str(self.broker.dir), env=self.env)  # fmt: skip
        assert self.broker.proc is not None
        self.broker.proc.send_signal(signal.SIGHUP)  # the broker re-reads passwd and acl written above
        return done


@pytest.fixture
def central(tmp_path: Path, mosquitto):  # type: ignore[no-untyped-def]
    c = Central(tmp_path, mosquitto)
    yield c
    c.db.close()


@pytest.fixture
def scale_conf(tmp_path: Path) -> Path:
    folder = tmp_path / "scale"
    folder.mkdir()
    conf = folder / "edge.toml"
    conf.write_text(
        '# a fresh scale from the factory\n[store]\npath = "var/edge.db"\n\n'
        f'[catalog]\nseed_file = "{ROOT / "examples" / "catalog.json"}"\n',
        encoding="utf-8",
    )
    return conf


def provision(bundle: Path, conf: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run("edge", "provision", str(bundle), "--config", str(conf), *extra)


def test_a_provisioned_scale_logs_in_and_its_signed_sale_is_accepted(central: Central, scale_conf: Path) -> None:
    bundle = central.tmp / "620102-001.json"
    done = central.add_scale("620102-001", 1, bundle)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(bundle.stat().st_mode) == 0o600  # it holds the private key
    doc = json.loads(bundle.read_text(encoding="utf-8"))
    with central.db.connection() as conn:
        registered = conn.one("SELECT public_key, market_id, scale_no FROM scales WHERE scale_id = '620102-001'")
    assert registered == {"public_key": doc["device_key"]["public_key"], "market_id": MARKET, "scale_no": 1}

    done = provision(bundle, scale_conf)
    assert done.returncode == 0, done.stderr
    assert "Delete the bundle file" in done.stdout
    config = load_config(scale_conf)
    ident = config.identity
    assert (ident.market_id, ident.market_code, ident.scale_id, ident.scale_no, ident.merchant_id, ident.stall) == (
        MARKET, NODE, "620102-001", 1, MERCHANT, "A-12"
    )  # fmt: skip
    assert config.sync.broker_url == f"mqtt://127.0.0.1:{central.broker.port}"
    assert config.ticket.trace_base_url == "https://trace.example.cn"
    key_file = config.path(config.store.path).with_name("device_key.pem")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(scale_conf.stat().st_mode) & 0o077 == 0  # edge.toml now holds the broker password
    assert runtime.device_key(config).public_key_b64() == registered["public_key"]
    with Store.open(config.path(config.store.path)) as store:
        kinds = [e.kind for e in store.events()]
    assert "provisioned" in kinds

    # The scale sells, signs with the installed key and uploads with the bundle's login.
    store = runtime.open_store(config)
    receiver = Receiver(central.db, MqttUrl.parse(central.broker.url("central", central.central_password)),
                        client_id="central-provision-test")  # fmt: skip
    receiver.start()
    sync = SyncService(config.sync, config.identity, store, software_id="test")
    try:
        goods = runtime.catalog(store)
        plu = goods.require("4001")
        cart = Cart().add_piece(plu, 2, store.active_batches("4001")[0])
        sale = Checkout(config, store, runtime.device_key(config)).commit(
            cart, Payment(PaymentMethod.CASH, PaymentStatus.PAID)
        )
        assert uuid.UUID(sale.sale_id).version == 7 and uuid.UUID(sale.sale_id).int >> 80 == sale.created_ms
        sync.start()
        wait_for(lambda: store.backlog() == 0, 30, "central to ack the sale")
        with central.db.connection() as conn:
            row = conn.one("SELECT scale_id, total_fen FROM sales WHERE sale_id = ?", (sale.sale_id,))
            rejects = conn.all("SELECT reason, detail FROM rejects")
        assert row == {"scale_id": "620102-001", "total_fen": sale.total_fen}
        assert rejects == []
    finally:
        sync.stop()
        receiver.stop()
        store.close()


def test_a_tampered_bundle_is_refused_and_changes_nothing(central: Central, scale_conf: Path) -> None:
    bundle = central.tmp / "b.json"
    assert central.add_scale("620102-001", 1, bundle).returncode == 0
    before = scale_conf.read_text(encoding="utf-8")
    doc = json.loads(bundle.read_text(encoding="utf-8"))
    doc["mqtt"]["broker_url"] = "mqtt://evil.example:1883"
    tampered = central.tmp / "tampered.json"
    tampered.write_text(json.dumps(doc), encoding="utf-8")
    done = provision(tampered, scale_conf)
    assert done.returncode == 2
    assert "配置包无效" in done.stderr and "the checksum does not match" in done.stderr
    assert scale_conf.read_text(encoding="utf-8") == before
    assert not (scale_conf.parent / "var" / "device_key.pem").exists()

    # A re-sealed bundle whose key is not the registered one is refused too.
    from edge.core.provisioning import seal

    other = json.loads(bundle.read_text(encoding="utf-8"))
    other["device_key"]["public_key"] = "nksArP7Tl3oQdWq5ydqLOPgA2okmhXhdAXtdWhiKzx0="
    tampered.write_text(json.dumps(seal(other)), encoding="utf-8")
    done = provision(tampered, scale_conf)
    assert done.returncode == 2 and "does not match the public key central registered" in done.stderr


def test_a_second_provision_needs_force(central: Central, scale_conf: Path) -> None:
    first, second = central.tmp / "first.json", central.tmp / "second.json"
    assert central.add_scale("620102-001", 1, first).returncode == 0
    assert central.add_scale("620102-002", 2, second).returncode == 0
    assert provision(first, scale_conf).returncode == 0
    key_file = scale_conf.parent / "var" / "device_key.pem"
    installed = (scale_conf.read_text(encoding="utf-8"), key_file.read_bytes())

    again = provision(first, scale_conf)  # the same bundle again: nothing to do
    assert again.returncode == 0 and "already installed" in again.stdout

    refused = provision(second, scale_conf)
    assert refused.returncode == 2
    assert "scale_id='620102-001'" in refused.stderr and "--force" in refused.stderr
    assert "请加 --force" in refused.stderr
    assert (scale_conf.read_text(encoding="utf-8"), key_file.read_bytes()) == installed

    forced = provision(second, scale_conf, "--force")
    assert forced.returncode == 0, forced.stderr
    config = load_config(scale_conf)
    assert config.identity.scale_id == "620102-002"
    assert runtime.device_key(config).public_key_b64() == json.loads(second.read_text())["device_key"]["public_key"]
    assert len(list(key_file.parent.glob("device_key.pem.replaced-*"))) == 1  # the old key is kept, not lost
