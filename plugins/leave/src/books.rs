//! A person's books: their ledger entries and the account record that heads them, and the
//! one way to change them ([`commit`]).
//!
//! Entries live as their own records (`entries`), but a change to a person's balance is
//! first committed to their account record (`employees/<person>`) — new entries go into its
//! `journal`, holds on time into `holds` — with a versioned write. Two changes at the same
//! moment therefore take turns: the second one's write conflicts, it reads the books again
//! (now with the first one's reservation) and checks again. Journal entries are then written
//! as `entries` records and dropped from the journal ([`flush`]); readers always see the
//! records and the journal together, so an entry is never lost or counted twice, even if the
//! flush never happens.

use courtyard_sdk::records::Versioned;
use courtyard_sdk::{Error, ErrorKind, Result};

use crate::ledger::{Entry, Ledger, LedgerError};
use crate::policy::LeaveType;
use crate::store::{self, Account, EMPLOYEES, ENTRIES, Host, RETRIES};

/// A person's account and every ledger entry (records and journal).
pub struct Books {
    pub account: Versioned<Account>,
    pub entries: Vec<Entry>,
}

impl Books {
    pub fn person_id(&self) -> &str {
        &self.account.person_id
    }

    /// The ledger for one leave type.
    pub fn ledger<'a>(&'a self, leave_type: &'a LeaveType) -> Result<Ledger<'a>, LedgerError> {
        Ledger::new(&self.account.person_id, leave_type, &self.entries)
    }
}

/// Reads a person's books (an unsaved account when they have none yet).
pub fn load(h: &dyn Host, person_id: &str, name: &str) -> Result<Books> {
    // The account first: an entry flushed after this read is then in both, never in neither.
    let account = EMPLOYEES
        .get(h, person_id)?
        .unwrap_or_else(|| store::new_account(person_id, name));
    let mut entries = store::stored_entries(h, person_id)?;
    for e in &account.journal {
        if !entries.iter().any(|x| x.id == e.id) {
            entries.push(e.clone());
        }
    }
    Ok(Books { account, entries })
}

/// A ledger error as an [`Error`] in the person's language.
pub fn ledger_error(e: &LedgerError, locale: &str) -> Error {
    let kind = match e {
        LedgerError::InsufficientBalance { .. }
        | LedgerError::ReasonRequired
        | LedgerError::NotPositive { .. }
        | LedgerError::UnitMismatch { .. } => ErrorKind::User,
        _ => ErrorKind::Data,
    };
    Error::new(kind, e.message(locale))
}

/// Changes a person's books: `change` reads them and returns the entries to add (and may
/// change the account, e.g. its holds); the result is committed to the account with a
/// versioned write, rerunning `change` on fresh books when someone else committed first.
/// With `flush`, the new entries are then written as records. `change` may run more than
/// once: keep side effects out of it.
pub fn commit<T, E>(
    h: &dyn Host,
    person_id: &str,
    name: &str,
    flush_after: bool,
    mut change: impl FnMut(&mut Books) -> Result<(Vec<Entry>, T), E>,
) -> Result<T, E>
where
    E: From<Error>,
{
    for _ in 0..RETRIES {
        let mut books = load(h, person_id, name)?;
        let before = serde_json::to_value(&books.account.value).map_err(Error::from)?;
        let (new, value) = change(&mut books)?;
        let mut added = false;
        for e in new {
            if !books.entries.iter().any(|x| x.id == e.id) {
                books.account.journal.push(e.clone());
                books.entries.push(e);
                added = true;
            }
        }
        if books.account.name.is_empty() && !name.is_empty() {
            books.account.name = name.to_owned();
        }
        let after = serde_json::to_value(&books.account.value).map_err(Error::from)?;
        if !added && before == after {
            return Ok(value);
        }
        match EMPLOYEES.save(h, &mut books.account) {
            Err(e) if e.is_conflict() => continue,
            Err(e) => return Err(e.into()),
            Ok(()) => {
                if flush_after {
                    flush(h, person_id)?;
                }
                return Ok(value);
            }
        }
    }
    Err(store::busy().into())
}

/// Writes the journal's entries as `entries` records and drops them from the journal. An
/// entry already written (a retry, or another flush) is left as it is.
pub fn flush(h: &dyn Host, person_id: &str) -> Result<()> {
    let Some(account) = EMPLOYEES.get(h, person_id)? else {
        return Ok(());
    };
    if account.journal.is_empty() {
        return Ok(());
    }
    let links = vec![courtyard_sdk::records::Link::person("person", person_id)];
    let mut written = Vec::new();
    for e in &account.journal {
        let mut record = Versioned::new(&e.id, e.clone());
        record.links = links.clone();
        match ENTRIES.save(h, &mut record) {
            Ok(()) => written.push(e.id.clone()),
            Err(err) if err.is_conflict() => written.push(e.id.clone()),
            Err(err) => {
                h.warn(&format!(
                    "ledger entry {} stays in {person_id}'s journal: {err}",
                    e.id
                ));
                break;
            }
        }
    }
    EMPLOYEES.update(h, person_id, |a| {
        a.journal.retain(|e| !written.contains(&e.id));
        Ok(())
    })?;
    Ok(())
}

/// Takes back what a request wrote before its approval could start: its entries and its
/// hold, as if it had never been submitted.
pub fn rollback(h: &dyn Host, person_id: &str, name: &str, request_id: &str) -> Result<()> {
    commit::<(), Error>(h, person_id, name, false, |books| {
        let mine = |e: &Entry| e.request_id.as_deref() == Some(request_id);
        books.account.journal.retain(|e| !mine(e));
        books.account.holds.retain(|x| x.id != request_id);
        Ok((Vec::new(), ()))
    })?;
    // If another change flushed them meanwhile, they are records now.
    for e in store::stored_entries(h, person_id)? {
        if e.request_id.as_deref() == Some(request_id) {
            ENTRIES.delete(h, &e.id)?;
        }
    }
    Ok(())
}
