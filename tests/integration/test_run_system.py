"""The README's run command brings up broker, central, simulators and the scale app, and a
test sale travels from the scale's ticket to the customer's trace page."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from tests.broker import free_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_a_sale_goes_from_the_scale_to_the_trace_page(tmp_path: Path) -> None:
    http_port = free_port()
    env = {
        **os.environ,
        "TRACE_VAR": str(tmp_path / "var"),
        "TRACE_HTTP_PORT": str(http_port),
        "TRACE_BROKER_PORT": str(free_port()),
        "TRACE_PRINTER_PORT": str(free_port()),
        "TRACE_PAY_PORT": str(free_port()),  # not 8090: a scale run by hand may be using it
    }
    proc = subprocess.Popen(
        [str(ROOT / "scripts" / "run.sh"), "--headless"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, start_new_session=True,
    )  # fmt: skip
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 240
        url = ""
        while time.monotonic() < deadline and not url:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if match := re.search(r"trace page: (\S+)", line):
                url = match.group(1)
        assert url, "run.sh never reported the trace page:\n" + "".join(lines)

        [ticket] = sorted((tmp_path / "var" / "tickets").glob("*.png"))
        [qr] = zxingcpp.read_barcodes(Image.open(ticket))
        assert qr.text == url  # the customer's phone opens exactly this page

        page = urllib.request.urlopen(url, timeout=10).read().decode()
        for shown in ("白菜", "1.235", "甘肃榆中", "兰州高原夏菜批发市场", "GS-JY-2026-118273", "A-12", "老王蔬菜"):
            assert shown in page, shown
        for private in ("王大伟", "620102198001011234", "13900000000"):  # real-name data stays private
            assert private not in page

        # the market office's commands reach this system with nothing but run.sh's env.sh (README)
        office = subprocess.run(
            ["bash", "-c", f". {tmp_path / 'var' / 'central' / 'env.sh'} && {sys.executable} "
             "-m central batch stop-sale --batch B20261125-1002 --reason 快检不合格"],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert office.returncode == 0, office.stderr
        assert "sent to 1 scale(s)" in office.stdout
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
