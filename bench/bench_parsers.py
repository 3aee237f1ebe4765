"""Weighing-module parser throughput, and a seeded fuzz run through every parser.

    .venv/bin/python bench/bench_parsers.py

prints a markdown table (frames/s per protocol, target 100,000) and one fuzz line;
``run()`` returns the rows as dicts for a combined report. A module sends 10-20 frames a
second, so the target is about CPU headroom on a small ARM board, not line speed.

Frames are fed the way a serial read hands them over: 64-byte chunks that cut frames at
arbitrary places, with varied weights (no two neighbouring frames alike). Time is the
process's CPU time (best of a few runs), so other work on the machine does not skew it.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edge.scale_driver.protocols import PROTOCOLS, get_protocol
from edge.scale_driver.protocols.base import MAX_PENDING
from tests.unit.protocol_frames import BUILDERS, MAX_ABS_G

TARGET_FRAMES_PER_S = 100_000
FRAMES = 20_000
CHUNK = 64
REPEATS = 5
FUZZ_BYTES = 1_000_000  # per parser
SEED = 20240601


def _stream(name: str, rng: random.Random, count: int) -> bytes:
    build = BUILDERS[name]
    return b"".join(build(rng.randint(-MAX_ABS_G, MAX_ABS_G), rng.random() < 0.7)[0] for _ in range(count))


def frames_per_second(name: str) -> float:
    """Best of ``REPEATS`` runs of a fresh parser over ``FRAMES`` frames in ``CHUNK``-byte reads."""
    stream = _stream(name, random.Random(SEED), FRAMES)
    chunks = [stream[i : i + CHUNK] for i in range(0, len(stream), CHUNK)]
    best = float("inf")
    for _ in range(REPEATS):
        parser = get_protocol(name).new_parser()
        events = 0
        started = time.process_time()
        for chunk in chunks:
            events += len(parser.feed(chunk))
        best = min(best, time.process_time() - started)
        if events != FRAMES:
            raise AssertionError(f"{name}: {events} events from {FRAMES} frames")
    return FRAMES / best


def _fuzz_bytes(name: str, rng: random.Random) -> bytes:
    """Half uniform noise, half valid frames cut short or with a byte replaced."""
    parts: list[bytes] = []
    size = 0
    while size < FUZZ_BYTES:
        if rng.random() < 0.5:
            part = rng.randbytes(rng.randint(1, 200))
        else:
            frame = bytearray(BUILDERS[name](rng.randint(-MAX_ABS_G, MAX_ABS_G), rng.random() < 0.5)[0])
            if rng.random() < 0.5:
                frame[rng.randrange(len(frame))] = rng.randrange(256)
            else:
                del frame[rng.randrange(1, len(frame)) :]
            part = bytes(frame)
        parts.append(part)
        size += len(part)
    return b"".join(parts)[:FUZZ_BYTES]


def fuzz(name: str) -> tuple[int, int]:
    """Feed ``FUZZ_BYTES`` seeded bytes in random splits; return (bytes fed, exceptions)."""
    rng = random.Random(f"{SEED}-{name}")
    data = _fuzz_bytes(name, rng)
    parser = get_protocol(name).new_parser()
    exceptions = 0
    at = 0
    while at < len(data):
        step = rng.randint(1, 300)
        try:
            parser.feed(data[at : at + step])
            pending = getattr(parser, "pending", 0)
            if pending > MAX_PENDING:
                raise AssertionError(f"{name}: {pending} bytes pending")
        except Exception:  # counting them is the point
            exceptions += 1
        at += step
    return len(data), exceptions


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name in PROTOCOLS:
        rate = frames_per_second(name)
        fed, exceptions = fuzz(name)
        rows.append(
            {
                "protocol": name,
                "frames_per_s": round(rate),
                "target": TARGET_FRAMES_PER_S,
                "status": "pass" if rate >= TARGET_FRAMES_PER_S else "short",
                "fuzz_bytes": fed,
                "fuzz_exceptions": exceptions,
            }
        )
    return rows


def figures(rows: list[dict[str, Any]]) -> list:
    """The report's figures (bench/figures.py): frames/s per parser, and the fuzz run's exceptions."""
    from bench.figures import Figure, at_least, verdict

    out = [at_least(f"parser {r['protocol']}", r["frames_per_s"], "frames/s", TARGET_FRAMES_PER_S) for r in rows]
    exceptions = sum(r["fuzz_exceptions"] for r in rows)
    fed = sum(r["fuzz_bytes"] for r in rows)
    out.append(Figure(f"parser fuzz: exceptions in {fed:,} seeded bytes", "0", str(exceptions),
                      result=verdict(exceptions == 0)))  # fmt: skip
    return out


def main() -> None:
    rows = run()
    print(f"| protocol | frames/s | target ({TARGET_FRAMES_PER_S}) | pass/short |")
    print("| --- | ---: | ---: | --- |")
    for row in rows:
        print(f"| {row['protocol']} | {row['frames_per_s']:,} | {row['target']:,} | {row['status']} |")
    fed = sum(row["fuzz_bytes"] for row in rows)
    exceptions = sum(row["fuzz_exceptions"] for row in rows)
    print()
    print(f"fuzz: {fed:,} bytes fed across all parsers, {exceptions} exceptions")


if __name__ == "__main__":
    main()
