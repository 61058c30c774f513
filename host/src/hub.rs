//! Live delivery: who is connected, which groups they hear, and the fan-out of committed
//! events to their connections. Events arrive from the writer in position order and are
//! encoded once; each connection has a bounded queue, and a connection that cannot keep up
//! is dropped (its client reconnects and catches up from the log) rather than slowing
//! anyone else or growing memory.
//!
//! Joining a connection races with membership changes; the protocol that keeps it exact is:
//! [`Hub::register`] first, then read the log head `S` and the person's groups from storage,
//! then [`Hub::init`] applies that snapshot plus every membership event after `S` that the
//! hub saw in the meantime. Any event after `S` was committed after registration, so the
//! hub saw it; any event up to `S` is in the snapshot.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use courtyard_domain::{GroupId, PersonId};
use parking_lot::RwLock;
use tokio::sync::mpsc;

use crate::store::events::Event;

/// Events a connection may fall behind by before it is dropped.
pub const CONNECTION_QUEUE: usize = 1024;

/// One queued delivery: the event's position and its encoded frame.
pub type Delivery = (i64, Arc<str>);

#[derive(Default)]
pub struct Hub {
    state: RwLock<State>,
    next_id: AtomicU64,
}

#[derive(Default)]
struct State {
    people: HashMap<PersonId, Person>,
    /// Online members of each group that has any.
    groups: HashMap<GroupId, HashSet<PersonId>>,
}

struct Person {
    conns: Vec<Conn>,
    groups: HashSet<GroupId>,
    /// Membership changes seen while the person's snapshot is being read.
    pending: Option<Vec<(i64, GroupId, bool)>>,
}

struct Conn {
    id: u64,
    /// The sign-in session the connection authenticated with.
    session: String,
    tx: mpsc::Sender<Delivery>,
    lagged: Arc<AtomicBool>,
    signed_out: Arc<AtomicBool>,
}

/// A registered connection's receiving end. Dropping it unregisters nothing by itself;
/// call [`Hub::unregister`].
pub struct Subscription {
    pub id: u64,
    pub person: PersonId,
    pub rx: mpsc::Receiver<Delivery>,
    /// Set when the hub dropped this connection for falling behind.
    pub lagged: Arc<AtomicBool>,
    /// Set when the hub dropped this connection because its session ended.
    pub signed_out: Arc<AtomicBool>,
    /// Whether the caller must load the person's groups and call [`Hub::init`].
    pub needs_init: bool,
}

impl Hub {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(&self, person: &PersonId, session: &str) -> Subscription {
        let (tx, rx) = mpsc::channel(CONNECTION_QUEUE);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let lagged = Arc::new(AtomicBool::new(false));
        let signed_out = Arc::new(AtomicBool::new(false));
        let mut state = self.state.write();
        let entry = state
            .people
            .entry(person.clone())
            .or_insert_with(|| Person {
                conns: Vec::new(),
                groups: HashSet::new(),
                pending: Some(Vec::new()),
            });
        entry.conns.push(Conn {
            id,
            session: session.to_owned(),
            tx,
            lagged: lagged.clone(),
            signed_out: signed_out.clone(),
        });
        let needs_init = entry.pending.is_some();
        Subscription {
            id,
            person: person.clone(),
            rx,
            lagged,
            signed_out,
            needs_init,
        }
    }

    /// Closes a person's connections whose session ended: all of them, or only those of
    /// `session`, or all but `keep`. Their clients see code 4001 at once.
    pub fn end_sessions(&self, person: &PersonId, session: Option<&str>, keep: Option<&str>) {
        let ended: Vec<u64> = {
            let state = self.state.read();
            let Some(entry) = state.people.get(person) else {
                return;
            };
            entry
                .conns
                .iter()
                .filter(|c| {
                    session.is_none_or(|s| c.session == s) && keep.is_none_or(|k| c.session != k)
                })
                .map(|c| {
                    c.signed_out.store(true, Ordering::Relaxed);
                    c.id
                })
                .collect()
        };
        for id in ended {
            self.unregister(person, id);
        }
    }

    /// Installs the person's group snapshot taken at log head `snapshot_seq`.
    pub fn init(&self, person: &PersonId, groups: Vec<GroupId>, snapshot_seq: i64) {
        let mut state = self.state.write();
        let State {
            people,
            groups: by_group,
        } = &mut *state;
        let Some(entry) = people.get_mut(person) else {
            return;
        };
        let Some(pending) = entry.pending.take() else {
            return;
        };
        let mut current: HashSet<GroupId> = groups.into_iter().collect();
        for (seq, group, joined) in pending {
            if seq > snapshot_seq {
                if joined {
                    current.insert(group);
                } else {
                    current.remove(&group);
                }
            }
        }
        for g in &current {
            by_group
                .entry(g.clone())
                .or_default()
                .insert(person.clone());
        }
        entry.groups = current;
    }

