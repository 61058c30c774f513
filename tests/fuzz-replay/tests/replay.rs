//! The fuzz targets in the ordinary test suite: a short, unguided fuzz run on every
//! `cargo xtask test`.
//!
//! Per target: every committed seed (`fuzz/corpus/<target>`) and saved crash input
//! (`fuzz/regressions/<target>`) as it is, then `COURTYARD_FUZZ_REPLAY_RUNS` (default 25,000)
//! inputs made by mutating them: bit flips, random bytes, bytes inserted, deleted,
//! duplicated or overwritten with interesting values, splices of two seeds, truncation.
//! libFuzzer's coverage guidance is what finds deep bugs (`cargo xtask fuzz-smoke`, longer
//! runs in docs/reliability.md); this run keeps every target building and its assertions
//! holding on each change, in seconds, without instrumented builds.
//!
//! The mutations come from `COURTYARD_FUZZ_REPLAY_SEED` (default: drawn, and printed), so a
//! failure is reproducible; the failing input is written to
//! `target/fuzz-replay-failures/<target>/` and named in the failure, ready to be copied to
//! `fuzz/regressions/<target>/` once fixed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

const DEFAULT_RUNS: usize = 25_000;
/// Mutated inputs are kept below this size (the targets' own limits are far lower or
/// tested by the seeds).
const MAX_INPUT: usize = 64 * 1024;

/// xorshift64*: small, fast, and the same sequence for the same seed everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of one directory, sorted by name (missing directory: none).
fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter_map(|e| {
            let bytes = std::fs::read(e.path()).ok()?;
            Some((e.path().display().to_string(), bytes))
        })
        .collect();
    out.sort();
    out
}

/// Values that often sit on boundaries: lengths, signs, separators, JSON and TOML syntax,
/// markup, multi-byte UTF-8.
const TOKENS: &[&[u8]] = &[
    b"\x00",
    b"\xff",
    b"\x7f",
    b"\x80",
    b"-1",
    b"0",
    b"9999999999999999999",
    b"1e308",
    b"-0",
    b"\n%%\n",
    b"\"",
    b"\\",
    b"{}",
    b"[]",
    b"null",
    b"true",
    b"\"\":",
    b"=",
    b"[[",
    b"]]",
    b"@",
    b"@all",
    b"**",
    b"`",
    b"```",
    b"[a](http://x)",
    b"<",
    b"\xe4\xb8\xad",
    b"\xf0\x9f\x98\x80",
    b"\xcc\x81",
    b"\xe2\x80\xae",
    b"PK\x03\x04",
];

fn mutate(rng: &mut Rng, seeds: &[(String, Vec<u8>)], input: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(6) {
        let len = input.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                input[i] = rng.next() as u8;
            }
            2 => {
                let at = rng.below(len + 1);
                let n = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                input.splice(at..at, bytes);
            }
            3 if len > 0 => {
                let start = rng.below(len);
                let end = (start + 1 + rng.below(16)).min(len);
                input.drain(start..end);
            }
            4 if len > 0 => {
                let start = rng.below(len);
                let end = (start + 1 + rng.below(32)).min(len);
                let copy = input[start..end].to_vec();
                let at = rng.below(len + 1);
                input.splice(at..at, copy);
            }
            5 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                let at = rng.below(len + 1);
                input.splice(at..at, token.iter().copied());
            }
            6 if !seeds.is_empty() => {
                let other = &seeds[rng.below(seeds.len())].1;
                let cut = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                input.truncate(cut);
                input.extend_from_slice(&other[from..]);
            }
            7 if len > 0 => input.truncate(rng.below(len)),
            _ => {
                let at = rng.below(len + 1);
                const PUNCTUATION: &[u8] = b"\n %,:{}[]\"'";
                input.insert(at, PUNCTUATION[rng.below(PUNCTUATION.len())]);
            }
        }
    }
    input.truncate(MAX_INPUT);
}

