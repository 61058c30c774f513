//! Every change to a form goes through here: read it, check who may do it, apply a domain
//! operation, write it back with a versioned write (rerunning on a lost race), then bring
//! its cards up to date. A refusal ([`Fail`]) changes nothing.

use std::cell::RefCell;
use std::collections::HashMap;

use courtyard_sdk::prelude::*;
use courtyard_sdk::{HostError, messages};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::cards;
use crate::domain::anonymity::respondent_key;
use crate::domain::definition::Audience;
use crate::domain::render::{RenderOptions, render};
use crate::domain::stats::{self, Answered, Outstanding};
use crate::domain::submission::{self, Answer, Outcome, Prior};
use crate::domain::time::{DAY_MS, HOUR_MS};
use crate::domain::{
    Definition, DefinitionError, Form, FormError, FormStatus, Kind, Lang, PersonRef, Settings,
    Submission, Version, templates,
};
use crate::names::Names;
use crate::store::{self, Posted, Stored};
use crate::who::Who;

/// A refusal: an HTTP status, a stable code, a message in the reader's language and, for a
/// definition, every problem with the field at fault.
#[derive(Clone, Debug, PartialEq)]
pub struct Fail {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub errors: Vec<Value>,
}

pub type R<T> = std::result::Result<T, Fail>;

impl Fail {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Fail {
        Fail {
            status,
            code: code.to_owned(),
            message: message.into(),
            errors: Vec::new(),
        }
    }

    pub fn bad(code: &str, lang: Lang, en: &str, zh: &str) -> Fail {
        Fail::new(400, code, lang.pick(en, zh))
    }

    pub fn not_found(lang: Lang) -> Fail {
        Fail::new(
            404,
            "not_found",
            lang.pick("There is no such form.", "没有这个表单。"),
        )
    }

    pub fn form(e: &FormError, lang: Lang) -> Fail {
        let status = match e {
            FormError::Forbidden | FormError::NotYours | FormError::NotInAudience => 403,
            FormError::AlreadyAnswered | FormError::StaleVersion => 409,
            FormError::UnknownVersion(_) => 404,
            _ => 400,
        };
        let errors = match e {
            FormError::Invalid(list) => list.iter().map(|d| problem(d, lang)).collect(),
            _ => Vec::new(),
        };
        Fail {
            status,
            code: e.code().to_owned(),
            message: e.message(lang),
            errors,
        }
    }

    pub fn definition(errors: Vec<DefinitionError>, lang: Lang) -> Fail {
        Fail::form(&FormError::Invalid(errors), lang)
    }

    pub fn body(&self) -> Value {
        let mut body = json!({"code": self.code, "message": self.message});
        if !self.errors.is_empty() {
            body["errors"] = Value::Array(self.errors.clone());
        }
        body
    }
}

fn problem(d: &DefinitionError, lang: Lang) -> Value {
    json!({"path": d.path(), "code": d.code(), "message": d.message(lang)})
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        let (status, code) = match e.kind {
            ErrorKind::User | ErrorKind::Invalid | ErrorKind::Data => (400, "invalid"),
            ErrorKind::NotFound => (404, "not_found"),
            ErrorKind::Denied => (403, "forbidden"),
            ErrorKind::Conflict => (409, "conflict"),
            ErrorKind::Quota => (507, "quota"),
            _ => (503, "unavailable"),
        };
        Fail::new(status, code, e.message)
    }
}

impl From<Fail> for Error {
    fn from(f: Fail) -> Error {
        match f.status {
            404 => Error::not_found(f.message),
            _ => Error::user(f.message),
        }
    }
}

/// Now, and the organization's offset from UTC.
pub fn now() -> (i64, i32) {
    let now = courtyard_sdk::clock::now_ms();
    (now, courtyard_sdk::clock::utc_offset_minutes(now))
}

/// The form `id`, whoever asks.
pub fn load(id: &str, lang: Lang) -> R<Versioned<Stored>> {
    store::forms().get(id)?.ok_or_else(|| Fail::not_found(lang))
}

/// Which audience groups a person belongs to, asked once per group and call.
#[derive(Default)]
pub struct Members {
    seen: RefCell<HashMap<(String, String), bool>>,
}

impl Members {
    pub fn is_member(&self, group_id: &str, person_id: &str) -> bool {
        let key = (group_id.to_owned(), person_id.to_owned());
        if let Some(&hit) = self.seen.borrow().get(&key) {
            return hit;
        }
        let member = courtyard_sdk::groups::is_member(group_id, person_id).unwrap_or(false);
        self.seen.borrow_mut().insert(key, member);
        member
    }

    /// Whether the form is addressed to the person.
    pub fn in_audience(&self, audience: &Audience, person_id: &str) -> bool {
        audience.people.iter().any(|p| p == person_id)
            || audience.groups.iter().any(|g| self.is_member(g, person_id))
    }
}

/// Whether `who` may see the form at all: its managers always, its audience once published.
pub fn may_see(who: &Who, s: &Stored, members: &Members) -> bool {
    may_manage(who, s)
        || (s.form.status != FormStatus::Draft
            && members.in_audience(&s.form.settings.audience, &who.id))
}

