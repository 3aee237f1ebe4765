"""sd_notify over a real unix datagram socket, as systemd's $NOTIFY_SOCKET receives it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from edge.install.sd_notify import SdNotifier


@pytest.fixture
def systemd_socket(tmp_path: Path):
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    yield path, sock
    sock.close()


def test_ready_and_watchdog_reach_the_socket(systemd_socket, monkeypatch: pytest.MonkeyPatch) -> None:
    path, sock = systemd_socket
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    notifier = SdNotifier()
    assert notifier.enabled
    assert notifier.watchdog_interval_s == pytest.approx(10.0)  # a third of WatchdogSec
    assert notifier.ready("scale app running")
    assert sock.recv(1024) == b"READY=1\nSTATUS=scale app running"
    assert notifier.watchdog()
    assert sock.recv(1024) == b"WATCHDOG=1"
    assert not notifier.watchdog()  # again within the interval: nothing sent
    assert notifier.stopping()
    assert sock.recv(1024) == b"STOPPING=1"
    notifier.close()


def test_abstract_socket_address(monkeypatch: pytest.MonkeyPatch) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = f"trace-scale-test-{id(sock)}"
    sock.bind("\0" + name)
    sock.settimeout(5)
    try:
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        monkeypatch.delenv("WATCHDOG_USEC", raising=False)
        notifier = SdNotifier()
        assert notifier.watchdog()
        assert sock.recv(1024) == b"WATCHDOG=1"
    finally:
        sock.close()


def test_no_notify_socket_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = SdNotifier()
    assert not notifier.enabled
    assert not notifier.ready()
    assert not notifier.watchdog()


def test_a_vanished_systemd_socket_does_not_raise(tmp_path: Path) -> None:
    notifier = SdNotifier(str(tmp_path / "gone.sock"))
    assert notifier.ready() is False


def test_the_headless_app_reports_ready_and_pings_the_watchdog(systemd_socket, tmp_path: Path) -> None:
    """The real app under a systemd-like environment: READY=1 once up, WATCHDOG=1 from its ticker."""
    path, sock = systemd_socket
    config = tmp_path / "edge.toml"
    config.write_text(
        '[scale]\nport = "no-such-tty"\n[printer]\nconnection = "file:tickets.bin"\n'
        '[store]\npath = "edge.db"\n[display]\ncustomer_socket = "customer.sock"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "1500000"}
    env.pop("TRACE_SCALE_ROOT", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge", "run", "--headless", "--config", str(config)],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        sock.settimeout(30)
        got = [sock.recv(1024)]
        while b"WATCHDOG=1" not in got:
            got.append(sock.recv(1024))
        assert got[0].startswith(b"READY=1")
        proc.send_signal(signal.SIGTERM)
        while got[-1] != b"STOPPING=1":
            got.append(sock.recv(1024))
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
