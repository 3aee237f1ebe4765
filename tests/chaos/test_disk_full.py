"""A full disk, on the scale and on central, while the scale keeps selling.

On the scale: the next sale is refused with the clear message, nothing committed is lost,
selling resumes once space is freed. On central: the receiver cannot commit, so it must
not ack; once space is freed the scale's resends get in. Both end with the common check.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from edge.store import StoreFullError
from tests.chaos.check import check_everything
from tests.chaos.harness import Site, edge_backlog, wait_drained
from tests.integration.sync_support import wait_for
from tests.integration.test_store_durability import fill_disk

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(300)]


def test_scale_disk_full_refuses_the_next_sale_then_resumes(site: Site, small_disk: Callable[[str, str], Path]) -> None:
    # 16 MiB: the store's WAL grows to ~4 MiB before it checkpoints, so freeing the filler
    # must give back more than that for selling to resume
    db = small_disk("scale", "16m") / "scale.db"
    child = site.child(db, "--sell", "150", "--interval", "0.02")
    wait_for(lambda: len(child.log.committed) >= 40, 60, "the first sales")
    filler = fill_disk(db.parent)
    wait_for(lambda: bool(child.log.refused), 120, "a sale to be refused on the full disk")
    full = StoreFullError.for_sale()
    assert child.log.refused[0] == f"{full.zh}|{full.en}"  # what the vendor reads, Chinese first
    shown = len(child.log.committed)
    wait_for(lambda: len(child.log.refused) >= 10, 30, "the vendor to try a few more times")
    assert len(child.log.committed) == shown  # refused means not sold: no sale slipped through
    filler.unlink()  # the technician frees space
    child.wait_done(120)
    assert len(child.log.committed) == 150
    wait_drained(site, db, 120)
    child.kill()
    checked = check_everything(db, site.central_db, site.central.base_url,
                               reported=[c[0] for c in child.log.committed])  # fmt: skip
    assert checked.sales == 150  # refused attempts used up no seq (check: seqs are dense)
    print(f"sold {shown} before the disk was full, {len(child.log.refused)} refusals; {checked}")


def test_central_disk_full_acks_nothing_it_could_not_commit(
    tmp_path: Path, small_disk: Callable[[str, str], Path]
) -> None:
    disk = small_disk("central", "16m")
    site = Site(tmp_path, central_db=disk / "central.db")
    try:
        site.start()
        db = tmp_path / "scale.db"
        child = site.child(db, "--sell", "400", "--interval", "0.02", "--batch", "20", "--ack-timeout", "1")
        wait_for(lambda: site.central.sales() >= 40, 60, "central to store the first sales")
        mark = len(site.central.log_text())
        filler = fill_disk(disk)
        wait_for(lambda: "disk is full" in site.central.log_text(mark), 120, "central to hit the full disk")
        # the receiver cannot commit: whatever the scale sold since stays in its outbox
        stuck = site.central.sales()
        wait_for(lambda: edge_backlog(db) >= 40, 60, "the scale's backlog to grow while central is full")
        assert site.central.sales() == stuck
        filler.unlink()
        child.wait_done(120)
        wait_drained(site, db, 180)
        child.kill()
        checked = check_everything(db, site.central_db, site.central.base_url,
                                   reported=[c[0] for c in child.log.committed])  # fmt: skip
        assert checked.sales == 400
        print(f"central stuck at {stuck} sales while full; {checked}")
    finally:
        site.close()
