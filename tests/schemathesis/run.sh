#!/usr/bin/env bash
# Fuzzes the HTTP API with Schemathesis (https://schemathesis.readthedocs.io), driven by the
# OpenAPI document the host serves at /api/openapi.json: every operation gets generated
# valid and invalid requests (examples, coverage and fuzzing phases, then the stateful
# phase, which chains operations through the ids their answers carry), and every answer
# is checked with all of Schemathesis's checks — no 5xx, the status code and body are the
# documented ones, invalid input is refused, valid input accepted, and so on.
#
#   tests/schemathesis/run.sh
#
# The run signs in as an organization admin of a fresh server (debug build, SQLite in a
# temporary data directory, the bundled plugins when `cargo xtask build-plugins` has built
# them) that already holds an organization, an admin, a member, a guest, a department, a
# team, messages, a file and a webhook, so the operations reach real objects: Schemathesis
# draws ids from those most of the time and random strings otherwise.
#
# Knobs (environment):
#   MAX_EXAMPLES=150  test cases per operation in the fuzzing and stateful phases; with
#                     the default the run takes about 5 minutes on 2 cores (25: 1 minute)
#   MAX_STEPS=       steps of a stateful scenario (Schemathesis's default when unset)
#   PHASES=examples,coverage,fuzzing,stateful
#   WORKERS=2         concurrent Schemathesis workers
#   SEED=             a seed to replay a run (printed at the start of every run)
#   OUT=              where the reports go (default: a new directory under /tmp)
#   EXTRA_ARGS=       more `schemathesis run` flags, e.g. "--include-tag messages"
#   SKIP_BUILD=1      use the debug binary already built instead of running cargo
#
# Needs Python 3 with `venv`; Schemathesis is installed, pinned by
# tests/schemathesis/requirements.txt, into $CARGO_TARGET_DIR/test-tools/schemathesis-venv.
# Writes a JUnit report, an NDJSON event log and the console output into $OUT, prints a
# summary, and exits non-zero when the server answered any request with a 5xx or when any
# check failed. It is not part of `cargo xtask test` (too slow); run it by hand or in a
# nightly job.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
VENV=$TARGET/test-tools/schemathesis-venv
REQUIREMENTS=$ROOT/tests/schemathesis/requirements.txt
MAX_EXAMPLES=${MAX_EXAMPLES:-150}
MAX_STEPS=${MAX_STEPS:-}
PHASES=${PHASES:-examples,coverage,fuzzing,stateful}
WORKERS=${WORKERS:-2}
SEED=${SEED:-$RANDOM$RANDOM}
OUT=${OUT:-$(mktemp -d /tmp/courtyard-schemathesis.XXXXXX)}
mkdir -p "$OUT"
cd "$ROOT"

# The venv, (re)made when the pinned requirements changed.
if ! cmp -s "$REQUIREMENTS" "$VENV/requirements.txt" 2>/dev/null; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet -r "$REQUIREMENTS"
    cp "$REQUIREMENTS" "$VENV/requirements.txt"
fi
ST_VERSION=$("$VENV/bin/schemathesis" --version | awk '{print $NF}')

[[ ${SKIP_BUILD:-} == 1 ]] || cargo build -p courtyard-host --bin courtyard
BIN=$TARGET/debug/courtyard

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

SERVER_PID=
DATA=$(mktemp -d /tmp/courtyard-schemathesis-data.XXXXXX)
cleanup() {
    if [[ -n $SERVER_PID ]]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
    if [[ -n $DATA ]]; then
        # Keep the server's log next to the reports.
        cp "$DATA/server.log" "$OUT/server.log" 2>/dev/null || true
        rm -rf "$DATA"
        DATA=
    fi
}
trap cleanup EXIT

