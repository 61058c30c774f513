//! A version of a form as the contract form the host renders and validates: JSON with the
//! host's keys (`snake_case`, rules flattened into each field), texts picked for the reader's
//! language.
//!
//! The plugin's own additions become things the host knows:
//!
//! - a `serial` field is a read-only text field showing "Assigned on submit" (or, when an
//!   answer is edited, its number). Read-only fields are never submitted back, so the
//!   number always comes from [`super::submission::assign_serial`];
//! - `show_capitals` on an amount adds a line to the field's help. The contract has no way
//!   to compute text while the form is filled in (formulas compute numbers), so the
//!   capitals cannot follow the typing: the help says they come with the answer, and when an
//!   answer is edited it shows the capitals of the amount given. The answer's detail view
//!   and the CSV export carry the capitals beside the amount ([`super::display`]);
//! - `formula` fields and columns pass through as they are: the host computes them.

use serde_json::{Map, Value, json};

use super::cents;
use super::definition::{Choice, Column, Field, Formula, FormulaResult, Kind, Version};
use super::display::{Lookup, capitals};
use super::lang::{Lang, Text};

/// How to render.
pub struct RenderOptions<'a> {
    pub lang: Lang,
    /// The contract form's id, passed back as the action id on submit (1 to 64 of
    /// `[A-Za-z0-9_.:-]`).
    pub action_id: &'a str,
    /// Passed back as the action value (e.g. the form id and version).
    pub value: &'a str,
    /// Values to show filled in (an answer being changed, a draft being resumed).
    pub prefill: Option<&'a Map<String, Value>>,
    /// The serial number of the answer being changed.
    pub serial: Option<&'a str>,
    /// A form to save a draft with: nothing is required, and no minimum length or count
    /// applies (a half-filled form must go through). Other rules still hold.
    pub draft: bool,
    pub lookup: &'a dyn Lookup,
}

fn texts(t: Option<&Text>, lang: Lang) -> Value {
    t.map_or(Value::Null, |t| Value::String(t.get(lang).to_string()))
}

fn options(options: &[Choice], lang: Lang) -> Value {
    Value::Array(
        options
            .iter()
            .map(|o| json!({"value": o.value, "label": o.label.get(lang)}))
            .collect(),
    )
}

fn formula(f: Option<&Formula>) -> Value {
    f.map_or(Value::Null, |f| {
        json!({
            "expression": f.expression,
            "result": match f.result {
                FormulaResult::Number => "number",
                FormulaResult::Money => "money",
            },
        })
    })
}

/// `min` as rendered: dropped for drafts where it bounds a length or a count.
fn min_for(kind: Kind, min: Option<f64>, draft: bool) -> Option<f64> {
    let counts = matches!(
        kind,
        Kind::Text | Kind::Textarea | Kind::MultiSelect | Kind::People | Kind::Table
    );
    if draft && counts { None } else { min }
}

fn column(c: &Column, lang: Lang, draft: bool) -> Value {
    json!({
        "name": c.name,
        "label": c.label.get(lang),
        "kind": c.kind.as_str(),
        "required": c.required && !draft,
        "min": min_for(c.kind, c.min, draft),
        "max": c.max,
        "pattern": c.pattern,
        "pattern_message": texts(c.pattern_message.as_ref(), lang),
        "options": options(&c.options, lang),
        "formula": formula(c.formula.as_ref()),
    })
}

fn help(field: &Field, opts: &RenderOptions) -> Value {
    let lang = opts.lang;
    let mut lines: Vec<String> = field
        .help
        .iter()
        .map(|h| h.get(lang).to_string())
        .filter(|h| !h.is_empty())
        .collect();
    if field.show_capitals && field.is_money() {
        let given = opts
            .prefill
            .and_then(|p| p.get(&field.name))
            .and_then(|v| capitals(v, opts.lookup));
        lines.push(match given {
            Some(caps) => format!("{}{caps}", lang.pick("In capitals: ", "大写：")),
            None => lang
                .pick(
                    "The amount in Chinese capitals (大写) is shown with the answer.",
                    "提交后显示大写金额。",
                )
                .to_string(),
        });
    }
    if lines.is_empty() {
        Value::Null
    } else {
        Value::String(lines.join("\n"))
    }
}

