"""``python -m edge doctor``: check every part of the scale and say how to fix what is wrong.

Each check returns :class:`Finding`s (ok / warn / fail, what was seen, the fix). The
checks that wait on hardware or the network (weighing module, printer, broker, central's
clock) run side by side with short timeouts, so the whole report takes a few seconds.
The doctor never creates a database or a key: a missing one is a finding.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal

from edge.config import EdgeConfig
from edge.core.units import format_kg
from edge.printer.connections import NetworkConnection, open_connection
from edge.printer.errors import PrinterError
from edge.printer.status import query_status
from edge.runtime import scale_driver, scale_port
from edge.scale_driver.probe import probe
from edge.scale_driver.protocols import get_protocol
from edge.scale_driver.transport import TransportError
from edge.store import Store, StoreError
from edge.store.db import schema_version
from edge.store.migrations import LATEST_VERSION

Status = Literal["ok", "warn", "fail"]

SCALE_WAIT_S = 1.5  # a module streams or answers polls several times a second
PROBE_LISTEN_S = 0.4
NET_TIMEOUT_S = 2.0
PRINTER_TIMEOUT_S = 0.5
DISK_FAIL_BYTES = 50 * 1024 * 1024  # below this, sales are about to be refused
DISK_WARN_BYTES = 500 * 1024 * 1024
CLOCK_SKEW_WARN_S = 120
BACKLOG_WARN_S = 15 * 60
BACKLOG_FAIL_S = 24 * 3600
SANE_YEARS = range(2024, 2100)


@dataclass(frozen=True, slots=True)
class Finding:
    check: str  # scale | printer | broker | clock | disk | database | backlog | protection | config
    status: Status
    seen: str
    fix: str = ""

    def text(self) -> str:
        mark = {"ok": "[ ok ]", "warn": "[WARN]", "fail": "[FAIL]"}[self.status]
        line = f"{mark} {_TITLES.get(self.check, self.check)}: {self.seen}"
        return line + (f"\n       → 处理 fix: {self.fix}" if self.fix else "")


_TITLES = {
    "config": "配置 config",
    "scale": "称重模块 weighing module",
    "printer": "打印机 printer",
    "broker": "服务器 broker",
    "clock": "时钟 clock",
    "disk": "磁盘 disk",
    "database": "数据库 database",
    "backlog": "待上传 backlog",
    "protection": "计量保护 protection",
}


def _age(ms: int) -> str:
    s = max(0, ms // 1000)
    return f"{s // 3600} h {s % 3600 // 60} min" if s >= 3600 else f"{s // 60} min {s % 60} s"


# --- weighing module -----------------------------------------------------------------------


def check_scale(config: EdgeConfig) -> Finding:
    port = scale_port(config)
    s = config.scale
    configure_hint = "python -m edge configure --set scale.port=PORT --config edge.toml (ls /dev/ttyUSB* lists ports)"
    if not port:
        return Finding("scale", "fail", "未设置串口 / no [scale].port configured", configure_hint)
    if "://" not in port and not os.path.exists(port):
        return Finding(
            "scale", "fail",
            f"串口 {port} 不存在 / port {port} does not exist",
            "检查称重模块的连接线和 USB 转串口；或改正端口 / check the module's cable and USB-serial adapter, "
            f"or set the right port: {configure_hint}",
        )  # fmt: skip
    spec = get_protocol(s.protocol)
    baud = s.baud or spec.serial.baud
    driver = scale_driver(config)
    arrived = threading.Event()
    driver.subscribe(lambda _r: arrived.set())
    with driver:
        arrived.wait(SCALE_WAIT_S)
        reading, status = driver.latest, driver.status
    if reading is not None:
        weight = f"{format_kg(reading.net_g, s.e_g)} kg" if reading.has_weight else "no weight (overload/underload)"
        stable = "稳定 stable" if reading.stable else "不稳定 moving"
        return Finding("scale", "ok", f"{s.protocol} @ {baud} baud on {port}: {weight}, {stable}")
    try:
        found = probe(port, tuple(dict.fromkeys((baud, 9600))), listen_s=PROBE_LISTEN_S)
    except TransportError as exc:
        return Finding("scale", "fail", f"无法打开 {port} / cannot open {port}: {exc}",
                       "检查端口权限和是否被其他程序占用 / check permissions and that no other program holds the port")
    if found is not None:
        return Finding(
            "scale", "fail",
            f"模块使用 {found.protocol} @ {found.baud} 波特，配置为 {s.protocol} @ {baud} / the module speaks "
            f"{found.protocol} at {found.baud} baud, edge.toml says {s.protocol} at {baud}",
            f"python -m edge configure --set scale.protocol={found.protocol} --set scale.baud={found.baud}",
        )  # fmt: skip
    return Finding(
        "scale", "fail",
        f"{port} 上没有称重数据 / no data from the weighing module on {port} ({status.detail or status.state})",
        "检查连接线、模块电源，以及模块的输出方式（连续输出或主机查询）/ check the cable, the module's power and "
        "its output mode (continuous or host polling) in its own setup menu",
    )  # fmt: skip


# --- printer -------------------------------------------------------------------------------


def check_printer(config: EdgeConfig) -> Finding:
    spec = config.printer.connection
    kind, _, rest = spec.partition(":")
    if kind == "file":
        folder = config.path(rest).parent
        if not os.access(folder, os.W_OK):
            return Finding("printer", "fail", f"无法写入小票文件目录 {folder} / cannot write to {folder}",
                           "创建目录或改正 [printer].connection / create it or fix [printer].connection")
        return Finding("printer", "ok", f"file:{config.path(rest)} (文件打印，无状态 / a file, no status)")
    try:
        conn = open_connection(spec)
    except ValueError as exc:
        return Finding("printer", "fail", str(exc), "python -m edge configure --set printer.connection=tcp:HOST:9100")
    if isinstance(conn, NetworkConnection):
        conn.connect_timeout_s = NET_TIMEOUT_S
    try:
        conn.open()
    except PrinterError as exc:
        return Finding("printer", "fail", f"打印机连接失败 / cannot connect: {exc}",
                       "检查打印机电源、连接线和 [printer].connection / check its power, cable and "
                       "[printer].connection")  # fmt: skip
    try:
        status = query_status(conn, PRINTER_TIMEOUT_S) if conn.supports_status else None
    finally:
        conn.close()
    if status is None:
        return Finding("printer", "ok", f"{conn.name}: 已连接，此连接无状态 / connected, no status on this link")
    zh_en = status.message
    if status.code == "ok":
        return Finding("printer", "ok", f"{conn.name}: {zh_en}")
    level: Status = "warn" if status.code in ("paper_near_end", "head_hot", "unchecked") else "fail"
    fix = zh_en
    if status.code == "no_answer" and isinstance(conn, NetworkConnection):
        # a network printer serves one connection at a time: a running scale app holds it, the doctor waits
        fix += (" —— 秤程序运行时占用打印机唯一的连接，请先停止秤程序再检查 / a running scale app holds the "
                "printer's only connection: stop the app, then check again")  # fmt: skip
    return Finding("printer", level, f"{conn.name}: {status.code} ({zh_en.split(' / ')[-1]})", fix)


# --- broker --------------------------------------------------------------------------------

# MQTT v5 CONNACK / SUBACK reason codes a technician can do something about.
_BAD_LOGIN = {134: "bad user name or password"}
_NOT_AUTHORISED = 135


def check_broker(config: EdgeConfig) -> Finding:
    sync = config.sync
    if not sync.broker_url:
        return Finding("broker", "warn", "未配置服务器：单机秤，不上传 / no [sync].broker_url: a stand-alone scale, "
                       "nothing is uploaded", "python -m edge provision BUNDLE (或 configure --set sync.broker_url=…)")
    from edge.sync.client import parse_broker_url  # the sync stack only when a broker is configured

    try:
        addr = parse_broker_url(sync.broker_url)
    except ValueError as exc:
        return Finding("broker", "fail", str(exc), "python -m edge configure --set sync.broker_url=mqtt://HOST:1883")
    where = f"{addr.host}:{addr.port}"
    try:
        socket.create_connection((addr.host, addr.port), timeout=NET_TIMEOUT_S).close()
    except ConnectionRefusedError:
        return Finding("broker", "fail", f"{where} 拒绝连接：服务器未运行或端口错误 / connection refused: the broker "
                       "is not running or the port is wrong",
                       "在中心启动 mosquitto，或改正 [sync].broker_url / start mosquitto at central or fix "
                       "[sync].broker_url")  # fmt: skip
    except TimeoutError:
        return Finding("broker", "fail", f"{where} 无应答 / no answer within {NET_TIMEOUT_S:g} s",
                       "检查网络、路由和防火墙 / check the network, routing and firewall")
    except OSError as exc:
        return Finding("broker", "fail", f"无法连接 {where} / cannot reach {where}: {exc}",
                       "检查网络和地址 / check the network and the address in [sync].broker_url")
    return _mqtt_login(config, addr.host, addr.port, addr.tls, where)


def _mqtt_login(config: EdgeConfig, host: str, port: int, tls: bool, where: str) -> Finding:
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    sync, ident = config.sync, config.identity
    username = sync.username or ident.scale_id
    # A client id of our own: the scale app's session (edge-SCALE) must not be kicked off.
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"doctor-{ident.scale_id}-{os.getpid()}",
                         protocol=paho.MQTTv5)  # fmt: skip
    client.username_pw_set(username, sync.password or None)
    connack: list[Any] = []
    suback: list[Any] = []
    got = threading.Event()

    def on_connect(_c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        connack.append(reason)
        got.set()

    def on_subscribe(_c: Any, _u: Any, _mid: Any, reasons: Any, _p: Any) -> None:
        suback.extend(reasons)
        got.set()

    client.on_connect, client.on_subscribe = on_connect, on_subscribe
    try:
        if tls:
            client.tls_set(ca_certs=sync.tls_ca or None)
        client.connect(host, port, keepalive=10, clean_start=True)
    except (ssl.SSLError, ssl.CertificateError) as exc:
        return Finding("broker", "fail", f"{where} TLS 失败 / TLS failed: {exc}",
                       "检查 [sync].tls_ca 证书文件和服务器地址 / check the CA file in [sync].tls_ca and the host name")
    except (OSError, ValueError) as exc:
        return Finding("broker", "fail", f"{where}: {exc}", "检查 [sync] 设置 / check [sync] in edge.toml")
    client.loop_start()
    try:
        if not got.wait(NET_TIMEOUT_S + 1) or not connack:
            return Finding("broker", "fail", f"{where} 未回应 MQTT 登录 / no MQTT answer (not an MQTT broker?)",
                           "检查 [sync].broker_url 的端口 / check the port in [sync].broker_url")
        reason = connack[0]
        if reason.is_failure:
            return _refused(reason, username, where)
        got.clear()
        # Brokers that check subscriptions (EMQX) refuse another scale's topics here; Mosquitto 2.0
        # grants the subscription and filters on delivery, so there this only proves the login.
        topic = f"trace/v1/{ident.market_id}/{ident.scale_id}/ack"
        client.subscribe(topic, qos=1)
        if not got.wait(NET_TIMEOUT_S) or not suback or suback[0].is_failure:
            why = str(suback[0]) if suback else "no answer"
            return Finding(
                "broker", "fail",
                f"登录成功但无权订阅 {topic} / logged in as {username}, but not authorised for {topic} ({why})",
                "edge.toml 的 [identity].market_id/scale_id 与中心登记不一致：重新执行 provision / the identity in "
                "edge.toml does not match the scale's registration at central: provision the scale again",
            )  # fmt: skip
        return Finding("broker", "ok", f"{where}: 以 {username} 登录成功 / logged in as {username}")
    finally:
        client.disconnect()
        client.loop_stop()


def _refused(reason: Any, username: str, where: str) -> Finding:
    value = getattr(reason, "value", None)
    if value in _BAD_LOGIN or value == _NOT_AUTHORISED:
        return Finding(
            "broker", "fail",
            f"{where} 拒绝用户 {username} 的登录（{reason}）/ the broker refused {username}'s login: {reason}",
            "密码错误或秤未在服务器登记：在中心执行 `central scale password --id ID` 并更新 [sync].password，"
            "或重新 provision / wrong password or the scale is not in the broker's password file: issue a new "
            "password at central (`central scale password`) and put it into [sync].password, or provision again",
        )  # fmt: skip
    return Finding("broker", "fail", f"{where} 拒绝连接 / refused: {reason}", "查看服务器日志 / see the broker's log")


# --- clock ---------------------------------------------------------------------------------


def _central_time(base_url: str) -> datetime | None:
    """Central's clock from its HTTP Date header (None when it cannot be reached)."""
    try:
        request = urllib.request.Request(base_url.rstrip("/") + "/", method="HEAD")
        with urllib.request.urlopen(request, timeout=NET_TIMEOUT_S) as response:
            date = response.headers.get("Date")
    except urllib.error.HTTPError as exc:  # any answer carries a Date
        date = exc.headers.get("Date")
    except (OSError, ValueError):
        return None
    with contextlib.suppress(TypeError, ValueError):
        return parsedate_to_datetime(date) if date else None
    return None


