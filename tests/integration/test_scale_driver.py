"""The driver over real ptys (and TCP) against the virtual weighing module."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from edge.core.reading import Reading
from edge.scale_driver.driver import DriverError, LinkState, ScaleDriver
from edge.scale_driver.probe import probe
from edge.scale_driver.protocols import PROTOCOLS
from simulator.scale import PtyLink, TcpLink, VirtualScale

pytestmark = pytest.mark.integration

ALL = sorted(PROTOCOLS)


class Collector:
    """Readings and link states as the driver delivers them."""

    def __init__(self, driver: ScaleDriver) -> None:
        self.readings: list[Reading] = []
        self.states: list[LinkState] = []
        self._cond = threading.Condition()
        driver.subscribe(self._on_reading)
        driver.subscribe_status(self._on_status)

    def _on_reading(self, reading: Reading) -> None:
        with self._cond:
            self.readings.append(reading)
            self._cond.notify_all()

    def _on_status(self, status) -> None:
        with self._cond:
            self.states.append(status.state)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def stable_weight(self, net_g: int, timeout: float = 5.0) -> bool:
        return self.wait_for(
            lambda: any(r.stable and r.has_weight and r.net_g == net_g for r in self.readings[-5:]), timeout
        )


@pytest.fixture
def rig(tmp_path) -> Iterator[Callable[..., tuple[VirtualScale, PtyLink, ScaleDriver, Collector]]]:
    started: list[tuple[PtyLink, ScaleDriver]] = []

    def make(protocol: str, **driver_args) -> tuple[VirtualScale, PtyLink, ScaleDriver, Collector]:
        sim = VirtualScale(protocol, seed=7, rate_hz=50, settle_s=0.3)
        link = PtyLink(sim, directory=tmp_path).start()
        driver = ScaleDriver(link.path, protocol, **driver_args)
        collector = Collector(driver)
        driver.start()
        started.append((link, driver))
        return sim, link, driver, collector

    yield make
    for link, driver in started:
        driver.stop()
        link.stop()


@pytest.mark.parametrize("protocol", ALL)
def test_reads_a_settled_load_in_grams(rig, protocol):
    sim, _link, _driver, got = rig(protocol)
    sim.put(1235)
    assert got.stable_weight(1235), f"no stable 1235 g reading; last: {got.readings[-3:]}"
    reading = next(r for r in reversed(got.readings) if r.stable)
    assert (reading.gross_g, reading.overload, reading.underload, reading.zero) == (1235, False, False, False)
    assert reading.raw  # the technician's raw-frame view has the frame


# Formats whose frame has no overload code (docs/protocols.md): they send the value, and the
# core flags any gross above Max as overload.
NO_OVERLOAD_CODE = {"yaohua-tf0", "yaohua-eq-reversed", "yaohua-eq-forward", "yaohua-ww"}


@pytest.mark.parametrize("protocol", ALL)
def test_overload_is_reported_without_a_weight(rig, protocol):
    sim, _link, _driver, got = rig(protocol)
    sim.overload()
    if protocol in NO_OVERLOAD_CODE:
        assert got.wait_for(lambda: any(r.has_weight and r.gross_g > sim.max_g for r in got.readings))
    else:
        assert got.wait_for(lambda: any(r.overload and not r.has_weight for r in got.readings))


@pytest.mark.parametrize(
    "protocol", ["toledo-continuous", "binary-ff", "ascii-stgs", "mt-sics", "yaohua-tf0", "yaohua-ww", "aclas-os2x"]
)
def test_garbage_and_corruption_never_stop_the_readings(rig, protocol):
    sim, _link, driver, got = rig(protocol)
    sim.put(500)
    assert got.stable_weight(500)
    for kind in ("garbage", "truncate", "corrupt"):
        sim.inject(kind, count=3)
    count = len(got.readings)
    assert got.wait_for(lambda: len(got.readings) > count + 10)
    assert got.stable_weight(500)
    assert driver.parser.stats.rejected + driver.parser.stats.discarded_bytes > 0


@pytest.mark.parametrize("protocol", ["mt-sics", "toledo-8217"])
def test_polled_zero_tare_and_clear_tare_commands(rig, protocol):
    sim, _link, driver, got = rig(protocol)
    sim.put(300)
    assert got.stable_weight(300)
    assert driver.tare().ok
    assert got.wait_for(lambda: got.readings[-1].has_weight and got.readings[-1].net_g == 0)
    assert driver.clear_tare().ok
    assert got.stable_weight(300)
    sim.remove()
    assert got.wait_for(lambda: sim.settled() and got.readings[-1].stable)
    assert driver.zero().ok


def test_streaming_protocol_has_no_module_commands(rig):
    _sim, _link, driver, _got = rig("binary-ff")
    with pytest.raises(DriverError, match="no zero command"):
        driver.zero()


@pytest.mark.parametrize("protocol", ["binary-ff", "mt-sics"])
def test_unplug_reports_disconnected_and_replug_reconnects(rig, protocol):
    sim, link, driver, got = rig(protocol, reconnect_max_s=0.5)
    sim.put(700)
    assert got.stable_weight(700)
    link.unplug()
    assert got.wait_for(lambda: LinkState.DISCONNECTED in got.states)
    assert driver.status.text("zh").startswith("称重模块已断开")
    before = len(got.readings)
    link.replug()
    assert got.wait_for(lambda: len(got.readings) > before and got.states[-1] is LinkState.ONLINE)
    assert got.stable_weight(700)


def test_silence_is_reported_as_no_data_then_recovers(rig):
    sim, link, driver, got = rig("toledo-continuous", silence_s=0.3)
    sim.put(900)
    assert got.stable_weight(900)
    link.silence(1.0)
    assert got.wait_for(lambda: LinkState.NO_DATA in got.states)
    assert "无数据" in driver.status.text("zh")
    assert got.wait_for(lambda: got.states[-1] is LinkState.ONLINE)


def test_driver_over_tcp_url():
    sim = VirtualScale("ascii-stgs", seed=3, rate_hz=50, settle_s=0.2)
    with TcpLink(sim) as link:
        driver = ScaleDriver(link.url, "ascii-stgs")
        got = Collector(driver)
        with driver:
            sim.put(2000)
            assert got.stable_weight(2000)


@pytest.mark.parametrize("protocol", ALL)
def test_probe_finds_each_protocol(tmp_path, protocol):
    sim = VirtualScale(protocol, seed=1, rate_hz=20, settle_s=0.2)
    sim.put(1235)
    while not sim.settled():
        time.sleep(0.02)
    with PtyLink(sim, directory=tmp_path) as link:
        result = probe(link.path, bauds=(9600,))
    assert result is not None and result.protocol == protocol and result.baud == 9600
    assert result.alternatives == ()
    assert f'protocol = "{protocol}"' in result.to_toml()
    assert result.last_reading.startswith("1.235 kg")


def test_probe_on_a_silent_port_finds_nothing(tmp_path):
    sim = VirtualScale("binary-ff", seed=1)
    with PtyLink(sim, directory=tmp_path) as link:
        link.silence(30)
        assert probe(link.path, bauds=(9600,), listen_s=0.3) is None


def _start_simulator(protocol: str, directory) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "scale",
            "--protocol",
            protocol,
            "--link",
            "pty",
            "--dir",
            str(directory),
            "--scenario",
            "static:1235",
            "--rate",
            "50",
        ],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def test_cli_scale_read_json_from_simulator_process(tmp_path):
    proc, path = _start_simulator("toledo-continuous", tmp_path)
    try:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "edge",
                "scale",
                "read",
                "--port",
                path,
                "--protocol",
                "toledo-continuous",
                "--count",
                "40",
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.splitlines()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    rows = [json.loads(line) for line in out]
    assert len(rows) == 40
    assert {"gross_g", "net_g", "tare_g", "stable", "overload", "underload", "zero"} <= rows[0].keys()
    assert any(r["stable"] and r["net_g"] == 1235 for r in rows)


def test_cli_scale_probe_prints_the_configuration(tmp_path):
    proc, path = _start_simulator("mt-sics", tmp_path)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "edge", "scale", "probe", "--port", path, "--baud", "9600"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert done.returncode == 0, done.stderr
    assert 'protocol = "mt-sics"' in done.stdout and "baud = 9600" in done.stdout


def test_cli_scale_read_on_a_missing_port_says_what_to_check(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "edge",
            "scale",
            "read",
            "--port",
            str(tmp_path / "nope"),
            "--protocol",
            "binary-ff",
            "--timeout",
            "1.5",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "no reading" in done.stderr and "probe" in done.stderr
    assert "称重模块已断开" in done.stderr


def test_readings_arrive_while_polling_fast(rig):
    sim, _link, _driver, got = rig("mt-sics", poll_interval_s=0.02)
    sim.put(100)
    start = time.monotonic()
    assert got.wait_for(lambda: len(got.readings) >= 20)
    assert time.monotonic() - start < 30  # generous: only proves polling keeps going


class _JsonReader:
    """``python -m edge scale read --json`` as a child process; its rows, collected as they come."""

    def __init__(self, port: str, protocol: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edge", "scale", "read", "--port", port, "--protocol", protocol, "--json",
             "--timeout", "30"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        self.rows: list[dict] = []
        self._cond = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.rows.append(json.loads(line))
                self._cond.notify_all()

    def wait_for(self, predicate: Callable[[dict], bool], since: int = 0, timeout: float = 15.0) -> int:
        """Index of the first row from ``since`` on that fits, waiting for it."""
        with self._cond:
            found: list[int] = []

            def fits() -> bool:
                found[:] = [i for i in range(since, len(self.rows)) if predicate(self.rows[i])][:1]
                return bool(found)

            assert self._cond.wait_for(fits, timeout), f"no such row; last: {self.rows[-3:]}"
            return found[0]

    def wait_run(self, predicate: Callable[[dict], bool], count: int = 10, since: int = 0) -> int:
        """End of the first run of ``count`` consecutive fitting rows: the module has settled.

        A format without a motion flag calls two equal frames stable, and the simulator's
        noise holds a value for two frames at 50 frames/s: a key pressed then could meet a
        module still in motion, which refuses it.
        """
        at = since
        while True:
            at = self.wait_for(predicate, since=at)
            end = self.wait_for(lambda r: True, since=at + count - 1)
            if all(predicate(r) for r in self.rows[at : end + 1]):
                return end
            at += 1

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _stable(net_g: int) -> Callable[[dict], bool]:
    return lambda r: r["stable"] and r["has_weight"] and r["net_g"] == net_g


@pytest.mark.parametrize("protocol", ALL)
def test_scale_read_json_over_a_pty_reads_every_state(tmp_path, protocol):
    """Issue 13's "done when": stable 1.235 kg, unstable, net, overload, negative; a corrupted frame never shown."""
    sim = subprocess.Popen(
        [sys.executable, "-m", "simulator", "scale", "--protocol", protocol, "--link", "pty", "--dir", str(tmp_path),
         "--rate", "50", "--settle", "0.3"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
    )  # fmt: skip
    assert sim.stdin is not None and sim.stdout is not None
    port = sim.stdout.readline().strip()

    def say(command: str) -> None:
        sim.stdin.write(command + "\n")
        sim.stdin.flush()

    reader = _JsonReader(port, protocol)
    try:
        reader.wait_for(lambda r: True)
        say("put 1235")
        moving = reader.wait_for(lambda r: not r["stable"])  # settling: unstable rows
        at = reader.wait_for(_stable(1235), since=moving)
        row = reader.rows[at]
        assert (row["gross_g"], row["tare_g"], row["overload"], row["underload"]) == (1235, 0, False, False)

        # corrupted frames are refused, never shown: every row while they pass is the clean 1.235 kg
        start = len(reader.rows)
        say("fault corrupt 5")
        end = reader.wait_for(lambda r: True, since=start + 25) + 1
        assert all(r["net_g"] == 1235 for r in reader.rows[start:end] if r["has_weight"])

        say("put 500")  # the container
        container = reader.wait_run(_stable(500))
        say("tare")  # the module's own tare key: the frames now carry the net weight
        tared = reader.wait_for(_stable(0), since=container)
        say("put 1735")
        net_at = reader.wait_for(_stable(1235), since=tared)
        assert reader.rows[net_at]["tare_g"] in (0, 500)  # 500 where the format sends its tare

        say("clear-tare")
        say("overload")
        if protocol in NO_OVERLOAD_CODE:
            reader.wait_for(lambda r: r["has_weight"] and r["gross_g"] > 15_000, since=net_at)
        else:
            reader.wait_for(lambda r: r["overload"] and not r["has_weight"], since=net_at)

        say("put 50")
        light = reader.wait_run(_stable(50))
        say("zero")
        zeroed = reader.wait_for(_stable(0), since=light)
        say("remove")  # below the new zero: a negative weight
        if protocol == "toledo-8217":  # 8217 has no sign: under capacity
            reader.wait_for(lambda r: r["underload"], since=zeroed)
        else:
            reader.wait_for(_stable(-50), since=zeroed)
    finally:
        reader.stop()
        sim.terminate()
        sim.wait(timeout=10)


def test_cli_probe_names_each_new_protocol(tmp_path):
    for protocol in ("yaohua-tf0", "yaohua-a12e", "aclas-os2x"):
        (tmp_path / protocol).mkdir()
        proc, path = _start_simulator(protocol, tmp_path / protocol)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "edge", "scale", "probe", "--port", path, "--baud", "9600"],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        assert done.returncode == 0, done.stderr
        assert f'protocol = "{protocol}"' in done.stdout
        assert "# last reading: 1.235 kg, stable" in done.stdout
