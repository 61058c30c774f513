//! `loadgen`: durable post throughput and post→acknowledgement latency of a running
//! Courtyard server, measured over its public HTTP API only.
//!
//! Setup creates an organization, `--people` people with passwords (all signed in), one
//! team group of `--group-size` of them and, with `--hook`, uploads the hostile test plugin
//! and enables it in the group (`hook_failure: open`), so every post pays one sandboxed
//! before-message hook call. Then `--concurrency` posters, each a signed-in member, post
//! flat out (or at `--rate` messages/s in total) for `--seconds` after a warm-up. Every post
//! carries a fresh `client_txn_id`; it counts when its 201 arrives, i.e. once it is
//! committed. With `--server-pid` the server's CPU time and peak RSS are read from `/proc`.
//!
//! A cluster: give `--url` (and `--server-pid`) once per node. Setup runs against the first
//! URL; poster i posts to URL i modulo their number. With `--listeners`, that many WebSocket
//! clients (members of the group, spread over the URLs the same way) time every message
//! from its send time, carried in its body, to its arrival (post→delivered), and check that
//! each of them received every message posted in the measured window exactly once.
//!
//! `loadgen durability post|verify`: crash durability of acknowledged posts (see
//! `durability.rs` and `bench/crash_durability.sh`).

mod api;
mod approvals;
mod durability;
mod listen;
mod procfs;
mod text;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::sleep_until;

use crate::api::{Api, SetupOptions, World};
use crate::listen::{Clock, Heard, Listener};

#[derive(Debug, Parser)]
#[command(
    name = "loadgen",
    about = "Durable post throughput and acknowledgement latency of a running Courtyard server"
)]
struct Args {
    /// The server's base URL. Give it once per node of a cluster: setup runs against the
    /// first; posters and listeners are spread round-robin over all of them.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: Vec<String>,
    #[command(flatten)]
    admin: crate::api::Admin,
    /// People to create in the organization.
    #[arg(long, default_value_t = 64)]
    people: usize,
    /// Members of each group posted to [default: all the people].
    #[arg(long)]
    group_size: Option<usize>,
    /// Groups posted to, round-robin: group g has people g·size … g·size + size − 1
    /// (modulo --people), so 1,000 groups of 10 among 10,000 people share no one.
    #[arg(long, default_value_t = 1)]
    groups: usize,
    /// Concurrent posters; poster i posts as member i (modulo the group size).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Warm-up seconds, posted but not counted.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Post at this many messages/s in total (open loop, latency counted from each post's
    /// scheduled time) instead of flat out.
    #[arg(long)]
    rate: Option<f64>,
    /// Enable the hostile test plugin's before-message hook in the group.
    #[arg(long)]
    hook: bool,
    /// With --hook: keep the manifest's event subscriptions (`message.created`), so every
    /// post also runs an event handler in the background.
    #[arg(long, requires = "hook")]
    hook_events: bool,
    /// The hostile plugin's component.
    #[arg(
        long,
        default_value = "target/wasm32-wasip2/release/courtyard_plugin_hostile.wasm"
    )]
    plugin_wasm: PathBuf,
    /// The hostile plugin's manifest.
    #[arg(long, default_value = "tests/plugins/hostile/courtyard.toml")]
    plugin_manifest: PathBuf,
    /// The server's process id: report its CPU time during the run and its peak RSS. Give
    /// it once per node of a cluster: CPU times are summed, peak RSS reported per node.
    #[arg(long)]
    server_pid: Vec<u32>,
    /// WebSocket clients listening to the group, each signed in as a member (listener i as
    /// member i modulo the group size, on URL i modulo the URLs): post→delivered latency of
    /// every message posted in the window, and a check that each listener got all of them.
    #[arg(long, default_value_t = 0)]
    listeners: usize,
    /// With --listeners: seconds to wait, once posting is over, for the last deliveries.
    #[arg(long, default_value_t = 30)]
    drain: u64,
    /// With --listeners: acknowledge every TCP segment at once (TCP_QUICKACK, Linux). A
    /// diagnostic for delivery latency: a server socket without TCP_NODELAY holds small
    /// frames (Nagle) until the previous one is acknowledged, up to a delayed ACK's 40 ms.
    #[arg(long)]
    quickack: bool,
    /// With --listeners: each listener drops its connection at random intervals averaging
    /// this many milliseconds and resumes with `?since=` (reliability: 0 gaps and 0
    /// duplicates after catch-up are expected).
    #[arg(long)]
    drop_every_ms: Option<u64>,
    /// A name for this run in the report (e.g. the backend).
    #[arg(long, default_value = "")]
    label: String,
    /// Also print the report as one JSON line.
    #[arg(long)]
    json: bool,
    /// Post sentences from a vocabulary of Chinese and English words (see `text.rs`)
    /// instead of one fixed line, so the messages can be searched.
    #[arg(long)]
    vocabulary: bool,
    /// After posting, run this many message searches one after another (one- and two-word
    /// queries from the vocabulary, as a member of the group) and report their latency.
    #[arg(long, default_value_t = 0)]
    searches: usize,
}

