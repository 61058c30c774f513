//! The plugin manifest (`courtyard.toml` in a plugin package): what the plugin is, what it
//! needs and what it offers. Validated before anything is installed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// WIT contract versions this host can run, newest first.
pub const SUPPORTED_WIT: &[&str] = &["0.3.0", "0.2.0", "0.1.0"];

/// Capabilities a manifest may ask for; each maps to one imported interface.
pub const CAPABILITIES: &[&str] = &[
    "people", "groups", "messages", "storage", "records", "timers", "http", "interop", "files",
];

/// Capabilities that contract 0.1.0 knows about.
const CAPABILITIES_V0_1: &[&str] = &["people", "groups", "messages", "storage"];

/// Capabilities that contract 0.3.0 added, with the version that introduced them.
const CAPABILITIES_SINCE: &[(&str, &str)] = &[("files", "0.3.0")];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Lowercase letters, digits and dashes; unique on a host.
    pub id: String,
    /// Semantic version of the plugin, e.g. `1.2.0`.
    pub version: String,
    /// The WIT contract version the component was built against, e.g. `0.1.0`.
    pub wit: String,
    pub name: Localized,
    #[serde(default)]
    pub description: Option<Localized>,
    #[serde(default)]
    pub capabilities: Vec<String>,
    #[serde(default)]
    pub commands: Vec<Command>,
    #[serde(default)]
    pub hooks: Hooks,
    /// Event kinds delivered to `on-event` (e.g. `message.created`).
    #[serde(default)]
    pub events: Vec<String>,
    /// Settings an admin fills in per group, validated before the plugin sees them.
    #[serde(default)]
    pub settings: Vec<Setting>,
    /// With `http`: the only hosts (`name` or `name:port`) the plugin may fetch from. An
    /// admin may grant fewer.
    #[serde(default)]
    pub http_hosts: Vec<String>,
    /// With `interop`: the plugins it may call. A plugin may also call back any plugin that
    /// lists it here (an engine telling its users the outcome), so an engine asks for
    /// `interop` with no `calls` of its own.
    #[serde(default)]
    pub calls: Vec<String>,
    /// Operations other plugins may call through `interop`.
    #[serde(default)]
    pub operations: Vec<String>,
    /// Pages people open from a group where the plugin is enabled.
    #[serde(default)]
    pub pages: Vec<Page>,
    /// HTTP routes under `/api/v1/plugins/{id}/`.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Jobs the host runs on a schedule, once per schedule in the whole deployment.
    #[serde(default)]
    pub schedules: Vec<Schedule>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    pub name: String,
    pub title: Localized,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Relative to `/api/v1/plugins/{id}/`; a trailing `/*` matches any rest.
    pub path: String,
    #[serde(default = "default_methods")]
    pub methods: Vec<String>,
    #[serde(default)]
    pub auth: RouteAuth,
}

fn default_methods() -> Vec<String> {
    vec!["GET".into()]
}

/// Who may call a route.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteAuth {
    /// A signed-in person; the plugin sees them as the actor.
    #[default]
    Session,
    /// Anyone (partner systems posting updates); the plugin authenticates the request
    /// itself, e.g. with a shared secret from its settings. The URL names the organization.
    Public,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub name: String,
    /// A period such as `30s`, `15m`, `2h`, `1d` (at least one minute).
    #[serde(default)]
    pub every: Option<String>,
    /// A cron expression (minute hour day-of-month month day-of-week) in the organization's
    /// time zone.
    #[serde(default)]
    pub cron: Option<String>,
}