pub fn may_manage(who: &Who, s: &Stored) -> bool {
    s.form.may_manage(&who.id, who.admin)
}

/// The form, for one of its managers (others: "forbidden", or "not found" when they may not
/// even see it).
pub fn managed(who: &Who, id: &str) -> R<Versioned<Stored>> {
    let record = load(id, who.lang)?;
    if may_manage(who, &record.value) {
        Ok(record)
    } else if may_see(who, &record.value, &Members::default()) {
        Err(Fail::form(&FormError::Forbidden, who.lang))
    } else {
        Err(Fail::not_found(who.lang))
    }
}

/// The form, for anyone who may see it.
pub fn visible(who: &Who, id: &str) -> R<Versioned<Stored>> {
    let record = load(id, who.lang)?;
    if may_see(who, &record.value, &Members::default()) {
        Ok(record)
    } else {
        Err(Fail::not_found(who.lang))
    }
}

/// Read, change and write the form, rerunning on a lost race; the change is refused with
/// nothing stored.
pub fn update_form<F>(id: &str, lang: Lang, mut change: F) -> R<Versioned<Stored>>
where
    F: FnMut(&mut Stored) -> R<()>,
{
    let mut refused: Option<Fail> = None;
    let saved = store::forms().update_with(id, |record| {
        refused = None;
        if let Err(f) = change(&mut record.value) {
            refused = Some(f);
            return Err(Error::user("refused"));
        }
        if !store::fits(&record.value) {
            refused = Some(too_large(lang));
            return Err(Error::user("refused"));
        }
        record.links = store::form_links(&record.value);
        Ok(())
    });
    match (saved, refused) {
        (_, Some(f)) => Err(f),
        (Ok(r), None) => Ok(r),
        (Err(e), None) if e.is_not_found() => Err(Fail::not_found(lang)),
        (Err(e), None) => Err(e.into()),
    }
}

fn too_large(lang: Lang) -> Fail {
    Fail::bad(
        "too_large",
        lang,
        "This is too large to keep (at most 60 KiB): shorten long texts, split the table, or address fewer groups and people.",
        "内容过大，无法保存（最多 60 KiB）：请缩短长文本、拆分表格，或减少填写范围中的群组和人员。",
    )
}

