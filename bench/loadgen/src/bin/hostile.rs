//! `hostile`: what a misbehaving plugin costs the host and everyone else, measured over the
//! public API of a running server.
//!
//! Setup makes two organizations: the attacker's, with the hostile test plugin enabled in a
//! group, and a bystanders' one, whose `--bystanders` members post and read history in a
//! loop for the whole run. First the bystanders run alone for `--baseline-secs`; then each
//! behaviour of the plugin (`/misbehave <behaviour>`) is run `--rounds` times in a row,
//! the plugin re-enabled before each run (which resets its circuit breaker). For every
//! behaviour it reports how the call ended, how long it took (and by how much it overran
//! the call deadline), the server's resident memory after it, and the bystanders' request
//! latency while it ran against the baseline. At the end the server must still be alive.

#[allow(dead_code)]
#[path = "../api.rs"]
mod api;
#[allow(dead_code)]
#[path = "../procfs.rs"]
mod procfs;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use reqwest::Method;
use serde_json::json;

use api::{Api, SetupOptions};

/// Every behaviour of the hostile test plugin that attacks the host (not `ok`, `forge` and
/// `peek`, which need ids and are covered by the end-to-end tests).
const BEHAVIOURS: &[&str] = &[
    "loop",
    "recurse",
    "grow",
    "trap",
    "huge",
    "big-string",
    "many-ids",
    "handles",
    "spam",
    "records-spam",
    "timer-spam",
    "http-anywhere",
    "call-self",
];

#[derive(Debug, Parser)]
#[command(
    name = "hostile",
    about = "What a hostile plugin costs a running Courtyard server"
)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    #[command(flatten)]
    admin: api::Admin,
    /// The server's process id, for its resident memory (from `/proc`).
    #[arg(long)]
    server_pid: Option<u32>,
    /// The server's `plugin_call_deadline_ms`, to report how far calls overran it.
    #[arg(long, default_value_t = 2000)]
    deadline_ms: u64,
    /// Runs of each behaviour.
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// Attacks at once (each its own person in the attacker's group).
    #[arg(long, default_value_t = 1)]
    attackers: usize,
    /// Members of the other organization posting and reading meanwhile.
    #[arg(long, default_value_t = 4)]
    bystanders: usize,
    /// Each bystander posts and reads once per this many milliseconds.
    #[arg(long, default_value_t = 50)]
    pace_ms: u64,
    /// Seconds the bystanders run alone first.
    #[arg(long, default_value_t = 10)]
    baseline_secs: u64,
    /// Comma-separated behaviours [default: all that attack the host].
    #[arg(long, value_delimiter = ',')]
    behaviours: Vec<String>,
    /// The hostile plugin's component and manifest.
    #[arg(long)]
    wasm: PathBuf,
    #[arg(long)]
    manifest: PathBuf,
    /// Append the results as one JSON line here.
    #[arg(long)]
    results: Option<PathBuf>,
}

/// One bystander request: which phase it fell in, how long it took, whether it succeeded.
struct Sample {
    phase: usize,
    micros: u64,
    ok: bool,
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

fn rss_mib(pid: Option<u32>) -> Option<f64> {
    pid.and_then(|p| procfs::rss_kib(&p.to_string()))
        .map(|k| k as f64 / 1024.0)
}

/// Posts and reads history in a loop until told to stop, recording every request.
async fn bystander(
    api: Api,
    token: String,
    group: String,
    phase: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<Sample>>>,
    pace: Duration,
) {
    let mut n = 0u64;
    let mut tick = tokio::time::interval(pace);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        n += 1;
        let txn = format!("bystander-{n}");
        let post = json!({"body": format!("business as usual {n}"), "client_txn_id": txn});
        for (method, path, body) in [
            (
                Method::POST,
                format!("/api/v1/groups/{group}/messages"),
                Some(&post),
            ),
            (
                Method::GET,
                format!("/api/v1/groups/{group}/messages?limit=20"),
                None,
            ),
        ] {
            let at = phase.load(Ordering::Relaxed);
            let started = Instant::now();
            let answer = api.call(method, &path, Some(&token), body).await;
            let ok = answer.is_ok_and(|a| (200..300).contains(&a.status));
            samples.lock().expect("samples").push(Sample {
                phase: at,
                micros: started.elapsed().as_micros() as u64,
                ok,
            });
        }
    }
}

