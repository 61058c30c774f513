#!/usr/bin/env bash
# Cluster throughput: 1, 2 and 3 host nodes on one PostgreSQL database with NATS between
# them. For each size a fresh database, an admin, N nodes (N = 1 too, so every run takes the
# same NATS path) on a NATS subject of their own, then one loadgen run: setup against the
# first node, posters and WebSocket listeners spread round-robin over all of them. Reports
# durable throughput, post→ack and post→delivered latency, the listeners' delivery check
# (every listener must get every message of the window once: missing = duplicates = 0),
# the nodes' CPU time (summed) and each node's peak RSS.
#
#   bench/cluster_throughput.sh [loadgen flags…]      e.g. --concurrency 64 --seconds 15
#   NODES="1 3" bench/cluster_throughput.sh --rate 1000 --seconds 15
#
# Defaults: NODES="1 2 3", 64 listeners (LISTENERS=…, or pass --listeners yourself). The
# loadgen's --quickack makes listeners acknowledge every TCP segment at once: the difference
# it makes is what Nagle's algorithm on the server's sockets costs delivery.
#
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth) and NATS at $NATS_URL
# (default nats://127.0.0.1:4222). Builds the release binaries first (niced; SKIP_BUILD=1
# uses the ones there; SERVER_BIN and LOADGEN_BIN run other ones). Honours
# CARGO_TARGET_DIR. Results: one JSON line per run in $RESULTS (default
# /tmp/cluster_throughput.jsonl) and a summary table at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
RESULTS=${RESULTS:-/tmp/cluster_throughput.jsonl}
NODES=${NODES:-1 2 3}
LISTENERS=${LISTENERS:-64}
NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_USER=${PG_USER:-postgres}
cd "$ROOT"
source "$ROOT/bench/lib.sh"

