//! `loadgen durability approvals|verify-approvals`: do a plugin's storage writes and
//! approval decisions survive the server being killed?
//!
//! `approvals` sets up an organization (approvers and submitters), one team group with the
//! bundled approvals plugin installed and enabled, and saves what `verify-approvals` needs
//! in a state file. Then `--concurrency` workers run `--jobs` jobs through the plugin as
//! people do in the web client: a submitter runs `/approval general`, fills in the form
//! (subject naming the job, two chosen approvers), submits the preview; the first approver
//! finds the request on their "waiting for me" page and presses Approve; then the second.
//! Every answer that settles a step is appended at once to the ack log: the submission
//! with the serial number the plugin gave, and each approval. A worker whose call fails
//! because the server is gone (connection refused or reset, a timeout, a 5xx) sends the
//! same call again with backoff and jitter, as the posters of `durability post` do; a
//! refusal of a retried step that changes state (the preview was already used, the task
//! was already decided) means its first attempt may have landed: the job stops there as
//! "uncertain". `bench/crash_durability.sh` (WORKLOAD=approvals) kills the server meanwhile.
//!
//! `verify-approvals` reads every request back through the plugin's own surfaces (each
//! submitter's "submitted by me" page, then `GET /api/v1/plugins/approvals/requests/{id}`
//! as the org admin) and compares them with the ack log: an acknowledged submission or
//! approval that is missing (must be 0), a job submitted twice, a serial number given
//! twice, an approver's decision recorded twice (all must be 0), requests whose state is
//! inconsistent (approved without both approvals, or pending at nobody). Cards left
//! showing an older state than the request's (the card update is a separate write after
//! the decision) are counted and reported, not failed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, bail};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::api::{self, Api, SetupOptions};
use crate::durability::Retry;
use crate::text;

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    #[command(flatten)]
    admin: api::Admin,
    /// Approval requests to run through (submit, approve, approve).
    #[arg(long, default_value_t = 600)]
    jobs: usize,
    /// Concurrent workers, each running its jobs one after another.
    #[arg(long, default_value_t = 24)]
    concurrency: usize,
    /// Submitters (job j is submitted by submitter j modulo this). At most 50 jobs each:
    /// the "submitted by me" page `verify-approvals` reads shows 50.
    #[arg(long, default_value_t = 24)]
    submitters: usize,
    /// Approvers (job j goes to approvers j and j + 1, modulo this).
    #[arg(long, default_value_t = 8)]
    approvers: usize,
    /// The approvals plugin: a directory with courtyard.toml and plugin.wasm.
    #[arg(long, default_value = "target/bundled-plugins/approvals")]
    plugin_dir: PathBuf,
    #[command(flatten)]
    retry: Retry,
    /// The ack log (JSON lines), created or truncated.
    #[arg(long)]
    ack_log: PathBuf,
    /// Where to save the run for `verify-approvals`.
    #[arg(long)]
    state: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[arg(long)]
    state: PathBuf,
    #[arg(long)]
    ack_log: PathBuf,
    /// The server's base URL [default: the one in the state file].
    #[arg(long)]
    url: Option<String>,
}

const PLUGIN: &str = "approvals";

/// What `verify-approvals` needs from a run.
#[derive(serde::Serialize, serde::Deserialize)]
struct State {
    url: String,
    run_id: String,
    org: String,
    group: String,
    jobs: usize,
    /// The org admin who owns the group.
    owner: String,
    /// (person id, session token) of each approver and submitter.
    approvers: Vec<(String, String)>,
    submitters: Vec<(String, String)>,
}

