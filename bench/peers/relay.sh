#!/usr/bin/env bash
# How close Courtyard gets to the engine's limit: the same loadgen run against a bare
# axum + tokio::sync::broadcast WebSocket relay (bench/loadgen/src/bin/relay.rs: nothing
# stored, checked or durable) and against Courtyard on SQLite, then the ratio.
#
#   bench/peers/relay.sh [loadgen flags…]
#   bench/peers/relay.sh --concurrency 64 --seconds 15 --listeners 64           # flat out
#   bench/peers/relay.sh --people 10000 --listeners 10000 --concurrency 1 --rate 2 --seconds 15
#
# Each run gets a fresh process (and, for Courtyard, a fresh data directory). Results: one
# JSON line per run in $RESULTS (default /tmp/relay.jsonl) and a table at the end.
# SERVERS ("relay courtyard") picks the runs; honours CARGO_TARGET_DIR.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
RESULTS=${RESULTS:-/tmp/relay.jsonl}
SERVERS=${SERVERS:-"relay courtyard"}
cd "$ROOT"
source "$ROOT/bench/lib.sh"

cargo build --release -p courtyard-host -p courtyard-loadgen
BIN=$TARGET/release/courtyard
LOADGEN=$TARGET/release/loadgen

SERVER_PID=
DATA=
cleanup() {
    stop_pid "$SERVER_PID"
    SERVER_PID=
    if [[ -n $DATA ]]; then
        rm -rf "$DATA"
        DATA=
    fi
}
trap cleanup EXIT

# run SERVER [loadgen flags…]: one fresh server, one loadgen run.
run() {
    local server=$1
    shift
    DATA=$(mktemp -d /tmp/courtyard-relay.XXXXXX)
    local port
    port=$(free_port)
    if [[ $server == relay ]]; then
        "$TARGET/release/relay" --listen "127.0.0.1:$port" 2>"$DATA/server.log" &
    else
        echo "$ADMIN_PASSWORD" | "$BIN" admin bootstrap --email "$ADMIN_EMAIL" --data-dir "$DATA" >/dev/null 2>"$DATA/bootstrap.log"
        "$BIN" serve --listen "127.0.0.1:$port" --data-dir "$DATA" 2>"$DATA/server.log" &
    fi
    SERVER_PID=$!
    wait_healthy "http://127.0.0.1:$port" "$DATA/server.log" "$SERVER_PID"
    echo
    echo "== $server =="
    "$LOADGEN" --url "http://127.0.0.1:$port" \
        --admin-email "$ADMIN_EMAIL" --admin-password "$ADMIN_PASSWORD" \
        --server-pid "$SERVER_PID" --label "$server" --json "$@" | tee "$DATA/report.txt"
    tail -n 1 "$DATA/report.txt" >>"$RESULTS"
    cleanup
}

: >"$RESULTS"
for server in $SERVERS; do
    run "$server" "$@"
done

echo
echo "== summary (machine: $(nproc) cores; $(date); commit $(git -C "$ROOT" log -1 --format=%h)) =="
python3 - "$RESULTS" <<'EOF'
import json, sys
rows = {r["label"]: r for r in (json.loads(l) for l in open(sys.argv[1]) if l.strip())}
head = ["server", "msg/s", "ack p50", "ack p99", "deliv p50", "deliv p99", "deliv max", "missing", "errors", "CPU s", "peak RSS MiB"]
table = [head]
def cell(x):
    return "-" if x is None else str(x)
for name, r in rows.items():
    l, d, s = r["latency_ms"], r.get("delivery_latency_ms") or {}, r.get("server") or {}
    table.append([name, f'{r["throughput_per_s"]:.0f}', cell(l["p50"]), cell(l["p99"]), cell(d.get("p50")),
                  cell(d.get("p99")), cell(d.get("max")), cell(r.get("missing")), str(r["errors"]),
                  cell(s.get("cpu_s")), cell(s.get("peak_rss_mib"))])
w = [max(len(row[i]) for row in table) for i in range(len(head))]
for row in table:
    print("  ".join(c.rjust(w[i]) for i, c in enumerate(row)))
relay, cy = rows.get("relay"), rows.get("courtyard")
if relay and cy and relay["throughput_per_s"]:
    print(f'Courtyard reaches {cy["throughput_per_s"] / relay["throughput_per_s"] * 100:.0f}% of the relay\'s throughput')
    dr, dc = (relay.get("delivery_latency_ms") or {}).get("p99"), (cy.get("delivery_latency_ms") or {}).get("p99")
    if dr and dc:
        print(f"delivery p99: Courtyard {dc} ms, relay {dr} ms ({dc / dr:.1f}×)")
EOF
