//! `loadgen durability post|verify`: do acknowledged posts survive the server being killed?
//!
//! `post` sets up an organization, people and one team group (as the throughput mode
//! does), saves what `verify` needs in a state file, then has `--concurrency` posters post
//! `--posts` messages in total, each with its own `client_txn_id` and a body naming it.
//! Every acknowledgement (a 201, or a 200 for a retry the server recognised, carrying the
//! message) is appended at once to the ack log, one JSON line: txn id, message id, seq,
//! status, a hash of the body sent. When the server is gone (connection refused or reset,
//! a timeout, a 5xx), the poster sends the same post again — same `client_txn_id`, same
//! body — with backoff and jitter, up to `--attempts` times, so each post ends either
//! acknowledged or known to be unacknowledged. A bench script kills the server (`kill -9`)
//! and restarts it meanwhile (`bench/crash_durability.sh`).
//!
//! `verify` reads the whole group history through the API (newest first, paging with
//! `before`) and compares it with the ack log: acknowledged but missing (must be 0), the
//! same post stored twice (must be 0), stored but never acknowledged (allowed: the commit
//! was durable but the answer was lost with the process, and the poster gave up or had not
//! retried), and whether each stored message has the id and body that were acknowledged.
//! It then re-posts a sample of acknowledged transactions: the server must answer 200 with
//! the original message (the idempotency key survived too) and store nothing new.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::api::{self, Api, SetupOptions};
use crate::text;

#[derive(Debug, Parser)]
#[command(
    name = "loadgen durability",
    about = "Crash durability of acknowledged posts: post with retries and an ack log, then verify"
)]
pub struct Cli {
    #[command(subcommand)]
    step: Step,
}

#[derive(Debug, Subcommand)]
enum Step {
    /// Set up a group and post a known set of messages, logging every acknowledgement and
    /// retrying unacknowledged posts (same client_txn_id) while the server is down.
    Post(PostArgs),
    /// Compare the group's stored history with the ack log.
    Verify(VerifyArgs),
    /// Run approval requests through the approvals plugin (submit, approve, approve),
    /// logging every acknowledged step and retrying while the server is down.
    Approvals(crate::approvals::RunArgs),
    /// Compare the approvals plugin's stored requests with the ack log `approvals` wrote.
    VerifyApprovals(crate::approvals::VerifyArgs),
}

#[derive(Debug, clap::Args)]
struct PostArgs {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    #[command(flatten)]
    admin: crate::api::Admin,
    /// Messages to post in total (post j goes to poster j modulo --concurrency).
    #[arg(long, default_value_t = 10_000)]
    posts: usize,
    /// Concurrent posters; poster i posts as member i (modulo --people).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// People in the group.
    #[arg(long, default_value_t = 64)]
    people: usize,
    #[command(flatten)]
    retry: Retry,
    /// The ack log (JSON lines), created or truncated.
    #[arg(long)]
    ack_log: PathBuf,
    /// Where to save the run (group, tokens) for `verify`.
    #[arg(long)]
    state: PathBuf,
}

/// How a client tries again while the server is away (posts here, plugin calls in
/// `approvals`).
#[derive(Debug, Clone, clap::Args)]
pub struct Retry {
    /// Attempts per call before it is given up (unacknowledged).
    #[arg(long, default_value_t = 400)]
    pub attempts: u32,
    /// Longest pause between two attempts of one call, in milliseconds (the pause doubles
    /// from 20 ms up to this, each drawn at random between half and all of it).
    #[arg(long, default_value_t = 500)]
    pub max_backoff_ms: u64,
}

impl Retry {
    /// How long to wait after failed attempt number `attempt` (from 1).
    pub fn pause(&self, attempt: u32, rng: &mut text::Rng) -> Duration {
        let cap = Duration::from_millis(20)
            .saturating_mul(1 << attempt.min(10))
            .min(Duration::from_millis(self.max_backoff_ms.max(20)));
        let half = cap / 2;
        half + Duration::from_micros(rng.next() % (half.as_micros() as u64 + 1))
    }
}

