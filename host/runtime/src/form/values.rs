//! One value against one field or column: the per-kind rules and normalisation.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use chrono::NaiveDate;
use parking_lot::Mutex;
use regex::{Regex, RegexBuilder};
use serde_json::{Map, Number, Value};

use super::{
    Column, FieldKind, FormField, MAX_MONEY_DIGITS, MAX_PATTERN, MAX_PEOPLE, MAX_TEXT,
    MAX_TEXTAREA, SelectOption,
};

/// Compiled program size for a plugin's pattern (the regex default is 10 MiB). Room for
/// `.{1,1000}` or `\w{10}`; Unicode classes under counted repetition grow fast, so
/// `\w{30}` is refused and the message suggests an ASCII class.
const PATTERN_SIZE_LIMIT: usize = 1024 * 1024;
const PATTERN_NEST_LIMIT: u32 = 50;

/// Patterns compiled recently, by source. A large pattern takes milliseconds to compile and a
/// form's few patterns are needed again on every submission.
static COMPILED: LazyLock<Mutex<HashMap<String, Result<Regex, String>>>> =
    LazyLock::new(Default::default);
const COMPILED_ENTRIES: usize = 64;

/// Compiles a pattern so that it must match the whole text.
pub(super) fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    if pattern.chars().count() > MAX_PATTERN {
        return Err(format!(
            "the pattern is longer than {MAX_PATTERN} characters"
        ));
    }
    if let Some(hit) = COMPILED.lock().get(pattern) {
        return hit.clone();
    }
    let build = |p: &str| {
        RegexBuilder::new(p)
            .size_limit(PATTERN_SIZE_LIMIT)
            .dfa_size_limit(PATTERN_SIZE_LIMIT)
            .nest_limit(PATTERN_NEST_LIMIT)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(_) => {
                    "the pattern is too complex (a Unicode class such as \\w under a counted \
                     repetition is large: try [A-Za-z0-9_] or (?-u:\\w))"
                        .to_string()
                }
                other => format!("the pattern is invalid: {other}"),
            })
    };
    // Compiled alone first: otherwise `a)|(b` would be accepted once wrapped in a group.
    let compiled = build(pattern).and_then(|_| build(&format!(r"\A(?:{pattern})\z")));
    let mut cache = COMPILED.lock();
    if cache.len() >= COMPILED_ENTRIES {
        cache.clear();
    }
    cache.insert(pattern.to_string(), compiled.clone());
    compiled
}

/// What a value must meet: the rules a field and a table column share.
pub(super) struct Spec<'a> {
    pub label: &'a str,
    pub kind: FieldKind,
    pub required: bool,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Compiled, or why not (an unchecked form with a bad pattern refuses every value).
    pub pattern: Option<Result<Regex, String>>,
    pub pattern_message: Option<&'a str>,
    pub options: &'a [SelectOption],
}

impl<'a> Spec<'a> {
    pub fn field(f: &'a FormField) -> Self {
        Spec {
            label: &f.label,
            kind: f.kind,
            required: f.required,
            min: f.min,
            max: f.max,
            pattern: f.pattern.as_deref().map(compile_pattern),
            pattern_message: f.pattern_message.as_deref(),
            options: &f.options,
        }
    }

    pub fn column(c: &'a Column) -> Self {
        Spec {
            label: &c.label,
            kind: c.kind,
            required: c.required,
            min: c.min,
            max: c.max,
            pattern: c.pattern.as_deref().map(compile_pattern),
            pattern_message: c.pattern_message.as_deref(),
            options: &c.options,
        }
    }
}

/// Why a value was refused; [`super::messages`] words it for people.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Problem {
    Required,
    /// The wrong JSON type or a malformed value.
    Type,
    /// Control characters (or a line break in one-line text).
    Chars,
    TooShort(f64),
    TooLong(f64),
    Pattern,
    TooSmall(f64),
    TooLarge(f64),
    /// Money with more than two decimals.
    Precision,
    /// Money with more integer digits than [`MAX_MONEY_DIGITS`].
    Huge,
    Date,
    DateOrder,
    /// A date range missing one end.
    Incomplete,
    DaysTooFew(f64),
    DaysTooMany(f64),
    NotAnOption,
    Duplicate,
    TooFew(f64),
    TooMany(f64),
}

