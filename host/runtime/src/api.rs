//! What a plugin may ask of the host, independent of any WIT version: each frozen contract
//! version has an adapter (`v0_1_0.rs`) that checks capabilities and sizes, then calls this
//! trait. The host server implements it over its own storage and policy.

use serde::Serialize;

/// The caller of a plugin entry point, as the host established it.
#[derive(Clone, Debug, Serialize)]
pub struct Scope {
    pub plugin_id: String,
    pub org_id: String,
    pub group_id: Option<String>,
    pub actor: Option<Actor>,
    pub request_id: String,
    /// Validated settings for this group (or organization), as JSON.
    pub settings: serde_json::Value,
}

#[derive(Clone, Debug, Serialize)]
pub struct Actor {
    pub id: String,
    pub display_name: String,
    /// `platform_admin`, `org_admin`, `member` or `guest`.
    pub role: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Person {
    pub id: String,
    pub org_id: String,
    pub display_name: String,
    pub title: String,
    pub department_id: Option<String>,
    pub email: String,
    pub guest: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub kind: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("not found")]
    NotFound,
    #[error("denied: {0}")]
    Denied(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("quota: {0}")]
    Quota(String),
    #[error("unavailable: {0}")]
    Unavailable(String),
}

pub type HostResult<T> = Result<T, HostError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

/// Host services behind the plugin capabilities. Every method acts within `scope`: the
/// plugin's organization, and what the acting person may see.
#[async_trait::async_trait]
pub trait HostApi: Send + Sync + 'static {
    async fn person(&self, scope: &Scope, id: &str) -> HostResult<Person>;
    async fn search_people(
        &self,
        scope: &Scope,
        query: &str,
        limit: u32,
    ) -> HostResult<Vec<Person>>;
    async fn managers(&self, scope: &Scope, id: &str, levels: u32) -> HostResult<Vec<Person>>;
    async fn group(&self, scope: &Scope, id: &str) -> HostResult<Group>;
    async fn members(&self, scope: &Scope, id: &str) -> HostResult<Vec<Person>>;
    /// Posts as the plugin; `card` is the validated card JSON. Returns the message id.
    async fn post(
        &self,
        scope: &Scope,
        group_id: &str,
        body: String,
        card: Option<serde_json::Value>,
    ) -> HostResult<String>;
    async fn update_card(
        &self,
        scope: &Scope,
        message_id: &str,
        card: serde_json::Value,
    ) -> HostResult<()>;
    async fn send_card(
        &self,
        scope: &Scope,
        person_id: &str,
        card: serde_json::Value,
    ) -> HostResult<String>;
    async fn kv_get(
        &self,
        scope: &Scope,
        key: &str,
        group_scoped: bool,
    ) -> HostResult<Option<Vec<u8>>>;
    async fn kv_set(
        &self,
        scope: &Scope,
        key: &str,
        value: Vec<u8>,
        group_scoped: bool,
        ttl_ms: Option<u64>,
    ) -> HostResult<()>;
    async fn kv_delete(&self, scope: &Scope, key: &str, group_scoped: bool) -> HostResult<bool>;
    async fn kv_compare_and_set(
        &self,
        scope: &Scope,
        key: &str,
        expected: Option<Vec<u8>>,
        value: Vec<u8>,
        group_scoped: bool,
    ) -> HostResult<bool>;
    async fn kv_scan(
        &self,
        scope: &Scope,
        prefix: &str,
        start_after: Option<String>,
        limit: u32,
        group_scoped: bool,
    ) -> HostResult<Vec<(String, Vec<u8>)>>;
    fn log(&self, scope: &Scope, level: LogLevel, message: &str);
}
