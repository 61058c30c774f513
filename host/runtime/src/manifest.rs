//! The plugin manifest (`courtyard.toml` in a plugin package): what the plugin is, what it
//! needs and what it offers. Validated before anything is installed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// WIT contract versions this host can run, newest first.
pub const SUPPORTED_WIT: &[&str] = &["0.1.0"];

/// Capabilities a manifest may ask for; each maps to one imported interface.
pub const CAPABILITIES: &[&str] = &["people", "groups", "messages", "storage"];

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
}
