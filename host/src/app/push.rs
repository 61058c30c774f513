//! Web Push for the browser client: a direct message or a mention reaches the recipient's
//! subscribed browsers at once, even with no Courtyard tab open (the web client's service
//! worker shows it, unless a Courtyard window is in front).
//!
//! Each message is encrypted for one browser (RFC 8291, `aes128gcm`) and signed with the
//! host's VAPID key (RFC 8292) by `web-push-native`; the key pair is made once and kept in
//! the database, so every node of a cluster signs with the same key. Endpoints come from
//! browsers, so like webhooks they must be public addresses (checked after DNS, and the
//! connection pinned to the checked address) unless `push_allow_private` is set. A push
//! service that says a subscription is gone (404/410) gets it removed.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use web_push_native::jwt_simple::algorithms::{ECDSAP256PublicKeyLike, ES256KeyPair};
use web_push_native::{Auth, WebPushBuilder, p256};

use super::auth::Auth as Caller;
use super::{App, AppError, Refusal, Result};
use crate::store::notifications::{self, PushSubscriptionRow};
use crate::store::{Store, now_millis};

/// Browsers one person may have subscribed at once (the oldest goes).
const MAX_SUBSCRIPTIONS: i64 = 20;
/// Pushes in flight at once for one message.
const PUSHES_AT_ONCE: usize = 16;
/// How long a push service may keep an undelivered message.
const PUSH_TTL: Duration = Duration::from_secs(24 * 3600);

/// The host's VAPID key pair.
pub struct Vapid {
    key: ES256KeyPair,
    /// The public key as browsers want it (`applicationServerKey`): base64url of the
    /// uncompressed point.
    pub public_key: String,
}

impl Vapid {
    /// Loads the cluster's key pair, making it on the very first start.
    pub async fn load(store: &Store) -> anyhow::Result<Self> {
        use anyhow::Context;
        let fresh = B64.encode(ES256KeyPair::generate().to_bytes());
        let stored = store
            .meta_get_or_insert("vapid_private_key", &fresh)
            .await
            .context("reading the VAPID key")?;
        let key = ES256KeyPair::from_bytes(&B64.decode(stored)?)
            .map_err(|e| anyhow::anyhow!("the stored VAPID key is unusable: {e}"))?;
        let public_key = B64.encode(key.public_key().public_key().to_bytes_uncompressed());
        Ok(Self { key, public_key })
    }

    /// The `Authorization` header for one push service (RFC 8292): a JWT for the
    /// service's origin, valid for twelve hours, with our contact. Made here rather than
    /// by `web-push-native`, which leaves a non-default port out of the audience.
    fn authorization(&self, endpoint: &reqwest::Url, contact: &str) -> anyhow::Result<String> {
        use web_push_native::jwt_simple::algorithms::ECDSAP256KeyPairLike;
        use web_push_native::jwt_simple::claims::Claims;
        let claims = Claims::create(Duration::from_secs(12 * 3600).into())
            .with_audience(endpoint.origin().ascii_serialization())
            .with_subject(contact);
        let token = self
            .key
            .sign(claims)
            .map_err(|e| anyhow::anyhow!("signing a VAPID token: {e}"))?;
        Ok(format!("vapid t={token}, k={}", self.public_key))
    }
}

/// A browser's push subscription, as `PushSubscription.toJSON()` gives it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PushSubscription {
    /// The push service URL of this browser.
    pub endpoint: String,
    pub keys: PushKeys,
    /// Ignored (sent by some browsers).
    #[serde(default, rename = "expirationTime")]
    #[allow(dead_code)]
    pub expiration_time: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushKeys {
    /// base64url P-256 public key.
    pub p256dh: String,
    /// base64url 16-byte authentication secret.
    pub auth: String,
}

/// Which browser to stop pushing to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushEndpoint {
    pub endpoint: String,
}

