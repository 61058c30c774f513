//! Webhooks: how other systems talk to a group and hear from it.
//!
//! - **Incoming**: a secret URL (`POST /api/v1/hooks/{id}/{token}`) posts a message into
//!   its group as a bot. Only a keyed digest of the token is stored. A request may also be
//!   signed (and must be, when the hook requires it): `X-Courtyard-Timestamp` (Unix
//!   seconds) and `X-Courtyard-Signature: sha256=<hex>` over `"{timestamp}.{body}"`;
//!   signatures more than five minutes from now are refused, so a captured request cannot
//!   be replayed later.
//! - **Outgoing**: the group's events (messages, edits, deletions, reactions, members) are
//!   delivered to a URL as JSON, signed the same way with the hook's secret. Deliveries are
//!   written to the database with the event (durable), attempted by a worker, retried with
//!   backoff, and logged for admins; after [`MAX_FAILURES`] deliveries in a row fail for
//!   good the hook is disabled and the reason shown. Targets on this machine or private
//!   networks are refused unless `webhooks_allow_private` is set (the address is checked
//!   after DNS resolution and the connection pinned to it).
//!
//! Messages a webhook posts are not delivered to outgoing hooks or plugins, so two hooks
//! cannot feed each other forever.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use courtyard_domain::limits::MAX_NAME_CHARS;
use courtyard_domain::markup;
use courtyard_domain::{GroupId, GroupKind, MessageId, OrgId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::auth::Auth;
use super::messages::Renderer;
use super::views::MessageView;
use super::{App, AppError, OrNotFound, Refusal, Result, check_name};
use crate::crypto;
use crate::store::events::EventDraft;
use crate::store::webhooks::{self as store, DeliveryRow, WebhookRow};
use crate::store::{messages, now_millis};

/// Events an outgoing hook may subscribe to.
pub const EVENT_KINDS: &[&str] = &[
    "message.created",
    "message.edited",
    "message.deleted",
    "reaction.added",
    "reaction.removed",
    "member.joined",
    "member.left",
];
/// Deliveries failed for good in a row after which a hook is disabled.
pub const MAX_FAILURES: i64 = 10;
/// Seconds to wait before each retry; a delivery is tried once more than this has entries.
const BACKOFF_SECS: [i64; 5] = [10, 60, 300, 1800, 7200];
/// How far a signed request's timestamp may be from now.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a group's outgoing hooks are cached for the event path.
const CACHE_TTL: Duration = Duration::from_secs(2);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// `incoming` or `outgoing`.
    #[schema(pattern = "^(incoming|outgoing)$")]
    pub kind: String,
    pub name: String,
    /// Outgoing: where events are POSTed (http or https).
    pub url: Option<String>,
    /// Outgoing: the event kinds to deliver; `["message.created"]` when omitted.
    pub events: Option<Vec<String>>,
    /// Incoming: refuse requests that are not signed with the hook's secret.
    pub require_signature: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    /// Switch the hook off or on again (which also clears its failure count).
    pub enabled: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookView {
    pub id: String,
    pub group_id: String,
    pub kind: String,
    pub name: String,
    pub url: Option<String>,
    pub events: Vec<String>,
    pub require_signature: bool,
    pub enabled: bool,
    /// Deliveries failed for good in a row.
    pub failures: i64,
    /// Why the server disabled the hook, if it did.
    pub disabled_reason: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    /// Incoming: the path to POST to (with its secret token). Shown only when created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incoming_path: Option<String>,
    /// The HMAC-SHA256 key for signatures. Shown only when created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
}

impl From<WebhookRow> for WebhookView {
    fn from(r: WebhookRow) -> Self {
        Self {
            events: serde_json::from_str(&r.events).unwrap_or_default(),
            id: r.id,
            group_id: r.group_id,
            kind: r.kind,
            name: r.name,
            url: r.url,
            require_signature: r.require_signature,
            enabled: r.enabled,
            failures: r.failures,
            disabled_reason: r.disabled_reason,
            created_by: r.created_by,
            created_at: r.created_at,
            incoming_path: None,
            signing_secret: None,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryView {
    pub id: String,
    pub event_kind: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

impl From<DeliveryRow> for DeliveryView {
    fn from(r: DeliveryRow) -> Self {
        Self {
            id: r.id,
            event_kind: r.event_kind,
            status: r.status,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_status_code: r.last_status_code,
            last_error: r.last_error,
            created_at: r.created_at,
            finished_at: r.finished_at,
        }
    }
}

/// What an incoming webhook request posts.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncomingMessage {
    /// The message, in Courtyard's markup (links, `@all`, code).
    pub text: String,
}

/// The signature headers of an incoming request, as sent.
#[derive(Debug, Default)]
pub struct Signed<'a> {
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    /// `Idempotency-Key`: a retry with the same key posts nothing new.
    pub idempotency_key: Option<&'a str>,
}

/// A group's outgoing hooks and when they were read.
type CachedHooks = (Instant, Arc<Vec<WebhookRow>>);

/// Outgoing hooks per group, cached briefly for the event path.
#[derive(Default)]
pub struct HookCache {
    groups: parking_lot::Mutex<HashMap<String, CachedHooks>>,
    pub wake: tokio::sync::Notify,
}

/// Signature problems are about the caller's credentials: 401, like a bad token.
fn unauthorized(code: &'static str, en: &str, zh: &str) -> AppError {
    AppError::said(Refusal::Unauthorized, code, en, zh)
}

impl App {
    async fn managed_hook_group(&self, auth: &Auth, group_id: &str) -> Result<(GroupId, OrgId)> {
        let seen = self.seen_group(auth, group_id).await?;
        if !seen.rights.manage {
            return Err(AppError::Forbidden(
                "only the group's owners and admins manage its webhooks",
            ));
        }
        if seen.kind == GroupKind::Direct {
            return Err(AppError::invalid(
                "invalid_group",
                "direct conversations have no webhooks",
            ));
        }
        Ok((seen.id, seen.org))
    }

    async fn managed_hook(&self, auth: &Auth, id: &str) -> Result<WebhookRow> {
        let hook = store::get(&self.store.read, id)
            .await
            .or_not_found("webhook")?;
        self.managed_hook_group(auth, &hook.group_id)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("webhook"),
                other => other,
            })?;
        Ok(hook)
    }

    pub async fn create_webhook(
        &self,
        auth: &Auth,
        group_id: &str,
        input: CreateWebhook,
    ) -> Result<WebhookView> {
        let (group, org) = self.managed_hook_group(auth, group_id).await?;
        let name = check_name("name", &input.name, MAX_NAME_CHARS)?;
        let id = MessageId::generate().into_string();
        let token = crypto::new_token("cyw_");
        let secret = crypto::new_secret();
        let (url, events) = match input.kind.as_str() {
            "incoming" => {
                if input.url.is_some() || input.events.is_some() {
                    return Err(AppError::invalid(
                        "invalid_field",
                        "url and events are for outgoing webhooks",
                    ));
                }
                (None, Vec::new())
            }
            "outgoing" => {
                let url = input.url.as_deref().ok_or_else(|| {
                    AppError::invalid("invalid_field", "an outgoing webhook needs a url")
                })?;
                let url = self.check_target(url).await?;
                let events = input
                    .events
                    .unwrap_or_else(|| vec!["message.created".to_owned()]);
                if events.is_empty() || events.iter().any(|e| !EVENT_KINDS.contains(&e.as_str())) {
                    return Err(AppError::invalid(
                        "invalid_field",
                        format!("events must be some of {}", EVENT_KINDS.join(", ")),
                    ));
                }
                (Some(url), events)
            }
            _ => {
                return Err(AppError::invalid(
                    "invalid_field",
                    "kind must be incoming or outgoing",
                ));
            }
        };
        let row = WebhookRow {
            token_digest: if input.kind == "incoming" {
                crypto::keyed_digest(&self.secret, &["webhook", &id, &token])
            } else {
                String::new()
            },
            id,
            org_id: org.as_str().to_owned(),
            group_id: group.as_str().to_owned(),
            kind: input.kind.clone(),
            name,
            signing_secret: secret.clone(),
            require_signature: input.require_signature.unwrap_or(false),
            url,
            events: serde_json::to_string(&events).unwrap_or_else(|_| "[]".into()),
            enabled: true,
            failures: 0,
            disabled_reason: None,
            created_by: auth.actor.person_id.as_str().to_owned(),
            created_at: now_millis(),
        };
        let stored = row.clone();
        self.writer
            .write(move |tx| Box::pin(async move { store::insert(tx, &stored).await }))
            .await?;
        self.hooks_changed(group.as_str());
        let detail =
            json!({"kind": row.kind, "name": row.name, "group_id": row.group_id, "url": row.url});
        self.audited(auth, org.as_str(), "webhook.created", &row.id, detail)
            .await;
        let mut view = WebhookView::from(row);
        if view.kind == "incoming" {
            view.incoming_path = Some(format!("/api/v1/hooks/{}/{token}", view.id));
        }
        view.signing_secret = Some(secret);
        Ok(view)
    }

    pub async fn list_webhooks(&self, auth: &Auth, group_id: &str) -> Result<Vec<WebhookView>> {
        let (group, _) = self.managed_hook_group(auth, group_id).await?;
        Ok(store::of_group(&self.store.read, group.as_str())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    pub async fn update_webhook(
        &self,
        auth: &Auth,
        id: &str,
        input: UpdateWebhook,
    ) -> Result<WebhookView> {
        let mut hook = self.managed_hook(auth, id).await?;
        let target = hook.id.clone();
        let enabled = input.enabled;
        self.writer
            .write(move |tx| {
                Box::pin(async move { store::set_enabled(tx, &target, enabled).await })
            })
            .await?;
        self.hooks_changed(&hook.group_id);
        let action = if enabled {
            "webhook.enabled"
        } else {
            "webhook.disabled"
        };
        self.audited(
            auth,
            &hook.org_id,
            action,
            &hook.id,
            json!({"name": hook.name}),
        )
        .await;
        hook.enabled = enabled;
        hook.failures = 0;
        hook.disabled_reason = None;
        Ok(hook.into())
    }

    pub async fn delete_webhook(&self, auth: &Auth, id: &str) -> Result<()> {
        let hook = self.managed_hook(auth, id).await?;
        let target = hook.id.clone();
        self.writer
            .write(move |tx| Box::pin(async move { store::delete(tx, &target).await }))
            .await?;
        self.hooks_changed(&hook.group_id);
        self.audited(
            auth,
            &hook.org_id,
            "webhook.deleted",
            &hook.id,
            json!({"name": hook.name}),
        )
        .await;
        Ok(())
    }

    pub async fn webhook_deliveries(
        &self,
        auth: &Auth,
        id: &str,
        before: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Vec<DeliveryView>> {
        let hook = self.managed_hook(auth, id).await?;
        let limit = limit.unwrap_or(50).clamp(1, 200);
        Ok(store::deliveries(&self.store.read, &hook.id, before, limit)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// An incoming webhook request: checks the token (and signature), then posts.
    pub async fn receive_webhook(
        &self,
        id: &str,
        token: &str,
        signed: Signed<'_>,
        body: &[u8],
    ) -> Result<MessageView> {
        // Unknown hook, wrong token, outgoing or disabled hook: all the same 404.
        let hook = store::get(&self.store.read, id)
            .await
            .or_not_found("webhook")?;
        let digest = crypto::keyed_digest(&self.secret, &["webhook", &hook.id, token]);
        if hook.kind != "incoming"
            || !hook.enabled
            || !crypto::constant_time_eq(&digest, &hook.token_digest)
        {
            return Err(AppError::NotFound("webhook"));
        }
        if hook.require_signature || signed.signature.is_some() || signed.timestamp.is_some() {
            check_signature(&hook.signing_secret, &signed, body, now_millis() / 1000)?;
        }
        let input: IncomingMessage = serde_json::from_slice(body).map_err(|e| {
            AppError::said(
                Refusal::BadRequest,
                "invalid_body",
                format!("the body must be JSON like {{\"text\": \"…\"}}: {e}"),
                "请求体必须是形如 {\"text\": \"…\"} 的 JSON",
            )
        })?;
        let parsed = markup::parse(&input.text)
            .map_err(|e| AppError::invalid("invalid_body", e.to_string()))?;
        let group = GroupId::from_trusted(hook.group_id.clone());
        let group = crate::store::groups::row(&self.store.read, &group)
            .await
            .or_not_found("webhook")?;
        if group.archived {
            return Err(AppError::Forbidden("the group is archived"));
        }
        let txn_key = match signed.idempotency_key {
            Some(key) => crypto::keyed_digest(&self.secret, &["webhook-txn", &hook.id, key]),
            None => crypto::keyed_digest(
                &self.secret,
                &[
                    "webhook-txn",
                    &hook.id,
                    &MessageId::generate().into_string(),
                ],
            ),
        };
        let terms = super::search::terms_for(&input.text, None, false);
        let bot = json!({"id": hook.id, "name": hook.name}).to_string();
        let row = messages::MessageRow {
            mentions_all: parsed.mentions_all,
            bot: Some(bot),
            ..messages::MessageRow::draft(
                MessageId::generate().into_string(),
                hook.group_id.clone(),
                input.text,
                txn_key,
            )
        };
        let org = OrgId::from_trusted(hook.org_id.clone());
        let gid = GroupId::from_trusted(hook.group_id.clone());
        let stored = self
            .writer
            .write(move |tx| {
                Box::pin(async move {
                    let mut row = row;
                    row.seq = tx.next_seq().await?;
                    row.created_at = tx.now();
                    if let Some(existing) = messages::insert_once(tx, &row, &terms).await? {
                        return Ok(existing);
                    }
                    let view = Renderer::plain().view(row.clone());
                    tx.emit_at(
                        row.seq,
                        EventDraft {
                            org_id: org,
                            group_id: Some(gid),
                            person_id: None,
                            kind: "message.created",
                            data: serde_json::to_value(&view).unwrap_or_default(),
                            membership: None,
                            audience: None,
                        },
                    )
                    .await?;
                    Ok(row)
                })
            })
            .await?;
        self.metrics.message_posted();
        Ok(Renderer::plain().view(stored))
    }

    /// Refuses outgoing targets that are not http(s), carry credentials, or (unless
    /// allowed) name this machine or a private network.
    async fn check_target(&self, raw: &str) -> Result<String> {
        let bad = |en: &str, zh: &str| AppError::said(Refusal::Invalid, "invalid_url", en, zh);
        let url = reqwest::Url::parse(raw.trim())
            .map_err(|_| bad("the url is not a valid URL", "URL 格式不正确"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(bad(
                "the url must be http or https",
                "URL 必须是 http 或 https",
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "credentials in the url are not allowed",
                "URL 中不能包含用户名或密码",
            ));
        }
        if raw.len() > 2000 {
            return Err(bad("the url is too long", "URL 过长"));
        }
        if !self.config.webhooks_allow_private {
            resolve_public(&url)
                .await
                .map_err(|e| bad(&e, "不能向本机或内网地址发送"))?;
        }
        Ok(url.to_string())
    }

    fn hooks_changed(&self, group: &str) {
        self.forget_hooks(group);
        self.tell_cluster(crate::cluster::Signal::WebhooksChanged {
            group: group.to_owned(),
        });
    }

    pub(crate) fn forget_hooks(&self, group: &str) {
        self.hook_cache.groups.lock().remove(group);
    }

    async fn outgoing_hooks(&self, group: &str) -> Result<Arc<Vec<WebhookRow>>> {
        if let Some((at, hooks)) = self.hook_cache.groups.lock().get(group)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(hooks.clone());
        }
        let hooks = Arc::new(store::outgoing(&self.store.read, group).await?);
        self.hook_cache
            .groups
            .lock()
            .insert(group.to_owned(), (Instant::now(), hooks.clone()));
        Ok(hooks)
    }

    /// Queues the deliveries of one event to the group's outgoing hooks that want it.
    pub(crate) async fn queue_deliveries(
        &self,
        org: &OrgId,
        group: &GroupId,
        kind: &str,
        data: &Value,
    ) -> Result<()> {
        // Messages for part of a group, and what webhooks posted, stay inside.
        if data.get("audience").is_some_and(|a| !a.is_null())
            || data.get("bot").is_some_and(|b| !b.is_null())
        {
            return Ok(());
        }
        let hooks = self.outgoing_hooks(group.as_str()).await?;
        let now = now_millis();
        let rows: Vec<DeliveryRow> = hooks
            .iter()
            .filter(|h| {
                serde_json::from_str::<Vec<String>>(&h.events)
                    .is_ok_and(|e| e.iter().any(|k| k == kind))
            })
            .map(|h| {
                let id = MessageId::generate().into_string();
                let payload = json!({
                    "id": id, "event": kind, "org_id": org.as_str(),
                    "group_id": group.as_str(), "webhook_id": h.id, "created_at": now, "data": data,
                });
                DeliveryRow {
                    id,
                    webhook_id: h.id.clone(),
                    event_kind: kind.to_owned(),
                    payload: payload.to_string(),
                    status: "pending".into(),
                    attempts: 0,
                    next_attempt_at: Some(now),
                    last_status_code: None,
                    last_error: None,
                    created_at: now,
                    finished_at: None,
                }
            })
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    for r in &rows {
                        store::enqueue(tx, r).await?;
                    }
                    Ok(())
                })
            })
            .await?;
        self.hook_cache.wake.notify_one();
        Ok(())
    }

    /// Attempts one delivery and records the outcome.
    async fn deliver_webhook(&self, d: DeliveryRow) -> Result<()> {
        let hook = store::get(&self.store.read, &d.webhook_id).await?;
        let outcome = if !hook.enabled {
            Err((None, "the webhook is disabled".to_owned()))
        } else {
            self.post_delivery(&hook, &d).await
        };
        let attempts = d.attempts + 1;
        let (status, code, error, next) = match &outcome {
            Ok(code) => ("delivered", Some(*code), None, None),
            Err((code, e)) => match BACKOFF_SECS.get(d.attempts as usize) {
                Some(wait) if hook.enabled => (
                    "pending",
                    *code,
                    Some(e.clone()),
                    Some(now_millis() + wait * 1000),
                ),
                _ => ("failed", *code, Some(e.clone()), None),
            },
        };
        let finished = status != "pending";
        let failed = status == "failed";
        let (id, hook_id) = (d.id.clone(), hook.id.clone());
        let reason = format!(
            "disabled after {MAX_FAILURES} deliveries in a row failed ({attempts} attempts each); last error: {}",
            error.clone().unwrap_or_default()
        );
        let count = hook.enabled && finished;
        let disabled = self
            .writer
            .write(move |tx| {
                Box::pin(async move {
                    store::record_attempt(tx, &id, status, code, error.as_deref(), next).await?;
                    if count {
                        store::count_outcome(tx, &hook_id, failed, MAX_FAILURES, &reason).await
                    } else {
                        Ok(false)
                    }
                })
            })
            .await?;
        if disabled {
            self.hooks_changed(&hook.group_id);
            let row = self.audit_row(
                None,
                &hook.org_id,
                "webhook.disabled",
                &hook.id,
                json!({"name": hook.name, "reason": "repeated delivery failures"}),
            );
            self.audit(row).await;
            tracing::warn!(
                webhook = hook.id,
                "webhook disabled after repeated failures"
            );
        }
        Ok(())
    }

    /// POSTs a delivery; the status code on success, or what went wrong.
    async fn post_delivery(
        &self,
        hook: &WebhookRow,
        d: &DeliveryRow,
    ) -> std::result::Result<i64, (Option<i64>, String)> {
        let url = reqwest::Url::parse(hook.url.as_deref().unwrap_or_default())
            .map_err(|e| (None, format!("bad url: {e}")))?;
        let client = pinned_client(
            &url,
            self.config.webhooks_allow_private,
            DELIVERY_TIMEOUT,
            concat!("Courtyard-Webhooks/", env!("CARGO_PKG_VERSION")),
        )
        .await
        .map_err(|e| (None, e))?;
        let ts = now_millis() / 1000;
        let signature = crypto::webhook_signature(&hook.signing_secret, ts, d.payload.as_bytes());
        let response = client
            .post(url)
            .header("content-type", "application/json")
            .header("x-courtyard-event", &d.event_kind)
            .header("x-courtyard-delivery", &d.id)
            .header("x-courtyard-timestamp", ts.to_string())
            .header("x-courtyard-signature", format!("sha256={signature}"))
            .body(d.payload.clone())
            .send()
            .await
            .map_err(|e| (None, error_text(&e)))?;
        let code = i64::from(response.status().as_u16());
        if response.status().is_success() {
            Ok(code)
        } else {
            Err((Some(code), format!("the receiver answered {code}")))
        }
    }
}

fn error_text(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        e.to_string()
    }
}

/// Checks an incoming request's signature headers.
fn check_signature(secret: &str, signed: &Signed<'_>, body: &[u8], now_secs: i64) -> Result<()> {
    let (Some(ts), Some(sig)) = (signed.timestamp, signed.signature) else {
        return Err(unauthorized(
            "signature_required",
            "this webhook needs X-Courtyard-Timestamp and X-Courtyard-Signature",
            "此 Webhook 需要 X-Courtyard-Timestamp 和 X-Courtyard-Signature 请求头",
        ));
    };
    let ts: i64 = ts
        .trim()
        .parse()
        .map_err(|_| unauthorized("bad_signature", "bad timestamp", "时间戳无效"))?;
    if (now_secs - ts).abs() > SIGNATURE_TOLERANCE_SECS {
        return Err(unauthorized(
            "signature_expired",
            "the signature's timestamp is more than five minutes from now",
            "签名时间与当前时间相差超过五分钟",
        ));
    }
    let expected = crypto::webhook_signature(secret, ts, body);
    let given = sig.trim().strip_prefix("sha256=").unwrap_or(sig.trim());
    if !crypto::constant_time_eq(&expected, &given.to_ascii_lowercase()) {
        return Err(unauthorized(
            "bad_signature",
            "the signature does not match",
            "签名不匹配",
        ));
    }
    Ok(())
}

/// An HTTP client for one request to `url`, a target someone outside the host chose (a
/// webhook, a browser's push service): no redirects followed, and unless `allow_private`,
/// connected to exactly the public address that was checked (no DNS rebinding).
pub(crate) async fn pinned_client(
    url: &reqwest::Url,
    allow_private: bool,
    timeout: Duration,
    user_agent: &'static str,
) -> std::result::Result<reqwest::Client, String> {
    let mut client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .user_agent(user_agent);
    if !allow_private {
        let addrs = resolve_public(url).await?;
        client = client.resolve_to_addrs(url.host_str().unwrap_or_default(), &addrs);
    }
    client.build().map_err(|e| e.to_string())
}

/// The addresses `url` resolves to, if all of them are public.
pub(crate) async fn resolve_public(
    url: &reqwest::Url,
) -> std::result::Result<Vec<SocketAddr>, String> {
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_matches(|c| c == '[' || c == ']');
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("{host} has no address"));
    }
    if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
        return Err(format!(
            "{host} is on this machine or a private network ({})",
            bad.ip()
        ));
    }
    Ok(addrs)
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_loopback()
            || v4.is_private()
            || v4.is_link_local()
            || v4.is_unspecified()
            || v4.is_broadcast()
            || v4.is_documentation()
            || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 // carrier-grade NAT
            || v4.octets()[0] == 0)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00 // unique local
                || (v6.segments()[0] & 0xffc0) == 0xfe80) // link local
        }
    }
}

