#!/usr/bin/env bash
# What hostile plugins cost the host and other tenants: runs every attacking behaviour of
# the hostile test plugin (tests/plugins/hostile) many times against a fresh release server
# on SQLite, while members of another organization post and read history, and reports how
# each call ended, how long it took past the call deadline, the server's memory, the
# bystanders' latency against a quiet baseline, and whether the server survived.
#
#   bench/hostile.sh [hostile flags…]      e.g. --rounds 20 --attackers 2
#
# Honours CARGO_TARGET_DIR. Results: one JSON line per run in $RESULTS (default
# /tmp/hostile.jsonl); the table is printed at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
RESULTS=${RESULTS:-/tmp/hostile.jsonl}
DEADLINE_MS=${DEADLINE_MS:-2000}
cd "$ROOT"
source "$ROOT/bench/lib.sh"

rustup target add wasm32-wasip2 >/dev/null 2>&1 || true
cargo build --release -p courtyard-host -p courtyard-loadgen
cargo build --release --target wasm32-wasip2 -p courtyard-plugin-hostile
BIN=$TARGET/release/courtyard

DATA=$(mktemp -d /tmp/courtyard-hostile.XXXXXX)
SERVER_PID=
cleanup() {
    stop_pid "$SERVER_PID"
    rm -rf "$DATA"
}
trap cleanup EXIT

port=$(free_port)
echo "$ADMIN_PASSWORD" | "$BIN" admin bootstrap --email "$ADMIN_EMAIL" --data-dir "$DATA" >/dev/null 2>"$DATA/bootstrap.log"
COURTYARD_PLUGIN_CALL_DEADLINE_MS=$DEADLINE_MS \
    "$BIN" serve --listen "127.0.0.1:$port" --data-dir "$DATA" 2>"$DATA/server.log" &
SERVER_PID=$!
wait_healthy "http://127.0.0.1:$port" "$DATA/server.log" "$SERVER_PID"

echo "== hostile plugins (machine: $(nproc) cores; $(date -u +%F); commit $(git log -1 --format=%h)) =="
"$TARGET/release/hostile" --url "http://127.0.0.1:$port" \
    --admin-email "$ADMIN_EMAIL" --admin-password "$ADMIN_PASSWORD" \
    --server-pid "$SERVER_PID" --deadline-ms "$DEADLINE_MS" \
    --wasm "$TARGET/wasm32-wasip2/release/courtyard_plugin_hostile.wasm" \
    --manifest "$ROOT/tests/plugins/hostile/courtyard.toml" \
    --results "$RESULTS" "$@"
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "error: the server died" >&2
    tail -n 50 "$DATA/server.log" >&2
    exit 1
fi
panics=$(grep -c 'panicked' "$DATA/server.log" || true)
echo "server log: $(grep -c ' WARN ' "$DATA/server.log" || true) warnings, $(grep -c ' ERROR ' "$DATA/server.log" || true) errors, $panics panics"
[[ $panics == 0 ]]
