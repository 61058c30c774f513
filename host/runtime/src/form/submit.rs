//! A person's submission against a form: what the plugin receives, or what to fix.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::formula::{self, Expr};
use super::messages::describe;
use super::values::{self, Problem, Refs, Spec};
use super::{
    Condition, FieldKind, Form, FormField, MAX_ERRORS, MAX_ROWS, evaluation_order, parsed,
};

/// A submission that met the form, normalised.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Submission {
    /// One key per visible, editable field: its normalised value, or `null` when left empty
    /// (an unchecked checkbox is `false`). Visible formula fields (and formula columns, in
    /// each row) hold what the host computed, `null` when the formula has no value. Hidden
    /// and read-only fields are absent.
    pub values: Value,
    /// Every person, group, department and file id anywhere in `values`, each once. The host
    /// must check that they exist and that the submitter may see them before the plugin gets
    /// `values`.
    pub people: Vec<String>,
    pub groups: Vec<String>,
    pub files: Vec<String>,
    pub departments: Vec<String>,
}

/// Why one value was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name, or a path into a table such as `items[2].amount`.
    pub field: String,
    /// required, type, too_small, too_large, too_short, too_long, pattern, option, date,
    /// date_order, unknown_field or too_many.
    pub code: &'static str,
    pub message_en: String,
    pub message_zh: String,
}

/// Collects errors up to [`MAX_ERRORS`], each with the position of its field in the form:
/// fields are not always validated in the order they are shown (a formula waits for the
/// fields it uses), their errors are reported in that order.
#[derive(Default)]
struct Errors {
    list: Vec<(usize, FieldError)>,
    /// The position of the field being validated.
    at: usize,
}

impl Errors {
    fn full(&self) -> bool {
        self.list.len() >= MAX_ERRORS
    }

    fn push(&mut self, e: FieldError) {
        if !self.full() {
            self.list.push((self.at, e));
        }
    }

    /// The errors in the order of the form's fields.
    fn sorted(mut self) -> Vec<FieldError> {
        self.list.sort_by_key(|(at, _)| *at);
        self.list.into_iter().map(|(_, e)| e).collect()
    }

    /// A problem with a field, or with a cell: `(row index, column name, table label)`.
    fn problem(&mut self, field: &str, row: Option<(usize, &str, &str)>, p: &Problem, spec: &Spec) {
        let (code, en, zh) = describe(p, spec);
        let e = match row {
            None => FieldError {
                field: field.to_string(),
                code,
                message_en: en,
                message_zh: zh,
            },
            Some((i, column, table)) => FieldError {
                field: format!("{field}[{i}].{column}"),
                code,
                message_en: format!("{table}, row {}: {en}", i + 1),
                message_zh: format!("{table}第 {} 行：{zh}", i + 1),
            },
        };
        self.push(e);
    }

    fn unknown(&mut self, path: String, key: &str) {
        let shown: String = key.chars().take(64).collect();
        self.push(FieldError {
            field: path,
            code: "unknown_field",
            message_en: format!("“{shown}” is not a field of this form"),
            message_zh: format!("“{shown}”不是此表单的字段"),
        });
    }
}

/// Checks a person's submission against a form and normalises it: text trimmed, money as
/// `"1234.50"`, numeric strings as numbers. Fields hidden by `visible_when` and read-only
/// fields are dropped, whatever was sent for them. Formula fields and columns are computed
/// from the normalised values (see [`super::formula`]), whatever was sent for them. All
/// problems are reported, up to [`MAX_ERRORS`].
///
/// The form should have passed [`Form::check`]; an unchecked form never makes this panic,
/// but a field whose pattern does not compile refuses every value.
pub fn validate_submission(form: &Form, values: &Value) -> Result<Submission, Vec<FieldError>> {
    let Some(submitted) = values.as_object() else {
        return Err(vec![FieldError {
            field: String::new(),
            code: "type",
            message_en: "The form was not submitted correctly".into(),
            message_zh: "表单提交的格式不正确".into(),
        }]);
    };
    let mut errors = Errors::default();
    let mut refs = Refs::default();
    // Each field's value for the plugin, by position: the form's order, not the order of
    // validation.
    let mut out: Vec<Option<Value>> = vec![None; form.fields.len()];
    // What each field's condition sees: the normalised value where there is one.
    let mut seen: HashMap<&str, Value> = HashMap::new();
    // What formulas see: the values of the fields shown, read-only ones included.
    let mut inputs = Map::new();
    let exprs: Vec<Option<Expr>> = form
        .fields
        .iter()
        .map(|f| parsed(f.kind, f.formula.as_ref()))
        .collect();
    let (order, _) = evaluation_order(&form.fields, &exprs);
    for i in order {
        if errors.full() {
            break;
        }
        errors.at = i;
        let field = &form.fields[i];
        let name = field.name.as_str();
        let visible = field
            .visible_when
            .as_ref()
            .is_none_or(|cond| met(cond, seen.get(cond.field.as_str()).unwrap_or(&Value::Null)));
        if field.kind == FieldKind::Formula {
            let v = match (visible, &exprs[i], &field.formula) {
                (true, Some(expr), Some(f)) => formula::compute(expr, f.result, &inputs),
                _ => Value::Null,
            };
            seen.insert(name, v.clone());
            if visible {
                inputs.insert(name.to_string(), v.clone());
                out[i] = Some(v);
            }
            continue;
        }
        if field.read_only {
            // The person could not change it, so conditions see what they were shown.
            let shown = field.default.as_ref().map_or(Value::Null, |d| {
                value(field, d, &mut Refs::default(), &mut Errors::default())
            });
            if visible {
                inputs.insert(name.to_string(), shown.clone());
            }
            seen.insert(name, shown);
            continue;
        }
        if !visible {
            seen.insert(name, Value::Null);
            continue;
        }
        let raw = submitted.get(name).unwrap_or(&Value::Null);
        let v = value(field, raw, &mut refs, &mut errors);
        // Conditions may not refer to tables, so a table's rows need not be kept twice.
        if field.kind != FieldKind::Table {
            seen.insert(name, v.clone());
        }
        inputs.insert(field.name.clone(), v.clone());
        out[i] = Some(v);
    }
    errors.at = usize::MAX;
    for key in submitted.keys() {
        if errors.full() {
            break;
        }
        if !form.fields.iter().any(|f| f.name == *key) {
            errors.unknown(key.chars().take(64).collect(), key);
        }
    }
    if errors.list.is_empty() {
        let values = form
            .fields
            .iter()
            .zip(out)
            .filter_map(|(f, v)| Some((f.name.clone(), v?)))
            .collect();
        Ok(Submission {
            values: Value::Object(values),
            people: refs.people,
            groups: refs.groups,
            files: refs.files,
            departments: refs.departments,
        })
    } else {
        Err(errors.sorted())
    }
}

