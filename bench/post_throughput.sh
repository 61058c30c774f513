#!/usr/bin/env bash
# Durable post throughput and post→ack latency over the HTTP API, without and with a
# before-message hook (the hostile test plugin, fail-open), on SQLite and on PostgreSQL.
# Each of the four runs gets a fresh server and a fresh data directory (and database).
#
#   bench/post_throughput.sh [loadgen flags…]      e.g. --concurrency 64 --seconds 20
#
# Message search at scale: post searchable sentences for long enough, then query them
# (SKIP_HOOK=1 leaves out the runs with the hook):
#
#   SKIP_HOOK=1 bench/post_throughput.sh --vocabulary --seconds 150 --searches 1000
#
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth) unless SKIP_POSTGRES=1.
# Honours CARGO_TARGET_DIR. Results: one JSON line per run in $RESULTS (default
# /tmp/post_throughput.jsonl) and a summary table at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
RESULTS=${RESULTS:-/tmp/post_throughput.jsonl}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_USER=${PG_USER:-postgres}
cd "$ROOT"
source "$ROOT/bench/lib.sh"

rustup target add wasm32-wasip2 >/dev/null 2>&1 || true
cargo build --release -p courtyard-host -p courtyard-loadgen
cargo build --release --target wasm32-wasip2 -p courtyard-plugin-hostile
BIN=$TARGET/release/courtyard
LOADGEN=$TARGET/release/loadgen

SERVER_PID=
DATA=
DB=
cleanup() {
    stop_pid "$SERVER_PID"
    SERVER_PID=
    drop_pg_db "$DB"
    DB=
    if [[ -n $DATA ]]; then
        rm -rf "$DATA"
        DATA=
    fi
}
trap cleanup EXIT

# run BACKEND HOOK [loadgen flags…]: one fresh server, one loadgen run.
run() {
    local backend=$1 hook=$2
    shift 2
    DATA=$(mktemp -d /tmp/courtyard-bench.XXXXXX)
    local db_args=()
    if [[ $backend == postgres ]]; then
        DB=cy_bench_$(date +%s)_$$
        psql -q -h "$PG_HOST" -U "$PG_USER" -c "create database $DB"
        db_args=(--database-url "postgres://$PG_USER@$PG_HOST:5432/$DB")
    fi
    echo "$ADMIN_PASSWORD" | "$BIN" admin bootstrap --email "$ADMIN_EMAIL" --data-dir "$DATA" "${db_args[@]}" >/dev/null 2>"$DATA/bootstrap.log"
    local port
    port=$(free_port)
    "$BIN" serve --listen "127.0.0.1:$port" --data-dir "$DATA" "${db_args[@]}" 2>"$DATA/server.log" &
    SERVER_PID=$!
    wait_healthy "http://127.0.0.1:$port" "$DATA/server.log" "$SERVER_PID"
    local hook_args=()
    [[ $hook == hook ]] && hook_args=(--hook)
    echo
    echo "== $backend, ${hook/nohook/no hook} =="
    "$LOADGEN" --url "http://127.0.0.1:$port" \
        --admin-email "$ADMIN_EMAIL" --admin-password "$ADMIN_PASSWORD" \
        --server-pid "$SERVER_PID" --label "$backend" "${hook_args[@]}" \
        --plugin-wasm "$TARGET/wasm32-wasip2/release/courtyard_plugin_hostile.wasm" \
        --plugin-manifest "$ROOT/tests/plugins/hostile/courtyard.toml" \
        --json "$@" | tee "$DATA/report.txt"
    tail -n 1 "$DATA/report.txt" >>"$RESULTS"
    local opened warned
    opened=$(grep -c 'letting the message through' "$DATA/server.log" || true)
    warned=$(grep -c ' WARN ' "$DATA/server.log" || true)
    echo "server log: $warned warnings, $opened of them fail-open hook failures"
    cleanup
}

: >"$RESULTS"
run sqlite nohook "$@"
[[ ${SKIP_HOOK:-} == 1 ]] || run sqlite hook "$@"
if [[ ${SKIP_POSTGRES:-} == 1 ]]; then
    echo "SKIP_POSTGRES=1: PostgreSQL runs skipped"
else
    run postgres nohook "$@"
    [[ ${SKIP_HOOK:-} == 1 ]] || run postgres hook "$@"
fi

echo
echo "== summary (machine: $(nproc) cores; $(date); commit $(git -C "$ROOT" log -1 --format=%h)) =="
python3 - "$RESULTS" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
head = ["backend", "hook", "msg/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors", "server CPU s", "peak RSS MiB"]
table = [head]
for r in rows:
    l, s = r["latency_ms"], r.get("server") or {}
    table.append([r["label"], "yes" if r["hook"] else "no", f'{r["throughput_per_s"]:.0f}',
                  f'{l["p50"]:.1f}', f'{l["p95"]:.1f}', f'{l["p99"]:.1f}', f'{l["max"]:.1f}',
                  str(r["errors"]), str(s.get("cpu_s")), str(s.get("peak_rss_mib"))])
w = [max(len(row[i]) for row in table) for i in range(len(head))]
for row in table:
    print("  ".join(c.rjust(w[i]) for i, c in enumerate(row)))
for backend in dict.fromkeys(r["label"] for r in rows):
    off = [r for r in rows if r["label"] == backend and not r["hook"]]
    on = [r for r in rows if r["label"] == backend and r["hook"]]
    if off and on and off[0]["throughput_per_s"]:
        ratio = on[0]["throughput_per_s"] / off[0]["throughput_per_s"]
        print(f"{backend}: with the hook {ratio * 100:.1f}% of the throughput without (cost {100 - ratio * 100:.1f}%)")
for r in rows:
    q = r.get("search")
    if q:
        print(f'{r["label"]}: search over {r["messages"]}+ messages: p50 {q["p50_ms"]} / p95 {q["p95_ms"]} / '
              f'p99 {q["p99_ms"]} / max {q["max_ms"]} ms; {q["queries"]} queries, {q["full_pages"]} full pages, {q["errors"]} errors')
EOF
