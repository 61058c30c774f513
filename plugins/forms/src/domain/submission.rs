//! Answers to a form ([`Submission`]) and the rules for giving, changing and drafting them.
//!
//! The values come from the host, already checked against the contract form of the version
//! the person filled in and normalised (money `"12.50"`, dates `YYYY-MM-DD`, date ranges
//! `{start, end}`, people as id lists, tables as row objects, formulas computed); this
//! module decides whether the answer may be given now and what is stored:
//!
//! - nothing after the deadline, nor on a draft or closed form, nor from outside the
//!   audience;
//! - one answer per person unless the form is repeatable: a second submit changes the
//!   existing answer when the form is editable, and is refused otherwise;
//! - answers change only until the deadline, only on editable forms, only by their author,
//!   never on anonymous forms;
//! - drafts are kept per person and do not count as answers; submitting replaces the draft;
//! - every new answer gets the form's next serial number;
//! - anonymous answers carry no respondent and hour-coarse times (see
//!   [`super::anonymity`]).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::definition::{Form, PersonRef, SerialFormat, Version};
use super::error::FormError;
use super::time::{self, HOUR_MS};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    /// Saved for later by its author; not an answer.
    Draft,
    Submitted,
}

/// An answer (or a draft of one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    pub id: String,
    pub form_id: String,
    /// The version answered: its fields say what `values` mean.
    pub version: u32,
    /// Who answered; `None` for an answer to an anonymous form (drafts always have one:
    /// they belong to their author until sent).
    pub respondent: Option<PersonRef>,
    /// Field name → normalised value, as the host passed them.
    pub values: Map<String, Value>,
    /// Assigned when first submitted.
    #[serde(default)]
    pub serial: Option<String>,
    pub status: SubmissionStatus,
    pub created_at_ms: i64,
    #[serde(default)]
    pub submitted_at_ms: Option<i64>,
    pub updated_at_ms: i64,
    /// How many times the answer was changed after it was submitted.
    #[serde(default)]
    pub edits: u32,
}

impl Submission {
    pub fn is_submitted(&self) -> bool {
        self.status == SubmissionStatus::Submitted
    }

    /// Whether `person_id` wrote it (never true of an anonymous answer).
    pub fn is_by(&self, person_id: &str) -> bool {
        self.respondent.as_ref().is_some_and(|p| p.id == person_id)
    }
}

/// What a person sent.
#[derive(Clone, Debug)]
pub struct Answer<'a> {
    pub person: &'a PersonRef,
    /// Whether the form is addressed to the person (the wiring resolves groups; see
    /// [`super::definition::Audience::includes`]).
    pub in_audience: bool,
    /// The version whose form the person filled in.
    pub version: &'a Version,
    /// The values as the host passed them.
    pub values: Map<String, Value>,
    pub now_ms: i64,
    pub offset_minutes: i32,
}

/// What the person has given before, as the wiring finds it.
#[derive(Clone, Copy, Debug)]
pub enum Prior<'a> {
    Nothing,
    /// A named form: the person's answer.
    Answer(&'a Submission),
    /// An anonymous form: the person's respondent key is on the roll.
    OnRoll,
}

/// What to store after a submit. In every case, delete the person's draft of this form.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// A new answer; save the form too (its serial counter moved). When `roll` is set
    /// (anonymous forms), add the person's respondent key to the form's roll.
    Created { submission: Submission, roll: bool },
    /// The person's existing answer, changed.
    Updated(Submission),
}

fn coarse(ms: i64, anonymous: bool) -> i64 {
    if anonymous {
        ms - ms.rem_euclid(HOUR_MS)
    } else {
        ms
    }
}

fn check_version(form: &Form, version: &Version) -> Result<(), FormError> {
    if version.form_id != form.id || version.number == 0 || version.number > form.latest_version {
        return Err(FormError::UnknownVersion(version.number));
    }
    Ok(())
}

