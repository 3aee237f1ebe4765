#!/usr/bin/env bash
# Set up (Debian packages, .venv) and run the whole system on this machine:
#   central (SQLite, trace page on http://127.0.0.1:8080) behind its own Mosquitto broker,
#   the payment gateway simulator (WeChat Pay / Alipay / UnionPay on http://127.0.0.1:8090),
#   a virtual weighing module on a pty, a virtual ticket printer, and the scale app,
# then make a test sale, show where its trace page is and how to pay a QR. Stop with Ctrl-C.
#
#   scripts/run.sh             windowed scale app when a display is available, else headless
#   scripts/run.sh --headless  the scale app without windows (type `help` for its commands)
#   scripts/run.sh --check     stop once the test sale is on the trace page (used by the tests)
#   scripts/run.sh --protocol yaohua-tf0 [--headless|--check]
#                              the virtual weighing module speaks that protocol (default mt-sics;
#                              any of: python -m simulator scale --help)
#
# Everything lives in var/ (TRACE_VAR to move it) and starts fresh on every run (but the
# gateway simulator's keys in var/paysim, made once).
# Ports: TRACE_HTTP_PORT (8080), TRACE_BROKER_PORT (18830), TRACE_PRINTER_PORT (9100), TRACE_PAY_PORT (8090).
# TRACE_SCANNER_PORT: a serial barcode scanner's port for the scale app ([stall].scanner_port).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mode=window
[ -n "${DISPLAY:-}" ] || mode=headless
protocol=mt-sics
while [ $# -gt 0 ]; do
    case "$1" in
        --headless) mode=headless ;;
        --check) mode=check ;;
        --protocol) [ $# -ge 2 ] || { echo "run: --protocol needs a name, e.g. --protocol yaohua-tf0" >&2; exit 2; }
            protocol="$2"; shift ;;
        --protocol=*) protocol="${1#--protocol=}" ;;
        *) echo "usage: scripts/run.sh [--headless|--check] [--protocol NAME]" >&2; exit 2 ;;
    esac
    shift
done
./scripts/bootstrap.sh
py="$root/.venv/bin/python"
exec 3<&0  # this terminal, for the headless scale's console (a background job's stdin is /dev/null)
var="$(mkdir -p "${TRACE_VAR:-var}" && cd "${TRACE_VAR:-var}" && pwd)"
http_port="${TRACE_HTTP_PORT:-8080}"
broker_port="${TRACE_BROKER_PORT:-18830}"
printer_port="${TRACE_PRINTER_PORT:-9100}"
pay_port="${TRACE_PAY_PORT:-8090}"
rm -rf "$var/central" "$var/broker" "$var/run" "$var/tickets" "$var/edge.db"* "$var/device_key.pem"
mkdir -p "$var/central" "$var/broker" "$var/run" "$var/tickets"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }
central() { "$py" -m central "$@"; }
export CENTRAL_DB="sqlite:///$var/central/central.db" CENTRAL_KEY="$var/central/central-key.pem"

# background NAME COMMAND...: start it, logging to var/run/NAME.log; its stdout to var/run/NAME.out
background() {
    local name="$1"; shift
    "$@" >"$var/run/$name.out" 2>"$var/run/$name.log" </dev/null &
    pids+=("$!")
}
wait_line() {  # wait until var/run/NAME.out has its first line (the simulators print their address)
    for _ in $(seq 100); do [ -s "$var/run/$1.out" ] && { head -n1 "$var/run/$1.out"; return; }; sleep 0.1; done
    echo "run: $1 did not start; see $var/run/$1.log" >&2; exit 1
}
wait_port() {
    for _ in $(seq 100); do "$py" -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2)" \
        2>/dev/null && return; sleep 0.1; done
    echo "run: nothing listens on 127.0.0.1:$1; see $var/run/$2.log" >&2; exit 1
}

step "the scale's configuration: $var/edge.toml"
sed -e "s#\"\\.\\./var/#\"$var/#g" \
    -e "s#\"catalog.json\"#\"$root/examples/catalog.json\"#" \
    -e "s#\"operators.json\"#\"$root/examples/operators.json\"#" \
    -e "s#tcp:127.0.0.1:9100#tcp:127.0.0.1:$printer_port#" \
    -e "s#http://127.0.0.1:8080#http://127.0.0.1:$http_port#" \
    -e "s#^protocol = \"mt-sics\"#protocol = \"$protocol\"#" \
    examples/edge.toml >"$var/edge.toml"
if [ -n "${TRACE_SCANNER_PORT:-}" ]; then  # a serial scanner (e.g. python -m simulator scanner) for goods-in and cards
    sed -i "s|^# scanner_port = .*|scanner_port = \"$TRACE_SCANNER_PORT\"|" "$var/edge.toml"
fi
scale_key="$("$py" -m edge key --config "$var/edge.toml" --json | "$py" -c 'import json,sys; print(json.load(sys.stdin)["public_key"])')"

step "central: market, merchant, scale and catalog registered"
central init >/dev/null
central market add --id lz-zhangye-rd --node 620102 --name "兰州市城关区张掖路农贸市场" --city 兰州 >/dev/null
central merchant add --id M0001 --market lz-zhangye-rd --stall A-12 --display-name 老王蔬菜 \
    --real-name 王大伟 --id-number 620102198001011234 --phone 13900000000 >/dev/null
