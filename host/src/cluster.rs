//! Several host processes on one PostgreSQL database, with NATS between them.
//!
//! The database is the truth and NATS is the doorbell. Every node's writer holds one
//! PostgreSQL lock while it draws positions and commits (`store::writer`), so positions
//! follow commit order across the cluster: once position `n` is visible, every position
//! below it is final. After each commit a node rings `<subject>.events` with its newest
//! position; every node then reads what it has not delivered yet straight from the event
//! log and hands it to its hub, strictly in position order, each event once.
//!
//! The [`Sequencer`] (one task per node) keeps that order. Its own writer's events arrive
//! ready-made; before delivering them it reads anything older it has not seen from the
//! log. A doorbell, or a poll of the log's head every second (NATS core delivers at most
//! once, and a node may miss a ring), reads the rest. Positions drawn by a transaction
//! that rolled back never appear and are simply passed.
//!
//! Catch-up after a reconnect already reads the log (`?since=`), so a client that moves to
//! another node — because its node died — resumes with nothing lost and nothing twice.
//!
//! Besides events, nodes keep a little in memory for speed: who is connected (the hub),
//! which plugins are ready in a group, a group's outgoing webhooks. A change on one node
//! is told to the others on `<subject>.control` ([`Signal`]) so they follow at once: a
//! sign-out closes the person's connections on every node, a plugin install or
//! enablement applies everywhere. A lost signal only delays that: connections check
//! their session at every heartbeat and the caches live at most two seconds.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::hub::Hub;
use crate::store::Pools;
use crate::store::events::{self, Event};

/// Events read from the log at a time.
const PAGE: i64 = 1000;
/// How often the log's head is polled, in case a doorbell was missed.
const POLL: Duration = Duration::from_secs(1);

/// What the sequencer is told.
pub enum Input {
    /// This node's writer committed these (in position order).
    Local(Vec<Event>),
}

/// Hands committed events to the hub in position order, whoever committed them.
pub struct Sequencer {
    pools: Pools,
    hub: Arc<Hub>,
    /// The next position to deliver.
    next: i64,
    /// This node's events waiting for older ones to be read.
    waiting: BTreeMap<i64, Event>,
}

/// A change to per-node state that the other nodes must follow.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Signal {
    /// Close a person's connections: all, those of `session`, or all but `keep`.
    SessionsEnded {
        person: String,
        session: Option<String>,
        keep: Option<String>,
    },
    /// Installs, grants, enablements, settings or health of plugins changed.
    PluginsChanged,
    /// A group's outgoing webhooks changed.
    WebhooksChanged { group: String },
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Envelope {
    from: String,
    #[serde(flatten)]
    signal: Signal,
}

/// This node's link to the rest of the cluster.
pub struct Cluster {
    /// Where the writer sends this node's committed events.
    pub events: mpsc::UnboundedSender<Input>,
    client: async_nats::Client,
    control: String,
    node: String,
}

impl Cluster {
    /// Tells the other nodes (at most once; see the module's note on lost signals).
    pub fn signal(&self, signal: Signal) {
        let envelope = Envelope {
            from: self.node.clone(),
            signal,
        };
        let Ok(payload) = serde_json::to_vec(&envelope) else {
            return;
        };
        let (client, subject) = (self.client.clone(), self.control.clone());
        tokio::spawn(async move {
            if let Err(e) = client.publish(subject, payload.into()).await {
                tracing::warn!(error = %e, "telling the cluster of a change failed");
            }
        });
    }

    /// What the other nodes signal, as it arrives.
    pub async fn signals(&self) -> anyhow::Result<mpsc::UnboundedReceiver<Signal>> {
        let mut sub = self.client.subscribe(self.control.clone()).await?;
        let node = self.node.clone();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(message) = sub.next().await {
                match serde_json::from_slice::<Envelope>(&message.payload) {
                    Ok(envelope) if envelope.from != node => {
                        if tx.send(envelope.signal).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "an unreadable cluster signal"),
                }
            }
        });
        Ok(rx)
    }
}