/// What the domain does not check: an anonymous form may not ask for files (a file names
/// who uploaded it).
pub fn own_checks(def: &Definition, settings: &Settings, lang: Lang) -> R<()> {
    if !settings.anonymous {
        return Ok(());
    }
    let mut errors = Vec::new();
    for f in &def.fields {
        let files = f.kind == Kind::File || f.columns.iter().any(|c| c.kind == Kind::File);
        if files {
            errors.push(json!({
                "path": f.name,
                "code": "anonymous_file",
                "message": lang.pick(
                    "an anonymous form cannot ask for files: a file names who uploaded it.",
                    "匿名表单不能上传附件：附件会显示上传人。",
                ),
            }));
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    let mut f = Fail::bad(
        "anonymous_file",
        lang,
        "An anonymous form cannot ask for files: a file names who uploaded it.",
        "匿名表单不能上传附件：附件会显示上传人。",
    );
    f.errors = errors;
    Err(f)
}

fn read_definition(value: &Value, lang: Lang) -> R<Definition> {
    Definition::from_json(value).map_err(|errors| Fail::definition(errors, lang))
}

/// What creating a form takes: a template, a definition (builder JSON), or a template with
/// a definition replacing its questions; and settings over the template's (the audience
/// defaults to the group the call is made in).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewForm {
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub definition: Option<Value>,
    /// Only the settings named change: `{"deadline_ms": …}` keeps the rest.
    #[serde(default)]
    pub settings: Option<Value>,
}

const SETTINGS: [&str; 5] = [
    "audience",
    "deadline_ms",
    "repeatable",
    "editable",
    "anonymous",
];

/// `current` with the settings `patch` names (`null` clears a deadline).
pub fn patched(current: &Settings, patch: &Value, lang: Lang) -> R<Settings> {
    let bad = |detail: String| {
        Fail::new(
            400,
            "invalid_settings",
            match lang {
                Lang::En => format!("The settings are not right: {detail}"),
                Lang::Zh => format!("设置不正确：{detail}"),
            },
        )
    };
    let Value::Object(patch) = patch else {
        return Err(bad(lang.pick("send an object", "应为对象").into()));
    };
    if let Some(k) = patch.keys().find(|k| !SETTINGS.contains(&k.as_str())) {
        return Err(bad(match lang {
            Lang::En => format!("“{k}” is not a setting (they are {})", SETTINGS.join(", ")),
            Lang::Zh => format!("没有“{k}”这项设置（可用：{}）", SETTINGS.join("、")),
        }));
    }
    let mut merged = serde_json::to_value(current).map_err(|e| bad(e.to_string()))?;
    for (k, v) in patch {
        merged[k] = v.clone();
    }
    serde_json::from_value(merged).map_err(|e| bad(e.to_string()))
}

/// Creates a draft form owned by `who`.
pub fn create(who: &Who, new: NewForm) -> R<(Stored, Definition)> {
    let lang = who.lang;
    if !who.may_create() {
        return Err(Fail::new(
            403,
            "forbidden",
            lang.pick(
                "Only members of the organization (or, where the group says so, its admins) design forms.",
                "只有本组织成员（或按群组设置，仅管理员）可以设计表单。",
            ),
        ));
    }
    let (now, offset) = now();
    let id = courtyard_sdk::records::new_id();
    let (mut form, mut def) = match new.template.as_deref() {
        Some(t) => templates::get(t)
            .ok_or_else(|| unknown_template(t, lang))?
            .instantiate(&id, who.person(), now, offset),
        None => {
            let Some(value) = &new.definition else {
                return Err(Fail::bad(
                    "invalid",
                    lang,
                    "Send a template or a definition.",
                    "请提供模板或表单定义。",
                ));
            };
            let def = read_definition(value, lang)?;
            let form = Form::new(
                &id,
                who.person(),
                def.title.clone(),
                Settings::default(),
                now,
            );
            (form, def)
        }
    };
    if let (Some(_), Some(value)) = (&new.template, &new.definition) {
        def = read_definition(value, lang)?;
    }
    form.check_draft(&def).map_err(|e| Fail::form(&e, lang))?;
    let mut settings = match &new.settings {
        Some(patch) => patched(&form.settings, patch, lang)?,
        None => form.settings.clone(),
    };
    if settings.audience.groups.is_empty()
        && settings.audience.people.is_empty()
        && let Some(g) = &who.group_id
    {
        settings.audience.groups.push(g.clone());
    }
    form.set_settings(settings, now, offset)
        .map_err(|e| Fail::form(&e, lang))?;
    own_checks(&def, &form.settings, lang)?;
    form.draft_saved(&def, now);
    let stored = Stored {
        form,
        secret: String::new(),
        home_group: who.group_id.clone(),
        cards: Vec::new(),
        answers: 0,
    };
    if !store::fits(&stored) {
        return Err(too_large(lang));
    }
    store::definitions().create(&id, def.clone(), Vec::new())?;
    store::forms().create(&id, stored.clone(), store::form_links(&stored))?;
    Ok((stored, def))
}

pub fn unknown_template(t: &str, lang: Lang) -> Fail {
    let ids: Vec<&str> = templates::builtin().iter().map(|t| t.id).collect();
    Fail::new(
        404,
        "unknown_template",
        match lang {
            Lang::En => format!("There is no template “{t}”; try one of {}.", ids.join(", ")),
            Lang::Zh => format!("没有模板“{t}”，可用模板：{}。", ids.join("、")),
        },
    )
}

/// What editing a form takes: a new working copy, new settings (only those named change),
/// or both.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    #[serde(default)]
    pub definition: Option<Value>,
    #[serde(default)]
    pub settings: Option<Value>,
}

/// Saves the working copy and/or the settings: checked together, stored together or not at
/// all. A published form keeps answering its latest version until it is published again.
pub fn save(who: &Who, id: &str, edit: Edit) -> R<(Stored, Definition)> {
    let lang = who.lang;
    let record = managed(who, id)?;
    let (now, offset) = now();
    let current = store::definitions().load(id)?;
    let def = match &edit.definition {
        Some(v) => read_definition(v, lang)?,
        None => current.value.clone(),
    };
    record
        .value
        .form
        .check_draft(&def)
        .map_err(|e| Fail::form(&e, lang))?;
    let mut probe = record.value.form.clone();
    if let Some(patch) = &edit.settings {
        let settings = patched(&probe.settings, patch, lang)?;
        probe
            .set_settings(settings, now, offset)
            .map_err(|e| Fail::form(&e, lang))?;
    }
    own_checks(&def, &probe.settings, lang)?;
    let saved = update_form(id, lang, |s| {
        if let Some(patch) = &edit.settings {
            let settings = patched(&s.form.settings, patch, lang)?;
            s.form
                .set_settings(settings, now, offset)
                .map_err(|e| Fail::form(&e, lang))?;
        }
        s.form.draft_saved(&def, now);
        Ok(())
    })?;
    if edit.definition.is_some() {
        let mut working = current;
        working.value = def.clone();
        store::definitions().save(&mut working).map_err(|e| {
            if e.is_conflict() {
                Fail::form(&FormError::StaleVersion, lang)
            } else {
                e.into()
            }
        })?;
    }
    if edit.settings.is_some() && saved.value.form.status == FormStatus::Published {
        set_timers(&saved.value);
        refresh_cards(&saved.value);
    }
    Ok((saved.value, def))
}

