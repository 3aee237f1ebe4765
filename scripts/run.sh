#!/usr/bin/env bash
# Set up (Debian packages, .venv) and run the trace scale against its simulators:
# a virtual weighing module on a pty, a virtual ticket printer on 127.0.0.1:9100,
# live weights on the terminal, a test sale, and its ticket as PNG under var/tickets/.
# Stop with Ctrl-C.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./scripts/bootstrap.sh
py=.venv/bin/python
mkdir -p var/run var/tickets

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# Both simulators print their address on the first line of stdout; wait for it.
start() {  # start NAME COMMAND... ; sets $address
    local out="var/run/$1.out"; shift
    "$@" >"$out" 2>"${out%.out}.log" &
    pids+=("$!")
    for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
    address="$(head -n1 "$out")"
    [ -n "$address" ] || { echo "run: $1 did not start; see ${out%.out}.log" >&2; exit 1; }
}
start scale "$py" -m simulator scale --protocol mt-sics --link pty --dir var/run --scenario demo
echo "weighing module (simulated, MT-SICS): $address"
start printer "$py" -m simulator printer --listen tcp:127.0.0.1:9100 --out var/tickets
echo "ticket printer (simulated): $address  -> tickets in var/tickets/"

echo "--- live weight (demo scenario: 1.235 kg goes on the platter after 3 s) ---"
"$py" -m edge scale read --port var/run/scale0 --protocol mt-sics --changes --count 12 || true

echo "--- a test sale of PLU 1001 (白菜) from the stable weight ---"
"$py" -m edge sell --config examples/edge.toml --plu 1001 --wait 15 || echo "(no sale: see the message above)"
ls -1 var/tickets/*.png 2>/dev/null | tail -n 1 | sed 's/^/ticket image: /'

echo "--- live weight until Ctrl-C ---"
"$py" -m edge scale read --port var/run/scale0 --protocol mt-sics --changes --timeout 0
