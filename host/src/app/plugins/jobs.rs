//! Timers and scheduled jobs. Both are rows in one table; every node polls for due rows
//! and claims a batch under a lease in a single statement, so each timer (and each run of
//! a schedule) fires once in the whole deployment, never once per node. A node that dies
//! mid-call loses its lease and another node fires the timer again: delivery is at least
//! once, and plugins key their work on the timer id where that matters.

use std::time::Duration;

use courtyard_runtime::manifest::Manifest;
use courtyard_runtime::schedule::{self, Cadence};
use courtyard_runtime::{CallError, TimerDue};
use futures_util::StreamExt;

use crate::app::{App, Result};
use crate::store::orgs;
use crate::store::timers::{self, TimerRow};

/// How long a claim holds: far beyond any call deadline, short enough to recover promptly.
const LEASE_MS: i64 = 2 * 60_000;
const BATCH: i64 = 32;
const CONCURRENT_FIRES: usize = 8;
/// Tries of a failing timer before it is dropped (a schedule waits for its next run).
const MAX_ATTEMPTS: i64 = 5;
const RETRY_BASE_MS: i64 = 10_000;

/// Polls for due timers until the process ends.
pub(crate) async fn timer_loop(app: App) {
    let period = Duration::from_millis(app.config.plugin_timer_poll_ms.max(10));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    if let Err(e) = app.sync_all_schedules().await {
        tracing::warn!(error = %e, "scheduling plugin jobs at start failed");
    }
    loop {
        tick.tick().await;
        // Drain a backlog without waiting a tick between full batches.
        loop {
            match app.run_due_timers().await {
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "running plugin timers failed");
                    break;
                }
            }
        }
    }
}

/// The next run of a manifest schedule after `after_ms`, if the schedule still exists.
fn next_run(manifest: &Manifest, name: &str, after_ms: i64, time_zone: &str) -> Option<i64> {
    let s = manifest.schedules.iter().find(|s| s.name == name)?;
    let tz = schedule::time_zone_or_utc(time_zone);
    Cadence::from_manifest(s).ok()?.next_after(after_ms, tz)
}

impl App {
    /// Makes the schedule rows of one installed plugin match its manifest.
    pub(crate) async fn sync_schedules(&self, org: &str, manifest: &Manifest) -> Result<()> {
        let tz = self.org_time_zone(org).await?;
        let now = self.plugin_clock.now_ms();
        let wanted: Vec<(String, i64)> = manifest
            .schedules
            .iter()
            .filter_map(|s| Some((s.name.clone(), next_run(manifest, &s.name, now, &tz)?)))
            .collect();
        let (org, plugin) = (org.to_owned(), manifest.id.clone());
        self.writer
            .write(move |tx| {
                Box::pin(
                    async move { timers::sync_schedules(tx, &org, &plugin, None, &wanted).await },
                )
            })
            .await?;
        Ok(())
    }

    /// At start: schedules of every installed plugin (a manifest may have changed while the
    /// host was down, with an upgrade on another node).
    async fn sync_all_schedules(&self) -> Result<()> {
        for org in orgs::list(&self.store.read, None).await? {
            for install in crate::store::plugins::installs(&self.store.read, &org.id).await? {
                let code = self.compiled(&install.package_sha).await?;
                self.sync_schedules(&org.id, &code.manifest).await?;
            }
        }
        Ok(())
    }

    /// Claims and fires one batch of due timers; returns how many were claimed. The timer
    /// loop calls it; a test harness may too, right after moving the plugin clock.
    pub async fn run_due_timers(&self) -> Result<usize> {
        let node = self.plugins.node.clone();
        let now = self.plugin_clock.now_ms();
        let due = self
            .writer
            .write(move |tx| {
                Box::pin(async move { timers::claim_due(tx, &node, now, LEASE_MS, BATCH).await })
            })
            .await?;
        let claimed = due.len();
        futures_util::stream::iter(due)
            .for_each_concurrent(CONCURRENT_FIRES, |t| self.fire(t))
            .await;
        Ok(claimed)
    }