# Fail loudly without NATS (the cluster's doorbell) or PostgreSQL (its only database).
nats_hostport=${NATS_URL#nats://}
nats_hostport=${nats_hostport%%/*}
nats_host=${nats_hostport%:*}
nats_port=${nats_hostport##*:}
[[ $nats_port == "$nats_hostport" ]] && nats_port=4222
if ! banner=$(timeout 3 bash -c "exec 3<>/dev/tcp/$nats_host/$nats_port && head -c 4 <&3" 2>/dev/null) ||
    [[ $banner != INFO ]]; then
    echo "error: no NATS server at $NATS_URL ($nats_host:$nats_port); start one (nats-server) or set NATS_URL" >&2
    exit 1
fi
if ! psql -q -h "$PG_HOST" -U "$PG_USER" -c 'select 1' >/dev/null; then
    echo "error: PostgreSQL at $PG_HOST:5432 (user $PG_USER) is not reachable" >&2
    exit 1
fi

if [[ ${SKIP_BUILD:-} != 1 ]]; then
    nice -n 10 cargo build --release -p courtyard-host -p courtyard-loadgen
fi
BIN=${SERVER_BIN:-$TARGET/release/courtyard}
LOADGEN=${LOADGEN_BIN:-$TARGET/release/loadgen}

# Pass --listeners through if given, else the default.
listener_args=(--listeners "$LISTENERS")
for a in "$@"; do
    [[ $a == --listeners || $a == --listeners=* ]] && listener_args=()
done

PIDS=()
RUN_DIR=
DB=
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
    drop_pg_db "$DB"
    DB=
    if [[ -n $RUN_DIR ]]; then
        rm -rf "$RUN_DIR"
        RUN_DIR=
    fi
}
trap cleanup EXIT

# run N [loadgen flags…]: a fresh database and N fresh nodes, one loadgen run.
run() {
    local n=$1
    shift
    RUN_DIR=$(mktemp -d /tmp/courtyard-cluster.XXXXXX)
    DB=cy_cluster_$(date +%s)_$$_$n
    psql -q -h "$PG_HOST" -U "$PG_USER" -c "create database $DB"
    local db_url="postgres://$PG_USER@$PG_HOST:5432/$DB"
    local subject
    subject="cy-bench-$(date +%s%N)-$$-$n"
    if ! echo "$ADMIN_PASSWORD" | "$BIN" admin bootstrap --email "$ADMIN_EMAIL" \
        --data-dir "$RUN_DIR/node1" --database-url "$db_url" >/dev/null 2>"$RUN_DIR/bootstrap.log"; then
        echo "error: admin bootstrap failed:" >&2
        cat "$RUN_DIR/bootstrap.log" >&2
        exit 1
    fi
    local urls=() url_args=() pid_args=() i port
    # One node at a time: each takes its port before the next is picked.
    for i in $(seq "$n"); do
        mkdir -p "$RUN_DIR/node$i"
        port=$(free_port)
        COURTYARD_NATS_URL=$NATS_URL COURTYARD_NATS_SUBJECT=$subject \
            "$BIN" serve --listen "127.0.0.1:$port" --data-dir "$RUN_DIR/node$i" \
            --database-url "$db_url" 2>"$RUN_DIR/node$i.log" &
        PIDS+=($!)
        urls+=("http://127.0.0.1:$port")
        url_args+=(--url "http://127.0.0.1:$port")
        pid_args+=(--server-pid "$!")
        wait_healthy "http://127.0.0.1:$port" "$RUN_DIR/node$i.log"
    done
    echo
    echo "== $n node(s): ${urls[*]} (NATS subject $subject) =="
    "$LOADGEN" "${url_args[@]}" "${pid_args[@]}" \
        --admin-email "$ADMIN_EMAIL" --admin-password "$ADMIN_PASSWORD" \
        --label "PostgreSQL + NATS" "${listener_args[@]}" --json "$@" | tee "$RUN_DIR/report.txt"
    tail -n 1 "$RUN_DIR/report.txt" >>"$RESULTS"
    for i in $(seq "$n"); do
        echo "node $i log: $(grep -c ' WARN ' "$RUN_DIR/node$i.log" || true) warnings, $(grep -c ' ERROR ' "$RUN_DIR/node$i.log" || true) errors"
    done
    cleanup
}

: >"$RESULTS"
for n in $NODES; do
    run "$n" "$@"
done

echo
commit=$(git -C "$ROOT" log -1 --format=%h)
git -C "$ROOT" diff --quiet HEAD -- host || commit="$commit + uncommitted host/ changes"
[[ -n ${SERVER_BIN:-} ]] && commit="server binary $SERVER_BIN; tree at $commit"
echo "== summary (machine: $(nproc) cores; $(date); $commit) =="
python3 - "$RESULTS" "$(nproc)" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cores = int(sys.argv[2])
head = ["nodes", "listeners", "msg/s", "ack p50 ms", "ack p99 ms", "delivered p50 ms", "delivered p99 ms",
        "delivered", "missing", "duplicates", "errors", "server CPU s", "peak RSS MiB per node",
        "loadgen CPU s", "other CPU s", "machine busy %"]
table = [head]
def f(x, d=1):
    return "-" if x is None else f"{x:.{d}f}"
for r in rows:
    a, d = r["latency_ms"], r.get("delivery_latency_ms") or {}
    s = r.get("server") or {}
    rss = "/".join(f(n.get("peak_rss_mib"), 0) for n in r.get("servers") or [])
    # Everything else busy in the window: PostgreSQL, NATS, and whatever else runs.
    busy, lg, srv = r.get("machine_cpu_busy_pct"), r.get("loadgen_cpu_s"), s.get("cpu_s")
    other = None if None in (busy, lg, srv) else busy / 100 * cores * r["seconds"] - lg - srv
    table.append([str(r["nodes"]), str(r["listeners"]), f(r["throughput_per_s"], 0),
                  f(a["p50"]), f(a["p99"]), f(d.get("p50")), f(d.get("p99")),
                  str(r.get("delivered")), str(r.get("missing")), str(r.get("duplicates")),
                  str(r["errors"]), f(s.get("cpu_s")), rss or "-",
                  f(r.get("loadgen_cpu_s")), f(other), f(busy, 0)])
w = [max(len(row[i]) for row in table) for i in range(len(head))]
for row in table:
    print("  ".join(c.rjust(w[i]) for i, c in enumerate(row)))
rate = {r.get("target_rate") for r in rows}
print("posters: " + ", ".join(sorted({str(r["concurrency"]) for r in rows}))
      + ("; flat out" if rate == {None} else f"; paced at {', '.join(str(x) for x in rate)} msg/s")
      + f"; {rows[0]['seconds'] if rows else '?'} s measured; other CPU = machine busy × {cores} cores × seconds"
      " − server − loadgen (PostgreSQL, NATS, anything else running)")
for r in rows:
    d = r.get("delivery") or {}
    if d and (r.get("missing") or r.get("duplicates") or d.get("reconnects") or d.get("errors") or d.get("timed_out")):
        print(f'{r["nodes"]} node(s): delivery problems: {json.dumps(d)}')
EOF
