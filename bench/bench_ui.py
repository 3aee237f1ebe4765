"""The windowed scale app: cold start, frame rate on a 50 Hz feed, customer-display lag, memory.

Runs ``python -m edge run`` (merchant window + the customer-display process it spawns)
under Xvfb against a virtual weighing module streaming ``ascii-stgs`` frames at 50 Hz and
the printer simulator, with ``TRACE_UI_PROBE`` set so both processes log markers
(`edge.ui.kivy.probe`): the frame that first shows the weight, frames per second, and
for every customer snapshot the model's publish time and the customer's frame time
(``time.monotonic_ns``: one clock for all processes of the machine).

    python bench/bench_ui.py            # starts its own Xvfb unless DISPLAY is set
    python bench/bench_ui.py --baseline REV   # taps of the 3-line cart on build REV too (default below)

Taps: a vendor's 3-line cart (白菜 weighed, 3 boxes of 鸡蛋, 黄瓜 found by the pinyin
initials ``hg``) then 现金, counted by ``bench/ui_taps_driver.py`` on this tree and on a
baseline build (``git archive`` of REV into a temporary folder, run the same way).

The anchor is a bare Kivy window (one Label) started the same way: what Kivy, SDL2 and
Mesa cost before any of our code runs.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.printer.device import PrinterDevice  # noqa: E402
from simulator.printer.server import PrinterServer  # noqa: E402
from simulator.scale import PtyLink, VirtualScale  # noqa: E402

SIZE = "1024x600"
FEED_HZ = 50
MEASURE_S = 5.0
TARGET_COLD_S = 3.0
TARGET_FPS = 20.0
TARGET_LAG_P99_MS = 50.0
TARGET_RSS_MB = 150.0
# The build before issue 14's selling work (no quantity keys on the touchscreen): "today's build".
BASELINE_REV = "92217d7"

ANCHOR = """
import os, sys, time
from kivy.config import Config
Config.set("graphics", "width", "1024"); Config.set("graphics", "height", "600")
from kivy.app import App
from kivy.uix.label import Label
from kivy.core.window import Window
def flipped(*_):
    rss = [l.split()[1] for l in open(f"/proc/{os.getpid()}/status") if l.startswith("VmRSS:")][0]
    print(time.monotonic_ns(), rss, flush=True)
    os._exit(0)
class A(App):
    def build(self):
        Window.bind(on_flip=flipped)
        return Label(text="1.235")
A().run()
"""


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _start_xvfb() -> tuple[subprocess.Popen[bytes] | None, str]:
    if os.environ.get("DISPLAY"):
        return None, os.environ["DISPLAY"]
    if shutil.which("Xvfb") is None:
        raise SystemExit("error: Xvfb is needed (sudo apt-get install xvfb), or set DISPLAY")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    number = b""
    while not number.endswith(b"\n"):
        ready, _, _ = select.select([read_fd], [], [], 20)
        chunk = os.read(read_fd, 64) if ready else b""
        if not chunk:
            raise SystemExit("error: Xvfb did not start")
        number += chunk
    os.close(read_fd)
    return proc, f":{number.strip().decode()}"


def _memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, USS) in MB: resident, and resident pages no other process shares (smaps_rollup)."""
    rss = uss = 0.0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name == "Rss":
                rss = int(rest.split()[0]) / 1024
            elif name in ("Private_Clean", "Private_Dirty"):
                uss += int(rest.split()[0]) / 1024
    except OSError:
        pass
    return rss, uss


