//! The audit log: who did what to an organization, when and from where — plugin installs
//! and grants, people and roles, departments, partners, organization settings, sign-ins
//! and tokens. Append-only (nothing updates or deletes an entry); read by the
//! organization's admins with filters.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Auth;
use super::{App, AppError, Result};
use crate::store::now_millis;
use crate::store::plugins::{self as ps, AuditFilter, AuditRow};

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub actor_id: Option<String>,
    /// e.g. `auth.signed_in`, `person.updated`, `plugin.installed`, `partner.accepted`.
    pub action: String,
    pub target: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub at: i64,
    /// The client's address as the server saw it.
    pub ip: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditSearch {
    /// Actions starting with this (`plugin.`, `auth.sign_in_failed`).
    pub action: Option<String>,
    /// Entries by this person.
    pub actor: Option<String>,
    /// From this time (ms since the epoch, inclusive).
    pub since: Option<i64>,
    /// Before this time (ms, exclusive); the oldest `at` of a page fetches the next one.
    pub until: Option<i64>,
    /// 1 to 500; default 100.
    pub limit: Option<i64>,
}

impl App {
    pub(crate) fn audit_row(
        &self,
        auth: Option<&Auth>,
        org: &str,
        action: &str,
        target: &str,
        detail: serde_json::Value,
    ) -> AuditRow {
        AuditRow {
            id: courtyard_domain::MessageId::generate().into_string(),
            org_id: Some(org.to_owned()),
            actor_id: auth.map(|a| a.actor.person_id.as_str().to_owned()),
            action: action.to_owned(),
            target: target.to_owned(),
            detail: detail.to_string(),
            at: now_millis(),
            ip: auth.and_then(|a| a.ip.clone()),
        }
    }

    /// Records an action that has just happened. The entry is written after the change
    /// it describes; a failure to write it is logged, never undoes the change.
    pub(crate) async fn audit(&self, row: AuditRow) {
        let action = row.action.clone();
        if let Err(e) = self
            .writer
            .write(move |tx| Box::pin(async move { ps::audit(tx, &row).await }))
            .await
        {
            tracing::error!(error = %e, action, "writing the audit log failed");
        }
    }

    /// Records what `auth` just did to `org` (see [`App::audit`]).
    pub(crate) async fn audited(
        &self,
        auth: &Auth,
        org: &str,
        action: &str,
        target: &str,
        detail: serde_json::Value,
    ) {
        let row = self.audit_row(Some(auth), org, action, target, detail);
        self.audit(row).await;
    }

    /// The organization's audit log, newest first, for its admins.
    pub async fn audit_entries(
        &self,
        auth: &Auth,
        org_id: &str,
        search: AuditSearch,
    ) -> Result<Vec<AuditEntry>> {
        let org = self.administered_org(auth, org_id)?;
        if search.action.as_deref().is_some_and(|a| a.len() > 100)
            || search.actor.as_deref().is_some_and(|a| a.len() > 100)
        {
            return Err(AppError::invalid(
                "invalid_query",
                "filters are at most 100 bytes",
            ));
        }
        let filter = AuditFilter {
            action_like: search.action.as_deref().filter(|a| !a.is_empty()).map(|a| {
                let escaped = a
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                format!("{escaped}%")
            }),
            actor: search.actor.filter(|a| !a.is_empty()),
            since: search.since,
            until: search.until,
            limit: search.limit.unwrap_or(100).clamp(1, 500),
        };
        let rows = ps::audit_log(&self.store.read, org.as_str(), &filter).await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                actor_id: r.actor_id,
                action: r.action,
                target: r.target,
                detail: serde_json::from_str(&r.detail).unwrap_or_default(),
                at: r.at,
                ip: r.ip,
            })
            .collect())
    }
}
