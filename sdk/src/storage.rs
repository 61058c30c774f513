//! Plugin storage with serde: values are stored as JSON. `group_scoped` keys are private to
//! the group the call concerns; the others are shared across the organization.
//!
//! Keys that start with [`SEALED_PREFIX`] are **sealed**: the plugin reads and writes them
//! as usual, but the host leaves them out of organization exports and every other view of
//! a plugin's data. Keep there what must never leave the plugin, such as the secret behind
//! [`pseudonym`] — an export of an anonymous poll then holds ballots under pseudonyms
//! nobody can link back to people.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::courtyard::plugin::storage as raw;

pub use raw::{compare_and_set, delete, get, scan, set};

/// Reads a JSON value.
pub fn get_json<T: DeserializeOwned>(key: &str, group_scoped: bool) -> crate::Result<Option<T>> {
    match raw::get(key, group_scoped)? {
        Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
        None => Ok(None),
    }
}

/// Writes a JSON value, optionally expiring after `ttl_ms`.
pub fn set_json<T: Serialize>(
    key: &str,
    value: &T,
    group_scoped: bool,
    ttl_ms: Option<u64>,
) -> crate::Result<()> {
    let bytes = serde_json::to_vec(value)?;
    Ok(raw::set(key, &bytes, group_scoped, ttl_ms)?)
}

/// Read-modify-write with compare-and-set, retried on conflict (up to
/// [`UPDATE_ATTEMPTS`] times).
pub fn update_json<T, F>(key: &str, group_scoped: bool, mut change: F) -> crate::Result<T>
where
    T: Serialize + DeserializeOwned + Default,
    F: FnMut(&mut T) -> crate::Result<()>,
{
    for _ in 0..UPDATE_ATTEMPTS {
        let current = raw::get(key, group_scoped)?;
        let mut value: T = match &current {
            Some(bytes) => serde_json::from_slice(bytes)?,
            None => T::default(),
        };
        change(&mut value)?;
        let next = serde_json::to_vec(&value)?;
        if raw::compare_and_set(key, current.as_deref(), &next, group_scoped)? {
            return Ok(value);
        }
    }
    Err(crate::Error::user("too many concurrent changes; try again"))
}

/// How often [`update_json`] tries. Every round of conflicting writers lets one of them
/// through, so N callers changing one key at once all get through within N rounds: this
/// is the number of simultaneous writers of one key (a counter everyone in an
/// organization bumps, say) that never see "try again". 20 was too few: 24 people
/// submitting approvals in the same instant ran out (`bench/crash_durability.sh`).
pub const UPDATE_ATTEMPTS: usize = 128;

/// Storage keys with this prefix are kept out of exports (see the module's note).
pub const SEALED_PREFIX: &str = "sealed/";

/// A 32-byte secret of this plugin in this organization, created at first use from the
/// host's entropy and kept in sealed storage. The same `name` gives the same secret on
/// every call; two first calls at once agree (compare-and-set).
pub fn sealed_secret(name: &str) -> crate::Result<Vec<u8>> {
    let key = format!("{SEALED_PREFIX}secret/{name}");
    if let Some(existing) = raw::get(&key, false)? {
        return Ok(existing);
    }
    let mut fresh = vec![0u8; 32];
    getrandom::fill(&mut fresh).map_err(|e| {
        crate::Error::new(
            crate::ErrorKind::Unavailable,
            format!("no random source: {e} / 无法获得随机数"),
        )
    })?;
    if raw::compare_and_set(&key, None, &fresh, false)? {
        return Ok(fresh);
    }
    raw::get(&key, false)?.ok_or_else(|| crate::Error::user("the secret vanished; try again"))
}

/// A stable pseudonym for `person_id` in `context` (e.g. one poll): HMAC-SHA-256 under
/// `secret`, as 64 hex digits. Without the secret nobody can tell whose it is, or link
/// the same person's pseudonyms in two contexts.
pub fn pseudonym(secret: &[u8], context: &str, person_id: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(context.as_bytes());
    mac.update(&[0]);
    mac.update(person_id.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::pseudonym;

    #[test]
    fn pseudonyms_depend_on_secret_context_and_person() {
        let a = pseudonym(b"k1", "poll-1", "alice");
        assert_eq!(a.len(), 64);
        assert_eq!(a, pseudonym(b"k1", "poll-1", "alice"));
        assert_ne!(a, pseudonym(b"k2", "poll-1", "alice"));
        assert_ne!(a, pseudonym(b"k1", "poll-2", "alice"));
        assert_ne!(a, pseudonym(b"k1", "poll-1", "bob"));
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(pseudonym(b"k", "ab", "c"), pseudonym(b"k", "a", "bc"));
    }
}
