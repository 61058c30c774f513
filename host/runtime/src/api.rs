//! What a plugin may ask of the host, independent of any WIT version: each frozen contract
//! version has an adapter (`v0_1_0.rs`, `v0_2_0.rs`) that checks capabilities and sizes,
//! then calls this trait. The host server implements it over its own storage and policy.

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
    /// `en` or `zh-CN`: the language to answer the actor in.
    pub locale: String,
    /// The organization's IANA time zone.
    pub time_zone: String,
    /// How many plugin-to-plugin calls led to this one (0 for a call from the host).
    pub call_depth: u8,
}

impl Scope {
    /// A scope for a call the host makes on its own (a timer, a lifecycle stage).
    pub fn system(plugin_id: &str, org_id: &str, group_id: Option<String>) -> Self {
        Scope {
            plugin_id: plugin_id.to_owned(),
            org_id: org_id.to_owned(),
            group_id,
            actor: None,
            request_id: String::new(),
            settings: serde_json::Value::Object(Default::default()),
            locale: "en".into(),
            time_zone: "UTC".into(),
            call_depth: 0,
        }
    }
}

/// What an organization granted a plugin: capabilities (a subset of the manifest's) and,
/// for `http`, the hosts (a subset of the manifest's `http_hosts`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Grants {
    pub capabilities: Vec<String>,
    #[serde(default)]
    pub http_hosts: Vec<String>,
}

impl Grants {
    pub fn has(&self, cap: &str) -> bool {
        self.capabilities.iter().any(|c| c == cap)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Actor {
    pub id: String,
    pub display_name: String,
    /// `platform_admin`, `org_admin`, `member` or `guest`; `guest` for anyone acting in an
    /// organization other than their own (a partner's people in a shared group).
    pub role: String,
    /// The person's home organization.
    pub org_id: String,
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
}

/// A file uploaded in the plugin's organization (contract 0.3.0 `files`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileInfo {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub uploaded_by: String,
    pub created_ms: i64,
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
    #[error("conflict: someone else wrote first")]
    Conflict,
}

/// What a plugin's record is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Target {
    Person(String),
    Group(String),
    Message(String),
}

