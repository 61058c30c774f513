//! The counting under concurrency, natively: threads race on an in-memory store with
//! compare-and-set (and, to make every interleaving likely, yield between reading and
//! writing), and a store that lets another writer in between every read and write.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use courtyard_sdk::storage::pseudonym;

use super::*;
use crate::model::{Lang, Poll, Status, open, seal, tally};

/// An in-memory store; `yields` makes threads switch between a read and the write after it.
#[derive(Default)]
struct Memory {
    map: Mutex<BTreeMap<String, Vec<u8>>>,
    yields: bool,
    cas_calls: AtomicU64,
    cas_lost: AtomicU64,
}

impl Kv for Memory {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let v = self.map.lock().unwrap().get(key).cloned();
        if self.yields {
            std::thread::yield_now();
        }
        Ok(v)
    }

    fn cas(&self, key: &str, expected: Option<&[u8]>, value: &[u8]) -> Result<bool> {
        self.cas_calls.fetch_add(1, Ordering::Relaxed);
        let mut map = self.map.lock().unwrap();
        if map.get(key).map(Vec::as_slice) == expected {
            map.insert(key.to_owned(), value.to_vec());
            Ok(true)
        } else {
            self.cas_lost.fetch_add(1, Ordering::Relaxed);
            Ok(false)
        }
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.map.lock().unwrap().remove(key);
        Ok(())
    }

    fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        Ok(self
            .map
            .lock()
            .unwrap()
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

fn poll(anonymous: bool) -> Poll {
    Poll {
        question: "Lunch?".into(),
        options: vec!["Noodles".into(), "Dumplings".into(), "Rice".into()],
        multi: false,
        max: None,
        anonymous,
        hidden: false,
        group_id: "g".into(),
        creator_id: "c".into(),
        creator_name: "Carol".into(),
        lang: Lang::En,
        created_ms: 0,
        closes_ms: None,
        message_id: None,
        status: Status::Open,
        closed_ms: None,
        closed_by: None,
        result: None,
    }
}

const SECRET: [u8; 32] = [42; 32];

fn vote(kv: &dyn Kv, poll_id: &str, person: &str, option: u8, anonymous: bool) -> Put {
    vote_unless(kv, poll_id, person, option, anonymous, &|| Ok(false))
}

/// Votes; `closed` says whether the poll is closed (as the poll's record would).
fn vote_unless(
    kv: &dyn Kv,
    poll_id: &str,
    person: &str,
    option: u8,
    anonymous: bool,
    closed: &dyn Fn() -> Result<bool>,
) -> Put {
    let key = pseudonym(&SECRET, poll_id, person);
    let nonce = Cell::new(0u8);
    put_ballot(kv, poll_id, &key, closed, || {
        nonce.set(nonce.get().wrapping_add(1));
        Ok(Some(if anonymous {
            seal(&SECRET, poll_id, &key, &[option], &[nonce.get(); 8])
        } else {
            Ballot::Named {
                id: person.into(),
                name: person.to_uppercase(),
                choice: vec![option],
            }
        }))
    })
    .unwrap()
}

fn count(kv: &dyn Kv, poll_id: &str, poll: &Poll) -> (u32, Vec<u32>) {
    let shards = shards(kv, poll_id).unwrap();
    let t = tally(
        &SECRET,
        poll_id,
        poll,
        shards.iter().flat_map(|s| &s.ballots),
    );
    (t.voters, t.counts.unwrap())
}

#[test]
fn sixty_people_voting_at_once_are_all_counted_once() {
    for anonymous in [false, true] {
        let kv = Memory {
            yields: true,
            ..Memory::default()
        };
        let p = poll(anonymous);
        std::thread::scope(|s| {
            for i in 0..60u32 {
                let kv = &kv;
                s.spawn(move || {
                    // Everyone votes, then a third change their minds, at the same time.
                    vote(kv, "p1", &format!("person-{i}"), (i % 3) as u8, anonymous);
                    if i % 3 == 0 {
                        vote(kv, "p1", &format!("person-{i}"), 2, anonymous);
                    }
                });
            }
        });
        assert_eq!(count(&kv, "p1", &p), (60, vec![0, 20, 40]));
        // No ballot names anyone in an anonymous poll, and each is under its pseudonym.
        let text: String = kv
            .map
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={}\n", String::from_utf8_lossy(v)))
            .collect();
        assert_eq!(text.contains("person-"), !anonymous);
    }
}

/// A write by somebody else.
type Intruder<'a> = Box<dyn FnOnce(&Memory) + Send + 'a>;

/// Another writer gets in between every read and every write, a given number of times:
/// each lost compare-and-set is retried on top of the other's write.
struct Interleaved<'a> {
    inner: Memory,
    /// Runs before a compare-and-set, while there are intruders left.
    intruders: Mutex<Vec<Intruder<'a>>>,
}

