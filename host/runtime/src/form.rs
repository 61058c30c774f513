//! Declarative forms. A plugin describes a form as data; the host checks the description when
//! the plugin sends it ([`Form::check`]) and checks every submission against it
//! ([`validate_submission`]) before the plugin sees one. A plugin therefore only ever receives
//! values of the kinds it declared, trimmed and normalised, and never a value for a field the
//! person could not see or change.
//!
//! [`Form`] serialises to the JSON the host stores and clients render (snake_case keys, every
//! key present); [`checked`] turns a form built by a contract adapter into that JSON.

pub mod formula;
mod messages;
mod submit;
#[cfg(test)]
mod tests;
mod values;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use formula::{Expr, Reference};

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
    /// A department id of the submitter's organization (contract 0.3.0).
    Department,
    /// Computed by the host from other fields (`formula`); never taken from a submission.
    Formula,
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
            FieldKind::Department => "department",
            FieldKind::Formula => "formula",
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
/// a formula by its result (a number, or money text such as `12.50`), and a field with no
/// value (or a hidden one) as the empty string.
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
    /// For `formula` columns: computed from the same row.
    #[serde(default)]
    pub formula: Option<Formula>,
}

/// What a `formula` field computes (see the contract's `formula` record for the language).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Formula {
    pub expression: String,
    pub result: FormulaResult,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormulaResult {
    Number,
    /// Two decimals, rounded half away from zero, as a string like `12.50`.
    Money,
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
    /// For `formula` fields.
    #[serde(default)]
    pub formula: Option<Formula>,
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
            field_formula(&at, i, &self.fields)?;
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
        // A formula may use a later field, whose condition may use the formula.
        let exprs: Vec<Option<Expr>> = self
            .fields
            .iter()
            .map(|f| parsed(f.kind, f.formula.as_ref()))
            .collect();
        if let (_, Some(i)) = evaluation_order(&self.fields, &exprs) {
            return Err(format!(
                "field `{}`: formulas and visible_when conditions depend on each other in a loop",
                self.fields[i].name
            ));
        }
        Ok(())
    }
}

/// Kinds whose value a formula can calculate with.
fn numeric(kind: FieldKind) -> bool {
    matches!(
        kind,
        FieldKind::Number
            | FieldKind::Money
            | FieldKind::Checkbox
            | FieldKind::DateRange
            | FieldKind::Formula
    )
}

/// The parsed formula of a `formula` field or column; `None` for other kinds and for a
/// formula that is missing or does not parse (which [`Form::check`] refuses).
fn parsed(kind: FieldKind, formula: Option<&Formula>) -> Option<Expr> {
    match (kind, formula) {
        (FieldKind::Formula, Some(f)) => formula::parse(&f.expression).ok(),
        _ => None,
    }
}

/// Checks that a field or column has a formula exactly when it is a `formula`, and that the
/// formula parses.
fn checked_formula(
    at: &str,
    kind: FieldKind,
    formula: Option<&Formula>,
) -> Result<Option<Expr>, String> {
    match (kind == FieldKind::Formula, formula) {
        (true, None) => Err(format!("{at}: a formula field needs a formula")),
        (false, Some(_)) => Err(format!("{at}: only formula fields have a formula")),
        (false, None) => Ok(None),
        (true, Some(f)) => formula::parse(&f.expression)
            .map(Some)
            .map_err(|e| format!("{at}: the formula is invalid: {}", e.message_en())),
    }
}

/// Checks what a formula at position `i` (of a field or a column) may use of another at
/// position `j`, named `name`, of `kind`: not itself, not a later formula (so formulas form
/// no loop), and only numeric values.
fn operand(at: &str, i: usize, j: usize, name: &str, kind: FieldKind) -> Result<(), String> {
    if i == j {
        return Err(format!("{at}: the formula uses itself"));
    }
    if kind == FieldKind::Formula && j > i {
        return Err(format!(
            "{at}: the formula uses `{name}`, a formula after it (a formula may only use the formulas before it)"
        ));
    }
    if !numeric(kind) {
        return Err(format!(
            "{at}: the formula uses `{name}`, a {} field; only number, money, checkbox, date_range and formula values can be calculated with",
            kind.as_str()
        ));
    }
    Ok(())
}

