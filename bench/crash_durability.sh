#!/usr/bin/env bash
# Crash durability: does every acknowledged post survive `kill -9` of the server, and is
# none stored twice when clients retry? Per backend (SQLite, then PostgreSQL), RUNS rounds
# of: a fresh server and data directory (and database), `loadgen durability post` posting
# POSTS messages with CONCURRENCY posters (each post has its own client_txn_id; every
# acknowledgement goes to an ack log at once; unacknowledged posts are retried with the
# same client_txn_id while the server is down), 1 to MAX_KILLS `kill -9`s of the server at
# random moments while they post — each when the ack log reaches a random count, after a
# random 0–50 ms more — each followed by a restart on the same data directory, database and
# port after a random 0–1 s; once the posters are done, one more `kill -9` and restart
# (FINAL_KILL=0 leaves it out), so the last acknowledgements face a crash too; then
# `loadgen durability verify` compares the stored history with the ack log.
#
#   bench/crash_durability.sh                  RUNS=10 SKIP_POSTGRES=1 bench/crash_durability.sh
#
# WORKLOAD=approvals does the same to a plugin's storage writes and approval decisions:
# `loadgen durability approvals` runs JOBS requests through the bundled approvals plugin
# (submit, first approval, second approval; every acknowledged step in the ack log, every
# call retried while the server is down) and `verify-approvals` reads every request back
# through the plugin: acknowledged submissions and approvals missing, jobs submitted twice,
# serial numbers given twice, decisions recorded twice (all must be 0), and cards left
# showing an older state (reported). Kill points are drawn over the JOBS × 3 steps.
#
# KILL=database kills the database instead of the server (PostgreSQL only: SQLite lives in
# the server's process, so killing the server is killing it): each round runs its own
# PostgreSQL cluster (initdb into the round's directory, as the `postgres` user when run as
# root; PG_BIN names the binaries' directory), and every kill is a `kill -9` of the
# postmaster and all its backends at once, then a restart (crash recovery from the WAL)
# after a random 0–1 s, while the server keeps running and must reconnect on its own.
#
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth) unless SKIP_POSTGRES=1.
# Builds the release binaries first (niced; SKIP_BUILD=1 uses the ones there; SERVER_BIN and
# LOADGEN_BIN run other ones). Honours CARGO_TARGET_DIR. Results: one JSON line per round in $RESULTS (default
# /tmp/crash_durability.jsonl), a line per round and totals per backend. A failed round's
# directory is kept (its path is printed); KEEP=1 keeps every round's. Exits 1 if any acknowledged post is missing or
# any post is stored twice (or verification failed otherwise).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
RESULTS=${RESULTS:-/tmp/crash_durability.jsonl}
RUNS=${RUNS:-20}
WORKLOAD=${WORKLOAD:-posts}
POSTS=${POSTS:-10000}
JOBS=${JOBS:-600}
if [[ $WORKLOAD == approvals ]]; then
    CONCURRENCY=${CONCURRENCY:-24}
    EXPECTED_ACKS=$((JOBS * 3))
elif [[ $WORKLOAD == posts ]]; then
    CONCURRENCY=${CONCURRENCY:-64}
    EXPECTED_ACKS=$POSTS
else
    echo "error: WORKLOAD is posts or approvals, not $WORKLOAD" >&2
    exit 2
fi
MAX_KILLS=${MAX_KILLS:-3}
KILL=${KILL:-server}
export KILL
if [[ $KILL != server && $KILL != database ]]; then
    echo "error: KILL is server or database, not $KILL" >&2
    exit 2
fi
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
FINAL_KILL=${FINAL_KILL:-1}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_USER=${PG_USER:-postgres}
cd "$ROOT"
source "$ROOT/bench/lib.sh"

if [[ ${SKIP_BUILD:-} != 1 ]]; then
    nice -n 10 cargo build --release -p courtyard-host -p courtyard-loadgen
    if [[ $WORKLOAD == approvals ]]; then
        nice -n 10 cargo xtask build-plugins
    fi
fi
BIN=${SERVER_BIN:-$TARGET/release/courtyard}
LOADGEN=${LOADGEN_BIN:-$TARGET/release/loadgen}
if [[ $KILL == database && ( ${SKIP_POSTGRES:-} == 1 || ! -x $PG_BIN/initdb ) ]]; then
    echo "error: KILL=database needs PostgreSQL's binaries (initdb, postgres) in PG_BIN (now '$PG_BIN')" >&2
    exit 1
fi
if [[ $KILL == server && ${SKIP_POSTGRES:-} != 1 ]] && ! psql -q -h "$PG_HOST" -U "$PG_USER" -c 'select 1' >/dev/null; then
    echo "error: PostgreSQL at $PG_HOST:5432 (user $PG_USER) is not reachable (SKIP_POSTGRES=1 leaves it out)" >&2
    exit 1
