"""`python -m simulator fleet` end to end: real Mosquitto (ACL), real `central serve`, checked counts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_a_small_fleet_reaches_central_exactly_once(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "simulator", "fleet", "--scales", "30", "--markets", "2", "--rate", "60",
           "--duration", "6", "--drain", "30", "--heartbeat", "2", "--procs", "2",
           "--dir", str(tmp_path), "--json"]  # fmt: skip
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-2000:]
    report = json.loads(done.stdout)
    assert report["sold"] > 60  # 30 scales x 1/s x 6 s, Poisson
    assert report["at_central"] == report["sold"] == report["acked"]
    assert report["lost"] == 0 and report["duplicates"] == 0 and report["backlog"] == 0
    assert report["not_connected"] == 0 and report["rejects"] == 0
    assert report["statuses_at_central"] == 30  # every scale's heartbeat reached central
    assert report["central_latency_ms"]["max"] >= report["central_latency_ms"]["p50"] >= 0
