"""The scale's clock jumps two hours back in the middle of selling (an RTC reset, a bad NTP).

Seqs and trace codes stay unique (the daily sequence of the date the clock now shows
continues where it was), nothing is lost, and the jump is visible at central: the sales
ordered by seq step back in time once, by two hours.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.chaos.check import check_everything
from tests.chaos.harness import Site, query, wait_drained
from tests.integration.sync_support import SCALE

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(300)]

TWO_HOURS_MS = 2 * 3600 * 1000
STEP_MS = 30_000


def test_clock_jumping_two_hours_back_keeps_codes_unique_and_loses_nothing(site: Site, tmp_path: Path) -> None:
    db = tmp_path / "scale.db"
    start = int(datetime(2024, 5, 11, 23, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp() * 1000)
    # a sale every simulated 30 s from 23:00; past midnight at sale 121; after sale 200
    # (00:39:30 on the 12th) the clock falls back to 22:40 on the 11th
    jump = ["--jump-after", "200", "--jump-ms", str(-TWO_HOURS_MS)]
    child = site.child(db, "--sell", "300", "--interval", "0.005", "--clock-start", str(start),
                       "--clock-step", str(STEP_MS), *jump)  # fmt: skip
    child.wait_done(120)
    wait_drained(site, db, 120)
    child.kill()
    checked = check_everything(db, site.central_db, site.central.base_url,
                               reported=[c[0] for c in child.log.committed])  # fmt: skip
    assert checked.sales == 300
    daily: dict[str, list[int]] = {}
    for _, _, code, _ in child.log.committed:
        daily.setdefault(code[9:15], []).append(int(code[15:19]))
    assert daily == {"240511": list(range(1, 221)), "240512": list(range(1, 81))}  # the 11th's count went on
    created = [row[1] for row in query(site.central_db, "SELECT seq, created_ms FROM sales WHERE scale_id = ? "
                                       "ORDER BY seq", (SCALE,))]  # fmt: skip
    backwards = [(i + 1, a - b) for i, (a, b) in enumerate(itertools.pairwise(created)) if b < a]
    assert backwards == [(200, TWO_HOURS_MS - STEP_MS)]  # one step back, after seq 200, seen at central
    print(f"clock jump seen at central after seq 200; {checked}")
