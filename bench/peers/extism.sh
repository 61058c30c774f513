#!/usr/bin/env bash
# Extism beside Courtyard's plugin runtime: the same before-message hook — a message body in,
# "allow" out — called through each, on the same machine, with the same guest language
# (Rust) and optimisation.
#
#   bench/peers/extism.sh
#
# Extism (the `extism` crate from crates.io, EXTISM_VERSION; its guest kit `extism-pdk`,
# PDK_VERSION) is built in a temporary Cargo project under ${CARGO_TARGET_DIR:-target}/peers/
# extism, never committed: a guest compiled for wasm32-unknown-unknown and a host program that
# times it three ways, in batches of BATCH calls for EACH_SECONDS seconds each, and prints the
# median per call:
#   reused    one Extism plugin instance for every call (Extism's usual way: state stays
#             in the instance between calls)
#   fresh     a new instance per call from a `CompiledPlugin` (the isolation Courtyard gives
#             every call: nothing survives from one call to the next)
#   new       a new `Plugin` from the wasm bytes per call (compiling included), for scale
# Then `cargo bench -p courtyard-runtime --bench hook_call` measures Courtyard's hook: a
# fresh store, instantiation from the pooling allocator, the call, the result lifted.
# Prints both and the ratio; add them to docs/benchmarks.md.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$TARGET/peers/extism
EXTISM_VERSION=${EXTISM_VERSION:-1.21.0}
PDK_VERSION=${PDK_VERSION:-1.4.1}
SECONDS_EACH=${EACH_SECONDS:-5}
BATCH=${BATCH:-200}

rustup target add wasm32-unknown-unknown >/dev/null
mkdir -p "$WORK/guest/src" "$WORK/host/src"

cat >"$WORK/guest/Cargo.toml" <<EOF
[package]
name = "extism-hook-guest"
version = "0.1.0"
edition = "2021"

[lib]
crate-type = ["cdylib"]

[dependencies]
extism-pdk = "=$PDK_VERSION"

[profile.release]
opt-level = 3
debug = false

[workspace]
EOF
cat >"$WORK/guest/src/lib.rs" <<'EOF'
use extism_pdk::*;

// The decision Courtyard's hostile test plugin makes in its before-message hook.
#[plugin_fn]
pub fn before_message(body: String) -> FnResult<String> {
    Ok(if body.contains("forbidden") { "reject" } else { "allow" }.to_owned())
}
EOF

cat >"$WORK/host/Cargo.toml" <<EOF
[package]
name = "extism-hook-host"
version = "0.1.0"
edition = "2021"

[dependencies]
extism = "=$EXTISM_VERSION"

[profile.release]
opt-level = 3
debug = false

[workspace]
EOF
cat >"$WORK/host/src/main.rs" <<'EOF'
use std::time::{Duration, Instant};

use extism::{CompiledPlugin, Manifest, Plugin, PluginBuilder, Wasm};

/// Median time per call over batches of `batch` calls run for `seconds`.
fn median_per_call(seconds: u64, batch: u32, mut call: impl FnMut()) -> (Duration, u64) {
    for _ in 0..batch {
        call();
    }
    let mut per_call = Vec::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(seconds) {
        let t = Instant::now();
        for _ in 0..batch {
            call();
        }
        per_call.push(t.elapsed() / batch);
    }
    per_call.sort();
    let calls = per_call.len() as u64 * u64::from(batch);
    (per_call[per_call.len() / 2], calls)
}

fn builder(wasm: &[u8]) -> PluginBuilder<'static> {
    PluginBuilder::new(Manifest::new([Wasm::data(wasm.to_vec())])).with_wasi(false)
}

fn report(what: &str, (median, calls): (Duration, u64)) {
    println!("extism {what:<7} {:>10.2} µs median per call ({calls} calls)", median.as_secs_f64() * 1e6);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let wasm = std::fs::read(&args[1]).expect("the guest's wasm");
    let seconds: u64 = args[2].parse().unwrap();
    let batch: u32 = args[3].parse().unwrap();
    let check = |out: &str| assert_eq!(out, "allow");

    let mut reused = builder(&wasm).build().unwrap();
    report("reused", median_per_call(seconds, batch, || {
        check(reused.call::<&str, &str>("before_message", "hello team").unwrap())
    }));

    let compiled = CompiledPlugin::new(builder(&wasm)).unwrap();
    report("fresh", median_per_call(seconds, batch, || {
        let mut p = Plugin::new_from_compiled(&compiled).unwrap();
        check(p.call::<&str, &str>("before_message", "hello team").unwrap())
    }));

    report("new", median_per_call(seconds, (batch / 20).max(1), || {
        let mut p = builder(&wasm).build().unwrap();
        check(p.call::<&str, &str>("before_message", "hello team").unwrap())
    }));
}
EOF

echo "== building Extism $EXTISM_VERSION (host) and extism-pdk $PDK_VERSION (guest)" >&2
(cd "$WORK/guest" && cargo build --quiet --release --target wasm32-unknown-unknown)
(cd "$WORK/host" && cargo build --quiet --release)
GUEST=$WORK/guest/target/wasm32-unknown-unknown/release/extism_hook_guest.wasm

echo "== machine: $(nproc) cores; $(date -u +%FT%TZ); Courtyard commit $(git -C "$ROOT" log -1 --format=%h)"
"$WORK/host/target/release/extism-hook-host" "$GUEST" "$SECONDS_EACH" "$BATCH" | tee "$WORK/extism.txt"

echo "== Courtyard (cargo bench -p courtyard-runtime --bench hook_call)" >&2
(cd "$ROOT" && cargo xtask build-plugins >/dev/null 2>&1 && cargo bench -p courtyard-runtime --bench hook_call 2>/dev/null) |
    tee "$WORK/courtyard.txt" | grep -E "^(before_message|command)|time:" || true

python3 - "$WORK/extism.txt" "$WORK/courtyard.txt" <<'PY'
import re, sys
ext = {m.group(1): float(m.group(2)) for m in re.finditer(r"extism (\w+)\s+([\d.]+) µs", open(sys.argv[1]).read())}
text = open(sys.argv[2]).read()
# criterion: "before_message hook, fresh store (allow)\n  time: [lo mid hi]" (µs or ns).
m = re.search(r"before_message hook, fresh store \(allow\)\s+time:\s+\[\S+ \S+ ([\d.]+) (µs|us|ns|ms)", text)
if not m:
    sys.exit("no Courtyard figure found in the criterion output")
scale = {"ns": 1e-3, "µs": 1, "us": 1, "ms": 1e3}[m.group(2)]
cy = float(m.group(1)) * scale
print(f"\nCourtyard hook, fresh store per call: {cy:.2f} µs (criterion median)")
for k, v in ext.items():
    print(f"Extism {k:<7}: {v:9.2f} µs   Courtyard ÷ Extism = {cy / v:.2f}")
PY
