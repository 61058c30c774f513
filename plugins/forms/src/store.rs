//! What the plugin keeps, in records (each well under the host's 64 KiB per value):
//!
//! - `forms` — one per form (id = the form id): the domain [`Form`] (status, settings,
//!   version and serial counters), its anonymity secret, the cards posted for it and the
//!   count of answers; linked `owner` → the owner and `audience` → its groups;
//! - `definitions` — the working copy the builder edits (id = the form id);
//! - `versions` — one per publication, never changed (id = `{form}.{n}`);
//! - `answers.{form}` — the answers to one form, each a domain [`Submission`]: named
//!   answers linked `respondent` → the person (id = the person id when the form takes one
//!   answer each, so a second answer sent at the same moment cannot be stored), anonymous
//!   answers linked to nobody under a random id;
//! - `drafts` — one per person and form (id = `{form}.{person}`, linked `person`);
//! - `rolls` — who has answered an anonymous form, as respondent keys in 16 shards (id =
//!   `{form}.{first hex digit of the key}`), so a roll holds some 15,000 people.
//!
//! The serial counter and the roll change only through versioned writes
//! ([`Collection::update_with`]): two answers at the same moment get different numbers, and
//! a person's second answer to a one-answer form is refused even when both arrive together.

use courtyard_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::anonymity::{Roll, SECRET_BYTES};
use crate::domain::{Definition, Form, Lang, Submission, Version};

/// The most forms a list, page or command reads.
pub const MAX_FORMS: usize = 2000;
/// The most answers of one form the results read.
pub const MAX_ANSWERS: usize = 5000;
/// The largest record the plugin writes: the host refuses values over 64 KiB.
pub const MAX_RECORD_BYTES: usize = 60 * 1024;
/// Audience groups linked from a form record (the host allows 50 links).
const MAX_GROUP_LINKS: usize = 40;

/// A card posted for a form in one of its groups.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Posted {
    pub group_id: String,
    pub message_id: String,
    /// The language it is drawn in: its publisher's.
    pub lang: Lang,
}

/// A form as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Stored {
    pub form: Form,
    /// Empty for forms made since the secret moved to sealed storage (see [`secret_of`]);
    /// older forms keep theirs here, as hex.
    #[serde(default)]
    pub secret: String,
    /// The group the form was created in.
    #[serde(default)]
    pub home_group: Option<String>,
    #[serde(default)]
    pub cards: Vec<Posted>,
    /// Submitted answers (drafts do not count); changes with the serial counter.
    #[serde(default)]
    pub answers: u32,
}

pub fn forms() -> Collection<Stored> {
    Collection::named("forms")
}

pub fn definitions() -> Collection<Definition> {
    Collection::named("definitions")
}

pub fn versions() -> Collection<Version> {
    Collection::named("versions")
}

/// The answers to one form.
pub fn answers(form_id: &str) -> Collection<Submission> {
    Collection::named(format!("answers.{form_id}"))
}

pub fn drafts() -> Collection<Submission> {
    Collection::named("drafts")
}

pub fn rolls() -> Collection<Roll> {
    Collection::named("rolls")
}

pub fn version_id(form_id: &str, number: u32) -> String {
    format!("{form_id}.{number}")
}

pub fn draft_id(form_id: &str, person_id: &str) -> String {
    format!("{form_id}.{person_id}")
}

/// The shard of the roll a respondent key is kept in.
pub fn roll_id(form_id: &str, key: &str) -> String {
    format!("{form_id}.{}", key.get(..1).unwrap_or("0"))
}

pub fn form_links(stored: &Stored) -> Vec<Link> {
    let mut links = vec![Link::person("owner", stored.form.owner.id.clone())];
    links.extend(
        stored
            .form
            .settings
            .audience
            .groups
            .iter()
            .take(MAX_GROUP_LINKS)
            .map(|g| Link::group("audience", g.clone())),
    );
    links
}

/// Whether `value` fits in a record.
pub fn fits<T: Serialize>(value: &T) -> bool {
    serde_json::to_vec(value).is_ok_and(|v| v.len() <= MAX_RECORD_BYTES)
}

