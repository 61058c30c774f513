//! What the plugin keeps and everything it asks of the host, behind one trait: [`Host`]. The
//! plugin runs on [`Live`] (the SDK's records, people, groups, messages and interop); unit
//! tests run the same code on an in-memory fake (`testkit`), so flows that need the approvals
//! plugin can be tested before it exists.
//!
//! Collections (records):
//! - `config` — one record, id `org`: the working calendar, the leave types and the default
//!   work schedule ([`Config`]);
//! - `employees` — one record per person (id = person id, linked `person`): hiring dates, an
//!   optional work schedule, and the person's ledger head ([`Account`]);
//! - `entries` — ledger entries (id = the entry's deterministic id, linked `person`);
//! - `requests` — leave requests (linked `person` → the submitter, `group` → where it was
//!   asked, `delegate` → the stand-in, if any).

use std::marker::PhantomData;

use courtyard_sdk::records::{Link, Target, Versioned};
use courtyard_sdk::{Card, Error, ErrorKind, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::amount::Amount;
use crate::calendar::{Calendar, WorkSchedule};
use crate::date::Date;
use crate::ledger::Entry;
use crate::policy::{self, I18n, LeaveType};
use crate::request::{ExistingRequest, Span, Status};

/// How often a read-change-write reruns after losing a race.
pub const RETRIES: usize = 8;

/// Everything the plugin needs from outside: time, records, people, groups, messages and
/// the approvals plugin.
pub trait Host {
    fn now_ms(&self) -> i64;
    /// Today in the organization's time zone.
    fn today(&self) -> Date;
    /// The date of an instant in the organization's time zone.
    fn date_of(&self, at_ms: i64) -> Date;
    /// A fresh record id.
    fn new_id(&self) -> String;

    fn get(&self, collection: &str, id: &str) -> Result<Option<Versioned<Value>>>;
    /// Writes `value` if the record is still at `expected_version` (0: create); the new
    /// version, or an [`ErrorKind::Conflict`] error.
    fn put(
        &self,
        collection: &str,
        id: &str,
        value: &Value,
        links: &[Link],
        expected_version: u64,
    ) -> Result<u64>;
    fn delete(&self, collection: &str, id: &str) -> Result<bool>;
    /// Up to `max` records linked to `target` by `rel`.
    fn find(
        &self,
        collection: &str,
        rel: &str,
        target: &Target,
        max: usize,
    ) -> Result<Vec<Versioned<Value>>>;
    /// Up to `max` records of the collection.
    fn list(&self, collection: &str, max: usize) -> Result<Vec<Versioned<Value>>>;

    /// A person's display name, `None` if there is no such person (or they cannot be seen).
    fn person_name(&self, id: &str) -> Result<Option<String>>;
    /// The members of a group where the plugin is enabled: (id, display name).
    fn group_members(&self, group_id: &str) -> Result<Vec<(String, String)>>;

    /// Calls `operation` of another plugin.
    fn call(&self, plugin: &str, operation: &str, input: &Value) -> Result<Value>;
    /// Posts a card to a group; the message id.
    fn post_card(&self, group_id: &str, card: Card) -> Result<String>;
    /// Replaces one of the plugin's cards.
    fn update_card(&self, message_id: &str, card: Card) -> Result<()>;
    /// A warning in the plugin's logs (for admins).
    fn warn(&self, message: &str);
}

/// The real host, through the SDK.
pub struct Live;

fn raw(name: &str) -> courtyard_sdk::records::Collection<Value> {
    courtyard_sdk::records::Collection::named(name.to_owned())
}

impl Host for Live {
    fn now_ms(&self) -> i64 {
        courtyard_sdk::clock::now_ms()
    }

    fn today(&self) -> Date {
        Date::today()
    }

    fn date_of(&self, at_ms: i64) -> Date {
        Date::of_ms(at_ms)
    }

    fn new_id(&self) -> String {
        courtyard_sdk::records::new_id()
    }

    fn get(&self, collection: &str, id: &str) -> Result<Option<Versioned<Value>>> {
        raw(collection).get(id)
    }

    fn put(
        &self,
        collection: &str,
        id: &str,
        value: &Value,
        links: &[Link],
        expected_version: u64,
    ) -> Result<u64> {
        raw(collection).put(id, value, links, expected_version)
    }

    fn delete(&self, collection: &str, id: &str) -> Result<bool> {
        raw(collection).delete(id)
    }

    fn find(
        &self,
        collection: &str,
        rel: &str,
        target: &Target,
        max: usize,
    ) -> Result<Vec<Versioned<Value>>> {
        raw(collection).find_all(rel, target, max)
    }

    fn list(&self, collection: &str, max: usize) -> Result<Vec<Versioned<Value>>> {
        raw(collection).list_all(max)
    }

    fn person_name(&self, id: &str) -> Result<Option<String>> {
        match courtyard_sdk::people::get(id) {
            Ok(p) => Ok(Some(p.display_name)),
            Err(courtyard_sdk::HostError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn group_members(&self, group_id: &str) -> Result<Vec<(String, String)>> {
        Ok(courtyard_sdk::groups::members(group_id)?
            .into_iter()
            .map(|p| (p.id, p.display_name))
            .collect())
    }

    fn call(&self, plugin: &str, operation: &str, input: &Value) -> Result<Value> {
        courtyard_sdk::interop::call(plugin, operation, input)
    }

    fn post_card(&self, group_id: &str, card: Card) -> Result<String> {
        courtyard_sdk::messages::post_card(group_id, card)
    }

    fn update_card(&self, message_id: &str, card: Card) -> Result<()> {
        courtyard_sdk::messages::update_card(message_id, card)
    }

    fn warn(&self, message: &str) {
        courtyard_sdk::log::warn(message)
    }
}

/// A typed collection over a [`Host`].
pub struct Coll<T> {
    name: &'static str,
    _type: PhantomData<fn() -> T>,
}

fn decode<T: DeserializeOwned>(collection: &str, r: Versioned<Value>) -> Result<Versioned<T>> {
    let value = T::deserialize(&r.value).map_err(|e| {
        Error::new(
            ErrorKind::Data,
            format!("record `{collection}/{}` could not be read: {e}", r.id),
        )
    })?;
    Ok(Versioned {
        id: r.id,
        value,
        links: r.links,
        version: r.version,
        created_ms: r.created_ms,
        updated_ms: r.updated_ms,
    })
}

impl<T: Serialize + DeserializeOwned> Coll<T> {
    pub const fn new(name: &'static str) -> Coll<T> {
        Coll {
            name,
            _type: PhantomData,
        }
    }

    pub fn get(&self, h: &dyn Host, id: &str) -> Result<Option<Versioned<T>>> {
        h.get(self.name, id)?
            .map(|r| decode(self.name, r))
            .transpose()
    }

    /// Writes the record at the version it was read at (0: creates it); a conflict error if
    /// someone wrote first.
    pub fn save(&self, h: &dyn Host, record: &mut Versioned<T>) -> Result<()> {
        let value = serde_json::to_value(&record.value)?;
        let version = h.put(self.name, &record.id, &value, &record.links, record.version)?;
        let now = h.now_ms();
        if record.version == 0 {
            record.created_ms = now;
        }
        record.version = version;
        record.updated_ms = now;
        Ok(())
    }

    pub fn delete(&self, h: &dyn Host, id: &str) -> Result<bool> {
        h.delete(self.name, id)
    }

    pub fn find(
        &self,
        h: &dyn Host,
        rel: &str,
        target: &Target,
        max: usize,
    ) -> Result<Vec<Versioned<T>>> {
        h.find(self.name, rel, target, max)?
            .into_iter()
            .map(|r| decode(self.name, r))
            .collect()
    }

    pub fn list(&self, h: &dyn Host, max: usize) -> Result<Vec<Versioned<T>>> {
        h.list(self.name, max)?
            .into_iter()
            .map(|r| decode(self.name, r))
            .collect()
    }

    /// Read, change, write; reruns from a fresh read when someone wrote in between. `missing`
    /// makes the record when it does not exist yet (`None`: "not found").
    pub fn update_or<F, M>(
        &self,
        h: &dyn Host,
        id: &str,
        missing: M,
        mut change: F,
    ) -> Result<Versioned<T>>
    where
        F: FnMut(&mut Versioned<T>) -> Result<()>,
        M: Fn() -> Option<Versioned<T>>,
    {
        for _ in 0..RETRIES {
            let mut record = match self.get(h, id)? {
                Some(r) => r,
                None => missing()
                    .ok_or_else(|| Error::not_found(format!("`{}/{id}` not found", self.name)))?,
            };
            change(&mut record)?;
            match self.save(h, &mut record) {
                Err(e) if e.is_conflict() => continue,
                Err(e) => return Err(e),
                Ok(()) => return Ok(record),
            }
        }
        Err(busy())
    }

    /// [`Coll::update_or`] for a record that must exist.
    pub fn update<F>(&self, h: &dyn Host, id: &str, change: F) -> Result<Versioned<T>>
    where
        F: FnMut(&mut Versioned<T>) -> Result<()>,
    {
        self.update_or(h, id, || None, change)
    }
}

/// Too many writers at once, even after retrying.
pub fn busy() -> Error {
    Error::new(
        ErrorKind::Conflict,
        "too many changes at the same moment; try again / 同时修改的人太多，请重试",
    )
}

pub const CONFIG: Coll<Config> = Coll::new("config");
pub const EMPLOYEES: Coll<Account> = Coll::new("employees");
pub const ENTRIES: Coll<Entry> = Coll::new("entries");
pub const REQUESTS: Coll<LeaveRequest> = Coll::new("requests");

/// The id of the one `config` record.
pub const CONFIG_ID: &str = "org";

/// Most records any one listing reads (a person's entries, all requests for an export…).
pub const MAX_LIST: usize = 20_000;

/// The organization's leave configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub calendar: Calendar,
    #[serde(default = "policy::default_leave_types")]
    pub types: Vec<LeaveType>,
    /// Everyone's work schedule unless their employee record names their own.
    #[serde(default)]
    pub schedule: WorkSchedule,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            calendar: Calendar::default(),
            types: policy::default_leave_types(),
            schedule: WorkSchedule::default(),
        }
    }
}

/// The configuration, or the defaults (version 0) when nobody has changed them yet.
pub fn load_config(h: &dyn Host) -> Result<Versioned<Config>> {
    Ok(CONFIG
        .get(h, CONFIG_ID)?
        .unwrap_or_else(|| Versioned::new(CONFIG_ID, Config::default())))
}

/// Changes the configuration safely under concurrency.
pub fn update_config(
    h: &dyn Host,
    change: impl FnMut(&mut Versioned<Config>) -> Result<()>,
) -> Result<Versioned<Config>> {
    CONFIG.update_or(
        h,
        CONFIG_ID,
        || Some(Versioned::new(CONFIG_ID, Config::default())),
        change,
    )
}

/// A person as the leave plugin knows them: what HR set (hiring dates, schedule) and the
/// head of their ledger. Every change to the person's balance commits here first (see
/// `books`), which is what makes two submissions at the same moment take turns.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub person_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub hired: Option<Date>,
    /// Where seniority counts from; `hired` when not set.
    #[serde(default)]
    pub seniority_from: Option<Date>,
    /// Their own work schedule, if not the organization's.
    #[serde(default)]
    pub schedule: Option<WorkSchedule>,
    /// Entries committed to the ledger and not yet written as `entries` records.
    #[serde(default)]
    pub journal: Vec<Entry>,
    /// Time held by their pending and approved requests, for the overlap check and the
    /// team calendar.
    #[serde(default)]
    pub holds: Vec<ExistingRequest>,
}

