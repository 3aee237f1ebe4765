"""bench/figures.py and bench/report.py: verdicts, ratios, formatting, each bench's row -> figure mapping.

No timing here: rows are written by hand in the shape each bench's ``run()`` returns.
"""

from __future__ import annotations

import importlib
import json
import textwrap
from pathlib import Path

import pytest

from bench import report
from bench.figures import (
    ERROR,
    PASS,
    SHORT,
    Figure,
    at_least,
    at_least_anchor,
    at_most,
    fmt,
    markdown,
    reference,
    summary,
    verdict,
    within_ratio,
)  # fmt: skip


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (250_000, "frames/s", "250,000 frames/s"), (1536, "bytes", "1,536 bytes"), (1234.4, "ms", "1,234 ms"),
        (123.44, "", "123"), (12.34, "ms", "12.3 ms"), (1.234, "s", "1.23 s"), (0.01234, "ms", "0.012 ms"),
        (-2.5, "", "-2.50"), (4000.0, "sales/s", "4,000 sales/s"),
    ],
)  # fmt: skip
def test_numbers_read_like_a_person_writes_them(value: float, unit: str, text: str) -> None:
    assert fmt(value, unit) == text


def test_higher_and_lower_is_better_verdicts_and_ratios() -> None:
    up = at_least("rate", 7_500, "sales/s", 5_000, anchor=(10_000, "raw"))
    assert (up.target, up.measured, up.anchor, up.ratio, up.result) == (
        ">= 5,000 sales/s",
        "7,500 sales/s",
        "10,000 sales/s (raw)",
        1.5,
        PASS,
    )
    assert at_least("rate", 4_999, "sales/s", 5_000).result == SHORT
    assert at_least("rate", 5_000, "sales/s", 5_000).result == PASS  # the target itself passes
    down = at_most("p99", 0.5, "ms", 1.0)
    assert (down.target, down.ratio, down.result, down.anchor) == ("<= 1.00 ms", 0.5, PASS, "")
    assert at_most("p99", 1.01, "ms", 1.0).result == SHORT
    assert at_most("bytes", 10, "bytes", 0).ratio is None  # no division by a zero target


def test_targets_relative_to_the_anchor() -> None:
    fine = within_ratio("commit p99", 2.4, "ms", anchor=(0.8, "bare"), max_ratio=3)
    assert (fine.target, fine.ratio, fine.result) == ("<= 3x anchor", pytest.approx(3.0), PASS)
    assert within_ratio("commit p99", 2.5, "ms", anchor=(0.8, "bare"), max_ratio=3).result == SHORT
    assert within_ratio("x", 1.0, "ms", anchor=(0.0, "nothing"), max_ratio=3).result == SHORT  # no anchor, no pass
    faster = at_least_anchor("drain", 9_000, "sales/s", anchor=(6_000, "raw paho"))
    assert (faster.target, faster.ratio, faster.result) == (">= anchor", 1.5, PASS)
    assert at_least_anchor("drain", 5_000, "sales/s", anchor=(6_000, "raw paho")).result == SHORT
    context = reference("build", 1.92, "s")
    assert (context.target, context.result, context.ratio) == ("", "", None)
    assert (verdict(True), verdict(False), verdict(None)) == (PASS, SHORT, "")


def test_one_markdown_table_and_a_summary() -> None:
    figures = [
        at_least("rate", 7_500, "sales/s", 5_000, anchor=(10_000, "raw | paho")),
        reference("build", 1.92, "s"),
        Figure("(the bench did not finish)", "", "RuntimeError: no broker", result=ERROR),
    ]
    figures = [Figure.from_dict({**f.to_dict(), "bench": "demo"}) for f in figures]
    lines = markdown(figures).splitlines()
    assert lines[0] == "| bench | figure | target | measured | anchor | ratio | result |"
    assert len(lines) == 2 + len(figures)
    row = "| demo | rate | >= 5,000 sales/s | 7,500 sales/s | 10,000 sales/s (raw \\| paho) | 1.50 | pass |"
    assert lines[2] == row
    assert lines[3] == "| demo | build |  | 1.92 s |  |  |  |"
    assert lines[4].endswith("| RuntimeError: no broker |  |  | error |")
    assert all(line.count(" | ") == 6 for line in lines[2:])  # the escaped pipe did not add a column
    assert summary(figures) == "1 pass, 0 short, 1 error, 1 reference"
    assert Figure.from_dict(json.loads(json.dumps(figures[0].to_dict()))) == figures[0]


# --- each bench's mapping, on rows shaped like its run() output -------------------------------------