PLATFORM_EMAIL=platform@fuzz.example.com
PASSWORD='a long fuzzing password'
echo "$PASSWORD" | "$BIN" admin bootstrap --email "$PLATFORM_EMAIL" --data-dir "$DATA" >/dev/null 2>"$DATA/bootstrap.log"
{
    # Offer the bundled plugins when they are built, so the plugin operations reach one.
    if [[ -d $TARGET/bundled-plugins ]]; then
        echo "bundled_plugins_dir = \"$TARGET/bundled-plugins\""
    fi
} >"$DATA/courtyard.toml"
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
"$BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" 2>"$DATA/server.log" &
SERVER_PID=$!
for _ in $(seq 300); do
    curl -sf "$BASE/healthz" >/dev/null && break
    sleep 0.1
done
curl -sf "$BASE/healthz" >/dev/null || { cat "$DATA/server.log"; exit 1; }

# The objects the run works on; writes the Schemathesis configuration (with their ids as
# dictionaries) and the org admin's token.
python3 - "$BASE" "$PLATFORM_EMAIL" "$PASSWORD" "$OUT" <<'EOF'
import json, sys, urllib.error, urllib.request

base, platform_email, password, out = sys.argv[1:]

def call(method, path, token=None, body=None, raw=None, content_type="application/json"):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", content_type)
    if token:
        req.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req) as res:
            text = res.read()
    except urllib.error.HTTPError as e:
        sys.exit(f"seeding: {method} {path} answered {e.code}: {e.read().decode()}")
    return json.loads(text) if text else None

def login(email):
    return call("POST", "/api/v1/auth/login", body={"email": email, "password": password})["token"]

platform = login(platform_email)
org = call("POST", "/api/v1/orgs", platform, {"name": "Fuzz Co", "anonymous_posts_enabled": True,
                                               "read_receipts_enabled": True})["id"]
people = f"/api/v1/orgs/{org}/people"
admin_id = call("POST", people, platform, {"email": "admin@fuzz.example.com", "display_name": "Org Admin",
                                           "password": password, "role": "org_admin"})["id"]
admin = login("admin@fuzz.example.com")
member = call("POST", people, admin, {"email": "member@fuzz.example.com", "display_name": "王五",
                                      "password": password, "title": "Engineer"})["id"]
guest = call("POST", people, admin, {"email": "guest@partner.example.com", "display_name": "Guest",
                                     "password": password, "role": "guest", "company": "Partner Ltd"})["id"]
dept = call("POST", "/api/v1/groups", admin, {"kind": "department", "name": "研发部", "org_id": org})["id"]
team = call("POST", "/api/v1/groups", admin, {"kind": "team", "name": "Fuzz team", "member_ids": [member]})["id"]
member_token = login("member@fuzz.example.com")
msg = call("POST", f"/api/v1/groups/{team}/messages", admin, {"body": "hello @王五 `code`", "client_txn_id": "seed-1"})["id"]
call("POST", f"/api/v1/groups/{team}/messages", member_token,
     {"body": "a reply", "client_txn_id": "seed-2", "thread_root_id": msg})
msg2 = call("POST", f"/api/v1/groups/{team}/messages", member_token, {"body": "报销流程", "client_txn_id": "seed-3"})["id"]
call("PUT", f"/api/v1/messages/{msg}/reactions/%F0%9F%91%8D", admin)
call("PUT", f"/api/v1/messages/{msg}/pin", admin)
direct = call("POST", "/api/v1/direct", admin, {"person_ids": [member]})["id"]
file_id = call("POST", "/api/v1/files?name=report.txt", admin, raw="季度报告".encode(),
               content_type="application/octet-stream")["id"]
hook = call("POST", f"/api/v1/groups/{team}/webhooks", admin, {"kind": "incoming", "name": "CI"})
hook_token = hook["incoming_path"].rsplit("/", 1)[1]
pat = call("POST", "/api/v1/me/tokens", admin, {"name": "spare token"})["id"]
plugins = []
if any(p.get("id") == "dice" for p in call("GET", "/api/v1/plugins/catalog", admin)):
    call("POST", f"/api/v1/orgs/{org}/plugins", admin, {"plugin_id": "dice"})
    call("PUT", f"/api/v1/groups/{team}/plugins/dice", admin, {"settings": {}})
    plugins.append("dice")