/// The formula of field `i`: what it refers to must exist, be numeric and come before it if
/// it is a formula; tables only through `sum(table.column)` and `count(table)`.
fn field_formula(at: &str, i: usize, fields: &[FormField]) -> Result<(), String> {
    let field = &fields[i];
    let Some(expr) = checked_formula(at, field.kind, field.formula.as_ref())? else {
        return Ok(());
    };
    let find = |name: &str| {
        fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.name == name)
            .ok_or_else(|| {
                let name = shorten(name);
                format!("{at}: the formula uses `{name}`, which is not a field of this form")
            })
    };
    let table = |name: &str, what: &str| -> Result<&FormField, String> {
        let (_, t) = find(name)?;
        if t.kind == FieldKind::Table {
            Ok(t)
        } else {
            Err(format!(
                "{at}: {what} needs a table field, and `{name}` is a {} field",
                t.kind.as_str()
            ))
        }
    };
    for r in expr.references() {
        match r {
            Reference::Field(name) => {
                let (j, other) = find(name)?;
                if other.kind == FieldKind::Table {
                    return Err(format!(
                        "{at}: `{name}` is a table: use sum({name}.column) or count({name})"
                    ));
                }
                operand(at, i, j, name, other.kind)?;
            }
            Reference::Table(name) => {
                table(name, &format!("count({name})"))?;
            }
            Reference::Column(name, column) => {
                let t = table(name, &format!("sum({name}.{})", shorten(column)))?;
                let Some(c) = t.columns.iter().find(|c| c.name == column) else {
                    let column = shorten(column);
                    return Err(format!("{at}: the table `{name}` has no column `{column}`"));
                };
                if !numeric(c.kind) {
                    return Err(format!(
                        "{at}: sum({name}.{column}) adds a {} column; only number, money, checkbox, date_range and formula values can be calculated with",
                        c.kind.as_str()
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The order in which a submission's fields are validated: each after the field its
/// condition names and the fields its formula uses, otherwise as declared. Also the first
/// field on a dependency loop, if any (such fields come last, in declared order).
fn evaluation_order(fields: &[FormField], exprs: &[Option<Expr>]) -> (Vec<usize>, Option<usize>) {
    let index = |name: &str| fields.iter().position(|f| f.name == name);
    let needs: Vec<Vec<usize>> = fields
        .iter()
        .zip(exprs)
        .map(|(f, expr)| {
            let mut needs: Vec<usize> = f
                .visible_when
                .iter()
                .filter_map(|c| index(&c.field))
                .collect();
            for r in expr.iter().flat_map(Expr::references) {
                let (Reference::Field(name) | Reference::Table(name) | Reference::Column(name, _)) =
                    r;
                needs.extend(index(name));
            }
            needs
        })
        .collect();
    let mut done = vec![false; fields.len()];
    let mut order = Vec::with_capacity(fields.len());
    while let Some(i) = (0..fields.len()).find(|&i| !done[i] && needs[i].iter().all(|&j| done[j])) {
        done[i] = true;
        order.push(i);
    }
    let stuck = (0..fields.len()).find(|&i| !done[i]);
    order.extend((0..fields.len()).filter(|&i| !done[i]));
    (order, stuck)
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
    for (i, c) in columns.iter().enumerate() {
        let at = format!("{at}, column `{}`", shorten(&c.name));
        name(&at, &c.name)?;
        if !names.insert(c.name.as_str()) {
            return Err(format!("{at} appears twice"));
        }
        if c.kind == FieldKind::Table {
            return Err(format!("{at}: tables do not nest"));
        }
        rules(&at, &values::Spec::column(c))?;
        let Some(expr) = checked_formula(&at, c.kind, c.formula.as_ref())? else {
            continue;
        };
        for r in expr.references() {
            let Reference::Field(name) = r else {
                return Err(format!(
                    "{at}: a column formula can only use its own row's columns, not sum or count"
                ));
            };
            let Some(j) = columns.iter().position(|o| o.name == name) else {
                let name = shorten(name);
                return Err(format!(
                    "{at}: the formula uses `{name}`, which is not a column of this table (a column formula can only use its own row's columns)"
                ));
            };
            operand(&at, i, j, name, columns[j].kind)?;
        }
    }
    Ok(())
}
