"""Store durability with real files and real processes: SIGKILL after commit, a full disk.

The full-disk case runs twice: on a real 512 KiB tmpfs (needs root and mount rights; it
is skipped with the reason shown otherwise) and with ``PRAGMA max_page_count``, which
gives the same SQLITE_FULL anywhere.
"""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.store import Store, StoreFullError
from edge.store.samples import sale_builder

pytestmark = pytest.mark.integration

DAY, NEXT = "2024-05-12", "2024-05-13"
REPO = Path(__file__).resolve().parents[2]

# Commits `count` sales (forever if 0), reporting each after commit_sale returned, then idles.
CHILD = textwrap.dedent(
    """
    import sys, time
    from edge.store import Store
    from edge.store.samples import sale_builder
    path, day, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = Store.open(path)
    n = 0
    while count == 0 or n < count:
        sale = store.commit_sale(day, sale_builder(day))
        n += 1
        print("COMMITTED", sale.sale_id, sale.seq, sale.trace_code, flush=True)
    print("IDLE", flush=True)
    time.sleep(600)
    """
)


def run_and_kill(path: Path, day: str, count: int, kill_after: int) -> list[tuple[str, int, str]]:
    """Start the child, SIGKILL it right after its `kill_after`-th COMMITTED line."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), day, str(count)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    reported: list[tuple[str, int, str]] = []
    try:
        while len(reported) < kill_after:
            line = child.stdout.readline()
            assert line, f"child exited early with {child.poll()}"
            word, sale_id, seq, code = line.split()
            assert word == "COMMITTED"
            reported.append((sale_id, int(seq), code))
        os.kill(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    return reported


def test_sale_survives_sigkill_right_after_commit(tmp_path: Path) -> None:
    path = tmp_path / "scale.db"
    [(sale_id, seq, code)] = run_and_kill(path, DAY, count=1, kill_after=1)
    with Store.open(path) as store:
        sale = store.get_sale(sale_id)
        assert sale is not None and sale.seq == seq == 1 and len(sale.lines) == 3
        assert [s for s, _ in store.outbox_batch(10)] == [1]
        assert [(j.sale_id, j.kind) for j in store.pending_print_jobs()] == [(sale_id, "ticket")]
        assert store.integrity_check() == []

    # numbering continues in the next process: no seq or daily seq is reused
    [(second_id, seq2, code2)] = run_and_kill(path, DAY, count=1, kill_after=1)
    [(third_id, seq3, code3)] = run_and_kill(path, NEXT, count=1, kill_after=1)
    assert (seq2, seq3) == (2, 3)
    assert (code[15:19], code2[15:19], code3[15:19]) == ("0001", "0002", "0001")  # daily seq restarts per date
    with Store.open(path) as store:
        assert [s.sale_id for s in store.recent_sales(10)] == [third_id, second_id, sale_id]
        assert store.backlog() == 3 and len(store.pending_print_jobs()) == 3
        assert store.commit_sale(DAY, sale_builder(DAY)).trace_code[15:19] == "0003"


def test_killed_mid_stream_loses_nothing_reported_and_leaves_no_gap(tmp_path: Path) -> None:
    path = tmp_path / "scale.db"
    reported = run_and_kill(path, DAY, count=0, kill_after=25)  # likely killed inside a transaction
    with Store.open(path) as store:
        assert store.integrity_check() == []
        for sale_id, seq, _ in reported:
            sale = store.get_sale(sale_id)
            assert sale is not None and sale.seq == seq
        seqs = [row[0] for row in store.db.execute("SELECT seq FROM sales ORDER BY seq")]
        assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 25
        assert store.backlog() == len(seqs)
        assert store.db.execute("SELECT COUNT(*) FROM print_jobs").fetchone()[0] == len(seqs)
        assert store.commit_sale(DAY, sale_builder(DAY)).seq == len(seqs) + 1


# --- full disk


def fill_disk(directory: Path) -> Path:
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    assert os.statvfs(directory).f_bavail == 0
    return filler


def commit_until_full(store: Store) -> tuple[list[str], StoreFullError]:
    committed: list[str] = []
    for _ in range(2_000):
        try:
            committed.append(store.commit_sale(DAY, sale_builder(DAY)).sale_id)
        except StoreFullError as exc:
            return committed, exc
    raise AssertionError("the disk never filled up")


def check_refusal(exc: StoreFullError) -> None:
    assert exc.zh == "存储空间已满，本笔交易未保存，请联系技术人员清理空间"
    assert "NOT recorded" in exc.en and "free space" in exc.en
    assert exc.zh in str(exc) and exc.en in str(exc)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the max_page_count test covers SQLITE_FULL")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_full_disk_on_a_real_small_filesystem(tmpfs: Path) -> None:
    print("full-disk path: tmpfs size=512k")
    path = tmpfs / "scale.db"
    with Store.open(path) as store:
        # a sale writes ~70 KB of WAL pages; after the schema a 512 KiB disk holds about five
        before = [store.commit_sale(DAY, sale_builder(DAY)).sale_id for _ in range(2)]
        filler = fill_disk(tmpfs)
        more, exc = commit_until_full(store)
        print(f"sales committed after the disk was filled: {len(more)}")
        check_refusal(exc)
        last_seq = store.last_sale().seq  # type: ignore[union-attr]
        assert last_seq == len(before) + len(more)
        assert store.integrity_check() == []
        for sale_id in before + more:
            assert store.get_sale(sale_id) is not None
        # still full: refused again, cleanly
        with pytest.raises(StoreFullError):
            store.commit_sale(DAY, sale_builder(DAY))
        filler.unlink()  # the technician frees space
        after = store.commit_sale(DAY, sale_builder(DAY))
        assert after.seq == last_seq + 1  # the refused sales used up no number
    with Store.open(path) as store:
        assert store.integrity_check() == []
        assert store.backlog() == last_seq + 1
        assert store.get_sale(after.sale_id) == after


def test_full_disk_via_max_page_count(tmp_path: Path) -> None:
    print("full-disk path: PRAGMA max_page_count")
    path = tmp_path / "scale.db"
    with Store.open(path) as store:
        before = [store.commit_sale(DAY, sale_builder(DAY)).sale_id for _ in range(5)]
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages + 2}")
        more, exc = commit_until_full(store)
        check_refusal(exc)
        last_seq = len(before) + len(more)
        assert store.integrity_check() == []
        assert all(store.get_sale(s) is not None for s in before + more)
        store.db.execute("PRAGMA max_page_count = 1073741823")
        assert store.commit_sale(DAY, sale_builder(DAY)).seq == last_seq + 1
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()


def test_enospc_from_the_os_is_a_full_store(tmp_path: Path) -> None:
    with Store.open(tmp_path / "scale.db") as store:

        def build(seq: int, daily: int):
            raise OSError(errno.ENOSPC, "No space left on device")

        with pytest.raises(StoreFullError):
            store.commit_sale(DAY, build)
        assert store.last_sale() is None
