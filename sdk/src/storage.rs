//! Plugin storage with serde: values are stored as JSON. `group_scoped` keys are private to
//! the group the call concerns; the others are shared across the organization.

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

/// Read-modify-write with compare-and-set, retried on conflict (up to 20 times).
pub fn update_json<T, F>(key: &str, group_scoped: bool, mut change: F) -> crate::Result<T>
where
    T: Serialize + DeserializeOwned + Default,
    F: FnMut(&mut T) -> crate::Result<()>,
{
    for _ in 0..20 {
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