/// Checks that every group of the audience has Forms enabled (its card goes there) and
/// every person is someone the publisher can see.
fn check_audience(audience: &Audience, lang: Lang) -> R<()> {
    for g in &audience.groups {
        if courtyard_sdk::groups::get(g).is_err() {
            return Err(Fail::new(
                400,
                "group_not_enabled",
                match lang {
                    Lang::En => format!(
                        "Forms is not enabled in the group {g} (or there is no such group): enable it there before publishing to it."
                    ),
                    Lang::Zh => {
                        format!("群组 {g} 未启用表单插件（或没有这个群组），请先在该群启用。")
                    }
                },
            ));
        }
    }
    for p in &audience.people {
        if courtyard_sdk::people::get(p).is_err() {
            return Err(Fail::new(
                400,
                "unknown_person",
                match lang {
                    Lang::En => format!("There is no person {p} that you can see."),
                    Lang::Zh => format!("找不到你能看到的人员 {p}。"),
                },
            ));
        }
    }
    Ok(())
}

/// Stores a new version. One left behind by a publication that could not finish (its
/// number is above the form's latest) is replaced.
fn write_version(v: &Version, lang: Lang) -> R<()> {
    let id = store::version_id(&v.form_id, v.number);
    let stale = |e: Error| {
        if e.is_conflict() {
            Fail::form(&FormError::StaleVersion, lang)
        } else {
            e.into()
        }
    };
    match store::versions().get(&id)? {
        None => {
            store::versions()
                .create(&id, v.clone(), Vec::new())
                .map_err(stale)?;
        }
        Some(mut left) => {
            left.value = v.clone();
            store::versions().save(&mut left).map_err(stale)?;
        }
    }
    Ok(())
}

/// Publishes the working copy: a new version when it changed, the form open for answers, a
/// card in every audience group (updated in place from then on) and an invitation to every
/// person addressed directly. Reopens a closed form.
pub fn publish(who: &Who, id: &str) -> R<(Stored, Option<Version>)> {
    let lang = who.lang;
    let record = managed(who, id)?;
    let def = store::definitions().load(id)?.value;
    own_checks(&def, &record.value.form.settings, lang)?;
    let (now, offset) = now();
    let latest = match record.value.form.latest_version {
        0 => None,
        n => {
            Some(store::version(id, n)?.ok_or_else(|| Fail::form(&FormError::StaleVersion, lang))?)
        }
    };
    // Everything is checked on a copy first; then the version, then the form, is stored.
    let mut probe = record.value.form.clone();
    let version = probe
        .publish(&def, latest.as_ref(), &who.id, now, offset)
        .map_err(|e| Fail::form(&e, lang))?;
    check_audience(&record.value.form.settings.audience, lang)?;
    if let Some(v) = &version {
        write_version(v, lang)?;
    }
    let saved = update_form(id, lang, |s| {
        s.form
            .publish(&def, latest.as_ref(), &who.id, now, offset)
            .map(|_| ())
            .map_err(|e| Fail::form(&e, lang))
    })?;
    let stored = post_cards(saved.value, &def, lang)?;
    if version.is_some() {
        invite_people(&stored, &def, lang);
    }
    set_timers(&stored);
    Ok((stored, version))
}

/// Stops taking answers; the cards say so.
pub fn close(who: &Who, id: &str) -> R<Stored> {
    let lang = who.lang;
    managed(who, id)?;
    let (now, _) = now();
    let saved = update_form(id, lang, |s| {
        s.form.close(now).map_err(|e| Fail::form(&e, lang))
    })?;
    for key in timer_keys(id) {
        let _ = courtyard_sdk::timers::cancel(&key);
    }
    refresh_cards(&saved.value);
    Ok(saved.value)
}

fn timer_keys(id: &str) -> [String; 2] {
    [format!("remind.{id}"), format!("deadline.{id}")]
}

/// A reminder a day before the deadline, and the cards redrawn when it passes.
fn set_timers(s: &Stored) {
    let [remind, deadline] = timer_keys(&s.form.id);
    let (now, _) = now();
    let result = match s.form.settings.deadline_ms {
        Some(d) if d > now => {
            let early = d - DAY_MS;
            let r = if early > now + HOUR_MS {
                courtyard_sdk::timers::set(&remind, early, &s.form.id).map(|_| ())
            } else {
                courtyard_sdk::timers::cancel(&remind).map(|_| ())
            };
            r.and(courtyard_sdk::timers::set(&deadline, d, &s.form.id).map(|_| ()))
        }
        _ => courtyard_sdk::timers::cancel(&remind)
            .and(courtyard_sdk::timers::cancel(&deadline))
            .map(|_| ()),
    };
    if let Err(e) = result {
        courtyard_sdk::log::warn(&format!("could not set the timers of {}: {e}", s.form.id));
    }
}

/// The people a form is addressed to: the members of its groups and the people named.
pub fn audience(form: &Form) -> Vec<PersonRef> {
    let mut out = Vec::new();
    for g in &form.settings.audience.groups {
        match courtyard_sdk::groups::members(g) {
            Ok(members) => out.extend(
                members
                    .into_iter()
                    .map(|m| PersonRef::new(m.id, m.display_name)),
            ),
            Err(e) => courtyard_sdk::log::warn(&format!("members of {g}: {e}")),
        }
    }
    for p in &form.settings.audience.people {
        let name = courtyard_sdk::people::get(p)
            .map(|x| x.display_name)
            .unwrap_or_else(|_| p.clone());
        out.push(PersonRef::new(p.clone(), name));
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(p.id.clone()));
    out
}

