//! Results: per-field statistics over the answers to a form, and who has not answered.
//!
//! Statistics take submitted answers only (drafts never count), of one version
//! ([`field_stats`]) or of every version whose field has the same name and kind as in the
//! latest one ([`field_stats_across`]). Amounts are added in integer cents, exactly, and
//! shown as `"12.50"`. A value that does not have the shape its field promises (the host
//! never sends one, but stored data may be old or hand-made) is counted as `unreadable` and
//! left out of sums; nothing here panics on any JSON.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;

use super::anonymity::{Roll, respondent_key};
use super::cents;
use super::definition::{Choice, Column, Field, Kind, PersonRef, Version};
use super::display::range_days;
use super::lang::{Lang, Text};
use super::submission::Submission;
use super::time::Date;

/// People, departments and groups listed as the most frequent values.
pub const TOP: usize = 10;

/// What is known about one field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldStats {
    pub name: String,
    pub label: Text,
    pub kind: Kind,
    /// Answers with a value.
    pub answered: usize,
    /// Answers (to versions with this field) without one: left empty, or hidden.
    pub empty: usize,
    /// Values of the wrong shape, left out of everything below.
    pub unreadable: usize,
    pub summary: Summary,
}

/// Sum, average and extremes of numbers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Numbers {
    pub sum: f64,
    pub average: f64,
    pub min: f64,
    pub max: f64,
}

/// Sum, average (rounded half away from zero) and extremes of amounts, in cents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Amounts {
    pub sum: i128,
    pub average: i128,
    pub min: i128,
    pub max: i128,
}

impl Amounts {
    /// `(sum, average, min, max)` as `"12.50"`.
    pub fn texts(&self) -> [String; 4] {
        [self.sum, self.average, self.min, self.max].map(cents::format)
    }
}

/// How often one option was chosen.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OptionCount {
    pub value: String,
    pub label: Text,
    pub count: usize,
    /// Of the answers with a value, to one decimal (choices of a multi-select add up to
    /// more than 100).
    pub percent: f64,
}

/// A sum over a table column.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ColumnSum {
    Number(f64),
    /// Cents.
    Money(i128),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ColumnStats {
    pub name: String,
    pub label: Text,
    /// Rows with a value in this column.
    pub filled: usize,
    /// Number, money and formula columns.
    pub sum: Option<ColumnSum>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Summary {
    /// Only the counts (text, files, a field nobody answered…).
    Counts,
    Numbers(Numbers),
    Amounts(Amounts),
    /// Every option in the field's order (then values no longer among the options).
    Choices(Vec<OptionCount>),
    /// Dates and date-times: `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`.
    Dates {
        earliest: String,
        latest: String,
    },
    DateRanges {
        earliest_start: String,
        latest_end: String,
        total_days: i64,
        average_days: f64,
    },
    Table {
        rows: usize,
        columns: Vec<ColumnStats>,
    },
    /// The most frequent ids (people, departments, groups), most frequent first.
    Top(Vec<(String, usize)>),
}

/// Statistics of every answered field of `version`, over its submitted answers.
pub fn field_stats(version: &Version, submissions: &[Submission]) -> Vec<FieldStats> {
    let values: Vec<&Submission> = submissions
        .iter()
        .filter(|s| s.is_submitted() && s.version == version.number && s.form_id == version.form_id)
        .collect();
    version
        .definition
        .fields
        .iter()
        .filter(|f| f.answers())
        .map(|f| stats_of(f, values.iter().map(|s| s.values.get(&f.name))))
        .collect()
}

/// Statistics of the fields of the latest of `versions`, over the submitted answers to
/// every version whose field of the same name has the same kind (an answer to a version
/// without that field counts neither as answered nor as empty).
pub fn field_stats_across(versions: &[Version], submissions: &[Submission]) -> Vec<FieldStats> {
    let Some(latest) = versions.iter().max_by_key(|v| v.number) else {
        return Vec::new();
    };
    let by_number: HashMap<u32, &Version> = versions
        .iter()
        .filter(|v| v.form_id == latest.form_id)
        .map(|v| (v.number, v))
        .collect();
    latest
        .definition
        .fields
        .iter()
        .filter(|f| f.answers())
        .map(|f| {
            let values = submissions.iter().filter_map(|s| {
                if !s.is_submitted() || s.form_id != latest.form_id {
                    return None;
                }
                let v = by_number.get(&s.version)?;
                let same = v.definition.field(&f.name)?;
                (same.kind == f.kind && same.answers()).then(|| s.values.get(&f.name))
            });
            stats_of(f, values)
        })
        .collect()
}

/// A value that counts as given.
fn given(v: Option<&Value>) -> Option<&Value> {
    match v? {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::Array(a) if a.is_empty() => None,
        v => Some(v),
    }
}

fn number(v: &Value) -> Option<f64> {
    v.as_f64().filter(|x| x.is_finite())
}

fn amount(v: &Value) -> Option<i128> {
    cents::parse(v.as_str()?)
}

fn percent(count: usize, of: usize) -> f64 {
    if of == 0 {
        return 0.0;
    }
    let tenths = (count as u128 * 1000 + of as u128 / 2) / of as u128;
    tenths as f64 / 10.0
}

#[derive(Default)]
struct Tally {
    answered: usize,
    empty: usize,
    unreadable: usize,
}

fn stats_of<'a>(field: &Field, values: impl Iterator<Item = Option<&'a Value>>) -> FieldStats {
    let mut t = Tally::default();
    let mut given_values = Vec::new();
    for v in values {
        match given(v) {
            None => t.empty += 1,
            Some(v) => given_values.push(v),
        }
    }
    let summary = summarise(field, &given_values, &mut t);
    FieldStats {
        name: field.name.clone(),
        label: field.label.clone(),
        kind: field.kind,
        answered: t.answered,
        empty: t.empty,
        unreadable: t.unreadable,
        summary,
    }
}

