"""Every benchmark of the project in one table: figure, target, measured, anchor, ratio, pass or short.

    python bench/report.py                 # full sizes, several times the quick run: on an idle machine
    python bench/report.py --quick         # smaller sizes, about 2 minutes here; numbers are indicative only
    python bench/report.py --only store --only ticket --json report.json

Each ``bench/bench_*.py`` that defines ``figures(rows)`` takes part (see bench/figures.py);
it runs in its own child process (``run(**QUICK)`` with ``--quick``), so a crash, a hang or
a large RSS stays with it. A bench that fails is reported as an ``error`` row and the
others still run. The exit status is 1 when a bench failed to run, else 0 (a ``short``
figure is a result, not a failure of the report).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.figures import ERROR, Figure, markdown, summary  # noqa: E402

TIMEOUT_S = {"full": 3600.0, "quick": 900.0}
_HAS_FIGURES = re.compile(r"^def figures\(", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Bench:
    name: str  # "store" for bench/bench_store.py
    path: Path
    has_figures: bool


@dataclass(frozen=True, slots=True)
class BenchRun:
    bench: str
    seconds: float
    figures: list[Figure]
    error: str = ""


def discover(directory: Path = BENCH_DIR) -> list[Bench]:
    """The bench_*.py files, sorted; whether each defines figures() (read, not imported)."""
    return [
        Bench(path.stem.removeprefix("bench_"), path, bool(_HAS_FIGURES.search(path.read_text(encoding="utf-8"))))
        for path in sorted(directory.glob("bench_*.py"))
    ]


def select(benches: list[Bench], only: list[str]) -> list[Bench]:
    """The benches named by ``--only`` (``store`` or ``bench_store``), all when none is named."""
    if not only:
        return benches
    wanted = {name.removeprefix("bench_").removesuffix(".py") for name in only}
    unknown = wanted - {b.name for b in benches}
    if unknown:
        known = ", ".join(b.name for b in benches)
        raise SystemExit(f"report: no bench named {', '.join(sorted(unknown))}; the benches are: {known}")
    return [b for b in benches if b.name in wanted]


def error_figure(bench: str, message: str) -> Figure:
    return Figure("(the bench did not finish)", "", message, result=ERROR, bench=bench)


# --- the child: one bench in its own process -----------------------------------------------------


def child(path: Path, quick: bool, out: Path) -> None:
    """Import the bench, ``run()`` it (with its QUICK sizes if asked), write its figures as JSON."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    kwargs = dict(getattr(module, "QUICK", {})) if quick else {}
    rows = module.run(**kwargs)
    figures = [f.to_dict() for f in module.figures(rows)]
    out.write_text(json.dumps({"figures": figures, "sizes": kwargs}, ensure_ascii=False), encoding="utf-8")


def run_bench(bench: Bench, quick: bool, timeout_s: float) -> BenchRun:
    """One bench in a child process; its failure or timeout becomes an error row."""
    with tempfile.TemporaryDirectory(prefix="bench_report_") as tmp:
        out = Path(tmp) / "figures.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--child", str(bench.path), "--out", str(out)]
        start = time.perf_counter()
        try:
            done = subprocess.run(command + (["--quick"] if quick else []), cwd=ROOT, capture_output=True,
                                  text=True, timeout=timeout_s)  # fmt: skip
        except subprocess.TimeoutExpired:
            seconds = time.perf_counter() - start
            return BenchRun(bench.name, seconds, [error_figure(bench.name, f"no result after {timeout_s:.0f} s")],
                            f"timed out after {timeout_s:.0f} s")  # fmt: skip
        seconds = time.perf_counter() - start
        if done.returncode != 0 or not out.exists():
            last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1][:300]
            return BenchRun(bench.name, seconds, [error_figure(bench.name, last)], done.stderr[-4000:])
        data = json.loads(out.read_text(encoding="utf-8"))
    figures = [Figure.from_dict({**f, "bench": bench.name}) for f in data["figures"]]
    return BenchRun(bench.name, seconds, figures)


def report_text(runs: list[BenchRun], skipped: list[Bench], quick: bool) -> str:
    figures = [f for r in runs for f in r.figures]
    mode = "quick sizes, indicative only" if quick else "full sizes"
    timings = ", ".join(f"{r.bench} {r.seconds:.0f} s" for r in runs)
    lines = [f"## Benchmarks ({mode})", "", markdown(figures), "", f"{summary(figures)}. Time per bench: {timings}."]
    if skipped:
        names = ", ".join(b.path.name for b in skipped)
        lines.append(f"Not in the report (no figures(rows) yet): {names}.")
    return "\n".join(lines)


def report_json(runs: list[BenchRun], skipped: list[Bench], quick: bool) -> dict[str, object]:
    return {
        "quick": quick,
        "figures": [f.to_dict() for r in runs for f in r.figures],
        "benches": [{"bench": r.bench, "seconds": round(r.seconds, 1), "error": r.error} for r in runs],
        "skipped": [b.path.name for b in skipped],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (about 2 minutes); indicative only")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="run this bench (repeatable)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the table as JSON")
    parser.add_argument("--timeout", type=float, help="seconds per bench before it counts as failed")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.quick, args.out)
        return 0
    benches = select(discover(), args.only)
    skipped = [b for b in benches if not b.has_figures]
    timeout_s = args.timeout or TIMEOUT_S["quick" if args.quick else "full"]
    runs = []
    for bench in benches:
        if not bench.has_figures:
            continue
        print(f"running {bench.path.name}{' (quick)' if args.quick else ''} ...", file=sys.stderr, flush=True)
        result = run_bench(bench, args.quick, timeout_s)
        if result.error:
            print(f"{bench.path.name} failed:\n{result.error}", file=sys.stderr)
        runs.append(result)
    print(report_text(runs, skipped, args.quick))
    if args.json:
        args.json.write_text(json.dumps(report_json(runs, skipped, args.quick), ensure_ascii=False, indent=1) + "\n",
                             encoding="utf-8")  # fmt: skip
    return 1 if any(r.error for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