#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// The state file `post` wrote.
    #[arg(long)]
    state: PathBuf,
    /// The ack log `post` wrote.
    #[arg(long)]
    ack_log: PathBuf,
    /// The server's base URL [default: the one in the state file].
    #[arg(long)]
    url: Option<String>,
    /// Acknowledged transactions to post again (expecting 200 and the original message).
    #[arg(long, default_value_t = 200)]
    repost_sample: usize,
}

pub async fn main(cli: Cli) -> anyhow::Result<()> {
    match cli.step {
        Step::Post(a) => post(a).await,
        Step::Verify(a) => verify(a).await,
        Step::Approvals(a) => crate::approvals::run(a).await,
        Step::VerifyApprovals(a) => crate::approvals::verify(a).await,
    }
}

/// What `verify` needs from a run.
struct State {
    url: String,
    run_id: String,
    group: String,
    posts: usize,
    concurrency: usize,
    /// Session tokens of the group's members, the owner first.
    members: Vec<String>,
}

impl State {
    fn to_json(&self) -> Value {
        json!({
            "url": self.url,
            "run_id": self.run_id,
            "group": self.group,
            "posts": self.posts,
            "concurrency": self.concurrency,
            "members": self.members,
        })
    }

    fn load(path: &Path) -> anyhow::Result<State> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let v: Value = serde_json::from_str(&text).context("parsing the state file")?;
        let s = |k: &str| {
            v[k].as_str()
                .map(str::to_owned)
                .with_context(|| format!("state file without {k}"))
        };
        let n = |k: &str| {
            v[k].as_u64()
                .map(|n| n as usize)
                .with_context(|| format!("state file without {k}"))
        };
        let members = v["members"]
            .as_array()
            .context("state file without members")?
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect::<Vec<_>>();
        if members.is_empty() {
            bail!("state file without members");
        }
        Ok(State {
            url: s("url")?,
            run_id: s("run_id")?,
            group: s("group")?,
            posts: n("posts")?,
            concurrency: n("concurrency")?,
            members,
        })
    }

    fn txn(&self, j: usize) -> String {
        txn_id(&self.run_id, j)
    }

    /// The member post `j` is sent as.
    fn token(&self, j: usize) -> &str {
        &self.members[(j % self.concurrency) % self.members.len()]
    }

    /// Which post a stored body is, if it is one of this run's.
    fn post_of(&self, body: &str) -> Option<usize> {
        let rest = body.strip_prefix(&format!("crash durability {} post ", self.run_id))?;
        let (j, _) = rest.split_once(' ')?;
        j.parse().ok()
    }
}

fn txn_id(run_id: &str, j: usize) -> String {
    format!("cd-{run_id}-{j}")
}

fn body_of(run_id: &str, j: usize, poster: usize) -> String {
    format!(
        "crash durability {run_id} post {j} (poster {poster}): the quick brown fox jumps over the lazy dog"
    )
}