def check_clock(config: EdgeConfig, newest_sale_ms: int | None, now: Callable[[], float] = time.time) -> Finding:
    central = _central_time(config.ticket.trace_base_url)
    moment = now()
    here = datetime.fromtimestamp(moment, UTC)
    set_time = "设置正确时间（timedatectl / NTP）/ set the time (timedatectl, NTP)"
    if here.year not in SANE_YEARS:
        return Finding("clock", "fail", f"系统时间为 {here:%Y-%m-%d %H:%M} UTC，明显错误 / the clock says "
                       f"{here:%Y-%m-%d %H:%M} UTC", set_time)  # fmt: skip
    if newest_sale_ms is not None and newest_sale_ms > moment * 1000 + 60_000:
        newest = datetime.fromtimestamp(newest_sale_ms / 1000, UTC)
        return Finding("clock", "fail", f"时钟倒退：最新一笔交易在 {newest:%Y-%m-%d %H:%M} UTC，晚于现在 / the clock "
                       f"went backwards: the newest sale is from {newest:%Y-%m-%d %H:%M} UTC, after now", set_time)
    if central is None:
        return Finding("clock", "ok", f"{here:%Y-%m-%d %H:%M:%S} UTC (中心不可达，未比对 / central not reachable to "
                       "compare)")  # fmt: skip
    skew = moment - central.timestamp()
    if abs(skew) > CLOCK_SKEW_WARN_S:
        return Finding("clock", "warn", f"与中心相差 {skew:+.0f} 秒 / {skew:+.0f} s off central's clock", set_time)
    return Finding("clock", "ok", f"{here:%Y-%m-%d %H:%M:%S} UTC, 与中心相差 / off central by {skew:+.0f} s")


