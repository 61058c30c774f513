//! Listeners: WebSocket clients signed in as members of the group, which time every
//! message from the moment its post was sent until its frame arrives (post→delivered), and
//! check that each of them receives every message posted in the measured window, once.
//!
//! Every post's body ends with ` #t=<unix micros>`, its send time (in rate mode, its
//! scheduled time). Posters and listeners share one [`Clock`] (monotonic, anchored to the
//! wall clock once), so the difference is exact whatever the wall clock does meanwhile.
//!
//! Frames are read without a JSON parse on the hot path: the server writes every event as
//! `{"seq":N,"type":"KIND","group_id":"G","at":T,"data":{…}}` (`store::events::frame`),
//! so the position, the kind, the group and the marker are found by prefix and substring.
//! Anything else (`hello`, `resync_required`, a future layout) is parsed as JSON.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use futures_util::StreamExt;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Marks a post's send time in its body.
const MARKER: &str = " #t=";
/// Reconnection attempts after a connection is closed (e.g. 4008, lagged) before giving up.
const RECONNECTS: u32 = 20;

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Monotonic time as unix microseconds: `base_us` is the wall clock at `start`.
#[derive(Clone, Copy)]
pub struct Clock {
    start: Instant,
    base_us: i64,
}

impl Clock {
    /// A clock whose `start` is `lead` from now.
    pub fn new(lead: Duration) -> Clock {
        let now = Instant::now();
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Clock {
            start: now + lead,
            base_us: micros(wall + lead),
        }
    }

    pub fn start(&self) -> Instant {
        self.start
    }

    /// `at` in unix microseconds.
    pub fn micros(&self, at: Instant) -> i64 {
        if at >= self.start {
            self.base_us + micros(at - self.start)
        } else {
            self.base_us - micros(self.start - at)
        }
    }
}

fn micros(d: Duration) -> i64 {
    d.as_micros().try_into().unwrap_or(i64::MAX)
}

/// The body suffix carrying a send time.
pub fn marker(sent_us: i64) -> String {
    format!("{MARKER}{sent_us}")
}

/// A `message.created` frame of the group: its position and the send time in its body
/// (absent for messages the posters did not write).
#[derive(Debug, PartialEq)]
pub struct Delivered {
    pub seq: i64,
    pub sent_us: Option<i64>,
}

/// What a frame is, as far as a listener cares.
#[derive(Debug, PartialEq)]
pub enum Frame {
    /// A message posted in the group.
    Message(Delivered),
    /// Any other event (its position).
    Event(i64),
    /// `hello`: the newest position when the stream started.
    Hello(i64),
    /// The position asked for is older than the log keeps: events were skipped.
    Resync(i64),
    Other,
}

/// Reads a text frame (see the module docs).
pub fn classify(text: &str, group: &str) -> Frame {
    if let Some(f) = classify_fast(text, group) {
        return f;
    }
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return Frame::Other;
    };
    let head = v["head"].as_i64().unwrap_or(0);
    match (v["type"].as_str(), v["seq"].as_i64()) {
        (Some("hello"), _) => Frame::Hello(head),
        (Some("resync_required"), _) => Frame::Resync(head),
        (Some("message.created"), Some(seq)) if v["group_id"] == group => {
            Frame::Message(Delivered {
                seq,
                sent_us: v["data"]["body"].as_str().and_then(sent_time),
            })
        }
        (_, Some(seq)) => Frame::Event(seq),
        _ => Frame::Other,
    }
}