/// What a browser shows (the service worker reads this JSON).
#[derive(Debug, Serialize, Clone)]
pub struct PushNote {
    pub title: String,
    pub body: String,
    /// Path to open on click.
    pub url: String,
    /// Notifications with one tag replace each other (one per conversation).
    pub tag: String,
    /// People mentioned in `body` as `@<id>`, shown by name once looked up.
    #[serde(skip)]
    pub mentions: Vec<String>,
}

fn invalid(en: &str, zh: &str) -> AppError {
    AppError::said(Refusal::Invalid, "invalid_subscription", en, zh)
}

impl App {
    /// Saves the caller's browser subscription.
    pub async fn subscribe_push(&self, auth: &Caller, input: PushSubscription) -> Result<()> {
        let endpoint = input.endpoint.trim().to_owned();
        let url = reqwest::Url::parse(&endpoint)
            .map_err(|_| invalid("the endpoint is not a URL", "endpoint 不是有效的 URL"))?;
        let https = url.scheme() == "https";
        if endpoint.len() > 1000
            || url.host_str().is_none()
            || !(https || (url.scheme() == "http" && self.config.push_allow_private))
        {
            return Err(invalid(
                "the endpoint must be an https URL of at most 1000 characters",
                "endpoint 必须是不超过 1000 个字符的 https 地址",
            ));
        }
        if !self.config.push_allow_private {
            super::webhooks::resolve_public(&url).await.map_err(|e| {
                AppError::said(
                    Refusal::Invalid,
                    "invalid_subscription",
                    format!("the endpoint is not a public push service: {e}"),
                    format!("endpoint 不是公网推送服务：{e}"),
                )
            })?;
        }
        let key = B64
            .decode(input.keys.p256dh.trim_end_matches('='))
            .ok()
            .filter(|k| p256::PublicKey::from_sec1_bytes(k).is_ok())
            .ok_or_else(|| {
                invalid(
                    "keys.p256dh is not a P-256 public key",
                    "keys.p256dh 不是有效的 P-256 公钥",
                )
            })?;
        let secret = B64
            .decode(input.keys.auth.trim_end_matches('='))
            .ok()
            .filter(|a| a.len() == 16)
            .ok_or_else(|| invalid("keys.auth must be 16 bytes", "keys.auth 必须是 16 字节"))?;
        let row = PushSubscriptionRow {
            endpoint,
            person_id: auth.actor.person_id.as_str().to_owned(),
            p256dh: B64.encode(key),
            auth: B64.encode(secret),
            created_at: now_millis(),
        };
        self.writer
            .write(move |tx| {
                Box::pin(async move { notifications::subscribe(tx, &row, MAX_SUBSCRIPTIONS).await })
            })
            .await?;
        Ok(())
    }

    pub async fn unsubscribe_push(&self, auth: &Caller, endpoint: &str) -> Result<()> {
        let (endpoint, me) = (
            endpoint.trim().to_owned(),
            auth.actor.person_id.as_str().to_owned(),
        );
        let removed = self
            .writer
            .write(move |tx| {
                Box::pin(async move { notifications::unsubscribe(tx, &endpoint, Some(&me)).await })
            })
            .await?;
        if removed {
            Ok(())
        } else {
            Err(AppError::NotFound("subscription"))
        }
    }

    /// Pushes a just-posted message to the subscribed browsers of everyone it was queued
    /// for (see `notify`), in the background: posting never waits for push services.
    pub(crate) fn push_message(&self, message_id: String, note: PushNote) {
        let app = self.clone();
        tokio::spawn(async move {
            if let Err(e) = app.push_now(&message_id, &note).await {
                tracing::warn!(error = %e, message_id, "web push failed");
            }
        });
    }