scale_pw="$(central scale add --id 620102-001 --market lz-zhangye-rd --no 1 --public-key "$scale_key" \
    --merchant M0001 | sed -n 's/.*MQTT password: \([^ ]*\).*/\1/p')"
central_pw="$(central mqtt-user add | sed -n 's/.*MQTT password: \([^ ]*\).*/\1/p')"
central catalog import --market lz-zhangye-rd --file examples/catalog.json >/dev/null
central batch import --merchant M0001 --file examples/catalog.json >/dev/null
central_key="$(central key | tail -n1 | awk '{print $NF}')"
[ -n "$scale_pw" ] && [ -n "$central_pw" ] || { echo "run: central did not issue MQTT passwords" >&2; exit 1; }
cat >>"$var/edge.toml" <<EOF

[sync]
broker_url = "mqtt://127.0.0.1:$broker_port"
password = "$scale_pw"
central_public_key = "$central_key"
EOF

step "broker: Mosquitto on 127.0.0.1:$broker_port with one login per scale and an ACL"
user_flag=()
[ "$(id -u)" -eq 0 ] && user_flag=(--user root)
central mosquitto --dir "$var/broker" --listen "127.0.0.1:$broker_port" "${user_flag[@]}" >/dev/null
background broker mosquitto -c "$var/broker/mosquitto.conf"
wait_port "$broker_port" broker
mqtt="mqtt://central:$central_pw@127.0.0.1:$broker_port"
# the market office's commands (batch stop-sale, scale lock, publish ...) need central's login
(umask 077; printf 'export CENTRAL_DB=%q CENTRAL_KEY=%q CENTRAL_MQTT=%q\n' "$CENTRAL_DB" "$CENTRAL_KEY" "$mqtt" \
    >"$var/central/env.sh")

step "payment gateway simulator on http://127.0.0.1:$pay_port (the merchant's accounts imported at central)"
background paysim "$py" -m simulator payment --listen "127.0.0.1:$pay_port" --state "$var/paysim"
wait_line paysim >/dev/null
central payment-account import "$var/paysim/accounts.json" --merchant M0001

step "central: receiver, payments and trace page on http://127.0.0.1:$http_port"
background central "$py" -m central serve --mqtt "$mqtt" --http "127.0.0.1:$http_port" \
    --key "$CENTRAL_KEY" --public-url "http://127.0.0.1:$http_port"
wait_port "$http_port" central
central publish catalog --market lz-zhangye-rd --mqtt "$mqtt" >/dev/null
central publish batches --scale 620102-001 --mqtt "$mqtt" >/dev/null

step "simulated hardware"
# its control socket: the headless console's put/remove/unstable drive the platter (the demo stops then)
export TRACE_SCALE_CONTROL="$var/run/scale.ctl"
background scale "$py" -m simulator scale --protocol "$protocol" --link pty --dir "$var/run" --scenario demo \
    --control "$TRACE_SCALE_CONTROL"
echo "weighing module ($protocol): $(wait_line scale)"
background printer "$py" -m simulator printer --listen "tcp:127.0.0.1:$printer_port" --out "$var/tickets"
echo "ticket printer: $(wait_line printer) -> tickets in $var/tickets/"

step "a test sale of PLU 1001 (白菜) from the stable weight"
sale="$("$py" -m edge sell --config "$var/edge.toml" --plu 1001 --wait 20 --json)"
code="$(echo "$sale" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["trace_code"])')"
echo "trace code $code; ticket: $(ls -1 "$var"/tickets/*.png | tail -n1)"

step "the scale app ($mode) uploads the sale"
if [ "$mode" = window ]; then
    background edge "$py" -m edge run --config "$var/edge.toml"
elif [ "$mode" = headless ]; then  # its console is this terminal: type commands, see the answers
    "$py" -m edge run --config "$var/edge.toml" --headless <&3 2>"$var/run/edge.log" &
    pids+=("$!")
else
    background edge "$py" -m edge run --config "$var/edge.toml" --headless
fi
url="http://127.0.0.1:$http_port/t/$code"
for _ in $(seq 300); do
    "$py" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "$url" 2>/dev/null && break
    sleep 0.2
done
"$py" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "$url" \
    || { echo "run: the sale did not reach central; see $var/run/edge.log and central.log" >&2; exit 1; }
echo "the customer's trace page: $url"
[ "$mode" = check ] && exit 0

step "pay a QR: the gateway simulator plays the customer's phone"
pay="http://127.0.0.1:$pay_port"
cat <<EOF
Sell with 微信 / 支付宝 / 云闪付 (headless: \`plu 1001\` then \`pay wechat\`; \`status\` prints the QR's text).
The customer screen shows the QR; pay it and the ticket prints:
  curl -s $pay/sim/orders                          # every order, its order_id and qr_content
  curl -s -X POST $pay/sim/orders/ORDER_ID/pay     # the customer pays that order
  curl -s -X POST $pay/sim/scan -d '{"qr_content": "QR TEXT", "action": "pay"}'   # or scans the QR's text
EOF
[ "$mode" = headless ] && echo "The scale's console reads this terminal: type help for its commands;" \
    "put 1235 / remove / unstable put goods on the simulated platter (the demo loop stops)."
echo "Market office commands (python -m central ...): first \`. $var/central/env.sh\` (database, key, MQTT login)."
echo "running; press Ctrl-C (or quit the scale) to stop. Logs in $var/run/."
wait -n "${pids[@]}"  # the scale quit or a part died: stop the rest (cleanup on EXIT)
