"""The one check every chaos scenario ends with: nothing lost, nothing doubled, all traceable.

After the scale has drained (harness.wait_drained), compare the scale's own SQLite file
with central's:

- the scale's file is sound, its event-log chain verifies, its seqs are dense 1..N (a
  refused or killed sale used up no number), its trace codes unique, its outbox empty,
  and every sale the vendor was shown (``reported``) is in it;
- central holds every sale of the scale exactly once (same sale_ids, same seqs, no
  extras), with the same trace codes, totals and line counts, and refused nothing;
- central's copy of the event log is the scale's, and its chain has no break;
- trace pages over real HTTP: ``/t/{code}`` answers 200 naming the code, for every sale
  of a small run, else for a seeded sample (plus the first and last sale of every day).
"""

from __future__ import annotations

import random
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from edge.store import Store
from tests.chaos.harness import query
from tests.integration.sync_support import SCALE


@dataclass(frozen=True)
class Checked:
    sales: int
    total_fen: int
    events: int
    pages: int
    days: tuple[str, ...]  # local dates of the sales (from the trace codes)


def check_everything(
    edge_db: Path, central_db: Path, base_url: str, *, reported: Iterable[str] = (), sample: int = 50, seed: int = 0
) -> Checked:
    with Store.open(edge_db) as store:
        assert store.integrity_check() == [], "the scale's database is damaged"
        assert store.verify_events() == (True, None), "the scale's event-log chain does not verify"
        assert store.backlog() == 0, "the scale still holds unacked sales"
        events = [(e.id, e.hash) for e in store.events(limit=1_000_000)]
    edge = {row[0]: row[1:] for row in query(edge_db, "SELECT sale_id, seq, trace_code, total_fen FROM sales")}
    edge_lines = dict(query(edge_db, "SELECT sale_id, COUNT(*) FROM sale_lines GROUP BY sale_id"))
    seqs = sorted(seq for seq, _, _ in edge.values())
    assert seqs == list(range(1, len(seqs) + 1)), "the scale's seqs have a gap or a repeat"
    codes = [code for _, code, _ in edge.values()]
    assert len(set(codes)) == len(codes), "two sales of the scale share a trace code"
    missing = set(reported) - set(edge)
    assert not missing, f"{len(missing)} sales the vendor was shown are not in the scale's database"

    central = {
        row[0]: row[1:]
        for row in query(
            central_db, "SELECT sale_id, seq, trace_code, total_fen FROM sales WHERE scale_id = ?", (SCALE,)
        )
    }
    central_lines = dict(
        query(
            central_db,
            "SELECT l.sale_id, COUNT(*) FROM sale_lines l JOIN sales s ON s.sale_id = l.sale_id "
            "WHERE s.scale_id = ? GROUP BY l.sale_id",
            (SCALE,),
        )
    )
    lost, extra = set(edge) - set(central), set(central) - set(edge)
    assert not lost and not extra, f"{len(lost)} sales missing at central, {len(extra)} extra"
    assert central == edge, "central's seq, trace code or total differ from the scale's"
    assert central_lines == edge_lines, "central's sale lines differ from the scale's"
    total = sum(t for _, _, t in edge.values())
    assert (
        query(central_db, "SELECT COALESCE(SUM(total_fen), 0) FROM sales WHERE scale_id = ?", (SCALE,))[0][0] == total
    )
    rejects = query(central_db, "SELECT reason, detail FROM rejects WHERE scale_id = ?", (SCALE,))
    assert rejects == [], f"central refused some of the scale's messages: {rejects[:3]}"

    held = query(central_db, "SELECT event_id, hash FROM events WHERE scale_id = ? ORDER BY event_id", (SCALE,))
    assert held == events, "central's copy of the event log is not the scale's"
    breaks = query(central_db, "SELECT bad_event_id, detail FROM event_chain_breaks WHERE scale_id = ?", (SCALE,))
    assert breaks == [], f"central found the scale's event chain broken: {breaks}"

    pages = _pages(edge.values(), sample, seed)
    for code in pages:
        with urllib.request.urlopen(f"{base_url}/t/{code}", timeout=10) as resp:
            body = resp.read().decode()
            assert resp.status == 200 and code in body, f"trace page of {code} did not show the sale"
    return Checked(len(edge), total, len(events), len(pages), tuple(sorted({_day(c) for c in codes})))


def _day(code: str) -> str:
    return code[9:15]  # YYMMDD in NNNNNN SSS YYMMDD QQQQ C


def _pages(sales: Iterable[tuple[int, str, int]], sample: int, seed: int) -> list[str]:
    ordered = sorted(sales)
    codes = [code for _, code, _ in ordered]
    if len(codes) <= 2 * sample:
        return codes
    chosen = set(random.Random(seed).sample(codes, sample))
    by_day: dict[str, list[str]] = {}
    for code in codes:
        by_day.setdefault(_day(code), []).append(code)
    for day_codes in by_day.values():
        chosen.update((day_codes[0], day_codes[-1]))
    return sorted(chosen)
