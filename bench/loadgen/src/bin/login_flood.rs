//! `login_flood`: what a flood of sign-ins does to a running server, over its public API.
//!
//! 1. `--concurrency` clients sign in flat out with correct passwords, spread over
//!    `--people` accounts, for `--seconds`: sign-ins per second, latency, and the server's
//!    resident memory against its idle figure. Every sign-in runs argon2id (19 MiB each);
//!    the host runs a few at once and queues the rest, so memory must stay flat however
//!    many arrive.
//! 2. Wrong passwords for one account until the server refuses (429): attempts allowed.
//! 3. Wrong passwords for other accounts from the same address until that address is
//!    refused: attempts allowed per address (counting those of step 2).

#[allow(dead_code)]
#[path = "../api.rs"]
mod api;
#[allow(dead_code)]
#[path = "../procfs.rs"]
mod procfs;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use reqwest::Method;
use serde_json::json;

use api::{Api, SetupOptions};

#[derive(Debug, Parser)]
#[command(
    name = "login_flood",
    about = "A sign-in flood against a running Courtyard server"
)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    #[command(flatten)]
    admin: api::Admin,
    #[arg(long)]
    server_pid: Option<u32>,
    /// Accounts signed in to.
    #[arg(long, default_value_t = 32)]
    people: usize,
    /// Clients signing in at once.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    #[arg(long, default_value_t = 15)]
    seconds: u64,
}

/// The password `api::setup` gives everyone.
const PASSWORD: &str = "loadgen password 0123";

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

fn mib(pid: Option<u32>, read: fn(&str) -> Option<u64>) -> f64 {
    pid.and_then(|p| read(&p.to_string()))
        .map_or(f64::NAN, |k| k as f64 / 1024.0)
}

async fn sign_in(api: &Api, email: &str, password: &str) -> anyhow::Result<u16> {
    Ok(api
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(&json!({"email": email, "password": password})),
        )
        .await?
        .status)
}

/// Wrong passwords for `email` until the answer is 429; the attempts answered 401 first.
async fn until_refused(api: &Api, email: &str) -> anyhow::Result<u32> {
    for attempt in 0..10_000 {
        match sign_in(api, email, "not the password at all").await? {
            401 => continue,
            429 => return Ok(attempt),
            other => bail!("a wrong password for {email} answered {other}"),
        }
    }
    bail!("{email}: 10,000 wrong passwords and never refused")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let api = Api::new(&args.url)?;
    let run = format!("flood{}", std::process::id());
    api::setup(
        &api,
        &SetupOptions {
            run_id: &run,
            admin: &args.admin,
            people: args.people,
            group_size: 1,
            groups: 1,
        },
    )
    .await
    .context("creating the accounts")?;
    let email = |i: usize| format!("p{i}-{run}@loadgen.example.com");
    let idle = mib(args.server_pid, procfs::rss_kib);
    let peak_before = mib(args.server_pid, procfs::peak_rss_kib);

    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = tokio::task::JoinSet::new();
    let started = Instant::now();
    for c in 0..args.concurrency {
        let (api, stop, who) = (api.clone(), stop.clone(), email(c % args.people));
        clients.spawn(async move {
            let mut took = Vec::new();
            let mut failed = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                match sign_in(&api, &who, PASSWORD).await {
                    Ok(200) => took.push(t.elapsed().as_micros() as u64),
                    _ => failed += 1,
                }
            }
            (took, failed)
        });
    }
    let mut rss_max: f64 = 0.0;
    let until = Instant::now() + Duration::from_secs(args.seconds);
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(200)).await;
        rss_max = rss_max.max(mib(args.server_pid, procfs::rss_kib));
    }
    stop.store(true, Ordering::Relaxed);
    let (mut took, mut failed) = (Vec::new(), 0);
    while let Some(done) = clients.join_next().await {
        let (t, f) = done?;
        took.extend(t);
        failed += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    took.sort_unstable();
    println!(
        "flood: {} clients over {} accounts for {elapsed:.1} s: {} sign-ins ({:.1}/s), {failed} failed; \
         latency p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        args.concurrency,
        args.people,
        took.len(),
        took.len() as f64 / elapsed,
        percentile(&took, 50.0),
        percentile(&took, 99.0),
        percentile(&took, 100.0),
    );
    println!(
        "server memory: idle {idle:.1} MiB (peak so far {peak_before:.1}), highest during the flood {rss_max:.1} MiB, \
         peak (VmHWM) after {:.1} MiB",
        mib(args.server_pid, procfs::peak_rss_kib)
    );

    let per_account = until_refused(&api, &email(0)).await?;
    println!("wrong passwords for one account before it is refused: {per_account}");
    let mut per_address = per_account;
    for i in 1..args.people {
        let allowed = until_refused(&api, &email(i)).await?;
        per_address += allowed;
        if allowed < per_account {
            break;
        }
    }
    println!(
        "wrong passwords from one address (over accounts) before it is refused: {per_address}"
    );
    Ok(())
}