impl Kv for Interleaved<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.inner.get(key)
    }

    fn cas(&self, key: &str, expected: Option<&[u8]>, value: &[u8]) -> Result<bool> {
        let next = self.intruders.lock().unwrap().pop();
        if let Some(intrude) = next {
            intrude(&self.inner);
        }
        self.inner.cas(key, expected, value)
    }

    fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.inner.scan(prefix)
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.inner.delete(key)
    }
}

#[test]
fn a_vote_overtaken_by_others_retries_on_top_of_them() {
    // Pick people whose ballots share one shard, so every write collides.
    let key = |p: &str| pseudonym(&SECRET, "p2", p);
    let target = shard_of(&key("me"));
    let others: Vec<String> = (0..1000)
        .map(|i| format!("other-{i}"))
        .filter(|p| shard_of(&key(p)) == target)
        .take(5)
        .collect();
    assert_eq!(others.len(), 5);
    let kv = Interleaved {
        inner: Memory::default(),
        intruders: Mutex::new(
            others
                .iter()
                .map(|p| {
                    let p = p.clone();
                    Box::new(move |m: &Memory| {
                        vote(m, "p2", &p, 1, true);
                    }) as Intruder
                })
                .collect(),
        ),
    };
    assert_eq!(vote(&kv, "p2", "me", 0, true), Put::Done { previous: None });
    // My write lost five times (once to each intruder) and then went through.
    assert_eq!(kv.inner.cas_lost.load(Ordering::Relaxed), 5);
    assert_eq!(count(&kv.inner, "p2", &poll(true)), (6, vec![1, 5, 0]));
    // Re-voting replaces: still six voters.
    let previous = match vote(&kv.inner, "p2", "me", 2, true) {
        Put::Done { previous } => previous.unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(open(&SECRET, "p2", &key("me"), &previous, 3), Some(vec![0]));
    assert_eq!(count(&kv.inner, "p2", &poll(true)), (6, vec![0, 5, 1]));
}

#[test]
fn closing_while_people_vote_counts_each_vote_before_it_or_not_at_all() {
    for round in 0..30 {
        let kv = Memory {
            yields: true,
            ..Memory::default()
        };
        // The poll's record: closed or not.
        let closed = AtomicBool::new(false);
        let is_closed = || Ok(closed.load(Ordering::SeqCst));
        let accepted = AtomicU64::new(0);
        let final_shards = std::thread::scope(|s| {
            for i in 0..30u32 {
                let (kv, accepted, is_closed) = (&kv, &accepted, &is_closed);
                s.spawn(move || {
                    let person = format!("v{round}-{i}");
                    if vote_unless(kv, "p3", &person, (i % 3) as u8, i % 2 == 0, is_closed)
                        != Put::Closed
                    {
                        accepted.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            s.spawn(|| {
                closed.store(true, Ordering::SeqCst);
                close_all(&kv, "p3").unwrap()
            })
            .join()
            .unwrap()
        });
        let at_close = tally(
            &SECRET,
            "p3",
            &poll(false),
            final_shards.iter().flat_map(|s| &s.ballots),
        );
        let accepted = accepted.load(Ordering::Relaxed) as u32;
        // What closing saw is exactly what was accepted; ballots that came too late were
        // taken back.
        assert_eq!(at_close.voters, accepted, "round {round}");
        assert_eq!(count(&kv, "p3", &poll(false)).0, accepted);
        for late in ["late-1", "late-2", "late-3", "late-4"] {
            assert_eq!(
                vote_unless(&kv, "p3", late, 1, false, &is_closed),
                Put::Closed
            );
        }
        assert_eq!(count(&kv, "p3", &poll(false)).0, accepted);
    }
}

#[test]
fn an_anonymous_poll_keeps_no_ballot_after_closing() {
    let kv = Memory::default();
    for i in 0..10 {
        vote(&kv, "p4", &format!("x{i}"), 1, true);
    }
    let closed = close_all(&kv, "p4").unwrap();
    assert!(!closed.is_empty() && closed.iter().all(|s| s.closed));
    delete_all(&kv, "p4").unwrap();
    assert!(shards(&kv, "p4").unwrap().is_empty());
    // A vote racing the closing creates a shard, sees the poll closed, takes it back.
    assert_eq!(
        vote_unless(&kv, "p4", "x1", 0, true, &|| Ok(true)),
        Put::Closed
    );
    assert!(
        shards(&kv, "p4")
            .unwrap()
            .iter()
            .all(|s| s.ballots.is_empty())
    );
}

#[test]
fn withdrawing_removes_the_ballot_and_nothing_else() {
    let kv = Memory::default();
    vote(&kv, "p5", "a", 0, false);
    vote(&kv, "p5", "b", 1, false);
    let key = pseudonym(&SECRET, "p5", "a");
    let out = put_ballot(&kv, "p5", &key, &|| Ok(false), || Ok(None)).unwrap();
    assert!(matches!(out, Put::Done { previous: Some(_) }));
    assert_eq!(ballot_of(&kv, "p5", &key).unwrap(), None);
    assert_eq!(count(&kv, "p5", &poll(false)), (1, vec![0, 1, 0]));
    // Withdrawing twice writes nothing.
    let before = kv.cas_calls.load(Ordering::Relaxed);
    put_ballot(&kv, "p5", &key, &|| Ok(false), || Ok(None)).unwrap();
    assert_eq!(kv.cas_calls.load(Ordering::Relaxed), before);
}

/// Threads vote and redraw a "card" (a cell the drawing writes without compare-and-set,
/// as the host replaces cards): when all are done, the card shows the final count.
#[test]
fn the_card_ends_up_showing_the_last_count_and_few_drawings_happen() {
    for round in 0..10 {
        let kv = Memory {
            yields: true,
            ..Memory::default()
        };
        let card = Mutex::new((0u32, Vec::new()));
        let drawings = AtomicU64::new(0);
        let busy = AtomicU64::new(0);
        let p = poll(false);
        std::thread::scope(|s| {
            for i in 0..40u32 {
                let (kv, card, drawings, busy, p) = (&kv, &card, &drawings, &busy, &p);
                s.spawn(move || {
                    vote(kv, "p6", &format!("r{round}-{i}"), (i % 3) as u8, false);
                    let me = format!("call-{i}");
                    let mut draw = || {
                        let seen = count(kv, "p6", p);
                        std::thread::yield_now();
                        *card.lock().unwrap() = seen;
                        drawings.fetch_add(1, Ordering::Relaxed);
                        Ok(())
                    };
                    let r = refresh(kv, "p6", &me, &|| 0, &mut draw).unwrap();
                    if r == Refreshed::Busy {
                        busy.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        if busy.load(Ordering::Relaxed) > 0 {
            // What the timer does when a drawer gave up: one more refresh.
            let mut draw = || {
                *card.lock().unwrap() = count(&kv, "p6", &p);
                Ok(())
            };
            refresh(&kv, "p6", "timer", &|| 0, &mut draw).unwrap();
        }
        assert_eq!(
            *card.lock().unwrap(),
            (40, vec![14, 13, 13]),
            "round {round}"
        );
        assert!(drawings.load(Ordering::Relaxed) <= 40 * 2);
        // The lease is let go.
        let lease: Lease = serde_json::from_slice(&kv.get("render/p6").unwrap().unwrap()).unwrap();
        assert_eq!(lease.owner, None);
    }
}

#[test]
fn a_stale_lease_is_taken_over() {
    let kv = Memory::default();
    let stuck = Lease {
        owner: Some("gone".into()),
        until_ms: 1_000,
        changes: 3,
    };
    kv.cas("render/p7", None, &serde_json::to_vec(&stuck).unwrap())
        .unwrap();
    let mut drawn = 0;
    // While the lease runs, a change is left to its holder.
    let r = refresh(&kv, "p7", "me", &|| 500, &mut || {
        drawn += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!((r, drawn), (Refreshed::Delegated, 0));
    // After it ran out, the next caller draws.
    let r = refresh(&kv, "p7", "me", &|| 2_000, &mut || {
        drawn += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!((r, drawn), (Refreshed::Drawn, 1));
}