/// FNV-1a, 64 bits: enough to tell bodies apart (not a security hash).
fn body_hash(body: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// What one poster saw.
#[derive(Default)]
struct Tally {
    acked: u64,
    /// Acknowledged with 200: a retry of a post the server had already committed (its
    /// first answer was lost when the server died).
    acked_as_retry: u64,
    /// Posts that needed more than one attempt.
    retried: u64,
    attempts: u64,
    /// Posts that ran out of attempts: known unacknowledged.
    given_up: u64,
    /// Posts refused with a 4xx other than 408/429: final, unacknowledged.
    rejected: u64,
    /// Acknowledgements whose message had another body than the one sent.
    answer_mismatch: u64,
    /// Failed attempts by status and code, or transport failure kind.
    errors: BTreeMap<String, u64>,
}

type AckLog = Arc<Mutex<std::fs::File>>;

async fn post(a: PostArgs) -> anyhow::Result<()> {
    if a.posts == 0 || a.concurrency == 0 || a.people == 0 || a.retry.attempts == 0 {
        bail!("--posts, --concurrency, --people and --attempts must be positive");
    }
    let run_id = api::run_id();
    let api = Api::new(&a.url)?;
    let started = Instant::now();
    let world = api::setup(&api, &SetupOptions::one_group(&run_id, &a.admin, a.people))
        .await
        .context("setup")?;
    let state = State {
        url: api.base.clone(),
        run_id: run_id.clone(),
        group: world.group.clone(),
        posts: a.posts,
        concurrency: a.concurrency,
        members: world.members.clone(),
    };
    std::fs::write(&a.state, state.to_json().to_string())
        .with_context(|| format!("writing {}", a.state.display()))?;
    let log: AckLog = Arc::new(Mutex::new(
        std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&a.ack_log)
            .with_context(|| format!("opening {}", a.ack_log.display()))?,
    ));
    eprintln!(
        "setup: {} people in {:.1} s; posting {} messages with {} posters",
        a.people,
        started.elapsed().as_secs_f64(),
        a.posts,
        a.concurrency
    );

    let posting = Instant::now();
    let path = format!("/api/v1/groups/{}/messages", world.group);
    let mut posters = JoinSet::new();
    for i in 0..a.concurrency {
        let poster = Poster {
            api: api.clone(),
            token: world.members[i % world.members.len()].clone(),
            path: path.clone(),
            run_id: run_id.clone(),
            index: i,
            log: log.clone(),
            retry: a.retry.clone(),
        };
        let posts: Vec<usize> = (i..a.posts).step_by(a.concurrency).collect();
        posters.spawn(poster.run(posts));
    }
    let mut tally = Tally::default();
    while let Some(joined) = posters.join_next().await {
        let t = joined.context("a poster panicked")??;
        tally.acked += t.acked;
        tally.acked_as_retry += t.acked_as_retry;
        tally.retried += t.retried;
        tally.attempts += t.attempts;
        tally.given_up += t.given_up;
        tally.rejected += t.rejected;
        tally.answer_mismatch += t.answer_mismatch;
        for (k, n) in t.errors {
            *tally.errors.entry(k).or_default() += n;
        }
    }
    let report = json!({
        "run_id": run_id,
        "group": world.group,
        "posts": a.posts,
        "concurrency": a.concurrency,
        "seconds": (posting.elapsed().as_secs_f64() * 100.0).round() / 100.0,
        "acked": tally.acked,
        "acked_as_retry": tally.acked_as_retry,
        "retried_posts": tally.retried,
        "attempts": tally.attempts,
        "given_up": tally.given_up,
        "rejected": tally.rejected,
        "answer_mismatch": tally.answer_mismatch,
        "failed_attempts": tally.errors,
    });
    eprintln!(
        "posted in {} s: {} acked ({} of them on a retry the server recognised), {} retried, \
         {} given up, {} rejected",
        report["seconds"],
        tally.acked,
        tally.acked_as_retry,
        tally.retried,
        tally.given_up,
        tally.rejected
    );
    println!("{report}");
    Ok(())
}

struct Poster {
    api: Api,
    token: String,
    path: String,
    run_id: String,
    index: usize,
    log: AckLog,
    retry: Retry,
}

impl Poster {
    async fn run(self, posts: Vec<usize>) -> anyhow::Result<Tally> {
        let mut tally = Tally::default();
        let mut rng = text::Rng::new(0x00c0_ffee ^ self.index as u64);
        for j in posts {
            let txn = txn_id(&self.run_id, j);
            let text = body_of(&self.run_id, j, self.index);
            let body = json!({"body": text, "client_txn_id": txn});
            let mut attempt = 0u32;
            loop {
                attempt += 1;
                tally.attempts += 1;
                let failure = match self
                    .api
                    .call(Method::POST, &self.path, Some(&self.token), Some(&body))
                    .await
                {
                    Ok(a) if a.status == 200 || a.status == 201 => {
                        let id = a.body["id"].as_str().unwrap_or("");
                        if a.body["body"].as_str() != Some(text.as_str()) {
                            tally.answer_mismatch += 1;
                        }
                        let line = json!({
                            "txn": txn,
                            "post": j,
                            "poster": self.index,
                            "id": id,
                            "seq": a.body["seq"],
                            "status": a.status,
                            "attempts": attempt,
                            "body_hash": body_hash(&text),
                        });
                        // One write per line, as soon as the answer is in.
                        self.log
                            .lock()
                            .map_err(|_| anyhow::anyhow!("ack log lock poisoned"))?
                            .write_all(format!("{line}\n").as_bytes())
                            .context("writing the ack log")?;
                        tally.acked += 1;
                        if a.status == 200 {
                            tally.acked_as_retry += 1;
                        }
                        break;
                    }
                    Ok(a) if a.status >= 500 || a.status == 408 || a.status == 429 => {
                        format!("{} {}", a.status, a.code()).trim_end().to_owned()
                    }
                    Ok(a) => {
                        // A definite refusal: retrying would not change it.
                        *tally
                            .errors
                            .entry(format!("{} {}", a.status, a.code()).trim_end().to_owned())
                            .or_default() += 1;
                        tally.rejected += 1;
                        break;
                    }
                    Err(e) => {
                        let kind = match e.downcast_ref::<reqwest::Error>() {
                            Some(r) if r.is_timeout() => "timeout",
                            Some(r) if r.is_connect() => "connect",
                            Some(r) if r.is_request() => "request",
                            Some(r) if r.is_body() || r.is_decode() => "body",
                            _ => "other",
                        };
                        format!("transport {kind}")
                    }
                };
                *tally.errors.entry(failure).or_default() += 1;
                if attempt == 2 {
                    tally.retried += 1;
                }
                if attempt >= self.retry.attempts {
                    tally.given_up += 1;
                    break;
                }
                tokio::time::sleep(self.retry.pause(attempt, &mut rng)).await;
            }
        }
        Ok(tally)
    }
}