/// What one poster saw inside the measured window.
#[derive(Default)]
struct Tally {
    /// Post→acknowledgement latencies of the acknowledged posts, in microseconds.
    latencies_us: Vec<u64>,
    /// Everything but a 201, by status and error code (or transport failure).
    errors: BTreeMap<String, u64>,
    /// (group, position) of the messages posted in the window (sent in it and answered
    /// 201, even after it closed): what every listener of the group must receive.
    posted: Vec<(usize, i64)>,
}

/// A point in time plus the CPU counters at it.
struct Snapshot {
    /// One per `--server-pid`.
    server_ticks: Vec<Option<u64>>,
    own_ticks: Option<u64>,
    machine: Option<(u64, u64)>,
}

impl Snapshot {
    fn take(servers: &[String]) -> Snapshot {
        Snapshot {
            server_ticks: servers.iter().map(|p| procfs::cpu_ticks(p)).collect(),
            own_ticks: procfs::cpu_ticks("self"),
            machine: procfs::machine_ticks(),
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `loadgen durability …` has a command line of its own.
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == "durability")
    {
        return durability::main(durability::Cli::parse_from(std::env::args_os().skip(1))).await;
    }
    let args = Args::parse();
    let group_size = args.group_size.unwrap_or(args.people);
    if args.people == 0 || group_size == 0 || group_size > args.people {
        bail!("--group-size must be 1 to --people ({})", args.people);
    }
    if args.concurrency == 0 || args.seconds == 0 || args.groups == 0 {
        bail!("--concurrency, --seconds and --groups must be positive");
    }
    if args.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        bail!("--rate must be a positive number");
    }
    let run_id = api::run_id();
    let apis = args
        .url
        .iter()
        .map(|u| Api::new(u))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let api = apis[0].clone();
    let started = Instant::now();
    let world = api::setup(
        &api,
        &SetupOptions {
            run_id: &run_id,
            admin: &args.admin,
            people: args.people,
            group_size,
            groups: args.groups,
        },
    )
    .await
    .context("setup")?;
    let mut hook = Value::Null;
    if args.hook {
        api::install_hook(
            &api,
            &world,
            &args.plugin_wasm,
            &args.plugin_manifest,
            args.hook_events,
        )
        .await
        .context("installing the hook")?;
        if !api::hook_answers(&api, &world, &format!("lg-{run_id}-check-before")).await? {
            bail!("the before-message hook did not rewrite the check message: is it running?");
        }
    }
    eprintln!(
        "setup: {} people, {} group(s) of {group_size}{} in {:.1} s; posting for {} + {} s",
        args.people,
        args.groups,
        if args.hook { ", hook enabled" } else { "" },
        started.elapsed().as_secs_f64(),
        args.warmup,
        args.seconds
    );

