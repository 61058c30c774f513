//! Conditions over form values and the submitter's department: evaluated for conditional
//! steps, described in people's words for the route preview, and size-limited because admins
//! send them over the API.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{form_field, is_zh, label_text};

/// Conditions nest at most this deep (a single comparison is depth 1).
pub const MAX_DEPTH: usize = 8;
/// A condition has at most this many nodes.
pub const MAX_NODES: usize = 100;

/// A test on a request. A comparison on a missing (absent or null) field is false.
///
/// JSON: `{"kind": "all", "of": [...]}`, `{"kind": "any", "of": [...]}`,
/// `{"kind": "not", "of": {...}}`, `{"kind": "compare", "field": "amount", "op": "gt",
/// "value": "5000"}`, `{"kind": "department_in", "ids": ["d1"]}`. Deserializing enforces
/// [`MAX_DEPTH`] and [`MAX_NODES`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Repr", into = "Repr")]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Compare {
        field: String,
        op: Op,
        value: Value,
    },
    /// The submitter's department (the one chosen for the request) is one of these.
    DepartmentIn {
        ids: Vec<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    #[serde(alias = "==", alias = "=")]
    Eq,
    #[serde(alias = "!=")]
    Ne,
    #[serde(alias = ">")]
    Gt,
    #[serde(alias = ">=")]
    Ge,
    #[serde(alias = "<")]
    Lt,
    #[serde(alias = "<=")]
    Le,
    /// The field's value (or one of a multi-select's values) is in the list `value`.
    In,
    /// A multi-select or people field holds `value` (every item, when `value` is a list);
    /// a text field contains `value` as a substring.
    Contains,
}

/// Why a condition was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConditionError {
    #[error("condition nested too deeply (more than {max} levels) / 条件嵌套过深（超过 {max} 层）")]
    TooDeep { max: usize },
    #[error("condition too large (more than {max} parts) / 条件过于复杂（超过 {max} 项）")]
    TooLarge { max: usize },
    #[error(
        "condition on “{field}”: “in” needs a list of values / 条件“{field}”：“属于”需要一组值"
    )]
    InNeedsList { field: String },
    #[error("a condition names no field / 条件缺少字段")]
    NoField,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Repr {
    All {
        of: Vec<Condition>,
    },
    Any {
        of: Vec<Condition>,
    },
    Not {
        of: Box<Condition>,
    },
    Compare {
        field: String,
        op: Op,
        #[serde(default)]
        value: Value,
    },
    DepartmentIn {
        ids: Vec<String>,
    },
}

impl TryFrom<Repr> for Condition {
    type Error = ConditionError;

    fn try_from(r: Repr) -> Result<Self, ConditionError> {
        let c = match r {
            Repr::All { of } => Condition::All(of),
            Repr::Any { of } => Condition::Any(of),
            Repr::Not { of } => Condition::Not(of),
            Repr::Compare { field, op, value } => Condition::Compare { field, op, value },
            Repr::DepartmentIn { ids } => Condition::DepartmentIn { ids },
        };
        // Nested conditions were checked as they were read, so this only re-measures.
        c.check()?;
        Ok(c)
    }
}

impl From<Condition> for Repr {
    fn from(c: Condition) -> Self {
        match c {
            Condition::All(of) => Repr::All { of },
            Condition::Any(of) => Repr::Any { of },
            Condition::Not(of) => Repr::Not { of },
            Condition::Compare { field, op, value } => Repr::Compare { field, op, value },
            Condition::DepartmentIn { ids } => Repr::DepartmentIn { ids },
        }
    }
}

impl Condition {
    /// `field op value`, e.g. `Condition::compare("amount", Op::Gt, json!("5000"))`.
    pub fn compare(field: impl Into<String>, op: Op, value: Value) -> Self {
        Condition::Compare {
            field: field.into(),
            op,
            value,
        }
    }

    /// Reads a condition from an admin's JSON, with the size limits.
    pub fn parse(json: &Value) -> Result<Condition, serde_json::Error> {
        Condition::deserialize(json)
    }

    /// Checks the size limits and the shape of comparisons (conditions built in code skip
    /// the checks deserializing does).
    pub fn check(&self) -> Result<(), ConditionError> {
        let mut nodes = 0;
        self.measure(1, &mut nodes)
    }

    fn measure(&self, depth: usize, nodes: &mut usize) -> Result<(), ConditionError> {
        if depth > MAX_DEPTH {
            return Err(ConditionError::TooDeep { max: MAX_DEPTH });
        }
        *nodes += 1;
        if *nodes > MAX_NODES {
            return Err(ConditionError::TooLarge { max: MAX_NODES });
        }
        match self {
            Condition::All(of) | Condition::Any(of) => {
                of.iter().try_for_each(|c| c.measure(depth + 1, nodes))
            }
            Condition::Not(c) => c.measure(depth + 1, nodes),
            Condition::Compare { field, .. } if field.is_empty() => Err(ConditionError::NoField),
            Condition::Compare {
                field,
                op: Op::In,
                value,
            } if !value.is_array() => Err(ConditionError::InNeedsList {
                field: field.clone(),
            }),
            Condition::Compare { .. } | Condition::DepartmentIn { .. } => Ok(()),
        }
    }