    pub fn unregister(&self, person: &PersonId, conn_id: u64) {
        let mut state = self.state.write();
        let State { people, groups } = &mut *state;
        let Some(entry) = people.get_mut(person) else {
            return;
        };
        entry.conns.retain(|c| c.id != conn_id);
        if entry.conns.is_empty() {
            let entry = people.remove(person).expect("entry exists");
            for g in entry.groups {
                remove_online(groups, &g, person);
            }
        }
    }

    /// Delivers committed events, which must come in position order.
    pub fn publish(&self, events: &[Event]) {
        let has_membership = events.iter().any(|e| e.membership.is_some());
        if has_membership {
            let mut state = self.state.write();
            for event in events {
                deliver_with_membership(&mut state, event);
            }
        } else {
            let state = self.state.read();
            let mut lagging = Vec::new();
            for event in events {
                deliver(&state, event, &mut lagging);
            }
            drop(state);
            if !lagging.is_empty() {
                self.drop_lagging(lagging);
            }
        }
    }

    fn drop_lagging(&self, lagging: Vec<(PersonId, u64)>) {
        for (person, id) in lagging {
            self.unregister(&person, id);
        }
    }

    /// Connections currently registered (for metrics and tests).
    pub fn connection_count(&self) -> usize {
        self.state
            .read()
            .people
            .values()
            .map(|p| p.conns.len())
            .sum()
    }
}

fn remove_online(groups: &mut HashMap<GroupId, HashSet<PersonId>>, g: &GroupId, p: &PersonId) {
    if let Some(set) = groups.get_mut(g) {
        set.remove(p);
        if set.is_empty() {
            groups.remove(g);
        }
    }
}

fn deliver_with_membership(state: &mut State, event: &Event) {
    let change = event
        .membership
        .as_ref()
        .zip(event.group_id.as_ref())
        .map(|(m, g)| (m.person_id.clone(), g.clone(), m.joined));
    // A joiner hears their own join; a leaver hears their own leave, then stops hearing.
    if let Some((person, group, true)) = &change {
        apply_membership(state, event.seq, person, group, true);
    }
    let mut lagging = Vec::new();
    deliver(state, event, &mut lagging);
    if let Some((person, group, false)) = &change {
        apply_membership(state, event.seq, person, group, false);
    }
    for (person, id) in lagging {
        let State { people, groups } = state;
        if let Some(entry) = people.get_mut(&person) {
            entry.conns.retain(|c| c.id != id);
            if entry.conns.is_empty() {
                let entry = people.remove(&person).expect("entry exists");
                for g in entry.groups {
                    remove_online(groups, &g, &person);
                }
            }
        }
    }
}

fn apply_membership(state: &mut State, seq: i64, person: &PersonId, group: &GroupId, joined: bool) {
    let State { people, groups } = state;
    let Some(entry) = people.get_mut(person) else {
        return;
    };
    if let Some(pending) = &mut entry.pending {
        pending.push((seq, group.clone(), joined));
        return;
    }
    if joined {
        entry.groups.insert(group.clone());
        groups
            .entry(group.clone())
            .or_default()
            .insert(person.clone());
    } else {
        entry.groups.remove(group);
        remove_online(groups, group, person);
    }
}

