#!/usr/bin/env bash
# Runs the deployable `turn-server` example on a random loopback port and points
# coturn's turnutils_uclient at it (UDP with RTP+RTCP reservations, TCP, Send
# indications, TURN REST API credentials, TLS). Fails unless every run reports all its
# messages received and 0 lost.
#
#   tests/interop/scripts/turn_server_uclient.sh [path/to/turn-server]
#
# Without an argument it builds the example (release) first.
set -euo pipefail
cd "$(dirname "$0")/../../.."

bin="${1:-}"
if [[ -z "$bin" ]]; then
    cargo build --release --example turn-server >&2
    bin="${CARGO_TARGET_DIR:-target}/release/examples/turn-server"
fi
command -v turnutils_uclient >/dev/null || { echo "turnutils_uclient missing (apt-get install coturn)" >&2; exit 1; }

port=$((20000 + RANDOM % 20000))
tls_port=$((port + 1))
secret="oxrtc-rest-$RANDOM"
tmp=$(mktemp -d)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost \
    -addext basicConstraints=critical,CA:FALSE \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1
"$bin" --listen "127.0.0.1:$port" --realm oxrtc --user u:p --rest-secret "$secret" \
    --relay-ip 127.0.0.1 --allow-loopback-peers \
    --tls-listen "127.0.0.1:$tls_port" --cert "$tmp/cert.pem" --key "$tmp/key.pem" \
    >"$tmp/log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$tmp"' EXIT
sleep 1

check() {
    local name="$1"; shift
    local out
    out=$(timeout 120 turnutils_uclient -y -n 40 -m 2 "$@" 127.0.0.1 2>&1) || {
        echo "FAIL $name: uclient exited non-zero"; echo "$out" | tail -20; exit 1; }
    local totals lost sent recv
    totals=$(echo "$out" | grep "start_mclient: tot_send_msgs=" | tail -1)
    lost=$(echo "$out" | grep "Total lost packets" | tail -1 | sed -E 's/.*Total lost packets ([0-9]+).*/\1/')
    sent=$(echo "$totals" | sed -E 's/.*tot_send_msgs=([0-9]+).*/\1/')
    recv=$(echo "$totals" | sed -E 's/.*tot_recv_msgs=([0-9]+).*/\1/')
    echo "$name: sent=$sent received=$recv lost=$lost"
    [[ -n "$sent" && "$sent" -ge 80 && "$recv" == "$sent" && "$lost" == 0 ]] || { echo "FAIL $name"; exit 1; }
}

check "udp (rtp+rtcp, EVEN-PORT reservations)" -p "$port" -u u -w p
check "tcp" -p "$port" -t -c -u u -w p
check "udp send indications" -p "$port" -s -c -u u -w p
check "udp REST API credentials" -p "$port" -c -u u -W "$secret"
check "tls" -p "$tls_port" -t -S -c -u u -w p
echo "turn-server example: all uclient runs passed"
