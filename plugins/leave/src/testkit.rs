//! An in-memory [`Host`] for unit tests: versioned records, people, groups, cards, and a
//! stand-in for the approvals plugin that answers as the test says.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use courtyard_sdk::bindings::courtyard::plugin::types as t;
use courtyard_sdk::records::{Link, Target, Versioned};
use courtyard_sdk::{Card, Error, ErrorKind, HostError, Result};
use serde_json::{Value, json};

use crate::date::Date;
use crate::store::Host;
use crate::who::Who;

/// (collection, id) → (value, links, version).
pub type Records = BTreeMap<(String, String), (Value, Vec<Link>, u64)>;

type Responder = Box<dyn FnMut(&Fake, &str, &Value) -> Result<Value>>;
type Hook = Box<dyn FnOnce(&mut Records)>;

pub struct Fake {
    pub now: Cell<i64>,
    pub today: Cell<Date>,
    pub records: RefCell<Records>,
    ids: Cell<u64>,
    pub people: RefCell<BTreeMap<String, String>>,
    pub members: RefCell<BTreeMap<String, Vec<(String, String)>>>,
    /// Every call to another plugin: (plugin, operation, input).
    pub calls: RefCell<Vec<(String, String, Value)>>,
    approvals: RefCell<Option<Responder>>,
    /// message id → (group, card), and the order they were posted in.
    pub cards: RefCell<BTreeMap<String, (String, Card)>>,
    pub posted: RefCell<Vec<String>>,
    pub warnings: RefCell<Vec<String>>,
    /// Runs once, just before the next `put` to the named collection.
    before_put: RefCell<Option<(String, Hook)>>,
    pub puts: Cell<usize>,
}

impl Fake {
    /// A host on `today` where the approvals plugin starts every request as pending.
    pub fn new(today: &str) -> Fake {
        let today: Date = today.parse().expect("a date");
        Fake {
            now: Cell::new(today.days() * 86_400_000 + 9 * 3_600_000),
            today: Cell::new(today),
            records: RefCell::default(),
            ids: Cell::new(0),
            people: RefCell::default(),
            members: RefCell::default(),
            calls: RefCell::default(),
            approvals: RefCell::new(None),
            cards: RefCell::default(),
            posted: RefCell::default(),
            warnings: RefCell::default(),
            before_put: RefCell::new(None),
            puts: Cell::new(0),
        }
    }

    /// A person in the directory, and as an acting member of `group`.
    pub fn person(&self, id: &str, name: &str, group: &str) -> Who {
        self.people.borrow_mut().insert(id.into(), name.into());
        self.members
            .borrow_mut()
            .entry(group.into())
            .or_default()
            .push((id.into(), name.into()));
        Who {
            person: Some((id.into(), name.into())),
            group_id: Some(group.into()),
            locale: "en".into(),
            admin: false,
            guest: false,
        }
    }

    /// How the approvals plugin answers from now on.
    pub fn approvals(&self, f: impl FnMut(&Fake, &str, &Value) -> Result<Value> + 'static) {
        *self.approvals.borrow_mut() = Some(Box::new(f));
    }

    /// Runs `hook` on the records just before the next write to `collection`: what another
    /// writer did at that very moment.
    pub fn before_next_put(&self, collection: &str, hook: impl FnOnce(&mut Records) + 'static) {
        *self.before_put.borrow_mut() = Some((collection.into(), Box::new(hook)));
    }

    pub fn calls_of(&self, operation: &str) -> Vec<Value> {
        self.calls
            .borrow()
            .iter()
            .filter(|(_, op, _)| op == operation)
            .map(|(_, _, input)| input.clone())
            .collect()
    }

    /// The ids of the records of a collection.
    pub fn ids(&self, collection: &str) -> Vec<String> {
        self.records
            .borrow()
            .keys()
            .filter(|(c, _)| c == collection)
            .map(|(_, id)| id.clone())
            .collect()
    }

    /// A card as text: title, fields, badges, button ids, table cells.
    pub fn card_text(card: &Card) -> String {
        let c = card.clone().into_wit();
        let mut out = vec![c.title];
        for b in c.blocks {
            match b {
                t::Block::Text(s) => out.push(s),
                t::Block::Fields(fields) => out.extend(
                    fields
                        .into_iter()
                        .map(|f| format!("{}: {}", f.label, f.value)),
                ),
                t::Block::Badge(b) => out.push(format!("[{}]", b.text)),
                t::Block::Buttons(bs) => {
                    out.extend(bs.into_iter().map(|b| format!("<{}>", b.action_id)))
                }
                t::Block::Table(table) => {
                    out.push(table.columns.join(" | "));
                    out.extend(table.rows.into_iter().map(|r| r.join(" | ")));
                }
                t::Block::Timeline(entries) => {
                    out.extend(entries.into_iter().map(|e| format!("* {}", e.title)))
                }
                _ => {}
            }
        }
        out.join("\n")
    }

    /// The text of the card with this message id.
    pub fn card(&self, message_id: &str) -> String {
        let cards = self.cards.borrow();
        let (_, card) = cards.get(message_id).expect("a posted card");
        Fake::card_text(card)
    }

