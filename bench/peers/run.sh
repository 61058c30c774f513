#!/usr/bin/env bash
# Courtyard side by side with the servers people would pick instead — Synapse (Matrix) and
# Prosody (XMPP group chat, MUC) — on the same machine, with the same workload shape and the
# same client (bench/peers/drive.py): U users in one room, P of them posting at R msgs/s in
# total (and flat out), L of them listening; post→ack and post→delivered latency, missing
# deliveries, server CPU and peak RSS.
#
#   bench/peers/run.sh                       # rates 100 and 400 msg/s, then flat out; 15 s each
#   RATES="100 200 400" FLAT=0 DURATION=20 SERVERS="courtyard synapse" bench/peers/run.sh
#   SERVERS=synapse bench/peers/run.sh serve synapse     # one server, up until Ctrl-C
#
# Every run gets a fresh server and data directory. The peers are installed from their
# registries, never committed: Synapse with pip into a venv under
# ${CARGO_TARGET_DIR:-target}/peers/ (SYNAPSE_VERSION), Prosody and its SQLite driver from
# Debian's packages with apt-get (run as root; the package's system service is not
# started). Each server runs as a foreground process on a free loopback port, with its
# configuration and data in a temporary directory removed on exit.
#
# Servers (SERVERS, default all four):
#   courtyard       release build, SQLite, `courtyard admin bootstrap`, posting limit off
#   synapse         SQLite, rate limits (rc_*) lifted, presence off, logging at WARNING
#   prosody         MUC with mod_muc_mam archiving every message, Prosody's default
#                   `internal` (file) storage: written, not fsync'ed
#   prosody-sqlite  the same with `storage = "sql"` on SQLite (a transaction per message)
#
# Results: one JSON line per run in $RESULTS (default /tmp/peers.jsonl) and a table with the
# ratios Courtyard ÷ peer at the end. USERS (20), POSTERS (10), LISTENERS (10), DURATION
# (15), WARMUP (2), DRAIN (60: seconds to wait for the last deliveries), RATES ("100 400"), FLAT (1: also flat out) shape the runs;
# SKIP_BUILD=1 uses the release binary as it is.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PEERS=$TARGET/peers
RESULTS=${RESULTS:-/tmp/peers.jsonl}
RATES=${RATES:-"100 400"}
FLAT=${FLAT:-1}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-2}
DRAIN=${DRAIN:-60}
# NICE=-10 runs the servers and the driver at that niceness (root only), to keep other work
# on a shared machine from taking most of the CPU from them; every server gets the same.
NICE=${NICE:-0}
USERS=${USERS:-20}
POSTERS=${POSTERS:-10}
LISTENERS=${LISTENERS:-10}
SERVERS=${SERVERS:-"courtyard synapse prosody prosody-sqlite"}
SYNAPSE_VERSION=${SYNAPSE_VERSION:-1.163.2}
ADMIN_EMAIL=admin@peers.example.com
ADMIN_PASSWORD='a long peers admin password'
source "$ROOT/bench/lib.sh"
cd "$ROOT"
mkdir -p "$PEERS"

# ---------------------------------------------------------------- installs

DRIVER_PY=$PEERS/driver-venv/bin/python
SYNAPSE_PY=$PEERS/synapse-venv/bin/python

install_driver() {
    if ! "$DRIVER_PY" -c 'import aiohttp, uvloop' 2>/dev/null; then
        python3 -m venv "$PEERS/driver-venv"
        "$PEERS/driver-venv/bin/pip" install -q -r "$HERE/requirements.txt"
    fi
}

install_synapse() {
    local have
    have=$("$SYNAPSE_PY" -c 'import importlib.metadata as m; print(m.version("matrix-synapse"))' 2>/dev/null || true)
    if [[ $have != "$SYNAPSE_VERSION" ]]; then
        python3 -m venv "$PEERS/synapse-venv"
        "$PEERS/synapse-venv/bin/pip" install -q "matrix-synapse==$SYNAPSE_VERSION"
    fi
}

install_prosody() {
    if command -v prosody >/dev/null && dpkg -s lua-dbi-sqlite3 >/dev/null 2>&1; then
        return
    fi
    [[ $(id -u) == 0 ]] || { echo "prosody is missing: run as root (apt-get) or install prosody lua-dbi-sqlite3" >&2; exit 1; }
    # The package would start its system service: forbid that for this install only.
    local policy=
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        policy=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q prosody lua-dbi-sqlite3 >/dev/null
    [[ -z $policy ]] || rm -f /usr/sbin/policy-rc.d
}

wanted() { [[ " $SERVERS " == *" $1 "* ]]; }

install_driver
if wanted synapse; then install_synapse; fi
if wanted prosody || wanted prosody-sqlite; then install_prosody; fi
if wanted courtyard && [[ ${SKIP_BUILD:-} != 1 ]]; then
    cargo build --release -p courtyard-host
fi
BIN=$TARGET/release/courtyard

# ---------------------------------------------------------------- servers