/// How many people the form is addressed to (for its cards: no names asked).
pub fn audience_size(form: &Form) -> usize {
    let mut ids: std::collections::HashSet<String> =
        form.settings.audience.people.iter().cloned().collect();
    for g in &form.settings.audience.groups {
        if let Ok(members) = courtyard_sdk::groups::members(g) {
            ids.extend(members.into_iter().map(|m| m.id));
        }
    }
    ids.len()
}

fn latest_definition(s: &Stored) -> Option<Definition> {
    store::version(&s.form.id, s.form.latest_version)
        .ok()
        .flatten()
        .map(|v| v.definition)
}

/// Posts the form's card in every audience group that has none yet and redraws the others;
/// the cards posted are kept with the form.
fn post_cards(stored: Stored, def: &Definition, lang: Lang) -> R<Stored> {
    let people = audience_size(&stored.form);
    let mut posted = Vec::new();
    for g in &stored.form.settings.audience.groups {
        if stored.cards.iter().any(|c| &c.group_id == g) {
            continue;
        }
        let card = cards::form_card(&stored, def, people, lang);
        match messages::post_card(g, card) {
            Ok(message_id) => posted.push(Posted {
                group_id: g.clone(),
                message_id,
                lang,
            }),
            Err(e) => courtyard_sdk::log::warn(&format!("could not post in {g}: {e}")),
        }
    }
    let stored = if posted.is_empty() {
        stored
    } else {
        update_form(&stored.form.id, lang, |s| {
            for p in &posted {
                if !s.cards.iter().any(|c| c.group_id == p.group_id) {
                    s.cards.push(p.clone());
                }
            }
            Ok(())
        })?
        .value
    };
    refresh_cards_with(&stored, def, people, &posted);
    Ok(stored)
}

/// Redraws every card of the form (the count of answers, the status).
pub fn refresh_cards(s: &Stored) {
    if s.cards.is_empty() {
        return;
    }
    refresh_cards_with(s, &shown(s), audience_size(&s.form), &[]);
}

/// What the form's cards show: its latest version, or the working copy of a draft.
pub fn shown(s: &Stored) -> Definition {
    latest_definition(s)
        .or_else(|| {
            store::definitions()
                .get(&s.form.id)
                .ok()
                .flatten()
                .map(|d| d.value)
        })
        .unwrap_or_default()
}

fn refresh_cards_with(s: &Stored, shown: &Definition, people: usize, skip: &[Posted]) {
    for c in s.cards.iter().filter(|c| !skip.contains(c)) {
        let card = cards::form_card(s, shown, people, c.lang);
        if let Err(e) = messages::update_card(&c.message_id, card) {
            courtyard_sdk::log::warn(&format!("could not update {}: {e}", c.message_id));
        }
    }
}

/// An invitation in the direct conversation of every person the form names (people of the
/// plugin's organization only: the host sends nobody else's).
fn invite_people(s: &Stored, def: &Definition, lang: Lang) {
    let card = cards::invitation(s, def, inline_form(s, lang), lang);
    for p in &s.form.settings.audience.people {
        if let Err(e) = messages::send_card(p, card.clone()) {
            courtyard_sdk::log::warn(&format!("could not invite {p}: {e}"));
        }
    }
}

/// What a submit did.
pub struct Done {
    pub submission: Submission,
    /// A new answer (rather than a change to the person's answer).
    pub created: bool,
}

/// The version a person filled in (`{form}:{n}`, the rendered form's value).
pub fn parse_value(value: &str, lang: Lang) -> R<(String, u32)> {
    value
        .rsplit_once(':')
        .and_then(|(f, n)| Some((f.to_owned(), n.parse().ok()?)))
        .ok_or_else(|| Fail::not_found(lang))
}

fn load_version(form_id: &str, n: u32, lang: Lang) -> R<Version> {
    store::version(form_id, n)?.ok_or_else(|| Fail::form(&FormError::UnknownVersion(n), lang))
}

fn check_size(values: &Map<String, Value>, lang: Lang) -> R<()> {
    let size = serde_json::to_vec(values).map_or(usize::MAX, |v| v.len());
    if size + 2048 > store::MAX_RECORD_BYTES {
        return Err(Fail::bad(
            "too_large",
            lang,
            "This answer is too large to keep (at most 58 KiB): shorten long texts or send fewer table rows.",
            "答案过大，无法保存（最多 58 KiB）：请缩短长文本或减少表格行数。",
        ));
    }
    Ok(())
}

/// The file ids an answer holds (file fields and file columns).
fn file_ids(version: &Version, values: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for f in &version.definition.fields {
        match (f.kind, values.get(&f.name)) {
            (Kind::File, Some(Value::String(id))) => out.push(id.clone()),
            (Kind::Table, Some(Value::Array(rows))) => {
                for c in f.columns.iter().filter(|c| c.kind == Kind::File) {
                    out.extend(
                        rows.iter()
                            .filter_map(|r| r.get(&c.name)?.as_str().map(str::to_owned)),
                    );
                }
            }
            _ => {}
        }
    }
    out
}