fn deliver(state: &State, event: &Event, lagging: &mut Vec<(PersonId, u64)>) {
    let mut send_to = |person: &PersonId| {
        if let Some(entry) = state.people.get(person) {
            for conn in &entry.conns {
                if conn.tx.try_send((event.seq, event.frame.clone())).is_err() {
                    conn.lagged.store(true, Ordering::Relaxed);
                    lagging.push((person.clone(), conn.id));
                }
            }
        }
    };
    if let Some(group) = &event.group_id
        && let Some(members) = state.groups.get(group)
    {
        match &event.audience {
            None => members.iter().for_each(&mut send_to),
            Some(audience) => audience
                .iter()
                .filter(|p| members.contains(*p))
                .for_each(&mut send_to),
        }
    }
    if let Some(person) = &event.person_id {
        let already = event
            .group_id
            .as_ref()
            .and_then(|g| state.groups.get(g))
            .is_some_and(|m| m.contains(person));
        if !already {
            send_to(person);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::events::Membership;

    fn event(seq: i64, group: &GroupId, membership: Option<(PersonId, bool)>) -> Event {
        Event {
            seq,
            group_id: Some(group.clone()),
            person_id: None,
            membership: membership.map(|(person_id, joined)| Membership { person_id, joined }),
            audience: None,
            frame: Arc::from(format!("{{\"seq\":{seq}}}")),
        }
    }

    #[test]
    fn events_with_an_audience_reach_only_it() {
        let hub = Hub::new();
        let (alice, bob, g) = (
            PersonId::generate(),
            PersonId::generate(),
            GroupId::generate(),
        );
        let mut a = hub.register(&alice, "a");
        let mut b = hub.register(&bob, "b");
        hub.init(&alice, vec![g.clone()], 0);
        hub.init(&bob, vec![g.clone()], 0);
        let mut restricted = event(1, &g, None);
        restricted.audience = Some(Arc::from(vec![alice.clone()]));
        hub.publish(&[restricted, event(2, &g, None)]);
        assert_eq!(a.rx.try_recv().unwrap().0, 1);
        assert_eq!(a.rx.try_recv().unwrap().0, 2);
        assert_eq!(
            b.rx.try_recv().unwrap().0,
            2,
            "bob skips the restricted event"
        );
        assert!(b.rx.try_recv().is_err());
    }

    #[test]
    fn members_receive_group_events_in_order() {
        let hub = Hub::new();
        let (alice, g) = (PersonId::generate(), GroupId::generate());
        let mut sub = hub.register(&alice, "s");
        hub.init(&alice, vec![g.clone()], 0);
        hub.publish(&[event(1, &g, None), event(2, &g, None)]);
        assert_eq!(sub.rx.try_recv().unwrap().0, 1);
        assert_eq!(sub.rx.try_recv().unwrap().0, 2);
    }

    #[test]
    fn membership_changes_during_init_are_replayed_after_the_snapshot() {
        let hub = Hub::new();
        let (alice, g, h) = (
            PersonId::generate(),
            GroupId::generate(),
            GroupId::generate(),
        );
        let mut sub = hub.register(&alice, "s");
        // While the snapshot (taken at head 5) is read: joined h at 6, left g at 7.
        hub.publish(&[event(6, &h, Some((alice.clone(), true)))]);
        hub.publish(&[event(7, &g, Some((alice.clone(), false)))]);
        hub.init(&alice, vec![g.clone()], 5);
        hub.publish(&[event(8, &g, None), event(9, &h, None)]);
        let got: Vec<i64> = std::iter::from_fn(|| sub.rx.try_recv().ok().map(|d| d.0)).collect();
        assert_eq!(got, vec![9]);
    }

    #[test]
    fn leavers_hear_their_leave_and_nothing_after() {
        let hub = Hub::new();
        let (alice, g) = (PersonId::generate(), GroupId::generate());
        let mut sub = hub.register(&alice, "s");
        hub.init(&alice, vec![g.clone()], 0);
        hub.publish(&[
            event(1, &g, Some((alice.clone(), false))),
            event(2, &g, None),
        ]);
        let got: Vec<i64> = std::iter::from_fn(|| sub.rx.try_recv().ok().map(|d| d.0)).collect();
        assert_eq!(got, vec![1]);
    }

    #[test]
    fn ended_sessions_close_only_their_connections() {
        let hub = Hub::new();
        let (alice, g) = (PersonId::generate(), GroupId::generate());
        let phone = hub.register(&alice, "phone");
        let mut laptop = hub.register(&alice, "laptop");
        hub.init(&alice, vec![g.clone()], 0);
        hub.end_sessions(&alice, Some("phone"), None);
        assert!(phone.signed_out.load(Ordering::Relaxed));
        hub.publish(&[event(1, &g, None)]);
        assert_eq!(laptop.rx.try_recv().unwrap().0, 1);
        hub.end_sessions(&alice, None, None);
        assert!(laptop.signed_out.load(Ordering::Relaxed));
        assert_eq!(hub.connection_count(), 0);
    }

    #[test]
    fn slow_connections_are_dropped_not_waited_for() {
        let hub = Hub::new();
        let (alice, bob, g) = (
            PersonId::generate(),
            PersonId::generate(),
            GroupId::generate(),
        );
        let slow = hub.register(&alice, "s");
        hub.init(&alice, vec![g.clone()], 0);
        let mut fast = hub.register(&bob, "s");
        hub.init(&bob, vec![g.clone()], 0);
        for seq in 1..=(CONNECTION_QUEUE as i64 + 1) {
            hub.publish(&[event(seq, &g, None)]);
            fast.rx.try_recv().unwrap();
        }
        assert!(slow.lagged.load(Ordering::Relaxed));
        assert_eq!(hub.connection_count(), 1);
    }
}