    /// The form fields this condition reads.
    pub fn fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_fields(&mut out);
        out
    }

    fn collect_fields<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Condition::All(of) | Condition::Any(of) => {
                of.iter().for_each(|c| c.collect_fields(out))
            }
            Condition::Not(c) => c.collect_fields(out),
            Condition::Compare { field, .. } => {
                if !out.contains(&field.as_str()) {
                    out.push(field)
                }
            }
            Condition::DepartmentIn { .. } => {}
        }
    }

    /// Whether the condition holds for these form values and department. Never panics.
    pub fn evaluate(&self, values: &Value, department: Option<&str>) -> bool {
        match self {
            Condition::All(of) => of.iter().all(|c| c.evaluate(values, department)),
            Condition::Any(of) => of.iter().any(|c| c.evaluate(values, department)),
            Condition::Not(c) => !c.evaluate(values, department),
            Condition::DepartmentIn { ids } => {
                department.is_some_and(|d| ids.iter().any(|i| i == d))
            }
            Condition::Compare { field, op, value } => match values.get(field) {
                None | Some(Value::Null) => false,
                Some(actual) => compare(actual, *op, value),
            },
        }
    }

    /// The condition in people's words, with the form's labels and option labels:
    /// "Amount > 5000" / "金额 > 5000".
    pub fn describe(&self, locale: &str, form: &Value) -> String {
        self.describe_with(locale, form, &|_| None)
    }

    /// Like [`Condition::describe`], naming departments through `department_name`.
    pub fn describe_with(
        &self,
        locale: &str,
        form: &Value,
        department_name: &dyn Fn(&str) -> Option<String>,
    ) -> String {
        let zh = is_zh(locale);
        let nested = |c: &Condition| {
            let text = c.describe_with(locale, form, department_name);
            match c {
                Condition::All(of) | Condition::Any(of) if of.len() > 1 => {
                    if zh {
                        format!("（{text}）")
                    } else {
                        format!("({text})")
                    }
                }
                _ => text,
            }
        };
        match self {
            Condition::All(of) if of.is_empty() => if zh { "始终" } else { "always" }.into(),
            Condition::Any(of) if of.is_empty() => if zh { "从不" } else { "never" }.into(),
            Condition::All(of) => join(of.iter().map(nested), if zh { " 且 " } else { " and " }),
            Condition::Any(of) => join(of.iter().map(nested), if zh { " 或 " } else { " or " }),
            Condition::Not(c) if zh => {
                format!("并非（{}）", c.describe_with(locale, form, department_name))
            }
            Condition::Not(c) => {
                format!("not ({})", c.describe_with(locale, form, department_name))
            }
            Condition::DepartmentIn { ids } => {
                let names: Vec<String> = ids
                    .iter()
                    .map(|id| department_name(id).unwrap_or_else(|| id.clone()))
                    .collect();
                if zh {
                    format!("部门属于 {}", names.join("、"))
                } else {
                    format!("department is {}", names.join(" or "))
                }
            }
            Condition::Compare { field, op, value } => {
                let spec = form_field(form, field);
                let label = label_text(spec.and_then(|f| f.get("label")), locale)
                    .unwrap_or_else(|| field.clone());
                let shown = show_value(value, spec, locale);
                match (op, zh) {
                    (Op::Eq, _) => format!("{label} = {shown}"),
                    (Op::Ne, _) => format!("{label} ≠ {shown}"),
                    (Op::Gt, _) => format!("{label} > {shown}"),
                    (Op::Ge, _) => format!("{label} ≥ {shown}"),
                    (Op::Lt, _) => format!("{label} < {shown}"),
                    (Op::Le, _) => format!("{label} ≤ {shown}"),
                    (Op::In, true) => format!("{label}为 {shown} 之一"),
                    (Op::In, false) => format!("{label} is one of {shown}"),
                    (Op::Contains, true) => format!("{label}包含 {shown}"),
                    (Op::Contains, false) => format!("{label} includes {shown}"),
                }
            }
        }
    }
}

fn join(parts: impl Iterator<Item = String>, sep: &str) -> String {
    parts.collect::<Vec<_>>().join(sep)
}