def _events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def _wait_event(path: Path, event: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in _events(path):
            if record.get("event") == event:
                return record
        time.sleep(0.02)
    raise RuntimeError(f"no {event!r} in {path} within {timeout:g} s")


def _config(tmp: Path, port: str, printer_port: int) -> Path:
    path = tmp / "edge.toml"
    path.write_text(
        f"""
[identity]
market_name = "兰州市城关区张掖路农贸市场"
merchant_name = "老王蔬菜"
stall = "A-12"

[scale]
port = "{port}"
protocol = "ascii-stgs"
max_g = 15000
e_g = 5

[printer]
connection = "tcp:127.0.0.1:{printer_port}"

[store]
path = "{tmp / 'edge.db'}"

[catalog]
seed_file = "{ROOT / 'examples' / 'catalog.json'}"

[sync]
broker_url = ""

[display]
size = "{SIZE}"
customer_size = "{SIZE}"
customer_position = "0,0"
customer_socket = "{tmp / 'customer.sock'}"
""",
        encoding="utf-8",
    )
    return path


def anchor_cold_start(env: dict[str, str]) -> tuple[float, float]:
    """Spawn to first frame of a bare Kivy window, and its RSS then (MB)."""
    with tempfile.TemporaryDirectory(prefix="ts-anchor-") as tmp:
        script = Path(tmp) / "anchor.py"  # Kivy's App wants a source file
        script.write_text(ANCHOR, encoding="utf-8")
        start = time.monotonic_ns()
        done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
    words = done.stdout.split()
    if len(words) < 2:
        raise RuntimeError(f"the bare Kivy window did not start: {done.stderr[-2000:]}")
    return (int(words[-2]) - start) / 1e9, int(words[-1]) / 1024


def _earlier_start(config: Path) -> None:
    """A scale has started before with this catalog: its search keys are in its store
    (edge.runtime.catalog), as on every start but the first after a new catalog."""
    from edge import runtime
    from edge.config import load_config

    store = runtime.open_store(load_config(config))
    try:
        runtime.catalog(store)
    finally:
        store.close()


def measure(env: dict[str, str]) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="ts-bench-"))
    probe = tmp / "probe"
    sim = VirtualScale("ascii-stgs", seed=3, settle_s=0.0, rate_hz=FEED_HZ)
    sim.put(1235)
    printer = PrinterDevice(tmp / "tickets")
    with PtyLink(sim, directory=tmp) as link, PrinterServer(printer, "127.0.0.1", 0) as server:
        config = _config(tmp, link.path, server.port)  # type: ignore[attr-defined]
        _earlier_start(config)
        run_env = {**env, "TRACE_UI_PROBE": str(probe)}
        spawn_ns = time.monotonic_ns()
        proc = subprocess.Popen([sys.executable, "-m", "edge", "run", "--config", str(config)], env=run_env,
                                cwd=tmp, stdout=subprocess.DEVNULL, stderr=open(tmp / "app.log", "wb"))  # noqa: SIM115
        try:
            first = _wait_event(probe / "merchant.jsonl", "first_weight", 60)
            cold_s = (first["t_ns"] - spawn_ns) / 1e9
            customer_pid = _wait_event(probe / "customer.jsonl", "start", 30)["pid"]
            _wait_event(probe / "customer.jsonl", "render", 30)

            # A weight that changes with every frame of the 50 Hz stream: every snapshot differs.
            stop = threading.Event()

            def feed() -> None:
                k = 0
                while not stop.wait(1 / FEED_HZ):
                    k += 1
                    sim.put(1000 + 5 * (k % 200))

            feeder = threading.Thread(target=feed, daemon=True)
            feeder.start()
            time.sleep(1.0)  # warm-up
            t_from = time.monotonic_ns()
            mem_m: list[tuple[float, float]] = []
            mem_c: list[tuple[float, float]] = []
            end = time.monotonic() + MEASURE_S
            while time.monotonic() < end:
                mem_m.append(_memory_mb(proc.pid))
                mem_c.append(_memory_mb(customer_pid))
                time.sleep(0.25)
            t_to = time.monotonic_ns()
            stop.set()
            feeder.join()
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
    merchant = _events(probe / "merchant.jsonl")
    customer = _events(probe / "customer.jsonl")
    shutil.rmtree(tmp, ignore_errors=True)

    def fps(records: list[dict[str, Any]]) -> float:
        window = [r["frames"] for r in records if r.get("event") == "fps" and t_from < r["t_ns"] <= t_to]
        return statistics.fmean(window) if window else 0.0

    published = {r["seq"]: r["t_ns"] for r in merchant if r.get("event") == "model" and t_from <= r["t_ns"] <= t_to}
    shown = [r for r in customer if r.get("event") == "render" and r.get("seq") in published]
    lags = [(r["t_ns"] - published[r["seq"]]) / 1e6 for r in shown]
    return {
        "cold_s": cold_s,
        "fps_merchant": fps(merchant),
        "fps_customer": fps(customer),
        "snapshots": len(published),
        "snapshots_shown": len(shown),
        "lag_p50_ms": _percentile(lags, 50) if lags else float("nan"),
        "lag_p99_ms": _percentile(lags, 99) if lags else float("nan"),
        "rss_merchant_mb": max(m[0] for m in mem_m),
        "uss_merchant_mb": max(m[1] for m in mem_m),
        "rss_customer_mb": max(m[0] for m in mem_c),
        "uss_customer_mb": max(m[1] for m in mem_c),
    }


def _taps(env: dict[str, str], tree: Path) -> dict[str, Any]:
    """Run bench/ui_taps_driver.py on ``tree``'s app; its result (taps, cart, total)."""
    with tempfile.TemporaryDirectory(prefix="ts-taps-") as tmp:
        out = Path(tmp) / "out"
        done = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "ui_taps_driver.py"), "--tree", str(tree), "--out", str(out),
             "--size", SIZE],
            env={**env, "PYTHONPATH": str(tree)}, cwd=tree, capture_output=True, text=True, timeout=300,
        )
        path = out / "result.json"
        result = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"error": done.stderr[-2000:]}
    if result.get("error"):
        raise RuntimeError(f"the taps driver failed on {tree}: {result['error']}")
    return result