fn field(f: &Field, opts: &RenderOptions) -> Value {
    let lang = opts.lang;
    if f.kind == Kind::Serial {
        let shown = opts.serial.map_or_else(
            || {
                lang.pick("Assigned on submit", "提交后自动生成")
                    .to_string()
            },
            str::to_string,
        );
        return json!({
            "name": f.name,
            "label": f.label.get(lang),
            "kind": "text",
            "required": false,
            "min": null,
            "max": null,
            "pattern": null,
            "pattern_message": null,
            "options": [],
            "placeholder": null,
            "help": texts(f.help.as_ref(), lang),
            "default": shown,
            "visible_when": null,
            "columns": [],
            "read_only": true,
            "formula": null,
        });
    }
    let prefilled = opts
        .prefill
        .and_then(|p| p.get(&f.name))
        .filter(|v| !v.is_null() && f.kind != Kind::Formula && !f.read_only)
        .and_then(|v| fitted(f.kind, f.min, f.max, &f.options, &f.columns, v));
    let default = prefilled.or_else(|| f.default.clone().filter(|_| f.kind != Kind::Formula));
    json!({
        "name": f.name,
        "label": f.label.get(lang),
        "kind": f.kind.as_str(),
        "required": f.required && !opts.draft,
        "min": min_for(f.kind, f.min, opts.draft),
        "max": f.max,
        "pattern": f.pattern,
        "pattern_message": texts(f.pattern_message.as_ref(), lang),
        "options": options(&f.options, lang),
        "placeholder": texts(f.placeholder.as_ref(), lang),
        "help": help(f, opts),
        "default": default,
        "visible_when": f.visible_when.as_ref().map(|c| json!({"field": c.field, "values": c.values})),
        "columns": f.columns.iter().map(|c| column(c, lang, opts.draft)).collect::<Vec<_>>(),
        "read_only": f.read_only,
        "formula": formula(f.formula.as_ref()),
    })
}

/// A value to show filled in, as far as it still fits the field: the host refuses a whole
/// form whose default breaks a rule, and a value given to another version (an answer being
/// changed under a newer version, a draft resumed after one was published) may no longer
/// fit. Choices that are no longer options, numbers, amounts, lengths and counts outside
/// the bounds, and cells of columns that are gone are dropped (patterns are the host's to
/// check). Render an answer's own version to change it,
/// and this never drops anything.
fn fitted(
    kind: Kind,
    min: Option<f64>,
    max: Option<f64>,
    options: &[Choice],
    columns: &[Column],
    v: &Value,
) -> Option<Value> {
    let is_option = |s: &str| options.iter().any(|o| o.value == s);
    let within = |x: f64| min.is_none_or(|m| x >= m) && max.is_none_or(|m| x <= m);
    match (kind, v) {
        (Kind::Select, Value::String(s)) => is_option(s).then(|| v.clone()),
        (Kind::MultiSelect, Value::Array(items)) => {
            let kept: Vec<Value> = items
                .iter()
                .filter(|i| i.as_str().is_some_and(is_option))
                .cloned()
                .collect();
            (!kept.is_empty() && within(kept.len() as f64)).then_some(Value::Array(kept))
        }
        (Kind::People, Value::Array(items)) => within(items.len() as f64).then(|| v.clone()),
        (Kind::Text | Kind::Textarea, Value::String(s)) => {
            within(s.trim().chars().count() as f64).then(|| v.clone())
        }
        (Kind::Number, Value::Number(n)) => n.as_f64().filter(|&x| within(x)).map(|_| v.clone()),
        (Kind::Money, Value::String(s)) => {
            let c = cents::parse(s)?;
            let bound = |b: Option<f64>| b.and_then(|b| cents::parse(&b.to_string()));
            let ok = bound(min).is_none_or(|m| c >= m) && bound(max).is_none_or(|m| c <= m);
            ok.then(|| v.clone())
        }
        (Kind::Table, Value::Array(rows)) => {
            let rows: Vec<Value> = rows
                .iter()
                .filter_map(Value::as_object)
                .map(|cells| {
                    let kept: Map<String, Value> = columns
                        .iter()
                        .filter(|c| c.kind != Kind::Formula)
                        .filter_map(|c| {
                            let cell = cells.get(&c.name).filter(|x| !x.is_null())?;
                            let fit = fitted(c.kind, c.min, c.max, &c.options, &[], cell)?;
                            Some((c.name.clone(), fit))
                        })
                        .collect();
                    Value::Object(kept)
                })
                .collect();
            let fits = !rows.is_empty() && within(rows.len() as f64);
            fits.then_some(Value::Array(rows))
        }
        _ => Some(v.clone()),
    }
}

/// The contract form for a version.
pub fn render(version: &Version, opts: &RenderOptions) -> Value {
    let lang = opts.lang;
    let d = &version.definition;
    json!({
        "id": opts.action_id,
        "title": d.title.get(lang),
        "submit_label": if opts.draft {
            lang.pick("Save draft", "保存草稿")
        } else {
            lang.pick("Submit", "提交")
        },
        "value": opts.value,
        "fields": d.fields.iter().map(|f| field(f, opts)).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests;
