//! Where a poll lives, and how concurrent votes are all counted exactly once.
//!
//! All in records (the host keeps 100 MiB of them per plugin and organization; its
//! key-value storage only 10 MiB, too little for years of ballots):
//!
//! - collection `polls`: the [`Poll`] (id = the poll id), linked `creator` → its creator,
//!   `group` → its group and `card` → its card;
//! - collection `ballots.{poll}`, ids `00`…`15`: the ballots, a [`Shard`] each, keyed by
//!   pseudonym (see `model`), created when their first ballot comes;
//! - collection `render`, id = the poll id: who is redrawing the poll's card ([`refresh`]);
//!
//! and in sealed storage `sealed/secret/polls`, the secret behind pseudonyms and sealed
//! ballots (`storage::sealed_secret`), never exported.
//!
//! **Concurrency.** Every ballot write is a versioned write of its shard: read, change,
//! write only if nobody wrote in between, otherwise read again ([`update`]). Two people
//! voting at the same moment either write different shards or one of them retries on top
//! of the other's write; nobody's vote is lost or counted twice, and re-voting replaces the
//! ballot under the same pseudonym.
//!
//! **Closing.** The poll is marked closed first; then every shard there is gets marked
//! closed the same way, and the final count is taken from the shards as closed. A vote
//! lands in a shard before it is closed (and is counted) or finds it closed (and is
//! refused). A vote that *creates* a shard after the closing looked — or after an
//! anonymous poll's shards were deleted — sees the poll closed when it checks right after
//! writing, and takes its ballot back ([`put_ballot`]).
//!
//! The logic is written against [`Kv`] so that it runs natively in tests (with threads
//! racing on an in-memory store) as well as on the host's records.

use std::cell::RefCell;
use std::collections::HashMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

use courtyard_sdk::host::records as raw;
use courtyard_sdk::{Error, ErrorKind, HostError, Result};

use crate::model::{Ballot, Shard, shard_of};

/// Storage with compare-and-set, keyed `{collection}/{id}`: the host's records, or an
/// in-memory map in tests.
pub trait Kv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Stores `value` if the current value is `expected` (`None`: absent) — as last read by
    /// [`Kv::get`] —; whether it did.
    fn cas(&self, key: &str, expected: Option<&[u8]>, value: &[u8]) -> Result<bool>;
    /// Keys and values under `prefix` (`{collection}/`), in key order (at most 100).
    fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>>;
    fn delete(&self, key: &str) -> Result<()>;
}

/// The host's records as [`Kv`]: a write names the version the last read of its key saw,
/// which is the compare in compare-and-set.
#[derive(Default)]
pub struct HostKv {
    versions: RefCell<HashMap<String, u64>>,
}

fn split(key: &str) -> Result<(&str, &str)> {
    key.split_once('/')
        .ok_or_else(|| Error::new(ErrorKind::Data, format!("bad key {key}")))
}

impl Kv for HostKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let (collection, id) = split(key)?;
        let record = raw::get(collection, id)?;
        let version = record.as_ref().map_or(0, |r| r.version);
        self.versions.borrow_mut().insert(key.to_owned(), version);
        Ok(record.map(|r| r.data.into_bytes()))
    }

    fn cas(&self, key: &str, expected: Option<&[u8]>, value: &[u8]) -> Result<bool> {
        let (collection, id) = split(key)?;
        let version = match expected {
            None => 0,
            Some(_) => self.versions.borrow().get(key).copied().unwrap_or(0),
        };
        let data = String::from_utf8_lossy(value);
        match raw::put(collection, id, &data, &[], version) {
            Ok(v) => {
                self.versions.borrow_mut().insert(key.to_owned(), v);
                Ok(true)
            }
            Err(HostError::Conflict) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        let collection = prefix.trim_end_matches('/');
        let (records, _) = raw::list(collection, None, 100)?;
        let mut out: Vec<(String, Vec<u8>)> = records
            .into_iter()
            .map(|r| (format!("{collection}/{}", r.id), r.data.into_bytes()))
            .collect();
        out.sort();
        Ok(out)
    }

    fn delete(&self, key: &str) -> Result<()> {
        let (collection, id) = split(key)?;
        raw::delete(collection, id)?;
        Ok(())
    }
}

