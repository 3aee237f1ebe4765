"""Numbers central gives out under the national rules (docs/coding.md): operator ids for
merchants and national batch ids, from counters kept in the database so two offices
registering at once never get the same number."""

from __future__ import annotations

from central.coding import CodingRules, check_batch_id, is_meat, national_batch_id
from central.db import POSTGRES, Connection


def next_counter(conn: Connection, name: str) -> int:
    """The next value of a named counter, in the caller's transaction (row-locked on PostgreSQL)."""
    conn.execute("INSERT INTO code_counters (name, value) VALUES (?, 0) ON CONFLICT DO NOTHING", (name,))
    lock = " FOR UPDATE" if conn.dialect == POSTGRES else ""
    value = int(conn.scalar(f"SELECT value FROM code_counters WHERE name = ?{lock}", (name,))) + 1
    conn.execute("UPDATE code_counters SET value = ? WHERE name = ?", (value, name))
    return value


def assign_trace_batch_id(conn: Connection, batch_id: str, given: str = "") -> str:
    """The batch's national id: ``given`` (checked: from the upstream voucher) or, if it has
    none yet, a new one of the meat (20) or vegetable (16) length by its catalog item."""
    row = conn.one(
        "SELECT b.trace_batch_id, b.plu, COALESCE(c.category, '') AS category, COALESCE(c.name, '') AS name "
        "FROM batches b JOIN merchants m ON m.merchant_id = b.merchant_id "
        "LEFT JOIN catalog c ON c.market_id = m.market_id AND c.plu = b.plu WHERE b.batch_id = ?",
        (batch_id,),
    )
    if row is None:
        return ""
    if given:
        national = check_batch_id(given)
    elif row["trace_batch_id"]:
        return row["trace_batch_id"]
    else:
        meat = is_meat(row["category"], row["name"])
        national = national_batch_id(next_counter(conn, "meat_batch" if meat else "vegetable_batch"), meat=meat)
    conn.execute("UPDATE batches SET trace_batch_id = ? WHERE batch_id = ?", (national, batch_id))
    return national


def ensure_operator_ids(conn: Connection, market_id: str, rules: CodingRules | None = None) -> int:
    """Number the market's merchants that have no operator id yet (in the caller's transaction)."""
    rules = rules or CodingRules.from_env()
    lock = " FOR UPDATE" if conn.dialect == POSTGRES else ""  # two offices numbering at once take turns
    node = conn.scalar(f"SELECT node_id FROM markets WHERE market_id = ?{lock}", (market_id,)) or ""
    if not node:
        return 0
    taken = {row["operator_id"] for row in conn.all(
        "SELECT operator_id FROM merchants WHERE market_id = ? AND operator_id <> ''", (market_id,))}  # fmt: skip
    todo = conn.all(
        "SELECT merchant_id FROM merchants WHERE market_id = ? AND operator_id = '' ORDER BY created_ms, merchant_id",
        (market_id,),
    )
    sequence = 0
    for row in todo:
        sequence += 1
        while rules.operator_id(node, sequence) in taken:
            sequence += 1
        conn.execute(
            "UPDATE merchants SET operator_id = ? WHERE merchant_id = ?", (rules.operator_id(node, sequence),
                                                                          row["merchant_id"])
        )  # fmt: skip
    return len(todo)