/// Text in English and Simplified Chinese.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    pub en: String,
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Command {
    /// Typed after the slash: `leave` for `/leave`.
    pub name: String,
    pub description: Localized,
    /// Argument hint shown while typing, e.g. `<from> <to> [reason]`.
    #[serde(default)]
    pub usage: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hooks {
    /// Present when the plugin inspects messages before they are stored.
    #[serde(default)]
    pub before_message: Option<BeforeMessage>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeforeMessage {
    /// The plugin's own deadline; an admin may lower it. At most 1000 ms.
    #[serde(default = "default_hook_deadline")]
    pub deadline_ms: u64,
}

fn default_hook_deadline() -> u64 {
    50
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setting {
    pub name: String,
    pub label: Localized,
    #[serde(rename = "type")]
    pub kind: SettingKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub default: Option<serde_json::Value>,
    /// For `select`: the allowed values.
    #[serde(default)]
    pub options: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SettingKind {
    Text,
    Number,
    Bool,
    Select,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ManifestError {
    #[error("manifest is not valid TOML for a Courtyard plugin: {0}")]
    Syntax(String),
    #[error("invalid {field}: {reason}")]
    Field { field: String, reason: String },
    #[error("the plugin needs host contract {wanted}; this host supports {supported}")]
    UnsupportedWit { wanted: String, supported: String },
}

fn field(field: impl Into<String>, reason: impl Into<String>) -> ManifestError {
    ManifestError::Field {
        field: field.into(),
        reason: reason.into(),
    }
}

fn is_slug(s: &str, max: usize) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && s.len() <= max
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.ends_with('-')
}

fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(version)
}

/// Compares two semantic versions by their numeric core.
pub fn version_cmp(a: &str, b: &str) -> Option<std::cmp::Ordering> {
    Some(parse_version(a)?.cmp(&parse_version(b)?))
}

fn check_localized(name: &str, l: &Localized, max: usize) -> Result<(), ManifestError> {
    for (lang, text) in [("en", &l.en), ("zh-CN", &l.zh_cn)] {
        if text.trim().is_empty() || text.chars().count() > max {
            return Err(field(
                format!("{name}.{lang}"),
                format!("must be 1 to {max} characters"),
            ));
        }
    }
    Ok(())
}

fn is_host(h: &str) -> bool {
    let (name, port) = match h.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (h, None),
    };
    !name.is_empty()
        && name.len() <= 253
        && name
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0))
}

fn is_route_path(p: &str) -> bool {
    let body = p.strip_suffix("/*").unwrap_or(p);
    !body.is_empty()
        && p.len() <= 200
        && body.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
}

fn unique_slugs(name: &str, items: &[String], max: usize) -> Result<(), ManifestError> {
    if items.len() > max {
        return Err(field(name, format!("at most {max} entries")));
    }
    let mut seen = BTreeMap::new();
    for item in items {
        if !is_slug(&item.replace('_', "-"), 40) || seen.insert(item.as_str(), ()).is_some() {
            return Err(field(name, format!("`{item}` is not a valid, unique name")));
        }
    }
    Ok(())
}

impl Manifest {
    pub fn parse(text: &str) -> Result<Self, ManifestError> {
        if text.len() > 64 * 1024 {
            return Err(ManifestError::Syntax(
                "manifest is larger than 64 KiB".into(),
            ));
        }
        let manifest: Manifest =
            toml::from_str(text).map_err(|e| ManifestError::Syntax(e.message().to_owned()))?;
        manifest.validate()?;
        Ok(manifest)
    }

