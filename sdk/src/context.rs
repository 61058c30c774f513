//! The typed context every entry point receives.

use crate::bindings::courtyard::plugin::types as t;
use crate::{Error, Result, Role};

/// Who is acting, where, in which language, and with which settings.
#[derive(Clone, Debug)]
pub struct Context {
    pub org_id: String,
    /// The group the call concerns, if any.
    pub group_id: Option<String>,
    /// The person acting; `None` for timers, schedules and some lifecycle stages.
    pub actor: Option<t::Actor>,
    /// Correlates log lines with the request that caused them.
    pub request_id: String,
    locale: String,
    settings: serde_json::Value,
}

impl From<t::Context> for Context {
    fn from(c: t::Context) -> Self {
        Self {
            org_id: c.org_id,
            group_id: c.group_id,
            actor: c.actor,
            request_id: c.request_id,
            locale: c.locale,
            settings: serde_json::from_str(&c.settings).unwrap_or(serde_json::Value::Null),
        }
    }
}

impl Context {
    /// The plugin's settings for this group, as the admin set them (validated by the host
    /// against the manifest's `[[settings]]`).
    pub fn settings<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        T::deserialize(&self.settings).map_err(|e| {
            Error::new(
                crate::ErrorKind::Data,
                format!("the plugin's settings could not be read: {e}"),
            )
        })
    }

    /// The same as [`Context::settings`].
    pub fn settings_as<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        self.settings()
    }

    /// One setting, if set.
    pub fn setting(&self, name: &str) -> Option<&serde_json::Value> {
        self.settings.get(name)
    }

    /// The language to answer in: `en` or `zh-CN`.
    pub fn locale(&self) -> &str {
        &self.locale
    }

    /// Whether to answer in Chinese.
    pub fn is_zh(&self) -> bool {
        self.locale.starts_with("zh")
    }

    /// Picks the English or the Chinese text by the acting person's language:
    /// `ctx.tr("Approved", "已通过")`, or with `format!` on both sides.
    pub fn tr<T>(&self, en: T, zh: T) -> T {
        if self.is_zh() { zh } else { en }
    }

    /// The acting person's display name, or an empty string for scheduled work.
    pub fn actor_name(&self) -> &str {
        self.actor
            .as_ref()
            .map(|a| a.display_name.as_str())
            .unwrap_or("")
    }

    pub fn actor_id(&self) -> Option<&str> {
        self.actor.as_ref().map(|a| a.id.as_str())
    }

    /// The acting person's home organization. It differs from [`Context::org_id`] (the
    /// plugin's organization) for a partner's people acting in a shared group, who are
    /// guests here whatever their role at home. Read its name with
    /// `people::organization(id)`.
    pub fn actor_org(&self) -> Option<&str> {
        self.actor.as_ref().map(|a| a.org_id.as_str())
    }

    /// Whether the acting person belongs to another organization than the plugin's (a
    /// partner acting in a shared group).
    pub fn is_partner(&self) -> bool {
        self.actor_org().is_some_and(|org| org != self.org_id)
    }

    /// The acting person, or a user-facing error when no one is acting (timers, schedules).
    pub fn person(&self) -> Result<&t::Actor> {
        self.actor.as_ref().ok_or_else(|| {
            Error::user(self.tr("this needs a signed-in person", "需要由已登录的用户操作"))
        })
    }

    /// Whether the acting person is a guest: a guest of the organization, or a partner's
    /// person acting in a shared group ([`Context::is_partner`]).
    pub fn is_guest(&self) -> bool {
        self.actor
            .as_ref()
            .is_some_and(|a| a.guest || a.role == Role::Guest)
    }

    /// Whether the acting person administers the organization (an org admin or a platform
    /// admin).
    pub fn is_admin(&self) -> bool {
        self.actor
            .as_ref()
            .is_some_and(|a| !a.guest && matches!(a.role, Role::OrgAdmin | Role::PlatformAdmin))
    }

    /// The group the call concerns, or a user-facing error.
    pub fn group(&self) -> Result<&str> {
        self.group_id
            .as_deref()
            .ok_or_else(|| Error::user(self.tr("this works inside a group only", "只能在群里使用")))
    }
}