/// Keeps the values `read` accepts, counting the others as unreadable.
fn read_all<'a, T>(
    values: &[&'a Value],
    t: &mut Tally,
    read: impl Fn(&'a Value) -> Option<T>,
) -> Vec<T> {
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        match read(v) {
            Some(x) => out.push(x),
            None => t.unreadable += 1,
        }
    }
    t.answered = out.len();
    out
}

fn summarise(field: &Field, values: &[&Value], t: &mut Tally) -> Summary {
    let summary = match field.kind {
        Kind::Money | Kind::Formula if field.is_money() => amounts(&read_all(values, t, amount)),
        Kind::Number | Kind::Money | Kind::Formula => numbers(&read_all(values, t, number)),
        Kind::Select => {
            let picked = read_all(values, t, |v| v.as_str().map(|s| vec![s.to_string()]));
            choices(field, &picked)
        }
        Kind::MultiSelect => {
            let picked = read_all(values, t, strings);
            choices(field, &picked)
        }
        Kind::Checkbox => {
            let picked = read_all(values, t, |v| v.as_bool().map(|b| vec![b.to_string()]));
            let mut yes_no = field.clone();
            yes_no.options = vec![
                Choice::new("true", Text::new("Yes", "是")),
                Choice::new("false", Text::new("No", "否")),
            ];
            choices(&yes_no, &picked)
        }
        Kind::Date | Kind::Datetime => {
            let kind = field.kind;
            let dates = read_all(values, t, |v| {
                let s = v.as_str()?;
                let ok = match kind {
                    Kind::Date => Date::parse(s).is_some(),
                    _ => s.len() == 16 && s.is_char_boundary(10) && Date::parse(&s[..10]).is_some(),
                };
                ok.then(|| s.to_string())
            });
            match (dates.iter().min(), dates.iter().max()) {
                (Some(a), Some(b)) => Summary::Dates {
                    earliest: a.clone(),
                    latest: b.clone(),
                },
                _ => Summary::Counts,
            }
        }
        Kind::DateRange => {
            let ranges = read_all(values, t, |v| {
                let days = range_days(v)?;
                Some((
                    v.get("start")?.as_str()?.to_string(),
                    v.get("end")?.as_str()?.to_string(),
                    days,
                ))
            });
            let earliest = ranges.iter().map(|r| &r.0).min();
            let latest = ranges.iter().map(|r| &r.1).max();
            match (earliest, latest) {
                (Some(a), Some(b)) => {
                    let total: i64 = ranges.iter().map(|r| r.2).sum();
                    Summary::DateRanges {
                        earliest_start: a.clone(),
                        latest_end: b.clone(),
                        total_days: total,
                        average_days: total as f64 / ranges.len() as f64,
                    }
                }
                _ => Summary::Counts,
            }
        }
        Kind::Person | Kind::Department | Kind::Group => {
            let ids = read_all(values, t, |v| v.as_str().map(|s| vec![s.to_string()]));
            top(&ids)
        }
        Kind::People => top(&read_all(values, t, strings)),
        Kind::Table => {
            let rows = read_all(values, t, Value::as_array);
            table(&field.columns, &rows)
        }
        Kind::Text | Kind::Textarea | Kind::File | Kind::Serial => {
            read_all(values, t, |v| v.is_string().then_some(()));
            Summary::Counts
        }
    };
    if t.answered == 0 && !matches!(summary, Summary::Choices(_)) {
        Summary::Counts
    } else {
        summary
    }
}

