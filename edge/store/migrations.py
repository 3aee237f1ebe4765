"""The scale database schema as an ordered list of migration steps.

Rules: steps are append-only. A released step is never edited (a scale in the field may
already have run it); change the schema by adding the next step. Each step runs in one
transaction together with its row in ``schema_version``, so a crash mid-migration leaves
the file at the previous version. SQL stays within SQLite 3.24 (no RETURNING, no STRICT)
because scales run whatever SQLite their distribution ships.
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.core.eventlog import GENESIS_HASH


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


# Bookkeeping table of the migration runner itself, created before step 1.
SCHEMA_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_ms INTEGER NOT NULL
)"""

_V1_SALES = (
    # Counters live apart from the sales so that numbers are never reused, even if old
    # synced sales are pruned one day.
    """CREATE TABLE counters (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL CHECK (value >= 0)
    )""",
    "INSERT INTO counters (name, value) VALUES ('sale_seq', 0)",
    """CREATE TABLE daily_counters (
        local_date TEXT PRIMARY KEY,
        value INTEGER NOT NULL CHECK (value >= 0)
    )""",
    """CREATE TABLE sales (
        sale_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE CHECK (seq > 0),
        local_date TEXT NOT NULL,
        daily_seq INTEGER NOT NULL CHECK (daily_seq > 0),
        trace_code TEXT NOT NULL UNIQUE,
        market_id TEXT NOT NULL,
        scale_id TEXT NOT NULL,
        merchant_id TEXT NOT NULL,
        stall TEXT NOT NULL,
        operator TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        total_fen INTEGER NOT NULL CHECK ((refund_of IS NULL) = (total_fen >= 0) OR total_fen = 0),
        rounding_fen INTEGER NOT NULL CHECK (rounding_fen >= 0),
        pay_method TEXT NOT NULL,
        pay_status TEXT NOT NULL,
        pay_ref TEXT NOT NULL,
        printed INTEGER NOT NULL DEFAULT 0 CHECK (printed IN (0, 1)),
        software_id TEXT NOT NULL,
        signature TEXT NOT NULL,
        refund_of TEXT REFERENCES sales (sale_id),
        UNIQUE (local_date, daily_seq)
    )""",
    "CREATE INDEX sales_refund_of ON sales (refund_of) WHERE refund_of IS NOT NULL",
    # A sale is a legal record: only its payment and printed flag may change afterwards.
    """CREATE TRIGGER sales_fixed BEFORE UPDATE OF
        sale_id, seq, local_date, daily_seq, trace_code, market_id, scale_id, merchant_id, stall,
        operator, created_ms, total_fen, rounding_fen, software_id, signature, refund_of
    ON sales BEGIN
        SELECT RAISE(ABORT, 'a recorded sale cannot be changed (only payment and printed)');
    END""",
    """CREATE TABLE sale_lines (
        sale_id TEXT NOT NULL REFERENCES sales (sale_id) ON DELETE CASCADE,
        line_no INTEGER NOT NULL,
        plu TEXT NOT NULL,
        goods_code TEXT NOT NULL,
        name TEXT NOT NULL,
        pricing TEXT NOT NULL CHECK (pricing IN ('weight', 'piece')),
        net_g INTEGER NOT NULL CHECK (net_g >= 0),
        tare_g INTEGER NOT NULL CHECK (tare_g >= 0),
        quantity INTEGER NOT NULL CHECK (quantity >= 0),
        unit_price_fen INTEGER NOT NULL CHECK (unit_price_fen >= 0),
        amount_fen INTEGER NOT NULL,  -- negative on refund records
        batch_id TEXT NOT NULL,
        origin TEXT NOT NULL,
        PRIMARY KEY (sale_id, line_no)
    )""",
    "CREATE INDEX sale_lines_plu ON sale_lines (plu)",
    """CREATE TRIGGER sale_lines_fixed BEFORE UPDATE ON sale_lines BEGIN
        SELECT RAISE(ABORT, 'a recorded sale line cannot be changed');
    END""",
    # AUTOINCREMENT: an outbox seq is never handed out twice, even after every row has
    # been acked and deleted; a reused seq could be swallowed by an old ack watermark.
    """CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('sale', 'sale_update')),
        sale_id TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        payload TEXT NOT NULL
    )""",
    """CREATE TABLE print_jobs (
        job_id INTEGER PRIMARY KEY AUTOINCREMENT,
        sale_id TEXT NOT NULL REFERENCES sales (sale_id),
        kind TEXT NOT NULL CHECK (kind IN ('ticket', 'reprint')),
        created_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        last_attempt_ms INTEGER,
        done_ms INTEGER
    )""",
    "CREATE INDEX print_jobs_pending ON print_jobs (job_id) WHERE done_ms IS NULL",
    "CREATE INDEX print_jobs_sale ON print_jobs (sale_id)",
    """CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
)

_V2_CATALOG = (
    """CREATE TABLE catalog (
        plu TEXT PRIMARY KEY,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        goods_code TEXT NOT NULL,
        pricing TEXT NOT NULL CHECK (pricing IN ('weight', 'piece')),
        unit_price_fen INTEGER NOT NULL CHECK (unit_price_fen >= 0),
        category TEXT NOT NULL,
        hotkey INTEGER,
        name_en TEXT NOT NULL
    )""",
    # Batches are never deleted: a reprint or an investigation may need an old one.
    """CREATE TABLE batches (
        batch_id TEXT PRIMARY KEY,
        plu TEXT NOT NULL,
        supplier TEXT NOT NULL,
        supplier_node TEXT NOT NULL,
        upstream_code TEXT NOT NULL,
        origin TEXT NOT NULL,
        certificate TEXT NOT NULL,
        arrival_date TEXT NOT NULL,
        active INTEGER NOT NULL CHECK (active IN (0, 1)),
        source TEXT NOT NULL CHECK (source IN ('central', 'local'))
    )""",
    "CREATE INDEX batches_active ON batches (plu) WHERE active = 1",
    """CREATE TABLE data_versions (
        name TEXT PRIMARY KEY,
        version INTEGER NOT NULL
    )""",
)

_V3_EVENTS = (
    # ids are assigned by the chain (1, 2, 3, ...), not by SQLite.
    """CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )""",
    # Even hand-written SQL from the app cannot edit the log; a change made with the
    # triggers dropped is caught by verification instead.
    """CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN
        SELECT RAISE(ABORT, 'the event log is append-only: entries cannot be changed');
    END""",
    """CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN
        SELECT RAISE(ABORT, 'the event log is append-only: entries cannot be deleted');
    END""",
    f"""CREATE TRIGGER events_extend_chain BEFORE INSERT ON events
    WHEN NEW.id IS NOT (SELECT COALESCE(MAX(id), 0) + 1 FROM events)
      OR NEW.prev_hash IS NOT COALESCE((SELECT hash FROM events ORDER BY id DESC LIMIT 1), '{GENESIS_HASH}')
    BEGIN
        SELECT RAISE(ABORT, 'the event log is append-only: a new entry must extend the chain');
    END""",
)

_V4_VENDOR_DAY = (
    # Goods-in at the scale, stop-sale, the vendor's prices, real-name shifts (issue 14).
    "ALTER TABLE catalog ADD COLUMN price_min_fen INTEGER",
    "ALTER TABLE catalog ADD COLUMN price_max_fen INTEGER",
    "ALTER TABLE batches ADD COLUMN weight_g INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE batches ADD COLUMN rapid_test TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE batches ADD COLUMN stop_reason TEXT NOT NULL DEFAULT ''",
    # A batch registered here, signed, until central acks it (the goodsin/1 up path).
    """CREATE TABLE goodsin (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        batch_id TEXT NOT NULL UNIQUE REFERENCES batches (batch_id),
        created_ms INTEGER NOT NULL,
        payload TEXT NOT NULL,
        acked_ms INTEGER
    )""",
    "CREATE INDEX goodsin_unacked ON goodsin (seq) WHERE acked_ms IS NULL",
    """CREATE TABLE vendor_prices (
        plu TEXT PRIMARY KEY,
        unit_price_fen INTEGER NOT NULL CHECK (unit_price_fen > 0),
        changed_ms INTEGER NOT NULL,
        operator TEXT NOT NULL
    )""",
    """CREATE TABLE shifts (
        shift_id INTEGER PRIMARY KEY AUTOINCREMENT,
        operator TEXT NOT NULL,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        started_ms INTEGER NOT NULL,
        ended_ms INTEGER
    )""",
    "CREATE INDEX shifts_open ON shifts (shift_id) WHERE ended_ms IS NULL",
)

_V5_SIGNED_STATE = (
    # The payment/printed state of a sale is signed with the device key, numbered so central
    # can refuse an older one (docs/sync.md, "Signed sale state"). Not in the sales_fixed
    # trigger's list: these change with every update, like payment and printed.
    "ALTER TABLE sales ADD COLUMN state_no INTEGER NOT NULL DEFAULT 0 CHECK (state_no >= 0)",
    "ALTER TABLE sales ADD COLUMN state_signature TEXT NOT NULL DEFAULT ''",
)

_V6_PRINT_CLAIMS = (
    # A print job is printed by the one process that claimed it (edge.store.printjobs.claim);
    # the claim is a lease, so the job of a claimer that died is taken again after it.
    "ALTER TABLE print_jobs ADD COLUMN claimed_by TEXT",
    "ALTER TABLE print_jobs ADD COLUMN claim_until_ms INTEGER",
)

_V7_PROTECTION_INDEX = (
    # The lock state (edge.core.protection) is folded from the few entries of the
    # protection kinds on every sale: an index keeps that from reading the whole log.
    "CREATE INDEX events_kind ON events (kind, id)",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "sales, outbox, print queue, settings", _V1_SALES),
    Migration(2, "catalog and batches", _V2_CATALOG),
    Migration(3, "hash-chained event log", _V3_EVENTS),
    Migration(4, "goods-in, stop-sale, vendor prices, shifts", _V4_VENDOR_DAY),
    Migration(5, "signed sale state", _V5_SIGNED_STATE),
    Migration(6, "print job claims", _V6_PRINT_CLAIMS),
    Migration(7, "event log index by kind (lock state of legal parameters)", _V7_PROTECTION_INDEX),
)

LATEST_VERSION = MIGRATIONS[-1].version

if [m.version for m in MIGRATIONS] != list(range(1, len(MIGRATIONS) + 1)):  # pragma: no cover
    raise RuntimeError("migration versions must be 1, 2, 3, ... without gaps")
