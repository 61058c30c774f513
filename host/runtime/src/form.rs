//! Declarative forms. A plugin describes a form as data; the host checks the description when
//! the plugin sends it ([`Form::check`]) and checks every submission against it
//! ([`validate_submission`]) before the plugin sees one. A plugin therefore only ever receives
//! values of the kinds it declared, trimmed and normalised, and never a value for a field the
//! person could not see or change.
//!
//! [`Form`] serialises to the JSON the host stores and clients render (snake_case keys, every
//! key present); [`checked`] turns a form built by a contract adapter into that JSON.

mod messages;
mod submit;
#[cfg(test)]
mod tests;
mod values;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use submit::{FieldError, Submission, validate_submission};

pub const MAX_ID: usize = 64;
pub const MAX_TITLE: usize = 200;
pub const MAX_LABEL: usize = 200;
pub const MAX_NAME: usize = 64;
pub const MAX_FIELDS: usize = 60;
pub const MAX_COLUMNS: usize = 20;
pub const MAX_OPTIONS: usize = 200;
/// Bytes of the opaque `value` passed back on submit.
pub const MAX_VALUE_BYTES: usize = 4096;
pub const MAX_PLACEHOLDER: usize = 200;
pub const MAX_HELP: usize = 1000;
pub const MAX_PATTERN: usize = 500;
/// Values a `visible_when` condition may list.
pub const MAX_CONDITION_VALUES: usize = 200;
/// Characters of a `text` field unless its `max` is lower.
pub const MAX_TEXT: usize = 1000;
/// Characters of a `textarea` field unless its `max` is lower.
pub const MAX_TEXTAREA: usize = 10_000;
pub const MAX_PEOPLE: usize = 100;
pub const MAX_ROWS: usize = 200;
/// Integer digits of a money amount: cents then fit any integer type we compute in, and the
/// amount survives a round trip through an `f64` in clients.
pub const MAX_MONEY_DIGITS: usize = 15;
/// The whole form as JSON; defaults are the only part not bounded by the other limits.
pub const MAX_FORM_BYTES: usize = 256 * 1024;
/// Errors reported for one submission; beyond this the person has enough to fix.
pub const MAX_ERRORS: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Textarea,
    Number,
    /// A decimal amount with at most two fraction digits, normalised to a string like `12.50`.
    Money,
    /// `YYYY-MM-DD`.
    Date,
    /// `{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}`, start not after end.
    DateRange,
    /// `YYYY-MM-DDTHH:MM` in the organization's time zone.
    Datetime,
    Select,
    MultiSelect,
    Person,
    People,
    Group,
    File,
    Checkbox,
    /// Rows of sub-fields (`columns`); tables do not nest.
    Table,
}