wait_tcp() { # port: until something listens, 30 s at most
    for _ in $(seq 300); do
        python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "the server did not come up; its log:" >&2
    tail -n 40 "$DATA"/*.log >&2 || true
    exit 1
}

SERVER_PID=
DATA=
DRIVER_ARGS=()
VERSION=

stop_server() {
    if [[ -n $SERVER_PID ]]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
    if [[ -n $DATA ]]; then
        rm -rf "$DATA"
        DATA=
    fi
}
trap stop_server EXIT

start_courtyard() {
    DATA=$(mktemp -d /tmp/peers-courtyard.XXXXXX)
    echo "$ADMIN_PASSWORD" | "$BIN" admin bootstrap --email "$ADMIN_EMAIL" --data-dir "$DATA" >/dev/null 2>"$DATA/bootstrap.log"
    local port
    port=$(free_port)
    nice -n "$NICE" "$BIN" serve --listen "127.0.0.1:$port" --data-dir "$DATA" 2>"$DATA/server.log" &
    SERVER_PID=$!
    wait_tcp "$port"
    DRIVER_ARGS=(--server courtyard --url "http://127.0.0.1:$port"
        --admin-email "$ADMIN_EMAIL" --admin-password "$ADMIN_PASSWORD")
    VERSION="courtyard $(git -C "$ROOT" rev-parse --short HEAD)"
    git -C "$ROOT" diff --quiet HEAD -- host Cargo.lock 2>/dev/null || VERSION+=" + uncommitted changes under host/"
}

start_synapse() {
    DATA=$(mktemp -d /tmp/peers-synapse.XXXXXX)
    local port
    port=$(free_port)
    (cd "$DATA" && "$SYNAPSE_PY" -m synapse.app.homeserver --server-name localhost \
        --config-path "$DATA/homeserver.yaml" --generate-config --report-stats=no \
        --data-directory "$DATA" >"$DATA/generate.log")
    # SQLite (the generated default). Rate limits lifted: the posters post far faster than
    # people do, as with Courtyard's posting limit. Presence off (the listeners' syncs would
    # otherwise update and fan out presence; Courtyard's run has no presence traffic either).
    # No key servers (nothing leaves the machine). Logging at WARNING, to a file.
    "$SYNAPSE_PY" - "$DATA" "$port" <<'EOF'
import sys, yaml
data, port = sys.argv[1], int(sys.argv[2])
path = f"{data}/homeserver.yaml"
c = yaml.safe_load(open(path))
c["listeners"] = [{"port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
                   "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}]}]
c["trusted_key_servers"] = []
c["suppress_key_server_warning"] = True
c["presence"] = {"enabled": False}
c["enable_metrics"] = False
c["report_stats"] = False
lots = {"per_second": 1000000, "burst_count": 1000000}
for k in ["rc_message", "rc_registration", "rc_room_creation", "rc_joins_per_room", "rc_admin_redaction",
          "rc_3pid_validation", "rc_registration_token_validity", "rc_reports"]:
    c[k] = dict(lots)
c["rc_login"] = {"address": lots, "account": lots, "failed_attempts": lots}
c["rc_joins"] = {"local": lots, "remote": lots}
c["rc_invites"] = {"per_room": lots, "per_user": lots, "per_issuer": lots}
c["log_config"] = f"{data}/log.yaml"
yaml.safe_dump(c, open(path, "w"))
yaml.safe_dump({
    "version": 1,
    "formatters": {"precise": {"format": "%(asctime)s - %(name)s - %(levelname)s - %(message)s"}},
    "handlers": {"file": {"class": "logging.FileHandler", "formatter": "precise",
                          "filename": f"{data}/synapse.log"}},
    "root": {"level": "WARNING", "handlers": ["file"]},
    "disable_existing_loggers": False,
}, open(f"{data}/log.yaml", "w"))
EOF
    (cd "$DATA" && exec nice -n "$NICE" "$SYNAPSE_PY" -m synapse.app.homeserver -c "$DATA/homeserver.yaml" 2>"$DATA/stderr.log") &
    SERVER_PID=$!
    wait_tcp "$port"
    local secret
    secret=$("$SYNAPSE_PY" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["registration_shared_secret"])' "$DATA/homeserver.yaml")
    DRIVER_ARGS=(--server matrix --url "http://127.0.0.1:$port" --shared-secret "$secret")
    VERSION="synapse $("$SYNAPSE_PY" -c 'import importlib.metadata as m; print(m.version("matrix-synapse"))')"
}

# start_prosody internal|sql
start_prosody() {
    local storage=$1 port
    DATA=$(mktemp -d /tmp/peers-prosody.XXXXXX)
    mkdir -p "$DATA/data" "$DATA/certs"
    port=$(free_port)
    local store='storage = "internal"
-- mod_muc_mam truncates a room archive at this many items (10,000 by default with the
-- internal storage), which a flat-out run passes: raised so that no run truncates.
storage_archive_item_limit = 100000000'
    if [[ $storage == sql ]]; then
        store="storage = \"sql\"
sql = { driver = \"SQLite3\"; database = \"$DATA/data/prosody.sqlite\" }"
    fi
    # No mod_limits (c2s bandwidth limits) and no other rate limit; plaintext c2s on
    # loopback with SASL PLAIN; in-band registration (allowed from 127.0.0.1); a MUC
    # component with mod_muc_mam archiving every room's messages (persistent rooms).
    # Nagle off (Prosody leaves it on by default, which holds a small stanza to a listener
    # until the previous one is acknowledged: up to a delayed ACK's 40 ms).
    cat >"$DATA/prosody.cfg.lua" <<EOF
run_as_root = true
network_settings = { nagle = false }
pidfile = "$DATA/prosody.pid"
data_path = "$DATA/data"
certificates = "$DATA/certs"
log = { warn = "$DATA/prosody.log" }
interfaces = { "127.0.0.1" }
c2s_ports = { $port }
c2s_direct_tls_ports = { }
legacy_ssl_ports = { }
s2s_ports = { }
component_ports = { }
http_ports = { }
https_ports = { }
modules_enabled = { "roster"; "saslauth"; "disco"; "register"; "ping"; "posix" }
modules_disabled = { "s2s"; "limits"; "offline" }
allow_registration = true
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_hashed"
$store
VirtualHost "localhost"
Component "conference.localhost" "muc"
    modules_enabled = { "muc_mam" }
    muc_log_all_rooms = true
    muc_room_locking = false
    muc_room_default_persistent = true
EOF
    nice -n "$NICE" prosody -F --config "$DATA/prosody.cfg.lua" >"$DATA/stdout.log" 2>&1 &
    SERVER_PID=$!
    wait_tcp "$port"
    DRIVER_ARGS=(--server xmpp --url "xmpp://127.0.0.1:$port")
    VERSION="prosody $(dpkg-query -W -f '${Version}' prosody 2>/dev/null || echo '?'), storage $storage"
}

start() {
    case $1 in
        courtyard) start_courtyard ;;
        synapse) start_synapse ;;
        prosody) start_prosody internal ;;
        prosody-sqlite) start_prosody sql ;;
        *) echo "unknown server $1" >&2; exit 1 ;;
    esac
}

# `run.sh serve NAME`: start one server as the runs do, print the driver's arguments, and
# keep it up until interrupted (to try the driver by hand).
if [[ ${1:-} == serve ]]; then
    start "$2"
    echo "pid $SERVER_PID; data $DATA"
    echo "driver: $DRIVER_PY $HERE/drive.py ${DRIVER_ARGS[*]} --server-pid $SERVER_PID"
    wait "$SERVER_PID"
    exit
fi

# ---------------------------------------------------------------- runs

runs=($RATES)
if [[ $FLAT == 1 ]]; then runs+=(0); fi
: >"$RESULTS"
for server in $SERVERS; do
    for rate in "${runs[@]}"; do
        echo
        echo "== $server, $([[ $rate == 0 ]] && echo 'flat out' || echo "$rate msg/s"); load average $(cut -d' ' -f1-3 /proc/loadavg) =="
        start "$server"
        nice -n "$NICE" "$DRIVER_PY" "$HERE/drive.py" "${DRIVER_ARGS[@]}" --label "$server" --version "$VERSION" \
            --users "$USERS" --posters "$POSTERS" --listeners "$LISTENERS" --rate "$rate" \
            --seconds "$DURATION" --warmup "$WARMUP" --drain "$DRAIN" --server-pid "$SERVER_PID" --json "$RESULTS" ||
            echo "$server at $rate: the driver failed" >&2
        stop_server
    done
done

echo
echo "== summary (machine: $(nproc) cores; $(date -u +%F); courtyard $(git -C "$ROOT" rev-parse --short HEAD); niceness $NICE) =="
"$DRIVER_PY" "$HERE/drive.py" --table "$RESULTS"
"$DRIVER_PY" - "$RESULTS" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print()
for r in dict.fromkeys(r["version"] for r in rows):
    print("version:", r)
cy = {r["rate"]: r for r in rows if r["label"] == "courtyard"}
print("\nCourtyard ÷ peer (throughput: higher is better for Courtyard; p99 and RSS: lower is)")
for r in rows:
    c = cy.get(r["rate"])
    if r["label"] == "courtyard" or not c:
        continue
    def ratio(a, b):
        return f"{a / b:.2f}" if a and b else "-"
    print(f'  {r["label"]:>15} at {r["rate"]}: throughput {ratio(c["throughput_per_s"], r["throughput_per_s"])}, '
          f'ack p99 {ratio((c["ack_ms"] or {}).get("p99"), (r["ack_ms"] or {}).get("p99"))}, '
          f'delivered p99 {ratio((c["delivered_ms"] or {}).get("p99"), (r["delivered_ms"] or {}).get("p99"))}, '
          f'peak RSS {ratio(c["server_stats"]["peak_rss_mib"], r["server_stats"]["peak_rss_mib"])}')
EOF