    // Listeners connect before the clock starts, so they hear the warm-up too.
    // Listener i listens as member i mod size of group ⌊i / size⌋ mod groups.
    let listener_at = |i: usize| {
        let g = (i / group_size) % args.groups;
        (g, &world.groups[g].members[i % group_size])
    };
    let mut streams = Vec::with_capacity(args.listeners);
    for i in 0..args.listeners {
        let base = &apis[i % apis.len()].base;
        let (_, token) = listener_at(i);
        let (ws, head) = listen::connect(base, token, None)
            .await
            .with_context(|| format!("listener {i}"))?;
        streams.push((ws, head));
    }
    if args.listeners > 0 {
        eprintln!(
            "{} listeners connected over {} node(s)",
            args.listeners,
            apis.len()
        );
    }

    let server_pids: Vec<String> = args.server_pid.iter().map(u32::to_string).collect();
    let clock = Clock::new(Duration::from_millis(50));
    let start = clock.start();
    let measure_from = start + Duration::from_secs(args.warmup);
    let measure_to = measure_from + Duration::from_secs(args.seconds);
    // One stop signal per group: a listener stops at its own group's last message.
    let (stop_tx, stop_rx): (Vec<_>, Vec<_>) =
        (0..args.groups).map(|_| watch::channel(None)).unzip();
    let mut listeners = JoinSet::new();
    for (i, (ws, head)) in streams.into_iter().enumerate() {
        let (g, token) = listener_at(i);
        let listener = Listener {
            base: apis[i % apis.len()].base.clone(),
            token: token.clone(),
            group: world.groups[g].id.clone(),
            clock,
            window: (clock.micros(measure_from), clock.micros(measure_to)),
            stop: stop_rx[g].clone(),
            drain: Duration::from_secs(args.drain),
            quickack: args.quickack,
            drop_every: args.drop_every_ms.map(Duration::from_millis),
            seed: 0x5eed ^ i as u64,
        };
        listeners.spawn(async move { (g, listener.run(ws, head).await) });
    }
    let targets: Arc<Vec<Target>> = Arc::new(
        world
            .groups
            .iter()
            .map(|t| Target {
                path: format!("/api/v1/groups/{}/messages", t.id),
                tokens: t.members.clone(),
            })
            .collect(),
    );
    let mut posters = JoinSet::new();
    for i in 0..args.concurrency {
        let (api, run_id) = (apis[i % apis.len()].clone(), run_id.clone());
        let targets = targets.clone();
        let turns = (i, args.concurrency);
        let pace = args.rate.map(|r| {
            (
                Duration::from_secs_f64(i as f64 / r),
                args.concurrency as f64 / r,
            )
        });
        let vocabulary = args.vocabulary.then(|| text::Rng::new(i as u64 + 1));
        posters.spawn(async move {
            poster(
                api,
                targets,
                turns,
                format!("lg-{run_id}-{i}"),
                (clock, measure_from, measure_to),
                pace,
                vocabulary,
            )
            .await
        });
    }
    sleep_until(measure_from).await;
    let before = Snapshot::take(&server_pids);
    sleep_until(measure_to).await;
    let after = Snapshot::take(&server_pids);
    let mut tally = Tally::default();
    while let Some(joined) = posters.join_next().await {
        let t = joined.context("a poster panicked")?;
        tally.latencies_us.extend(t.latencies_us);
        tally.posted.extend(t.posted);
        for (k, n) in t.errors {
            *tally.errors.entry(k).or_default() += n;
        }
    }
    let mut delivery = Value::Null;
    if args.listeners > 0 {
        // One more message per group, after every other: a listener that reaches its
        // position has received everything before it (each stream is in position order).
        let ends = api::parallel(args.groups, 32, |g| {
            let (api, team) = (api.clone(), &world.groups[g]);
            let path = format!("/api/v1/groups/{}/messages", team.id);
            let (owner, txn) = (team.members[0].clone(), format!("lg-{run_id}-end-{g}"));
            async move {
                let body = json!({"body": "loadgen: posting is over", "client_txn_id": txn});
                let last = api
                    .call(Method::POST, &path, Some(&owner), Some(&body))
                    .await;
                Ok(match last {
                    Ok(a) if a.status == 201 => a.body["seq"].as_i64(),
                    _ => None,
                })
            }
        })
        .await?;
        for (tx, end) in stop_tx.iter().zip(ends) {
            // Without it, listeners wait out the drain.
            let _ = tx.send(Some(end.unwrap_or(i64::MAX)));
        }
        let mut heard = Vec::with_capacity(args.listeners);
        while let Some(joined) = listeners.join_next().await {
            heard.push(joined.context("a listener panicked")?);
        }
        delivery = delivery_report(args.groups, &tally.posted, heard);
    }
    if args.hook {
        let mut health = api::hook_health(&api, &world).await?;
        health["still_rewrites_after_run"] =
            json!(api::hook_answers(&api, &world, &format!("lg-{run_id}-check-after")).await?);
        hook = health;
    }

