"""Small parts of central: Mosquitto password hashes, the URL parsers, money text, error pages, ACL text."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest

from central import admin
from central.db import Database, DatabaseError, DbUrl
from central.http import App
from central.mosquitto import acl_file, password_file
from central.mqtt import MqttError, MqttUrl
from central.pages import yuan
from central.passwords import check_password, hash_password
from central.schema import migrate
from central.validate import Rejected, Topic
from edge.core.tracecode import make_trace_code


def test_password_hash_is_mosquittos_format(tmp_path: Path) -> None:
    stored = hash_password("s3cret")
    assert stored.startswith("$7$101$") and check_password("s3cret", stored) and not check_password("x", stored)
    passwd = tmp_path / "pw"
    passwd.write_text("")
    subprocess.run(["/usr/bin/mosquitto_passwd", "-b", str(passwd), "alice", "s3cret"], check=True)
    theirs = passwd.read_text().strip().split(":", 1)[1]
    assert check_password("s3cret", theirs)  # same algorithm and encoding as mosquitto_passwd


def test_urls() -> None:
    assert DbUrl.parse("sqlite:///central.db").target == "central.db"
    assert DbUrl.parse("postgresql://postgres@127.0.0.1/x").dialect == "postgresql"
    with pytest.raises(DatabaseError, match="sqlite:///FILE"):
        DbUrl.parse("mysql://x")
    url = MqttUrl.parse("mqtt://central:p%40ss@127.0.0.1:18830")
    assert (url.username, url.password, url.port, url.tls) == ("central", "p@ss", 18830, False)
    assert MqttUrl.parse("mqtts://c:p@h").port == 8883
    with pytest.raises(MqttError, match="mqtt://"):
        MqttUrl.parse("http://x")
    with pytest.raises(Rejected):
        Topic.parse("trace/v1/m/s")


def test_yuan_from_integer_fen() -> None:
    assert [yuan(n) for n in (0, 5, 1234, 100000, -50)] == ["¥0.00", "¥0.05", "¥12.34", "¥1000.00", "-¥0.50"]


def test_a_failing_database_gives_a_500_page_without_internals(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'missing-dir' / 'central.db'}")
    app = App(db, "tok")
    code = make_trace_code("620102", 7, date(2024, 5, 12), 1)
    page = app.handle("GET", f"/t/{code}", {})
    assert page.status == 500 and b"Traceback" not in page.body and b"missing-dir" not in page.body
    api = app.handle("GET", "/api/v1/fleet", {"authorization": "Bearer tok"})
    assert api.status == 500 and b"missing-dir" not in api.body
    assert app.handle("POST", "/", {}).status == 405


def test_registration_rules_and_generated_acl(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'c.db'}")
    migrate(db)
    migrate(db)  # idempotent
    with db.connection() as conn:
        admin.add_market(conn, "m1", "620102", "市场")
        with pytest.raises(admin.AdminError, match=r"9 digits \(legacy: 6\)") as bad:
            admin.add_market(conn, "m2", "62", "市场")
        assert bad.value.text("zh").startswith("节点编码应为9位数字") and bad.value.text("en").startswith("a node id")
        with pytest.raises(admin.AdminError, match=r"已登记.* / market m1.*already registered"):
            admin.add_market(conn, "m1", "620103", "市场")
        with pytest.raises(admin.AdminError, match=r"不可用.* / market id.*not usable"):
            admin.add_market(conn, "a/b", "620104", "市场")
        with pytest.raises(admin.AdminError) as unknown:
            admin.add_scale(conn, "s0", "m1", 9, "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", "nobody")
        said = "商户 'nobody' 未登记，请先登记 / merchant 'nobody' is not registered; register it first"
        assert str(unknown.value) == said
        with pytest.raises(ValueError, match="base64 Ed25519"):
            admin.add_scale(conn, "s1", "m1", 1, "not-a-key")
        key = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
        creds = admin.add_scale(conn, "s1", "m1", 1, key)
        with pytest.raises(admin.AdminError, match="already registered"):
            admin.add_scale(conn, "s2", "m1", 1, key)
        admin.add_central_account(conn)
        acl = acl_file(conn)
        passwd = password_file(conn)
    assert "user s1\ntopic write trace/v1/m1/s1/sales\n" in acl and "topic read trace/v1/m1/catalog" in acl
    assert "user central\ntopic readwrite trace/v1/#" in acl and "pattern" not in acl
    assert creds.password not in passwd and passwd.startswith("central:$7$")


@pytest.mark.parametrize(
    ("header", "status"),
    [("Bearer tok", 200), ("bearer tok", 200), ("BEARER  tok ", 200), ("Bearer nope", 401), ("Basic tok", 401),
     ("tok", 401), ("", 401)],
)  # fmt: skip
def test_the_token_scheme_is_case_insensitive_the_token_is_not(tmp_path: Path, header: str, status: int) -> None:
    db = Database(f"sqlite:///{tmp_path / 'central.db'}")
    migrate(db)
    answer = App(db, "tok").handle("GET", "/api/v1/fleet", {"authorization": header} if header else {})
    assert answer.status == status
    db.close()
