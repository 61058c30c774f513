# Shared by the bench scripts (sourced, not run): a free port, waiting for a server, the
# load generator's platform admin, and the posting limit turned off.

# The platform admin every bench server is bootstrapped with (the loadgen signs in as it).
ADMIN_EMAIL=${ADMIN_EMAIL:-admin@loadgen.example.com}
ADMIN_PASSWORD=${ADMIN_PASSWORD:-'a long loadgen admin password'}

# The posters post far faster than people do: the per-person post limit
# (`posts_per_minute`, 120 by default) is off in benchmarks unless set here.
export COURTYARD_POSTS_PER_MINUTE=${COURTYARD_POSTS_PER_MINUTE:-0}

# A TCP port nothing listens on now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_healthy URL LOG [PID]: until the server answers /healthz (60 s), or show the end of
# its log and stop the script; gives up early once PID has exited.
wait_healthy() {
    for _ in $(seq 600); do
        curl -sf "$1/healthz" >/dev/null && return 0
        if [[ -n ${3:-} ]] && ! kill -0 "$3" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    echo "error: $1 did not become healthy; the end of its log:" >&2
    tail -n 30 "$2" >&2
    exit 1
}

# stop_pid PID: ends a process started by the script (SIGTERM, then waits for it); nothing
# when PID is empty.
stop_pid() {
    [[ -n ${1:-} ]] || return 0
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# drop_pg_db NAME: drops a benchmark's database ($PG_HOST, $PG_USER); nothing when NAME is
# empty.
drop_pg_db() {
    [[ -n ${1:-} ]] || return 0
    psql -q -h "${PG_HOST:-127.0.0.1}" -U "${PG_USER:-postgres}" \
        -c "drop database if exists $1 with (force)" >/dev/null || true
}