/// Runs `target` on `input`; on a panic, saves the input and fails naming it.
fn run_one(name: &str, target: fn(&[u8]), input: &[u8], what: &str) {
    if catch_unwind(AssertUnwindSafe(|| target(input))).is_ok() {
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/fuzz-replay-failures")
        .join(name);
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join(format!("crash-{:016x}", fnv(input)));
    let _ = std::fs::write(&file, input);
    panic!(
        "fuzz target `{name}` panicked on {what} ({} bytes), saved as {}",
        input.len(),
        file.display()
    );
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn replay(name: &str, target: fn(&[u8])) {
    let dir = fuzz_dir();
    let seeds = inputs(&dir.join("corpus").join(name));
    let regressions = inputs(&dir.join("regressions").join(name));
    assert!(
        !seeds.is_empty(),
        "no seeds in fuzz/corpus/{name}: every target keeps some"
    );
    for (path, bytes) in seeds.iter().chain(&regressions) {
        run_one(name, target, bytes, path);
    }

    let runs = std::env::var("COURTYARD_FUZZ_REPLAY_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_RUNS);
    let seed = std::env::var("COURTYARD_FUZZ_REPLAY_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        })
        | 1;
    // The test harness shows this only when the test fails: the seed to run it again with.
    println!("{name}: COURTYARD_FUZZ_REPLAY_SEED={seed} COURTYARD_FUZZ_REPLAY_RUNS={runs}");
    let mut rng = Rng(seed ^ fnv(name.as_bytes()));
    let pool: Vec<(String, Vec<u8>)> = seeds.iter().chain(&regressions).cloned().collect();
    for run in 0..runs {
        let mut input = pool[rng.below(pool.len())].1.clone();
        mutate(&mut rng, &pool, &mut input);
        run_one(
            name,
            target,
            &input,
            &format!("mutation {run} (COURTYARD_FUZZ_REPLAY_SEED={seed})"),
        );
    }
}

#[test]
fn markup() {
    replay("markup", courtyard_fuzz_replay::markup);
}

#[test]
fn manifest() {
    replay("manifest", courtyard_fuzz_replay::manifest);
}

#[test]
fn form_schema() {
    replay("form_schema", courtyard_fuzz_replay::form_schema);
}

#[test]
fn formula() {
    replay("formula", courtyard_fuzz_replay::formula);
}

#[test]
fn package_read() {
    replay("package_read", courtyard_fuzz_replay::package_read);
}

#[test]
fn search_query() {
    replay("search_query", courtyard_fuzz_replay::search_query);
}

#[test]
fn plugin_boundary() {
    replay("plugin_boundary", courtyard_fuzz_replay::plugin_boundary);
}

/// The replay itself: a mutated input is never empty-handed and stays bounded, and the
/// same seed gives the same inputs.
#[test]
fn mutations_are_reproducible_and_bounded() {
    let seeds = vec![("a".to_owned(), b"hello world".to_vec())];
    let run = |seed| {
        let mut rng = Rng(seed);
        (0..200)
            .map(|_| {
                let mut input = seeds[0].1.clone();
                mutate(&mut rng, &seeds, &mut input);
                input
            })
            .collect::<Vec<_>>()
    };
    let (a, b, c) = (run(7), run(7), run(9));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(a.iter().all(|i| i.len() <= MAX_INPUT));
    assert!(a.iter().any(|i| i != b"hello world"));
}

/// A target that panics fails the run, and the input that did it is saved for replay.
#[test]
fn a_panicking_target_fails_and_keeps_the_input() {
    fn picky(data: &[u8]) {
        assert!(!data.starts_with(b"boom"), "picky target found boom");
    }
    run_one("picky", picky, b"fine", "a fine input");
    let failed = catch_unwind(|| run_one("picky", picky, b"boom!", "a bad input"));
    let message = failed.expect_err("the panic reaches the test");
    let message = message
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(
        message.contains("fuzz target `picky` panicked on a bad input"),
        "{message}"
    );
    let saved = message.rsplit("saved as ").next().unwrap();
    assert_eq!(std::fs::read(saved).unwrap(), b"boom!");
}