/// A list of distinct strings (a multi-select, people).
fn strings(v: &Value) -> Option<Vec<String>> {
    let items = v.as_array()?;
    let mut seen = HashSet::new();
    items
        .iter()
        .map(|i| i.as_str().map(str::to_string))
        .filter(|s| s.as_ref().is_none_or(|s| seen.insert(s.clone())))
        .collect()
}

fn numbers(xs: &[f64]) -> Summary {
    if xs.is_empty() {
        return Summary::Counts;
    }
    let sum: f64 = xs.iter().sum();
    Summary::Numbers(Numbers {
        sum,
        average: sum / xs.len() as f64,
        min: xs.iter().copied().fold(f64::INFINITY, f64::min),
        max: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    })
}

fn amounts(xs: &[i128]) -> Summary {
    let (Some(&min), Some(&max)) = (xs.iter().min(), xs.iter().max()) else {
        return Summary::Counts;
    };
    let sum = xs.iter().fold(0i128, |a, &x| a.saturating_add(x));
    Summary::Amounts(Amounts {
        sum,
        average: cents::average(sum, xs.len()).unwrap_or(0),
        min,
        max,
    })
}

fn choices(field: &Field, picked: &[Vec<String>]) -> Summary {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for answer in picked {
        for v in answer {
            *counts.entry(v.as_str()).or_default() += 1;
        }
    }
    let n = picked.len();
    let mut out: Vec<OptionCount> = field
        .options
        .iter()
        .map(|o| {
            let count = counts.remove(o.value.as_str()).unwrap_or(0);
            OptionCount {
                value: o.value.clone(),
                label: o.label.clone(),
                count,
                percent: percent(count, n),
            }
        })
        .collect();
    // Values no longer among the options (an earlier version had them).
    let mut rest: Vec<(&str, usize)> = counts.into_iter().collect();
    rest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    out.extend(rest.into_iter().map(|(value, count)| OptionCount {
        value: value.to_string(),
        label: Text::same(value),
        count,
        percent: percent(count, n),
    }));
    Summary::Choices(out)
}

fn top(ids: &[Vec<String>]) -> Summary {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for answer in ids {
        for id in answer {
            *counts.entry(id.as_str()).or_default() += 1;
        }
    }
    let mut list: Vec<(String, usize)> = counts
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    list.truncate(TOP);
    Summary::Top(list)
}

fn table(columns: &[Column], rows_per_answer: &[&Vec<Value>]) -> Summary {
    let rows: Vec<&serde_json::Map<String, Value>> = rows_per_answer
        .iter()
        .flat_map(|r| r.iter())
        .filter_map(Value::as_object)
        .collect();
    let columns = columns
        .iter()
        .map(|c| {
            let cells: Vec<&Value> = rows.iter().filter_map(|r| given(r.get(&c.name))).collect();
            let sum = if c.is_money() {
                Some(ColumnSum::Money(
                    cells
                        .iter()
                        .filter_map(|v| amount(v))
                        .fold(0i128, i128::saturating_add),
                ))
            } else if matches!(c.kind, Kind::Number | Kind::Formula) {
                Some(ColumnSum::Number(
                    cells.iter().filter_map(|v| number(v)).sum(),
                ))
            } else {
                None
            };
            ColumnStats {
                name: c.name.clone(),
                label: c.label.clone(),
                filled: cells.len(),
                sum,
            }
        })
        .collect();
    Summary::Table {
        rows: rows.len(),
        columns,
    }
}

impl ColumnSum {
    /// `"12.50"` for amounts, the shortest text for numbers.
    pub fn text(&self) -> String {
        match self {
            ColumnSum::Money(c) => cents::format(*c),
            ColumnSum::Number(x) => x.to_string(),
        }
    }
}

