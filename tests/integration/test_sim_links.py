"""The virtual weighing module over real ptys and TCP sockets, opened with pyserial.

Waits use generous timeouts and poll for the expected bytes; nothing asserts on speed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import serial

from simulator.scale import PtyLink, TcpLink, VirtualScale

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 10.0


def wait_for(condition: Callable[[], object], timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def read_until(port: serial.SerialBase, wanted: bytes, timeout: float = WAIT_S) -> bytes:
    """Read until ``wanted`` has arrived; return everything read."""
    data = bytearray()
    deadline = time.monotonic() + timeout
    while wanted not in data:
        if time.monotonic() > deadline:
            raise AssertionError(f"{wanted!r} not received; got {bytes(data[-200:])!r}")
        data += port.read(max(1, port.in_waiting))
    return bytes(data)


def ask(port: serial.SerialBase, command: bytes) -> bytes:
    port.write(command)
    return port.readline()


@pytest.fixture
def pty_link(tmp_path: Path) -> Iterator[Callable[..., PtyLink]]:
    links: list[PtyLink] = []

    def make(protocol: str, **kwargs: object) -> PtyLink:
        link = PtyLink(VirtualScale(protocol, seed=1, **kwargs), directory=tmp_path)
        links.append(link)
        return link.start()

    yield make
    for link in links:
        link.stop()


@pytest.fixture
def tcp_link() -> Iterator[Callable[..., TcpLink]]:
    links: list[TcpLink] = []

    def make(protocol: str, **kwargs: object) -> TcpLink:
        link = TcpLink(VirtualScale(protocol, seed=1, **kwargs), "127.0.0.1", 0)
        links.append(link)
        return link.start()

    yield make
    for link in links:
        link.stop()


# --- pty ------------------------------------------------------------------------------------


def test_pty_mt_sics_answers_commands(pty_link) -> None:
    link = pty_link("mt-sics")
    assert os.path.islink(link.path) and os.readlink(link.path) == link.device
    with serial.Serial(link.path, timeout=5) as port:
        assert ask(port, b"SI\r\n") == b"S S      0.000 kg\r\n"
        link.sim.put(1235)
        assert ask(port, b"S\r\n") == b"S S      1.235 kg\r\n"  # S waits for the module to settle
        assert ask(port, b"T\r\n") == b"T S      1.235 kg\r\n"
        assert ask(port, b"SI\r\n") == b"S S      0.000 kg\r\n"
        assert ask(port, b"TAC\r\n") == b"TAC A\r\n"
        assert ask(port, b"HELLO\r\n") == b"ES\r\n"


def test_pty_toledo_8217_answers_single_bytes(pty_link) -> None:
    link = pty_link("toledo-8217", e_g=1)
    link.sim.put(1234)
    wait_for(link.sim.settled)
    with serial.Serial(link.path, timeout=5) as port:
        port.write(b"W")
        assert port.read(8) == b"\x0201.234\r"
        port.write(b"C")
        assert port.read(4) == b"\x02?\x40\r"


@pytest.mark.parametrize(
    "protocol",
    [
        "toledo-continuous",
        "toledo-continuous-nocs",
        "ascii-stgs",
        "binary-ff",
        "yaohua-tf0",
        "yaohua-eq-reversed",
        "yaohua-eq-forward",
        "yaohua-a12e",
        "yaohua-ww",
        "aclas-os2x",
    ],
)
def test_pty_streams_frames(pty_link, protocol: str) -> None:
    link = pty_link(protocol, rate_hz=50)
    link.sim.put(1235)
    wait_for(link.sim.settled)
    with serial.Serial(link.path, timeout=1) as port:
        data = read_until(port, link.sim.weight_frame() * 3)
    if protocol == "toledo-continuous":
        frames = [b"\x02" + chunk for chunk in data.split(b"\x02")[1:] if len(chunk) == 17]
        assert frames and all(sum(frame) & 0x7F == 0 for frame in frames)


def test_pty_unplug_and_replug(pty_link) -> None:
    link = pty_link("binary-ff", rate_hz=50)
    frame = link.sim.weight_frame()
    first_device = link.device
    with serial.Serial(link.path, timeout=1) as port:
        read_until(port, frame)
        link.unplug()
        assert not os.path.lexists(link.path)
        with pytest.raises(serial.SerialException):  # the adapter is gone under the open port
            deadline = time.monotonic() + WAIT_S
            while time.monotonic() < deadline:
                port.read(100)
    with pytest.raises(serial.SerialException):
        serial.Serial(link.path)
    link.replug()
    assert os.path.islink(link.path) and link.device
    link.sim.put(500)
    wait_for(link.sim.settled)
    with serial.Serial(link.path, timeout=1) as port:
        read_until(port, link.sim.weight_frame())
    assert first_device  # the pts number may or may not be reused; the path is what stays


def test_pty_silence(pty_link) -> None:
    link = pty_link("mt-sics")
    with serial.Serial(link.path, timeout=0.5) as port:
        link.silence(3.0)
        assert ask(port, b"SI\r\n") == b""  # lost, like a module that hangs
        wait_for(lambda: not link.sim.silenced())
        port.timeout = 5
        assert ask(port, b"SI\r\n") == b"S S      0.000 kg\r\n"


def test_pty_faults_reach_the_wire(pty_link) -> None:
    link = pty_link("toledo-continuous")
    link.pause_stream()
    with serial.Serial(link.path, timeout=5) as port:
        time.sleep(0.1)
        port.reset_input_buffer()
        link.sim.inject("bad-checksum")
        sent, _ = link.send_now()
        received = port.read(18)
        assert received == sent and sum(received) & 0x7F != 0
        link.sim.inject("garbage")
        sent, _ = link.send_now()
        assert port.read(len(sent)) == sent and sent.endswith(link.sim.weight_frame())
        assert b"\x02" not in sent[:-18]


def test_send_now_with_stream_paused(pty_link) -> None:
    link = pty_link("binary-ff", rate_hz=200)
    link.pause_stream()
    link.sim.put(1235)
    wait_for(link.sim.settled)
    with serial.Serial(link.path, timeout=0.3) as port:
        time.sleep(0.1)
        port.reset_input_buffer()
        before = time.perf_counter_ns()
        frame, sent_ns = link.send_now()
        assert frame == b"\xff\x43\x35\x12\x00\x00"
        assert before <= sent_ns <= time.perf_counter_ns()
        assert port.read(100) == frame  # exactly one frame: streaming is paused
        link.resume_stream()
        port.timeout = 1
        read_until(port, frame * 2)


def test_polled_send_now_sends_the_weight_answer(pty_link) -> None:
    link = pty_link("mt-sics")
    with serial.Serial(link.path, timeout=5) as port:
        frame, _ = link.send_now()
        assert port.readline() == frame == b"S S      0.000 kg\r\n"


# --- tcp ------------------------------------------------------------------------------------


def test_tcp_mt_sics(tcp_link) -> None:
    link = tcp_link("mt-sics")
    assert link.url == f"socket://127.0.0.1:{link.port}" and link.port
    port = serial.serial_for_url(link.url, timeout=5)
    try:
        link.sim.put(1235)
        assert ask(port, b"S\r\n") == b"S S      1.235 kg\r\n"
    finally:
        port.close()


def test_tcp_streams_and_survives_reconnects(tcp_link) -> None:
    link = tcp_link("binary-ff", rate_hz=50)
    frame = link.sim.weight_frame()
    for _ in range(2):  # one host after the other
        port = serial.serial_for_url(link.url, timeout=1)
        try:
            read_until(port, frame * 2)
        finally:
            port.close()


def test_tcp_unplug_and_replug(tcp_link) -> None:
    link = tcp_link("ascii-stgs", rate_hz=50)
    port = serial.serial_for_url(link.url, timeout=1)
    try:
        read_until(port, link.sim.weight_frame())
        link.unplug()
        with pytest.raises(serial.SerialException):
            deadline = time.monotonic() + WAIT_S
            while time.monotonic() < deadline:
                port.read(100)
    finally:
        port.close()
    with pytest.raises(serial.SerialException):
        serial.serial_for_url(link.url, timeout=1)
    link.replug()
    port = serial.serial_for_url(link.url, timeout=1)
    try:
        read_until(port, link.sim.weight_frame())
    finally:
        port.close()


def test_send_now_without_host_raises(tcp_link) -> None:
    link = tcp_link("binary-ff")
    with pytest.raises(ConnectionError):
        link.send_now()


# --- the CLI as a subprocess ----------------------------------------------------------------


def start_cli(*args: str, stdin: int | None = subprocess.PIPE) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "simulator", "scale", *args],
        cwd=ROOT,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop_cli(process: subprocess.Popen[str]) -> tuple[int, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=WAIT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return process.returncode, err


def ask_until(port: serial.SerialBase, command: bytes, wanted: bytes) -> None:
    deadline = time.monotonic() + WAIT_S
    while ask(port, command) != wanted:
        assert time.monotonic() < deadline, f"never answered {wanted!r}"
        time.sleep(0.05)


def test_cli_prints_pty_path_first_and_takes_stdin_commands(tmp_path: Path) -> None:
    process = start_cli("--protocol", "mt-sics", "--link", "pty", "--dir", str(tmp_path), "--seed", "1")
    try:
        assert process.stdout is not None and process.stdin is not None
        path = process.stdout.readline().strip()
        assert path == str(tmp_path / "scale0") and os.path.islink(path)
        process.stdin.write("put 1235\n")
        process.stdin.flush()
        with serial.Serial(path, timeout=5) as port:
            ask_until(port, b"S\r\n", b"S S      1.235 kg\r\n")
            process.stdin.write("overload\n")
            process.stdin.flush()
            ask_until(port, b"SI\r\n", b"S +\r\n")
        process.stdin.write("quit\n")
        process.stdin.flush()
        assert process.wait(timeout=WAIT_S) == 0
    finally:
        code, err = stop_cli(process)
    assert code == 0, err
    assert "mt-sics" in err and not os.path.lexists(tmp_path / "scale0")


def test_cli_keeps_serving_without_stdin(tmp_path: Path) -> None:
    process = start_cli(
        "--protocol", "ascii-stgs", "--dir", str(tmp_path), "--scenario", "static:1235", stdin=subprocess.DEVNULL
    )
    try:
        assert process.stdout is not None
        path = process.stdout.readline().strip()
        time.sleep(0.5)
        assert process.poll() is None, "stdin at EOF must not stop the simulator"
        with serial.Serial(path, timeout=1) as port:
            read_until(port, b"ST,GS,+001.235kg\r\n")
    finally:
        code, err = stop_cli(process)
    assert code == 0, err


def test_cli_tcp_prints_url(tmp_path: Path) -> None:
    process = start_cli(
        "--protocol", "toledo-8217", "--link", "tcp:127.0.0.1:0", "--e-g", "2", "--scenario", "static:1234"
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("socket://127.0.0.1:") and not url.endswith(":0")
        port = serial.serial_for_url(url, timeout=5)
        try:
            deadline = time.monotonic() + WAIT_S
            while (answer := (port.write(b"W"), port.read_until(b"\r"))[1]) != b"\x0201.234\r":
                assert time.monotonic() < deadline, answer
                time.sleep(0.05)
        finally:
            port.close()
    finally:
        code, err = stop_cli(process)
    assert code == 0, err


def test_cli_rejects_bad_arguments_clearly() -> None:
    process = start_cli("--protocol", "mt-sics", "--link", "udp:1")
    _, err = process.communicate(timeout=WAIT_S)
    assert process.returncode == 2
    assert "tcp:HOST:PORT" in err