impl Account {
    pub fn new(person_id: &str, name: &str) -> Account {
        Account {
            person_id: person_id.into(),
            name: name.into(),
            ..Account::default()
        }
    }

    /// The person as the allocation rules see them, once HR set a hiring date.
    pub fn employee(&self) -> Option<policy::Employee> {
        self.hired.map(|hired| policy::Employee {
            person_id: self.person_id.clone(),
            seniority_from: self.seniority_from.unwrap_or(hired),
            hired,
        })
    }
}

/// A new, unsaved account record for a person, linked to them.
pub fn new_account(person_id: &str, name: &str) -> Versioned<Account> {
    Versioned::new(person_id, Account::new(person_id, name))
        .with_link(Link::person("person", person_id))
}

/// Someone named on a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// The approvals plugin's request for a leave request or its cancellation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRef {
    pub request_id: String,
    #[serde(default)]
    pub serial: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelStatus {
    Pending,
    Approved,
    Rejected,
    Withdrawn,
}

/// Cancelling approved leave (销假) goes through approval again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    #[serde(default)]
    pub approval: Option<ApprovalRef>,
    pub status: CancelStatus,
    pub at_ms: i64,
}

/// A step in a request's life, shown on its card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Submitted,
    Approved,
    Rejected,
    Withdrawn,
    /// The approval was revoked after it was given.
    Revoked,
    CancelRequested,
    CancelApproved,
    CancelRejected,
    CancelWithdrawn,
}