/// Ids a submission refers to, first-seen order, for the host's existence and visibility checks.
#[derive(Default)]
pub(super) struct Refs {
    pub people: Vec<String>,
    pub groups: Vec<String>,
    pub files: Vec<String>,
    pub departments: Vec<String>,
    seen: HashSet<(u8, String)>,
}

impl Refs {
    fn add(&mut self, kind: FieldKind, id: &str) {
        let (list, tag) = match kind {
            FieldKind::Person | FieldKind::People => (&mut self.people, 0),
            FieldKind::Group => (&mut self.groups, 1),
            FieldKind::Department => (&mut self.departments, 3),
            _ => (&mut self.files, 2),
        };
        if self.seen.insert((tag, id.to_string())) {
            list.push(id.to_string());
        }
    }
}

/// Validates and normalises a value of any kind but `table`, applying `required`. Missing
/// values come back as `null` (a checkbox as `false`).
pub(super) fn cell(spec: &Spec, raw: &Value, refs: &mut Refs) -> Result<Value, Problem> {
    match value(spec, raw, refs)? {
        None if spec.required => Err(Problem::Required),
        None if spec.kind == FieldKind::Checkbox => Ok(Value::Bool(false)),
        None => Ok(Value::Null),
        // A required checkbox is a consent: it has to be ticked.
        Some(Value::Bool(false)) if spec.required && spec.kind == FieldKind::Checkbox => {
            Err(Problem::Required)
        }
        Some(v) => Ok(v),
    }
}

/// `Ok(None)` when nothing was given: null, blank text, an empty list.
fn value(spec: &Spec, raw: &Value, refs: &mut Refs) -> Result<Option<Value>, Problem> {
    if raw.is_null() {
        return Ok(None);
    }
    match spec.kind {
        FieldKind::Text | FieldKind::Textarea => text(spec, raw),
        FieldKind::Number => number(spec, raw),
        FieldKind::Money => money(spec, raw),
        FieldKind::Date => match string(raw)? {
            None => Ok(None),
            Some(s) if parse_date(s).is_some() => Ok(Some(Value::String(s.into()))),
            Some(_) => Err(Problem::Date),
        },
        FieldKind::Datetime => match string(raw)? {
            None => Ok(None),
            Some(s) if valid_datetime(s) => Ok(Some(Value::String(s.into()))),
            Some(_) => Err(Problem::Date),
        },
        FieldKind::DateRange => date_range(spec, raw),
        FieldKind::Select => {
            let Value::String(s) = raw else {
                return Err(Problem::Type);
            };
            if s.is_empty() {
                Ok(None)
            } else if spec.options.iter().any(|o| o.value == *s) {
                Ok(Some(raw.clone()))
            } else {
                Err(Problem::NotAnOption)
            }
        }
        FieldKind::MultiSelect => {
            let Some(items) = list(spec, raw, usize::MAX)? else {
                return Ok(None);
            };
            if items
                .iter()
                .any(|s| !spec.options.iter().any(|o| o.value == *s))
            {
                return Err(Problem::NotAnOption);
            }
            Ok(Some(raw.clone()))
        }
        FieldKind::Person | FieldKind::Group | FieldKind::File | FieldKind::Department => {
            let Value::String(s) = raw else {
                return Err(Problem::Type);
            };
            if s.is_empty() {
                return Ok(None);
            }
            if !is_id(s) {
                return Err(Problem::Type);
            }
            refs.add(spec.kind, s);
            Ok(Some(raw.clone()))
        }
        FieldKind::People => {
            let Some(ids) = list(spec, raw, MAX_PEOPLE)? else {
                return Ok(None);
            };
            if !ids.iter().all(|s| is_id(s)) {
                return Err(Problem::Type);
            }
            for id in ids {
                refs.add(FieldKind::People, id);
            }
            Ok(Some(raw.clone()))
        }
        FieldKind::Checkbox => match raw {
            Value::Bool(_) => Ok(Some(raw.clone())),
            _ => Err(Problem::Type),
        },
        // Tables are walked by the caller, which knows the columns and reports per cell.
        FieldKind::Table => Err(Problem::Type),
        // Computed by the caller, never taken from a person: only a default can get here.
        FieldKind::Formula => Err(Problem::Type),
    }
}

