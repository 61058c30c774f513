//! Records (capability `records`): your own types, stored as versioned JSON documents in
//! named collections of the organization, each linked to the people, groups and messages it
//! concerns — so you can ask "requests waiting for this approver", and the host knows whose
//! data it is.
//!
//! ```ignore
//! #[derive(Serialize, Deserialize)]
//! struct Request { title: String, status: Status, amount: Money }
//!
//! const REQUESTS: Collection<Request> = Collection::new("requests");
//!
//! // Create, linked to the people involved.
//! let req = REQUESTS.insert(Request { title, status: Status::Waiting, amount }, vec![
//!     Link::person("submitter", ctx.person()?.id.clone()),
//!     Link::person("approver", &approver.id),
//! ])?;
//!
//! // Change it safely under concurrency: the closure reruns if someone wrote first.
//! REQUESTS.update(&req.id, |r| { r.status = Status::Approved; Ok(()) })?;
//!
//! // Find what waits for me, newest first, a page at a time.
//! let mine = REQUESTS.find("approver", &Target::person(me), None, 20)?;
//! ```
//!
//! Collection and relation names are 1 to 64 letters, digits, `-`, `_` or `.`; a record
//! holds at most 64 KiB of JSON and 50 links.

use std::borrow::Cow;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::courtyard::plugin::records as raw;
use crate::{Error, ErrorKind, HostError, Result};

pub use raw::{Link, Record, Target};

/// How often [`Collection::update`] rereads and retries after losing a race.
const RETRIES: usize = 10;

impl Target {
    pub fn person(id: impl Into<String>) -> Self {
        Target::Person(id.into())
    }
    pub fn group(id: impl Into<String>) -> Self {
        Target::Group(id.into())
    }
    pub fn message(id: impl Into<String>) -> Self {
        Target::Message(id.into())
    }
    /// The id of whatever it names.
    pub fn id(&self) -> &str {
        match self {
            Target::Person(id) | Target::Group(id) | Target::Message(id) => id,
        }
    }
}