    async fn push_now(&self, message_id: &str, note: &PushNote) -> anyhow::Result<()> {
        let subscriptions =
            notifications::subscriptions_for_message(&self.store.read, message_id).await?;
        if subscriptions.is_empty() {
            return Ok(());
        }
        let mut note = note.clone();
        if !note.mentions.is_empty() {
            for (id, name) in crate::store::people::names(&self.store.read, &note.mentions).await? {
                note.body = note.body.replace(&format!("@{id}"), &format!("@{name}"));
            }
        }
        let payload = serde_json::to_vec(&note)?;
        // Several at once: each waits on a push service across the internet.
        use futures_util::StreamExt;
        // Quiet hours are a person's, not a browser's: looked up once per person.
        let mut quiet = std::collections::HashMap::new();
        for s in &subscriptions {
            if !quiet.contains_key(&s.person_id) {
                let q = self.is_quiet(&s.person_id).await.unwrap_or(false);
                quiet.insert(s.person_id.clone(), q);
            }
        }
        let subscriptions = subscriptions
            .into_iter()
            .filter(|s| !quiet.get(&s.person_id).copied().unwrap_or(false));
        let payload = &payload;
        let gone: Vec<String> = futures_util::stream::iter(subscriptions)
            .map(|s| async move {
                match self.deliver_push(&s, payload).await {
                    Ok(()) => None,
                    Err(Gone) => Some(s.endpoint),
                }
            })
            .buffer_unordered(PUSHES_AT_ONCE)
            .filter_map(std::future::ready)
            .collect()
            .await;
        for endpoint in gone {
            self.writer
                .write(move |tx| {
                    Box::pin(async move { notifications::unsubscribe(tx, &endpoint, None).await })
                })
                .await?;
        }
        Ok(())
    }

    /// Sends one encrypted, signed message; `Err(Gone)` when the push service says the
    /// subscription no longer exists. Other failures are logged (push is best effort: the
    /// email digest is the fallback).
    async fn deliver_push(
        &self,
        s: &PushSubscriptionRow,
        payload: &[u8],
    ) -> std::result::Result<(), Gone> {
        let attempt = async {
            let url = reqwest::Url::parse(&s.endpoint)?;
            let ua_public = p256::PublicKey::from_sec1_bytes(&B64.decode(&s.p256dh)?)?;
            let ua_auth = Auth::clone_from_slice(&B64.decode(&s.auth)?);
            let contact = self
                .config
                .smtp
                .as_ref()
                .map(|m| format!("mailto:{}", bare_address(&m.from)))
                .unwrap_or_else(|| self.config.public_url());
            let request = WebPushBuilder::new(s.endpoint.parse()?, ua_public, ua_auth)
                .with_valid_duration(PUSH_TTL)
                .build(payload.to_vec())?;
            let vapid = self.vapid.authorization(&url, &contact)?;
            let client = super::webhooks::pinned_client(
                &url,
                self.config.push_allow_private,
                Duration::from_secs(10),
                concat!("Courtyard/", env!("CARGO_PKG_VERSION")),
            )
            .await
            .map_err(anyhow::Error::msg)?;
            let (parts, body) = request.into_parts();
            let response = client
                .post(url)
                .headers(parts.headers)
                .header(reqwest::header::AUTHORIZATION, vapid)
                .body(body)
                .send()
                .await?;
            anyhow::Ok(response.status().as_u16())
        };
        match attempt.await {
            Ok(404 | 410) => Err(Gone),
            Ok(code) if (200..300).contains(&code) => Ok(()),
            Ok(code) => {
                tracing::warn!(code, "a push service refused a message");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "a push could not be sent");
                Ok(())
            }
        }
    }
}

/// A push service said the subscription is gone.
struct Gone;

/// `Name <a@b>` → `a@b`.
fn bare_address(from: &str) -> &str {
    match (from.find('<'), from.rfind('>')) {
        (Some(start), Some(end)) if start < end => &from[start + 1..end],
        _ => from.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_addresses() {
        assert_eq!(bare_address("Courtyard <cy@example.com>"), "cy@example.com");
        assert_eq!(bare_address(" cy@example.com "), "cy@example.com");
    }
}