/// Connects to NATS and starts the sequencer; returns this node's link to the cluster.
pub async fn start(
    url: &str,
    subject: &str,
    node: String,
    pools: Pools,
    hub: Arc<Hub>,
    head: i64,
) -> anyhow::Result<Cluster> {
    use anyhow::Context;
    let client = async_nats::ConnectOptions::new()
        .name(format!("courtyard {node}"))
        .retry_on_initial_connect()
        .connect(url)
        .await
        .with_context(|| format!("connecting to NATS at {url}"))?;
    let control = format!("{subject}.control");
    let subject = format!("{subject}.events");
    let mut doorbell = client
        .subscribe(subject.clone())
        .await
        .context("subscribing to the cluster's events")?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Input>();
    let link = Cluster {
        events: tx,
        client: client.clone(),
        control,
        node: node.clone(),
    };
    let mut sequencer = Sequencer {
        pools,
        hub,
        next: head + 1,
        waiting: BTreeMap::new(),
    };
    tokio::spawn(async move {
        let mut poll = tokio::time::interval(POLL);
        loop {
            tokio::select! {
                input = rx.recv() => match input {
                    Some(Input::Local(events)) => {
                        let newest = events.last().map(|e| e.seq);
                        sequencer.local(events).await;
                        if let Some(seq) = newest {
                            // Ring the others; a lost ring costs them one poll interval.
                            let _ = client
                                .publish(subject.clone(), format!("{node} {seq}").into())
                                .await;
                        }
                    }
                    None => return,
                },
                Some(ring) = doorbell.next() => {
                    let text = String::from_utf8_lossy(&ring.payload);
                    let upto = text
                        .split_once(' ')
                        .filter(|(from, _)| *from != node)
                        .and_then(|(_, seq)| seq.parse::<i64>().ok());
                    if let Some(upto) = upto {
                        sequencer.catch_up(upto).await;
                    }
                }
                _ = poll.tick() => {
                    if let Ok(head) = events::head(&sequencer.pools).await {
                        sequencer.catch_up(head).await;
                    }
                }
            }
        }
    });
    Ok(link)
}

impl Sequencer {
    /// This node's writer committed `events`: everything before them is final, so read
    /// what others committed before them, then deliver them as they are (no read: a
    /// batch's own positions are all final — a gap inside it is a job that rolled back).
    async fn local(&mut self, events: Vec<Event>) {
        let (Some(first), Some(last)) = (events.first(), events.last()) else {
            return;
        };
        let (first, last) = (first.seq, last.seq);
        if last < self.next {
            return;
        }
        if first > self.next {
            self.catch_up(first - 1).await;
            if self.next < first {
                // The log could not be read; keep these until it can.
                for e in events {
                    self.waiting.insert(e.seq, e);
                }
                return;
            }
        }
        let fresh: Vec<Event> = events.into_iter().filter(|e| e.seq >= self.next).collect();
        self.hub.publish(&fresh);
        self.next = last + 1;
    }

    /// Delivers every event up to `upto` (a position known to be committed) not delivered
    /// yet, in order: this node's own from `waiting`, the others' from the log.
    async fn catch_up(&mut self, upto: i64) {
        while self.next <= upto {
            let read = match events::range(&self.pools, self.next - 1, upto, PAGE).await {
                Ok(read) => read,
                Err(e) => {
                    // The next ring or poll tries again.
                    tracing::warn!(error = %e, "reading the event log for live delivery failed");
                    return;
                }
            };
            let page_end = if read.len() as i64 == PAGE {
                read.last().map_or(upto, |e| e.seq)
            } else {
                upto
            };
            let mut batch: Vec<Event> = Vec::with_capacity(read.len());
            for e in read {
                // The log's copy and this node's are the same event; the local one is
                // dropped from `waiting` either way.
                self.waiting.remove(&e.seq);
                batch.push(e);
            }
            let mut rest = self.waiting.split_off(&(page_end + 1));
            std::mem::swap(&mut rest, &mut self.waiting);
            // `rest` now holds waiting events up to `page_end` that the log did not return
            // (not possible once committed, but never lose one): deliver them in order.
            batch.extend(rest.into_values());
            batch.sort_by_key(|e| e.seq);
            batch.dedup_by_key(|e| e.seq);
            if !batch.is_empty() {
                self.hub.publish(&batch);
            }
            self.next = page_end + 1;
        }
    }
}