/// Formats a serial number: `F-20261130-0001`, or `F-0001` without the date.
pub fn format_serial(format: &SerialFormat, date: time::Date, sequence: u64) -> String {
    let width = usize::from(format.digits.clamp(1, 20));
    if format.date {
        format!("{}-{}-{sequence:0width$}", format.prefix, date.compact())
    } else {
        format!("{}-{sequence:0width$}", format.prefix)
    }
}

/// Takes the form's next serial number.
pub fn assign_serial(
    form: &mut Form,
    format: &SerialFormat,
    now_ms: i64,
    offset_minutes: i32,
) -> String {
    let sequence = form.next_serial.max(1);
    form.next_serial = sequence + 1;
    format_serial(format, time::local_date(now_ms, offset_minutes), sequence)
}

/// Submits an answer. `id` names a new answer (random for anonymous forms: nothing about it
/// may be derived from the person).
pub fn submit(
    form: &mut Form,
    answer: Answer<'_>,
    prior: Prior<'_>,
    id: impl Into<String>,
) -> Result<Outcome, FormError> {
    check_version(form, answer.version)?;
    form.accepting(answer.now_ms, answer.offset_minutes)?;
    if !answer.in_audience {
        return Err(FormError::NotInAudience);
    }
    let anonymous = form.settings.anonymous;
    if !form.settings.repeatable {
        match prior {
            // Anonymous answers have no author, so they are never changed.
            Prior::Answer(existing) if form.settings.editable && !anonymous => {
                return change(form, existing, answer).map(Outcome::Updated);
            }
            Prior::Answer(_) | Prior::OnRoll => return Err(FormError::AlreadyAnswered),
            Prior::Nothing => {}
        }
    }
    let format = answer.version.definition.serial_format();
    let serial = assign_serial(form, &format, answer.now_ms, answer.offset_minutes);
    let at = coarse(answer.now_ms, anonymous);
    Ok(Outcome::Created {
        submission: Submission {
            id: id.into(),
            form_id: form.id.clone(),
            version: answer.version.number,
            respondent: (!anonymous).then(|| answer.person.clone()),
            values: answer.values,
            serial: Some(serial),
            status: SubmissionStatus::Submitted,
            created_at_ms: at,
            submitted_at_ms: Some(at),
            updated_at_ms: at,
            edits: 0,
        },
        roll: anonymous,
    })
}

/// Whether `person_id` may change `existing` now (to show or hide an "Edit" button).
pub fn may_edit(
    form: &Form,
    existing: &Submission,
    person_id: &str,
    now_ms: i64,
    offset_minutes: i32,
) -> Result<(), FormError> {
    form.accepting(now_ms, offset_minutes)?;
    if form.settings.anonymous || existing.respondent.is_none() {
        return Err(FormError::Anonymous);
    }
    if !form.settings.editable {
        return Err(FormError::NotEditable);
    }
    if existing.form_id != form.id || !existing.is_by(person_id) {
        return Err(FormError::NotYours);
    }
    if !existing.is_submitted() {
        return Err(FormError::WrongState);
    }
    Ok(())
}

/// Changes an existing answer: the values are replaced and the answer now answers the
/// version filled in (the latest form is shown for editing).
pub fn edit(
    form: &Form,
    existing: &Submission,
    answer: Answer<'_>,
) -> Result<Submission, FormError> {
    check_version(form, answer.version)?;
    change(form, existing, answer)
}

fn change(form: &Form, existing: &Submission, answer: Answer<'_>) -> Result<Submission, FormError> {
    may_edit(
        form,
        existing,
        &answer.person.id,
        answer.now_ms,
        answer.offset_minutes,
    )?;
    let mut changed = existing.clone();
    changed.values = answer.values;
    changed.version = answer.version.number;
    changed.updated_at_ms = answer.now_ms;
    changed.edits = changed.edits.saturating_add(1);
    Ok(changed)
}