/// How often a compare-and-set is tried before giving up. Each failed try means somebody
/// else's write succeeded, so this bounds how many writes may overtake one vote.
const ATTEMPTS: usize = 100;

/// What a change decided.
pub enum Step<R> {
    /// Write the changed value, then answer `R`.
    Write(R),
    /// Leave the value as it was, and answer `R`.
    Keep(R),
}

/// Read, change, compare-and-set; again from a fresh read if somebody wrote in between.
/// `change` may run several times: keep side effects out of it.
pub fn update<T, R>(
    kv: &dyn Kv,
    key: &str,
    mut change: impl FnMut(&mut T) -> Result<Step<R>>,
) -> Result<R>
where
    T: Serialize + DeserializeOwned + Default,
{
    for _ in 0..ATTEMPTS {
        let current = kv.get(key)?;
        let mut value: T = match &current {
            Some(bytes) => serde_json::from_slice(bytes)?,
            None => T::default(),
        };
        match change(&mut value)? {
            Step::Keep(r) => return Ok(r),
            Step::Write(r) => {
                let next = serde_json::to_vec(&value)?;
                if next.len() > 60 * 1024 {
                    return Err(Error::user(
                        "This poll is full: no more votes fit. / 该投票已满，无法再投票。",
                    ));
                }
                if kv.cas(key, current.as_deref(), &next)? {
                    return Ok(r);
                }
            }
        }
    }
    Err(Error::new(
        ErrorKind::Conflict,
        "Too many votes at the same moment; please try again. / 同时投票的人太多，请重试。",
    ))
}

pub fn shard_key(poll_id: &str, shard: usize) -> String {
    format!("ballots.{poll_id}/{shard:02}")
}

fn shards_prefix(poll_id: &str) -> String {
    format!("ballots.{poll_id}/")
}

/// What became of a ballot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Put {
    /// Stored (or removed); the ballot it replaced, if any.
    Done { previous: Option<Ballot> },
    /// The poll is closed: nothing was stored.
    Closed,
}

/// Stores the ballot under the voter's pseudonym `key` (replacing theirs), or removes it
/// (`None`). `make` builds the ballot; it may run more than once (a fresh nonce each time).
/// `closed` tells whether the poll is closed now (read afresh).
pub fn put_ballot(
    kv: &dyn Kv,
    poll_id: &str,
    key: &str,
    closed: &dyn Fn() -> Result<bool>,
    mut make: impl FnMut() -> Result<Option<Ballot>>,
) -> Result<Put> {
    let shard = shard_key(poll_id, shard_of(key));
    let put = update(kv, &shard, |s: &mut Shard| {
        if s.closed {
            return Ok(Step::Keep(Put::Closed));
        }
        let previous = match make()? {
            Some(ballot) => s.ballots.insert(key.to_owned(), ballot),
            None => match s.ballots.remove(key) {
                // Nothing to withdraw: nothing to write.
                None => return Ok(Step::Keep(Put::Done { previous: None })),
                some => some,
            },
        };
        Ok(Step::Write(Put::Done { previous }))
    })?;
    if put == Put::Closed || !closed()? {
        return Ok(put);
    }
    // The poll closed meanwhile. If the closing saw this shard, it is closed and the ballot
    // counted; if not, the ballot came too late and is taken back.
    let counted = update(kv, &shard, |s: &mut Shard| {
        if s.closed {
            return Ok(Step::Keep(true));
        }
        s.ballots.remove(key);
        Ok(Step::Write(false))
    })?;
    Ok(if counted { put } else { Put::Closed })
}

/// A voter's ballot, if they voted.
pub fn ballot_of(kv: &dyn Kv, poll_id: &str, key: &str) -> Result<Option<Ballot>> {
    let shard: Shard = match kv.get(&shard_key(poll_id, shard_of(key)))? {
        Some(bytes) => serde_json::from_slice(&bytes)?,
        None => Shard::default(),
    };
    Ok(shard.ballots.get(key).cloned())
}

/// Every shard of a poll (absent ones are empty and open).
pub fn shards(kv: &dyn Kv, poll_id: &str) -> Result<Vec<Shard>> {
    kv.scan(&shards_prefix(poll_id))?
        .into_iter()
        .map(|(_, bytes)| Ok(serde_json::from_slice(&bytes)?))
        .collect()
}

