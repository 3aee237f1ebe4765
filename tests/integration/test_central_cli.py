"""The commands a market office runs: register, write the broker files, serve, publish signed documents."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from central.mosquitto import BrokerFiles
from edge.core.signed import signed_payload
from edge.device_key import DeviceKey
from edge.store.samples import BATCHES
from tests.broker import Broker, free_port
from tests.integration.central_support import ScaleClient, ScaleReg, sales_message, wait_for

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SCALE = "620102-007"


def _central(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "central", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _refused(*args: str, env: dict[str, str]) -> str:
    """What ``central`` prints on stderr when it refuses (exit code 2, nothing on stdout)."""
    done = subprocess.run(
        [sys.executable, "-m", "central", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and done.stdout == "", done.stdout + done.stderr
    return done.stderr.strip()


def _password(output: str) -> str:
    match = re.search(r"MQTT password: (\S+)", output)
    assert match, output
    return match.group(1)


def _verify(doc: dict, public_b64: str) -> None:  # type: ignore[type-arg]
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64))
    key.verify(base64.b64decode(doc["signature"]), signed_payload(doc))  # raises if forged


def test_office_commands_then_serve_and_publish(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'central.db'}"
    env = {**os.environ, "CENTRAL_DB": db_url, "CENTRAL_KEY": str(tmp_path / "central-key.pem")}
    scale_key = DeviceKey.load_or_create(tmp_path / "scale.pem")
    _central("init", env=env)
    _central("market", "add", "--id", "lz-dfh", "--node", "620102", "--name", "东方红综合市场", env=env)
    _central(
        "merchant", "add", "--id", "m-0042", "--market", "lz-dfh", "--stall", "A-17", "--display-name", "老王蔬菜",
        "--real-name", "王小明", "--id-number", "620102199001011234", "--phone", "13912345678", env=env,
    )  # fmt: skip
    added = _central(
        "scale", "add", "--id", SCALE, "--market", "lz-dfh", "--no", "7", "--public-key", scale_key.public_key_b64(),
        "--merchant", "m-0042", env=env,
    )  # fmt: skip
    scale_pw = _password(added)
    central_pw = _password(_central("mqtt-user", "add", env=env))
    assert "620102199001011234" not in _central("merchant", "list", env=env)
    catalog = tmp_path / "catalog.json"
    catalog.write_text((ROOT / "examples" / "catalog.json").read_text(encoding="utf-8"), encoding="utf-8")
    _central("catalog", "import", "--market", "lz-dfh", "--file", str(catalog), env=env)
    batches = tmp_path / "batches.json"
    batches.write_text(json.dumps({"batches": [b.to_dict() for b in BATCHES]}, ensure_ascii=False), encoding="utf-8")
    _central("batch", "import", "--merchant", "m-0042", "--file", str(batches), env=env)
    public = _central("key", env=env).strip()

    port = free_port()
    out = _central("mosquitto", "--dir", str(tmp_path / "broker"), "--listen", f"127.0.0.1:{port}",
                   *(["--user", "root"] if os.geteuid() == 0 else []), env=env)  # fmt: skip
    assert "mosquitto.conf" in out
    directory = tmp_path / "broker"
    broker = Broker(BrokerFiles(directory / "mosquitto.conf", directory / "passwd", directory / "acl"), port, directory)
    broker.start()
    serve = None
    scale = None
    try:
        mqtt = f"mqtt://central:{central_pw}@127.0.0.1:{port}"
        http_port = free_port()
        serve = subprocess.Popen(
            [sys.executable, "-m", "central", "serve", "--mqtt", mqtt, "--http", f"127.0.0.1:{http_port}",
             "--token", "t0ken"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert serve.stdout is not None and "http://127.0.0.1" in serve.stdout.readline()

        scale = ScaleClient(port, SCALE, scale_pw, "the-scale")
        assert not scale.refused
        scale.subscribe(f"trace/v1/lz-dfh/{SCALE}/ack", f"trace/v1/lz-dfh/{SCALE}/batches", "trace/v1/lz-dfh/catalog")
        reg = ScaleReg(SCALE, 7, scale_key, scale_pw)
        sale = reg.sale(1)
        scale.publish("trace/v1/lz-dfh/620102-007/sales", sales_message(SCALE, 1, [("sale", sale)]))
        scale.wait_ack(1)
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/t/{sale.trace_code}", timeout=10) as page:
            assert "老王蔬菜" in page.read().decode()

        _central("publish", "catalog", "--market", "lz-dfh", "--mqtt", mqtt, env=env)
        _central("publish", "batches", "--merchant", "m-0042", "--mqtt", mqtt, env=env)
        wait_for(lambda: len(_docs(scale)) == 2, 10, "catalog and batches")
        docs = _docs(scale)
        for doc in docs.values():
            _verify(doc, public)
        assert docs["catalog/1"]["market_id"] == "lz-dfh" and docs["catalog/1"]["version"] == 1
        assert len(docs["catalog/1"]["body"]["plus"]) == len(json.loads(catalog.read_text())["plus"])
        assert docs["batches/1"]["scale_id"] == SCALE
        assert {b["batch_id"] for b in docs["batches/1"]["body"]["batches"]} == {b.batch_id for b in BATCHES}
        # a second publish carries a higher version (the scale ignores anything not above what it has)
        _central("publish", "catalog", "--market", "lz-dfh", "--mqtt", mqtt, env=env)
        wait_for(lambda: any(json.loads(p).get("version") == 2 for t, p in scale.received if t.endswith("catalog")))
    finally:
        if scale:
            scale.close()
        if serve:
            serve.terminate()
            assert serve.wait(10) == 0
        broker.stop()


def _docs(client: ScaleClient) -> dict[str, dict]:  # type: ignore[type-arg]
    with client.lock:
        docs = [json.loads(p) for t, p in client.received if not t.endswith("/ack")]
    return {d["schema"]: d for d in docs}


def test_batch_list_and_prices_are_tables_for_people_and_json_on_request(tmp_path: Path) -> None:
    from central.keys import load_public_key
    from central.prices import apply_price_events
    from tests.integration.central_support import MARKET, register
    from tests.unit.test_central_vendor_day import price_event

    empty = {**os.environ, "CENTRAL_DB": f"sqlite:///{tmp_path / 'empty.db'}"}
    _central("init", env=empty)
    assert _central("batch", "list", env=empty).strip() == "没有批次 / no batches"
    assert _central("prices", env=empty).strip() == "没有商户自定价 / no vendor prices"
    assert json.loads(_central("batch", "list", "--json", env=empty)) == []

    setup = register(f"sqlite:///{tmp_path / 'central.db'}", tmp_path)
    env = {**os.environ, "CENTRAL_DB": f"sqlite:///{tmp_path / 'central.db'}"}
    header, *rows = _central("batch", "list", env=env).splitlines()
    assert header.startswith("批次号 batch") and "产地 origin" in header and "状态 state" in header
    assert len(rows) == len(BATCHES) and not any(row.startswith("{") for row in rows)
    first = BATCHES[0]
    assert first.batch_id in rows[0] and first.origin in rows[0] and "在售 on sale" in rows[0]
    # the columns line up under the headers although the cells mix Chinese and ASCII
    from edge.printer.textwidth import display_width

    assert {display_width(line[: line.index("在售")]) for line in rows} == {
        display_width(header[: header.index("状态")])
    }
    machine = json.loads(_central("batch", "list", "--json", env=env))
    assert [b["batch_id"] for b in machine] == sorted(b.batch_id for b in BATCHES)

    scale = setup.scales[0]
    event = price_event(setup, None, {"unit_price_fen": 450, "changed_ms": 1_796_310_746_000})
    with setup.db.connection() as conn:
        assert (
            apply_price_events(conn, scale.scale_id, MARKET, [event], load_public_key(scale.key.public_key_b64())) == []
        )
    header, row = _central("prices", env=env).splitlines()
    assert header.startswith("秤 scale") and "指导价 guide" in header
    assert scale.scale_id in row and "白菜" in row and "¥4.50" in row and "¥3.98" in row and "是 yes" in row
    assert json.loads(_central("prices", "--json", env=env))[0]["unit_price_fen"] == 450


def test_registration_errors_are_printed_in_chinese_then_english(tmp_path: Path) -> None:
    env = {**os.environ, "CENTRAL_DB": f"sqlite:///{tmp_path / 'central.db'}"}
    _central("init", env=env)

    def refused(*args: str) -> str:
        return _refused(*args, env=env)

    bad_node = refused("market", "add", "--id", "lz-x", "--node", "62A102", "--name", "东方红综合市场")
    assert bad_node.index("节点编码应为") < bad_node.index("a node id has"), bad_node
    unknown = refused("merchant", "add", "--id", "m-0042", "--market", "nope", "--stall", "A-17",
                      "--display-name", "老王蔬菜", "--real-name", "王小明", "--id-number", "620102199001011234",
                      "--phone", "13912345678")  # fmt: skip
    assert unknown == "error: 市场 'nope' 未登记，请先登记 / market 'nope' is not registered; register it first"
    _central("market", "add", "--id", "lz-dfh", "--node", "620102", "--name", "东方红综合市场", env=env)
    twice = refused("market", "add", "--id", "lz-dfh", "--node", "620102", "--name", "东方红综合市场")
    assert twice.startswith("error: 市场 lz-dfh、节点编码 620102 或溯源码前缀 620102") and "已登记" in twice, twice
    assert twice.index("已登记") < twice.index("is already registered"), twice


def test_missing_settings_are_explained_in_chinese_then_english(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("CENTRAL_DB", "CENTRAL_MQTT", "CENTRAL_MQTT_PASSWORD")}
    no_db = _refused("init", env=env)
    assert no_db.startswith("error: 未指定数据库：请加 --db sqlite:///central.db"), no_db
    assert no_db.index("设置 CENTRAL_DB") < no_db.index("no database: pass --db sqlite:///central.db"), no_db

    env |= {"CENTRAL_DB": f"sqlite:///{tmp_path / 'central.db'}", "CENTRAL_KEY": str(tmp_path / "central-key.pem")}
    stop = ("batch", "stop-sale", "--batch", "B-1", "--reason", "快检不合格")
    no_broker = _refused(*stop, env=env)
    assert no_broker.startswith("error: 未指定 MQTT 服务器：请加 --mqtt"), no_broker
    assert "/ no broker: pass --mqtt mqtt://central:PASSWORD@HOST:PORT or set CENTRAL_MQTT" in no_broker, no_broker
    bad_url = _refused(*stop, "--mqtt", "http://127.0.0.1:1883", env=env)
    assert bad_url.startswith("error: MQTT 服务器地址 'http://127.0.0.1:1883' 格式不对"), bad_url
    assert bad_url.index("格式不对") < bad_url.index("must look like mqtt://central:PASSWORD@"), bad_url
