//! Test helpers: a small in-memory organisation behind [`Directory`], and template builders.
//!
//! ```text
//! co  Company      head ceo
//! ├── fin Finance      head fay     (fiona)
//! ├── eng Engineering  head erin
//! │   └── web Web team     head wes     (alice, bob, carol, dave)
//! └── sales Sales      head sam     (sara)
//! zed: no department. Roles: finance_director = [fay], hr = [hank, carol], empty = [].
//! ```

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::engine::{Action, Effect, NewRequest, act, submit};
use crate::model::{
    ApproverRule, Flow, I18n, Mode, PersonRef, Request, Settings, StepDef, Template,
};
use crate::route::Directory;

pub const T0: i64 = 1_700_000_000_000;
pub const HOUR: i64 = 3_600_000;

pub struct Dir {
    people: Vec<PersonRef>,
    /// id → (name, parent, head)
    departments: BTreeMap<&'static str, (&'static str, Option<&'static str>, &'static str)>,
    member_of: BTreeMap<&'static str, &'static str>,
    roles: BTreeMap<&'static str, Vec<&'static str>>,
    /// (person, delegate, from, until)
    pub delegations: Vec<(&'static str, &'static str, i64, i64)>,
}

impl Dir {
    pub fn new() -> Self {
        let names = [
            ("alice", "Alice"),
            ("bob", "Bob"),
            ("carol", "Carol"),
            ("dave", "Dave"),
            ("erin", "Erin"),
            ("wes", "Wes"),
            ("ceo", "Chen"),
            ("fay", "Fay"),
            ("fiona", "Fiona"),
            ("sam", "Sam"),
            ("sara", "Sara"),
            ("hank", "Hank"),
            ("zed", "Zed"),
        ];
        let departments = BTreeMap::from([
            ("co", ("Company", None, "ceo")),
            ("fin", ("Finance", Some("co"), "fay")),
            ("eng", ("Engineering", Some("co"), "erin")),
            ("web", ("Web team", Some("eng"), "wes")),
            ("sales", ("Sales", Some("co"), "sam")),
        ]);
        let member_of = BTreeMap::from([
            ("alice", "web"),
            ("bob", "web"),
            ("carol", "web"),
            ("dave", "web"),
            ("wes", "web"),
            ("erin", "eng"),
            ("ceo", "co"),
            ("fay", "fin"),
            ("fiona", "fin"),
            ("sam", "sales"),
            ("sara", "sales"),
            ("hank", "co"),
        ]);
        let roles = BTreeMap::from([
            ("finance_director", vec!["fay"]),
            ("hr", vec!["hank", "carol"]),
            ("empty", vec![]),
        ]);
        Dir {
            people: names.iter().map(|(i, n)| PersonRef::new(*i, *n)).collect(),
            departments,
            member_of,
            roles,
            delegations: Vec::new(),
        }
    }

    fn chain(&self, department: &str, levels: u32) -> Vec<(String, PersonRef)> {
        let mut out = Vec::new();
        let mut at = self.departments.get_key_value(department);
        while let Some((_, (name, parent, head))) = at {
            if out.len() as u32 >= levels {
                break;
            }
            out.push((name.to_string(), p(head)));
            at = parent.and_then(|d| self.departments.get_key_value(d));
        }
        out
    }
}

impl Directory for Dir {
    fn person(&self, id: &str) -> Option<PersonRef> {
        self.people.iter().find(|p| p.id == id).cloned()
    }

    fn managers(&self, id: &str, levels: u32) -> Vec<PersonRef> {
        match self.member_of.get(id) {
            Some(d) => self.chain(d, levels).into_iter().map(|(_, h)| h).collect(),
            None => Vec::new(),
        }
    }

    fn department_heads(&self, department_id: &str, levels: u32) -> Vec<(String, PersonRef)> {
        self.chain(department_id, levels)
    }

    fn role(&self, name: &str) -> Vec<PersonRef> {
        self.roles
            .get(name)
            .map(|ids| ids.iter().map(|i| p(i)).collect())
            .unwrap_or_default()
    }

    fn delegate(&self, person_id: &str, at_ms: i64) -> Option<PersonRef> {
        self.delegations
            .iter()
            .find(|(who, _, from, until)| *who == person_id && (*from..*until).contains(&at_ms))
            .map(|(_, to, _, _)| p(to))
    }
}

/// A person of the test organisation.
pub fn p(id: &str) -> PersonRef {
    Dir::new()
        .person(id)
        .unwrap_or_else(|| PersonRef::new(id, id))
}

pub fn form() -> Value {
    json!({"fields": [
        {"name": "amount", "kind": "money", "label": {"en": "Amount", "zh-CN": "金额"}},
        {"name": "type", "kind": "select", "label": "Type",
         "options": [{"value": "travel", "label": "Travel"}, {"value": "meal", "label": "Meal"}]},
        {"name": "reason", "kind": "textarea", "label": "Reason"},
        {"name": "approver", "kind": "person", "label": {"en": "Approver", "zh-CN": "审批人"}},
        {"name": "reviewers", "kind": "people", "label": "Reviewers"},
        {"name": "budget_code", "kind": "text", "label": "Budget code"},
        {"name": "salary", "kind": "money", "label": "Salary"},
    ]})
}

pub fn people(ids: &[&str]) -> ApproverRule {
    ApproverRule::People {
        ids: ids.iter().map(|s| s.to_string()).collect(),
    }
}

pub fn step(id: &str, approvers: Vec<ApproverRule>, mode: Mode) -> StepDef {
    StepDef {
        id: id.into(),
        name: I18n::new(format!("Step {id}"), format!("步骤{id}")),
        approvers,
        mode,
        when: None,
        fields: BTreeMap::new(),
        timeout: None,
        cc: Vec::new(),
    }
}

pub fn template(steps: Vec<StepDef>) -> Template {
    Template {
        id: "expense".into(),
        version: 1,
        name: I18n::new("Expense", "报销"),
        description: I18n::default(),
        form: form(),
        flow: Flow {
            steps,
            cc_on_submit: Vec::new(),
            cc_on_complete: Vec::new(),
        },
        settings: Settings::default(),
    }
}

/// Submits as `submitter` (department: their own) at [`T0`].
pub fn start(t: &Template, submitter: &str, values: Value, dir: &Dir) -> (Request, Vec<Effect>) {
    let department = Dir::new().member_of.get(submitter).map(|d| d.to_string());
    submit(
        NewRequest {
            template: t,
            submitter: p(submitter),
            department,
            values,
            origin: None,
            resubmitted_from: None,
            id: "r1".into(),
            serial: "2024-0001".into(),
        },
        dir,
        T0,
    )
    .expect("submit")
}

/// Acts at `T0 + minutes`, expecting success.
pub fn ok(req: &mut Request, who: &str, action: Action, dir: &Dir, minutes: i64) -> Vec<Effect> {
    act(req, &p(who), action, dir, T0 + minutes * 60_000).unwrap_or_else(|e| panic!("{who}: {e}"))
}

pub fn approve() -> Action {
    Action::Approve {
        comment: None,
        edits: Default::default(),
    }
}

pub fn reject(comment: &str) -> Action {
    Action::Reject {
        comment: comment.into(),
    }
}

/// The ids of a list of people.
pub fn ids(people: &[PersonRef]) -> Vec<&str> {
    people.iter().map(|p| p.id.as_str()).collect()
}