impl PartialEq for Target {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Target::Person(a), Target::Person(b))
            | (Target::Group(a), Target::Group(b))
            | (Target::Message(a), Target::Message(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Target {}

impl Link {
    /// `Link::person("approver", id)`: the record concerns this person in this role.
    pub fn person(rel: impl Into<String>, id: impl Into<String>) -> Self {
        Link::to(rel, Target::person(id))
    }
    pub fn group(rel: impl Into<String>, id: impl Into<String>) -> Self {
        Link::to(rel, Target::group(id))
    }
    pub fn message(rel: impl Into<String>, id: impl Into<String>) -> Self {
        Link::to(rel, Target::message(id))
    }
    pub fn to(rel: impl Into<String>, target: Target) -> Self {
        Link {
            rel: rel.into(),
            target,
        }
    }
}

impl PartialEq for Link {
    fn eq(&self, other: &Self) -> bool {
        self.rel == other.rel && self.target == other.target
    }
}

impl Eq for Link {}

/// A record read from a collection: your value with its id, links and version. Derefs to
/// the value.
#[derive(Clone, Debug)]
pub struct Versioned<T> {
    pub id: String,
    pub value: T,
    pub links: Vec<Link>,
    /// Starts at 1; every write increments it. 0: not stored yet.
    pub version: u64,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl<T> Versioned<T> {
    /// A record not stored yet; [`Collection::save`] creates it.
    pub fn new(id: impl Into<String>, value: T) -> Self {
        Versioned {
            id: id.into(),
            value,
            links: Vec::new(),
            version: 0,
            created_ms: 0,
            updated_ms: 0,
        }
    }

    pub fn with_link(mut self, link: Link) -> Self {
        self.links.push(link);
        self
    }

    /// Ids of everything linked by `rel`.
    pub fn linked(&self, rel: &str) -> impl Iterator<Item = &str> {
        self.links
            .iter()
            .filter(move |l| l.rel == rel)
            .map(|l| l.target.id())
    }

    /// Whether the record is linked to `target` by `rel`.
    pub fn is_linked(&self, rel: &str, target: &Target) -> bool {
        self.links
            .iter()
            .any(|l| l.rel == rel && &l.target == target)
    }

    /// Links `target` by `rel` unless it already is.
    pub fn link(&mut self, rel: &str, target: Target) {
        if !self.is_linked(rel, &target) {
            self.links.push(Link::to(rel, target));
        }
    }

    /// Removes the links by `rel` to `target`.
    pub fn unlink(&mut self, rel: &str, target: &Target) {
        self.links
            .retain(|l| !(l.rel == rel && &l.target == target));
    }
}

impl<T> std::ops::Deref for Versioned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> std::ops::DerefMut for Versioned<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

/// One page of records, newest update first, and the cursor of the next page if there is
/// one.
#[derive(Clone, Debug)]
pub struct Batch<T> {
    pub items: Vec<Versioned<T>>,
    pub next: Option<String>,
}

impl<T> IntoIterator for Batch<T> {
    type Item = Versioned<T>;
    type IntoIter = std::vec::IntoIter<Versioned<T>>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// A named collection of `T`. Declare it once: `const TASKS: Collection<Task> =
/// Collection::new("tasks");`.
pub struct Collection<T> {
    name: Cow<'static, str>,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Collection<T> {
    fn clone(&self) -> Self {
        Collection {
            name: self.name.clone(),
            _type: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for Collection<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Collection({})", self.name)
    }
}

impl<T> Collection<T> {
    pub const fn new(name: &'static str) -> Self {
        Collection {
            name: Cow::Borrowed(name),
            _type: PhantomData,
        }
    }

    /// A collection whose name is only known at run time.
    pub fn named(name: impl Into<String>) -> Self {
        Collection {
            name: Cow::Owned(name.into()),
            _type: PhantomData,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

fn decode<T: DeserializeOwned>(r: Record) -> Result<Versioned<T>> {
    let value = serde_json::from_str(&r.data).map_err(|e| {
        Error::new(
            ErrorKind::Data,
            format!("record `{}/{}` could not be read: {e}", r.collection, r.id),
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

fn decode_page<T: DeserializeOwned>(
    (records, next): (Vec<Record>, Option<String>),
) -> Result<Batch<T>> {
    Ok(Batch {
        items: records.into_iter().map(decode).collect::<Result<_>>()?,
        next,
    })
}

/// A fresh, time-ordered id: milliseconds in base 36 and 64 random bits.
pub fn new_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::hash::RandomState::new().build_hasher();
    h.write_i64(crate::clock::now_ms());
    format!(
        "{}{}",
        base36(crate::clock::now_ms().max(0) as u64, 9),
        base36(h.finish(), 13)
    )
}

fn base36(mut n: u64, width: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    String::from_utf8(out).unwrap_or_default()
}

impl<T: Serialize + DeserializeOwned> Collection<T> {
    /// The record `id`, if it exists.
    pub fn get(&self, id: &str) -> Result<Option<Versioned<T>>> {
        raw::get(&self.name, id)?.map(decode).transpose()
    }

    /// The record `id`, or a "not found" error.
    pub fn load(&self, id: &str) -> Result<Versioned<T>> {
        self.get(id)?
            .ok_or_else(|| Error::not_found(format!("`{}/{id}` not found", self.name)))
    }

    /// Stores a new record under `id`; a conflict error if `id` exists.
    pub fn create(&self, id: &str, value: T, links: Vec<Link>) -> Result<Versioned<T>> {
        let mut record = Versioned::new(id, value);
        record.links = links;
        self.save(&mut record)?;
        Ok(record)
    }

    /// Stores a new record under a fresh id (see [`new_id`]).
    pub fn insert(&self, value: T, links: Vec<Link>) -> Result<Versioned<T>> {
        let mut record = Versioned::new(new_id(), value);
        record.links = links;
        for _ in 0..3 {
            match self.save(&mut record) {
                Err(e) if e.is_conflict() => record.id = new_id(),
                Err(e) => return Err(e),
                Ok(()) => return Ok(record),
            }
        }
        Err(Error::from(HostError::Conflict))
    }

    /// Writes `record` if nobody wrote it since it was read (or creates it at version 0),
    /// then updates its version. A [`ErrorKind::Conflict`] error means someone wrote first:
    /// read it again.
    pub fn save(&self, record: &mut Versioned<T>) -> Result<()> {
        let version = self.put(&record.id, &record.value, &record.links, record.version)?;
        let now = crate::clock::now_ms();
        if record.version == 0 {
            record.created_ms = now;
        }
        record.version = version;
        record.updated_ms = now;
        Ok(())
    }

    /// The raw write: stores `value` at `expected_version` (0: create); the new version.
    pub fn put(&self, id: &str, value: &T, links: &[Link], expected_version: u64) -> Result<u64> {
        let data = serde_json::to_string(value)?;
        Ok(raw::put(&self.name, id, &data, links, expected_version)?)
    }

    /// Read, change, write — rerun from a fresh read if someone else wrote in between (up
    /// to 10 times). The change may run more than once; keep side effects out of it.
    /// "Not found" if the record does not exist.
    pub fn update<F>(&self, id: &str, mut change: F) -> Result<Versioned<T>>
    where
        F: FnMut(&mut T) -> Result<()>,
    {
        self.update_with(id, |record| change(&mut record.value))
    }

    /// Like [`Collection::update`], with the whole record (to change its links too).
    pub fn update_with<F>(&self, id: &str, mut change: F) -> Result<Versioned<T>>
    where
        F: FnMut(&mut Versioned<T>) -> Result<()>,
    {
        for _ in 0..RETRIES {
            let mut record = self.load(id)?;
            change(&mut record)?;
            match self.save(&mut record) {
                Err(e) if e.is_conflict() => continue,
                Err(e) => return Err(e),
                Ok(()) => return Ok(record),
            }
        }
        Err(Error::from(HostError::Conflict))
    }

    /// Deletes the record; whether it existed.
    pub fn delete(&self, id: &str) -> Result<bool> {
        Ok(raw::delete(&self.name, id)?)
    }

    /// Records linked to `target` by `rel` (any relation when `rel` is empty), newest update
    /// first; pass the previous page's `next` as `cursor` for the next page. The host caps
    /// `limit` at 100.
    pub fn find(
        &self,
        rel: &str,
        target: &Target,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Batch<T>> {
        decode_page(raw::find(&self.name, rel, target, cursor, limit)?)
    }

    /// Up to `max` records linked to `target` by `rel`, following pages.
    pub fn find_all(&self, rel: &str, target: &Target, max: usize) -> Result<Vec<Versioned<T>>> {
        collect(max, |cursor, limit| self.find(rel, target, cursor, limit))
    }

    /// All records of the collection, newest update first, a page at a time.
    pub fn list(&self, cursor: Option<&str>, limit: u32) -> Result<Batch<T>> {
        decode_page(raw::list(&self.name, cursor, limit)?)
    }

    /// Up to `max` records of the collection, following pages.
    pub fn list_all(&self, max: usize) -> Result<Vec<Versioned<T>>> {
        collect(max, |cursor, limit| self.list(cursor, limit))
    }
}

fn collect<T>(
    max: usize,
    mut page: impl FnMut(Option<&str>, u32) -> Result<Batch<T>>,
) -> Result<Vec<Versioned<T>>> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    while out.len() < max {
        let want = (max - out.len()).min(100) as u32;
        let batch = page(cursor.as_deref(), want)?;
        let done = batch.items.is_empty() || batch.next.is_none();
        out.extend(batch.items);
        cursor = batch.next;
        if done {
            break;
        }
    }
    out.truncate(max);
    Ok(out)
}
