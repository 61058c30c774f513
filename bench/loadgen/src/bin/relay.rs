//! The engine's limit: a bare axum + `tokio::sync::broadcast` WebSocket relay that speaks
//! just enough of Courtyard's API for `loadgen` to drive it unchanged (issue 6's side by
//! side). Nothing is stored, checked or made durable: a post gets the next position, its
//! frame is encoded once and broadcast to the group's connections, and it is answered 201.
//! What Courtyard adds on top — sessions, permissions, the database, the event log,
//! plugins — is exactly the gap between the two figures.
//!
//!   relay --listen 127.0.0.1:8090
//!
//! Endpoints (the loadgen's setup and run, nothing else): `POST /api/v1/auth/login`,
//! `POST /api/v1/orgs`, `POST /api/v1/orgs/{org}/people`, `POST /api/v1/groups`,
//! `POST /api/v1/groups/{id}/members`, `POST /api/v1/groups/{id}/messages`, `GET
//! /api/v1/ws` (bearer token) and `GET /healthz`. A token is the person's email.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use anyhow::Context;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clap::Parser;
use futures_util::stream::{self, SelectAll, Stream, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast;

/// Frames a slow connection may fall behind by before it is dropped (as Courtyard closes
/// a lagging connection with 4008).
const BACKLOG: usize = 4096;

#[derive(Parser)]
#[command(
    name = "relay",
    about = "A bare axum + broadcast WebSocket relay (benchmark peer)"
)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
}

#[derive(Default)]
struct Relay {
    /// The last position handed out.
    head: AtomicI64,
    /// Ids handed out for organizations, people and groups.
    next_id: AtomicI64,
    directory: RwLock<Directory>,
}

#[derive(Default)]
struct Directory {
    /// Person id by email (the email is the token).
    people: HashMap<String, String>,
    groups: HashMap<String, broadcast::Sender<Utf8Bytes>>,
    /// Group ids by person id.
    memberships: HashMap<String, Vec<String>>,
}

type Shared = Arc<Relay>;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/orgs", post(create_org))
        .route("/api/v1/orgs/{org}/people", post(create_person))
        .route("/api/v1/groups", post(create_group))
        .route("/api/v1/groups/{id}/members", post(add_member))
        .route("/api/v1/groups/{id}/messages", post(post_message))
        .route("/api/v1/ws", get(ws))
        .with_state(Shared::default());
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    eprintln!("relay listening on {}", args.listen);
    // As Courtyard: small frames leave at once instead of waiting for Nagle's algorithm.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}

impl Relay {
    fn id(&self, prefix: &str) -> String {
        format!(
            "{prefix}{}",
            self.next_id.fetch_add(1, Ordering::Relaxed) + 1
        )
    }

    fn person_of(&self, headers: &HeaderMap) -> Option<String> {
        let token = headers
            .get("authorization")?
            .to_str()
            .ok()?
            .strip_prefix("Bearer ")?;
        let directory = self.directory.read().unwrap_or_else(|e| e.into_inner());
        directory.people.get(token).cloned()
    }

    fn join(&self, group: &str, person: &str) -> bool {
        let mut directory = self.directory.write().unwrap_or_else(|e| e.into_inner());
        if !directory.groups.contains_key(group) {
            return false;
        }
        let of = directory.memberships.entry(person.to_owned()).or_default();
        if !of.iter().any(|g| g == group) {
            of.push(group.to_owned());
        }
        true
    }
}

fn error(status: StatusCode, code: &str) -> Response {
    (status, Json(json!({"code": code}))).into_response()
}

#[derive(Deserialize)]
struct Login {
    email: String,
}

async fn login(Json(l): Json<Login>) -> Json<Value> {
    Json(json!({"token": l.email}))
}

async fn create_org(State(r): State<Shared>) -> (StatusCode, Json<Value>) {
    (StatusCode::CREATED, Json(json!({"id": r.id("o")})))
}

#[derive(Deserialize)]
struct NewPerson {
    email: String,
}

async fn create_person(
    State(r): State<Shared>,
    Path(_org): Path<String>,
    Json(p): Json<NewPerson>,
) -> (StatusCode, Json<Value>) {
    let id = r.id("p");
    let mut directory = r.directory.write().unwrap_or_else(|e| e.into_inner());
    directory.people.insert(p.email, id.clone());
    (StatusCode::CREATED, Json(json!({"id": id})))
}

#[derive(Deserialize)]
struct NewGroup {
    #[serde(default)]
    member_ids: Vec<String>,
}

async fn create_group(
    State(r): State<Shared>,
    headers: HeaderMap,
    Json(g): Json<NewGroup>,
) -> Response {
    let Some(owner) = r.person_of(&headers) else {
        return error(StatusCode::UNAUTHORIZED, "unauthenticated");
    };
    let id = r.id("g");
    r.directory
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .groups
        .insert(id.clone(), broadcast::channel(BACKLOG).0);
    for person in std::iter::once(&owner).chain(&g.member_ids) {
        r.join(&id, person);
    }
    (StatusCode::CREATED, Json(json!({"id": id}))).into_response()
}