    let mut report = report(&args, group_size, &world, tally, &before, &after);
    report["hook_health"] = hook;
    if let (Some(r), Value::Object(d)) = (report.as_object_mut(), delivery) {
        r.extend(d);
    }
    if args.searches > 0 {
        report["search"] = search_phase(&api, &world, args.searches).await?;
    }
    print_table(&report);
    if args.json {
        println!("{report}");
    }
    Ok(())
}

/// Where posts go: a group's messages and its members' tokens.
struct Target {
    path: String,
    tokens: Vec<String>,
}

/// One poster: posts until the window closes (the clock starts it). Poster i of c makes
/// the run's posts i, i + c, i + 2c, …; post k goes to group k mod G as one of its members,
/// so the groups take turns. `pace` is (first offset, seconds between posts) in rate mode.
async fn poster(
    api: Api,
    targets: Arc<Vec<Target>>,
    (i, concurrency): (usize, usize),
    txn_prefix: String,
    (clock, measure_from, measure_to): (Clock, tokio::time::Instant, tokio::time::Instant),
    pace: Option<(Duration, f64)>,
    mut vocabulary: Option<text::Rng>,
) -> Tally {
    let mut tally = Tally::default();
    let start = clock.start();
    sleep_until(start).await;
    for seq in 0u64.. {
        // Flat out: the clock starts when the post is sent. Paced: at its scheduled time,
        // so a server that falls behind shows in the latency (no coordinated omission).
        let sent = match pace {
            None => tokio::time::Instant::now(),
            Some((offset, every)) => {
                let due = start + offset + Duration::from_secs_f64(every * seq as f64);
                if due >= measure_to {
                    // Not after the window (at low rates a poster's next turn may be far off).
                    break;
                }
                sleep_until(due).await;
                due
            }
        };
        if sent >= measure_to {
            break;
        }
        let mut text = match vocabulary.as_mut() {
            Some(rng) => text::sentence(rng),
            None => {
                format!("load test {txn_prefix}-{seq}: the quick brown fox jumps over the lazy dog")
            }
        };
        // The send time, for listeners' post→delivered latency.
        text.push_str(&listen::marker(clock.micros(sent)));
        let body = json!({
            "body": text,
            "client_txn_id": format!("{txn_prefix}-{seq}"),
        });
        let k = seq as usize * concurrency + i;
        let (g, target) = (k % targets.len(), &targets[k % targets.len()]);
        let token = &target.tokens[(k / targets.len()) % target.tokens.len()];
        let outcome = api
            .call(Method::POST, &target.path, Some(token), Some(&body))
            .await;
        let acked = tokio::time::Instant::now();
        if sent < measure_from {
            continue;
        }
        if let Ok(a) = &outcome
            && a.status == 201
            && let Some(seq) = a.body["seq"].as_i64()
        {
            tally.posted.push((g, seq));
        }
        if acked > measure_to {
            continue;
        }
        match outcome {
            Ok(a) if a.status == 201 => tally
                .latencies_us
                .push((acked - sent).as_micros().try_into().unwrap_or(u64::MAX)),
            Ok(a) => {
                *tally
                    .errors
                    .entry(format!("{} {}", a.status, a.code()).trim_end().to_owned())
                    .or_default() += 1
            }
            Err(e) => {
                let kind = match e.downcast_ref::<reqwest::Error>() {
                    Some(r) if r.is_timeout() => "timeout",
                    Some(r) if r.is_connect() => "connect",
                    _ => "other",
                };
                *tally.errors.entry(format!("transport {kind}")).or_default() += 1;
            }
        }
    }
    tally
}

