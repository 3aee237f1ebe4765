"""Console pages with many sales in PostgreSQL, against the same queries in psql.

    python bench/bench_console.py [--sales N] [--repeat R]

Builds a city in a fresh PostgreSQL database with ``generate_series`` (10 markets, 20
merchants with one scale each per market, 30 batches per merchant, N sales of 2 lines
over 30 days), then times the console's pages over real HTTP (uvicorn, logged in as a
city regulator and as a market office; p50/p99 of R requests each) and, as the anchor,
the page's main query run R times by ``psql`` with ``\\timing`` (server time of the same
SQL with the same values, captured from the code that builds it). The recall query by
batch is the flow page (流向可追) and the search by batch. Target (issue 16): console
pages p99 <= 200 ms at 1,000,000 sales. Prints a markdown table; ``run()`` returns rows.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from central import queries
from central.console import users
from central.db import Database
from central.http import App, HttpServer
from central.schema import migrate
from tests.integration.console_support import ConsoleClient

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_P99_MS = 200.0
MARKETS, MERCHANTS, BATCHES, DAYS = 10, 20, 30, 30
DAY0_MS = 1_714_492_800_000  # 2024-05-01 00:00 Asia/Shanghai
GOODS = [("1001", "白菜", 398), ("1002", "土豆", 460), ("2001", "猪肉", 3280), ("3001", "苹果", 1200),
         ("4001", "鸡蛋", 980)]  # fmt: skip


def _generate(db: Database, n_sales: int) -> None:
    """The city, in SQL: fast enough for a million sales on a small machine."""
    goods = " UNION ALL ".join(f"SELECT {i} AS k, '{p}' AS plu, '{n}' AS name, {f} AS fen"
                               for i, (p, n, f) in enumerate(GOODS))  # fmt: skip
    n_merchants = MARKETS * MERCHANTS
    statements = [
        "INSERT INTO markets SELECT 'm' || m, '6201' || lpad(m::text, 2, '0'), '市场' || m, '兰州', 0 "
        f"FROM generate_series(1, {MARKETS}) m",
        "INSERT INTO merchants SELECT 'mc' || i, 'm' || (1 + i % {M}), 'A-' || i, '商户' || i, '姓名' || i, "
        "'6201' || lpad(i::text, 14, '0'), '139' || lpad(i::text, 8, '0'), 0 "
        f"FROM generate_series(0, {n_merchants - 1}) i".replace("{M}", str(MARKETS)),
        "INSERT INTO scales SELECT 's' || i, 'm' || (1 + i % {M}), 'mc' || i, 1 + i / {M}, 'key', 0 "
        f"FROM generate_series(0, {n_merchants - 1}) i".replace("{M}", str(MARKETS)),
        f"INSERT INTO catalog SELECT 'm' || m, g.plu, g.name, '', 'weight', g.fen, '', NULL, '' FROM "
        f"generate_series(1, {MARKETS}) m, ({goods}) g",
        # batch b of merchant i: PLU b % 5, supplier b % 7, origin b % 11
        f"INSERT INTO batches SELECT 'B-' || i || '-' || b, 'mc' || i, g.plu, '供货商' || (b % 7), "
        f"'6200' || (b % 7), '', '产地' || (b % 11), 'QC' || i || b, '2024-05-' || lpad((1 + b % 28)::text, 2, '0'), "
        f"1, 0 FROM generate_series(0, {n_merchants - 1}) i CROSS JOIN generate_series(0, {BATCHES - 1}) b "
        f"JOIN ({goods}) g ON g.k = b % 5",
        # sale s: merchant s % N, then round r = s / N: day r % 30, a time in the day from s; lines 1 and 2
        # take two of the merchant's batches, each batch sold over 4 rounds
        f"INSERT INTO sales SELECT 'sale-' || s, 's' || (s % {n_merchants}), s, lpad(s::text, 20, '0'), "
        f"'m' || (1 + (s % {n_merchants}) % {MARKETS}), 'mc' || (s % {n_merchants}), 'A-' || (s % {n_merchants}), "
        f"'op', {DAY0_MS} + (s / {n_merchants} % {DAYS}) * 86400000 + 21600000 + (s * 7919) % 50400000, "
        f"'2024-05-' || lpad((1 + s / {n_merchants} % {DAYS})::text, 2, '0'), "
        "2000, 0, 'cash', 'paid', '', 1, 'sw', '', NULL, s, 0 "
        f"FROM generate_series(1::bigint, {n_sales}) s",
        f"INSERT INTO sale_lines SELECT 'sale-' || s, n, g.plu, '', g.name, 'weight', 1000, 0, 1, g.fen, 1000, "
        f"'B-' || (s % {n_merchants}) || '-' || ((s / {n_merchants} / 4 + n * 5) % {BATCHES}), '', "
        # the sale's local date: sale_lines is partitioned by month like sales (central/partitions.py)
        f"'2024-05-' || lpad((1 + s / {n_merchants} % {DAYS})::text, 2, '0') "
        f"FROM generate_series(1::bigint, {n_sales}) s CROSS JOIN generate_series(0, 1) n "
        f"JOIN ({goods}) g ON g.k = ((s / {n_merchants} / 4 + n * 5) % {BATCHES}) % 5",
    ]
    with db.connection() as conn:
        for sql in statements:
            conn.raw.execute(sql)  # no parameters: psycopg then leaves the % operators alone
        conn.raw.execute("VACUUM ANALYZE")  # what autovacuum does to a live database: statistics, visibility map


class _Recorder:
    """A Connection that also writes down the SQL it runs, values filled in (for psql)."""

    def __init__(self, conn: Any) -> None:
        self.conn, self.dialect, self.sent = conn, conn.dialect, []

    def all(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        values = iter(params)
        literal = lambda v: str(v) if isinstance(v, int) else "'" + str(v).replace("'", "''") + "'"  # noqa: E731
        self.sent.append(re.sub(r"\?", lambda _m: literal(next(values)), sql))
        return self.conn.all(sql, params)

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> dict[str, Any] | None:
        rows = self.all(sql, params)
        return rows[0] if rows else None


def _sql_of(db: Database, call: Callable[[Any], Any]) -> str:
    """The page's main query: of those the query function sends, the one over sale lines
    (the batch flow also reads the batch row and the scales' refusal events)."""
    with db.connection() as conn:
        recorder = _Recorder(conn)
        call(recorder)
    return next((sql for sql in reversed(recorder.sent) if "sale_lines" in sql), recorder.sent[-1])


def _psql_ms(url: str, sql: str, repeat: int) -> list[float]:
    script = "\\timing on\n\\o /dev/null\n" + (sql.rstrip(";") + ";\n") * repeat
    done = subprocess.run(["psql", "-X", "-q", url], input=script, capture_output=True, text=True, timeout=600)
    times = [float(t) for t in re.findall(r"Time: ([0-9.]+) ms", done.stdout)]
    if len(times) != repeat:
        raise RuntimeError(f"psql did not time the query: {done.stderr or done.stdout}")
    return times


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _page_ms(client: ConsoleClient, path: str, repeat: int) -> list[float]:
    client.get(path)  # warm: templates compiled, pool filled
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        if answer.status != 200:
            raise RuntimeError(f"{path}: {answer.status} {answer.text[:200]}")
    return times


def _cases(n_merchants: int) -> list[tuple[str, str, str, Callable[[Any], Any] | None]]:
    """(page, who, path, the query the page waits on) — a batch with the average number of lines."""
    batch, day, market = f"B-{n_merchants // 2}-7", "2024-05-15", "m1"
    f = queries.SearchFilter
    return [
        ("batch flow (recall, 流向可追)", "regulator", f"/console/batches/{batch}",
         lambda c: queries.batch_flow(c, batch)),
        ("search by batch", "regulator", f"/console/search?batch={batch}",
         lambda c: queries.search(c, f(batch=batch, limit=queries.MAX_ROWS))),
        ("search product + day, one market", "office", f"/console/search?product=白菜&from={day}&to={day}",
         lambda c: queries.search(c, f(product="白菜", market=market, date_from=day, date_to=day,
                                       limit=queries.MAX_ROWS))),
        ("search merchant + 3 days", "regulator", "/console/search?merchant=mc11&from=2024-05-10&to=2024-05-12",
         lambda c: queries.search(c, f(merchant="mc11", date_from="2024-05-10", date_to="2024-05-12",
                                       limit=queries.MAX_ROWS))),
        ("search supplier + day, one market", "office", f"/console/search?supplier=供货商3&from={day}&to={day}",
         lambda c: queries.search(c, f(supplier="供货商3", market=market, date_from=day, date_to=day,
                                       limit=queries.MAX_ROWS))),
        ("daily report", "office", f"/console/reports?day={day}", lambda c: queries.daily(c, market, day)),
        ("monthly report", "office", "/console/reports/monthly?month=2024-05", None),
        ("fleet", "regulator", "/console/fleet", lambda c: queries.fleet(c, "")),
        ("overview", "office", "/console/", None),
        ("batches list", "office", "/console/batches", None),
        ("merchants", "office", "/console/merchants", None),
    ]  # fmt: skip


def run(sales: int = 1_000_000, repeat: int = 30) -> list[dict[str, Any]]:
    name = f"bench_console_{uuid.uuid4().hex[:8]}"
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    db = Database(url)
    rows: list[dict[str, Any]] = []
    try:
        migrate(db)
        started = time.perf_counter()
        _generate(db, sales)
        generated_s = time.perf_counter() - started
        with db.connection() as conn:
            users.add_user(conn, "city", "bench-password", users.REGULATOR)
            users.add_user(conn, "office", "bench-password", users.OFFICE, "m1")
        server = HttpServer(App(db, "token"), "127.0.0.1", 0)
        server.start()
        try:
            clients = {}
            for who, user in (("regulator", "city"), ("office", "office")):
                clients[who] = ConsoleClient(f"http://127.0.0.1:{server.port}")
                assert clients[who].login(user, "bench-password").status == 200
            for page, who, path, query in _cases(MARKETS * MERCHANTS):
                times = _page_ms(clients[who], path, repeat)
                psql = _psql_ms(url, _sql_of(db, query), repeat) if query else None
                p99 = _p(times, 0.99)
                rows.append({
                    "page": page, "who": who, "sales": sales, "page_p50_ms": round(_p(times, 0.5), 1),
                    "page_p99_ms": round(p99, 1), "psql_p50_ms": round(statistics.median(psql), 1) if psql else None,
                    "psql_p99_ms": round(_p(psql, 0.99), 1) if psql else None, "target_p99_ms": TARGET_P99_MS,
                    "pass": p99 <= TARGET_P99_MS, "generate_s": round(generated_s, 1),
                })  # fmt: skip
        finally:
            server.stop()
    finally:
        db.close()
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return rows


QUICK = {"sales": 100_000, "repeat": 20}  # bench/report.py --quick


def figures(rows: list[dict]) -> list:  # type: ignore[type-arg]
    """The report's figures (bench/figures.py): page p99 per console page (anchor: psql, same query)."""
    from bench.figures import at_most

    return [
        at_most(f"console {r['page']}, {r['sales']:,} sales, p99", r["page_p99_ms"], "ms", TARGET_P99_MS,
                anchor=(r["psql_p99_ms"], "the page's query in psql, p99") if r["psql_p99_ms"] is not None else None)
        for r in rows
    ]  # fmt: skip


def markdown(rows: list[dict]) -> str:  # type: ignore[type-arg]
    keys = ("page", "who", "sales", "page_p50_ms", "page_p99_ms", "psql_p50_ms", "psql_p99_ms", "target_p99_ms",
            "pass")  # fmt: skip
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for r in rows:
        lines.append("| " + " | ".join("—" if r[k] is None else str(r[k]) for k in keys) + " |")
    if rows:
        lines.append(f"\nGenerated {rows[0]['sales']:,} sales ({2 * rows[0]['sales']:,} lines) in "
                     f"{rows[0]['generate_s']} s.")  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    rows = run(args.sales, args.repeat)
    print(markdown(rows))
    return 0 if all(r["pass"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