/// Delivers due webhook events, retrying failed ones with backoff.
/// How long one node may hold the delivery worker for one batch (64 deliveries, eight at
/// a time, each at most `DELIVERY_TIMEOUT`).
const DELIVERY_LEASE: Duration = Duration::from_secs(10 * 60);

pub(crate) async fn delivery_worker(app: App) {
    const CONCURRENT: usize = 8;
    loop {
        let due = match store::due(&app.store.read, now_millis(), 64).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "reading due webhook deliveries failed");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
        };
        if due.is_empty() {
            let wait = match store::next_due(&app.store.read).await {
                Ok(Some(at)) => Duration::from_millis((at - now_millis()).clamp(10, 30_000) as u64),
                _ => Duration::from_secs(30),
            };
            tokio::select! {
                _ = app.hook_cache.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
            continue;
        }
        // One node of a cluster delivers at a time, so no delivery is attempted twice.
        let batch = async {
            let mut running = tokio::task::JoinSet::new();
            for d in due {
                while running.len() >= CONCURRENT {
                    running.join_next().await;
                }
                let app = app.clone();
                running.spawn(async move {
                    let id = d.id.clone();
                    if let Err(e) = app.deliver_webhook(d).await {
                        tracing::warn!(delivery = id, error = %e, "recording a webhook delivery failed");
                    }
                });
            }
            while running.join_next().await.is_some() {}
        };
        match app
            .with_lease("webhook-deliveries", DELIVERY_LEASE, batch)
            .await
        {
            Ok(Some(())) => {}
            Ok(None) => tokio::time::sleep(Duration::from_secs(1)).await,
            Err(e) => {
                tracing::warn!(error = %e, "taking the webhook delivery lease failed");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_must_match_and_be_recent() {
        let body = br#"{"text":"hi"}"#;
        let now = 1_800_000_000;
        let sig = format!("sha256={}", crypto::webhook_signature("s3cret", now, body));
        let ts = now.to_string();
        let signed = |ts: &'static str, sig: &'static str| Signed {
            timestamp: Some(ts),
            signature: Some(sig),
            idempotency_key: None,
        };
        let ok = Signed {
            timestamp: Some(&ts),
            signature: Some(&sig),
            idempotency_key: None,
        };
        assert!(check_signature("s3cret", &ok, body, now).is_ok());
        assert!(check_signature("s3cret", &ok, body, now + 299).is_ok());
        let late = check_signature("s3cret", &ok, body, now + 301).unwrap_err();
        assert!(matches!(
            late,
            AppError::Said {
                code: "signature_expired",
                ..
            }
        ));
        assert!(check_signature("other", &ok, body, now).is_err());
        assert!(check_signature("s3cret", &ok, b"{\"text\":\"bye\"}", now).is_err());
        assert!(check_signature("s3cret", &signed("x", "sha256=00"), body, now).is_err());
        assert!(matches!(
            check_signature("s3cret", &Signed::default(), body, now),
            Err(AppError::Said {
                code: "signature_required",
                ..
            })
        ));
    }

    #[test]
    fn private_and_local_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}