impl State {
    fn load(path: &Path) -> anyhow::Result<State> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).context("parsing the state file")
    }

    fn submitter(&self, job: usize) -> &(String, String) {
        &self.submitters[job % self.submitters.len()]
    }

    /// The two approvers of a job, in order.
    fn approvers_of(&self, job: usize) -> [&(String, String); 2] {
        let n = self.approvers.len();
        [&self.approvers[job % n], &self.approvers[(job + 1) % n]]
    }

    fn subject(&self, job: usize) -> String {
        format!("crash durability {} job {job}", self.run_id)
    }

    /// Which job a request's subject names, if it is one of this run's.
    fn job_of(&self, subject: &str) -> Option<usize> {
        subject
            .strip_prefix(&format!("crash durability {} job ", self.run_id))?
            .parse()
            .ok()
    }
}

type AckLog = Arc<Mutex<std::fs::File>>;

fn log_ack(log: &AckLog, line: Value) -> anyhow::Result<()> {
    log.lock()
        .map_err(|_| anyhow::anyhow!("ack log lock poisoned"))?
        .write_all(format!("{line}\n").as_bytes())
        .context("writing the ack log")
}

/// How a call ended after its retries.
enum Outcome {
    Done(Value),
    /// A 4xx other than 408/429: on the first attempt a plain refusal; after a failed
    /// attempt, possibly because that attempt landed.
    Refused {
        status: u16,
        body: Value,
        retried: bool,
    },
    GaveUp,
}

/// Calls the API, sending the same call again while the server is away.
struct Caller {
    api: Api,
    retry: Retry,
    rng: text::Rng,
    tally: Tally,
}

#[derive(Default)]
struct Tally {
    calls: u64,
    attempts: u64,
    retried_calls: u64,
    errors: BTreeMap<String, u64>,
}

impl Caller {
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Outcome {
        self.tally.calls += 1;
        for attempt in 1..=self.retry.attempts {
            self.tally.attempts += 1;
            if attempt == 2 {
                self.tally.retried_calls += 1;
            }
            let failure = match self.api.call(method.clone(), path, Some(token), body).await {
                Ok(a) if (200..300).contains(&a.status) => return Outcome::Done(a.body),
                Ok(a) if a.status >= 500 || a.status == 408 || a.status == 429 => {
                    format!("{} {}", a.status, a.code())
                }
                Ok(a) => {
                    *self
                        .tally
                        .errors
                        .entry(format!("{} {}", a.status, a.code()))
                        .or_default() += 1;
                    return Outcome::Refused {
                        status: a.status,
                        body: a.body,
                        retried: attempt > 1,
                    };
                }
                Err(_) => "transport".to_owned(),
            };
            *self.tally.errors.entry(failure).or_default() += 1;
            tokio::time::sleep(self.retry.pause(attempt, &mut self.rng)).await;
        }
        Outcome::GaveUp
    }

    /// A call whose repetition is harmless (a read, handing out a form): refusals are
    /// errors of the run.
    async fn harmless(
        &mut self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        match self.call(method, path, token, body).await {
            Outcome::Done(v) => Ok(v),
            Outcome::Refused { status, body, .. } => bail!("{path}: {status} {body}"),
            Outcome::GaveUp => bail!("{path}: gave up"),
        }
    }
}

/// How far a job got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reached {
    Nothing,
    Submitted,
    FirstApproved,
    Approved,
}

#[derive(Default)]
struct JobTally {
    submitted: u64,
    approvals: u64,
    completed: u64,
    /// A state-changing step refused on a retry: its first attempt may have landed.
    uncertain: u64,
    /// Refused on the first attempt: not expected in this workload.
    refused: Vec<String>,
    gave_up: u64,
}

