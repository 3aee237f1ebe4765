"""Registration by the market office: markets, merchants, scales, MQTT logins, catalog, batches.

Merchants are registered under their real name (实名登记): real name, ID number and phone
are stored for the market office and never shown on public pages or in the API; the
public face of a merchant is the stall and a display name. A scale gets a random MQTT
password that is returned once to be printed; only its Mosquitto hash is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from central.coding import LEGACY_NODE_DIGITS, CodingRules, is_digits
from central.db import Connection, is_unique_violation
from central.forwarder.outbox import enqueue_goods_in, enqueue_stop_sale
from central.keys import load_public_key
from central.localtime import now_ms
from central.numbering import assign_trace_batch_id, ensure_operator_ids
from central.passwords import generate_password, hash_password
from edge.core.records import Batch, Plu

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # safe in MQTT topics and ACL lines
CENTRAL_ROLE, SCALE_ROLE = "central", "scale"


class AdminError(ValueError):
    """A registration that cannot be done; the message says what to change, Chinese first.

    ``AdminError(zh, en)``: ``str()`` is ``"zh / en"`` (what the CLI prints) and
    ``text(lang)`` one language (the console, in the user's choice); the pair is written
    once, where the error is raised. A single text stands for both (already bilingual)."""

    def __init__(self, message_zh: str, message: str = "") -> None:
        super().__init__(f"{message_zh} / {message}" if message else message_zh)
        self.message_zh = message_zh
        self.message = message or message_zh

    def text(self, lang: str) -> str:
        return self.message if lang == "en" else self.message_zh


# what an id names, in Chinese (check_id, _require)
NOUNS_ZH = {
    "market": "市场", "market id": "市场编号", "merchant": "商户", "merchant id": "商户编号", "scale": "秤",
    "scale id": "秤编号", "batch": "批次", "batch id": "批次号", "MQTT user": "MQTT 用户", "user name": "用户名",
}  # fmt: skip


def bilingual(exc: ValueError) -> AdminError:
    """An AdminError of a ``"中文 / English"`` ValueError (central.coding's checks, parse_version)."""
    zh, sep, en = str(exc).partition("/ ")
    return AdminError(zh.strip(), en) if sep else AdminError(str(exc))


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str  # shown once, never stored


def check_id(kind: str, value: str) -> str:
    if not _ID.match(value or ""):
        raise AdminError(
            f"{NOUNS_ZH.get(kind, kind)} {value!r} 不可用：须为 1-64 个字母、数字、'.'、'_' 或 '-'"
            "（它是 MQTT 主题的一部分）",
            f"{kind} {value!r} is not usable: 1-64 letters, digits, '.', '_' or '-' (it becomes part of MQTT topics)",
        )
    return value


def _insert(conn: Connection, what: tuple[str, str], sql: str, params: tuple[Any, ...]) -> None:
    """``what``: (中文, English) of what would be registered twice."""
    try:
        with conn.transaction():
            conn.execute(sql, params)
    except Exception as exc:
        if is_unique_violation(exc):
            raise AdminError(
                f"{what[0]}已登记，请换一个编号或修改已有的记录",
                f"{what[1]} is already registered; choose another id or update the existing one",
            ) from None
        raise


def add_market(
    conn: Connection,
    market_id: str,
    node: str,
    name: str,
    city: str = "",
    *,
    trace_prefix: str = "",
    rules: CodingRules | None = None,
    office_phone: str = "",
) -> None:
    """Register a market under its national node id (9 digits, or a legacy 6).

    The trace codes of its scales start with a 6-digit trace prefix, unique in this central
    (docs/coding.md): a legacy node is its own prefix; a 9-digit node takes ``trace_prefix``
    or, by default, its first 6 digits (the county code) if no other market has them.
    """
    check_id("market id", market_id)
    try:
        (rules or CodingRules.from_env()).check_node(node)
    except ValueError as exc:
        raise bilingual(exc) from None
    prefix = trace_prefix or node[:LEGACY_NODE_DIGITS]
    if not (len(prefix) == LEGACY_NODE_DIGITS and is_digits(prefix)):
        raise AdminError(f"溯源码前缀应为 {LEGACY_NODE_DIGITS} 位数字（每个溯源码的开头），收到 {prefix!r}",
                         f"the trace prefix must be {LEGACY_NODE_DIGITS} digits (the start of every trace code), "
                         f"got {prefix!r}")  # fmt: skip
    if not name.strip():
        raise AdminError("市场须有名称（显示在溯源页上）", "a market needs a name (shown on the trace page)")
    _insert(
        conn,
        (f"市场 {market_id}、节点编码 {node} 或溯源码前缀 {prefix}（同县已有市场：请用 --trace-prefix）",
         f"market {market_id}, node {node} or trace prefix {prefix} "
         "(another market in the county: give --trace-prefix)"),
        "INSERT INTO markets (market_id, node_code, node_id, name, city, office_phone, created_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (market_id, prefix, node, name.strip(), city.strip(), _office_phone(office_phone), now_ms()),
    )


def set_market_phone(conn: Connection, market_id: str, office_phone: str) -> None:
    """The market office's public phone, printed on the trace page's footer for complaints."""
    _require(conn, "markets", "market_id", market_id, "market")
    conn.execute("UPDATE markets SET office_phone = ? WHERE market_id = ?", (_office_phone(office_phone), market_id))


def _office_phone(text: str) -> str:
    phone = text.strip()
    if phone and not all(c.isdigit() or c in "-+ ()" for c in phone):
        raise AdminError(f"市场管理处电话只能包含数字、空格和 - + ( )，收到 {text!r}",
                         f"the market office phone may hold digits, spaces and - + ( ) only, got {text!r}")
    return phone


def set_market_node(conn: Connection, market_id: str, node: str, rules: CodingRules | None = None) -> int:
    """Give a (legacy) market its national node id; its merchants get new operator ids.

    The trace prefix is left alone, so tickets already printed stay valid. Returns how many
    merchants were numbered.
    """
    try:
        (rules or CodingRules.from_env()).check_node(node)
    except ValueError as exc:
        raise bilingual(exc) from None
    _require(conn, "markets", "market_id", market_id, "market")
    try:
        with conn.transaction():
            conn.execute("UPDATE markets SET node_id = ? WHERE market_id = ?", (node, market_id))
            conn.execute("UPDATE merchants SET operator_id = '' WHERE market_id = ?", (market_id,))
            return ensure_operator_ids(conn, market_id, rules)
    except Exception as exc:
        if is_unique_violation(exc):
            raise AdminError(f"节点编码 {node} 已属于另一个市场",
                             f"node id {node} is already another market's") from None  # fmt: skip
        raise


def _require(conn: Connection, table: str, column: str, value: str, what: str) -> dict[str, Any]:
    row = conn.one(f"SELECT * FROM {table} WHERE {column} = ?", (value,))
    if row is None:
        raise AdminError(f"{NOUNS_ZH.get(what, what)} {value!r} 未登记，请先登记",
                         f"{what} {value!r} is not registered; register it first")  # fmt: skip
    return row


def add_merchant(
    conn: Connection,
    merchant_id: str,
    market_id: str,
    *,
    stall: str,
    display_name: str,
    real_name: str,
    id_number: str,
    phone: str,
    operator_id: str = "",
) -> None:
    """Real-name registration; ``operator_id`` (经营者编码) is given out by central when empty."""
    check_id("merchant id", merchant_id)
    market = _require(conn, "markets", "market_id", market_id, "market")
    if operator_id:
        try:
            CodingRules.from_env().check_operator(operator_id, market["node_id"])
        except ValueError as exc:
            raise bilingual(exc) from None
    missing = [(zh, en) for zh, en, v in (("摊位号", "stall", stall), ("公开名称", "display name", display_name),
                                          ("真实姓名", "real name", real_name), ("身份证号", "ID number", id_number),
                                          ("手机号", "phone", phone)) if not v.strip()]  # fmt: skip
    if missing:
        raise AdminError(f"实名登记须填写{'、'.join(zh for zh, _ in missing)}",
                         f"real-name registration needs {', '.join(en for _, en in missing)}")  # fmt: skip
    try:
        with conn.transaction():
            conn.execute(
                "INSERT INTO merchants (merchant_id, market_id, stall, display_name, real_name, id_number, phone, "
                "operator_id, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (merchant_id, market_id, stall.strip(), display_name.strip(), real_name.strip(), id_number.strip(),
                 phone.strip(), operator_id, now_ms()),
            )  # fmt: skip
            ensure_operator_ids(conn, market_id)
    except Exception as exc:
        if is_unique_violation(exc):
            raise AdminError(f"商户 {merchant_id} 或经营者编码 {operator_id} 已登记",
                             f"merchant {merchant_id} or operator id {operator_id} is already registered") from None
        raise


def add_scale(
    conn: Connection, scale_id: str, market_id: str, scale_no: int, public_key: str, merchant_id: str | None = None
) -> Credentials:
    """Register a scale and create its MQTT login; the password is returned once."""
    check_id("scale id", scale_id)
    _require(conn, "markets", "market_id", market_id, "market")
    if merchant_id:
        merchant = _require(conn, "merchants", "merchant_id", merchant_id, "merchant")
        if merchant["market_id"] != market_id:
            raise AdminError(f"商户 {merchant_id} 在市场 {merchant['market_id']} 经营，不在 {market_id}",
                             f"merchant {merchant_id} trades in market {merchant['market_id']}, not {market_id}")
    if not 1 <= scale_no <= 999:
        raise AdminError(f"秤号应为 1-999（溯源码中的 3 位），收到 {scale_no}",
                         f"scale number must be 1-999 (3 digits of the trace code), got {scale_no}")
    load_public_key(public_key)
    if conn.one("SELECT username FROM mqtt_accounts WHERE username = ?", (scale_id,)):
        raise AdminError(f"MQTT 用户 {scale_id} 已存在，请换一个秤编号",
                         f"MQTT user {scale_id} already exists; choose another scale id")
    password = generate_password()
    try:
        with conn.transaction():
            conn.execute(
                "INSERT INTO scales (scale_id, market_id, merchant_id, scale_no, public_key, created_ms) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (scale_id, market_id, merchant_id or None, scale_no, public_key.strip(), now_ms()),
            )
            conn.execute(
                "INSERT INTO mqtt_accounts (username, role, scale_id, password_hash, created_ms) "
                "VALUES (?, ?, ?, ?, ?)",
                (scale_id, SCALE_ROLE, scale_id, hash_password(password), now_ms()),
            )
    except Exception as exc:
        if is_unique_violation(exc):
            raise AdminError(
                f"秤 {scale_id} 或市场 {market_id} 的秤号 {scale_no} 已登记",
                f"scale {scale_id} or scale number {scale_no} in {market_id} is already registered",
            ) from None
        raise
    return Credentials(scale_id, password)


def set_scale_key(conn: Connection, scale_id: str, public_key: str) -> None:
    """A re-provisioned scale's new device key."""
    load_public_key(public_key)
    _require(conn, "scales", "scale_id", scale_id, "scale")
    with conn.transaction():
        conn.execute("UPDATE scales SET public_key = ? WHERE scale_id = ?", (public_key.strip(), scale_id))


def assign_scale(conn: Connection, scale_id: str, merchant_id: str) -> None:
    scale = _require(conn, "scales", "scale_id", scale_id, "scale")
    merchant = _require(conn, "merchants", "merchant_id", merchant_id, "merchant")
    if merchant["market_id"] != scale["market_id"]:
        raise AdminError(f"商户 {merchant_id} 属于市场 {merchant['market_id']}，秤 {scale_id} 不属于该市场",
                         f"merchant {merchant_id} is in market {merchant['market_id']}, scale {scale_id} is not")
    with conn.transaction():
        conn.execute("UPDATE scales SET merchant_id = ? WHERE scale_id = ?", (merchant_id, scale_id))


def add_central_account(conn: Connection, username: str = "central") -> Credentials:
    """Central's own broker login (readwrite trace/v1/#)."""
    check_id("MQTT user", username)
    password = generate_password()
    _insert(
        conn,
        (f"MQTT 用户 {username}", f"MQTT user {username}"),
        "INSERT INTO mqtt_accounts (username, role, scale_id, password_hash, created_ms) VALUES (?, ?, NULL, ?, ?)",
        (username, CENTRAL_ROLE, hash_password(password), now_ms()),
    )
    return Credentials(username, password)


def reset_password(conn: Connection, username: str) -> Credentials:
    _require(conn, "mqtt_accounts", "username", username, "MQTT user")
    password = generate_password()
    with conn.transaction():
        conn.execute(
            "UPDATE mqtt_accounts SET password_hash = ? WHERE username = ?", (hash_password(password), username)
        )
    return Credentials(username, password)


# --- catalog and batches -------------------------------------------------------------------


def set_catalog(conn: Connection, market_id: str, plus: Iterable[dict[str, Any]], *, replace: bool = True) -> int:
    """Store the market's PLUs (validated as edge.core Plu); ``replace`` drops PLUs not given."""
    _require(conn, "markets", "market_id", market_id, "market")
    try:
        items = [Plu.from_dict(p) for p in plus]
    except (ValueError, TypeError, KeyError) as exc:
        raise AdminError(f"目录条目被拒绝：{exc}；请修改目录文件",
                         f"catalog entry refused: {exc}; fix the catalog file") from None  # fmt: skip
    with conn.transaction():
        if replace:
            conn.execute("DELETE FROM catalog WHERE market_id = ?", (market_id,))
        conn.executemany(
            "INSERT INTO catalog (market_id, plu, name, goods_code, pricing, unit_price_fen, category, hotkey, "
            "name_en, price_min_fen, price_max_fen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (market_id, plu) DO UPDATE SET "
            "name = excluded.name, goods_code = excluded.goods_code, pricing = excluded.pricing, "
            "unit_price_fen = excluded.unit_price_fen, category = excluded.category, hotkey = excluded.hotkey, "
            "name_en = excluded.name_en, price_min_fen = excluded.price_min_fen, "
            "price_max_fen = excluded.price_max_fen",
            [(market_id, p.plu, p.name, p.goods_code, p.pricing.value, p.unit_price_fen, p.category, p.hotkey,
              p.name_en, p.price_min_fen, p.price_max_fen) for p in items],
        )  # fmt: skip
    return len(items)


def catalog(conn: Connection, market_id: str) -> list[Plu]:
    rows = conn.all(
        "SELECT plu, name, goods_code, pricing, unit_price_fen, category, hotkey, name_en, price_min_fen, "
        "price_max_fen FROM catalog WHERE market_id = ? ORDER BY plu",
        (market_id,),
    )
    return [Plu.from_dict(row) for row in rows]


_GOODS_IN_TEXT = ("inspection_cert", "origin_code", "trace_batch_id")  # goods-in extras beside edge's Batch
_GOODS_IN_COUNTS = ("weight_g", "price_fen")


def catalog_entry(plu: Plu) -> dict[str, Any]:
    """A catalog document entry: the PLU, its price bounds only where central set them."""
    entry = plu.to_dict()
    for key in ("price_min_fen", "price_max_fen"):
        if entry[key] is None:
            del entry[key]  # older scales refuse nothing they do not know; null is simply left out
    return entry


def add_batch(conn: Connection, merchant_id: str, batch: dict[str, Any]) -> Batch:
    """Register (or replace) one of a merchant's incoming batches (goods-in, 进货).

    Besides edge's Batch fields a goods-in may give ``weight_g``, ``price_fen`` (per kg),
    ``inspection_cert`` (肉品品质检验合格证号; ``certificate`` is the quarantine one),
    ``origin_code`` (GB/T 2260 code of the origin) and ``trace_batch_id`` (the national
    20/16-digit batch id from the upstream voucher; central gives one out otherwise). The
    goods-in view for the city platform is queued in the same transaction.
    """
    _require(conn, "merchants", "merchant_id", merchant_id, "merchant")
    try:
        item = Batch.from_dict(batch)
        date.fromisoformat(item.arrival_date)
        extras = {key: batch.get(key, "") for key in _GOODS_IN_TEXT}
        extras.update({key: batch.get(key, 0) for key in _GOODS_IN_COUNTS})
        bad = [k for k in _GOODS_IN_TEXT if not isinstance(extras[k], str)]
        bad += [k for k in _GOODS_IN_COUNTS if not isinstance(extras[k], int) or isinstance(extras[k], bool)
                or extras[k] < 0]  # fmt: skip
        if bad:
            raise ValueError(f"{', '.join(bad)}: text for certificates and codes, whole numbers >= 0 for g and fen")
    except (ValueError, TypeError, KeyError) as exc:
        raise AdminError(f"批次被拒绝：{exc}；arrival_date 格式为 YYYY-MM-DD，batch_id 和 plu 必填",
                         f"batch refused: {exc}; arrival_date is YYYY-MM-DD and batch_id/plu are required") from None
    check_id("batch id", item.batch_id)
    owner = conn.scalar("SELECT merchant_id FROM batches WHERE batch_id = ?", (item.batch_id,))
    if owner is not None and owner != merchant_id:
        raise AdminError(f"批次 {item.batch_id} 属于商户 {owner}；批次号全市唯一",
                         f"batch {item.batch_id} belongs to merchant {owner}; batch ids are unique per city")
    try:
        with conn.transaction():
            upsert_batch(conn, merchant_id, item, extras)
    except ValueError as exc:  # a given trace_batch_id of the wrong shape
        raise AdminError(f"批次被拒绝：{exc}", f"batch refused: {exc}") from None
    except Exception as exc:
        if is_unique_violation(exc):
            raise AdminError(f"追溯批次号 {extras['trace_batch_id']} 已属于另一个批次",
                             f"trace batch id {extras['trace_batch_id']} is already another batch's") from None
        raise
    return item


def upsert_batch(
    conn: Connection, merchant_id: str, item: Batch, goods_in: dict[str, Any] | None = None, **scale_side: Any
) -> None:
    """Insert or update one batch row inside the caller's transaction, give it its national
    batch id and queue its goods-in view for the city platform.

    ``goods_in``: the office's extras (see :func:`add_batch`); ``scale_side`` (source,
    scale_id, operator, signature) for goods-in at a scale. A stop-sale is never undone by
    an update.
    """
    extras = {key: "" for key in _GOODS_IN_TEXT} | {"price_fen": 0} | (goods_in or {})
    side = {"source": "office", "scale_id": None, "operator": "", "signature": ""} | scale_side
    weight_g = item.weight_g or int(extras.get("weight_g", 0))
    conn.execute(
        "INSERT INTO batches (batch_id, merchant_id, plu, supplier, supplier_node, upstream_code, origin, "
        "certificate, arrival_date, active, created_ms, weight_g, price_fen, inspection_cert, origin_code, "
        "rapid_test, source, scale_id, operator, signature) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (batch_id) DO UPDATE SET plu = excluded.plu, supplier = excluded.supplier, "
        "supplier_node = excluded.supplier_node, upstream_code = excluded.upstream_code, "
        "origin = excluded.origin, certificate = excluded.certificate, arrival_date = excluded.arrival_date, "
        "active = CASE WHEN batches.stop_reason = '' THEN excluded.active ELSE 0 END, "
        "weight_g = excluded.weight_g, price_fen = excluded.price_fen, inspection_cert = excluded.inspection_cert, "
        "origin_code = excluded.origin_code, rapid_test = excluded.rapid_test",
        (item.batch_id, merchant_id, item.plu, item.supplier, item.supplier_node, item.upstream_code,
         item.origin, item.certificate, item.arrival_date, int(item.active), now_ms(), weight_g,
         extras["price_fen"], extras["inspection_cert"], extras["origin_code"], item.rapid_test,
         side["source"], side["scale_id"], side["operator"], side["signature"]),
    )  # fmt: skip
    assign_trace_batch_id(conn, item.batch_id, extras["trace_batch_id"])
    enqueue_goods_in(conn, item.batch_id)


MAX_STOP_REASON = 200


def stop_sale(conn: Connection, batch_id: str, reason: str) -> tuple[str, str, int]:
    """Stop the sale of a batch (停售: a failed test, a recall): it goes off the scales' active
    batches, and the stop-sale view for the city platform is queued in the same transaction.
    Returns (merchant_id, reason, stopped_ms); publish the merchant's batches next so the
    scales refuse it (:func:`central.stopsale.stop_sale` does both)."""
    reason = " ".join(reason.split())
    if not reason:
        raise AdminError("请填写停售原因（商户和市监管部门可见），例如 农残快检不合格",
                         "give the reason for the stop-sale (shown to the vendor and the city), e.g. 农残快检不合格")
    if len(reason) > MAX_STOP_REASON:
        raise AdminError(f"原因太长（{len(reason)} 个字，最多 {MAX_STOP_REASON}）",
                         f"the reason is too long ({len(reason)} characters, at most {MAX_STOP_REASON})")
    merchant_id = conn.scalar("SELECT merchant_id FROM batches WHERE batch_id = ?", (batch_id,))
    if merchant_id is None:
        raise AdminError(f"中心没有批次 {batch_id!r}；请用 `central batch list` 核对批次号",
                         f"batch {batch_id!r} is not known at central; check the id with `central batch list`")
    stopped = now_ms()
    with conn.transaction():
        conn.execute(
            "UPDATE batches SET active = 0, stop_reason = ?, stopped_ms = ? WHERE batch_id = ?",
            (reason, stopped, batch_id),
        )
        enqueue_stop_sale(conn, batch_id, reason, stopped)
    return merchant_id, reason, stopped


def set_batch_active(conn: Connection, batch_id: str, active: bool) -> None:
    _require(conn, "batches", "batch_id", batch_id, "batch")
    with conn.transaction():
        conn.execute("UPDATE batches SET active = ? WHERE batch_id = ?", (int(active), batch_id))


STOPPED_SHOWN_MS = 30 * 86_400_000  # a stopped batch stays in the scales' document this long


def active_batches(conn: Connection, merchant_id: str) -> list[Batch]:
    """The merchant's batches for the scales' document: the active ones, and those stopped
    in the last 30 days (with the reason, so the scale can say why it refuses them)."""
    rows = conn.all(
        "SELECT batch_id, plu, supplier, supplier_node, upstream_code, origin, certificate, arrival_date, active, "
        "weight_g, rapid_test, stop_reason FROM batches WHERE merchant_id = ? "
        "AND (active = 1 OR (stop_reason <> '' AND stopped_ms >= ?)) ORDER BY batch_id",
        (merchant_id, now_ms() - STOPPED_SHOWN_MS),
    )
    return [Batch.from_dict({**row, "active": bool(row["active"])}) for row in rows]