def values(*xs):
    return "[" + ", ".join(json.dumps(x) for x in xs) + "]"

# Ids are drawn from the dictionaries most of the time; the rest are generated strings,
# which must be 404s. The org admin's own id is left out of `person_id` on purpose: the
# run should not spend its budget on demoting itself (the server refuses that anyway).
config = f"""
[dictionaries]
org = {{ values = {values(org)} }}
group = {{ values = {values(team, dept, direct)} }}
message = {{ values = {values(msg, msg2)} }}
person = {{ values = {values(member, guest)} }}
file = {{ values = {values(file_id)} }}
webhook = {{ values = {values(hook["id"])} }}
hook_token = {{ values = {values(hook_token)} }}
token = {{ values = {values(pat)} }}
plugin = {{ values = {values(*(plugins or ["dice"]))} }}

[parameters]
"path.org_id" = {{ dictionary = "org", probability = 0.8 }}
"path.group_id" = {{ dictionary = "group", probability = 0.8 }}
"path.message_id" = {{ dictionary = "message", probability = 0.8 }}
"path.person_id" = {{ dictionary = "person", probability = 0.8 }}
"path.file_id" = {{ dictionary = "file", probability = 0.8 }}
"path.webhook_id" = {{ dictionary = "webhook", probability = 0.8 }}
"path.token" = {{ dictionary = "hook_token", probability = 0.5 }}
"path.id" = {{ dictionary = "token", probability = 0.5 }}
"path.plugin_id" = {{ dictionary = "plugin", probability = 0.8 }}

# positive_data_acceptance: the document states types, required fields, patterns, lengths
# and ranges, but not every rule the server checks: no control characters in text,
# cross-field rules (`parent_id` only for departments, one of three install sources),
# references to objects that must exist and be visible to the caller, the state of the
# object (a plugin not enabled in the group, a file that is not a picture, a form token
# that expired, already a member), and values checked against the outside world (an SSO
# issuer's discovery document, a push endpoint's address). Serde also refuses integers
# written as floats (`1.0`), which JSON Schema counts as integers. A schema-valid request
# refused with a documented 422 for such a rule is therefore not counted as a failure;
# every other status still is (a 5xx or an undocumented status fails other checks too).
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]

# These refuse with a documented 400 for the same kind of reason: an upload must not be
# empty and a form upload needs its `file` part; an SSO callback must carry the state of a
# sign-in this host started; a message search's `since` must be earlier than its `until`.
[[operations]]
include-name = ["POST /api/v1/files", "GET /api/v1/auth/sso/callback", "GET /api/v1/search/messages"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429"]
"""
with open(f"{out}/schemathesis.toml", "w") as f:
    f.write(config)
with open(f"{out}/token", "w") as f:
    f.write(admin)
EOF
TOKEN=$(cat "$OUT/token")

# Operations left out, and why:
#  - POST /api/v1/auth/logout ends the session the whole run signs in with.
#  - GET /api/v1/ws is a WebSocket upgrade, which Schemathesis cannot speak; its refusal
#    of plain requests is covered by tests/tests/e2e/realtime.rs.
EXCLUDES=(
    --exclude-operation-id logout
    --exclude-path /api/v1/ws
)
step_args=()
[[ -n $MAX_STEPS ]] && step_args=(--max-steps "$MAX_STEPS")