/// Lets the form's owner open the files of a named answer.
fn share_files(s: &Stored, version: &Version, values: &Map<String, Value>) {
    for id in file_ids(version, values) {
        if let Err(e) = courtyard_sdk::files::share(&id, &[s.form.owner.id.as_str()]) {
            courtyard_sdk::log::warn(&format!("could not share {id}: {e}"));
        }
    }
}

fn answer<'a>(
    person: &'a PersonRef,
    in_audience: bool,
    version: &'a Version,
    values: &Map<String, Value>,
    now: (i64, i32),
) -> Answer<'a> {
    Answer {
        person,
        in_audience,
        version,
        values: values.clone(),
        now_ms: now.0,
        offset_minutes: now.1,
    }
}

/// Submits an answer to version `n`: a new answer with the next serial number, or (a form
/// taking one answer each, editable) the person's answer changed. The host has already
/// checked the values against the version's form.
pub fn submit(who: &Who, form_id: &str, n: u32, values: Map<String, Value>) -> R<Done> {
    let lang = who.lang;
    let record = load(form_id, lang)?;
    let version = load_version(form_id, n, lang)?;
    check_size(&values, lang)?;
    let at = now();
    let person = who.person();
    let s = &record.value;
    let members = Members::default();
    let in_audience = members.in_audience(&s.form.settings.audience, &who.id);
    let refuse = |e: FormError| Fail::form(&e, lang);
    let done = if s.form.settings.anonymous {
        submit_anonymous(s, &person, in_audience, &version, &values, at, lang)?
    } else {
        let repeatable = s.form.settings.repeatable;
        let existing = if repeatable {
            None
        } else {
            store::answer_of(form_id, &who.id)?
        };
        match existing {
            Some(mut mine) => {
                let mut probe = s.form.clone();
                let a = answer(&person, in_audience, &version, &values, at);
                match submission::submit(&mut probe, a, Prior::Answer(&mine.value), "")
                    .map_err(refuse)?
                {
                    Outcome::Updated(changed) => {
                        mine.value = changed;
                        store::answers(form_id).save(&mut mine).map_err(|e| {
                            if e.is_conflict() {
                                refuse(FormError::StaleVersion)
                            } else {
                                e.into()
                            }
                        })?;
                        Done {
                            submission: mine.value,
                            created: false,
                        }
                    }
                    Outcome::Created { .. } => return Err(refuse(FormError::AlreadyAnswered)),
                }
            }
            None => {
                let id = if repeatable {
                    courtyard_sdk::records::new_id()
                } else {
                    who.id.clone()
                };
                let created = take_serial(
                    form_id,
                    &person,
                    in_audience,
                    &version,
                    &values,
                    at,
                    &id,
                    lang,
                )?;
                let links = vec![Link::person("respondent", who.id.clone())];
                match store::answers(form_id).create(&id, created.clone(), links) {
                    Ok(_) => {}
                    Err(e) => {
                        uncount(form_id, lang);
                        // The person's other answer, sent at the same moment, came first:
                        // this one changes it where answers may change.
                        if e.is_conflict() && s.form.settings.editable {
                            return submit(who, form_id, n, values);
                        }
                        return Err(if e.is_conflict() {
                            refuse(FormError::AlreadyAnswered)
                        } else {
                            e.into()
                        });
                    }
                }
                Done {
                    submission: created,
                    created: true,
                }
            }
        }
    };
    let _ = store::drafts().delete(&store::draft_id(form_id, &who.id));
    if !s.form.settings.anonymous {
        share_files(s, &version, &values);
    }
    if done.created {
        refresh_latest(form_id);
    }
    Ok(done)
}

/// Redraws the cards from the latest record, again if an answer came in meanwhile (two
/// answers at the same moment each redraw; the last one drawn shows the latest count).
pub fn refresh_latest(form_id: &str) {
    let mut drawn = None;
    for _ in 0..3 {
        let Ok(Some(now)) = store::forms().get(form_id) else {
            return;
        };
        if drawn == Some(now.version) {
            return;
        }
        refresh_cards(&now.value);
        drawn = Some(now.version);
    }
}

/// Takes the form's next serial number (and counts the answer) with a versioned write; the
/// new answer to store.
#[allow(clippy::too_many_arguments)]
fn take_serial(
    form_id: &str,
    person: &PersonRef,
    in_audience: bool,
    version: &Version,
    values: &Map<String, Value>,
    at: (i64, i32),
    id: &str,
    lang: Lang,
) -> R<Submission> {
    let mut created = None;
    update_form(form_id, lang, |s| {
        let a = answer(person, in_audience, version, values, at);
        match submission::submit(&mut s.form, a, Prior::Nothing, id) {
            Ok(Outcome::Created { submission, .. }) => {
                s.answers += 1;
                created = Some(submission);
                Ok(())
            }
            Ok(Outcome::Updated(_)) => Err(Fail::form(&FormError::AlreadyAnswered, lang)),
            Err(e) => Err(Fail::form(&e, lang)),
        }
    })?;
    created.ok_or_else(|| Fail::form(&FormError::StaleVersion, lang))
}