/// One attack: re-enable the plugin (resetting its breaker), then run the behaviour.
async fn attack(
    api: &Api,
    owner: &str,
    token: &str,
    group: &str,
    behaviour: &str,
) -> anyhow::Result<(u16, String, u64)> {
    api.expect(
        Method::PUT,
        &format!("/api/v1/groups/{group}/plugins/hostile"),
        Some(owner),
        Some(&json!({"hook_failure": "open"})),
        200,
    )
    .await?;
    let started = Instant::now();
    let answer = api
        .call(
            Method::POST,
            &format!("/api/v1/groups/{group}/commands"),
            Some(token),
            Some(&json!({"text": format!("/misbehave {behaviour}")})),
        )
        .await
        .with_context(|| format!("/misbehave {behaviour}"))?;
    let took = started.elapsed().as_micros() as u64;
    // What happened, briefly: the error code, or the plugin's own account of what the host
    // answered (`records-spam: wrote 170 records, then the host answered quota: …`).
    let outcome = match answer.body["ephemeral"].as_str() {
        Some(text) => text
            .split_once("answered ")
            .map(|(_, rest)| rest.split(':').next().unwrap_or(rest))
            .unwrap_or(text)
            .to_owned(),
        None => answer.code().to_owned(),
    };
    Ok((answer.status, outcome, took))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let behaviours: Vec<String> = if args.behaviours.is_empty() {
        BEHAVIOURS.iter().map(|b| (*b).to_owned()).collect()
    } else {
        args.behaviours.clone()
    };
    let api = Api::new(&args.url)?;
    let run = format!("hostile{}", std::process::id());
    let attackers = api::setup(
        &api,
        &SetupOptions::one_group(&format!("{run}a"), &args.admin, args.attackers + 1),
    )
    .await
    .context("setting up the attacker's organization")?;
    api::install_hook(&api, &attackers, &args.wasm, &args.manifest, false)
        .await
        .context("installing the hostile plugin")?;
    let calm = api::setup(
        &api,
        &SetupOptions::one_group(&format!("{run}b"), &args.admin, args.bystanders.max(1)),
    )
    .await
    .context("setting up the bystanders' organization")?;

    let phase = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = tokio::task::JoinSet::new();
    for token in calm.members.iter().take(args.bystanders) {
        tasks.spawn(bystander(
            api.clone(),
            token.clone(),
            calm.group.clone(),
            phase.clone(),
            stop.clone(),
            samples.clone(),
            Duration::from_millis(args.pace_ms),
        ));
    }
    let rss_start = rss_mib(args.server_pid);
    eprintln!(
        "hostile: {} bystanders alone for {} s (server RSS {:.1} MiB)",
        args.bystanders,
        args.baseline_secs,
        rss_start.unwrap_or(f64::NAN)
    );
    tokio::time::sleep(Duration::from_secs(args.baseline_secs)).await;

    let mut rows = Vec::new();
    for (i, behaviour) in behaviours.iter().enumerate() {
        phase.store(i + 1, Ordering::Relaxed);
        let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
        let mut took = Vec::new();
        for _ in 0..args.rounds {
            let mut wave = tokio::task::JoinSet::new();
            for a in 0..args.attackers {
                let (api, owner, token, group, behaviour) = (
                    api.clone(),
                    attackers.owner.clone(),
                    attackers.members[a + 1].clone(),
                    attackers.group.clone(),
                    behaviour.clone(),
                );
                wave.spawn(async move { attack(&api, &owner, &token, &group, &behaviour).await });
            }
            while let Some(done) = wave.join_next().await {
                let (status, outcome, micros) = done??;
                *outcomes.entry(format!("{status} {outcome}")).or_default() += 1;
                took.push(micros);
            }
        }
        took.sort_unstable();
        let rss = rss_mib(args.server_pid);
        let deadline_us = args.deadline_ms * 1000;
        let over: Vec<u64> = took
            .iter()
            .filter(|t| **t >= deadline_us)
            .map(|t| t - deadline_us)
            .collect();
        let row = json!({
            "behaviour": behaviour,
            "runs": took.len(),
            "outcomes": outcomes,
            "took_ms": {"p50": ms(percentile(&took, 50.0)), "p99": ms(percentile(&took, 99.0)),
                        "max": ms(took.last().copied().unwrap_or(0))},
            "past_deadline": over.len(),
            "overrun_ms": {"p50": ms(percentile(&over, 50.0)), "p99": ms(percentile(&over, 99.0))},
            "server_rss_mib": rss,
        });
        eprintln!("hostile: {row}");
        rows.push(row);
    }
    phase.store(behaviours.len() + 1, Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    while tasks.join_next().await.is_some() {}

    // Bystanders' latency per phase, and the server still standing.
    let samples = std::mem::take(&mut *samples.lock().expect("samples"));
    let latency = |phase: usize| {
        let mut v: Vec<u64> = samples
            .iter()
            .filter(|s| s.phase == phase)
            .map(|s| s.micros)
            .collect();
        v.sort_unstable();
        let failed = samples.iter().filter(|s| s.phase == phase && !s.ok).count();
        (v, failed)
    };
    let (base, base_failed) = latency(0);
    for (i, row) in rows.iter_mut().enumerate() {
        let (v, failed) = latency(i + 1);
        row["bystanders"] = json!({
            "requests": v.len(), "failed": failed,
            "p50_ms": ms(percentile(&v, 50.0)), "p99_ms": ms(percentile(&v, 99.0)),
        });
    }
    let alive = api
        .call(Method::GET, "/healthz", None, None)
        .await
        .is_ok_and(|a| a.status == 200);
    let peak = args
        .server_pid
        .and_then(|p| procfs::peak_rss_kib(&p.to_string()))
        .map(|k| k as f64 / 1024.0);

    println!();
    println!(
        "baseline: bystanders {} requests, {} failed, p50 {:.2} ms, p99 {:.2} ms; server RSS {:.1} MiB",
        base.len(),
        base_failed,
        ms(percentile(&base, 50.0)),
        ms(percentile(&base, 99.0)),
        rss_start.unwrap_or(f64::NAN)
    );
    println!(
        "| behaviour | runs | outcome | took p50 / p99 / max (ms) | past deadline | overrun p50 / p99 (ms) | RSS after (MiB) | bystanders p50 / p99 (ms) | failed |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for row in &rows {
        let outcomes: Vec<String> = row["outcomes"]
            .as_object()
            .map(|o| o.iter().map(|(k, v)| format!("{v}× {k}")).collect())
            .unwrap_or_default();
        println!(
            "| `{}` | {} | {} | {} / {} / {} | {} | {} / {} | {:.1} | {} / {} | {} |",
            row["behaviour"].as_str().unwrap_or(""),
            row["runs"],
            outcomes.join(", "),
            row["took_ms"]["p50"],
            row["took_ms"]["p99"],
            row["took_ms"]["max"],
            row["past_deadline"],
            row["overrun_ms"]["p50"],
            row["overrun_ms"]["p99"],
            row["server_rss_mib"].as_f64().unwrap_or(f64::NAN),
            row["bystanders"]["p50_ms"],
            row["bystanders"]["p99_ms"],
            row["bystanders"]["failed"],
        );
    }
    println!(
        "server alive after the attacks: {alive}; peak RSS {:.1} MiB",
        peak.unwrap_or(f64::NAN)
    );
    if let Some(path) = &args.results {
        use std::io::Write;
        let line = json!({
            "deadline_ms": args.deadline_ms, "rounds": args.rounds, "attackers": args.attackers,
            "bystanders": args.bystanders,
            "baseline": {"requests": base.len(), "failed": base_failed,
                         "p50_ms": ms(percentile(&base, 50.0)), "p99_ms": ms(percentile(&base, 99.0))},
            "rss_start_mib": rss_start, "peak_rss_mib": peak, "alive": alive, "behaviours": rows,
        });
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        writeln!(f, "{line}")?;
    }
    if !alive {
        bail!("the server did not survive the attacks");
    }
    Ok(())
}
