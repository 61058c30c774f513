//! Organizations: created by platform admins, configured by their org admins.

use courtyard_domain::OrgId;
use courtyard_domain::limits::MAX_NAME_CHARS;
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Auth;
use super::views::OrgView;
use super::{App, AppError, OrNotFound, Result, check_name, parse_id};
use crate::store::{now_millis, orgs};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    pub name: String,
    /// URL-friendly short name; derived from the name when omitted.
    pub slug: Option<String>,
    pub read_receipts_enabled: Option<bool>,
    pub anonymous_posts_enabled: Option<bool>,
    /// IANA time zone, e.g. `Asia/Shanghai`; `UTC` when omitted.
    pub time_zone: Option<String>,
    /// Delete messages older than this many days (1 to 36500); kept forever when omitted.
    pub message_retention_days: Option<i64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrg {
    pub name: Option<String>,
    pub read_receipts_enabled: Option<bool>,
    pub anonymous_posts_enabled: Option<bool>,
    /// IANA time zone, e.g. `Asia/Shanghai`.
    pub time_zone: Option<String>,
    /// Delete messages older than this many days (1 to 36500); `null` keeps them forever.
    /// Groups under legal hold keep everything.
    #[serde(default, deserialize_with = "super::people::double_option")]
    #[schema(value_type = Option<i64>)]
    pub message_retention_days: Option<Option<i64>>,
}

/// Longest retention period accepted, in days (a hundred years).
pub const MAX_RETENTION_DAYS: i64 = 36_500;

fn check_retention(days: Option<i64>) -> Result<Option<i64>> {
    match days {
        Some(d) if !(1..=MAX_RETENTION_DAYS).contains(&d) => Err(AppError::said(
            super::Refusal::Invalid,
            "invalid_retention",
            format!(
                "message_retention_days must be 1 to {MAX_RETENTION_DAYS}, or null to keep messages"
            ),
            format!("消息保留天数必须在 1 到 {MAX_RETENTION_DAYS} 之间，或设为 null 永久保留"),
        )),
        other => Ok(other),
    }
}

fn check_time_zone(name: &str) -> Result<String> {
    courtyard_runtime::schedule::time_zone(name.trim())
        .map(|tz| tz.name().to_owned())
        .map_err(|e| AppError::invalid("invalid_field", e))
}

/// Lowercase ASCII letters, digits and dashes; other characters become dashes.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        // Names without ASCII (e.g. Chinese) get a short random slug.
        format!("org-{}", &OrgId::generate().as_str()[24..])
    } else {
        slug.chars().take(48).collect()
    }
}

fn check_slug(slug: &str) -> Result<String> {
    let ok = (2..=48).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok {
        Ok(slug.to_owned())
    } else {
        Err(AppError::invalid(
            "invalid_slug",
            "slug must be 2-48 characters of a-z, 0-9 and inner dashes",
        ))
    }
}

impl App {
    pub async fn create_org(&self, auth: &Auth, input: CreateOrg) -> Result<OrgView> {
        if !auth.actor.is_platform_admin() {
            return Err(AppError::Forbidden(
                "only platform admins create organizations",
            ));
        }
        let name = check_name("name", &input.name, MAX_NAME_CHARS)?;
        let slug = match &input.slug {
            Some(s) => check_slug(s)?,
            None => slugify(&name),
        };
        let row = orgs::OrgRow {
            id: OrgId::generate().into_string(),
            name,
            slug,
            read_receipts_enabled: input.read_receipts_enabled.unwrap_or(true),
            anonymous_posts_enabled: input.anonymous_posts_enabled.unwrap_or(false),
            created_at: now_millis(),
            time_zone: match &input.time_zone {
                Some(tz) => check_time_zone(tz)?,
                None => "UTC".into(),
            },
            message_retention_days: check_retention(input.message_retention_days)?,
        };
        let stored = row.clone();
        self.writer
            .write(move |tx| Box::pin(async move { orgs::insert(tx, &stored).await }))
            .await?;
        self.audited(
            auth,
            &row.id,
            "org.created",
            &row.id,
            serde_json::json!({"name": row.name}),
        )
        .await;
        Ok(row.into())
    }

    pub async fn list_orgs(&self, auth: &Auth) -> Result<Vec<OrgView>> {
        let only = (!auth.actor.is_platform_admin()).then_some(&auth.actor.org_id);
        let rows = orgs::list(&self.store.read, only).await?;
        Ok(rows.into_iter().map(OrgView::from).collect())
    }

    /// Members see their own organization; platform admins see all.
    /// The organization `org_id` names, when the caller administers it: other
    /// organizations are not found, its own people are refused.
    pub(crate) fn administered_org(&self, auth: &Auth, org_id: &str) -> Result<OrgId> {
        let org = parse_id("organization", org_id, OrgId::parse)?;
        if !(auth.actor.is_platform_admin() || auth.actor.org_id == org) {
            return Err(AppError::NotFound("organization"));
        }
        if !auth.actor.administers(&org) {
            return Err(AppError::Forbidden(
                "only the organization's admins see this",
            ));
        }
        Ok(org)
    }

    pub async fn get_org(&self, auth: &Auth, id: &str) -> Result<OrgView> {
        let id = parse_id("organization", id, OrgId::parse)?;
        if !(auth.actor.is_platform_admin() || auth.actor.org_id == id) {
            return Err(AppError::NotFound("organization"));
        }
        Ok(orgs::get(&self.store.read, &id)
            .await
            .or_not_found("organization")?
            .into())
    }

    pub async fn update_org(&self, auth: &Auth, id: &str, input: UpdateOrg) -> Result<OrgView> {
        let current = self.get_org(auth, id).await?;
        if !auth
            .actor
            .administers(&OrgId::from_trusted(current.id.clone()))
        {
            return Err(AppError::Forbidden(
                "only the organization's admins change its settings",
            ));
        }
        let mut row = orgs::OrgRow {
            id: current.id,
            name: current.name,
            slug: current.slug,
            read_receipts_enabled: current.read_receipts_enabled,
            anonymous_posts_enabled: current.anonymous_posts_enabled,
            created_at: current.created_at,
            time_zone: current.time_zone,
            message_retention_days: current.message_retention_days,
        };
        if let Some(days) = input.message_retention_days {
            row.message_retention_days = check_retention(days)?;
        }
        if let Some(tz) = &input.time_zone {
            row.time_zone = check_time_zone(tz)?;
        }
        if let Some(name) = &input.name {
            row.name = check_name("name", name, MAX_NAME_CHARS)?;
        }
        if let Some(v) = input.read_receipts_enabled {
            row.read_receipts_enabled = v;
        }
        if let Some(v) = input.anonymous_posts_enabled {
            row.anonymous_posts_enabled = v;
        }
        let stored = row.clone();
        self.writer
            .write(move |tx| Box::pin(async move { orgs::update(tx, &stored).await }))
            .await?;
        // Plugins see the organization's time zone.
        self.plugins_changed();
        self.audited(
            auth,
            &row.id,
            "org.updated",
            &row.id,
            serde_json::json!({
                "name": row.name, "time_zone": row.time_zone,
                "read_receipts_enabled": row.read_receipts_enabled,
                "anonymous_posts_enabled": row.anonymous_posts_enabled,
                "message_retention_days": row.message_retention_days,
            }),
        )
        .await;
        Ok(row.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Acme Logistics Ltd."), "acme-logistics-ltd");
        assert!(slugify("宏达制造").starts_with("org-"));
        assert!(check_slug("acme").is_ok());
        assert!(check_slug("-acme").is_err());
        assert!(check_slug("Acme").is_err());
    }
}