/// Runs `n` searches one after another as the first member and reports their latency
/// (microsecond samples, nearest-rank percentiles) and how many results pages were full.
async fn search_phase(api: &Api, world: &World, n: usize) -> anyhow::Result<Value> {
    let mut rng = text::Rng::new(0x5eed);
    let token = &world.members[0];
    let mut latencies_us = Vec::with_capacity(n);
    let (mut full_pages, mut errors) = (0u64, 0u64);
    for i in 0..n {
        // Every other query is two words; half of the words are drawn uniformly, so rare
        // words are searched as well as common ones.
        let pick = |rng: &mut text::Rng| {
            if rng.next().is_multiple_of(2) {
                text::VOCABULARY[rng.word()]
            } else {
                text::VOCABULARY[(rng.next() % text::VOCABULARY.len() as u64) as usize]
            }
        };
        let mut q = pick(&mut rng).to_owned();
        if i % 2 == 1 {
            q.push(' ');
            q.push_str(pick(&mut rng));
        }
        let path = format!(
            "/api/v1/search/messages?limit=20&q={}",
            q.bytes().map(|b| format!("%{b:02X}")).collect::<String>()
        );
        let sent = Instant::now();
        let answer = api.call(Method::GET, &path, Some(token), None).await?;
        latencies_us.push(sent.elapsed().as_micros().try_into().unwrap_or(u64::MAX));
        if answer.status != 200 {
            errors += 1;
        } else if answer.body["hits"]
            .as_array()
            .is_some_and(|h| h.len() == 20)
        {
            full_pages += 1;
        }
    }
    latencies_us.sort_unstable();
    Ok(json!({
        "queries": n,
        "errors": errors,
        "full_pages": full_pages,
        "p50_ms": round(percentile_ms(&latencies_us, 50.0), 2),
        "p95_ms": round(percentile_ms(&latencies_us, 95.0), 2),
        "p99_ms": round(percentile_ms(&latencies_us, 99.0), 2),
        "max_ms": round(percentile_ms(&latencies_us, 100.0), 2),
    }))
}