fn classify_fast(text: &str, group: &str) -> Option<Frame> {
    let rest = text.strip_prefix(r#"{"seq":"#)?;
    let comma = rest.find(',')?;
    let seq: i64 = rest[..comma].parse().ok()?;
    let rest = rest[comma + 1..].strip_prefix(r#""type":""#)?;
    let quote = rest.find('"')?;
    if &rest[..quote] != "message.created" {
        return Some(Frame::Event(seq));
    }
    let rest = rest[quote + 1..].strip_prefix(r#","group_id":""#)?;
    if !rest.starts_with(group) || !rest[group.len()..].starts_with('"') {
        return Some(Frame::Event(seq));
    }
    // The body comes before its rendered segments, so the first marker is the body's.
    Some(Frame::Message(Delivered {
        seq,
        sent_us: sent_time(rest),
    }))
}

/// The send time after the first marker in `s`.
fn sent_time(s: &str) -> Option<i64> {
    let at = s.find(MARKER)? + MARKER.len();
    let digits = s[at..].bytes().take_while(u8::is_ascii_digit).count();
    s[at..at + digits].parse().ok()
}

/// Opens the event stream as the bearer of `token` (resuming after `since`) and reads its
/// `hello`; returns the stream and the head it announced.
pub async fn connect(base: &str, token: &str, since: Option<i64>) -> anyhow::Result<(Ws, i64)> {
    let url = format!(
        "{}/api/v1/ws{}",
        base.replacen("http", "ws", 1),
        since.map(|s| format!("?since={s}")).unwrap_or_default()
    );
    let mut req = url.as_str().into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (mut ws, _) = timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async_with_config(req, None, true),
    )
    .await
    .with_context(|| format!("connecting to {url}: timed out"))?
    .with_context(|| format!("connecting to {url}"))?;
    loop {
        let frame = timeout(Duration::from_secs(10), ws.next())
            .await
            .context("no hello within 10 s")?;
        match frame {
            Some(Ok(Message::Text(t))) => match classify(t.as_str(), "") {
                Frame::Hello(head) => return Ok((ws, head)),
                other => bail!("expected hello first, got {other:?}: {}", t.as_str()),
            },
            Some(Ok(Message::Close(c))) => bail!("closed before hello: {c:?}"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => bail!("closed before hello"),
        }
    }
}

/// What one listener heard.
#[derive(Default)]
pub struct Heard {
    /// Post→delivered latencies of the window's messages, in microseconds.
    pub latencies_us: Vec<u64>,
    /// Positions of the window's messages, in arrival order.
    pub seqs: Vec<i64>,
    /// Times the stream was closed and resumed with `?since=`.
    pub reconnects: u32,
    /// Of those, the connections the listener dropped itself (`--drop-every-ms`).
    pub drops: u32,
    /// `resync_required` answers (events were skipped).
    pub resyncs: u32,
    /// Why the listener stopped early, if it did.
    pub error: Option<String>,
    /// Whether it stopped at the drain deadline instead of at the end marker.
    pub timed_out: bool,
}

pub struct Listener {
    pub base: String,
    pub token: String,
    pub group: String,
    pub clock: Clock,
    /// Send times (unix µs) that count: [from, to).
    pub window: (i64, i64),
    /// Set once posting is over: the position of a message posted after every other. The
    /// stream is in position order, so reaching it means everything before has arrived.
    pub stop: watch::Receiver<Option<i64>>,
    /// How long to wait for the stop position once it is known.
    pub drain: Duration,
    /// Acknowledge every TCP segment at once (`TCP_QUICKACK`, re-armed before each read;
    /// Linux), instead of the kernel's delayed ACK. A diagnostic: if the server does not
    /// set `TCP_NODELAY`, Nagle's algorithm holds a small frame until the previous one is
    /// acknowledged, and a delayed ACK makes that up to 40 ms.
    pub quickack: bool,
    /// Drop the connection (no close handshake, unread frames lost with it) at random
    /// intervals averaging this, stay away up to 200 ms, and resume with `?since=`: a
    /// flaky network. Posting goes on meanwhile, so catch-up must fill every gap.
    pub drop_every: Option<Duration>,
    /// Seeds the drop intervals.
    pub seed: u64,
}

impl Listener {
    /// Reads the stream until the stop position (or the drain deadline), resuming after a
    /// close with `?since=` the last position seen.
    pub async fn run(mut self, mut ws: Ws, head: i64) -> Heard {
        let mut heard = Heard::default();
        let mut last = head;
        let mut stop_at: Option<i64> = None;
        let mut deadline: Option<Instant> = None;
        let mut rng = crate::text::Rng::new(self.seed);
        let mut next_drop = self
            .drop_every
            .map(|d| Instant::now() + jittered(d, &mut rng));
        loop {
            if stop_at.is_some_and(|s| last >= s) {
                break;
            }
            if self.quickack
                && let MaybeTlsStream::Plain(tcp) = ws.get_ref()
            {
                let _ = tcp.set_quickack(true);
            }
            tokio::select! {
                frame = ws.next() => match frame {
                    Some(Ok(Message::Text(t))) => match classify(t.as_str(), &self.group) {
                        Frame::Message(m) => {
                            last = last.max(m.seq);
                            if let Some(sent) = m.sent_us
                                && (self.window.0..self.window.1).contains(&sent)
                            {
                                let now = self.clock.micros(Instant::now());
                                heard.latencies_us.push(now.saturating_sub(sent).max(0) as u64);
                                heard.seqs.push(m.seq);
                            }
                        }
                        Frame::Event(seq) => last = last.max(seq),
                        Frame::Resync(h) => {
                            heard.resyncs += 1;
                            last = last.max(h);
                        }
                        Frame::Hello(_) | Frame::Other => {}
                    },
                    Some(Ok(_)) => {}
                    end => {
                        // Closed (4008 when it fell behind) or broken: resume after `last`.
                        let why = match end {
                            Some(Ok(Message::Close(c))) => format!("closed: {c:?}"),
                            Some(Err(e)) => format!("error: {e}"),
                            _ => "ended".to_owned(),
                        };
                        match self.reconnect(last, &mut heard).await {
                            Ok(w) => ws = w,
                            Err(e) => {
                                heard.error = Some(format!("{why}; reconnecting: {e:#}"));
                                return heard;
                            }
                        }
                    }
                },
                changed = self.stop.changed(), if stop_at.is_none() => {
                    stop_at = match changed {
                        Ok(()) => *self.stop.borrow(),
                        // The run gave up: wait out the drain for what is on its way.
                        Err(_) => Some(i64::MAX),
                    };
                    if stop_at.is_some() {
                        deadline = Some(Instant::now() + self.drain);
                    }
                }
                _ = sleep_until(next_drop.unwrap_or_else(Instant::now)),
                    if next_drop.is_some() && stop_at.is_none() => {
                    // Stop reading, stay away a while, then come back after `last`; the old
                    // connection is dropped (not closed) once the new one is up.
                    let away = Duration::from_millis(rng.next() % 200);
                    tokio::time::sleep(away).await;
                    match self.reconnect(last, &mut heard).await {
                        Ok(w) => ws = w,
                        Err(e) => {
                            heard.error = Some(format!("after a drop, reconnecting: {e:#}"));
                            return heard;
                        }
                    }
                    heard.drops += 1;
                    next_drop = self.drop_every.map(|d| Instant::now() + jittered(d, &mut rng));
                }
                _ = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    heard.timed_out = true;
                    break;
                }
            }
        }
        let _ = ws.close(None).await;
        heard
    }

    async fn reconnect(&self, last: i64, heard: &mut Heard) -> anyhow::Result<Ws> {
        let mut failure = None;
        for attempt in 0..RECONNECTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
            }
            match connect(&self.base, &self.token, Some(last)).await {
                Ok((ws, _)) => {
                    heard.reconnects += 1;
                    return Ok(ws);
                }
                Err(e) => failure = Some(e),
            }
        }
        Err(failure.unwrap_or_else(|| anyhow::anyhow!("no attempt made")))
    }
}