/// An answer that could not be stored after its number was taken: not counted after all.
fn uncount(form_id: &str, lang: Lang) {
    let _ = update_form(form_id, lang, |s| {
        s.answers = s.answers.saturating_sub(1);
        Ok(())
    });
    refresh_latest(form_id);
}

/// An anonymous answer: the person's key goes on the roll (the guard against a second
/// answer), the number is taken, and the answer is stored under a random id with no person.
fn submit_anonymous(
    s: &Stored,
    person: &PersonRef,
    in_audience: bool,
    version: &Version,
    values: &Map<String, Value>,
    at: (i64, i32),
    lang: Lang,
) -> R<Done> {
    let form_id = s.form.id.as_str();
    let refuse = |e: FormError| Fail::form(&e, lang);
    let secret = store::secret_of(s)?;
    let key = respondent_key(&secret, form_id, &person.id);
    let prior = if store::on_roll(form_id, &key)? {
        Prior::OnRoll
    } else {
        Prior::Nothing
    };
    // Checked on a copy first: the deadline, the audience, one answer each.
    let mut probe = s.form.clone();
    submission::submit(
        &mut probe,
        answer(person, in_audience, version, values, at),
        prior,
        "",
    )
    .map_err(refuse)?;
    let added = store::add_to_roll(form_id, &key)?;
    if !added && !s.form.settings.repeatable {
        return Err(refuse(FormError::AlreadyAnswered));
    }
    let id = store::random_id()?;
    let created = take_serial(form_id, person, in_audience, version, values, at, &id, lang);
    let created = match created {
        Ok(c) => c,
        Err(f) => {
            if added {
                store::remove_from_roll(form_id, &key);
            }
            return Err(f);
        }
    };
    if let Err(e) = store::answers(form_id).create(&id, created.clone(), Vec::new()) {
        uncount(form_id, lang);
        if added {
            store::remove_from_roll(form_id, &key);
        }
        return Err(e.into());
    }
    Ok(Done {
        submission: created,
        created: true,
    })
}