/// The nearest-rank percentile of sorted samples, in milliseconds.
fn percentile_ms(sorted_us: &[u64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted_us.len() as f64).ceil() as usize;
    sorted_us[rank.clamp(1, sorted_us.len()) - 1] as f64 / 1000.0
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// Post→delivered latency over every listener, and each listener's count against the
/// positions posted in its group in the window.
fn delivery_report(groups: usize, posted: &[(usize, i64)], heard: Vec<(usize, Heard)>) -> Value {
    let mut expected = vec![Vec::new(); groups];
    for &(g, seq) in posted {
        expected[g].push(seq);
    }
    for e in &mut expected {
        e.sort_unstable();
        e.dedup();
    }
    let listeners = heard.len();
    let expected_frames: usize = heard.iter().map(|(g, _)| expected[*g].len()).sum();
    let (mut expected_least, mut expected_most) = (usize::MAX, 0);
    let (mut missing, mut duplicates, mut unexpected) = (0, 0, 0);
    let (mut complete, mut reconnects, mut resyncs, mut timed_out) = (0, 0, 0, 0);
    let mut drops = 0;
    let (mut least, mut most) = (usize::MAX, 0);
    let mut errors = Vec::new();
    let mut latencies_us = Vec::with_capacity(heard.iter().map(|(_, h)| h.seqs.len()).sum());
    for (g, mut h) in heard {
        least = least.min(h.seqs.len());
        most = most.max(h.seqs.len());
        expected_least = expected_least.min(expected[g].len());
        expected_most = expected_most.max(expected[g].len());
        let (m, d, u) = listen::check(&expected[g], &mut h.seqs);
        missing += m;
        duplicates += d;
        unexpected += u;
        if m == 0 && d == 0 {
            complete += 1;
        }
        reconnects += h.reconnects;
        drops += h.drops;
        resyncs += h.resyncs;
        timed_out += u64::from(h.timed_out);
        errors.extend(h.error);
        latencies_us.extend(h.latencies_us);
    }
    latencies_us.sort_unstable();
    let l = &latencies_us;
    let mean_ms = if l.is_empty() {
        0.0
    } else {
        l.iter().sum::<u64>() as f64 / l.len() as f64 / 1000.0
    };
    json!({
        "delivered": l.len(),
        "delivery_latency_ms": {
            "p50": round(percentile_ms(l, 50.0), 2),
            "p95": round(percentile_ms(l, 95.0), 2),
            "p99": round(percentile_ms(l, 99.0), 2),
            "max": round(l.last().map_or(0.0, |m| *m as f64 / 1000.0), 2),
            "mean": round(mean_ms, 2),
        },
        "missing": missing,
        "duplicates": duplicates,
        "delivery": {
            "expected_frames": expected_frames,
            "expected_per_listener_min": if listeners == 0 { 0 } else { expected_least },
            "expected_per_listener_max": expected_most,
            "received_per_listener_min": if listeners == 0 { 0 } else { least },
            "received_per_listener_max": most,
            "listeners_complete": complete,
            "unexpected": unexpected,
            "reconnects": reconnects,
            "drops": drops,
            "resyncs": resyncs,
            "timed_out": timed_out,
            "errors": errors,
        },
    })
}

/// The run's report; `hook_health` and, with listeners, the delivery figures are filled in
/// by the caller.
fn report(
    args: &Args,
    group_size: usize,
    world: &World,
    mut tally: Tally,
    before: &Snapshot,
    after: &Snapshot,
) -> Value {
    tally.latencies_us.sort_unstable();
    let l = &tally.latencies_us;
    let secs = args.seconds as f64;
    let tck = procfs::clock_ticks();
    let cpu_s = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => json!(round(b.saturating_sub(a) as f64 / tck, 2)),
        _ => Value::Null,
    };
    let servers: Vec<Value> = args
        .server_pid
        .iter()
        .enumerate()
        .map(|(i, pid)| {
            let p = pid.to_string();
            let cpu = cpu_s(
                before.server_ticks.get(i).copied().flatten(),
                after.server_ticks.get(i).copied().flatten(),
            );
            json!({
                "pid": pid,
                "cpu_s": cpu,
                "cpu_pct_of_one_core": cpu.as_f64().map(|c| round(c / secs * 100.0, 0)),
                "peak_rss_mib": procfs::peak_rss_kib(&p).map(|k| round(k as f64 / 1024.0, 1)),
                "rss_mib": procfs::rss_kib(&p).map(|k| round(k as f64 / 1024.0, 1)),
            })
        })
        .collect();
    // One server: itself. Several: CPU and memory summed (`servers` has each).
    let server = match servers.as_slice() {
        [] => Value::Null,
        [one] => one.clone(),
        many => {
            let sum = |k: &str| -> Value {
                let v: Option<Vec<f64>> = many.iter().map(|s| s[k].as_f64()).collect();
                v.map_or(Value::Null, |v| json!(round(v.iter().sum::<f64>(), 2)))
            };
            json!({
                "pids": args.server_pid,
                "cpu_s": sum("cpu_s"),
                "cpu_pct_of_one_core": sum("cpu_pct_of_one_core"),
                "peak_rss_mib": sum("peak_rss_mib"),
                "rss_mib": sum("rss_mib"),
            })
        }
    };
    let machine_busy = match (before.machine, after.machine) {
        (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => {
            json!(round((b1 - b0) as f64 / (t1 - t0) as f64 * 100.0, 0))
        }
        _ => Value::Null,
    };
    let errors: u64 = tally.errors.values().sum();
    let mean_ms = if l.is_empty() {
        0.0
    } else {
        l.iter().sum::<u64>() as f64 / l.len() as f64 / 1000.0
    };
    json!({
        "label": args.label,
        "url": args.url[0],
        "urls": args.url,
        "nodes": args.url.len(),
        "listeners": args.listeners,
        "quickack": args.quickack,
        "hook": args.hook,
        "hook_events": args.hook_events,
        "people": args.people,
        "groups": args.groups,
        "group_size": group_size,
        "group_id": world.group,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
        "target_rate": args.rate,
        "messages": l.len(),
        "throughput_per_s": round(l.len() as f64 / secs, 1),
        "latency_ms": {
            "p50": round(percentile_ms(l, 50.0), 2),
            "p95": round(percentile_ms(l, 95.0), 2),
            "p99": round(percentile_ms(l, 99.0), 2),
            "max": round(l.last().map_or(0.0, |m| *m as f64 / 1000.0), 2),
            "mean": round(mean_ms, 2),
        },
        "errors": errors,
        "errors_by_status": tally.errors,
        "server": server,
        "servers": servers,
        "loadgen_cpu_s": cpu_s(before.own_ticks, after.own_ticks),
        "machine_cpu_busy_pct": machine_busy,
        "hook_health": Value::Null,
        "delivered": Value::Null,
        "delivery_latency_ms": Value::Null,
        "missing": Value::Null,
        "duplicates": Value::Null,
    })
}

fn print_table(r: &Value) {
    let ms = |k: &str| r["latency_ms"][k].as_f64().unwrap_or(0.0);
    let mut rows: Vec<(String, String)> = vec![
        (
            "run".into(),
            format!(
                "{}{}{}{} posters, {} s after {} s warm-up{}{}",
                match r["label"].as_str() {
                    Some("") | None => String::new(),
                    Some(l) => format!("{l}, "),
                },
                match r["groups"].as_u64() {
                    Some(n) if n > 1 => format!("{n} groups of {}, ", r["group_size"]),
                    _ => String::new(),
                },
                match r["nodes"].as_u64() {
                    Some(n) if n > 1 => format!("{n} nodes, "),
                    _ => String::new(),
                },
                r["concurrency"],
                r["seconds"],
                r["warmup_seconds"],
                match r["target_rate"].as_f64() {
                    Some(rate) => format!(", paced at {rate} msg/s"),
                    None => ", flat out".into(),
                },
                match (r["hook"].as_bool(), r["hook_events"].as_bool()) {
                    (Some(true), Some(true)) => ", before-message hook + message.created event",
                    (Some(true), _) => ", before-message hook",
                    _ => ", no plugin",
                }
            ),
        ),
        ("messages acknowledged".into(), r["messages"].to_string()),
        (
            "throughput".into(),
            format!("{} msg/s", r["throughput_per_s"]),
        ),
        (
            "post→ack p50/p95/p99/max".into(),
            format!(
                "{:.2} / {:.2} / {:.2} / {:.2} ms (mean {:.2})",
                ms("p50"),
                ms("p95"),
                ms("p99"),
                ms("max"),
                ms("mean")
            ),
        ),
        (
            "errors".into(),
            match r["errors_by_status"].as_object() {
                Some(m) if !m.is_empty() => m
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => "none".into(),
            },
        ),
    ];
    if r["listeners"].as_u64().is_some_and(|n| n > 0) {
        let d = &r["delivery"];
        let dl = |k: &str| r["delivery_latency_ms"][k].as_f64().unwrap_or(0.0);
        rows.push((
            "listeners".into(),
            format!(
                "{} WebSocket clients over {} node(s){}",
                r["listeners"],
                r["nodes"],
                if r["quickack"] == true {
                    ", TCP_QUICKACK"
                } else {
                    ""
                }
            ),
        ));
        rows.push((
            "delivered in the window".into(),
            format!(
                "{} frames of {} expected ({}–{} messages per listener)",
                r["delivered"],
                d["expected_frames"],
                d["expected_per_listener_min"],
                d["expected_per_listener_max"]
            ),
        ));
        rows.push((
            "post→delivered p50/p95/p99/max".into(),
            format!(
                "{:.2} / {:.2} / {:.2} / {:.2} ms (mean {:.2})",
                dl("p50"),
                dl("p95"),
                dl("p99"),
                dl("max"),
                dl("mean")
            ),
        ));
        let errors = d["errors"].as_array().map_or(0, Vec::len);
        rows.push((
            "delivery check".into(),
            format!(
                "missing {}, duplicates {}, unexpected {}; {}/{} listeners got every message \
                 once; {} reconnects ({} dropped on purpose), {} resyncs, {} timed out, {} failed",
                r["missing"],
                r["duplicates"],
                d["unexpected"],
                d["listeners_complete"],
                r["listeners"],
                d["reconnects"],
                d["drops"],
                d["resyncs"],
                d["timed_out"],
                errors
            ),
        ));
        if let Some(first) = d["errors"].as_array().and_then(|e| e.first()) {
            rows.push(("first listener failure".into(), first.to_string()));
        }
    }
    let search = &r["search"];
    if !search.is_null() {
        rows.push((
            "search p50/p95/p99/max".into(),
            format!(
                "{} / {} / {} / {} ms ({} queries, {} with a full page of 20, {} errors)",
                search["p50_ms"],
                search["p95_ms"],
                search["p99_ms"],
                search["max_ms"],
                search["queries"],
                search["full_pages"],
                search["errors"]
            ),
        ));
    }
    let servers = r["servers"].as_array().map_or(&[][..], Vec::as_slice);
    if servers.len() > 1 {
        let s = &r["server"];
        let each = |k: &str| {
            servers
                .iter()
                .map(|n| n[k].to_string())
                .collect::<Vec<_>>()
                .join(" / ")
        };
        rows.push((
            "server CPU during the run".into(),
            format!(
                "{} s in total ({}% of one core); per node {} s",
                s["cpu_s"],
                s["cpu_pct_of_one_core"],
                each("cpu_s")
            ),
        ));
        rows.push((
            "server peak RSS (VmHWM)".into(),
            format!(
                "per node {} MiB (now {} MiB)",
                each("peak_rss_mib"),
                each("rss_mib")
            ),
        ));
    } else if !r["server"].is_null() {
        let s = &r["server"];
        rows.push((
            "server CPU during the run".into(),
            format!(
                "{} s ({}% of one core)",
                s["cpu_s"], s["cpu_pct_of_one_core"]
            ),
        ));
        rows.push((
            "server peak RSS (VmHWM)".into(),
            format!("{} MiB (now {} MiB)", s["peak_rss_mib"], s["rss_mib"]),
        ));
    }
    rows.push((
        "loadgen CPU during the run".into(),
        format!("{} s", r["loadgen_cpu_s"]),
    ));
    rows.push((
        "machine CPU busy (all cores)".into(),
        format!("{}%", r["machine_cpu_busy_pct"]),
    ));
    if !r["hook_health"].is_null() {
        rows.push((
            "hook health after the run".into(),
            r["hook_health"].to_string(),
        ));
    }
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (k, v) in rows {
        println!("{k:<width$}  {v}");
    }
}