/// A string value, `None` when blank.
fn string(raw: &Value) -> Result<Option<&str>, Problem> {
    match raw {
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.trim())),
        _ => Err(Problem::Type),
    }
}

fn text(spec: &Spec, raw: &Value) -> Result<Option<Value>, Problem> {
    let Some(s) = string(raw)? else {
        return Ok(None);
    };
    let multiline = spec.kind == FieldKind::Textarea;
    if s.chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
    {
        return Err(Problem::Chars);
    }
    let cap = if multiline { MAX_TEXTAREA } else { MAX_TEXT } as f64;
    let len = s.chars().count() as f64;
    if let Some(min) = spec.min
        && len < min
    {
        return Err(Problem::TooShort(min));
    }
    let max = spec.max.map_or(cap, |m| m.min(cap));
    if len > max {
        return Err(Problem::TooLong(max));
    }
    match &spec.pattern {
        Some(Ok(re)) if !re.is_match(s) => return Err(Problem::Pattern),
        Some(Err(_)) => return Err(Problem::Pattern),
        _ => {}
    }
    Ok(Some(Value::String(s.to_string())))
}

fn number(spec: &Spec, raw: &Value) -> Result<Option<Value>, Problem> {
    let (n, x) = match raw {
        Value::Number(n) => (n.clone(), n.as_f64().ok_or(Problem::Type)?),
        Value::String(_) => {
            let Some(s) = string(raw)? else {
                return Ok(None);
            };
            if let Ok(i) = s.parse::<i64>() {
                (Number::from(i), i as f64)
            } else {
                let x = s.parse::<f64>().map_err(|_| Problem::Type)?;
                (Number::from_f64(x).ok_or(Problem::Type)?, x)
            }
        }
        _ => return Err(Problem::Type),
    };
    if !x.is_finite() {
        return Err(Problem::Type);
    }
    if let Some(min) = spec.min
        && x < min
    {
        return Err(Problem::TooSmall(min));
    }
    if let Some(max) = spec.max
        && x > max
    {
        return Err(Problem::TooLarge(max));
    }
    Ok(Some(Value::Number(n)))
}

fn money(spec: &Spec, raw: &Value) -> Result<Option<Value>, Problem> {
    let cents = match raw {
        // Beyond this a float prints in exponent form, which we would call malformed.
        Value::Number(n) if n.as_f64().is_some_and(|x| x.abs() >= 1e15) => {
            return Err(Problem::Huge);
        }
        Value::Number(n) => parse_money(&n.to_string())?,
        Value::String(_) => match string(raw)? {
            None => return Ok(None),
            Some(s) => parse_money(s)?,
        },
        _ => return Err(Problem::Type),
    };
    // Bounds a checked form carries are exact amounts; an unchecked one may hold any float.
    let below = |b: f64| money_bound(b).map_or((cents as f64) / 100.0 < b, |c| cents < c);
    let above = |b: f64| money_bound(b).map_or((cents as f64) / 100.0 > b, |c| cents > c);
    if let Some(min) = spec.min.filter(|&b| below(b)) {
        return Err(Problem::TooSmall(min));
    }
    if let Some(max) = spec.max.filter(|&b| above(b)) {
        return Err(Problem::TooLarge(max));
    }
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    Ok(Some(Value::String(format!(
        "{sign}{}.{:02}",
        abs / 100,
        abs % 100
    ))))
}

/// A money bound in cents, if it is an amount money can hold.
pub(super) fn money_bound(b: f64) -> Option<i128> {
    // `Display` for f64 is the shortest text that reads back the same, never in exponent form.
    if b.is_finite() {
        parse_money(&b.to_string()).ok()
    } else {
        None
    }
}

