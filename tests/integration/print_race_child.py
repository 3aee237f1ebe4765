"""One printing process for the print-job race test: the scale's own print worker on edge.toml.

Prints ``ready`` once its store and worker are set up, waits for a line on stdin (the
start gun, so both racers read the queue at the same moment), prints what is pending
once, then one JSON line: ``{"printed": n, "claimer": ...}``.
"""

from __future__ import annotations

import json
import sys

from edge import runtime
from edge.config import load_config


def main(config_path: str) -> int:
    config = load_config(config_path)
    store = runtime.open_store(config)
    worker = runtime.print_worker(config, store)
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        printed = worker.run_once(force=True)
    finally:
        worker.connection.close()
        store.close()
    print(json.dumps({"printed": printed, "claimer": worker.claimer}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