#[derive(Deserialize)]
struct NewMember {
    person_id: String,
}

async fn add_member(
    State(r): State<Shared>,
    Path(group): Path<String>,
    Json(m): Json<NewMember>,
) -> Response {
    if r.join(&group, &m.person_id) {
        Json(json!({})).into_response()
    } else {
        error(StatusCode::NOT_FOUND, "not_found")
    }
}

#[derive(Deserialize)]
struct NewMessage {
    body: String,
}

async fn post_message(
    State(r): State<Shared>,
    Path(group): Path<String>,
    headers: HeaderMap,
    Json(m): Json<NewMessage>,
) -> Response {
    if r.person_of(&headers).is_none() {
        return error(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    let sender = {
        let directory = r.directory.read().unwrap_or_else(|e| e.into_inner());
        match directory.groups.get(&group) {
            Some(s) => s.clone(),
            None => return error(StatusCode::NOT_FOUND, "not_found"),
        }
    };
    // Positions are handed out and sent under no lock, so two posters' frames may reach
    // a listener out of position order: the loadgen counts what arrives, not the order.
    let seq = r.head.fetch_add(1, Ordering::SeqCst) + 1;
    // Fields in Courtyard's order: the loadgen reads a frame's head without parsing it.
    let body = Value::String(m.body);
    let frame = format!(
        r#"{{"seq":{seq},"type":"message.created","group_id":"{group}","data":{{"body":{body}}}}}"#
    );
    // No receivers is not an error: nobody is listening to that group.
    let _ = sender.send(frame.into());
    (StatusCode::CREATED, Json(json!({"seq": seq}))).into_response()
}

async fn ws(State(r): State<Shared>, headers: HeaderMap, upgrade: WebSocketUpgrade) -> Response {
    let Some(person) = r.person_of(&headers) else {
        return error(StatusCode::UNAUTHORIZED, "unauthenticated");
    };
    let receivers: Vec<broadcast::Receiver<Utf8Bytes>> = {
        let directory = r.directory.read().unwrap_or_else(|e| e.into_inner());
        directory
            .memberships
            .get(&person)
            .into_iter()
            .flatten()
            .filter_map(|g| directory.groups.get(g).map(broadcast::Sender::subscribe))
            .collect()
    };
    let head = r.head.load(Ordering::SeqCst);
    // Courtyard's own WebSocket settings, so the comparison is of what runs on top.
    upgrade
        .max_message_size(64 * 1024)
        .read_buffer_size(4 * 1024)
        .on_upgrade(move |socket| relay(socket, head, receivers))
}

/// One connection: `hello`, then every frame of the person's groups until either side
/// goes away or the connection falls `BACKLOG` frames behind.
async fn relay(mut socket: WebSocket, head: i64, receivers: Vec<broadcast::Receiver<Utf8Bytes>>) {
    let hello = format!(r#"{{"type":"hello","head":{head}}}"#);
    if socket.send(Message::Text(hello.into())).await.is_err() {
        return;
    }
    let mut frames = Frames::of(receivers);
    loop {
        tokio::select! {
            frame = frames.next(), if !frames.is_empty() => match frame {
                Some(Ok(text)) => {
                    if socket.send(Message::Text(text)).await.is_err() {
                        return;
                    }
                }
                // Lagged: close, as Courtyard closes a connection that fell behind.
                Some(Err(_)) | None => {
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// A connection's groups: one receiver polled directly (the common case, no merging
/// overhead), or several merged.
enum Frames {
    One(broadcast::Receiver<Utf8Bytes>),
    Many(SelectAll<Pin<Box<dyn Stream<Item = Received> + Send>>>),
}

type Received = Result<Utf8Bytes, broadcast::error::RecvError>;

impl Frames {
    fn of(mut receivers: Vec<broadcast::Receiver<Utf8Bytes>>) -> Self {
        if receivers.len() == 1 {
            return Frames::One(receivers.remove(0));
        }
        Frames::Many(stream::select_all(receivers.into_iter().map(|rx| {
            let merged: Pin<Box<dyn Stream<Item = Received> + Send>> =
                Box::pin(stream::unfold(rx, |mut rx| async move {
                    let next = rx.recv().await;
                    Some((next, rx))
                }));
            merged
        })))
    }

    fn is_empty(&self) -> bool {
        matches!(self, Frames::Many(m) if m.is_empty())
    }

    async fn next(&mut self) -> Option<Received> {
        match self {
            Frames::One(rx) => Some(rx.recv().await),
            Frames::Many(m) => m.next().await,
        }
    }
}
