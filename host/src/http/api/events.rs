//! Real time: the WebSocket at `/api/v1/ws` and the HTTP catch-up at `/api/v1/events`.
//!
//! WebSocket protocol (server → client, JSON text frames):
//! - `{"type":"hello","head":N}` first: the newest position when the stream starts.
//! - then, if `?since=S` was given, every event after S the person may see, in order;
//!   or `{"type":"resync_required","head":N}` when S is older than the log keeps (refetch
//!   state over REST, then treat N as the position);
//! - then live events `{"seq","type","group_id","at","data"}`, in position order, never
//!   repeating one sent before.
//!
//! A connection that falls too far behind is closed with code 4008; reconnect with the last
//! `seq` seen. A revoked session is closed with code 4001.

use std::time::Duration;

use axum::Json;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::auth::Auth;
use crate::app::realtime::{CATCH_UP_PAGE, CatchUp};
use crate::app::views::EventsPage;
use crate::app::{App, AppError};
use crate::http::error::{ErrorBody, error_response};
use crate::http::extract::{Authed, Q, bearer_token};

const HEARTBEAT: Duration = Duration::from_secs(30);
const CLOSE_LAGGED: u16 = 4008;
const CLOSE_SIGNED_OUT: u16 = 4001;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(events))
        .routes(routes!(websocket))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// The last position the client has seen.
    #[param(minimum = 0)]
    pub since: i64,
    /// 1 to 500; default 500.
    pub limit: Option<i64>,
}

/// Events after a position that the caller may see, oldest first (catch-up without a
/// WebSocket). 410 `too_old` when the position is older than the log keeps.
#[utoipa::path(get, path = "/api/v1/events", tag = "realtime", params(EventsQuery),
    responses((status = 200, body = EventsPage), (status = 410, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A negative position (`invalid_position`)")))]
async fn events(
    State(app): State<App>,
    Authed(auth): Authed,
    Q(q): Q<EventsQuery>,
) -> Result<Json<EventsPage>, AppError> {
    Ok(Json(app.events_page(&auth, q.since, q.limit).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WsQuery {
    /// Resume after this position (the last `seq` received); omit to start live.
    pub since: Option<i64>,
}

/// Cross-site WebSocket hijacking guard: a browser (cookie) connection must come from a
/// page of this host.
fn same_origin(parts: &Parts) -> bool {
    let Some(origin) = parts
        .headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin.split_once("://").map(|(_, h)| h) == Some(host)
}

/// The real-time event stream (WebSocket upgrade). See the module docs for the protocol.
#[utoipa::path(get, path = "/api/v1/ws", tag = "realtime", params(WsQuery),
    responses((status = 101, description = "switching to the WebSocket protocol"), (status = 401, body = ErrorBody)))]
async fn websocket(State(app): State<App>, req: axum::extract::Request) -> Response {
    let (mut parts, _body) = req.into_parts();
    let Q(q) = match Q::<WsQuery>::from_request_parts(&mut parts, &app).await {
        Ok(q) => q,
        Err(r) => return r,
    };
    if bearer_token(&parts).is_none() && !same_origin(&parts) {
        return error_response(
            StatusCode::FORBIDDEN,
            "forbidden",
            "cross-origin WebSocket refused",
        );
    }
    let auth = match Authed::from_request_parts(&mut parts, &app).await {
        Ok(Authed(auth)) => auth,
        Err(e) => return e.into_response(),
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &app).await {
        Ok(u) => u,
        Err(r) => return error_response(r.status(), "websocket_required", r.body_text()),
    };
    if let Some(since) = q.since
        && since < 0
    {
        return AppError::invalid("invalid_position", "since must not be negative").into_response();
    }
    upgrade
        .max_message_size(64 * 1024)
        // A client sends little (acks, typing): tungstenite's default 128 KiB read buffer,
        // allocated up front for every connection, was most of an idle connection's memory.
        .read_buffer_size(4 * 1024)
        .on_upgrade(move |socket| async move {
            app.metrics.websocket_opened();
            // Counted closed however the stream ends (error, close, or the task dropped).
            struct Closed(App);
            impl Drop for Closed {
                fn drop(&mut self) {
                    self.0.metrics.websocket_closed();
                }
            }
            let _closed = Closed(app.clone());
            if let Err(e) = stream(app, auth, q.since, socket).await {
                tracing::debug!(error = %e, "websocket ended");
            }
        })
}

async fn send_text(socket: &mut WebSocket, text: &str) -> anyhow::Result<()> {
    socket.send(Message::Text(text.to_owned().into())).await?;
    Ok(())
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.to_owned().into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

async fn stream(
    app: App,
    auth: Auth,
    since: Option<i64>,
    mut socket: WebSocket,
) -> anyhow::Result<()> {
    let mut sub = app.subscribe(&auth).await?;
    let result = async {
        let head = app.head().await?;
        send_text(&mut socket, &format!(r#"{{"type":"hello","head":{head}}}"#)).await?;
        let mut last = head;
        if let Some(since) = since {
            last = since;
            loop {
                match app.catch_up(&auth, last, CATCH_UP_PAGE).await? {
                    CatchUp::TooOld { head } => {
                        send_text(&mut socket, &format!(r#"{{"type":"resync_required","head":{head}}}"#)).await?;
                        last = head;
                        break;
                    }
                    CatchUp::Events { events, more } => {
                        for (seq, frame) in events {
                            send_text(&mut socket, &frame).await?;
                            last = seq;
                        }
                        if !more {
                            break;
                        }
                    }
                }
            }
        }
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.tick().await;
        let mut awaiting_pong = false;
        loop {
            tokio::select! {
                delivery = sub.rx.recv() => match delivery {
                    Some((seq, frame)) => {
                        if seq > last {
                            send_text(&mut socket, &frame).await?;
                            last = seq;
                        }
                    }
                    None => {
                        use std::sync::atomic::Ordering::Relaxed;
                        if sub.signed_out.load(Relaxed) {
                            close(&mut socket, CLOSE_SIGNED_OUT, "signed out").await;
                        } else {
                            let reason = if sub.lagged.load(Relaxed) { "lagged: reconnect with since" } else { "server closing" };
                            close(&mut socket, CLOSE_LAGGED, reason).await;
                        }
                        return Ok(());
                    }
                },
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Close(_))) | None => return Ok(()),
                    Some(Ok(Message::Pong(_))) => awaiting_pong = false,
                    Some(Ok(Message::Ping(p))) => socket.send(Message::Pong(p)).await?,
                    Some(Ok(Message::Text(t))) if t.as_str().contains("\"ping\"") => {
                        send_text(&mut socket, &format!(r#"{{"type":"pong","head":{last}}}"#)).await?;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e.into()),
                },
                _ = heartbeat.tick() => {
                    if awaiting_pong {
                        return Ok(());
                    }
                    // A session revoked or a person disabled while connected is cut off.
                    // A database hiccup does not disconnect anyone.
                    let token_ok = app.authenticate_hash(&auth.token_hash).await.unwrap_or(true);
                    if !token_ok {
                        close(&mut socket, CLOSE_SIGNED_OUT, "signed out").await;
                        return Ok(());
                    }
                    socket.send(Message::Ping(Default::default())).await?;
                    awaiting_pong = true;
                }
            }
        }
    }
    .await;
    app.hub.unregister(&auth.actor.person_id, sub.id);
    result
}