impl FieldStats {
    /// A one-line summary for a results card: `Sum 120.50 · average 40.17 · min 0.10 · max 100.00`.
    pub fn describe(&self, lang: Lang) -> String {
        let zh = lang.is_zh();
        let counts = if zh {
            format!("已填 {} · 未填 {}", self.answered, self.empty)
        } else {
            format!("{} answered · {} empty", self.answered, self.empty)
        };
        let detail = match &self.summary {
            Summary::Counts => None,
            Summary::Numbers(n) => Some(if zh {
                format!(
                    "合计 {} · 平均 {} · 最小 {} · 最大 {}",
                    n.sum,
                    round2(n.average),
                    n.min,
                    n.max
                )
            } else {
                format!(
                    "sum {} · average {} · min {} · max {}",
                    n.sum,
                    round2(n.average),
                    n.min,
                    n.max
                )
            }),
            Summary::Amounts(a) => {
                let [sum, avg, min, max] = a.texts();
                Some(if zh {
                    format!("合计 {sum} · 平均 {avg} · 最小 {min} · 最大 {max}")
                } else {
                    format!("sum {sum} · average {avg} · min {min} · max {max}")
                })
            }
            Summary::Choices(options) => Some(
                options
                    .iter()
                    .map(|o| format!("{} {} ({}%)", o.label.get(lang), o.count, o.percent))
                    .collect::<Vec<_>>()
                    .join(" · "),
            ),
            Summary::Dates { earliest, latest } => Some(if zh {
                format!("最早 {earliest} · 最晚 {latest}")
            } else {
                format!("earliest {earliest} · latest {latest}")
            }),
            Summary::DateRanges {
                earliest_start,
                latest_end,
                total_days,
                average_days,
            } => Some(if zh {
                format!(
                    "{earliest_start} 至 {latest_end} · 共 {total_days} 天 · 平均 {} 天",
                    round2(*average_days)
                )
            } else {
                format!(
                    "{earliest_start} – {latest_end} · {total_days} days in all · {} on average",
                    round2(*average_days)
                )
            }),
            Summary::Table { rows, columns } => {
                let sums: Vec<String> = columns
                    .iter()
                    .filter_map(|c| {
                        Some(format!("{} {}", c.label.get(lang), c.sum.as_ref()?.text()))
                    })
                    .collect();
                let rows = if zh {
                    format!("共 {rows} 行")
                } else {
                    format!("{rows} rows")
                };
                Some(
                    std::iter::once(rows)
                        .chain(sums)
                        .collect::<Vec<_>>()
                        .join(" · "),
                )
            }
            Summary::Top(list) => Some(
                list.iter()
                    .map(|(id, n)| format!("{id} {n}"))
                    .collect::<Vec<_>>()
                    .join(" · "),
            ),
        };
        match detail {
            Some(d) => format!("{counts} · {d}"),
            None => counts,
        }
    }
}

/// Two decimals at most, without trailing zeros.
fn round2(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// Which answers a form has, for [`outstanding`].
#[derive(Clone, Copy, Debug)]
pub enum Answered<'a> {
    /// A named form: its answers (drafts are ignored).
    Named(&'a [Submission]),
    /// An anonymous form: its roll, and what the keys are made with.
    Anonymous {
        roll: &'a Roll,
        secret: &'a [u8],
        form_id: &'a str,
    },
}

impl Answered<'_> {
    fn has_answered(&self, person_id: &str, named: &HashSet<&str>) -> bool {
        match self {
            Answered::Named(_) => named.contains(person_id),
            Answered::Anonymous {
                roll,
                secret,
                form_id,
            } => roll.contains(&respondent_key(secret, form_id, person_id)),
        }
    }
}

/// Who of the audience has not answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outstanding {
    /// People the form is addressed to (each once).
    pub audience: usize,
    /// Of them, how many answered.
    pub answered: usize,
    pub pending: usize,
    /// A named form: who has not answered, in audience order. `None` for an anonymous
    /// form: the count only (see [`super::anonymity`]).
    pub people: Option<Vec<PersonRef>>,
}

fn pending<'a>(audience: &'a [PersonRef], answered: Answered<'_>) -> (usize, Vec<&'a PersonRef>) {
    let named: HashSet<&str> = match answered {
        Answered::Named(subs) => subs
            .iter()
            .filter(|s| s.is_submitted())
            .filter_map(|s| s.respondent.as_ref().map(|p| p.id.as_str()))
            .collect(),
        Answered::Anonymous { .. } => HashSet::new(),
    };
    let mut seen = HashSet::new();
    let people: Vec<&PersonRef> = audience
        .iter()
        .filter(|p| seen.insert(p.id.as_str()))
        .collect();
    let total = people.len();
    let missing = people
        .into_iter()
        .filter(|p| !answered.has_answered(&p.id, &named))
        .collect();
    (total, missing)
}

/// Who of `audience` (group members resolved by the wiring) has not answered.
pub fn outstanding(audience: &[PersonRef], answered: Answered<'_>) -> Outstanding {
    let (total, missing) = pending(audience, answered);
    let anonymous = matches!(answered, Answered::Anonymous { .. });
    Outstanding {
        audience: total,
        answered: total - missing.len(),
        pending: missing.len(),
        people: (!anonymous).then(|| missing.into_iter().cloned().collect()),
    }
}

/// The ids to send a reminder to. For an anonymous form these are to send with only: the
/// wiring must not show or store them.
pub fn reminder_targets(audience: &[PersonRef], answered: Answered<'_>) -> Vec<String> {
    pending(audience, answered)
        .1
        .into_iter()
        .map(|p| p.id.clone())
        .collect()
}

#[cfg(test)]
mod tests;