/// Errors for one value of a field, as a form's default is checked.
pub(super) fn check_value(field: &FormField, raw: &Value) -> Vec<FieldError> {
    let mut errors = Errors::default();
    value(field, raw, &mut Refs::default(), &mut errors);
    errors.sorted()
}

/// One field's normalised value; on error, the raw value (conditions still compare it).
fn value(field: &FormField, raw: &Value, refs: &mut Refs, errors: &mut Errors) -> Value {
    let spec = Spec::field(field);
    if field.kind == FieldKind::Table {
        return table(field, &spec, raw, refs, errors);
    }
    values::cell(&spec, raw, refs).unwrap_or_else(|p| {
        errors.problem(&field.name, None, &p, &spec);
        raw.clone()
    })
}

fn table(
    field: &FormField,
    spec: &Spec,
    raw: &Value,
    refs: &mut Refs,
    errors: &mut Errors,
) -> Value {
    let name = field.name.as_str();
    let rows = match raw {
        Value::Null => &[][..],
        Value::Array(rows) => rows.as_slice(),
        _ => {
            errors.problem(name, None, &Problem::Type, spec);
            return raw.clone();
        }
    };
    if rows.is_empty() {
        if spec.required {
            errors.problem(name, None, &Problem::Required, spec);
        }
        return Value::Null;
    }
    if rows.len() > MAX_ROWS {
        errors.problem(name, None, &Problem::TooMany(MAX_ROWS as f64), spec);
        return raw.clone();
    }
    if let Err(p) = values::count(spec, rows.len()) {
        errors.problem(name, None, &p, spec);
    }
    let columns: Vec<Spec> = field.columns.iter().map(Spec::column).collect();
    let exprs: Vec<Option<Expr>> = field
        .columns
        .iter()
        .map(|c| parsed(c.kind, c.formula.as_ref()))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        if errors.full() {
            break;
        }
        let Value::Object(cells) = row else {
            errors.push(FieldError {
                field: format!("{name}[{i}]"),
                code: "type",
                message_en: format!("{}, row {}, was not submitted correctly", spec.label, i + 1),
                message_zh: format!("{}第 {} 行的格式不正确", spec.label, i + 1),
            });
            continue;
        };
        let mut normal = Map::new();
        for (column, cell_spec) in field.columns.iter().zip(&columns) {
            if column.kind == FieldKind::Formula {
                continue;
            }
            let raw = cells.get(&column.name).unwrap_or(&Value::Null);
            match values::cell(cell_spec, raw, refs) {
                Ok(v) => {
                    normal.insert(column.name.clone(), v);
                }
                Err(p) => errors.problem(name, Some((i, &column.name, spec.label)), &p, cell_spec),
            }
        }
        // Formulas last: one may use any other column and the formula columns before it.
        for (column, expr) in field.columns.iter().zip(&exprs) {
            if column.kind != FieldKind::Formula {
                continue;
            }
            let v = match (expr, &column.formula) {
                (Some(expr), Some(f)) => formula::compute(expr, f.result, &normal),
                _ => Value::Null,
            };
            normal.insert(column.name.clone(), v);
        }
        for key in cells.keys() {
            if !field.columns.iter().any(|c| c.name == *key) {
                let short: String = key.chars().take(64).collect();
                errors.unknown(format!("{name}[{i}].{short}"), key);
            }
        }
        out.push(Value::Object(normal));
    }
    Value::Array(out)
}

/// Whether a field shows, given the value of the field its condition names.
fn met(cond: &Condition, other: &Value) -> bool {
    let listed = |s: &str| cond.values.iter().any(|v| v == s);
    match other {
        Value::Null => listed(""),
        Value::String(s) => listed(s),
        Value::Bool(b) => listed(if *b { "true" } else { "false" }),
        Value::Number(n) => listed(&values::number_text(n)),
        Value::Array(items) => items.iter().any(|v| v.as_str().is_some_and(listed)),
        Value::Object(_) => false,
    }
}