    async fn fire(&self, timer: TimerRow) {
        let outcome = self.deliver(&timer).await;
        let node = self.plugins.node.clone();
        let now = self.plugin_clock.now_ms();
        let next = match &outcome {
            Ok(manifest) if timer.kind == "schedule" => manifest
                .as_ref()
                .and_then(|(m, tz)| next_run(m, &timer.key, now.max(timer.due_at), tz)),
            _ => None,
        };
        let id = timer.id.clone();
        let written = match outcome {
            Ok(_) => {
                self.writer
                    .write(move |tx| {
                        Box::pin(async move { timers::complete(tx, &id, &node, next).await })
                    })
                    .await
            }
            Err((reason, retry_schedule)) => {
                let attempts = timer.attempts + 1;
                let retry_at = if attempts < MAX_ATTEMPTS {
                    Some(now + RETRY_BASE_MS * (1 << attempts.min(10)))
                } else {
                    retry_schedule
                };
                let scope = courtyard_runtime::api::Scope::system(
                    &timer.plugin_id,
                    &timer.org_id,
                    timer.group_id.clone(),
                );
                self.plugins.log(
                    &scope,
                    "warn",
                    &format!(
                        "timer `{}` failed (attempt {attempts}): {reason}; {}",
                        timer.key,
                        if retry_at.is_some() {
                            "will retry"
                        } else {
                            "giving up"
                        }
                    ),
                );
                self.writer
                    .write(move |tx| {
                        Box::pin(
                            async move { timers::fail(tx, &id, &node, retry_at, &reason).await },
                        )
                    })
                    .await
            }
        };
        if let Err(e) = written {
            tracing::warn!(error = %e, timer = %timer.id, "recording a timer's outcome failed; its lease will expire and it fires again");
        }
    }

    /// Calls the plugin's `on-timer`. On success returns the manifest and time zone (to
    /// compute a schedule's next run); on failure the reason and, for a schedule, its next
    /// regular run.
    async fn deliver(
        &self,
        timer: &TimerRow,
    ) -> std::result::Result<Option<(std::sync::Arc<Manifest>, String)>, (String, Option<i64>)>
    {
        let Ok(ready) = self
            .ready_for(&timer.org_id, &timer.plugin_id, timer.group_id.as_deref())
            .await
        else {
            // Uninstalled since: nothing to deliver to.
            return Ok(None);
        };
        let context = Some((ready.code.manifest.clone(), ready.time_zone.clone()));
        if timer.group_id.is_some() && !ready.in_group() {
            tracing::info!(plugin = %timer.plugin_id, timer = %timer.key, "timer dropped: the plugin is no longer enabled in its group");
            return Ok(None);
        }
        let regular_next = || {
            (timer.kind == "schedule")
                .then(|| {
                    next_run(
                        &ready.code.manifest,
                        &timer.key,
                        self.plugin_clock.now_ms(),
                        &ready.time_zone,
                    )
                })
                .flatten()
        };
        if let Some(reason) = Self::suspended(&ready) {
            return Err((format!("suspended: {reason}"), regular_next()));
        }
        let call = self.call_for(None, &timer.org_id, timer.group_id.as_deref(), &ready);
        let due = TimerDue {
            id: timer.id.clone(),
            name: timer.key.clone(),
            scheduled: timer.kind == "schedule",
            payload: timer.payload.clone(),
            due_ms: timer.due_at,
        };
        let started = std::time::Instant::now();
        let outcome = self.plugins.runtime.timer(&ready.code, call, due).await;
        self.health(&ready, outcome.as_ref().err(), started).await;
        match outcome {
            Ok(()) => Ok(context),
            // The plugin answered with its own error: it ran; retrying would repeat it.
            Err(CallError::Plugin(message)) => {
                tracing::info!(plugin = %timer.plugin_id, timer = %timer.key, message, "timer handler reported an error");
                Ok(context)
            }
            Err(e) => Err((e.to_string(), regular_next())),
        }
    }
}
