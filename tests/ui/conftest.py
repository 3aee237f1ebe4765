"""UI tests run the real Kivy windows on a private Xvfb display (DESIGN.md, Testing).

Each scenario runs in its own process (`tests/ui/ui_driver.py`): Kivy keeps one window
and one event loop per process, so a subprocess per run is what makes runs independent.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SCREEN = "1920x1080x24"


def _start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is not installed: the UI tests need it (sudo apt-get install xvfb)", pytrace=False)
    # -displayfd: the server picks a free display number itself and writes it to us.
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", SCREEN, "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    os.close(write_fd)
    number = b""
    deadline = time.monotonic() + 60
    while not number.endswith(b"\n") and time.monotonic() < deadline:
        ready, _, _ = select.select([read_fd], [], [], 0.5)
        if ready:
            chunk = os.read(read_fd, 64)
            if not chunk:
                break
            number += chunk
        if proc.poll() is not None:
            break
    os.close(read_fd)
    if not number.strip().isdigit():
        proc.kill()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        pytest.fail(f"Xvfb could not start a display for the UI tests: {err.strip() or 'no display number'}",
                    pytrace=False)
    return proc, f":{number.strip().decode()}"


@pytest.fixture(scope="session")
def xdisplay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment for UI subprocesses: a private X display and a throw-away KIVY_HOME."""
    proc, display = _start_xvfb()
    kivy_home = tmp_path_factory.mktemp("kivy-home")
    env = {
        **os.environ,
        "DISPLAY": display,
        "KIVY_NO_ARGS": "1",
        "KIVY_NO_CONSOLELOG": "1",
        "KIVY_HOME": str(kivy_home),
        "PYTHONUNBUFFERED": "1",
    }
    try:
        yield env
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def ui_artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go (a temporary folder; the path is printed for a human to look at)."""
    return tmp_path_factory.mktemp("ui-artifacts")