impl FieldKind {
    /// The name used in JSON and in schema error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Textarea => "textarea",
            FieldKind::Number => "number",
            FieldKind::Money => "money",
            FieldKind::Date => "date",
            FieldKind::DateRange => "date_range",
            FieldKind::Datetime => "datetime",
            FieldKind::Select => "select",
            FieldKind::MultiSelect => "multi_select",
            FieldKind::Person => "person",
            FieldKind::People => "people",
            FieldKind::Group => "group",
            FieldKind::File => "file",
            FieldKind::Checkbox => "checkbox",
            FieldKind::Table => "table",
        }
    }

    /// What `min`/`max` bound for this kind, if anything.
    fn bounds(self) -> Option<Bounds> {
        match self {
            FieldKind::Text | FieldKind::Textarea => Some(Bounds::Length),
            FieldKind::Number => Some(Bounds::Number),
            FieldKind::Money => Some(Bounds::Money),
            FieldKind::DateRange => Some(Bounds::Days),
            FieldKind::MultiSelect | FieldKind::People | FieldKind::Table => Some(Bounds::Count),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Bounds {
    Length,
    Number,
    Money,
    Days,
    Count,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SelectOption {
    pub value: String,
    pub label: String,
}

/// Show a field only while an earlier field's value is one of `values`. A checkbox compares
/// as `true`/`false`, a number by its shortest text, a multi-select if any choice is listed,
/// and a field with no value (or a hidden one) as the empty string.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub field: String,
    pub values: Vec<String>,
}

/// A column of a `table` field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub label: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub pattern_message: Option<String>,
    #[serde(default)]
    pub options: Vec<SelectOption>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FormField {
    /// The key of this field's value in the submission.
    pub name: String,
    pub label: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    /// Bound numbers and money, the length of text, the days of a date range, and the count
    /// of choices, people and table rows.
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// A regular expression the whole (trimmed) text must match.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Shown instead of the generic message when `pattern` does not match.
    #[serde(default)]
    pub pattern_message: Option<String>,
    #[serde(default)]
    pub options: Vec<SelectOption>,
    #[serde(default)]
    pub placeholder: Option<String>,
    #[serde(default)]
    pub help: Option<String>,
    #[serde(default)]
    pub default: Option<Value>,
    #[serde(default)]
    pub visible_when: Option<Condition>,
    #[serde(default)]
    pub columns: Vec<Column>,
    /// Shown with its default but never taken from a submission.
    #[serde(default)]
    pub read_only: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Form {
    /// Passed back as the action id on submit.
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub submit_label: String,
    /// Passed back as the action value on submit.
    #[serde(default)]
    pub value: String,
    pub fields: Vec<FormField>,
}

/// Parses and checks a form in its JSON form, returning the JSON to store (every key present).
pub fn checked(value: Value) -> Result<Value, String> {
    let form: Form =
        serde_json::from_value(value).map_err(|e| format!("the form is malformed: {e}"))?;
    form.check()?;
    serde_json::to_value(&form).map_err(|e| format!("the form is malformed: {e}"))
}

impl Form {
    /// Checks the form against the limits and for consistency, so that every problem a
    /// plugin author can make is reported when the form is sent, not when someone submits it.
    pub fn check(&self) -> Result<(), String> {
        let size = serde_json::to_vec(self).map_or(usize::MAX, |v| v.len());
        if size > MAX_FORM_BYTES {
            return Err(format!(
                "a form is at most {} KiB as JSON",
                MAX_FORM_BYTES / 1024
            ));
        }
        let id_ok = (1..=MAX_ID).contains(&self.id.len())
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b));
        if !id_ok {
            return Err(format!(
                "a form id needs 1 to {MAX_ID} letters, digits or `_.:-`"
            ));
        }
        text("the form title", &self.title, MAX_TITLE)?;
        text("the submit label", &self.submit_label, MAX_LABEL)?;
        if self.value.len() > MAX_VALUE_BYTES {
            return Err(format!(
                "the form value is longer than {MAX_VALUE_BYTES} bytes"
            ));
        }
        if self.fields.len() > MAX_FIELDS {
            return Err(format!("a form holds at most {MAX_FIELDS} fields"));
        }
        let mut names = HashSet::new();
        for (i, field) in self.fields.iter().enumerate() {
            let at = format!("field `{}`", shorten(&field.name));
            name(&at, &field.name)?;
            if !names.insert(field.name.as_str()) {
                return Err(format!("{at} appears twice"));
            }
            rules(&at, &values::Spec::field(field))?;
            if let Some(p) = &field.placeholder {
                text(&format!("{at}: the placeholder"), p, MAX_PLACEHOLDER)?;
            }
            if let Some(h) = &field.help {
                text(&format!("{at}: the help text"), h, MAX_HELP)?;
            }
            if field.kind == FieldKind::Table {
                columns(&at, &field.columns)?;
            } else if !field.columns.is_empty() {
                return Err(format!("{at}: only table fields have columns"));
            }
            if let Some(cond) = &field.visible_when {
                let earlier = self.fields[..i].iter().find(|f| f.name == cond.field);
                match earlier {
                    None => {
                        return Err(format!(
                            "{at}: visible_when must refer to a field before it, not `{}`",
                            cond.field
                        ));
                    }
                    Some(f) if f.kind == FieldKind::Table => {
                        return Err(format!("{at}: visible_when cannot depend on a table"));
                    }
                    Some(_) => {}
                }
                if cond.values.is_empty() || cond.values.len() > MAX_CONDITION_VALUES {
                    return Err(format!(
                        "{at}: visible_when needs 1 to {MAX_CONDITION_VALUES} values"
                    ));
                }
                for v in &cond.values {
                    text(&format!("{at}: a visible_when value"), v, MAX_LABEL)?;
                }
            }
            if let Some(default) = field.default.as_ref().filter(|d| !d.is_null()) {
                // Whether a default is *required* is the person's business, its type is not.
                if let Some(e) = submit::check_value(field, default)
                    .into_iter()
                    .find(|e| e.code != "required")
                {
                    return Err(format!("{at}: the default is not valid: {}", e.message_en));
                }
            }
        }
        Ok(())
    }
}

/// A name as quoted in an error: an invalid one may be of any length.
fn shorten(name: &str) -> String {
    name.chars().take(MAX_NAME + 1).collect()
}

fn text(what: &str, s: &str, max: usize) -> Result<(), String> {
    if s.chars().count() > max {
        Err(format!("{what} is longer than {max} characters"))
    } else {
        Ok(())
    }
}

fn name(at: &str, name: &str) -> Result<(), String> {
    let ok = (1..=MAX_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{at}: a name needs 1 to {MAX_NAME} lowercase letters, digits or underscores"
        ))
    }
}