impl StepKind {
    pub fn en(self) -> &'static str {
        match self {
            StepKind::Submitted => "Submitted",
            StepKind::Approved => "Approved",
            StepKind::Rejected => "Rejected",
            StepKind::Withdrawn => "Withdrawn",
            StepKind::Revoked => "Approval revoked",
            StepKind::CancelRequested => "Cancellation requested",
            StepKind::CancelApproved => "Cancellation approved",
            StepKind::CancelRejected => "Cancellation rejected",
            StepKind::CancelWithdrawn => "Cancellation withdrawn",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            StepKind::Submitted => "已提交",
            StepKind::Approved => "已批准",
            StepKind::Rejected => "已驳回",
            StepKind::Withdrawn => "已撤回",
            StepKind::Revoked => "审批已撤销",
            StepKind::CancelRequested => "申请销假",
            StepKind::CancelApproved => "销假已批准",
            StepKind::CancelRejected => "销假被驳回",
            StepKind::CancelWithdrawn => "销假已撤回",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub at_ms: i64,
    pub kind: StepKind,
    #[serde(default)]
    pub by: Option<Named>,
    #[serde(default)]
    pub comment: Option<String>,
}

/// A leave request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeaveRequest {
    pub person_id: String,
    pub person_name: String,
    /// The group it was asked in: where its card and the notice go.
    pub group_id: String,
    /// The leave type as it was when the request was made (its id, name and unit).
    pub leave_type: LeaveType,
    pub span: Span,
    /// In the type's base: half-days, or minutes for hour types.
    pub amount: Amount,
    /// The amount in days (hours ÷ the work schedule's hours per day for hour types).
    pub days: f64,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub delegate: Option<Named>,
    /// A reference to the supporting document (files are not available yet).
    #[serde(default)]
    pub certificate: Option<String>,
    pub status: Status,
    #[serde(default)]
    pub approval: Option<ApprovalRef>,
    #[serde(default)]
    pub cancellation: Option<Cancellation>,
    /// The request's card in its group.
    #[serde(default)]
    pub card_id: Option<String>,
    /// The "on leave" notice posted on approval.
    #[serde(default)]
    pub notice_id: Option<String>,
    /// Whether the delegate was handed the person's approval tasks.
    #[serde(default)]
    pub delegated: bool,
    #[serde(default)]
    pub history: Vec<Step>,
    pub submitted_ms: i64,
    #[serde(default)]
    pub decided_ms: Option<i64>,
}