/// `-?digits(.d{1,2})?` in integer cents, exactly.
fn parse_money(s: &str) -> Result<i128, Problem> {
    let (negative, unsigned) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = match unsigned.split_once('.') {
        Some((int, frac)) => (int, frac),
        None => (unsigned, "00"),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return Err(Problem::Type);
    }
    if frac.len() > 2 {
        return Err(Problem::Precision);
    }
    let int = int.trim_start_matches('0');
    if int.len() > MAX_MONEY_DIGITS {
        return Err(Problem::Huge);
    }
    let fold = |t: &str| {
        t.bytes()
            .fold(0i128, |acc, b| acc * 10 + i128::from(b - b'0'))
    };
    let frac = if frac.len() == 1 {
        fold(frac) * 10
    } else {
        fold(frac)
    };
    let cents = fold(int) * 100 + frac;
    Ok(if negative { -cents } else { cents })
}

/// Exactly `YYYY-MM-DD`, a real calendar day from year 1 to 9999.
pub(super) fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let year = i32::try_from(num(0..4)?).ok().filter(|&y| y >= 1)?;
    NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?)
}

/// Exactly `YYYY-MM-DDTHH:MM`.
fn valid_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 16 || b[10] != b'T' || b[13] != b':' || !s.is_ascii() {
        return false;
    }
    let two = |i: usize| -> Option<u32> {
        (b[i].is_ascii_digit() && b[i + 1].is_ascii_digit())
            .then(|| u32::from(b[i] - b'0') * 10 + u32::from(b[i + 1] - b'0'))
    };
    parse_date(&s[..10]).is_some()
        && two(11).is_some_and(|h| h < 24)
        && two(14).is_some_and(|m| m < 60)
}

fn date_range(spec: &Spec, raw: &Value) -> Result<Option<Value>, Problem> {
    let Value::Object(map) = raw else {
        return Err(Problem::Type);
    };
    if map.keys().any(|k| k != "start" && k != "end") {
        return Err(Problem::Type);
    }
    let end = |key: &str| match map.get(key) {
        None => Ok(None),
        Some(v) if v.is_null() => Ok(None),
        Some(v) => string(v),
    };
    let (start, end) = match (end("start")?, end("end")?) {
        (None, None) => return Ok(None),
        (Some(start), Some(end)) => (start, end),
        _ => return Err(Problem::Incomplete),
    };
    let (Some(from), Some(to)) = (parse_date(start), parse_date(end)) else {
        return Err(Problem::Date);
    };
    if from > to {
        return Err(Problem::DateOrder);
    }
    let days = ((to - from).num_days() + 1) as f64;
    if let Some(min) = spec.min
        && days < min
    {
        return Err(Problem::DaysTooFew(min));
    }
    if let Some(max) = spec.max
        && days > max
    {
        return Err(Problem::DaysTooMany(max));
    }
    let mut out = Map::new();
    out.insert("start".into(), Value::String(start.into()));
    out.insert("end".into(), Value::String(end.into()));
    Ok(Some(Value::Object(out)))
}

/// A list of distinct strings within the count bounds; `None` when empty.
fn list<'v>(spec: &Spec, raw: &'v Value, cap: usize) -> Result<Option<Vec<&'v str>>, Problem> {
    let Value::Array(items) = raw else {
        return Err(Problem::Type);
    };
    if items.is_empty() {
        return Ok(None);
    }
    if items.len() > cap {
        return Err(Problem::TooMany(cap as f64));
    }
    let strings: Vec<&str> = items
        .iter()
        .map(|v| v.as_str().ok_or(Problem::Type))
        .collect::<Result<_, _>>()?;
    let mut seen = HashSet::new();
    if !strings.iter().all(|s| seen.insert(*s)) {
        return Err(Problem::Duplicate);
    }
    count(spec, strings.len())?;
    Ok(Some(strings))
}

/// Checks a count of choices, people or rows against `min`/`max`.
pub(super) fn count(spec: &Spec, n: usize) -> Result<(), Problem> {
    let n = n as f64;
    if let Some(min) = spec.min
        && n < min
    {
        return Err(Problem::TooFew(min));
    }
    if let Some(max) = spec.max
        && n > max
    {
        return Err(Problem::TooMany(max));
    }
    Ok(())
}

/// The host's id alphabet: 1 to 64 of `[A-Za-z0-9_-]`.
fn is_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// How a condition sees a number: `5`, `2.5`, never `5.0`.
pub(super) fn number_text(n: &Number) -> String {
    if n.is_i64() || n.is_u64() {
        n.to_string()
    } else {
        n.as_f64().map_or_else(|| n.to_string(), |x| x.to_string())
    }
}