/// Random bytes from the host's WASI entropy source (the per-form anonymity secret).
/// No entropy means no secret worth having: the call fails rather than weakens it.
pub fn random_bytes(n: usize) -> Result<Vec<u8>> {
    let mut out = vec![0u8; n];
    getrandom::fill(&mut out).map_err(|e| {
        Error::new(
            ErrorKind::Unavailable,
            format!("no random source: {e} / 无法获得随机数"),
        )
    })?;
    Ok(out)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .filter_map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// The 32 bytes a form's respondent keys are made with (see `domain::anonymity`). They
/// live in the plugin's sealed storage, which the host keeps out of organization exports:
/// an export holds answers and respondent keys, never the secret that would link a key
/// back to a person. Forms made before carry theirs in the form record.
pub fn secret_of(stored: &Stored) -> Result<Vec<u8>> {
    if !stored.secret.is_empty() {
        return Ok(unhex(&stored.secret));
    }
    let secret = courtyard_sdk::storage::sealed_secret(&format!("forms/{}", stored.form.id))?;
    debug_assert_eq!(secret.len(), SECRET_BYTES);
    Ok(secret)
}

/// A random id for an anonymous answer: nothing about it comes from the person or the time.
pub fn random_id() -> Result<String> {
    Ok(hex(&random_bytes(16)?))
}

/// Every form (up to [`MAX_FORMS`]), newest change first.
pub fn all_forms() -> Result<Vec<Versioned<Stored>>> {
    forms().list_all(MAX_FORMS)
}

/// Version `number` of a form.
pub fn version(form_id: &str, number: u32) -> Result<Option<Version>> {
    Ok(versions()
        .get(&version_id(form_id, number))?
        .map(|r| r.value)
        .filter(|v| v.form_id == form_id && v.number == number))
}

/// Every published version of a form, oldest first.
pub fn all_versions(form: &Form) -> Result<Vec<Version>> {
    let mut out = Vec::new();
    for n in 1..=form.latest_version {
        if let Some(v) = version(&form.id, n)? {
            out.push(v);
        }
    }
    Ok(out)
}

/// The answers to a form (drafts are kept apart).
pub fn all_answers(form_id: &str) -> Result<Vec<Submission>> {
    Ok(answers(form_id)
        .list_all(MAX_ANSWERS)?
        .into_iter()
        .map(|r| r.value)
        .collect())
}

/// A person's latest answer to a named form.
pub fn answer_of(form_id: &str, person_id: &str) -> Result<Option<Versioned<Submission>>> {
    Ok(answers(form_id)
        .find("respondent", &Target::person(person_id), None, 1)?
        .items
        .into_iter()
        .next())
}

/// The whole roll of an anonymous form.
pub fn roll(form_id: &str) -> Result<Roll> {
    let mut roll = Roll::default();
    for shard in "0123456789abcdef".chars() {
        if let Some(r) = rolls().get(&format!("{form_id}.{shard}"))? {
            roll.merge(r.value);
        }
    }
    Ok(roll)
}

/// Whether `key` is on the form's roll.
pub fn on_roll(form_id: &str, key: &str) -> Result<bool> {
    Ok(rolls()
        .get(&roll_id(form_id, key))?
        .is_some_and(|r| r.value.contains(key)))
}

/// Adds a respondent key to the roll with a versioned write; whether it was new.
pub fn add_to_roll(form_id: &str, key: &str) -> Result<bool> {
    let id = roll_id(form_id, key);
    for _ in 0..8 {
        match rolls().get(&id)? {
            None => {
                let mut roll = Roll::default();
                roll.insert(key.to_owned());
                match rolls().create(&id, roll, Vec::new()) {
                    Ok(_) => return Ok(true),
                    Err(e) if e.is_conflict() => continue,
                    Err(e) => return Err(e),
                }
            }
            Some(_) => {
                let mut added = false;
                rolls().update_with(&id, |r| {
                    added = r.value.insert(key.to_owned());
                    Ok(())
                })?;
                return Ok(added);
            }
        }
    }
    Err(Error::from(courtyard_sdk::HostError::Conflict))
}

/// Takes a key off the roll again.
pub fn remove_from_roll(form_id: &str, key: &str) {
    let id = roll_id(form_id, key);
    if let Err(e) = rolls().update_with(&id, |r| {
        r.value.remove(key);
        Ok(())
    }) {
        courtyard_sdk::log::warn(&format!("could not take a key off a roll: {e}"));
    }
}