/// Saves the person's draft of version `n`; it is not an answer and counts nowhere.
pub fn save_draft(who: &Who, form_id: &str, n: u32, values: Map<String, Value>) -> R<Submission> {
    let lang = who.lang;
    let record = load(form_id, lang)?;
    let version = load_version(form_id, n, lang)?;
    check_size(&values, lang)?;
    let at = now();
    let person = who.person();
    let in_audience = Members::default().in_audience(&record.value.form.settings.audience, &who.id);
    let id = store::draft_id(form_id, &who.id);
    for _ in 0..4 {
        let existing = store::drafts().get(&id)?;
        let draft = submission::save_draft(
            &record.value.form,
            existing.as_ref().map(|d| &d.value),
            answer(&person, in_audience, &version, &values, at),
            id.clone(),
        )
        .map_err(|e| Fail::form(&e, lang))?;
        let written = match existing {
            Some(mut d) => {
                d.value = draft.clone();
                store::drafts().save(&mut d)
            }
            None => store::drafts()
                .create(
                    &id,
                    draft.clone(),
                    vec![Link::person("person", who.id.clone())],
                )
                .map(|_| ()),
        };
        match written {
            Ok(()) => return Ok(draft),
            Err(e) if e.is_conflict() => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::from(HostError::Conflict).into())
}

/// The form to fill in for `who`: the latest version, filled in with their draft, or with
/// their answer when they may change it (`draft`: the form to save a draft with).
pub fn fill_form(who: &Who, form_id: &str, draft: bool) -> R<courtyard_sdk::Form> {
    let lang = who.lang;
    let record = load(form_id, lang)?;
    let s = &record.value;
    let (now, offset) = now();
    let refuse = |e: FormError| Fail::form(&e, lang);
    s.form.accepting(now, offset).map_err(refuse)?;
    if !Members::default().in_audience(&s.form.settings.audience, &who.id) {
        return Err(refuse(FormError::NotInAudience));
    }
    let version = load_version(form_id, s.form.latest_version, lang)?;
    let mut prefill = None;
    let mut serial = None;
    if !s.form.settings.repeatable {
        if s.form.settings.anonymous {
            let key = respondent_key(&store::secret_of(s)?, form_id, &who.id);
            if store::on_roll(form_id, &key)? {
                return Err(refuse(FormError::AlreadyAnswered));
            }
        } else if let Some(mine) = store::answer_of(form_id, &who.id)? {
            match submission::may_edit(&s.form, &mine.value, &who.id, now, offset) {
                Ok(()) => {
                    prefill = Some(mine.value.values.clone());
                    serial = mine.value.serial.clone();
                }
                Err(FormError::NotEditable) => return Err(refuse(FormError::AlreadyAnswered)),
                Err(e) => return Err(refuse(e)),
            }
            if draft {
                return Err(Fail::bad(
                    "answered",
                    lang,
                    "You have answered already: change your answer with “Fill in”.",
                    "你已提交过答案，请通过“填写”修改。",
                ));
            }
        }
    }
    if prefill.is_none()
        && let Some(d) = store::drafts().get(&store::draft_id(form_id, &who.id))?
    {
        prefill = Some(d.value.values);
    }
    let names = Names::default();
    let value = format!("{form_id}:{}", version.number);
    let json = render(
        &version,
        &RenderOptions {
            lang,
            action_id: if draft {
                crate::forms::DRAFT
            } else {
                crate::forms::ANSWER
            },
            value: &value,
            prefill: prefill.as_ref(),
            serial: serial.as_deref(),
            draft,
            lookup: &names,
        },
    );
    serde_json::from_value(json).map_err(|e| Error::from(e).into())
}

/// The latest version as a form to put on a personal card (nothing filled in).
pub fn inline_form(s: &Stored, lang: Lang) -> Option<courtyard_sdk::Form> {
    let version = store::version(&s.form.id, s.form.latest_version).ok()??;
    let value = format!("{}:{}", s.form.id, version.number);
    let names = Names::default();
    let json = render(
        &version,
        &RenderOptions {
            lang,
            action_id: crate::forms::ANSWER,
            value: &value,
            prefill: None,
            serial: None,
            draft: false,
            lookup: &names,
        },
    );
    serde_json::from_value(json).ok()
}

/// Who of the audience has not answered (a count only, for an anonymous form).
pub fn outstanding(s: &Stored) -> R<Outstanding> {
    let people = audience(&s.form);
    Ok(if s.form.settings.anonymous {
        let roll = store::roll(&s.form.id)?;
        let secret = store::secret_of(s)?;
        stats::outstanding(
            &people,
            Answered::Anonymous {
                roll: &roll,
                secret: &secret,
                form_id: &s.form.id,
            },
        )
    } else {
        let answers = store::all_answers(&s.form.id)?;
        stats::outstanding(&people, Answered::Named(&answers))
    })
}

/// What a reminder did. For an anonymous form nobody is named.
pub struct Reminded {
    pub sent: usize,
    /// People the host would not send to (another organization's).
    pub skipped: usize,
    pub people: Option<Vec<PersonRef>>,
}

/// Sends a reminder card to everyone of the audience who has not answered; `who` is `None`
/// for the reminder the deadline timer sends.
pub fn remind(who: Option<&Who>, id: &str) -> R<Reminded> {
    let lang = who.map_or(Lang::En, |w| w.lang);
    let record = match who {
        Some(w) => managed(w, id)?,
        None => load(id, lang)?,
    };
    let s = &record.value;
    let (now, offset) = now();
    s.form
        .accepting(now, offset)
        .map_err(|e| Fail::form(&e, lang))?;
    let people = audience(&s.form);
    let targets = if s.form.settings.anonymous {
        let roll = store::roll(id)?;
        let secret = store::secret_of(s)?;
        stats::reminder_targets(
            &people,
            Answered::Anonymous {
                roll: &roll,
                secret: &secret,
                form_id: id,
            },
        )
    } else {
        stats::reminder_targets(&people, Answered::Named(&store::all_answers(id)?))
    };
    let card_lang = who.map_or_else(|| s.cards.first().map_or(Lang::Zh, |c| c.lang), |w| w.lang);
    let card = cards::reminder(s, inline_form(s, card_lang), card_lang);
    let (mut sent, mut skipped) = (Vec::new(), 0);
    for t in &targets {
        match messages::send_card(t, card.clone()) {
            Ok(_) => sent.push(t.clone()),
            Err(_) => skipped += 1,
        }
    }
    let named = (!s.form.settings.anonymous).then(|| {
        people
            .iter()
            .filter(|p| sent.contains(&p.id))
            .cloned()
            .collect()
    });
    Ok(Reminded {
        sent: sent.len(),
        skipped,
        people: named,
    })
}

/// The results of a form for one of its managers: every version and every submitted
/// answer. An anonymous form shows them only once enough people have answered.
pub fn results(who: &Who, id: &str) -> R<(Stored, Vec<Version>, Vec<Submission>)> {
    let record = managed(who, id)?;
    let s = record.value;
    let versions = store::all_versions(&s.form)?;
    let answers: Vec<Submission> = store::all_answers(id)?
        .into_iter()
        .filter(Submission::is_submitted)
        .collect();
    if !crate::domain::anonymity::may_show_results(s.form.settings.anonymous, answers.len()) {
        let min = crate::domain::anonymity::MIN_ANONYMOUS_ANSWERS;
        let n = answers.len();
        return Err(Fail::new(
            403,
            "too_few_answers",
            match who.lang {
                Lang::En => format!(
                    "The results of an anonymous form are shown once at least {min} people have answered ({n} so far): with fewer, answers would name people by elimination."
                ),
                Lang::Zh => format!(
                    "匿名表单至少 {min} 人提交后才显示结果（目前 {n} 人），否则可以推断出填写人。"
                ),
            },
        ));
    }
    Ok((s, versions, answers))
}
