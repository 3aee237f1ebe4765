"""Central's schema, as versioned migrations in portable SQL.

Each migration is a list of statements; ``{id}`` becomes the dialect's auto-increment
primary key. Integers only for money (fen), weight (g) and time (epoch ms); flags are
0/1 integers so the same SQL runs on SQLite and PostgreSQL. Applied versions are kept in
``schema_version``; PostgreSQL takes an advisory lock so receivers starting together do
not race each other through the migrations.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from central.db import POSTGRES, Connection, Database
from central.partitions import partition_sales

_ID = {"sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT", "postgresql": "BIGSERIAL PRIMARY KEY"}
_MIGRATION_LOCK = 0x7472_6163  # "trac": any fixed number shared by every central process

# a step is SQL for both dialects, or a function of the connection for what differs
MIGRATIONS: list[list[str | Callable[[Connection], None]]] = [
    # 1: registration, sales, sync state, status, events, rejects, publishing
    [
        """CREATE TABLE markets (
            market_id TEXT PRIMARY KEY,
            node_code TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            city TEXT NOT NULL DEFAULT '',
            created_ms BIGINT NOT NULL)""",
        # real_name, id_number and phone are private (实名登记): never on public pages or the API
        """CREATE TABLE merchants (
            merchant_id TEXT PRIMARY KEY,
            market_id TEXT NOT NULL REFERENCES markets(market_id),
            stall TEXT NOT NULL,
            display_name TEXT NOT NULL,
            real_name TEXT NOT NULL,
            id_number TEXT NOT NULL,
            phone TEXT NOT NULL,
            created_ms BIGINT NOT NULL)""",
        """CREATE TABLE scales (
            scale_id TEXT PRIMARY KEY,
            market_id TEXT NOT NULL REFERENCES markets(market_id),
            merchant_id TEXT REFERENCES merchants(merchant_id),
            scale_no INTEGER NOT NULL,
            public_key TEXT NOT NULL,
            created_ms BIGINT NOT NULL,
            UNIQUE (market_id, scale_no))""",
        # MQTT logins: one per scale plus central's own; only the Mosquitto $7$ hash is kept
        """CREATE TABLE mqtt_accounts (
            username TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            scale_id TEXT REFERENCES scales(scale_id),
            password_hash TEXT NOT NULL,
            created_ms BIGINT NOT NULL)""",
        """CREATE TABLE scale_sync (
            scale_id TEXT PRIMARY KEY REFERENCES scales(scale_id),
            acked_through BIGINT NOT NULL DEFAULT 0,
            last_message_ms BIGINT)""",
        # accepted oseq runs above the watermark (a gap waits for the resend)
        """CREATE TABLE oseq_runs (
            scale_id TEXT NOT NULL,
            first_oseq BIGINT NOT NULL,
            last_oseq BIGINT NOT NULL,
            PRIMARY KEY (scale_id, first_oseq, last_oseq))""",
        """CREATE TABLE sales (
            sale_id TEXT PRIMARY KEY,
            scale_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            trace_code TEXT NOT NULL,
            market_id TEXT NOT NULL,
            merchant_id TEXT NOT NULL,
            stall TEXT NOT NULL,
            operator TEXT NOT NULL,
            created_ms BIGINT NOT NULL,
            local_date TEXT NOT NULL,
            total_fen BIGINT NOT NULL,
            rounding_fen BIGINT NOT NULL,
            payment_method TEXT NOT NULL,
            payment_status TEXT NOT NULL,
            provider_ref TEXT NOT NULL,
            printed INTEGER NOT NULL,
            software_id TEXT NOT NULL,
            signature TEXT NOT NULL,
            refund_of TEXT,
            oseq BIGINT NOT NULL,
            received_ms BIGINT NOT NULL,
            UNIQUE (scale_id, seq))""",
        "CREATE INDEX sales_trace_code ON sales (trace_code)",
        "CREATE INDEX sales_market_date ON sales (market_id, local_date)",
        """CREATE TABLE sale_lines (
            sale_id TEXT NOT NULL REFERENCES sales(sale_id),
            line_no INTEGER NOT NULL,
            plu TEXT NOT NULL,
            goods_code TEXT NOT NULL,
            name TEXT NOT NULL,
            pricing TEXT NOT NULL,
            net_g BIGINT NOT NULL,
            tare_g BIGINT NOT NULL,
            quantity BIGINT NOT NULL,
            unit_price_fen BIGINT NOT NULL,
            amount_fen BIGINT NOT NULL,
            batch_id TEXT NOT NULL,
            origin TEXT NOT NULL,
            PRIMARY KEY (sale_id, line_no))""",
        "CREATE INDEX sale_lines_batch ON sale_lines (batch_id)",
        """CREATE TABLE catalog (
            market_id TEXT NOT NULL REFERENCES markets(market_id),
            plu TEXT NOT NULL,
            name TEXT NOT NULL,
            goods_code TEXT NOT NULL,
            pricing TEXT NOT NULL,
            unit_price_fen BIGINT NOT NULL,
            category TEXT NOT NULL,
            hotkey INTEGER,
            name_en TEXT NOT NULL,
            PRIMARY KEY (market_id, plu))""",
        """CREATE TABLE batches (
            batch_id TEXT PRIMARY KEY,
            merchant_id TEXT NOT NULL REFERENCES merchants(merchant_id),
            plu TEXT NOT NULL,
            supplier TEXT NOT NULL,
            supplier_node TEXT NOT NULL,
            upstream_code TEXT NOT NULL,
            origin TEXT NOT NULL,
            certificate TEXT NOT NULL,
            arrival_date TEXT NOT NULL,
            active INTEGER NOT NULL,
            created_ms BIGINT NOT NULL)""",
        # the last signed document per topic; versions only go up
        """CREATE TABLE published (
            topic TEXT PRIMARY KEY,
            version BIGINT NOT NULL,
            issued_ms BIGINT NOT NULL,
            document TEXT NOT NULL)""",
        """CREATE TABLE scale_status (
            scale_id TEXT PRIMARY KEY,
            online INTEGER NOT NULL,
            software_id TEXT,
            backlog BIGINT,
            oldest_unacked_ms BIGINT,
            printer TEXT,
            last_sale_ms BIGINT,
            last_event_id BIGINT,
            last_event_hash TEXT,
            sent_ms BIGINT,
            received_ms BIGINT NOT NULL)""",
        """CREATE TABLE events (
            scale_id TEXT NOT NULL,
            event_id BIGINT NOT NULL,
            kind TEXT NOT NULL,
            data TEXT NOT NULL,
            created_ms BIGINT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            received_ms BIGINT NOT NULL,
            PRIMARY KEY (scale_id, event_id))""",
        # a scale whose uploaded log did not verify: the first entry that cannot be trusted
        """CREATE TABLE event_chain_breaks (
            scale_id TEXT PRIMARY KEY,
            bad_event_id BIGINT NOT NULL,
            detail TEXT NOT NULL,
            received_ms BIGINT NOT NULL)""",
        # one row per distinct rejected message; a resend of the same bytes counts up
        """CREATE TABLE rejects (
            id {id},
            digest TEXT NOT NULL UNIQUE,
            topic TEXT NOT NULL,
            scale_id TEXT,
            reason TEXT NOT NULL,
            detail TEXT NOT NULL,
            payload TEXT NOT NULL,
            count BIGINT NOT NULL,
            first_ms BIGINT NOT NULL,
            last_ms BIGINT NOT NULL)""",
        "CREATE INDEX rejects_scale ON rejects (scale_id, last_ms)",
    ],
    # 2: payments (docs/payment.md): provider accounts, orders, notifications
    [
        # a merchant's credentials at one provider; secrets stay at central, never on a scale
        """CREATE TABLE payment_accounts (
            merchant_id TEXT NOT NULL REFERENCES merchants(merchant_id),
            provider TEXT NOT NULL,
            config_json TEXT NOT NULL,
            updated_ms BIGINT NOT NULL,
            PRIMARY KEY (merchant_id, provider))""",
        """CREATE TABLE payment_orders (
            order_id TEXT PRIMARY KEY,
            sale_id TEXT NOT NULL,
            scale_id TEXT NOT NULL,
            market_id TEXT NOT NULL,
            merchant_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            kind TEXT NOT NULL,
            amount_fen BIGINT NOT NULL,
            status TEXT NOT NULL,
            qr_content TEXT NOT NULL DEFAULT '',
            provider_ref TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '',
            created_ms BIGINT NOT NULL,
            expires_ms BIGINT NOT NULL,
            paid_ms BIGINT,
            paid_amount_fen BIGINT,
            notify_count BIGINT NOT NULL DEFAULT 0,
            checked_ms BIGINT NOT NULL DEFAULT 0,
            updated_ms BIGINT NOT NULL)""",
        "CREATE INDEX payment_orders_sale ON payment_orders (sale_id)",
        "CREATE INDEX payment_orders_open ON payment_orders (status, expires_ms)",
        "CREATE INDEX payment_orders_created ON payment_orders (market_id, created_ms)",
        """CREATE TABLE payment_notifications (
            id {id},
            provider TEXT NOT NULL,
            order_id TEXT NOT NULL,
            received_ms BIGINT NOT NULL,
            verified INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            body_sha256 TEXT NOT NULL,
            notification_id TEXT NOT NULL DEFAULT '')""",
        "CREATE INDEX payment_notifications_order ON payment_notifications (order_id)",
        # a provider's notification id seen before is a duplicate or replay: it changes nothing
        "CREATE INDEX payment_notifications_id ON payment_notifications (provider, notification_id)",
    ],
    # 3: firmware releases and rollouts (OTA, central/firmware.py)
    [
        # the wheel lives in central's firmware folder (path); manifest is the signed document
        """CREATE TABLE firmware_releases (
            version TEXT PRIMARY KEY,
            wheel TEXT NOT NULL,
            size BIGINT NOT NULL,
            sha256 TEXT NOT NULL,
            path TEXT NOT NULL,
            notes TEXT NOT NULL,
            min_version TEXT,
            manifest TEXT NOT NULL,
            created_ms BIGINT NOT NULL)""",
        """CREATE TABLE firmware_rollouts (
            id {id},
            version TEXT NOT NULL REFERENCES firmware_releases(version),
            target_kind TEXT NOT NULL,
            target TEXT NOT NULL,
            scales BIGINT NOT NULL,
            created_ms BIGINT NOT NULL)""",
        # per scale and release: offered -> installed | failed (from heartbeats and events)
        """CREATE TABLE firmware_status (
            scale_id TEXT NOT NULL REFERENCES scales(scale_id),
            version TEXT NOT NULL REFERENCES firmware_releases(version),
            state TEXT NOT NULL,
            detail TEXT NOT NULL,
            updated_ms BIGINT NOT NULL,
            PRIMARY KEY (scale_id, version))""",
    ],
    # 4: national codes (docs/coding.md) and the city-platform forwarder's outbox (docs/city-platform.md)
    [
        # node_code stays the 6-digit trace prefix (the start of every trace code, unique);
        # node_id is the national node id (9 digits; a legacy market keeps its 6)
        "ALTER TABLE markets ADD COLUMN node_id TEXT NOT NULL DEFAULT ''",
        "UPDATE markets SET node_id = node_code",
        "CREATE UNIQUE INDEX markets_node_id ON markets (node_id) WHERE node_id <> ''",
        # the national operator id (经营者编码): node id + 4 digits, given out by central
        "ALTER TABLE merchants ADD COLUMN operator_id TEXT NOT NULL DEFAULT ''",
        "CREATE UNIQUE INDEX merchants_operator_id ON merchants (operator_id) WHERE operator_id <> ''",
        # goods-in details the city views carry; trace_batch_id is the 20/16-digit national batch id
        "ALTER TABLE batches ADD COLUMN trace_batch_id TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE batches ADD COLUMN weight_g BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE batches ADD COLUMN price_fen BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE batches ADD COLUMN inspection_cert TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE batches ADD COLUMN origin_code TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE batches ADD COLUMN stop_reason TEXT NOT NULL DEFAULT ''",
        "CREATE UNIQUE INDEX batches_trace_batch_id ON batches (trace_batch_id) WHERE trace_batch_id <> ''",
        "CREATE TABLE code_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
        # filled in the transaction that stores the sale / batch / stop-sale; record_key is what
        # the upstream platform dedups on; state: pending -> sent | rejected (the platform refused it)
        """CREATE TABLE forward_outbox (
            id {id},
            kind TEXT NOT NULL,
            record_key TEXT NOT NULL UNIQUE,
            ref TEXT NOT NULL,
            body TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT 'pending',
            attempts BIGINT NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            created_ms BIGINT NOT NULL,
            sent_ms BIGINT)""",
        "CREATE INDEX forward_outbox_state ON forward_outbox (state, id)",
    ],
    # 5: a vendor's day (issue 14): vendor prices within bounds, goods-in at the scale, stop-sale
    [
        # bounds for the vendor's own price; NULL: the edge default (guide price +-50 %)
        "ALTER TABLE catalog ADD COLUMN price_min_fen BIGINT",
        "ALTER TABLE catalog ADD COLUMN price_max_fen BIGINT",
        # (weight_g and stop_reason came with migration 4)
        "ALTER TABLE batches ADD COLUMN rapid_test TEXT NOT NULL DEFAULT ''",
        # stop-sale (停售): why, when; a stopped batch stays in the scales' batches document
        "ALTER TABLE batches ADD COLUMN stopped_ms BIGINT",
        # 'office' (registered at central) or 'scale' (goods-in at a scale: which, who, its signature)
        "ALTER TABLE batches ADD COLUMN source TEXT NOT NULL DEFAULT 'office'",
        "ALTER TABLE batches ADD COLUMN scale_id TEXT",
        "ALTER TABLE batches ADD COLUMN operator TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE batches ADD COLUMN signature TEXT NOT NULL DEFAULT ''",
        # the vendor's current price per scale and PLU, from signed price.changed events
        """CREATE TABLE vendor_prices (
            scale_id TEXT NOT NULL,
            plu TEXT NOT NULL,
            market_id TEXT NOT NULL,
            merchant_id TEXT NOT NULL,
            name TEXT NOT NULL,
            unit_price_fen BIGINT NOT NULL,
            guide_fen BIGINT NOT NULL,
            vendor_price INTEGER NOT NULL,
            operator TEXT NOT NULL,
            changed_ms BIGINT NOT NULL,
            event_id BIGINT NOT NULL,
            PRIMARY KEY (scale_id, plu))""",
    ],
    # 6: signed sale state (docs/sync.md, "Signed sale state")
    [
        # the state_no of the payment/printed state stored (0: as committed, or unsigned)
        "ALTER TABLE sales ADD COLUMN state_no BIGINT NOT NULL DEFAULT 0",
        # the lowest oseq that carried a signed state: from there on unsigned states are refused
        "ALTER TABLE scale_sync ADD COLUMN signed_from_oseq BIGINT",
    ],
    # 7: protection of legal parameters (docs/protection.md): lock state and event counter per scale
    [
        "ALTER TABLE scale_status ADD COLUMN lock_state TEXT",
        "ALTER TABLE scale_status ADD COLUMN legal_changes BIGINT",
    ],
    # 8: the market office console (central/console): users, sessions, audit
    [
        # role office: one market (market_id); role regulator: every market, read-only plus stop-sale
        """CREATE TABLE console_users (
            username TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            market_id TEXT REFERENCES markets(market_id),
            password_hash TEXT NOT NULL,
            display_name TEXT NOT NULL DEFAULT '',
            disabled INTEGER NOT NULL DEFAULT 0,
            created_ms BIGINT NOT NULL)""",
        # the cookie holds a random token; only its SHA-256 is kept, so a leaked table opens no session
        """CREATE TABLE console_sessions (
            token_sha256 TEXT PRIMARY KEY,
            username TEXT NOT NULL REFERENCES console_users(username),
            csrf TEXT NOT NULL,
            created_ms BIGINT NOT NULL,
            expires_ms BIGINT NOT NULL)""",
        "CREATE INDEX console_sessions_user ON console_sessions (username)",
        # who did what in the console (stop-sale, registration, price changes, pushes)
        """CREATE TABLE console_audit (
            id {id},
            username TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            detail TEXT NOT NULL,
            created_ms BIGINT NOT NULL)""",
        "CREATE INDEX console_audit_target ON console_audit (target, created_ms)",
        # the console's pages: a merchant's and a market's sales in time order, a merchant's batches
        "CREATE INDEX sales_merchant_created ON sales (merchant_id, created_ms)",
        "CREATE INDEX sales_market_created ON sales (market_id, created_ms)",
        "CREATE INDEX batches_merchant ON batches (merchant_id, arrival_date)",
        # the monthly report reads only these columns: an index-only scan (bench/bench_console.py)
        "CREATE INDEX sales_market_day_totals ON sales (market_id, local_date, total_fen, refund_of)",
    ],
    # 9: the market office's public contact, on the trace page's footer
    ["ALTER TABLE markets ADD COLUMN office_phone TEXT NOT NULL DEFAULT ''"],
    # 10: PostgreSQL: sales and sale_lines partitioned by local month, existing rows moved
    # (central/partitions.py); SQLite keeps its tables
    [partition_sales],
    # append later migrations after this line
]


def migrate(db: Database) -> int:
    """Apply the migrations not yet applied; return the schema version."""
    with db.connection() as conn, conn.transaction():
        if conn.dialect == POSTGRES:
            conn.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)"
        )
        current = conn.scalar("SELECT MAX(version) FROM schema_version") or 0
        if current > len(MIGRATIONS):
            raise RuntimeError(
                f"the database is at schema version {current}, newer than this central ({len(MIGRATIONS)}); "
                "upgrade central before running it against this database"
            )
        for version in range(current + 1, len(MIGRATIONS) + 1):
            _apply(conn, version)
        return len(MIGRATIONS)


def _apply(conn: Connection, version: int) -> None:
    for statement in MIGRATIONS[version - 1]:
        if callable(statement):
            statement(conn)
        else:
            conn.execute(statement.replace("{id}", _ID[conn.dialect]))
    conn.execute("INSERT INTO schema_version (version, applied_ms) VALUES (?, ?)", (version, int(time.time() * 1000)))
