"""SQLite writers queue on the database's writer lock: threads here, other processes too."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from central.db import Database

REPO = Path(__file__).resolve().parents[2]


def _other_process_can_lock(lock_file: Path) -> bool:
    fd = os.open(lock_file, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # also drops the lock if it was taken
    return True


def test_a_write_transaction_holds_the_lock_file_and_a_read_does_not(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'central.db'}")
    lock_file = tmp_path / "central.db-writer.lock"
    with db.connection() as conn:
        conn.execute("CREATE TABLE t (n INTEGER)")
        with conn.transaction():
            conn.execute("INSERT INTO t VALUES (1)")
            assert not _other_process_can_lock(lock_file)
        assert _other_process_can_lock(lock_file)
        with conn.transaction(write=False):
            assert _other_process_can_lock(lock_file)
    db.close()


def test_a_failed_transaction_releases_the_lock(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'central.db'}")
    with db.connection() as conn, pytest.raises(RuntimeError), conn.transaction():
        raise RuntimeError("boom")
    assert _other_process_can_lock(tmp_path / "central.db-writer.lock")
    db.close()


WRITER = """
import sys
from central.db import Database
db = Database(sys.argv[1])
for n in range(int(sys.argv[3])):
    with db.connection() as conn, conn.transaction():
        before = conn.scalar("SELECT COUNT(*) FROM t")
        conn.execute("INSERT INTO t VALUES (?, ?)", (sys.argv[2], before))
db.close()
"""


def test_writers_in_several_processes_take_turns_and_lose_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'central.db'}"
    db = Database(url)
    with db.connection() as conn:
        conn.execute("CREATE TABLE t (who TEXT, seen INTEGER)")
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, url, who, "150"], cwd=REPO, stderr=subprocess.PIPE)
        for who in ("a", "b", "c")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode(errors="replace")
    with db.connection() as conn:
        seen = [row["seen"] for row in conn.all("SELECT seen FROM t ORDER BY rowid")]
    # each transaction saw every earlier one: no two overlapped
    assert seen == list(range(450))
    db.close()