    pub fn validate(&self) -> Result<(), ManifestError> {
        if !is_slug(&self.id, 40) {
            return Err(field(
                "id",
                "1-40 lowercase letters, digits and inner dashes, starting with a letter",
            ));
        }
        if parse_version(&self.version).is_none() {
            return Err(field("version", "a semantic version such as 1.0.0"));
        }
        if parse_version(&self.wit).is_none() {
            return Err(field("wit", "a contract version such as 0.1.0"));
        }
        if !SUPPORTED_WIT.contains(&self.wit.as_str()) {
            return Err(ManifestError::UnsupportedWit {
                wanted: self.wit.clone(),
                supported: SUPPORTED_WIT.join(", "),
            });
        }
        check_localized("name", &self.name, 60)?;
        if let Some(d) = &self.description {
            check_localized("description", d, 500)?;
        }
        let mut seen = BTreeMap::new();
        for cap in &self.capabilities {
            if !CAPABILITIES.contains(&cap.as_str()) {
                return Err(field(
                    "capabilities",
                    format!(
                        "unknown capability `{cap}` (known: {})",
                        CAPABILITIES.join(", ")
                    ),
                ));
            }
            if seen.insert(cap.as_str(), ()).is_some() {
                return Err(field("capabilities", format!("`{cap}` is listed twice")));
            }
        }
        if self.commands.len() > 20 {
            return Err(field("commands", "at most 20 commands"));
        }
        let mut names = BTreeMap::new();
        for c in &self.commands {
            if !is_slug(&c.name, 32) {
                return Err(field(
                    "commands.name",
                    format!("`{}` is not a valid command name", c.name),
                ));
            }
            if names.insert(c.name.as_str(), ()).is_some() {
                return Err(field(
                    "commands.name",
                    format!("`{}` is declared twice", c.name),
                ));
            }
            check_localized("commands.description", &c.description, 200)?;
            if c.usage.chars().count() > 100 {
                return Err(field("commands.usage", "at most 100 characters"));
            }
        }
        if let Some(h) = &self.hooks.before_message
            && !(1..=1000).contains(&h.deadline_ms)
        {
            return Err(field("hooks.before_message.deadline_ms", "1 to 1000"));
        }
        if self.events.len() > 20 || self.events.iter().any(|e| !e.contains('.') || e.len() > 64) {
            return Err(field(
                "events",
                "at most 20 event kinds such as `message.created`",
            ));
        }
        self.validate_v0_3()?;
        self.validate_v0_2()?;
        if self.settings.len() > 50 {
            return Err(field("settings", "at most 50 settings"));
        }
        let mut setting_names = BTreeMap::new();
        for s in &self.settings {
            if !is_slug(&s.name.replace('_', "-"), 40)
                || setting_names.insert(s.name.as_str(), ()).is_some()
            {
                return Err(field(
                    "settings.name",
                    format!("`{}` is not a valid, unique setting name", s.name),
                ));
            }
            check_localized("settings.label", &s.label, 100)?;
            if s.kind == SettingKind::Select && s.options.is_empty() {
                return Err(field(
                    "settings.options",
                    format!("select setting `{}` needs options", s.name),
                ));
            }
        }
        Ok(())
    }

    /// Fields that contract 0.2.0 added: refused on 0.1.0 manifests, checked otherwise.
    fn validate_v0_2(&self) -> Result<(), ManifestError> {
        if self.wit == "0.1.0" {
            if let Some(cap) = self
                .capabilities
                .iter()
                .find(|c| !CAPABILITIES_V0_1.contains(&c.as_str()))
            {
                return Err(field(
                    "capabilities",
                    format!("`{cap}` needs contract 0.2.0 or later"),
                ));
            }
            let newer = [
                ("http_hosts", self.http_hosts.is_empty()),
                ("calls", self.calls.is_empty()),
                ("operations", self.operations.is_empty()),
                ("pages", self.pages.is_empty()),
                ("routes", self.routes.is_empty()),
                ("schedules", self.schedules.is_empty()),
            ];
            if let Some((name, _)) = newer.iter().find(|(_, empty)| !empty) {
                return Err(field(*name, "needs contract 0.2.0 or later"));
            }
            return Ok(());
        }
        if self.has_capability("http") == self.http_hosts.is_empty() {
            return Err(field(
                "http_hosts",
                "list the hosts the plugin fetches from exactly when it asks for `http`",
            ));
        }
        if self.http_hosts.len() > 20 || !self.http_hosts.iter().all(|h| is_host(h)) {
            return Err(field(
                "http_hosts",
                "at most 20 host names such as `api.example.com` or `10.0.0.5:8080`",
            ));
        }
        if !self.calls.is_empty() && !self.has_capability("interop") {
            return Err(field(
                "calls",
                "a plugin that calls others must ask for `interop`",
            ));
        }
        unique_slugs("calls", &self.calls, 20)?;
        unique_slugs("operations", &self.operations, 50)?;
        unique_slugs(
            "pages.name",
            &self
                .pages
                .iter()
                .map(|p| p.name.clone())
                .collect::<Vec<_>>(),
            20,
        )?;
        for p in &self.pages {
            check_localized("pages.title", &p.title, 60)?;
        }
        if self.routes.len() > 50 {
            return Err(field("routes", "at most 50 routes"));
        }
        for r in &self.routes {
            if !is_route_path(&r.path) {
                return Err(field(
                    "routes.path",
                    format!(
                        "`{}` must be segments of letters, digits, `-`, `_` or `.`, optionally ending in `/*`",
                        r.path
                    ),
                ));
            }
            const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
            if r.methods.is_empty() || r.methods.iter().any(|m| !METHODS.contains(&m.as_str())) {
                return Err(field(
                    "routes.methods",
                    format!("`{}`: methods are GET, POST, PUT, PATCH or DELETE", r.path),
                ));
            }
        }
        unique_slugs(
            "schedules.name",
            &self
                .schedules
                .iter()
                .map(|s| s.name.clone())
                .collect::<Vec<_>>(),
            20,
        )?;
        for s in &self.schedules {
            crate::schedule::Cadence::from_manifest(s)
                .map_err(|reason| field(format!("schedules.{}", s.name), reason))?;
        }
        Ok(())
    }