/// A value as people read it: select options by their label, lists joined.
fn show_value(value: &Value, spec: Option<&Value>, locale: &str) -> String {
    let option_label = |v: &str| {
        spec.and_then(|f| f.get("options"))
            .and_then(Value::as_array)
            .and_then(|opts| {
                opts.iter()
                    .find(|o| o.get("value").and_then(Value::as_str) == Some(v))
            })
            .and_then(|o| label_text(o.get("label"), locale))
    };
    match value {
        Value::String(s) => option_label(s).unwrap_or_else(|| s.clone()),
        Value::Array(items) => {
            let sep = if is_zh(locale) { "、" } else { ", " };
            join(items.iter().map(|i| show_value(i, spec, locale)), sep)
        }
        Value::Bool(b) => match (b, is_zh(locale)) {
            (true, true) => "是".into(),
            (false, true) => "否".into(),
            (true, false) => "yes".into(),
            (false, false) => "no".into(),
        },
        other => other.to_string(),
    }
}

fn compare(actual: &Value, op: Op, expected: &Value) -> bool {
    match op {
        Op::Eq => same(actual, expected),
        Op::Ne => !same(actual, expected),
        Op::Gt => order(actual, expected) == Some(Ordering::Greater),
        Op::Ge => matches!(
            order(actual, expected),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        Op::Lt => order(actual, expected) == Some(Ordering::Less),
        Op::Le => matches!(
            order(actual, expected),
            Some(Ordering::Less | Ordering::Equal)
        ),
        Op::In => {
            let Value::Array(list) = expected else {
                return false;
            };
            let is_listed = |v: &Value| list.iter().any(|l| same(v, l));
            match actual {
                Value::Array(items) => items.iter().any(is_listed),
                v => is_listed(v),
            }
        }
        Op::Contains => match (actual, expected) {
            (Value::Array(items), Value::Array(wanted)) => {
                !wanted.is_empty() && wanted.iter().all(|w| items.iter().any(|i| same(i, w)))
            }
            (Value::Array(items), w) => items.iter().any(|i| same(i, w)),
            (Value::String(s), Value::String(w)) => s.contains(w.as_str()),
            _ => false,
        },
    }
}

/// Equality as people mean it: numbers (and decimal strings, i.e. money) by value, the rest
/// as JSON.
fn same(a: &Value, b: &Value) -> bool {
    match (Decimal::of(a), Decimal::of(b)) {
        (Some(x), Some(y)) => x.cmp(&y) == Ordering::Equal,
        _ => a == b,
    }
}

/// Order between two numbers (exact decimals) or two dates (`YYYY-MM-DD`, optionally with a
/// time); None for anything else.
fn order(a: &Value, b: &Value) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (Decimal::of(a), Decimal::of(b)) {
        return Some(x.cmp(&y));
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) if is_date(x) && is_date(y) => Some(x.cmp(y)),
        _ => None,
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && (b.len() == 10 || b[10] == b'T' || b[10] == b' ')
}

/// An exact decimal: `0.d₁d₂…dₙ × 10^exp`, with no leading or trailing zero digits (no
/// digits at all for zero). Compared digit by digit, never through floating point.
#[derive(Debug, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exp: i64,
}

impl Decimal {
    /// A JSON number, or a string holding a decimal number (how money arrives).
    fn of(v: &Value) -> Option<Decimal> {
        match v {
            Value::Number(n) => Decimal::parse(&n.to_string()),
            Value::String(s) => Decimal::parse(s),
            _ => None,
        }
    }

    /// `[+-]digits[.digits][e[+-]digits]`, surrounding spaces allowed.
    fn parse(s: &str) -> Option<Decimal> {
        let s = s.trim();
        let (negative, rest) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (int, frac) = match mantissa.split_once('.') {
            Some((i, f)) => (i, f),
            None => (mantissa, ""),
        };
        if int.is_empty() && frac.is_empty()
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let mut exp: i64 = match exponent {
            None => 0,
            Some(e) => {
                let (neg, digits) = match e.as_bytes().first()? {
                    b'-' => (true, &e[1..]),
                    b'+' => (false, &e[1..]),
                    _ => (false, e),
                };
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                // Saturate: beyond a billion the magnitude comparison is already decided.
                let n = digits.bytes().fold(0i64, |n, d| {
                    (n * 10 + i64::from(d - b'0')).min(1_000_000_000)
                });
                if neg { -n } else { n }
            }
        };
        let mut digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        exp += int.len() as i64;
        let leading = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..leading);
        exp -= leading as i64;
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Some(Decimal {
                negative: false,
                digits,
                exp: 0,
            });
        }
        Some(Decimal {
            negative,
            digits,
            exp,
        })
    }

    fn sign(&self) -> i8 {
        match (self.digits.is_empty(), self.negative) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        }
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        match self.sign().cmp(&other.sign()) {
            Ordering::Equal if self.sign() == 0 => Ordering::Equal,
            Ordering::Equal => {
                let magnitude = self
                    .exp
                    .cmp(&other.exp)
                    .then_with(|| self.digits.cmp(&other.digits));
                if self.negative {
                    magnitude.reverse()
                } else {
                    magnitude
                }
            }
            unequal => unequal,
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests;
