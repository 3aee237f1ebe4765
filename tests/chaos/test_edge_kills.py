"""≥ 200 SIGKILLs of the scale process at seeded random points while it makes 2,000 sales.

Each life of the scale sells (commit, then sync) until it is killed: by the test after a
random time (during start-up, a commit, a publish, whatever runs), or by itself at an exact
point — right after a commit returned (before the vendor is shown it), right after a sales
message went to the MQTT client, right after central's ack arrived but before the outbox
rows are deleted, or right after they are. Then it is restarted, until 2,000 sales are
committed and 200 kills done; a last life drains. Every committed sale must then be at
central exactly once and every check of tests/chaos/check.py must hold.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.chaos.check import check_everything
from tests.chaos.harness import Site, edge_last_seq, wait_drained

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(900)]

SALES, KILLS = 2000, 200
# how a life ends: (mode, weight, the N of --die-at KIND:N drawn from 1..max)
MODES = (("time", 4, 0), ("commit", 3, 15), ("publish", 2, 4), ("ack", 2, 4), ("acked", 2, 4))
SELF_KILL_WAIT_S = 4.0  # a life with nothing left to send never reaches its ack point: killed by the test


def test_200_sigkills_during_2000_sales_lose_and_double_nothing(site: Site, tmp_path: Path) -> None:
    rng = random.Random(20261126)
    db = tmp_path / "scale.db"
    kills: Counter[str] = Counter()
    reported: list[str] = []
    unreported_commits = lives_started = 0
    while (last := edge_last_seq(db) if db.exists() else 0) < SALES or kills.total() < KILLS:
        mode, _, most = rng.choices(MODES, weights=[m[1] for m in MODES])[0]
        if last >= SALES:
            mode = "time"  # nothing left to sell or send: only a timed kill would land
        args = ["--sell", str(SALES - last), "--interval", "0.01", "--seed", str(kills.total()), "--batch", "20"]
        if mode != "time":
            args += ["--die-at", f"{mode}:{rng.randint(1, most)}"]
        child = site.child(db, *args)
        if mode == "time":
            time.sleep(rng.uniform(0.1, 0.6))  # start-up takes ~0.25 s: some kills land in it
            child.kill()
        else:
            try:
                child.wait_exit(SELF_KILL_WAIT_S)
            except Exception:
                mode = "time"  # the point never came (nothing left to send)
                child.kill()
        assert child.proc.returncode == -signal.SIGKILL, f"the scale exited with {child.proc.returncode}"
        kills[mode] += 1
        lives_started += child.log.ready.is_set()
        reported += [sale_id for sale_id, *_ in child.log.committed]
        if mode == "commit" and child.log.committed:
            # killed after commit_sale returned, before the vendor saw it: still a sale
            unreported_commits += edge_last_seq(db) - child.log.committed[-1][1]
    print(f"kills by point: {dict(kills)}; committed-but-not-shown: {unreported_commits}")
    assert edge_last_seq(db) == SALES and kills.total() >= KILLS
    assert all(kills[mode] >= 10 for mode, _, _ in MODES), kills
    assert unreported_commits >= 10  # the kills right after a commit did land there

    site.child(db)  # a last life, left alone to drain
    wait_drained(site, db, 180)
    checked = check_everything(db, site.central_db, site.central.base_url, reported=reported, seed=8)
    assert checked.sales == SALES
    assert checked.events >= lives_started  # one test.restart entry per life that got going
    print(f"checked: {checked}")