    /// What contract 0.3.0 added: refused on older manifests.
    fn validate_v0_3(&self) -> Result<(), ManifestError> {
        for cap in &self.capabilities {
            if let Some((_, since)) = CAPABILITIES_SINCE.iter().find(|(c, _)| c == cap)
                && version_cmp(&self.wit, since) == Some(std::cmp::Ordering::Less)
            {
                return Err(field(
                    "capabilities",
                    format!("`{cap}` needs contract {since} or later"),
                ));
            }
        }
        Ok(())
    }

    /// The route declared for a request path and method, if any.
    pub fn route(&self, path: &str, method: &str) -> Option<&Route> {
        self.routes.iter().find(|r| {
            r.methods.iter().any(|m| m.eq_ignore_ascii_case(method))
                && match r.path.strip_suffix("/*") {
                    Some(prefix) => {
                        path == prefix
                            || path
                                .strip_prefix(prefix)
                                .is_some_and(|rest| rest.starts_with('/'))
                    }
                    None => path == r.path,
                }
        })
    }

    pub fn has_capability(&self, cap: &str) -> bool {
        self.capabilities.iter().any(|c| c == cap)
    }

    /// Validates settings against the schema and fills in defaults. Unknown keys are refused.
    pub fn validate_settings(
        &self,
        value: &serde_json::Value,
    ) -> Result<serde_json::Value, ManifestError> {
        let empty = serde_json::Map::new();
        let given = match value {
            serde_json::Value::Null => &empty,
            serde_json::Value::Object(m) => m,
            _ => return Err(field("settings", "must be an object")),
        };
        for key in given.keys() {
            if !self.settings.iter().any(|s| &s.name == key) {
                return Err(field("settings", format!("unknown setting `{key}`")));
            }
        }
        let mut out = serde_json::Map::new();
        for s in &self.settings {
            let v = given.get(&s.name).cloned().or_else(|| s.default.clone());
            let Some(v) = v.filter(|v| !v.is_null()) else {
                if s.required {
                    return Err(field(format!("settings.{}", s.name), "is required"));
                }
                continue;
            };
            let ok = match s.kind {
                SettingKind::Text => v.as_str().is_some_and(|t| t.chars().count() <= 2000),
                SettingKind::Number => v.is_number(),
                SettingKind::Bool => v.is_boolean(),
                SettingKind::Select => v.as_str().is_some_and(|t| s.options.iter().any(|o| o == t)),
            };
            if !ok {
                return Err(field(
                    format!("settings.{}", s.name),
                    format!("must be a valid {:?}", s.kind).to_lowercase(),
                ));
            }
            out.insert(s.name.clone(), v);
        }
        Ok(serde_json::Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "dice"
version = "1.0.0"
wit = "0.1.0"
capabilities = ["messages", "storage"]
events = ["message.created"]
[name]
en = "Dice"
zh-CN = "掷骰子"
[[commands]]
name = "roll"
usage = "[sides]"
description = { en = "Roll a die", zh-CN = "掷一次骰子" }
[hooks.before_message]
deadline_ms = 20
[[settings]]
name = "max_sides"
type = "number"
default = 100
label = { en = "Largest die", zh-CN = "最大面数" }
"#;

    #[test]
    fn a_good_manifest_parses() {
        let m = Manifest::parse(GOOD).unwrap();
        assert_eq!(m.id, "dice");
        assert!(m.has_capability("storage"));
        assert_eq!(m.hooks.before_message.as_ref().unwrap().deadline_ms, 20);
    }

    fn with(replace: &str, by: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(&GOOD.replace(replace, by))
    }

    #[test]
    fn bad_manifests_are_refused_with_the_field() {
        assert!(
            matches!(with("id = \"dice\"", "id = \"Dice!\""), Err(ManifestError::Field { field, .. }) if field == "id")
        );
        assert!(
            matches!(with("\"storage\"]", "\"files\"]"), Err(ManifestError::Field { field, .. }) if field == "capabilities")
        );
        assert!(matches!(
            with("wit = \"0.1.0\"", "wit = \"9.0.0\""),
            Err(ManifestError::UnsupportedWit { .. })
        ));
        assert!(matches!(
            with("deadline_ms = 20", "deadline_ms = 5000"),
            Err(ManifestError::Field { .. })
        ));
        assert!(
            matches!(with("version = \"1.0.0\"", "version = \"one\""), Err(ManifestError::Field { field, .. }) if field == "version")
        );
        assert!(matches!(
            with("[name]", "surprise = 1\n[name]"),
            Err(ManifestError::Syntax(_))
        ));
        assert!(matches!(
            with("zh-CN = \"掷骰子\"", "zh-CN = \"\""),
            Err(ManifestError::Field { .. })
        ));
    }

    #[test]
    fn settings_are_validated_and_defaulted() {
        let m = Manifest::parse(GOOD).unwrap();
        assert_eq!(
            m.validate_settings(&serde_json::Value::Null).unwrap()["max_sides"],
            100
        );
        assert!(
            m.validate_settings(&serde_json::json!({"max_sides": "many"}))
                .is_err()
        );
        assert!(
            m.validate_settings(&serde_json::json!({"other": 1}))
                .is_err()
        );
    }

    #[test]
    fn versions_compare_numerically() {
        assert_eq!(
            version_cmp("1.10.0", "1.9.0"),
            Some(std::cmp::Ordering::Greater)
        );
        assert_eq!(version_cmp("x", "1.0.0"), None);
    }

    const V2: &str = r#"
id = "probe"
version = "1.0.0"
wit = "0.2.0"
capabilities = ["records", "timers", "http", "interop"]
http_hosts = ["api.example.com", "127.0.0.1:8080"]
calls = ["approvals"]
operations = ["start"]
[name]
en = "Probe"
zh-CN = "探针"
[[pages]]
name = "mine"
title = { en = "Mine", zh-CN = "我的" }
[[routes]]
path = "hooks/*"
methods = ["POST"]
auth = "public"
[[routes]]
path = "hello"
[[schedules]]
name = "daily"
cron = "0 9 * * 1-5"
"#;

    #[test]
    fn contract_0_2_fields_parse_and_are_checked() {
        let m = Manifest::parse(V2).unwrap();
        assert_eq!(
            m.route("hooks/partner/1", "POST").unwrap().auth,
            RouteAuth::Public
        );
        assert!(m.route("hooks", "POST").is_some());
        assert!(m.route("hooksx", "POST").is_none());
        assert!(m.route("hooks/x", "GET").is_none());
        assert_eq!(m.route("hello", "GET").unwrap().auth, RouteAuth::Session);
        let bad = |from: &str, to: &str| Manifest::parse(&V2.replace(from, to)).is_err();
        assert!(bad(
            "http_hosts = [\"api.example.com\", \"127.0.0.1:8080\"]",
            ""
        ));
        assert!(bad("\"127.0.0.1:8080\"", "\"http://x\""));
        assert!(bad("\"http\", \"interop\"]", "\"http\"]"));
        // `interop` without `calls`: a plugin that only calls back those that call it.
        assert!(!bad("calls = [\"approvals\"]", ""));
        assert!(bad("path = \"hello\"", "path = \"../etc\""));
        assert!(bad("cron = \"0 9 * * 1-5\"", "cron = \"whenever\""));
        assert!(bad("cron = \"0 9 * * 1-5\"", "every = \"5s\""));
        // A 0.1.0 manifest cannot ask for what 0.1.0 components cannot use.
        assert!(bad("wit = \"0.2.0\"", "wit = \"0.1.0\""));
    }

    #[test]
    fn files_needs_contract_0_3() {
        let files = |wit: &str| {
            Manifest::parse(
                &V2.replace("wit = \"0.2.0\"", &format!("wit = \"{wit}\""))
                    .replace("\"interop\"]", "\"interop\", \"files\"]"),
            )
        };
        assert!(files("0.3.0").unwrap().has_capability("files"));
        let err = files("0.2.0").unwrap_err();
        assert!(err.to_string().contains("needs contract 0.3.0"), "{err}");
        assert!(Manifest::parse(&V2.replace("wit = \"0.2.0\"", "wit = \"0.3.0\"")).is_ok());
    }
}
