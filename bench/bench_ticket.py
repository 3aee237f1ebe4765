"""Trace ticket size and build time: native ESC/POS vs image QR vs the whole ticket as a raster.

    .venv/bin/python bench/bench_ticket.py [--lines 3] [--paper 58]

Bytes matter because many scales drive their printer over 9600-baud serial (10 bits per
byte on the wire), where every kilobyte is about a second of waiting at the counter.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edge.printer.demo import demo_batches, demo_sale, demo_settings
from edge.printer.errors import PrinterError
from edge.printer.escpos_render import render_ticket
from edge.printer.raster import find_cjk_font, render_raster_ticket
from edge.printer.ticket import layout_ticket
from edge.store import Store
from edge.store.samples import sale_builder

BAUD = 9600
NATIVE_TARGET_BYTES = 1536  # 1.5 KB: about 1.6 s at 9600 baud


def _timed(build: Callable[[], bytes], runs: int) -> tuple[bytes, float, float]:
    """(bytes, p50 ms, p99 ms) of ``runs`` builds from the Sale."""
    data = build()  # warm-up: imports, font loading, QR tables
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        data = build()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
    return data, statistics.median(samples), p99


def run(lines: int = 3, paper_mm: int = 58, runs: int = 200) -> list[dict]:
    """One row per variant: bytes, seconds at 9600 baud, Sale -> bytes p50/p99, target verdict."""
    font = find_cjk_font()  # PrinterError with what to install when there is none
    sale, batches = demo_sale(lines), demo_batches()
    native_settings = demo_settings(paper_mm)
    image_settings = demo_settings(paper_mm, qr_mode="image")
    variants: list[tuple[str, Callable[[], bytes], int]] = [
        ("native text + GS ( k QR", lambda: render_ticket(sale, batches, native_settings), runs),
        ("native text + image QR (GS v 0)", lambda: render_ticket(sale, batches, image_settings), runs),
        (
            "whole ticket as raster (GS v 0)",
            lambda: render_raster_ticket(layout_ticket(sale, batches, native_settings), font),
            max(10, runs // 10),
        ),
    ]
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "bench.db") as store:
        store.replace_batches(list(batches.values()), 1)

        def commit_then_bytes() -> bytes:
            """What a sale costs until its ticket can go out: durable commit, read back, render."""
            committed = store.commit_sale("2026-11-26", sale_builder("2026-11-26", lines=lines))
            again = store.get_sale(committed.sale_id)
            assert again is not None
            known = {line.batch_id: store.get_batch(line.batch_id) for line in again.lines}
            return render_ticket(again, {k: v for k, v in known.items() if v is not None}, native_settings)

        variants.append(("commit -> native ticket bytes ready", commit_then_bytes, runs))
        return _rows(variants, lines, paper_mm)


def _rows(variants: list[tuple[str, Callable[[], bytes], int]], lines: int, paper_mm: int) -> list[dict]:
    rows = []
    for name, build, n in variants:
        data, p50, p99 = _timed(build, n)
        native = name.startswith("native text + GS")
        rows.append(
            {
                "variant": name,
                "lines": lines,
                "paper_mm": paper_mm,
                "bytes": len(data),
                "send_s_9600": len(data) * 10 / BAUD,
                "build_p50_ms": p50,
                "build_p99_ms": p99,
                "runs": n,
                "target": "native <= 1.5 KB" if native else "",
                "verdict": ("pass" if len(data) <= NATIVE_TARGET_BYTES else "short") if native else "",
            }
        )
    return rows


QUICK = {"runs": 30}  # bench/report.py --quick


def figures(rows: list[dict]) -> list:
    """The report's figures (bench/figures.py): native ticket bytes (anchor: the whole ticket as a raster)."""
    from bench.figures import at_most, reference

    by = {r["variant"]: r for r in rows}
    native, image = by["native text + GS ( k QR"], by["native text + image QR (GS v 0)"]
    raster, commit = by["whole ticket as raster (GS v 0)"], by["commit -> native ticket bytes ready"]
    return [
        at_most(f"ticket bytes, native text + GS ( k QR ({native['lines']} lines)", native["bytes"], "bytes",
                NATIVE_TARGET_BYTES, anchor=(raster["bytes"], "the whole ticket as a raster")),
        reference("ticket bytes, native text + image QR", image["bytes"], "bytes"),
        reference("Sale -> native ticket bytes p99", native["build_p99_ms"], "ms"),
        reference("commit -> native ticket bytes ready p99", commit["build_p99_ms"], "ms"),
    ]  # fmt: skip


def markdown(rows: list[dict]) -> str:
    out = [
        "| variant | bytes | send @9600 baud | build p50 | p99 | target | result |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in rows:
        out.append(
            f"| {r['variant']} | {r['bytes']:,} | {r['send_s_9600']:.2f} s | {r['build_p50_ms']:.2f} ms "
            f"| {r['build_p99_ms']:.2f} ms | {r['target']} | {r['verdict']} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=3, choices=(1, 2, 3, 4))
    parser.add_argument("--paper", type=int, default=58, choices=(58, 80))
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args(argv)
    try:
        rows = run(args.lines, args.paper, args.runs)
    except PrinterError as exc:
        print(f"bench_ticket: {exc}", file=sys.stderr)
        return 2
    print(f"Trace ticket, {args.lines} lines, {args.paper} mm paper\n")
    print(markdown(rows))
    return 0 if all(r["verdict"] != "short" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
