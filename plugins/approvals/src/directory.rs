//! The engine's [`Directory`] over the host's people directory, plus the plugin's own roles
//! and delegations (records).

use std::collections::BTreeMap;

use courtyard_sdk::people;
use courtyard_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::PersonRef;
use crate::route::Directory;

/// An approvals role: people an admin names for a duty (e.g. `finance_director`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Role {
    pub people: Vec<PersonRef>,
}

/// Someone acts for `person` between `from_ms` and `to_ms` (e.g. while they are on leave).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Delegation {
    pub person: PersonRef,
    pub delegate: PersonRef,
    pub from_ms: i64,
    pub to_ms: i64,
    /// What set it up (e.g. the approved leave request), for the audit trail.
    pub reference: String,
}

pub const ROLES: Collection<Role> = Collection::new("roles");
pub const DELEGATIONS: Collection<Delegation> = Collection::new("delegations");

pub struct HostDirectory {
    roles: BTreeMap<String, Vec<PersonRef>>,
    /// The submitter and their department, for department-head rules.
    submitter: Option<(String, Option<String>)>,
}

fn person_ref(p: &courtyard_sdk::Person) -> PersonRef {
    PersonRef::new(p.id.clone(), p.display_name.clone())
}

impl HostDirectory {
    /// The directory for a request by `submitter` (their department read from the host).
    pub fn load(submitter: &str) -> Result<HostDirectory> {
        let roles = ROLES
            .list_all(500)?
            .into_iter()
            .map(|r| (r.id.clone(), r.value.people.clone()))
            .collect();
        let department = people::get(submitter).ok().and_then(|p| p.department_id);
        Ok(HostDirectory {
            roles,
            submitter: Some((submitter.to_owned(), department)),
        })
    }

    /// The submitter's department, as the directory sees it.
    pub fn department(&self) -> Option<String> {
        self.submitter.as_ref().and_then(|(_, d)| d.clone())
    }
}

impl Directory for HostDirectory {
    fn person(&self, id: &str) -> Option<PersonRef> {
        people::get(id).ok().map(|p| person_ref(&p))
    }

    fn managers(&self, id: &str, levels: u32) -> Vec<PersonRef> {
        people::managers(id, levels)
            .map(|m| m.iter().map(person_ref).collect())
            .unwrap_or_default()
    }

    // Contract 0.2.0 gives a person's chain of department heads, not a department's, and
    // no department names: a department is reached through the submitter (the only way a
    // flow asks), and the head stands for the department in the reason shown.
    fn department_heads(&self, department_id: &str, levels: u32) -> Vec<(String, PersonRef)> {
        match &self.submitter {
            Some((id, Some(dept))) if dept == department_id => self
                .managers(id, levels)
                .into_iter()
                .map(|head| (String::new(), head))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn role(&self, name: &str) -> Vec<PersonRef> {
        self.roles.get(name).cloned().unwrap_or_default()
    }

    fn delegate(&self, person_id: &str, at_ms: i64) -> Option<PersonRef> {
        DELEGATIONS
            .find_all("person", &Target::person(person_id), 50)
            .ok()?
            .into_iter()
            .find(|d| d.from_ms <= at_ms && at_ms <= d.to_ms)
            .map(|d| d.value.delegate.clone())
    }
}
