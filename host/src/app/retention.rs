//! Message retention and legal holds. An organization may keep messages for a number of
//! days (`message_retention_days`); a background job then deletes older messages for good —
//! text, reactions, file links, search terms and the logged events that carried them. A
//! thread root whose thread continues past the cutoff stays as a tombstone (no text), so
//! the newer replies keep their thread. Groups under a legal hold (placed by an org admin,
//! with a reason) keep everything. Each run that removed something is in the audit log.
//!
//! Deletions by retention are not broadcast one by one: clients see them gone when they
//! next load history.

use std::time::Duration;

use courtyard_domain::{GroupId, OrgId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Auth;
use super::{App, AppError, Result, check_text};
use crate::store::now_millis;
use crate::store::retention::{self as store, Expired, HoldRow};

const DAY_MS: i64 = 24 * 3600 * 1000;
/// Messages handled per write, so the writer is never held for long.
const BATCH: i64 = 500;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceHold {
    /// Why the group's messages must be kept (a case or matter reference).
    #[schema(pattern = r"\S", max_length = 500)]
    pub reason: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LegalHoldView {
    pub group_id: String,
    pub org_id: String,
    pub placed_by: String,
    pub placed_at: i64,
    pub reason: String,
}

impl From<HoldRow> for LegalHoldView {
    fn from(r: HoldRow) -> Self {
        Self {
            group_id: r.group_id,
            org_id: r.org_id,
            placed_by: r.placed_by,
            placed_at: r.placed_at,
            reason: r.reason,
        }
    }
}

/// What one retention run removed in one organization.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RetentionOutcome {
    pub deleted: u64,
    /// Thread roots kept as tombstones for their newer replies.
    pub tombstoned: u64,
    pub events_pruned: u64,
}

impl App {
    /// Places (or updates) a legal hold on a group of the admin's organization.
    pub async fn place_legal_hold(
        &self,
        auth: &Auth,
        group_id: &str,
        input: PlaceHold,
    ) -> Result<LegalHoldView> {
        let (group, org) = self.held_group(auth, group_id).await?;
        let reason = check_text("reason", &input.reason, 500)?;
        if reason.trim().is_empty() {
            return Err(AppError::invalid(
                "invalid_field",
                "a legal hold needs a reason",
            ));
        }
        let hold = HoldRow {
            group_id: group.as_str().to_owned(),
            org_id: org.as_str().to_owned(),
            placed_by: auth.actor.person_id.as_str().to_owned(),
            placed_at: now_millis(),
            reason,
        };
        let stored = hold.clone();
        self.writer
            .write(move |tx| Box::pin(async move { store::place_hold(tx, &stored).await }))
            .await?;
        let detail = serde_json::json!({"reason": hold.reason});
        self.audited(
            auth,
            org.as_str(),
            "group.legal_hold_placed",
            group.as_str(),
            detail,
        )
        .await;
        Ok(hold.into())
    }

    pub async fn release_legal_hold(&self, auth: &Auth, group_id: &str) -> Result<()> {
        let (group, org) = self.held_group(auth, group_id).await?;
        let target = group.clone();
        let released = self
            .writer
            .write(move |tx| Box::pin(async move { store::release_hold(tx, &target).await }))
            .await?;
        if !released {
            return Err(AppError::NotFound("legal hold"));
        }
        self.audited(
            auth,
            org.as_str(),
            "group.legal_hold_released",
            group.as_str(),
            serde_json::json!({}),
        )
        .await;
        Ok(())
    }

    pub async fn legal_holds(&self, auth: &Auth, org_id: &str) -> Result<Vec<LegalHoldView>> {
        let org = self.administered_org(auth, org_id)?;
        Ok(store::holds(&self.store.read, &org)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// A group the actor administers the organization of (any group of it, member or not).
    async fn held_group(&self, auth: &Auth, group_id: &str) -> Result<(GroupId, OrgId)> {
        let seen = self.seen_group(auth, group_id).await?;
        if !auth.actor.administers(&seen.org) {
            return Err(AppError::Forbidden(
                "only the organization's admins place legal holds",
            ));
        }
        Ok((seen.id, seen.org))
    }

    /// Applies every organization's retention once; returns what each removed.
    pub async fn apply_retention(&self) -> Result<Vec<(String, RetentionOutcome)>> {
        let mut report = Vec::new();
        for (org, days) in store::policies(&self.store.read).await? {
            let org = OrgId::from_trusted(org);
            let cutoff = now_millis() - days * DAY_MS;
            let outcome = self.retain(&org, cutoff).await?;
            if outcome.deleted + outcome.tombstoned > 0 {
                let detail = serde_json::json!({
                    "days": days, "cutoff": cutoff, "deleted": outcome.deleted,
                    "tombstoned": outcome.tombstoned, "events_pruned": outcome.events_pruned,
                });
                let row = self.audit_row(
                    None,
                    org.as_str(),
                    "retention.applied",
                    org.as_str(),
                    detail,
                );
                self.audit(row).await;
            }
            report.push((org.into_string(), outcome));
        }
        Ok(report)
    }

    async fn retain(&self, org: &OrgId, cutoff: i64) -> Result<RetentionOutcome> {
        let mut outcome = RetentionOutcome::default();
        let mut after = 0;
        loop {
            let batch = store::expired(&self.store.read, org, cutoff, after, BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            let full = batch.len() as i64 == BATCH;
            let (keep, doomed): (Vec<Expired>, Vec<Expired>) =
                batch.into_iter().partition(|m| m.has_newer_replies);
            let erase: Vec<String> = keep
                .into_iter()
                .filter(|m| !m.deleted)
                .map(|m| m.id)
                .collect();
            outcome.deleted += doomed.len() as u64;
            outcome.tombstoned += erase.len() as u64;
            self.writer
                .write(move |tx| {
                    Box::pin(async move {
                        store::remove(tx, &doomed).await?;
                        for id in &erase {
                            super::messages::erase_everywhere(tx, id).await?;
                        }
                        Ok(())
                    })
                })
                .await?;
            if !full {
                break;
            }
        }
        loop {
            let target = org.clone();
            let pruned = self
                .writer
                .write(move |tx| {
                    Box::pin(async move { store::prune_events(tx, &target, cutoff, 5_000).await })
                })
                .await?;
            outcome.events_pruned += pruned;
            if pruned < 5_000 {
                break;
            }
        }
        Ok(outcome)
    }
}

/// Runs retention every `retention_interval_secs` (and once shortly after start-up); 0
/// turns the job off (something else calls [`App::apply_retention`]).
pub(crate) async fn retention_job(app: App) {
    if app.config.retention_interval_secs == 0 {
        return;
    }
    let every = Duration::from_secs(app.config.retention_interval_secs);
    tokio::time::sleep(Duration::from_secs(5).min(every)).await;
    loop {
        // One node of a cluster at a time.
        let run = app.with_lease(
            "retention",
            Duration::from_secs(3600),
            app.apply_retention(),
        );
        match run.await {
            // Another node holds it.
            Ok(None) => {}
            Ok(Some(Err(e))) | Err(e) => {
                tracing::warn!(error = %e, "applying message retention failed")
            }
            Ok(Some(Ok(report))) => {
                for (org, o) in report.iter().filter(|(_, o)| o.deleted + o.tombstoned > 0) {
                    tracing::info!(
                        org,
                        deleted = o.deleted,
                        tombstoned = o.tombstoned,
                        events = o.events_pruned,
                        "retention applied"
                    );
                }
            }
        }
        tokio::time::sleep(every).await;
    }
}