impl Target {
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Person(_) => "person",
            Target::Group(_) => "group",
            Target::Message(_) => "message",
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Target::Person(id) | Target::Group(id) | Target::Message(id) => id,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Link {
    pub rel: String,
    pub target: Target,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Record {
    pub collection: String,
    pub id: String,
    pub data: String,
    pub links: Vec<Link>,
    pub version: u64,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// A page of records and the cursor of the next page.
pub type RecordPage = (Vec<Record>, Option<String>);

/// An HTTP request: outbound from a plugin (`url` absolute) or to a plugin route (`url`
/// is the path under the plugin's prefix).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub timeout_ms: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
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
    /// Milliseconds since the Unix epoch as the plugin sees them (a test host may move time).
    fn now_ms(&self) -> i64 {
        crate::runtime::now_ms()
    }
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

    // ---- added in contract 0.2.0 ----

    async fn with_role(&self, scope: &Scope, role: &str, limit: u32) -> HostResult<Vec<Person>>;
    async fn is_member(&self, scope: &Scope, group_id: &str, person_id: &str) -> HostResult<bool>;
    /// Replies as the plugin in the thread of `parent_id`.
    async fn reply(
        &self,
        scope: &Scope,
        parent_id: &str,
        body: String,
        card: Option<serde_json::Value>,
    ) -> HostResult<String>;
    async fn record_get(
        &self,
        scope: &Scope,
        collection: &str,
        id: &str,
    ) -> HostResult<Option<Record>>;
    /// Creates (`expected_version` 0) or replaces a record; `Conflict` when it lost a race.
    async fn record_put(
        &self,
        scope: &Scope,
        collection: &str,
        id: &str,
        data: String,
        links: Vec<Link>,
        expected_version: u64,
    ) -> HostResult<u64>;
    async fn record_delete(&self, scope: &Scope, collection: &str, id: &str) -> HostResult<bool>;
    async fn record_find(
        &self,
        scope: &Scope,
        collection: &str,
        rel: Option<&str>,
        target: &Target,
        cursor: Option<String>,
        limit: u32,
    ) -> HostResult<RecordPage>;
    async fn record_list(
        &self,
        scope: &Scope,
        collection: &str,
        cursor: Option<String>,
        limit: u32,
    ) -> HostResult<RecordPage>;
    /// Sets (or replaces, by key) a one-shot timer; returns its id.
    async fn timer_set(
        &self,
        scope: &Scope,
        key: &str,
        due_ms: i64,
        payload: String,
    ) -> HostResult<String>;
    async fn timer_cancel(&self, scope: &Scope, key: &str) -> HostResult<bool>;
    /// Fetches a URL the adapter already checked against the granted hosts.
    async fn http_fetch(&self, scope: &Scope, request: HttpRequest) -> HostResult<HttpResponse>;
    /// Calls another plugin's `on-call`; the adapter checked the manifest's `calls`.
    async fn interop_call(
        &self,
        scope: &Scope,
        plugin: &str,
        operation: &str,
        input: String,
    ) -> HostResult<String>;

    // ---- added in contract 0.3.0 ----

    /// The plugin's organization, or a partner organization sharing a group with it.
    async fn organization(&self, scope: &Scope, id: &str) -> HostResult<Organization>;
    /// Posts a card only `audience` (members of the group) sees, with its thread.
    async fn post_card_for(
        &self,
        scope: &Scope,
        group_id: &str,
        card: serde_json::Value,
        audience: Vec<String>,
    ) -> HostResult<String>;
    /// Replaces the audience of one of the plugin's `post_card_for` cards.
    async fn set_audience(
        &self,
        scope: &Scope,
        message_id: &str,
        audience: Vec<String>,
    ) -> HostResult<()>;
    async fn file_get(&self, scope: &Scope, id: &str) -> HostResult<FileInfo>;
    /// Lets `people` download the file too.
    async fn file_share(&self, scope: &Scope, id: &str, people: Vec<String>) -> HostResult<()>;
}

/// Checks an outbound URL against the granted hosts: `http` or `https` only, no credentials,
/// and the host (with its port, when not the scheme's default) listed exactly. Parsed the
/// way the HTTP client will parse it, so no spelling trick reaches another host.
pub fn check_outbound_url(url: &str, allowed: &[String]) -> Result<url::Url, HostError> {
    let parsed = url::Url::parse(url)
        .map_err(|e| HostError::Invalid(format!("`{url}` is not a valid absolute URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(HostError::Denied("only http and https are allowed".into()));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(HostError::Denied(
            "credentials in the URL are not allowed".into(),
        ));
    }
    let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
    let port = parsed.port_or_known_default().unwrap_or(0);
    let default_port = parsed.port().is_none();
    let listed = allowed.iter().any(|entry| {
        let entry = entry.to_ascii_lowercase();
        match entry.rsplit_once(':') {
            Some((h, p)) => h == host && p.parse::<u16>().ok() == Some(port),
            None => entry == host && default_port,
        }
    });
    if host.is_empty() || !listed {
        return Err(HostError::Denied(format!(
            "`{host}:{port}` is not among the hosts an admin allowed this plugin to reach"
        )));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbound_urls_must_name_an_allowed_host() {
        let allowed = vec!["api.example.com".to_owned(), "127.0.0.1:8080".to_owned()];
        assert!(check_outbound_url("https://api.example.com/v1?x=1", &allowed).is_ok());
        assert!(check_outbound_url("http://API.example.com", &allowed).is_ok());
        assert!(check_outbound_url("http://127.0.0.1:8080/hook", &allowed).is_ok());
        for bad in [
            "https://api.example.com:8443/",
            "http://127.0.0.1/",
            "http://127.0.0.1:8081/",
            "https://evil.example.com/",
            "https://api.example.com.evil.net/",
            "https://user@api.example.com/",
            "ftp://api.example.com/",
            "file:///etc/passwd",
            "api.example.com/",
            "http://api.example.com@evil.com/",
            "http://evil.com\\@api.example.com/",
            "http://127.0.0.1:8080@evil.com/",
        ] {
            assert!(check_outbound_url(bad, &allowed).is_err(), "{bad}");
        }
    }
}
