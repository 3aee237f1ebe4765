"""The common shape of a benchmark figure, and the one markdown table ``bench/report.py`` prints.

Each ``bench/bench_*.py`` keeps its own table (``main()``) and adds ``figures(rows)``, which
maps the rows its ``run()`` returns to :class:`Figure` records with the helpers below:

    at_least("parser mt-sics", 250_000, "frames/s", 100_000)        # higher is better
    at_most("weight path p99", 0.4, "ms", 1.0, anchor=(0.9, "line time"))
    within_ratio("commit p99", 2.1, "ms", anchor=(0.8, "bare sqlite3"), max_ratio=3)
    reference("catalog build", 1.8, "s")                            # no target, shown for context

Optionally ``QUICK = {...}``: the keyword arguments of ``run()`` for ``report.py --quick``.
Pure: no I/O, so tests/unit/test_bench_figures.py checks it without timing anything.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

PASS, SHORT, ERROR = "pass", "short", "error"
COLUMNS = ("bench", "figure", "target", "measured", "anchor", "ratio", "result")


@dataclass(frozen=True, slots=True)
class Figure:
    figure: str
    target: str  # the requirement in words, "" for a reference figure
    measured: str  # formatted with its unit
    anchor: str = ""  # the reference measured in the same run, formatted, with what it is
    ratio: float | None = None  # measured/anchor when the target is relative to it, else measured/target
    result: str = ""  # pass | short | error | "" (reference only)
    bench: str = ""  # filled in by the report: which bench_*.py measured it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Figure:
        return cls(**{k: data[k] for k in COLUMNS if k in data})


def fmt(value: float | int, unit: str = "") -> str:
    """A number as a person reads it: 123,456 / 1,234 / 12.3 / 1.23 / 0.123, then the unit."""
    if isinstance(value, int) or (abs(value) >= 1000 and float(value).is_integer()):
        text = f"{int(value):,}"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    elif abs(value) >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    return f"{text} {unit}".strip()


def _anchor_text(anchor: tuple[float, str] | None, unit: str) -> str:
    if anchor is None:
        return ""
    value, what = anchor
    return f"{fmt(value, unit)} ({what})" if what else fmt(value, unit)


def _ratio(measured: float, base: float) -> float | None:
    return measured / base if base else None


def at_least(
    figure: str, measured: float, unit: str, target: float, *, anchor: tuple[float, str] | None = None
) -> Figure:
    """Higher is better: pass when ``measured >= target``; ratio measured/target (>= 1 passes)."""
    return Figure(figure, f">= {fmt(target, unit)}", fmt(measured, unit), _anchor_text(anchor, unit),
                  _ratio(measured, target), PASS if measured >= target else SHORT)  # fmt: skip


def at_most(
    figure: str, measured: float, unit: str, target: float, *, anchor: tuple[float, str] | None = None
) -> Figure:
    """Lower is better: pass when ``measured <= target``; ratio measured/target (<= 1 passes)."""
    return Figure(figure, f"<= {fmt(target, unit)}", fmt(measured, unit), _anchor_text(anchor, unit),
                  _ratio(measured, target), PASS if measured <= target else SHORT)  # fmt: skip


def within_ratio(figure: str, measured: float, unit: str, *, anchor: tuple[float, str], max_ratio: float) -> Figure:
    """Relative to the anchor: pass when ``measured / anchor <= max_ratio`` (e.g. "<= 3x bare SQLite")."""
    ratio = _ratio(measured, anchor[0])
    ok = ratio is not None and ratio <= max_ratio
    return Figure(figure, f"<= {max_ratio:g}x anchor", fmt(measured, unit), _anchor_text(anchor, unit), ratio,
                  PASS if ok else SHORT)  # fmt: skip


def at_least_anchor(figure: str, measured: float, unit: str, *, anchor: tuple[float, str]) -> Figure:
    """Relative to the anchor, higher is better: pass when ``measured >= anchor`` (e.g. ">= raw paho")."""
    ratio = _ratio(measured, anchor[0])
    ok = ratio is not None and ratio >= 1
    return Figure(figure, ">= anchor", fmt(measured, unit), _anchor_text(anchor, unit), ratio, PASS if ok else SHORT)


def at_least_ratio(figure: str, measured: float, unit: str, *, anchor: tuple[float, str], min_ratio: float) -> Figure:
    """Relative to the anchor, higher is better: pass when ``measured / anchor >= min_ratio``
    (e.g. "two receivers >= 1.6x one", both measured in the same run)."""
    ratio = _ratio(measured, anchor[0])
    ok = ratio is not None and ratio >= min_ratio
    return Figure(figure, f">= {min_ratio:g}x anchor", fmt(measured, unit), _anchor_text(anchor, unit), ratio,
                  PASS if ok else SHORT)  # fmt: skip


def reference(figure: str, measured: float, unit: str, *, anchor: tuple[float, str] | None = None) -> Figure:
    """Shown for context, no target."""
    return Figure(figure, "", fmt(measured, unit), _anchor_text(anchor, unit))


def verdict(ok: bool | None) -> str:
    return "" if ok is None else PASS if ok else SHORT


# --- the table ---------------------------------------------------------------------------------


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(figures: list[Figure]) -> str:
    """One markdown table of every figure, in the order given."""
    lines = [
        "| bench | figure | target | measured | anchor | ratio | result |",
        "| --- | --- | --- | ---: | --- | ---: | --- |",
    ]
    for f in figures:
        ratio = "" if f.ratio is None else f"{f.ratio:.2f}"
        cells = (f.bench, f.figure, f.target, f.measured, f.anchor, ratio, f.result)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def summary(figures: list[Figure]) -> str:
    """``12 pass, 1 short, 0 error, 3 reference``."""
    counts = {k: sum(1 for f in figures if f.result == k) for k in (PASS, SHORT, ERROR)}
    refs = sum(1 for f in figures if not f.result)
    return f"{counts[PASS]} pass, {counts[SHORT]} short, {counts[ERROR]} error, {refs} reference"