# --- disk, database, backlog ---------------------------------------------------------------


def check_disk(db_path: Path) -> Finding:
    folder = db_path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    seen = f"{folder}: {free // (1024 * 1024)} MiB 可用 / free"
    fix = "清理日志和旧文件，或更换更大的存储卡 / delete old logs and files, or fit a larger card"
    if free < DISK_FAIL_BYTES:
        return Finding("disk", "fail", seen + "：存储空间即将用完，交易将被拒绝 / sales are about to be refused", fix)
    if free < DISK_WARN_BYTES:
        return Finding("disk", "warn", seen, fix)
    return Finding("disk", "ok", seen)


def _file_schema(db_path: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return schema_version(conn)
    finally:
        conn.close()


def check_database(db_path: Path) -> tuple[list[Finding], Store | None]:
    """Findings, and the open store for the backlog and clock checks (None when unusable)."""
    call = "不要手工修改数据库，请联系技术支持 / do not edit the database by hand; call support"
    if not db_path.exists():
        return [Finding("database", "fail", f"数据库 {db_path} 不存在 / no database at {db_path}",
                        "检查 [store].path；新秤启动一次即会创建 / check [store].path; a new scale creates it "
                        "on its first start")], None  # fmt: skip
    try:
        version = _file_schema(db_path)
        if version > LATEST_VERSION:
            return [Finding("database", "fail", f"schema {version} 来自更新的软件 / is from newer software "
                            f"(this one knows {LATEST_VERSION})", "安装新版本软件 / install the newer software")], None
        store = Store.open(db_path)
    except StoreError as exc:
        return [Finding("database", "fail", str(exc), call)], None
    except Exception as exc:  # sqlite3.DatabaseError: not a database at all
        return [Finding("database", "fail", f"{db_path}: {exc}", call)], None
    found: list[Finding] = []
    problems = store.integrity_check()
    if problems:
        found.append(Finding("database", "fail", f"完整性检查失败 / integrity check failed: {'; '.join(problems[:3])}",
                             call))  # fmt: skip
    ok, bad = store.verify_events()
    if not ok:
        found.append(Finding("database", "fail", f"事件日志从第 {bad} 条起被篡改 / the event log is broken from "
                             f"entry {bad} on", "保留现场，报告市场管理处和计量部门 / keep the scale as it is and "
                             "report it to the market office and the metrology authority"))  # fmt: skip
    if not found:
        upgraded = f" (upgraded from {version})" if version and version != store.schema_version() else ""
        found.append(Finding("database", "ok", f"{db_path}: schema {store.schema_version()}{upgraded}, "
                             "完整性和事件日志正常 / integrity and event chain ok"))  # fmt: skip
    return found, store


def check_backlog(config: EdgeConfig, store: Store, now_ms: int) -> Finding:
    count, oldest = store.backlog(), store.oldest_unacked_ms()
    if not count or oldest is None:
        return Finding("backlog", "ok", "没有待上传的交易 / nothing waiting to be uploaded")
    age = now_ms - oldest
    seen = f"{count} 条待上传，最早 {_age(age)} 前 / {count} waiting, the oldest for {_age(age)}"
    if not config.sync.broker_url:
        return Finding("backlog", "ok", seen + "（单机秤 stand-alone）")
    fix = "见上面服务器一项；恢复连接后会自动上传 / see the broker finding; it uploads by itself once connected"
    if age > BACKLOG_FAIL_S:
        return Finding("backlog", "fail", seen, fix)
    if age > BACKLOG_WARN_S:
        return Finding("backlog", "warn", seen, fix)
    return Finding("backlog", "ok", seen)


# --- the report ----------------------------------------------------------------------------


def run(config: EdgeConfig, now: Callable[[], float] = time.time) -> list[Finding]:
    """Every check, in a fixed order; hardware and network checks in parallel."""
    db_path = config.path(config.store.path)
    with ThreadPoolExecutor(max_workers=3) as pool:
        scale = pool.submit(_guarded, "scale", check_scale, config)
        printer = pool.submit(_guarded, "printer", check_printer, config)
        broker = pool.submit(_guarded, "broker", check_broker, config)
        db_findings, store = check_database(db_path)
        try:
            newest = None
            if store is not None:
                last = store.last_sale()
                newest = last.created_ms if last else None
            clock = _guarded("clock", check_clock, config, newest, now)
            backlog = [check_backlog(config, store, int(now() * 1000))] if store is not None else []
            backlog += [check_protection(store)] if store is not None else []
        finally:
            if store is not None:
                store.close()
        return [scale.result(), printer.result(), broker.result(), clock, check_disk(db_path), *db_findings,
                *backlog]  # fmt: skip


def check_protection(store: Store) -> Finding:
    """The lock of the legal parameters (docs/protection.md): a locked scale cannot sell."""
    from edge.core.protection import state_text

    state = store.protection()
    seen = f"{state_text(state, 'zh')} / {state_text(state, 'en')}; 事件计数器 event counter {state.legal_changes}"
    if state.remote_locked:
        return Finding("protection", "fail", f"{seen} ({state.remote_reason})",
                       "由中心解锁 / central unlocks: python -m central scale unlock --scale ... "
                       "--reason ...")  # fmt: skip
    if state.change_pending:
        return Finding("protection", "fail", f"{seen}; 待铅封 not sealed: {', '.join(state.pending)}",
                       "技术人员检查后铅封 / a technician checks, then seals: python -m edge seal --config "
                       "edge.toml --technician NAME --reason WHY")  # fmt: skip
    return Finding("protection", "ok", seen)


def _guarded(check: str, fn: Callable[..., Finding], *args: Any) -> Finding:
    """A check that crashes is a finding too, never a traceback instead of the report."""
    try:
        return fn(*args)
    except Exception as exc:
        return Finding(check, "fail", f"检查出错 / the check itself failed: {type(exc).__name__}: {exc}",
                       "请把此报告发给技术支持 / send this report to support")  # fmt: skip


def failed(findings: list[Finding]) -> bool:
    return any(f.status == "fail" for f in findings)


def to_json(findings: list[Finding]) -> dict[str, Any]:
    return {"ok": not failed(findings), "findings": [asdict(f) for f in findings]}