def _bench(name: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(f"bench.bench_{name}")


def test_store_and_ticket_mappings() -> None:
    store = _bench("store")
    rows = [{"case": "store", "p99_ms": 2.0, "p50_ms": 1.0}, {"case": "bare", "p99_ms": 1.0, "p50_ms": 0.5}]
    [commit] = store.figures(rows)
    assert (commit.ratio, commit.result, commit.anchor) == (2.0, PASS, "1.00 ms (bare sqlite3 transaction p99)")
    assert store.figures([{**rows[0], "p99_ms": 3.5}, rows[1]])[0].result == SHORT

    ticket = _bench("ticket")
    variants = ("native text + GS ( k QR", "native text + image QR (GS v 0)", "whole ticket as raster (GS v 0)",
                "commit -> native ticket bytes ready")  # fmt: skip
    rows = [{"variant": v, "lines": 3, "bytes": b, "build_p50_ms": 0.3, "build_p99_ms": 0.5}
            for v, b in zip(variants, (900, 9_000, 60_000, 900), strict=True)]  # fmt: skip
    figures = ticket.figures(rows)
    assert figures[0].result == PASS and figures[0].measured == "900 bytes" and "raster" in figures[0].anchor
    assert [f.result for f in figures[1:]] == ["", "", ""]
    assert ticket.figures([{**rows[0], "bytes": 2_000}, *rows[1:]])[0].result == SHORT


def test_parsers_weight_path_and_search_mappings() -> None:
    parsers = _bench("parsers")
    good = {"protocol": "mt-sics", "frames_per_s": 300_000, "fuzz_bytes": 1_000_000, "fuzz_exceptions": 0}
    rows = [good, {**good, "protocol": "binary-ff", "frames_per_s": 90_000, "fuzz_exceptions": 2}]
    figures = parsers.figures(rows)
    assert [f.result for f in figures] == [PASS, SHORT, SHORT]  # two exceptions in the fuzz is a short
    assert figures[-1].measured == "2" and "2,000,000" in figures[-1].figure

    weight = _bench("weight_path")
    rows = [{"figure": "weight path binary-ff", "p50_ms": 0.2, "p99_ms": 0.4, "line_time_ms": 6.25},
            {"figure": "reconnect after replug (binary-ff)", "p50_ms": 200.0, "p99_ms": 2_500.0,
             "line_time_ms": None}]  # fmt: skip
    latency, reconnect = weight.figures(rows)
    assert (latency.result, latency.anchor) == (PASS, "6.25 ms (the frame's 9600-baud line time)")
    assert (reconnect.measured, reconnect.result) == ("2.50 s", SHORT)  # 2.5 s against 2 s

    search = _bench("search")
    query = {"query": "bc", "kind": "pinyin", "index_p99_ms": 0.05, "initials_scan_p99_ms": 2.0,
             "naive_pinyin_scan_ms": 800.0}  # fmt: skip
    rows = [query, {**query, "query": "(all keystrokes above)", "kind": "summary", "initials_scan_p99_ms": None,
                    "naive_pinyin_scan_ms": None},
            {**query, "query": "(every prefix, x5)", "kind": "sweep", "index_p99_ms": 1.5,
             "initials_scan_p99_ms": None, "naive_pinyin_scan_ms": None},
            {**query, "query": "(catalog build)", "kind": "20000 PLUs: build 1.9 s", "index_p99_ms": None,
             "initials_scan_p99_ms": None, "naive_pinyin_scan_ms": None}]  # fmt: skip
    summary_, sweep, naive, build = search.figures(rows)
    assert (summary_.result, sweep.result) == (PASS, SHORT)
    assert summary_.anchor.startswith("2.00 ms") and naive.measured == "800 ms" and build.measured.startswith("20000")


def test_sync_ingest_fleet_and_ui_mappings() -> None:
    drain = _bench("sync_drain")
    rows = [{"sales": 5_000, "sales_per_s": 6_000.0, "peak_rss_mb": 40.0},
            {"sales": 5_000, "sales_per_s": 12_000.0, "peak_rss_mb": 45.0},
            {"sales": 5_000, "sales_per_s": 8_000.0, "peak_rss_mb": 30.0}]  # fmt: skip
    into_central, against_raw, ceiling, rss = drain.figures(rows)
    assert into_central.result == PASS and "8,000 sales/s" in into_central.anchor
    assert (against_raw.ratio, against_raw.result) == (0.75, SHORT)  # 6,000 into central vs 8,000 raw
    assert (ceiling.ratio, ceiling.result) == (1.5, PASS) and (rss.measured, rss.result) == ("45.0 MB", PASS)

    ingest = _bench("central_ingest")
    row = {"database": "sqlite", "receivers": 1, "workers": 2, "sales_per_s": 7_000, "per_receiver_per_s": 7_000}
    rows = [{**row, "database": "sqlite (no broker)", "sales_per_s": 9_000}, row,
            {**row, "database": "postgresql", "receivers": 2, "per_receiver_per_s": 2_600}]  # fmt: skip
    alone, sqlite, pg = ingest.figures(rows)
    assert alone.result == "" and (sqlite.result, pg.result) == (PASS, SHORT)
    assert sqlite.anchor == "9,000 sales/s (ingest alone, no broker)" and "x2 receivers" in pg.figure

    fleet = _bench("fleet")
    row = {"case": "peak market (target)", "central": "SQLite x1", "scales": 1_000, "offered_per_s": 66.7,
           "stored_per_s": 66.5, "p50_ms": 40.0, "p99_ms": 300.0, "lost": 0, "duplicated": 0, "backlog": 0,
           "result": "pass"}  # fmt: skip
    latency, stored, lossy, _, empty = fleet.figures(
        [row, {**row, "lost": 3, "result": "short"}, {**row, "p99_ms": None, "result": "short"}]
    )
    assert (latency.result, latency.ratio) == (PASS, 0.3) and "1,000 scales" in latency.figure
    assert stored.anchor == "66.7 sales/s (offered)" and stored.result == ""
    assert lossy.result == SHORT and "3 lost" in lossy.figure  # fast but lossy is short
    assert empty.result == SHORT and empty.measured.startswith("nothing stored")

    ui = _bench("ui")
    [cold] = ui.figures([{"figure": "cold start", "value": "0.99 s", "anchor": "bare Kivy 0.33 s",
                          "target": "<= 3 s", "ok": True}])  # fmt: skip
    assert (cold.measured, cold.anchor, cold.result) == ("0.99 s", "bare Kivy 0.33 s", PASS)


def test_every_bench_file_is_in_the_report() -> None:
    benches = report.discover()
    assert {b.name for b in benches} >= {"parsers", "weight_path", "search", "store", "ticket", "sync_drain",
                                         "central_ingest", "ui", "fleet"}  # fmt: skip
    assert all(b.has_figures for b in benches), [b.name for b in benches if not b.has_figures]


# --- the report's plumbing: discovery, --only, a child process per bench --------------------------


def _write_bench(directory: Path, name: str, body: str) -> None:
    (directory / f"bench_{name}.py").write_text(textwrap.dedent(body), encoding="utf-8")


def test_discovery_selection_and_child_processes(tmp_path: Path) -> None:
    _write_bench(tmp_path, "good", """
        QUICK = {"n": 2}
        def run(n=5):
            return [{"n": n}]
        def figures(rows):
            from bench.figures import at_least
            return [at_least("n", rows[0]["n"], "", 3)]
    """)  # fmt: skip
    _write_bench(tmp_path, "broken", """
        def run():
            raise RuntimeError("the broker would not start")
        def figures(rows):
            return []
    """)  # fmt: skip
    _write_bench(tmp_path, "unmapped", "def run():\n    return []\n")
    benches = report.discover(tmp_path)
    assert [(b.name, b.has_figures) for b in benches] == [("broken", True), ("good", True), ("unmapped", False)]
    assert [b.name for b in report.select(benches, ["bench_good.py", "broken"])] == ["broken", "good"]
    assert report.select(benches, []) == benches
    with pytest.raises(SystemExit, match="no bench named nope"):
        report.select(benches, ["nope"])

    broken, good, unmapped = benches
    full, quick = report.run_bench(good, False, 60), report.run_bench(good, True, 60)
    assert [(f.bench, f.measured, f.result) for f in full.figures] == [("good", "5", PASS)]
    assert [(f.measured, f.result) for f in quick.figures] == [("2", SHORT)]  # QUICK sizes were used
    failed = report.run_bench(broken, False, 60)
    assert "the broker would not start" in failed.error
    assert [(f.bench, f.result) for f in failed.figures] == [("broken", ERROR)]
    assert "RuntimeError: the broker would not start" in failed.figures[0].measured

    text = report.report_text([full, failed], [unmapped], quick=False)
    assert "| good | n | >= 3 | 5 |" in text and "1 pass, 0 short, 1 error" in text
    assert "bench_unmapped.py" in text
    doc = report.report_json([full, failed], [unmapped], quick=True)
    assert doc["quick"] is True and len(doc["figures"]) == 2 and doc["skipped"] == ["bench_unmapped.py"]
    assert [b["bench"] for b in doc["benches"]] == ["good", "broken"] and doc["benches"][1]["error"]