/// Between half and one and a half times `mean`.
fn jittered(mean: Duration, rng: &mut crate::text::Rng) -> Duration {
    let half = mean / 2;
    half + Duration::from_micros(rng.next() % (mean.as_micros() as u64 + 1))
}

/// Compares what a listener heard with the positions the posters were given.
/// `expected` must be sorted and free of duplicates; returns (missing, duplicates,
/// unexpected).
pub fn check(expected: &[i64], heard: &mut [i64]) -> (u64, u64, u64) {
    heard.sort_unstable();
    let mut duplicates = 0;
    let mut distinct = Vec::with_capacity(heard.len());
    for (i, s) in heard.iter().enumerate() {
        if i > 0 && heard[i - 1] == *s {
            duplicates += 1;
        } else {
            distinct.push(*s);
        }
    }
    let (mut missing, mut unexpected) = (0, 0);
    let (mut a, mut b) = (0, 0);
    while a < expected.len() || b < distinct.len() {
        match (expected.get(a), distinct.get(b)) {
            (Some(e), Some(h)) if e == h => {
                a += 1;
                b += 1;
            }
            (Some(e), Some(h)) if e < h => {
                missing += 1;
                a += 1;
            }
            (Some(_), None) => {
                missing += 1;
                a += 1;
            }
            _ => {
                unexpected += 1;
                b += 1;
            }
        }
    }
    (missing, duplicates, unexpected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_read_by_prefix_and_by_json_alike() {
        let g = "g1";
        let msg = r#"{"seq":42,"type":"message.created","group_id":"g1","at":1,"data":{"id":"m","seq":42,"body":"hi #t=1700000000123456","segments":[{"text":"hi #t=9"}]}}"#;
        let want = Frame::Message(Delivered {
            seq: 42,
            sent_us: Some(1_700_000_000_123_456),
        });
        assert_eq!(classify(msg, g), want);
        assert_eq!(classify_fast(msg, g), Some(want));
        // The same frame with another key order goes through JSON and agrees.
        let reordered = r#"{"type":"message.created","seq":42,"group_id":"g1","data":{"body":"hi #t=1700000000123456"}}"#;
        assert_eq!(classify_fast(reordered, g), None);
        assert_eq!(
            classify(reordered, g),
            Frame::Message(Delivered {
                seq: 42,
                sent_us: Some(1_700_000_000_123_456)
            })
        );
        assert_eq!(
            classify(msg, "g"),
            Frame::Event(42),
            "another group's message (a prefix of the id)"
        );
        let unmarked = r#"{"seq":7,"type":"message.created","group_id":"g1","at":1,"data":{"body":"hook check"}}"#;
        assert_eq!(
            classify(unmarked, g),
            Frame::Message(Delivered {
                seq: 7,
                sent_us: None
            })
        );
        let other = r#"{"seq":8,"type":"group.member_added","group_id":"g1","at":1,"data":{}}"#;
        assert_eq!(classify(other, g), Frame::Event(8));
        assert_eq!(classify(r#"{"type":"hello","head":5}"#, g), Frame::Hello(5));
        assert_eq!(
            classify(r#"{"type":"resync_required","head":9}"#, g),
            Frame::Resync(9)
        );
    }

    #[test]
    fn the_check_counts_missing_duplicate_and_unexpected_positions() {
        let expected = [1, 2, 3, 5, 8];
        assert_eq!(check(&expected, &mut [8, 5, 3, 2, 1]), (0, 0, 0));
        assert_eq!(check(&expected, &mut [1, 1, 3, 5, 9, 9]), (2, 2, 1));
        assert_eq!(check(&[], &mut []), (0, 0, 0));
    }

    #[test]
    fn the_clock_maps_instants_to_unix_micros() {
        let c = Clock::new(Duration::from_millis(50));
        let a = c.micros(c.start() - Duration::from_millis(1));
        let b = c.micros(c.start() + Duration::from_millis(2));
        assert_eq!(b - a, 3000);
        assert!(marker(b).starts_with(" #t=") && sent_time(&marker(b)) == Some(b));
    }
}