    fn default_approvals(&self, operation: &str) -> Result<Value> {
        match operation {
            "start" => {
                let n = self.calls_of("start").len().saturating_sub(1);
                Ok(
                    json!({"request_id": format!("ap-{n}"), "serial": format!("AP-{n:04}"), "status": "pending"}),
                )
            }
            _ => Ok(json!({})),
        }
    }
}

fn matches(links: &[Link], rel: &str, target: &Target) -> bool {
    links
        .iter()
        .any(|l| (rel.is_empty() || l.rel == rel) && &l.target == target)
}

fn versioned(id: &str, (value, links, version): &(Value, Vec<Link>, u64)) -> Versioned<Value> {
    Versioned {
        id: id.to_owned(),
        value: value.clone(),
        links: links.clone(),
        version: *version,
        created_ms: 0,
        updated_ms: 0,
    }
}

impl Host for Fake {
    fn now_ms(&self) -> i64 {
        self.now.get()
    }

    fn today(&self) -> Date {
        self.today.get()
    }

    fn date_of(&self, at_ms: i64) -> Date {
        Date::from_days(at_ms.div_euclid(86_400_000))
    }

    fn new_id(&self) -> String {
        self.ids.set(self.ids.get() + 1);
        format!("r{}", self.ids.get())
    }

    fn get(&self, collection: &str, id: &str) -> Result<Option<Versioned<Value>>> {
        Ok(self
            .records
            .borrow()
            .get(&(collection.to_owned(), id.to_owned()))
            .map(|r| versioned(id, r)))
    }

    fn put(
        &self,
        collection: &str,
        id: &str,
        value: &Value,
        links: &[Link],
        expected_version: u64,
    ) -> Result<u64> {
        let hook = {
            let mut slot = self.before_put.borrow_mut();
            match slot.as_ref() {
                Some((c, _)) if c == collection => slot.take().map(|(_, h)| h),
                _ => None,
            }
        };
        if let Some(hook) = hook {
            hook(&mut self.records.borrow_mut());
        }
        self.puts.set(self.puts.get() + 1);
        let mut records = self.records.borrow_mut();
        let key = (collection.to_owned(), id.to_owned());
        let current = records.get(&key).map_or(0, |r| r.2);
        if current != expected_version {
            return Err(HostError::Conflict.into());
        }
        records.insert(key, (value.clone(), links.to_vec(), current + 1));
        Ok(current + 1)
    }

    fn delete(&self, collection: &str, id: &str) -> Result<bool> {
        Ok(self
            .records
            .borrow_mut()
            .remove(&(collection.to_owned(), id.to_owned()))
            .is_some())
    }

    fn find(
        &self,
        collection: &str,
        rel: &str,
        target: &Target,
        max: usize,
    ) -> Result<Vec<Versioned<Value>>> {
        Ok(self
            .records
            .borrow()
            .iter()
            .filter(|((c, _), r)| c == collection && matches(&r.1, rel, target))
            .take(max)
            .map(|((_, id), r)| versioned(id, r))
            .collect())
    }

    fn list(&self, collection: &str, max: usize) -> Result<Vec<Versioned<Value>>> {
        Ok(self
            .records
            .borrow()
            .iter()
            .filter(|((c, _), _)| c == collection)
            .take(max)
            .map(|((_, id), r)| versioned(id, r))
            .collect())
    }

    fn person_name(&self, id: &str) -> Result<Option<String>> {
        Ok(self.people.borrow().get(id).cloned())
    }

    fn group_members(&self, group_id: &str) -> Result<Vec<(String, String)>> {
        Ok(self
            .members
            .borrow()
            .get(group_id)
            .cloned()
            .unwrap_or_default())
    }

    fn call(&self, plugin: &str, operation: &str, input: &Value) -> Result<Value> {
        self.calls
            .borrow_mut()
            .push((plugin.into(), operation.into(), input.clone()));
        if plugin != crate::approval::APPROVALS {
            return Err(Error::new(
                ErrorKind::Denied,
                format!("no plugin `{plugin}`"),
            ));
        }
        let responder = self.approvals.borrow_mut().take();
        match responder {
            Some(mut f) => {
                let out = f(self, operation, input);
                let mut slot = self.approvals.borrow_mut();
                if slot.is_none() {
                    *slot = Some(f);
                }
                out
            }
            None => self.default_approvals(operation),
        }
    }

    fn post_card(&self, group_id: &str, card: Card) -> Result<String> {
        let id = format!("m{}", self.posted.borrow().len() + 1);
        self.cards
            .borrow_mut()
            .insert(id.clone(), (group_id.into(), card));
        self.posted.borrow_mut().push(id.clone());
        Ok(id)
    }

    fn update_card(&self, message_id: &str, card: Card) -> Result<()> {
        let mut cards = self.cards.borrow_mut();
        let slot = cards.get_mut(message_id).ok_or(HostError::NotFound)?;
        slot.1 = card;
        Ok(())
    }

    fn warn(&self, message: &str) {
        self.warnings.borrow_mut().push(message.into());
    }
}
