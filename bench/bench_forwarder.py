"""The city-platform forwarder: what its outbox costs ingest, and how fast it catches up.

    python bench/bench_forwarder.py [--sales N]

1. Ingest with the outbox: N sales (2 lines each) stored by ``store_sales`` in messages of
   200, as the scales send them, into SQLite — once as shipped (every new sale also queued
   for the city in the same transaction) and once with the queueing switched off (the
   anchor). Target: the outbox costs at most 25 % of that time (signature checks, most of a
   real receiver's work, are left out here, so its share of real ingest is smaller still).
2. Catch-up: the same N sales forwarded to the city platform simulator over loopback
   HTTP, JSON and XML, 100 outbox rows a request. Target: >= 500 sale lines/s, so an
   hour's outage of a 200-scale market (12,000 sales, 24,000 lines) is caught up in well
   under a minute and far faster than a market sells.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import central.ingest as ingest
from central.forwarder.sender import Forwarder
from central.validate import SalesBatch, SalesItem
from simulator.cityplatform.server import CityPlatform
from tests.integration.city_support import HOUR_START_MS, register, scale_sale

MAX_RATIO = 1.25
TARGET_LINES_S = 500
SCALES, PER_MESSAGE = 10, 200


def _store(db, n_sales: int) -> float:  # type: ignore[no-untyped-def]
    per_scale = n_sales // SCALES
    messages = []
    for no in range(1, SCALES + 1):
        for first in range(1, per_scale + 1, PER_MESSAGE):
            seqs = range(first, min(first + PER_MESSAGE, per_scale + 1))
            items = [SalesItem(s, "sale", scale_sale(no, s, HOUR_START_MS + s * 1000 + no).to_dict()) for s in seqs]
            messages.append(SalesBatch(f"330212-{no:03d}", seqs[0], seqs[-1], items))
    with db.connection() as conn:
        start = time.perf_counter()
        for message in messages:
            ingest.store_sales(conn, message)
        return time.perf_counter() - start


def _ingest(base: Path, case: str, rep: int, n_sales: int):  # type: ignore[no-untyped-def]
    folder = base / f"{case.replace(' ', '-')}-{rep}"
    folder.mkdir()
    db = register(f"sqlite:///{folder}/central.db", folder, SCALES)
    saved = ingest.enqueue_sales
    if case == "without outbox":
        ingest.enqueue_sales = lambda *_a, **_k: None
    try:
        return db, folder, _store(db, n_sales)
    finally:
        ingest.enqueue_sales = saved


def _forward(db, folder: Path, fmt: str) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    with db.connection() as conn:
        conn.execute("UPDATE forward_outbox SET state = 'pending'")
    platform = CityPlatform(folder / f"city-{fmt}.db").start()
    forwarder = Forwarder(db, platform.url, fmt=fmt, batch_size=100)
    start = time.perf_counter()
    while forwarder.step():
        pass
    seconds = time.perf_counter() - start
    lines = platform.store.stats()["by_view"].get("retail_market_tran_info_summ", 0)
    platform.stop()
    return seconds, lines


def run(n_sales: int = 20_000, workdir: str | None = None, repeats: int = 3) -> list[dict]:
    """Each ingest case ``repeats`` times, alternating, into fresh databases; the best of each."""
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        base = Path(tmp)
        for rep in range(repeats):
            for case in ("without outbox", "with outbox"):
                db, folder, seconds = _ingest(base, case, rep, n_sales)
                best[case] = min(best.get(case, seconds), seconds)
                if case == "with outbox" and rep == repeats - 1:
                    forwards = {fmt: _forward(db, folder, fmt) for fmt in ("json", "xml")}
                db.close()
    rows = [{"case": f"ingest {case}", "sales": n_sales, "seconds": s, "per_s": n_sales / s, "unit": "sales/s"}
            for case, s in best.items()]  # fmt: skip
    rows[1]["ratio"] = best["with outbox"] / best["without outbox"]
    rows += [{"case": f"forward {fmt}", "sales": n_sales, "seconds": s, "per_s": lines / s, "unit": "lines/s"}
             for fmt, (s, lines) in forwards.items()]  # fmt: skip
    return rows


def figures(rows: list[dict]) -> list:
    """The report's figures (bench/figures.py)."""
    from bench.figures import at_least, within_ratio

    without, with_outbox, *forwards = rows
    out = [within_ratio("ingest with the city outbox", with_outbox["seconds"], "s",
                        anchor=(without["seconds"], "ingest without it"), max_ratio=MAX_RATIO)]  # fmt: skip
    out += [at_least(r["case"] + " catch-up", r["per_s"], "lines/s", TARGET_LINES_S) for r in forwards]
    return out


QUICK = {"n_sales": 4_000}  # bench/report.py --quick


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=20_000)
    parser.add_argument("--dir", default=None, help="directory for the database files (default: system temp)")
    args = parser.parse_args()
    rows = run(args.sales, args.dir)
    print("| case | sales | seconds | rate | target |")
    print("| --- | ---: | ---: | ---: | --- |")
    targets = {"ingest with outbox": f"<= {MAX_RATIO:.2f}x without ({rows[1]['ratio']:.2f}x)"}
    for r in rows:
        target = targets.get(r["case"], f">= {TARGET_LINES_S} lines/s" if r["case"].startswith("forward") else "")
        print(f"| {r['case']} | {r['sales']:,} | {r['seconds']:.2f} | {r['per_s']:,.0f} {r['unit']} | {target} |")


if __name__ == "__main__":
    main()
