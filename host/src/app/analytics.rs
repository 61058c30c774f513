//! Usage analytics for an organization's admins (platform admins for any organization):
//! daily and rolling monthly active people, messages per day and per group, plugin usage.
//! Days are UTC days; the window ends today.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Auth;
use super::{App, AppError, OrNotFound, Result};
use crate::store::analytics::{self, DAY_MS};
use crate::store::{now_millis, orgs};

/// Longest window, in days.
pub const MAX_DAYS: i64 = 366;
/// Groups listed, busiest first.
const TOP_GROUPS: usize = 20;
/// "Monthly" active people: distinct people over this many days up to and including a day.
const MONTH_DAYS: i64 = 30;

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AnalyticsView {
    pub org_id: String,
    /// First day of the window (UTC, `YYYY-MM-DD`).
    pub from: String,
    /// Last day of the window: today (UTC).
    pub to: String,
    /// One entry per day of the window, oldest first.
    pub days: Vec<DayFigures>,
    /// People active today (UTC).
    pub dau: i64,
    /// People active in the last 7 days, today included.
    pub wau: i64,
    /// People active in the last 30 days, today included.
    pub mau: i64,
    /// People of the organization whose accounts are active (may sign in).
    pub people: i64,
    /// Messages in the organization's groups over the window.
    pub messages: i64,
    /// Of those, messages in direct conversations (not broken down by conversation).
    pub direct_messages: i64,
    /// The busiest groups over the window (at most 20, direct conversations excluded),
    /// busiest first.
    pub groups: Vec<GroupFigures>,
    /// Every plugin installed in the organization, and any other that posted in the window.
    pub plugins: Vec<PluginFigures>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DayFigures {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// People of the organization who wrote a message or signed in that day.
    pub active_people: i64,
    /// People active in the 30 days up to and including this one.
    pub active_people_30d: i64,
    /// Messages in the organization's groups that day (replies included).
    pub messages: i64,
    /// Of those, messages posted by plugins.
    pub plugin_messages: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct GroupFigures {
    pub group_id: String,
    pub name: String,
    /// `department`, `team`, `interest`, `announcement` or `shared`.
    pub kind: String,
    /// Messages over the window.
    pub messages: i64,
    /// Messages per day, aligned with `days`.
    pub per_day: Vec<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PluginFigures {
    pub plugin_id: String,
    /// Installed in the organization now.
    pub installed: bool,
    /// Messages (cards) the plugin posted in the organization's groups over the window.
    pub messages: i64,
    /// Records the plugin created over the window (requests, shipments, form answers …).
    pub records: i64,
    /// Groups it is enabled in now.
    pub groups: i64,
    /// Admin actions about it over the window (installs, upgrades, grants, enabling …).
    pub admin_actions: i64,
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01 (proleptic Gregorian calendar).
pub fn date_of_day(day: i64) -> String {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| epoch.checked_add_signed(chrono::TimeDelta::days(day)))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// How many different people were active from day `from` to day `to`, both included.
fn distinct_people(by_day: &BTreeMap<i64, HashSet<&str>>, from: i64, to: i64) -> i64 {
    let mut people: HashSet<&str> = HashSet::new();
    for (_, set) in by_day.range(from..=to) {
        people.extend(set.iter().copied());
    }
    people.len() as i64
}

impl App {
    /// The organization's usage over the last `days` UTC days (default 30, 1 to 366).
    pub async fn org_analytics(
        &self,
        auth: &Auth,
        org_id: &str,
        days: Option<i64>,
    ) -> Result<AnalyticsView> {
        let org = self.administered_org(auth, org_id)?;
        let days = days.unwrap_or(30);
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(AppError::invalid(
                "invalid_field",
                format!("days must be 1 to {MAX_DAYS}"),
            ));
        }
        orgs::get(&self.store.read, &org)
            .await
            .or_not_found("organization")?;
        let org = org.as_str();
        let today = now_millis().div_euclid(DAY_MS);
        let first = today - (days - 1);
        let len = days as usize;
        let slot = |day: i64| usize::try_from(day - first).ok().filter(|i| *i < len);

        // Active people: each day's set, then a trailing 30-day union per day.
        let activity_from = first - (MONTH_DAYS - 1);
        let active = analytics::active_days(&self.store.read, org, activity_from).await?;
        let mut by_day: BTreeMap<i64, HashSet<&str>> = BTreeMap::new();
        for a in &active {
            if a.day <= today {
                by_day
                    .entry(a.day)
                    .or_default()
                    .insert(a.person_id.as_str());
            }
        }
        let mut figures: Vec<DayFigures> = (0..days)
            .map(|i| {
                let day = first + i;
                DayFigures {
                    date: date_of_day(day),
                    active_people: by_day.get(&day).map_or(0, |s| s.len() as i64),
                    active_people_30d: distinct_people(&by_day, day - (MONTH_DAYS - 1), day),
                    messages: 0,
                    plugin_messages: 0,
                }
            })
            .collect();

        // Messages per day and per group.
        let rows = analytics::messages_by_group_day(&self.store.read, org, first).await?;
        let mut total = 0;
        let mut direct = 0;
        let mut groups: HashMap<String, GroupFigures> = HashMap::new();
        for r in rows {
            let Some(i) = slot(r.day) else { continue };
            figures[i].messages += r.messages;
            figures[i].plugin_messages += r.plugin_messages;
            total += r.messages;
            if r.kind == "direct" {
                direct += r.messages;
                continue;
            }
            let g = groups
                .entry(r.group_id.clone())
                .or_insert_with(|| GroupFigures {
                    group_id: r.group_id,
                    name: r.name,
                    kind: r.kind,
                    messages: 0,
                    per_day: vec![0; len],
                });
            g.messages += r.messages;
            g.per_day[i] += r.messages;
        }
        let mut groups: Vec<GroupFigures> = groups.into_values().collect();
        groups.sort_by(|a, b| {
            b.messages
                .cmp(&a.messages)
                .then_with(|| a.name.cmp(&b.name))
        });
        groups.truncate(TOP_GROUPS);

        // Plugins.
        let mut plugins: BTreeMap<String, PluginFigures> = BTreeMap::new();
        for f in analytics::plugin_figures(&self.store.read, org, first).await? {
            let p = plugins
                .entry(f.plugin_id.clone())
                .or_insert_with(|| PluginFigures {
                    plugin_id: f.plugin_id,
                    installed: false,
                    messages: 0,
                    records: 0,
                    groups: 0,
                    admin_actions: 0,
                });
            match f.metric.as_str() {
                "installed" => p.installed = f.value > 0,
                "messages" => p.messages += f.value,
                "records" => p.records += f.value,
                "groups" => p.groups += f.value,
                "admin_actions" => p.admin_actions += f.value,
                _ => {}
            }
        }
        // An uninstalled plugin shows only while it still has messages in the window.
        let plugins = plugins
            .into_values()
            .filter(|p| p.installed || p.messages > 0)
            .collect();

        Ok(AnalyticsView {
            org_id: org.to_owned(),
            from: date_of_day(first),
            to: date_of_day(today),
            dau: distinct_people(&by_day, today, today),
            wau: distinct_people(&by_day, today - 6, today),
            mau: distinct_people(&by_day, today - (MONTH_DAYS - 1), today),
            days: figures,
            people: analytics::active_accounts(&self.store.read, org).await?,
            messages: total,
            direct_messages: direct,
            groups,
            plugins,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_become_dates() {
        assert_eq!(date_of_day(0), "1970-01-01");
        assert_eq!(date_of_day(-1), "1969-12-31");
        assert_eq!(date_of_day(11_016), "2000-02-29");
        assert_eq!(date_of_day(20_000), "2024-10-04");
        assert_eq!(date_of_day(20_787), "2026-11-30");
    }
}
