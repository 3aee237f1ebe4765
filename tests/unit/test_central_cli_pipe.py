"""`python -m central ... | head`: a reader that stops early is no error (README's market
office pipes `batch list` and `prices` into other tools)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def central(db: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "central", *args, "--db", f"sqlite:///{db}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=True, **kwargs)  # fmt: skip


def test_a_closed_pipe_ends_the_listing_quietly(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    central(db, "init")
    for n in range(3):
        central(db, "market", "add", "--id", f"m{n}", "--node", f"62010{n}", "--name", f"市场{n}")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (`head -n0`) is gone before the first line
    proc = subprocess.run(
        [sys.executable, "-m", "central", "market", "list", "--db", f"sqlite:///{db}"],
        cwd=ROOT, stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60,
    )  # fmt: skip
    os.close(write_end)
    assert (proc.returncode, proc.stderr) == (0, "")
