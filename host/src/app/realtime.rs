//! Real-time subscription and catch-up: the pieces the WebSocket and `/events` share.

use std::sync::Arc;

use courtyard_domain::GroupId;

use super::auth::Auth;
use super::views::EventsPage;
use super::{App, AppError, Result};
use crate::hub::Subscription;
use crate::store::{events, groups};

/// Most events returned by one catch-up page.
pub const CATCH_UP_PAGE: i64 = 500;

pub enum CatchUp {
    /// Events after the client's position, oldest first; `more` if another page waits.
    Events {
        events: Vec<(i64, Arc<str>)>,
        more: bool,
    },
    /// The client is behind what the log keeps: refetch state, then continue from `head`.
    TooOld { head: i64 },
}

impl App {
    /// Registers a live connection for the actor, following the hub's join protocol.
    pub async fn subscribe(&self, auth: &Auth) -> Result<Subscription> {
        let sub = self.hub.register(&auth.actor.person_id, &auth.session_id);
        if sub.needs_init {
            let loaded = async {
                let head = events::head(&self.store.read).await?;
                let ids = groups::group_ids_of(&self.store.read, &auth.actor.person_id).await?;
                Ok::<_, crate::store::StoreError>((head, ids))
            }
            .await;
            match loaded {
                Ok((head, ids)) => {
                    let ids = ids.into_iter().map(GroupId::from_trusted).collect();
                    self.hub.init(&auth.actor.person_id, ids, head);
                }
                Err(e) => {
                    self.hub.unregister(&auth.actor.person_id, sub.id);
                    return Err(e.into());
                }
            }
        }
        Ok(sub)
    }

    pub async fn head(&self) -> Result<i64> {
        Ok(events::head(&self.store.read).await?)
    }

    pub async fn catch_up(&self, auth: &Auth, since: i64, limit: i64) -> Result<CatchUp> {
        if since < 0 {
            return Err(AppError::invalid(
                "invalid_position",
                "since must not be negative",
            ));
        }
        let floor = events::floor(&self.store.read).await?;
        if floor > 0 && since < floor - 1 {
            return Ok(CatchUp::TooOld {
                head: events::head(&self.store.read).await?,
            });
        }
        let limit = limit.clamp(1, CATCH_UP_PAGE);
        let mut events =
            events::since(&self.store.read, &auth.actor.person_id, since, limit + 1).await?;
        let more = events.len() as i64 > limit;
        events.truncate(limit as usize);
        Ok(CatchUp::Events { events, more })
    }

    /// The HTTP form of catch-up, for clients without a WebSocket.
    pub async fn events_page(
        &self,
        auth: &Auth,
        since: i64,
        limit: Option<i64>,
    ) -> Result<EventsPage> {
        match self
            .catch_up(auth, since, limit.unwrap_or(CATCH_UP_PAGE))
            .await?
        {
            CatchUp::TooOld { .. } => Err(AppError::Gone(
                "the position is older than the event log keeps; refetch and continue from the current head",
            )),
            CatchUp::Events { events, more } => {
                let next_since = events.last().map(|(s, _)| *s).unwrap_or(since);
                let events = events
                    .into_iter()
                    .filter_map(|(_, frame)| serde_json::from_str(&frame).ok())
                    .collect();
                Ok(EventsPage {
                    events,
                    next_since,
                    more,
                })
            }
        }
    }
}

/// Trims the event log to the configured retention, in small batches so the writer is never
/// held for long.
pub(crate) async fn event_pruner(app: App) {
    const BATCH: i64 = 5_000;
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        let before = crate::store::now_millis() - app.config.event_retention_hours * 3600 * 1000;
        loop {
            let deleted = app
                .writer
                .write(move |tx| Box::pin(async move { events::prune(tx, before, BATCH).await }))
                .await;
            match deleted {
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "pruning the event log failed");
                    break;
                }
            }
        }
    }
}