/// Closes every shard there is (the poll itself is marked closed before): from then on no
/// ballot is taken. Returns the shards as closed — the final ballots.
pub fn close_all(kv: &dyn Kv, poll_id: &str) -> Result<Vec<Shard>> {
    kv.scan(&shards_prefix(poll_id))?
        .into_iter()
        .map(|(key, _)| {
            update(kv, &key, |shard: &mut Shard| {
                if shard.closed {
                    return Ok(Step::Keep(shard.clone()));
                }
                shard.closed = true;
                Ok(Step::Write(shard.clone()))
            })
        })
        .collect()
}

/// Deletes the shards of a closed anonymous poll once its count is kept: nothing per voter
/// remains. (A vote racing the closing finds the poll closed and takes its ballot back.)
pub fn delete_all(kv: &dyn Kv, poll_id: &str) -> Result<()> {
    for (key, _) in kv.scan(&shards_prefix(poll_id))? {
        kv.delete(&key)?;
    }
    Ok(())
}

// ---- Redrawing the card ----

/// Who redraws a poll's card, and how many changes were announced.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize)]
struct Lease {
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    until_ms: i64,
    #[serde(default)]
    changes: u64,
}

/// How long a redrawer may hold the card before somebody else takes over (longer than a
/// plugin call may last, so a redrawer that was stopped mid-call is replaced).
const LEASE_MS: i64 = 5_000;
/// Redraws one call does before handing over to a timer.
const ROUNDS: usize = 12;

/// What [`refresh`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refreshed {
    /// Drew the card until nothing changed any more.
    Drawn,
    /// Somebody else is drawing it and will draw this change too.
    Delegated,
    /// Changes kept coming: the caller should have a timer draw it again soon.
    Busy,
}

fn render_key(poll_id: &str) -> String {
    format!("render/{poll_id}")
}

/// Announces a change of the poll and makes sure the card shows it.
///
/// The host replaces a card without compare-and-set, so two votes at the same moment could
/// leave the card showing the older count (each draws what it read, the slower write
/// wins). Instead, one caller at a time holds a lease and draws; the others only count a
/// change and leave. Before letting go, the drawer checks that no change was announced
/// since its last drawing — atomically with letting go — and draws again otherwise. So the
/// last drawing always comes after the last change, and a storm of votes costs a few
/// drawings rather than one per vote per vote. `draw` reads the poll afresh and replaces
/// the card.
pub fn refresh(
    kv: &dyn Kv,
    poll_id: &str,
    me: &str,
    now: &dyn Fn() -> i64,
    draw: &mut dyn FnMut() -> Result<()>,
) -> Result<Refreshed> {
    let key = render_key(poll_id);
    let owner = Some(me.to_owned());
    // Announce the change; take the lease if nobody holds it.
    let mut seen = match update(kv, &key, |l: &mut Lease| {
        l.changes += 1;
        if l.owner.is_some() && l.owner != owner && l.until_ms > now() {
            Ok(Step::Write(None))
        } else {
            l.owner = owner.clone();
            l.until_ms = now() + LEASE_MS;
            Ok(Step::Write(Some(l.changes)))
        }
    })? {
        Some(changes) => changes,
        None => return Ok(Refreshed::Delegated),
    };
    for _ in 0..ROUNDS {
        if let Err(e) = draw() {
            let _ = update(kv, &key, |l: &mut Lease| {
                if l.owner != owner {
                    return Ok(Step::Keep(()));
                }
                l.owner = None;
                Ok(Step::Write(()))
            });
            return Err(e);
        }
        // Let go if nothing changed since; otherwise keep the lease and draw again.
        let next = update(kv, &key, |l: &mut Lease| {
            if l.owner != owner {
                // Taken over (this call was too slow): the new holder draws.
                return Ok(Step::Keep(None));
            }
            if l.changes == seen {
                l.owner = None;
                Ok(Step::Write(None))
            } else {
                l.until_ms = now() + LEASE_MS;
                Ok(Step::Write(Some(l.changes)))
            }
        })?;
        match next {
            None => return Ok(Refreshed::Drawn),
            Some(changes) => seen = changes,
        }
    }
    update(kv, &key, |l: &mut Lease| {
        if l.owner != owner {
            return Ok(Step::Keep(()));
        }
        l.owner = None;
        Ok(Step::Write(()))
    })?;
    Ok(Refreshed::Busy)
}

#[cfg(test)]
mod tests;