def tap_counts(env: dict[str, str], baseline: str) -> tuple[dict[str, Any], dict[str, Any] | None, str]:
    """(this tree, the baseline build or None, why the baseline is missing)."""
    mine = _taps(env, ROOT)
    with tempfile.TemporaryDirectory(prefix="ts-baseline-") as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", baseline], capture_output=True, timeout=60)
        if archive.returncode != 0:
            return mine, None, f"baseline {baseline} not found: {archive.stderr.decode(errors='replace').strip()}"
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True, timeout=60)
        return mine, _taps(env, Path(tmp)), ""


def run(baseline: str = BASELINE_REV) -> list[dict[str, Any]]:
    xvfb, display = _start_xvfb()
    home = tempfile.mkdtemp(prefix="ts-kivy-")
    env = {**os.environ, "DISPLAY": display, "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1", "KIVY_HOME": home}
    try:
        anchor, anchor_rss = anchor_cold_start(env)
        m = measure(env)
        mine, base, missing = tap_counts(env, baseline)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(5)
        shutil.rmtree(home, ignore_errors=True)
    rows = [
        {"figure": f"cold start to first weight on screen ({SIZE})", "value": f"{m['cold_s']:.2f} s",
         "anchor": f"bare Kivy window {anchor:.2f} s", "target": f"<= {TARGET_COLD_S:g} s",
         "ok": m["cold_s"] <= TARGET_COLD_S},
        {"figure": f"merchant frames/s on a {FEED_HZ} Hz feed", "value": f"{m['fps_merchant']:.1f}",
         "anchor": f"feed {FEED_HZ} Hz", "target": f">= {TARGET_FPS:g}", "ok": m["fps_merchant"] >= TARGET_FPS},
        {"figure": f"customer display frames/s on a {FEED_HZ} Hz feed", "value": f"{m['fps_customer']:.1f}",
         "anchor": f"feed {FEED_HZ} Hz", "target": f">= {TARGET_FPS:g}", "ok": m["fps_customer"] >= TARGET_FPS},
        {"figure": "merchant -> customer display lag p50 / p99",
         "value": f"{m['lag_p50_ms']:.1f} / {m['lag_p99_ms']:.1f} ms",
         "anchor": f"{m['snapshots_shown']} of {m['snapshots']} snapshots drawn (older ones are skipped)",
         "target": f"p99 <= {TARGET_LAG_P99_MS:g} ms", "ok": m["lag_p99_ms"] <= TARGET_LAG_P99_MS},
        {"figure": "RSS merchant process (max)", "value": f"{m['rss_merchant_mb']:.0f} MB",
         "anchor": f"private {m['uss_merchant_mb']:.0f} MB; bare Kivy window {anchor_rss:.0f} MB",
         "target": f"<= {TARGET_RSS_MB:g} MB", "ok": m["rss_merchant_mb"] <= TARGET_RSS_MB},
        {"figure": "RSS customer-display process (max)", "value": f"{m['rss_customer_mb']:.0f} MB",
         "anchor": f"private {m['uss_customer_mb']:.0f} MB; bare Kivy window {anchor_rss:.0f} MB",
         "target": f"<= {TARGET_RSS_MB:g} MB", "ok": m["rss_customer_mb"] <= TARGET_RSS_MB},
    ]
    lines = len(mine["cart"])
    if base is not None:
        same = base["total_text"] == mine["total_text"]
        anchor_text = (f"build {baseline}: {base['cart_taps']} taps ({len(base['cart'])} lines), "
                       f"{len(base['taps'])} with 现金; same total {base['total_text']}: {same}")
        ok = same and mine["cart_taps"] < base["cart_taps"]
    else:
        anchor_text, ok = missing, False
    rows.append({"figure": "taps for a 3-line cart (weighed 白菜, 3 × 鸡蛋, 黄瓜 by pinyin hg)",
                 "value": f"{mine['cart_taps']} taps ({lines} lines), {len(mine['taps'])} with 现金",
                 "anchor": anchor_text, "target": "fewer than the baseline build", "ok": ok})
    return rows


def figures(rows: list[dict[str, Any]]) -> list:
    """The report's figures (bench/figures.py): the rows as measured (values are already formatted here)."""
    from bench.figures import Figure, verdict

    return [Figure(r["figure"], r["target"], r["value"], r["anchor"], result=verdict(r["ok"])) for r in rows]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default=BASELINE_REV, help=f"git revision for the taps (default {BASELINE_REV})")
    rows = run(parser.parse_args().baseline)
    print("| figure | measured | anchor | target | result |")
    print("| --- | ---: | --- | --- | --- |")
    for row in rows:
        print(f"| {row['figure']} | {row['value']} | {row['anchor']} | {row['target']} | "
              f"{'pass' if row['ok'] else 'short'} |")


if __name__ == "__main__":
    main()