/// One acknowledgement from the log.
struct Ack {
    id: String,
    body_hash: String,
    poster: usize,
}

/// One stored message of the run.
struct Stored {
    id: String,
    body_hash: String,
}

async fn verify(a: VerifyArgs) -> anyhow::Result<()> {
    let state = State::load(&a.state)?;
    let api = Api::new(a.url.as_deref().unwrap_or(&state.url))?;

    // The ack log.
    let text = std::fs::read_to_string(&a.ack_log)
        .with_context(|| format!("reading {}", a.ack_log.display()))?;
    let mut acks: HashMap<usize, Ack> = HashMap::new();
    let (mut malformed, mut logged_twice) = (0u64, 0u64);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            malformed += 1;
            continue;
        };
        let (Some(j), Some(id), Some(hash), Some(poster)) = (
            v["post"].as_u64(),
            v["id"].as_str(),
            v["body_hash"].as_str(),
            v["poster"].as_u64(),
        ) else {
            malformed += 1;
            continue;
        };
        let j = j as usize;
        if v["txn"].as_str() != Some(state.txn(j).as_str()) {
            malformed += 1;
            continue;
        }
        let ack = Ack {
            id: id.to_owned(),
            body_hash: hash.to_owned(),
            poster: poster as usize,
        };
        if acks.insert(j, ack).is_some() {
            logged_twice += 1;
        }
    }

    // The stored history, newest first, paged with `before`.
    let owner = &state.members[0];
    let mut stored: HashMap<usize, Vec<Stored>> = HashMap::new();
    let (mut other, mut pages, mut fetched) = (0u64, 0u64, 0u64);
    let mut ids_seen: HashMap<String, u32> = HashMap::new();
    let mut order_errors = 0u64;
    let mut before: Option<i64> = None;
    loop {
        let path = format!(
            "/api/v1/groups/{}/messages?limit=200{}",
            state.group,
            before.map(|b| format!("&before={b}")).unwrap_or_default()
        );
        let page = api
            .expect(Method::GET, &path, Some(owner), None, 200)
            .await
            .context("reading the history")?;
        let page = page.as_array().context("history page is not a list")?;
        pages += 1;
        if page.is_empty() {
            break;
        }
        for m in page {
            fetched += 1;
            let seq = m["seq"].as_i64().context("message without seq")?;
            if before.is_some_and(|b| seq >= b) {
                order_errors += 1;
            }
            before = Some(seq);
            let id = m["id"].as_str().unwrap_or("").to_owned();
            *ids_seen.entry(id.clone()).or_default() += 1;
            let body = m["body"].as_str().unwrap_or("");
            match state.post_of(body) {
                Some(j) if j < state.posts => stored.entry(j).or_default().push(Stored {
                    id,
                    body_hash: body_hash(body),
                }),
                _ => other += 1,
            }
        }
    }
    let ids_listed_twice = ids_seen.values().filter(|&&n| n > 1).count() as u64;

    let mut missing = Vec::new();
    let (mut id_mismatch, mut body_mismatch) = (0u64, 0u64);
    for (&j, ack) in &acks {
        match stored.get(&j) {
            None => missing.push(j),
            Some(copies) => {
                if !copies.iter().any(|s| s.id == ack.id) {
                    id_mismatch += 1;
                }
                if copies.iter().any(|s| s.body_hash != ack.body_hash) {
                    body_mismatch += 1;
                }
            }
        }
    }
    missing.sort_unstable();
    let mut duplicated: Vec<usize> = stored
        .iter()
        .filter(|(_, c)| c.len() > 1)
        .map(|(&j, _)| j)
        .collect();
    duplicated.sort_unstable();
    let extra_copies: u64 = stored.values().map(|c| c.len() as u64 - 1).sum();
    let unacked_stored = stored.keys().filter(|j| !acks.contains_key(j)).count() as u64;
    let neither = (0..state.posts)
        .filter(|j| !acks.contains_key(j) && !stored.contains_key(j))
        .count() as u64;

    // Idempotency keys survived too: a retry of an acknowledged post gets the original.
    // (Only stored ones: re-posting a missing one would store it.)
    let mut sample: Vec<usize> = acks
        .keys()
        .copied()
        .filter(|j| stored.contains_key(j))
        .collect();
    sample.sort_unstable();
    let step = (sample.len() / a.repost_sample.max(1)).max(1);
    let sample: Vec<usize> = sample
        .into_iter()
        .step_by(step)
        .take(a.repost_sample)
        .collect();
    let mut repost_bad = Vec::new();
    let path = format!("/api/v1/groups/{}/messages", state.group);
    for &j in &sample {
        let ack = &acks[&j];
        let body = json!({
            "body": body_of(&state.run_id, j, ack.poster),
            "client_txn_id": state.txn(j),
        });
        let answer = api
            .call(Method::POST, &path, Some(state.token(j)), Some(&body))
            .await
            .context("re-posting an acknowledged transaction")?;
        if answer.status != 200 || answer.body["id"].as_str() != Some(ack.id.as_str()) {
            repost_bad.push(json!({"post": j, "status": answer.status, "id": answer.body["id"]}));
        }
    }

    let ok = missing.is_empty()
        && duplicated.is_empty()
        && id_mismatch == 0
        && body_mismatch == 0
        && logged_twice == 0
        && malformed == 0
        && ids_listed_twice == 0
        && order_errors == 0
        && repost_bad.is_empty();
    let report = json!({
        "ok": ok,
        "posts": state.posts,
        "acked": acks.len(),
        "stored": stored.len(),
        "history_messages": fetched,
        "history_pages": pages,
        "other_messages": other,
        "acked_missing": missing.len(),
        "duplicates": extra_copies,
        "duplicated_posts": duplicated.len(),
        "unacked_stored": unacked_stored,
        "unacked_not_stored": neither,
        "id_mismatch": id_mismatch,
        "body_mismatch": body_mismatch,
        "ack_log_malformed": malformed,
        "ack_log_twice": logged_twice,
        "ids_listed_twice": ids_listed_twice,
        "order_errors": order_errors,
        "reposted": sample.len(),
        "repost_bad": repost_bad.len(),
        "first_missing": missing.iter().take(10).map(|&j| state.txn(j)).collect::<Vec<_>>(),
        "first_duplicated": duplicated.iter().take(10).map(|&j| state.txn(j)).collect::<Vec<_>>(),
        "first_repost_bad": repost_bad.iter().take(5).collect::<Vec<_>>(),
    });
    eprintln!(
        "verify: {} posts, {} acked, {} stored; acked but missing {}, duplicates {}, \
         stored but unacknowledged {}, id mismatches {}, bad re-posts {}/{}",
        state.posts,
        acks.len(),
        stored.len(),
        missing.len(),
        extra_copies,
        unacked_stored,
        id_mismatch,
        repost_bad.len(),
        sample.len()
    );
    println!("{report}");
    if !ok {
        bail!("durability check failed");
    }
    Ok(())
}