echo "== schemathesis $ST_VERSION against $BASE (seed $SEED, max examples $MAX_EXAMPLES, phases $PHASES) =="
set +e
# shellcheck disable=SC2086
(cd "$OUT" && "$VENV/bin/schemathesis" --config-file "$OUT/schemathesis.toml" run "$BASE/api/openapi.json" \
    --checks all \
    --phases "$PHASES" \
    --max-examples "$MAX_EXAMPLES" \
    "${step_args[@]}" \
    --workers "$WORKERS" \
    --seed "$SEED" \
    --header "Authorization: Bearer $TOKEN" \
    --request-timeout 20 \
    --generation-database none \
    --report junit,ndjson --report-dir "$OUT" \
    --no-color \
    "${EXCLUDES[@]}" ${EXTRA_ARGS:-}) 2>&1 | tee "$OUT/schemathesis.txt"
status=${PIPESTATUS[0]}
set -e

# The run's own session must have survived it, or the later answers were all 401s.
session=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/me")
panics=$(grep -c 'panicked' "$DATA/server.log" || true)
internal=$(grep -c 'internal error' "$DATA/server.log" || true)

echo
echo "== summary (machine: $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ); commit $(git -C "$ROOT" rev-parse --short HEAD); schemathesis $ST_VERSION; seed $SEED) =="
# Figures from the NDJSON event log: operations, test cases, requests, answers by status,
# and failed checks (per test case, and distinct by check, operation and failure).
"$VENV/bin/python" - "$OUT" <<'EOF' | tee "$OUT/summary.txt"
import collections, glob, json, sys
out = sys.argv[1]
log = sorted(glob.glob(f"{out}/ndjson-*.ndjson"))[-1]
ops, cases, requests = set(), 0, 0
statuses, per_check, per_phase = collections.Counter(), collections.Counter(), collections.Counter()
unique = set()
for line in open(log):
    event = json.loads(line).get("ScenarioFinished")
    if not event:
        continue
    recorder = event.get("recorder") or {}
    recorded = recorder.get("cases") or {}
    if event["phase"] != "stateful" and recorded:
        ops.add(recorder["label"])
    cases += len(recorded)
    per_phase[event["phase"]] += len(recorded)
    for interaction in (recorder.get("interactions") or {}).values():
        requests += 1
        response = interaction.get("response") or {}
        if response.get("status_code"):
            statuses[response["status_code"]] += 1
    for case_id, checks in (recorder.get("checks") or {}).items():
        for check in checks:
            if check.get("status") != "failure":
                continue
            per_check[check["name"]] += 1
            failure = (check.get("failure_info") or {}).get("failure") or {}
            case = (recorded.get(case_id) or {}).get("value") or {}
            label = f'{case.get("method", "")} {case.get("path", "")}'.strip() or recorder.get("label")
            message = (failure.get("message") or "").splitlines()
            unique.add((check["name"], label, failure.get("title", ""), message[0] if message else ""))
server_errors = sum(n for s, n in statuses.items() if s >= 500)
phases = ", ".join(f"{k} {v}" for k, v in per_phase.items())
print(f"operations tested: {len(ops)}; test cases: {cases} ({phases}); requests: {requests}")
print("answers by status:", ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
print(f"server errors (5xx): {server_errors}")
print("failed checks (test cases):", ", ".join(f"{k}: {v}" for k, v in per_check.most_common()) or "none")
by_check = collections.Counter(u[0] for u in unique)
print("distinct failures (check, operation, failure):",
      ", ".join(f"{k}: {v}" for k, v in by_check.most_common()) or "none")
for u in sorted(unique):
    print("   " + " | ".join(u))
with open(f"{out}/server_errors", "w") as f:
    f.write(str(server_errors))
EOF
server_errors=$(cat "$OUT/server_errors")
echo "server log: $internal internal errors, $panics panics; the run's session answers $session after the run"
echo "reports: $OUT (junit-*.xml, ndjson-*.ndjson, schemathesis.txt, summary.txt, server.log)"
if [[ $session != 200 ]]; then
    echo "FAILED: the run's session was ended during the run, so later answers were 401s"
    status=1
fi
if [[ $server_errors != 0 || $internal != 0 || $panics != 0 ]]; then
    echo "FAILED: server errors"
    status=1
fi
exit "$status"