/// Saves a draft for the person: their previous draft of this form (`existing`) is replaced,
/// keeping its id; otherwise a new one named `id`. A draft is not an answer: it gets no
/// serial number and is not counted anywhere.
pub fn save_draft(
    form: &Form,
    existing: Option<&Submission>,
    answer: Answer<'_>,
    id: impl Into<String>,
) -> Result<Submission, FormError> {
    check_version(form, answer.version)?;
    form.accepting(answer.now_ms, answer.offset_minutes)?;
    if !answer.in_audience {
        return Err(FormError::NotInAudience);
    }
    if let Some(d) = existing {
        if d.form_id != form.id || !d.is_by(&answer.person.id) {
            return Err(FormError::NotYours);
        }
        if d.status != SubmissionStatus::Draft {
            return Err(FormError::WrongState);
        }
    }
    Ok(Submission {
        id: existing.map_or_else(|| id.into(), |d| d.id.clone()),
        form_id: form.id.clone(),
        version: answer.version.number,
        respondent: Some(answer.person.clone()),
        values: answer.values,
        serial: None,
        status: SubmissionStatus::Draft,
        created_at_ms: existing.map_or(answer.now_ms, |d| d.created_at_ms),
        submitted_at_ms: None,
        updated_at_ms: answer.now_ms,
        edits: 0,
    })
}

/// Which answers a results list shows. Empty criteria match everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    #[serde(default)]
    pub version: Option<u32>,
    /// Person id (no anonymous answer matches).
    #[serde(default)]
    pub respondent: Option<String>,
    /// Submitted at or after.
    #[serde(default)]
    pub from_ms: Option<i64>,
    /// Submitted before.
    #[serde(default)]
    pub to_ms: Option<i64>,
    /// Case-insensitive text in the serial number, the respondent's name or any value.
    #[serde(default)]
    pub text: Option<String>,
    /// `(field, value)`: the field's value is, or (a list) contains, `value`.
    #[serde(default)]
    pub equals: Option<(String, String)>,
}

impl Filter {
    pub fn matches(&self, s: &Submission) -> bool {
        let at = s.submitted_at_ms.unwrap_or(s.created_at_ms);
        s.is_submitted()
            && self.version.is_none_or(|v| s.version == v)
            && self.respondent.as_deref().is_none_or(|p| s.is_by(p))
            && self.from_ms.is_none_or(|f| at >= f)
            && self.to_ms.is_none_or(|t| at < t)
            && self.text.as_deref().is_none_or(|t| contains_text(s, t))
            && self
                .equals
                .as_ref()
                .is_none_or(|(field, value)| equals(s.values.get(field), value))
    }
}

/// The submitted answers matching `filter`, newest first.
pub fn filter<'a>(submissions: &'a [Submission], filter: &Filter) -> Vec<&'a Submission> {
    let mut out: Vec<&Submission> = submissions.iter().filter(|s| filter.matches(s)).collect();
    out.sort_by(|a, b| {
        (b.submitted_at_ms, &b.serial, &b.id).cmp(&(a.submitted_at_ms, &a.serial, &a.id))
    });
    out
}

fn contains_text(s: &Submission, text: &str) -> bool {
    let needle = text.trim().to_lowercase();
    if needle.is_empty() {
        return true;
    }
    let hit = |t: &str| t.to_lowercase().contains(&needle);
    s.serial.as_deref().is_some_and(hit)
        || s.respondent.as_ref().is_some_and(|p| hit(&p.name))
        || s.values.values().any(|v| value_contains(v, &hit, 0))
}

fn value_contains(v: &Value, hit: &dyn Fn(&str) -> bool, depth: usize) -> bool {
    if depth > 4 {
        return false;
    }
    match v {
        Value::String(t) => hit(t),
        Value::Number(n) => hit(&n.to_string()),
        Value::Array(items) => items.iter().any(|i| value_contains(i, hit, depth + 1)),
        Value::Object(m) => m.values().any(|i| value_contains(i, hit, depth + 1)),
        _ => false,
    }
}

fn equals(v: Option<&Value>, wanted: &str) -> bool {
    match v {
        Some(Value::String(s)) => s == wanted,
        Some(Value::Number(n)) => n.to_string() == wanted,
        Some(Value::Bool(b)) => (if *b { "true" } else { "false" }) == wanted,
        Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(wanted)),
        _ => wanted.is_empty(),
    }
}

#[cfg(test)]
mod tests;