pub async fn run(a: RunArgs) -> anyhow::Result<()> {
    if a.jobs == 0 || a.concurrency == 0 || a.submitters == 0 || a.approvers < 2 {
        bail!("--jobs, --concurrency and --submitters must be positive, --approvers at least 2");
    }
    if a.jobs.div_ceil(a.submitters) > 50 {
        bail!("at most 50 jobs per submitter (--jobs / --submitters)");
    }
    let run_id = api::run_id();
    let api = Api::new(&a.url)?;
    let started = Instant::now();
    let people = 1 + a.approvers + a.submitters;
    let world = api::setup(&api, &SetupOptions::one_group(&run_id, &a.admin, people))
        .await
        .context("setup")?;
    let ids = world_ids(&api, &world).await?;
    install_approvals(&api, &world, &a.plugin_dir).await?;
    let pair = |i: usize| (ids[i].clone(), world.members[i].clone());
    let state = State {
        url: api.base.clone(),
        run_id: run_id.clone(),
        org: world.org.clone(),
        group: world.group.clone(),
        jobs: a.jobs,
        owner: world.owner.clone(),
        approvers: (1..=a.approvers).map(pair).collect(),
        submitters: (1 + a.approvers..people).map(pair).collect(),
    };
    std::fs::write(&a.state, serde_json::to_string(&state)?)
        .with_context(|| format!("writing {}", a.state.display()))?;
    let log: AckLog = Arc::new(Mutex::new(
        std::fs::File::create(&a.ack_log)
            .with_context(|| format!("opening {}", a.ack_log.display()))?,
    ));
    eprintln!(
        "setup: {people} people and the approvals plugin in {:.1} s; {} jobs with {} workers",
        started.elapsed().as_secs_f64(),
        a.jobs,
        a.concurrency
    );

    let state = Arc::new(state);
    let working = Instant::now();
    let mut workers = JoinSet::new();
    for w in 0..a.concurrency {
        let mut caller = Caller {
            api: api.clone(),
            retry: a.retry.clone(),
            rng: text::Rng::new(0xa9_9e0a1 ^ w as u64),
            tally: Tally::default(),
        };
        let (state, log) = (state.clone(), log.clone());
        let jobs: Vec<usize> = (w..a.jobs).step_by(a.concurrency).collect();
        workers.spawn(async move {
            let mut tally = JobTally::default();
            for job in jobs {
                let reached = run_job(&mut caller, &state, &log, job, &mut tally).await?;
                if reached == Reached::Approved {
                    tally.completed += 1;
                }
            }
            anyhow::Ok((tally, caller.tally))
        });
    }
    let (mut jobs, mut calls) = (JobTally::default(), Tally::default());
    while let Some(joined) = workers.join_next().await {
        let (j, c) = joined.context("a worker panicked")??;
        jobs.submitted += j.submitted;
        jobs.approvals += j.approvals;
        jobs.completed += j.completed;
        jobs.uncertain += j.uncertain;
        jobs.gave_up += j.gave_up;
        jobs.refused.extend(j.refused);
        calls.calls += c.calls;
        calls.attempts += c.attempts;
        calls.retried_calls += c.retried_calls;
        for (k, n) in c.errors {
            *calls.errors.entry(k).or_default() += n;
        }
    }
    let report = json!({
        "run_id": run_id,
        "jobs": a.jobs,
        "seconds": (working.elapsed().as_secs_f64() * 100.0).round() / 100.0,
        "submitted": jobs.submitted,
        "approvals": jobs.approvals,
        "completed": jobs.completed,
        "uncertain": jobs.uncertain,
        "gave_up": jobs.gave_up,
        "refused": jobs.refused.len(),
        "first_refused": jobs.refused.iter().take(5).collect::<Vec<_>>(),
        "calls": calls.calls,
        "attempts": calls.attempts,
        "retried_calls": calls.retried_calls,
        "failed_attempts": calls.errors,
    });
    eprintln!(
        "ran in {} s: {} submitted, {} approvals, {} completed, {} uncertain, {} refused, {} given up",
        report["seconds"],
        jobs.submitted,
        jobs.approvals,
        jobs.completed,
        jobs.uncertain,
        jobs.refused.len(),
        jobs.gave_up
    );
    println!("{report}");
    Ok(())
}

/// The person ids of the world's members, in order (setup keeps only their tokens).
async fn world_ids(api: &Api, world: &api::World) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::with_capacity(world.members.len());
    for token in &world.members {
        let me = api
            .expect(Method::GET, "/api/v1/me", Some(token), None, 200)
            .await?;
        ids.push(
            me["id"]
                .as_str()
                .or_else(|| me["person"]["id"].as_str())
                .context("/api/v1/me without an id")?
                .to_owned(),
        );
    }
    Ok(ids)
}