fn rules(at: &str, r: &values::Spec) -> Result<(), String> {
    if r.label.trim().is_empty() {
        return Err(format!("{at} needs a label"));
    }
    text(&format!("{at}: the label"), r.label, MAX_LABEL)?;
    let kind = r.kind.as_str();
    match r.kind.bounds() {
        None if r.min.is_some() || r.max.is_some() => {
            return Err(format!("{at}: min and max mean nothing for a {kind} field"));
        }
        None => {}
        Some(bounds) => {
            for (which, bound) in [("min", r.min), ("max", r.max)] {
                let Some(b) = bound else { continue };
                if !b.is_finite() {
                    return Err(format!("{at}: {which} must be a finite number"));
                }
                if bounds != Bounds::Number && bounds != Bounds::Money && b < 0.0 {
                    return Err(format!(
                        "{at}: {which} cannot be negative for a {kind} field"
                    ));
                }
                if bounds == Bounds::Money && values::money_bound(b).is_none() {
                    return Err(format!(
                        "{at}: {which} must be an amount with at most {MAX_MONEY_DIGITS} integer digits and two decimals"
                    ));
                }
            }
            if let (Some(min), Some(max)) = (r.min, r.max)
                && min > max
            {
                return Err(format!("{at}: min is greater than max"));
            }
            let cap = match r.kind {
                FieldKind::Text => Some(MAX_TEXT),
                FieldKind::Textarea => Some(MAX_TEXTAREA),
                FieldKind::People => Some(MAX_PEOPLE),
                FieldKind::Table => Some(MAX_ROWS),
                _ => None,
            };
            if let (Some(cap), Some(max)) = (cap, r.max)
                && max > cap as f64
            {
                return Err(format!("{at}: max cannot exceed {cap} for a {kind} field"));
            }
        }
    }
    if let Some(compiled) = &r.pattern {
        if !matches!(r.kind, FieldKind::Text | FieldKind::Textarea) {
            return Err(format!(
                "{at}: only text and textarea fields take a pattern"
            ));
        }
        compiled.as_ref().map_err(|e| format!("{at}: {e}"))?;
    }
    if let Some(m) = r.pattern_message {
        text(&format!("{at}: the pattern message"), m, MAX_LABEL)?;
    }
    if matches!(r.kind, FieldKind::Select | FieldKind::MultiSelect) {
        if r.options.is_empty() || r.options.len() > MAX_OPTIONS {
            return Err(format!(
                "{at}: a {kind} field needs 1 to {MAX_OPTIONS} options"
            ));
        }
        let mut seen = HashSet::new();
        for o in r.options {
            if o.value.is_empty() || o.label.trim().is_empty() {
                return Err(format!("{at}: every option needs a value and a label"));
            }
            text(&format!("{at}: an option value"), &o.value, MAX_LABEL)?;
            text(&format!("{at}: an option label"), &o.label, MAX_LABEL)?;
            if !seen.insert(o.value.as_str()) {
                return Err(format!(
                    "{at}: the option value `{}` appears twice",
                    o.value
                ));
            }
        }
    } else if !r.options.is_empty() {
        return Err(format!(
            "{at}: only select and multi_select fields have options"
        ));
    }
    Ok(())
}

fn columns(at: &str, columns: &[Column]) -> Result<(), String> {
    if columns.is_empty() || columns.len() > MAX_COLUMNS {
        return Err(format!("{at}: a table needs 1 to {MAX_COLUMNS} columns"));
    }
    let mut names = HashSet::new();
    for c in columns {
        let at = format!("{at}, column `{}`", shorten(&c.name));
        name(&at, &c.name)?;
        if !names.insert(c.name.as_str()) {
            return Err(format!("{at} appears twice"));
        }
        if c.kind == FieldKind::Table {
            return Err(format!("{at}: tables do not nest"));
        }
        rules(&at, &values::Spec::column(c))?;
    }
    Ok(())
}
