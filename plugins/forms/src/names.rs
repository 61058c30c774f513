//! Names for the ids answers hold, and amounts in capitals: the domain's [`Lookup`] on the
//! host's directory, groups and files, each id asked once per call.
//!
//! Departments are groups: the host names a group only where the plugin is enabled, so a
//! department shows its id unless Forms is enabled there too.

use std::cell::RefCell;
use std::collections::HashMap;

use courtyard_sdk::money::chinese_capital;
use courtyard_sdk::{files, groups, people};

use crate::domain::Lookup;
use crate::domain::cents;

#[derive(Default)]
pub struct Names {
    seen: RefCell<HashMap<(u8, String), Option<String>>>,
}

impl Names {
    fn cached(&self, kind: u8, id: &str, find: impl FnOnce() -> Option<String>) -> Option<String> {
        let key = (kind, id.to_owned());
        if let Some(hit) = self.seen.borrow().get(&key) {
            return hit.clone();
        }
        let found = find();
        self.seen.borrow_mut().insert(key, found.clone());
        found
    }
}

impl Lookup for Names {
    fn person(&self, id: &str) -> Option<String> {
        self.cached(0, id, || people::get(id).ok().map(|p| p.display_name))
    }

    fn department(&self, id: &str) -> Option<String> {
        self.cached(1, id, || groups::get(id).ok().map(|g| g.name))
    }

    fn group(&self, id: &str) -> Option<String> {
        self.cached(2, id, || groups::get(id).ok().map(|g| g.name))
    }

    fn file(&self, id: &str) -> Option<String> {
        self.cached(3, id, || files::get(id).ok().map(|f| f.name))
    }

    fn capitals(&self, cents: i64) -> Option<String> {
        chinese_capital(&cents::format(i128::from(cents)))
    }
}
