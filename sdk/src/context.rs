//! The typed context every entry point receives.

use crate::bindings::courtyard::plugin::types as t;

/// Who is acting, where, and with which settings.
#[derive(Clone, Debug)]
pub struct Context {
    pub org_id: String,
    pub group_id: Option<String>,
    pub actor: Option<t::Actor>,
    pub request_id: String,
    settings: serde_json::Value,
}

impl From<t::Context> for Context {
    fn from(c: t::Context) -> Self {
        Self {
            org_id: c.org_id,
            group_id: c.group_id,
            actor: c.actor,
            request_id: c.request_id,
            settings: serde_json::from_str(&c.settings).unwrap_or(serde_json::Value::Null),
        }
    }
}

impl Context {
    /// The plugin's settings for this group, as the admin set them (validated by the host).
    pub fn settings<T: serde::de::DeserializeOwned>(&self) -> crate::Result<T> {
        Ok(serde_json::from_value(self.settings.clone())?)
    }

    /// One setting, if set.
    pub fn setting(&self, name: &str) -> Option<&serde_json::Value> {
        self.settings.get(name)
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

    pub fn is_guest(&self) -> bool {
        self.actor.as_ref().is_some_and(|a| a.guest)
    }

    /// The group the call concerns, or a user-facing error.
    pub fn group(&self) -> crate::Result<&str> {
        self.group_id
            .as_deref()
            .ok_or_else(|| crate::Error::user("this works inside a group only"))
    }
}