fi

SERVER_PID=
LOADGEN_PID=
PG_DIR=
PG_PORT=
DATA=
DB=
DB_ARGS=()
PORT=
cleanup() {
    stop_pid "$LOADGEN_PID"
    LOADGEN_PID=
    stop_pid "$SERVER_PID"
    SERVER_PID=
    stop_private_pg
    drop_pg_db "$DB"
    DB=
    if [[ -n $DATA && ${KEEP:-} == 1 ]]; then
        echo "   round directory kept (KEEP=1): $DATA" >&2
        DATA=
    elif [[ -n $DATA ]]; then
        rm -rf "$DATA"
        DATA=
    fi
}
trap cleanup EXIT

# Starts the server on $PORT over $DATA (and $DB) and waits until it answers (60 s).
start_server() {
    "$BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" "${DB_ARGS[@]}" 2>>"$DATA/server.log" &
    SERVER_PID=$!
    wait_healthy "http://127.0.0.1:$PORT" "$DATA/server.log" "$SERVER_PID"
}

kill_server() {
    kill -KILL "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
    echo "--- killed (kill -9) at $(date +%T.%N) ---" >>"$DATA/server.log"
}

# Runs a command as the owner of the private PostgreSQL cluster (initdb and postgres refuse
# to run as root).
as_pg() {
    if [[ $EUID == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# The private cluster's postmaster, from its pid file.
postmaster_pid() {
    [[ -f $PG_DIR/postmaster.pid ]] && head -n 1 "$PG_DIR/postmaster.pid"
}

# Starts (or restarts, with crash recovery) the round's own PostgreSQL on $PG_PORT and waits
# until it accepts connections (60 s).
start_private_pg() {
    as_pg "$PG_BIN/postgres" -D "$PG_DIR" -p "$PG_PORT" -k "$PG_DIR" \
        -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on \
        >>"$DATA/postgres.log" 2>&1 &
    for _ in $(seq 600); do
        "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && return 0
        sleep 0.1
    done
    echo "error: the round's PostgreSQL did not start; the end of its log:" >&2
    tail -n 30 "$DATA/postgres.log" >&2
    exit 1
}

# kill -9 of the postmaster and every backend at once; waits until all are gone.
kill_database() {
    local pid
    pid=$(postmaster_pid) || return 0
    local all
    all="$pid $(pgrep -P "$pid" | tr '\n' ' ')"
    # shellcheck disable=SC2086
    kill -KILL $all 2>/dev/null || true
    # shellcheck disable=SC2086
    while kill -0 $all 2>/dev/null; do
        sleep 0.02
    done
    echo "--- database killed (kill -9) at $(date +%T.%N) ---" >>"$DATA/postgres.log"
}

stop_private_pg() {
    [[ -n $PG_DIR ]] || return 0
    local pid
    if pid=$(postmaster_pid); then
        kill -INT "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do
            sleep 0.05
        done
    fi
    PG_DIR=
}

# What KILL names: kill -9, a random 0–1 s, start again.
crash() {
    if [[ $KILL == database ]]; then
        kill_database
        random_sleep 1000
        start_private_pg
    else
        kill_server
        random_sleep 1000
        start_server
    fi
}

# The acknowledgements logged so far.
acks() {
    if [[ -f $DATA/acks.jsonl ]]; then
        wc -l <"$DATA/acks.jsonl"
    else
        echo 0
    fi
}

# random_sleep MAX_MS: sleeps 0 to MAX_MS milliseconds.
random_sleep() {
    sleep "$(python3 -c "import random; print(random.uniform(0, $1) / 1000)")"
}

# round BACKEND N: one fresh server, posting with kills, verification.
round() {
    local backend=$1 n=$2
    DATA=$(mktemp -d /tmp/courtyard-crash.XXXXXX)
    DB_ARGS=()
    if [[ $KILL == database ]]; then
        PG_DIR=$DATA/pg
        PG_PORT=$(free_port)
        mkdir "$PG_DIR"
        [[ $EUID == 0 ]] && chown postgres "$DATA" "$PG_DIR"
        as_pg "$PG_BIN/initdb" -D "$PG_DIR" -U postgres --auth=trust >"$DATA/initdb.log" 2>&1
        start_private_pg
        "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres courtyard
        DB_ARGS=(--database-url "postgres://postgres@127.0.0.1:$PG_PORT/courtyard")
    elif [[ $backend == postgres ]]; then
        DB=cy_crash_$(date +%s)_$$_$n
        psql -q -h "$PG_HOST" -U "$PG_USER" -c "create database $DB"
        DB_ARGS=(--database-url "postgres://$PG_USER@$PG_HOST:5432/$DB")
    fi
    echo "$ADMIN_PASSWORD" | "$BIN" admin bootstrap --email "$ADMIN_EMAIL" --data-dir "$DATA" \
        "${DB_ARGS[@]}" >/dev/null 2>"$DATA/bootstrap.log"
    PORT=$(free_port)
    start_server
    if [[ $WORKLOAD == approvals ]]; then
        "$LOADGEN" durability approvals --url "http://127.0.0.1:$PORT" \
            --admin-email "$ADMIN_EMAIL" --admin-password "$ADMIN_PASSWORD" \
            --jobs "$JOBS" --concurrency "$CONCURRENCY" \
            --plugin-dir "$TARGET/bundled-plugins/approvals" \
            --ack-log "$DATA/acks.jsonl" --state "$DATA/state.json" \
            >"$DATA/post.json" 2>"$DATA/post.log" &
    else
        "$LOADGEN" durability post --url "http://127.0.0.1:$PORT" \
            --admin-email "$ADMIN_EMAIL" --admin-password "$ADMIN_PASSWORD" \
            --posts "$POSTS" --concurrency "$CONCURRENCY" \
            --ack-log "$DATA/acks.jsonl" --state "$DATA/state.json" \
            >"$DATA/post.json" 2>"$DATA/post.log" &
    fi
    LOADGEN_PID=$!
    # Kill points: 1 to MAX_KILLS distinct acknowledgement counts, 2 % to 95 % of the
    # acknowledgements expected.
    local points
    points=$(python3 -c "import random; k = random.randint(1, $MAX_KILLS); \
print(' '.join(map(str, sorted(random.sample(range($EXPECTED_ACKS * 2 // 100, $EXPECTED_ACKS * 95 // 100), k)))))")
    local kills=0 at=() p
    for p in $points; do
        while (($(acks) < p)) && kill -0 "$LOADGEN_PID" 2>/dev/null; do
            sleep 0.01
        done
        kill -0 "$LOADGEN_PID" 2>/dev/null || break
        random_sleep 50
        at+=("$(acks)")
        crash
        kills=$((kills + 1))
    done
    local post_rc=0
    wait "$LOADGEN_PID" || post_rc=$?
    LOADGEN_PID=
    if ((post_rc != 0)); then
        echo "error: loadgen durability post failed ($post_rc):" >&2
        tail -n 20 "$DATA/post.log" >&2
    fi
    local final=0
    if [[ $FINAL_KILL == 1 ]]; then
        crash
        final=1
    fi
    local verify_rc=0
    local verify=verify
    [[ $WORKLOAD == approvals ]] && verify=verify-approvals
    "$LOADGEN" durability "$verify" --state "$DATA/state.json" --ack-log "$DATA/acks.jsonl" \
        >"$DATA/verify.json" 2>"$DATA/verify.log" || verify_rc=$?
    local line
    line=$(python3 - "$DATA" "$backend" "$n" "$kills" "$final" "${at[*]:-}" "$post_rc" "$verify_rc" <<'EOF'
import json, os, sys
data, backend, n, kills, final, at, post_rc, verify_rc = sys.argv[1:]
def load(name):
    try:
        lines = [l for l in open(f"{data}/{name}") if l.strip()]
        return json.loads(lines[-1]) if lines else {}
    except (OSError, ValueError):
        return {}
post, verify = load("post.json"), load("verify.json")
log = open(f"{data}/server.log", errors="replace").read()
row = {
    "backend": backend, "killed": os.environ.get("KILL", "server"), "round": int(n), "kills_during_posting": int(kills),
    "kill_after_posting": final == "1", "killed_at_acks": [int(x) for x in at.split()],
    "post_exit": int(post_rc), "verify_exit": int(verify_rc),
    "post": post, "verify": verify,
    "server_log_errors": log.count(" ERROR "), "server_log_panics": log.count("panicked"),
}
row["ok"] = (row["post_exit"] == 0 and row["verify_exit"] == 0 and verify.get("ok") is True)
print(json.dumps(row))
EOF
)
    echo "$line" >>"$RESULTS"
    python3 - "$line" "$WORKLOAD" <<'EOF'
import json, sys
r = json.loads(sys.argv[1]); p, v = r["post"], r["verify"]
if sys.argv[2] == "approvals":
    print(f'{r["backend"]:8} round {r["round"]:3}: kills {r["kills_during_posting"]}+{int(r["kill_after_posting"])} '
          f'at acks {r["killed_at_acks"]}; jobs {v.get("jobs")}, acked {v.get("acked_submissions")} submissions '
          f'+ {v.get("acked_approvals")} approvals, stored {v.get("stored_requests")} ({v.get("approved")} approved); '
          f'missing {v.get("submissions_missing")}+{v.get("approvals_missing")}, submitted twice {v.get("jobs_submitted_twice")}, '
          f'serials twice {v.get("serials_twice")}, decided twice {v.get("decided_twice")}, inconsistent {v.get("inconsistent")}, '
          f'uncertain {p.get("uncertain")}; cards stale {v.get("stale_cards")}, orphaned {v.get("orphan_cards")}, '
          f'missing {v.get("requests_without_card")}; {p.get("seconds")} s'
          + ("" if r["ok"] else "  ** FAILED **"))
    sys.exit(0)
print(f'{r["backend"]:8} round {r["round"]:3}: kills {r["kills_during_posting"]}+{int(r["kill_after_posting"])} '
      f'at acks {r["killed_at_acks"]}; posts {v.get("posts")}, acked {v.get("acked")} '
      f'({p.get("acked_as_retry")} on a recognised retry), stored {v.get("stored")}; '
      f'acked-but-missing {v.get("acked_missing")}, duplicates {v.get("duplicates")}, '
      f'unacked-but-stored {v.get("unacked_stored")}, unacked-not-stored {v.get("unacked_not_stored")}, '
      f'id mismatches {v.get("id_mismatch")}, bad re-posts {v.get("repost_bad")}/{v.get("reposted")}; '
      f'{p.get("seconds")} s' + ("" if r["ok"] else "  ** FAILED **"))
EOF
    if ! python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["ok"] else 1)' "$line"; then
        local kept=/tmp/courtyard-crash-failed-$backend-$n-$$
        mv "$DATA" "$kept"
        DATA=
        echo "   round directory kept: $kept" >&2
    fi
    cleanup
}

: >"$RESULTS"
backends=(sqlite)
if [[ $KILL == database ]]; then
    backends=(postgres)
    echo "KILL=database: the database is killed, not the server; PostgreSQL rounds only"
elif [[ ${SKIP_POSTGRES:-} == 1 ]]; then
    echo "SKIP_POSTGRES=1: PostgreSQL rounds skipped"
else
    backends+=(postgres)
fi
for backend in "${backends[@]}"; do
    echo
    what="$POSTS posts, $CONCURRENCY posters"
    [[ $WORKLOAD == approvals ]] && what="$JOBS approval jobs, $CONCURRENCY workers"
    echo "== $backend: $RUNS rounds of $what, 1–$MAX_KILLS $KILL kills while posting$([[ $FINAL_KILL == 1 ]] && echo ' + 1 after') =="
    for n in $(seq "$RUNS"); do
        round "$backend" "$n"
    done
done

echo
commit=$(git -C "$ROOT" log -1 --format=%h)
git -C "$ROOT" diff --quiet HEAD -- host || commit="$commit + uncommitted host/ changes"
[[ -n ${SERVER_BIN:-} ]] && commit="server binary $SERVER_BIN; tree at $commit"
echo "== totals (machine: $(nproc) cores; $(date); commit $commit) =="
python3 - "$RESULTS" "$WORKLOAD" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
# Columns: (heading, where the figure is, its key); "verify" figures, or the runner's ("post").
if sys.argv[2] == "approvals":
    columns = [("jobs", "verify", "jobs")] + [(k, "verify", k) for k in [
        "acked_submissions", "acked_approvals", "stored_requests", "submissions_missing",
        "approvals_missing", "jobs_submitted_twice", "serials_twice", "decided_twice",
        "inconsistent", "stale_cards", "orphan_cards", "requests_without_card"]] + [
        ("uncertain", "post", "uncertain")]
    must_be_zero = []
else:
    columns = [("posts", "verify", "posts"), ("acked", "verify", "acked"),
               ("acked on retry", "post", "acked_as_retry"),
               ("acked-but-missing", "verify", "acked_missing"), ("duplicates", "verify", "duplicates"),
               ("unacked-but-stored", "verify", "unacked_stored"),
               ("unacked-not-stored", "verify", "unacked_not_stored"),
               ("id mismatches", "verify", "id_mismatch"), ("bad re-posts", "verify", "repost_bad")]
    must_be_zero = ["acked_missing", "duplicates"]
head = ["backend", "rounds", "kills"] + [c[0] for c in columns] + ["failed rounds"]
table = [head]
bad = 0
for b in dict.fromkeys(r["backend"] for r in rows):
    rs = [r for r in rows if r["backend"] == b]
    total = lambda where, k: sum(r[where].get(k) or 0 for r in rs)
    failed = sum(not r["ok"] for r in rs)
    bad += failed + sum(total("verify", k) for k in must_be_zero)
    table.append([b, str(len(rs)),
                  str(sum(r["kills_during_posting"] + r["kill_after_posting"] for r in rs))]
                 + [str(total(where, k)) for _, where, k in columns] + [str(failed)])
w = [max(len(row[i]) for row in table) for i in range(len(head))]
for row in table:
    print("  ".join(c.rjust(w[i]) for i, c in enumerate(row)))
sys.exit(1 if bad else 0)
EOF
