"""The headless console's link to the scale simulator's control socket (a development setup).

``scripts/run.sh`` starts ``python -m simulator scale --control var/run/scale.ctl`` and
gives the scale app the same path in ``TRACE_SCALE_CONTROL``; the console then forwards
``put GRAMS``, ``remove``, ``unstable [SECONDS]`` and ``sim COMMAND`` there, so one
terminal both weighs and sells. A real scale has no such socket: the commands say so.
(The socket and its commands: simulator/scale/control.py.)
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

CONTROL_ENV = "TRACE_SCALE_CONTROL"
FORWARDED = ("put", "remove", "unstable")  # console words sent as they are; "sim X" sends X


def control_path() -> Path | None:
    value = os.environ.get(CONTROL_ENV, "")
    return Path(value) if value else None


def send(path: Path | None, line: str, timeout_s: float = 5.0) -> str:
    """The simulator's answer to ``line`` (an ``ok:``/``error:`` line); never raises."""
    if path is None:
        return (
            f"error: no scale simulator to drive ({CONTROL_ENV} is not set): put/remove/unstable/sim work "
            "under scripts/run.sh; on a real scale put the goods on the platter"
        )
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout_s)
            sock.connect(str(path))
            sock.sendall(line.strip().encode("utf-8") + b"\n")
            answer = sock.makefile("r", encoding="utf-8").readline().strip()
    except OSError as exc:
        return f"error: the scale simulator at {path} does not answer ({exc}); is it running?"
    if not answer.startswith(("ok:", "error:")):  # the simulator's own words (e.g. "refused: ...")
        answer = f"{'error' if answer.startswith('refused') else 'ok'}: {answer or '-'}"
    return answer
