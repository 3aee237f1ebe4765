"""A fleet of virtual scales against one Mosquitto and central: the city-scale target.

    python bench/bench_fleet.py [--quick]

1. target: 1,000 scales in 2 markets, heartbeat every 30 s, 4 sales per scale per minute
   (a busy stall at peak), 60 s of selling, central on SQLite with one receiver.
   Target: p99 sale-to-central latency <= 1 s, nothing lost or duplicated.
2. ramp: the same 1,000 scales offered more and more sales/s until p99 passes 1 s or the
   backlog does not drain: where one receiver on SQLite saturates.
3. PostgreSQL with two receiver processes (``--pg-receivers``) at 2,000 and at 4,000 sales/s
   offered, the city target of issue 17 (needs a server at 127.0.0.1:5432 with trust auth; the bench
   makes and drops its own database). ``--pg-only`` runs this row alone.

Each fleet worker draws, builds and signs all its sales before the clock runs (a real scale
signs on its own CPU; here the thousand scales share the two cores with central), so the
fleet's CPU per sale in the table is only its selling, sending and acks.

Every row is a fresh central database. ``run()`` returns the rows; ``main`` prints them.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.fleet.run import FleetOptions, FleetReport, run_fleet

SCALES = 1_000
MARKETS = 2
PEAK_PER_MIN = 4.0
TARGET_P99_MS = 1_000
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
RAMP_SALES_PER_S = (500, 1_000, 2_000, 4_000)
PG_SALES_PER_S = (2_000, 4_000)  # PostgreSQL x2: a rate this 2-core box holds, and issue 17's 4,000/s


def _row(case: str, report: FleetReport) -> dict[str, Any]:
    o = report.options
    p99 = report.central_latency_ms.get("p99", float("inf"))
    ok = p99 <= TARGET_P99_MS and report.lost == 0 and report.duplicates == 0 and report.backlog == 0
    return {
        "case": case,
        "central": f"{'PostgreSQL' if o.db_url.startswith('postgres') else 'SQLite'} x{o.receivers}",
        "scales": o.scales,
        "offered_per_s": round(o.scales * o.rate_per_min / 60, 1),
        "stored_per_s": round(report.sales_per_s, 1),
        "p50_ms": report.central_latency_ms.get("p50"),
        "p99_ms": report.central_latency_ms.get("p99"),
        "ack_p99_ms": report.ack_latency_ms.get("p99"),
        "sold": report.sold,
        "lost": report.lost,
        "duplicated": report.duplicates,
        "backlog": report.backlog,
        "connect_s": report.connect_s,
        "cpu_us_per_sale": ", ".join(f"{k} {v:,.0f}" for k, v in report.cpu_us_per_sale().items()),
        "target": f"p99 <= {TARGET_P99_MS} ms, none lost",
        "result": "pass" if ok else "short",
    }


def _pg_database() -> tuple[str, str] | None:
    try:
        import psycopg

        name = f"fleet_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return name, f"postgresql://postgres@127.0.0.1:5432/{name}"
    except Exception as exc:  # no server: the row says so
        print(f"no PostgreSQL at {PG_ADMIN_URL} ({exc}); skipping the PostgreSQL row", file=sys.stderr)
        return None


def _drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(quick: bool = False, pg_only: bool = False, pg_receivers: int = 2, pg_workers: int = 1) -> list[dict[str, Any]]:
    duration = 20.0 if quick else 60.0
    step = 10.0 if quick else 20.0
    rows = []
    base = FleetOptions(scales=SCALES, markets=MARKETS, rate_per_min=PEAK_PER_MIN, duration_s=duration,
                        drain_s=60.0, procs=2)  # fmt: skip
    if pg_only:  # the city target alone: PostgreSQL at the top of the ramp
        return [_pg_row(base, RAMP_SALES_PER_S[-1], step, pg_receivers, pg_workers)]
    rows.append(_row("peak market (target)", run_fleet(base)))
    for offered in RAMP_SALES_PER_S:
        opts = FleetOptions(**{**base.__dict__, "rate_per_min": offered * 60 / SCALES, "duration_s": step})
        row = _row(f"ramp {offered:,}/s", run_fleet(opts))
        rows.append(row)
        if row["result"] != "pass":
            break  # where one SQLite receiver saturates
    for offered in PG_SALES_PER_S:  # what two receivers on PostgreSQL hold here, then the city target
        row = _pg_row(base, offered, step, pg_receivers, pg_workers)
        rows += [row] if row else []
    return rows


def _pg_row(base: FleetOptions, offered: int, step: float, receivers: int, workers: int) -> dict[str, Any] | None:
    """PostgreSQL with ``receivers`` central processes (one per core) at ``offered`` sales/s."""
    pg = _pg_database()
    if pg is None:
        return None
    name, url = pg
    try:
        opts = FleetOptions(**{**base.__dict__, "rate_per_min": offered * 60 / SCALES, "duration_s": step,
                               "db_url": url, "receivers": receivers, "central_workers": workers})  # fmt: skip
        return _row(f"PostgreSQL at {offered:,}/s", run_fleet(opts))
    finally:
        _drop(name)


QUICK = {"quick": True}  # bench/report.py --quick


def figures(rows: list[dict[str, Any]]) -> list:
    """The report's figures (bench/figures.py): p99 sale -> central per case (nothing lost), stored vs offered."""
    from bench.figures import Figure, at_most, reference

    out = []
    for r in rows:
        name = f"fleet {r['case']}: {r['scales']:,} scales, {r['central']}"
        losses = f"; {r['lost']} lost, {r['duplicated']} duplicated, backlog {r['backlog']}"
        if r["p99_ms"] is None:
            out.append(Figure(f"{name}, p99 sale -> central", f"<= {TARGET_P99_MS:,} ms", "nothing stored" + losses,
                              result="short"))  # fmt: skip
            continue
        latency = at_most(f"{name}, p99 sale -> central{losses}", r["p99_ms"], "ms", TARGET_P99_MS,
                          anchor=(r["p50_ms"], "p50"))  # fmt: skip
        out.append(Figure(**{**latency.to_dict(), "result": r["result"]}))  # the row's verdict counts losses too
        out.append(reference(f"{name}, stored sales/s", r["stored_per_s"], "sales/s",
                             anchor=(r["offered_per_s"], "offered")))  # fmt: skip
    return out


COLUMNS = ("case", "central", "scales", "offered_per_s", "stored_per_s", "p50_ms", "p99_ms", "ack_p99_ms",
           "lost", "duplicated", "backlog", "cpu_us_per_sale", "target", "result")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (20 s target, 10 s ramp steps)")
    parser.add_argument("--pg-only", action="store_true", help="only the PostgreSQL row (4,000 sales/s offered)")
    parser.add_argument("--pg-receivers", type=int, default=2, help="central processes on PostgreSQL (default 2)")
    parser.add_argument("--pg-workers", type=int, default=1, help="worker threads in each (default 1)")
    args = parser.parse_args()
    rows = [r for r in run(args.quick, args.pg_only, args.pg_receivers, args.pg_workers) if r]
    print("| " + " | ".join(COLUMNS) + " |")
    print("| " + " | ".join("---" for _ in COLUMNS) + " |")
    for row in rows:
        print("| " + " | ".join("" if row[c] is None else f"{row[c]:,}" if isinstance(row[c], int) else str(row[c])
                                for c in COLUMNS) + " |")  # fmt: skip


if __name__ == "__main__":
    main()