impl LeaveRequest {
    pub fn type_name(&self) -> &I18n {
        &self.leave_type.name
    }

    /// Records a step unless the same step is already the last one (callbacks may repeat).
    pub fn step(&mut self, at_ms: i64, kind: StepKind, by: Option<Named>, comment: Option<String>) {
        if self.history.last().is_some_and(|s| s.kind == kind) {
            return;
        }
        self.history.push(Step {
            at_ms,
            kind,
            by,
            comment,
        });
    }

    /// Whether a cancellation is waiting for approval.
    pub fn cancelling(&self) -> bool {
        self.cancellation
            .as_ref()
            .is_some_and(|c| c.status == CancelStatus::Pending)
    }
}

/// The links of a new request record.
pub fn request_links(request: &LeaveRequest) -> Vec<Link> {
    let mut links = vec![
        Link::person("person", &request.person_id),
        Link::group("group", &request.group_id),
    ];
    if let Some(d) = &request.delegate {
        links.push(Link::person("delegate", &d.id));
    }
    links
}

/// The ledger entries the records hold for a person (without the journal).
pub fn stored_entries(h: &dyn Host, person_id: &str) -> Result<Vec<Entry>> {
    Ok(ENTRIES
        .find(h, "person", &Target::person(person_id), MAX_LIST)?
        .into_iter()
        .map(|r| r.value)
        .collect())
}

/// An amount in days or hours as a plain number ("1.5"), for CSV and the approvals form.
pub fn amount_number(amount: Amount) -> f64 {
    match amount.unit {
        crate::amount::Base::HalfDays => amount.value as f64 / 2.0,
        crate::amount::Base::Minutes => amount.value as f64 / 60.0,
    }
}

/// Days an amount is worth: half-days halved, minutes divided by the schedule's day.
pub fn amount_days(amount: Amount, schedule: &WorkSchedule) -> f64 {
    match amount.unit {
        crate::amount::Base::HalfDays => amount.value as f64 / 2.0,
        crate::amount::Base::Minutes => {
            amount.value as f64 / 60.0 / f64::from(schedule.hours_per_day.max(1))
        }
    }
}