/// Uploads the approvals plugin into the organization and enables it in the group.
async fn install_approvals(api: &Api, world: &api::World, dir: &Path) -> anyhow::Result<()> {
    let wasm = std::fs::read(dir.join("plugin.wasm")).with_context(|| {
        format!(
            "reading {}/plugin.wasm (build it with `cargo xtask build-plugins`)",
            dir.display()
        )
    })?;
    let manifest = std::fs::read_to_string(dir.join("courtyard.toml"))
        .with_context(|| format!("reading {}/courtyard.toml", dir.display()))?;
    api::install_package(api, world, &manifest, &wasm).await?;
    api.expect(
        Method::PUT,
        &format!("/api/v1/groups/{}/plugins/{PLUGIN}", world.group),
        Some(&world.owner),
        Some(&json!({})),
        200,
    )
    .await?;
    Ok(())
}

/// Finds a form in a plugin reply.
fn issued_form(reply: &Value) -> anyhow::Result<(Value, String)> {
    let form = &reply["form"];
    let token = form["token"]
        .as_str()
        .with_context(|| format!("expected a form, got {reply}"))?;
    Ok((form["form"].clone(), token.to_owned()))
}

/// The buttons of a card: (action id, value).
fn buttons(card: &Value) -> Vec<(String, String)> {
    card["blocks"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|b| b["buttons"].as_array().into_iter().flatten())
        .filter_map(|b| {
            Some((
                b["action_id"].as_str()?.to_owned(),
                b["value"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// A card's field value by its (English) label.
fn field<'a>(card: &'a Value, label: &str) -> Option<&'a str> {
    card["blocks"]
        .as_array()?
        .iter()
        .flat_map(|b| b["fields"].as_array().into_iter().flatten())
        .find(|f| {
            f["label"]
                .as_str()
                .is_some_and(|l| l.split(" / ").next() == Some(label) || l == label)
        })
        .and_then(|f| f["value"].as_str())
}

/// The serial number in a "Submitted AP-20261202-0007 · Pending" reply.
fn serial_in(text: &str) -> Option<String> {
    let start = text.find("AP-")?;
    let serial: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    (serial.len() > 3).then_some(serial)
}

async fn run_job(
    c: &mut Caller,
    state: &State,
    log: &AckLog,
    job: usize,
    tally: &mut JobTally,
) -> anyhow::Result<Reached> {
    let group = &state.group;
    let (_, submitter) = state.submitter(job);
    let approvers = state.approvers_of(job);

    // Submit: the command hands out the form; filling it in hands out the preview.
    let reply = c
        .harmless(
            Method::POST,
            &format!("/api/v1/groups/{group}/commands"),
            submitter,
            Some(&json!({"text": "/approval general"})),
        )
        .await?;
    let (form, token) = issued_form(&reply)?;
    let values = json!({
        "subject": state.subject(job),
        "details": format!("Job {job} of a crash durability run."),
        "approvers": [approvers[0].0, approvers[1].0],
    });
    let reply = c
        .harmless(
            Method::POST,
            "/api/v1/forms",
            submitter,
            Some(&json!({"token": token, "form": form, "values": values})),
        )
        .await?;
    let (preview, token) = issued_form(&reply)?;
    let confirm = json!({"token": token, "form": preview, "values": {}});
    let serial = match c
        .call(Method::POST, "/api/v1/forms", submitter, Some(&confirm))
        .await
    {
        Outcome::Done(reply) => {
            let text = reply["ephemeral"].as_str().unwrap_or("");
            let serial = serial_in(text)
                .with_context(|| format!("job {job}: no serial number in {reply}"))?;
            log_ack(
                log,
                json!({"job": job, "step": "submitted", "serial": serial}),
            )?;
            tally.submitted += 1;
            serial
        }
        other => return Ok(settle(other, tally, job, "submit", Reached::Nothing)),
    };

    // Each approver in turn: find it on "waiting for me", press Approve.
    for (k, (_, token)) in approvers.iter().enumerate() {
        let page = c
            .harmless(
                Method::GET,
                &format!("/api/v1/groups/{group}/plugins/{PLUGIN}/pages/pending?q={serial}"),
                token,
                None,
            )
            .await?;
        let card = page["cards"]
            .as_array()
            .and_then(|cards| {
                cards
                    .iter()
                    .find(|card| field(card, "Number") == Some(serial.as_str()))
            })
            .with_context(|| format!("job {job}: {serial} is not waiting for approver {k}"))?;
        let (_, value) = buttons(card)
            .into_iter()
            .find(|(action, _)| action == "approve")
            .with_context(|| format!("job {job}: no Approve button for approver {k}"))?;
        let press = json!({"action_id": "approve", "value": value});
        let path = format!("/api/v1/groups/{group}/plugins/{PLUGIN}/actions");
        match c.call(Method::POST, &path, token, Some(&press)).await {
            Outcome::Done(_) => {
                log_ack(
                    log,
                    json!({"job": job, "step": "approved", "serial": serial, "approver": k}),
                )?;
                tally.approvals += 1;
            }
            other => {
                let reached = if k == 0 {
                    Reached::Submitted
                } else {
                    Reached::FirstApproved
                };
                return Ok(settle(other, tally, job, "approve", reached));
            }
        }
    }
    Ok(Reached::Approved)
}

/// Counts a job that stopped before it was done.
fn settle(outcome: Outcome, tally: &mut JobTally, job: usize, step: &str, at: Reached) -> Reached {
    match outcome {
        Outcome::Done(_) => {}
        Outcome::Refused { retried: true, .. } => tally.uncertain += 1,
        Outcome::Refused { status, body, .. } => {
            tally
                .refused
                .push(format!("job {job} {step}: {status} {body}"));
        }
        Outcome::GaveUp => tally.gave_up += 1,
    }
    at
}

/// What the ack log says of one job.
#[derive(Default)]
struct Acked {
    serial: Option<String>,
    approvals: [bool; 2],
}

pub async fn verify(a: VerifyArgs) -> anyhow::Result<()> {
    let state = State::load(&a.state)?;
    let api = Api::new(a.url.as_deref().unwrap_or(&state.url))?;

    let text = std::fs::read_to_string(&a.ack_log)
        .with_context(|| format!("reading {}", a.ack_log.display()))?;
    let mut acked: HashMap<usize, Acked> = HashMap::new();
    let mut malformed = 0u64;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            malformed += 1;
            continue;
        };
        let (Some(job), Some(step), Some(serial)) =
            (v["job"].as_u64(), v["step"].as_str(), v["serial"].as_str())
        else {
            malformed += 1;
            continue;
        };
        let entry = acked.entry(job as usize).or_default();
        match (step, v["approver"].as_u64()) {
            ("submitted", _) => entry.serial = Some(serial.to_owned()),
            ("approved", Some(k @ 0..=1)) => entry.approvals[k as usize] = true,
            _ => malformed += 1,
        }
    }

    // Every request of the run, through the plugin: each submitter's list, then each
    // request in full.
    let mut ids = HashSet::new();
    for (_, token) in &state.submitters {
        let page = api
            .expect(
                Method::GET,
                &format!(
                    "/api/v1/groups/{}/plugins/{PLUGIN}/pages/submitted",
                    state.group
                ),
                Some(token),
                None,
                200,
            )
            .await
            .context("reading a submitter's requests")?;
        for card in page["cards"].as_array().into_iter().flatten() {
            for (action, value) in buttons(card) {
                if action == "comment" {
                    ids.insert(value);
                }
            }
        }
    }
    let mut requests = Vec::new();
    for id in &ids {
        let request = api
            .expect(
                Method::GET,
                &format!("/api/v1/plugins/{PLUGIN}/requests/{id}"),
                Some(&state.owner),
                None,
                200,
            )
            .await
            .with_context(|| format!("reading request {id}"))?;
        requests.push(request);
    }

    let mut by_job: HashMap<usize, Vec<&Value>> = HashMap::new();
    let mut serials: HashMap<String, u32> = HashMap::new();
    let mut other = 0u64;
    for r in &requests {
        *serials
            .entry(r["serial"].as_str().unwrap_or("").to_owned())
            .or_default() += 1;
        match r["values"]["subject"]
            .as_str()
            .and_then(|s| state.job_of(s))
        {
            Some(job) if job < state.jobs => by_job.entry(job).or_default().push(r),
            _ => other += 1,
        }
    }
    let serials_twice = serials.values().filter(|&&n| n > 1).count() as u64;
    let jobs_twice = by_job.values().filter(|rs| rs.len() > 1).count() as u64;

    let (mut submissions_missing, mut serial_mismatch, mut approvals_missing) = (0u64, 0u64, 0u64);
    let (mut decided_twice, mut inconsistent) = (0u64, 0u64);
    let (mut approved, mut pending) = (0u64, 0u64);
    let mut first_bad = Vec::new();
    for job in 0..state.jobs {
        let ack = acked.get(&job);
        let stored = by_job.get(&job).and_then(|rs| rs.first());
        let approvers = state.approvers_of(job);
        let Some(r) = stored else {
            if ack.is_some_and(|a| a.serial.is_some()) {
                submissions_missing += 1;
                first_bad.push(format!("job {job}: acknowledged submission missing"));
            }
            continue;
        };
        if let Some(serial) = ack.and_then(|a| a.serial.as_deref())
            && r["serial"].as_str() != Some(serial)
        {
            serial_mismatch += 1;
        }
        // Per approver: their task's state, and how many approvals the timeline records.
        let tasks: Vec<&Value> = r["steps"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|s| s["tasks"].as_array().into_iter().flatten())
            .collect();
        let mut task_approved = [false; 2];
        for (k, (id, _)) in approvers.iter().enumerate() {
            task_approved[k] = tasks.iter().any(|t| {
                t["approver"]["id"].as_str() == Some(id.as_str()) && state_is(t, "approved")
            });
            let events = r["timeline"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|e| {
                    e["kind"] == "approved" && e["actor"]["id"].as_str() == Some(id.as_str())
                })
                .count();
            if events > 1 {
                decided_twice += 1;
                first_bad.push(format!("job {job}: approver {k} recorded {events} times"));
            }
            if ack.is_some_and(|a| a.approvals[k]) && !task_approved[k] {
                approvals_missing += 1;
                first_bad.push(format!("job {job}: acknowledged approval {k} missing"));
            }
        }
        let status = r["status"].as_str().unwrap_or("");
        let waiting = tasks.iter().filter(|t| state_is(t, "pending")).count();
        let consistent = match status {
            "approved" => task_approved == [true, true] && waiting == 0,
            "pending" => !task_approved[1] && waiting == 1,
            _ => false,
        };
        if !consistent {
            inconsistent += 1;
            first_bad.push(format!(
                "job {job}: status {status}, approvals {task_approved:?}, {waiting} waiting"
            ));
        }
        match status {
            "approved" => approved += 1,
            "pending" => pending += 1,
            _ => {}
        }
    }
    let cards = group_cards(&api, &state, &requests).await?;

    let ok = submissions_missing == 0
        && approvals_missing == 0
        && serial_mismatch == 0
        && serials_twice == 0
        && jobs_twice == 0
        && decided_twice == 0
        && inconsistent == 0
        && malformed == 0;
    let acked_submissions = acked.values().filter(|a| a.serial.is_some()).count();
    let acked_approvals: usize = acked
        .values()
        .map(|a| a.approvals.iter().filter(|&&x| x).count())
        .sum();
    let report = json!({
        "ok": ok,
        "jobs": state.jobs,
        "acked_submissions": acked_submissions,
        "acked_approvals": acked_approvals,
        "stored_requests": requests.len(),
        "approved": approved,
        "pending": pending,
        "other_requests": other,
        "submissions_missing": submissions_missing,
        "approvals_missing": approvals_missing,
        "serial_mismatch": serial_mismatch,
        "serials_twice": serials_twice,
        "jobs_submitted_twice": jobs_twice,
        "decided_twice": decided_twice,
        "inconsistent": inconsistent,
        "unacked_stored": by_job.keys().filter(|j| acked.get(j).is_none_or(|a| a.serial.is_none())).count(),
        "stale_cards": cards.stale.len(),
        "orphan_cards": cards.orphans,
        "requests_without_card": cards.missing,
        "first_stale": cards.stale.iter().take(5).collect::<Vec<_>>(),
        "ack_log_malformed": malformed,
        "first_bad": first_bad.iter().take(10).collect::<Vec<_>>(),
    });
    eprintln!(
        "verify: {} jobs; acknowledged {acked_submissions} submissions and {acked_approvals} \
         approvals; {} requests stored ({approved} approved, {pending} pending); missing \
         submissions {submissions_missing}, missing approvals {approvals_missing}, submitted \
         twice {jobs_twice}, serials twice {serials_twice}, decided twice {decided_twice}, \
         inconsistent {inconsistent}; cards: {} stale, {} orphaned, {} missing",
        state.jobs,
        requests.len(),
        cards.stale.len(),
        cards.orphans,
        cards.missing
    );
    println!("{report}");
    if !ok {
        bail!("approvals durability check failed");
    }
    Ok(())
}

fn state_is(task: &Value, name: &str) -> bool {
    task["state"] == name || task["state"].get(name).is_some() || task["state"]["kind"] == name
}

/// What the submitters' cards in the group show.
struct GroupCards {
    /// Requests none of whose cards shows the request's status.
    stale: Vec<String>,
    /// Cards beyond the first for one request: posted by an attempt the server died in
    /// before the plugin recorded the card, so nothing updates them again.
    orphans: u64,
    /// Requests without a card in the group.
    missing: u64,
}

async fn group_cards(api: &Api, state: &State, requests: &[Value]) -> anyhow::Result<GroupCards> {
    let status_of: HashMap<&str, &str> = requests
        .iter()
        .filter_map(|r| Some((r["serial"].as_str()?, r["status"].as_str()?)))
        .collect();
    let mut badges: HashMap<String, Vec<String>> = HashMap::new();
    let mut before: Option<i64> = None;
    loop {
        let path = format!(
            "/api/v1/groups/{}/messages?limit=200{}",
            state.group,
            before.map(|b| format!("&before={b}")).unwrap_or_default()
        );
        let page = api
            .expect(Method::GET, &path, Some(&state.owner), None, 200)
            .await
            .context("reading the group's history")?;
        let page = page.as_array().context("history page is not a list")?;
        if page.is_empty() {
            break;
        }
        for m in page {
            before = m["seq"].as_i64();
            let card = &m["card"];
            let Some(serial) = field(card, "Number") else {
                continue;
            };
            let badge = card["blocks"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|b| b["type"] == "badge")
                .and_then(|b| b["text"].as_str())
                .unwrap_or("")
                .to_lowercase();
            badges.entry(serial.to_owned()).or_default().push(badge);
        }
    }
    let mut out = GroupCards {
        stale: Vec::new(),
        orphans: 0,
        missing: 0,
    };
    for (serial, status) in status_of {
        match badges.get(serial) {
            None => out.missing += 1,
            Some(shown) => {
                out.orphans += shown.len() as u64 - 1;
                if !shown.iter().any(|b| b.starts_with(status)) {
                    out.stale
                        .push(format!("{serial}: cards {shown:?}, request {status}"));
                }
            }
        }
    }
    Ok(out)
}
