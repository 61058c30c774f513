//! The host side of the capabilities contract 0.2.0 added: role lookups, thread replies,
//! records, timers, outbound HTTP and calls between plugins. [`super::services`] delegates
//! here; every function stays inside the scope's organization.

use std::sync::OnceLock;
use std::time::Duration;

use courtyard_domain::{GroupId, MessageId, PersonId};
use courtyard_runtime::api::{
    HostError, HostResult, HttpRequest, HttpResponse, Link, Person, Record, RecordPage, Scope,
    Target,
};

use super::services::{Services, person};
use crate::app::App;
use crate::store::records::{self, LinkRow, RecordRow};
use crate::store::timers::{self, TimerRow};
use crate::store::{groups, messages, people};

/// How far ahead a timer may be set.
const TIMER_HORIZON_MS: i64 = 5 * 366 * 86_400_000;
/// Calls between plugins nest at most this deep (A calls B calls C).
pub const MAX_CALL_DEPTH: u8 = 3;
/// Largest response body a plugin may fetch.
const MAX_FETCH_BYTES: usize = 1 << 20;

fn link_row(l: Link) -> LinkRow {
    LinkRow {
        rel: l.rel,
        target_kind: l.target.kind().to_owned(),
        target_id: l.target.id().to_owned(),
    }
}

fn record(r: RecordRow) -> Record {
    Record {
        links: r
            .links
            .into_iter()
            .filter_map(|l| {
                let target = match l.target_kind.as_str() {
                    "person" => Target::Person(l.target_id),
                    "group" => Target::Group(l.target_id),
                    "message" => Target::Message(l.target_id),
                    _ => return None,
                };
                Some(Link { rel: l.rel, target })
            })
            .collect(),
        collection: r.collection,
        id: r.id,
        data: r.data,
        version: r.version.max(0) as u64,
        created_ms: r.created_at,
        updated_ms: r.updated_at,
    }
}

/// Cursors are `updated_at:id` of the last record of a page.
fn parse_cursor(cursor: Option<String>) -> HostResult<Option<(i64, String)>> {
    match cursor {
        None => Ok(None),
        Some(c) => c
            .split_once(':')
            .and_then(|(at, id)| Some((at.parse().ok()?, id.to_owned())))
            .map(Some)
            .ok_or_else(|| HostError::Invalid("the cursor is not one this host returned".into())),
    }
}

fn page((rows, next): (Vec<RecordRow>, Option<(i64, String)>)) -> RecordPage {
    (
        rows.into_iter().map(record).collect(),
        next.map(|(at, id)| format!("{at}:{id}")),
    )
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            // A redirect could lead anywhere; the plugin sees the 3xx and decides.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Courtyard-plugin/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .expect("the HTTP client builds with static settings")
    })
}

/// Hop-by-hop and host-owned headers a plugin may not set.
fn forbidden_request_header(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "host"
            | "connection"
            | "content-length"
            | "transfer-encoding"
            | "upgrade"
            | "te"
            | "trailer"
            | "proxy-authorization"
            | "proxy-connection"
            | "keep-alive"
    )
}

impl Services {
    pub(super) async fn with_role_impl(
        &self,
        scope: &Scope,
        role: &str,
        limit: u32,
    ) -> HostResult<Vec<Person>> {
        let role = match role {
            "org-admin" | "org_admin" => "org_admin",
            "member" => "member",
            _ => {
                return Err(HostError::Invalid(
                    "role must be `org-admin` or `member`".into(),
                ));
            }
        };
        let rows = people::with_role(
            &self.app.store.read,
            &scope.org_id,
            role,
            limit.clamp(1, 100) as i64,
        )
        .await?;
        Ok(rows.into_iter().map(person).collect())
    }

    pub(super) async fn is_member_impl(
        &self,
        scope: &Scope,
        group_id: &str,
        person_id: &str,
    ) -> HostResult<bool> {
        self.enabled_group(scope, group_id).await?;
        let pid = PersonId::parse(person_id).ok_or(HostError::NotFound)?;
        let role = groups::membership(
            &self.app.store.read,
            &GroupId::from_trusted(group_id.to_owned()),
            &pid,
        )
        .await?;
        Ok(role.is_some())
    }

    pub(super) async fn reply_impl(
        &self,
        scope: &Scope,
        parent_id: &str,
        body: String,
        card: Option<serde_json::Value>,
    ) -> HostResult<String> {
        let mid = MessageId::parse(parent_id).ok_or(HostError::NotFound)?;
        let parent = messages::get(&self.app.store.read, &mid).await?;
        if parent.deleted_at.is_some() {
            return Err(HostError::NotFound);
        }
        self.enabled_group(scope, &parent.group_id).await?;
        if card.is_none() {
            courtyard_domain::markup::parse(&body)
                .map_err(|e| HostError::Invalid(e.to_string()))?;
        }
        // The reply is seen by those who see the thread (its root's audience).
        let (root, audience) = match parent.thread_root_id {
            Some(root) => {
                let root_row =
                    messages::get(&self.app.store.read, &MessageId::from_trusted(root.clone()))
                        .await?;
                (root, root_row.audience)
            }
            None => (parent.id, parent.audience),
        };
        let view = self
            .app
            .insert_plugin_message(scope, &parent.group_id, body, card, Some(root), audience)
            .await?;
        Ok(view.id)
    }

    pub(super) async fn record_get_impl(
        &self,
        scope: &Scope,
        collection: &str,
        id: &str,
    ) -> HostResult<Option<Record>> {
        let row = records::get(
            &self.app.store.read,
            &scope.org_id,
            &scope.plugin_id,
            collection,
            id,
        )
        .await?;
        Ok(row.map(record))
    }

    pub(super) async fn record_put_impl(
        &self,
        scope: &Scope,
        collection: &str,
        id: &str,
        data: String,
        links: Vec<Link>,
        expected_version: u64,
    ) -> HostResult<u64> {
        let (org, plugin) = (scope.org_id.clone(), scope.plugin_id.clone());
        let (collection, id) = (collection.to_owned(), id.to_owned());
        let links: Vec<LinkRow> = links.into_iter().map(link_row).collect();
        let expected = i64::try_from(expected_version)
            .map_err(|_| HostError::Invalid("expected-version is out of range".into()))?;
        let (max_count, max_mib) = (
            self.app.config.plugin_records_max,
            self.app.config.plugin_records_mib,
        );
        self.app
            .writer
            .write(move |tx| {
                Box::pin(async move {
                    if expected == 0 {
                        let (count, bytes) = records::usage(tx, &org, &plugin).await?;
                        if count >= max_count || bytes + data.len() as i64 > max_mib << 20 {
                            return Ok(Err(HostError::Quota(format!(
                                "a plugin keeps at most {max_count} records ({max_mib} MiB) per organization"
                            ))));
                        }
                    }
                    let now = tx.now();
                    let put = records::put(
                        tx,
                        &org,
                        &plugin,
                        &collection,
                        &id,
                        &data,
                        &links,
                        expected,
                        now,
                    )
                    .await?;
                    Ok(put
                        .map(|v| v.max(0) as u64)
                        .map_err(|_| HostError::Conflict))
                })
            })
            .await?
    }

    pub(super) async fn record_delete_impl(
        &self,
        scope: &Scope,
        collection: &str,
        id: &str,
    ) -> HostResult<bool> {
        let (org, plugin) = (scope.org_id.clone(), scope.plugin_id.clone());
        let (collection, id) = (collection.to_owned(), id.to_owned());
        Ok(self
            .app
            .writer
            .write(move |tx| {
                Box::pin(async move { records::delete(tx, &org, &plugin, &collection, &id).await })
            })
            .await?)
    }

    pub(super) async fn record_find_impl(
        &self,
        scope: &Scope,
        collection: &str,
        rel: Option<&str>,
        target: &Target,
        cursor: Option<String>,
        limit: u32,
    ) -> HostResult<RecordPage> {
        let found = records::find(
            &self.app.store.read,
            &scope.org_id,
            &scope.plugin_id,
            collection,
            rel,
            target.kind(),
            target.id(),
            parse_cursor(cursor)?,
            limit.clamp(1, 100) as i64,
        )
        .await?;
        Ok(page(found))
    }

    pub(super) async fn record_list_impl(
        &self,
        scope: &Scope,
        collection: &str,
        cursor: Option<String>,
        limit: u32,
    ) -> HostResult<RecordPage> {
        let found = records::list(
            &self.app.store.read,
            &scope.org_id,
            &scope.plugin_id,
            collection,
            parse_cursor(cursor)?,
            limit.clamp(1, 100) as i64,
        )
        .await?;
        Ok(page(found))
    }

    pub(super) async fn timer_set_impl(
        &self,
        scope: &Scope,
        key: &str,
        due_ms: i64,
        payload: String,
    ) -> HostResult<String> {
        let now = self.app.plugin_clock.now_ms();
        if due_ms > now.saturating_add(TIMER_HORIZON_MS) {
            return Err(HostError::Invalid(
                "a timer is due at most five years ahead".into(),
            ));
        }
        if key.is_empty() {
            return Err(HostError::Invalid("a timer needs a key".into()));
        }
        // A timer belongs to a group only where the plugin is enabled: one set while
        // answering in a person's direct conversation with the plugin (a reminder card's
        // button) is the organization's, or it would be dropped when it comes due.
        let group_id = match &scope.group_id {
            Some(group) => self
                .app
                .ready_in(&scope.org_id, group)
                .await
                .map_err(|e| HostError::Unavailable(e.to_string()))?
                .iter()
                .any(|r| r.enablement.plugin_id == scope.plugin_id)
                .then(|| group.clone()),
            None => None,
        };
        let row = TimerRow {
            id: MessageId::generate().into_string(),
            org_id: scope.org_id.clone(),
            plugin_id: scope.plugin_id.clone(),
            group_id,
            kind: "timer".into(),
            key: key.to_owned(),
            payload,
            due_at: due_ms.max(now),
            attempts: 0,
        };
        let quota = self.app.config.plugin_timers_max;
        self.app
            .writer
            .write(move |tx| {
                Box::pin(async move {
                    let replacing =
                        timers::cancel(tx, &row.org_id, &row.plugin_id, "timer", &row.key).await?;
                    if !replacing && timers::count(tx, &row.org_id, &row.plugin_id).await? >= quota
                    {
                        return Ok(Err(HostError::Quota(format!(
                            "a plugin has at most {quota} pending timers per organization"
                        ))));
                    }
                    Ok(Ok(timers::set(tx, &row).await?))
                })
            })
            .await?
    }

    pub(super) async fn timer_cancel_impl(&self, scope: &Scope, key: &str) -> HostResult<bool> {
        let (org, plugin, key) = (
            scope.org_id.clone(),
            scope.plugin_id.clone(),
            key.to_owned(),
        );
        Ok(self
            .app
            .writer
            .write(move |tx| {
                Box::pin(async move { timers::cancel(tx, &org, &plugin, "timer", &key).await })
            })
            .await?)
    }

    pub(super) async fn http_fetch_impl(
        &self,
        scope: &Scope,
        request: HttpRequest,
    ) -> HostResult<HttpResponse> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|_| {
            HostError::Invalid(format!("`{}` is not an HTTP method", request.method))
        })?;
        let mut builder = client()
            .request(method, &request.url)
            .timeout(Duration::from_millis(request.timeout_ms as u64))
            .body(request.body);
        for (name, value) in &request.headers {
            if forbidden_request_header(name) {
                return Err(HostError::Invalid(format!(
                    "the header `{name}` is set by the host"
                )));
            }
            builder = builder.header(name, value);
        }
        let started = std::time::Instant::now();
        let mut response = builder.send().await.map_err(|e| {
            HostError::Unavailable(format!("the request failed: {}", e.without_url()))
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .take(50)
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| HostError::Unavailable(format!("reading the response failed: {e}")))?
        {
            if body.len() + chunk.len() > MAX_FETCH_BYTES {
                return Err(HostError::Invalid(format!(
                    "the response is larger than {} KiB",
                    MAX_FETCH_BYTES >> 10
                )));
            }
            body.extend_from_slice(&chunk);
        }
        tracing::info!(plugin = %scope.plugin_id, org = %scope.org_id, status, bytes = body.len(), elapsed_ms = started.elapsed().as_millis() as u64, "plugin fetched a URL");
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    pub(super) async fn interop_call_impl(
        &self,
        scope: &Scope,
        plugin: &str,
        operation: &str,
        input: String,
    ) -> HostResult<String> {
        self.app.interop_call(scope, plugin, operation, input).await
    }
}

impl App {
    /// Calls another plugin of the same organization for `scope`'s plugin, as the same
    /// person in the same group, one level deeper.
    pub(crate) async fn interop_call(
        &self,
        scope: &Scope,
        plugin: &str,
        operation: &str,
        input: String,
    ) -> HostResult<String> {
        if scope.call_depth >= MAX_CALL_DEPTH {
            return Err(HostError::Denied(format!(
                "calls between plugins nest at most {MAX_CALL_DEPTH} deep"
            )));
        }
        let ready = self
            .ready_for(&scope.org_id, plugin, scope.group_id.as_deref())
            .await
            .map_err(|_| HostError::NotFound)?;
        let caller = self
            .ready_for(&scope.org_id, &scope.plugin_id, None)
            .await
            .map_err(|_| HostError::NotFound)?;
        let listed = caller.code.manifest.calls.iter().any(|c| c == plugin);
        let calls_back = ready.code.manifest.calls.contains(&scope.plugin_id);
        if !(listed || calls_back) {
            return Err(HostError::Denied(format!(
                "the manifest does not list `{plugin}` under `calls` (and `{plugin}` does not call this plugin)"
            )));
        }
        if !ready
            .code
            .manifest
            .operations
            .iter()
            .any(|o| o == operation)
        {
            return Err(HostError::Denied(format!(
                "the plugin `{plugin}` offers no operation `{operation}`"
            )));
        }
        if let Some(reason) = Self::suspended(&ready) {
            return Err(HostError::Unavailable(format!(
                "the plugin `{plugin}` is suspended here: {reason}"
            )));
        }
        let mut call = self.call_for(None, &scope.org_id, scope.group_id.as_deref(), &ready);
        call.scope.actor = scope.actor.clone();
        call.scope.locale = scope.locale.clone();
        call.scope.request_id = scope.request_id.clone();
        call.scope.call_depth = scope.call_depth + 1;
        let started = std::time::Instant::now();
        let outcome = self
            .plugins
            .runtime
            .call(
                &ready.code,
                call,
                scope.plugin_id.clone(),
                operation.to_owned(),
                input,
            )
            .await;
        self.health(&ready, outcome.as_ref().err(), started).await;
        outcome.map_err(|e| match e {
            courtyard_runtime::CallError::Plugin(message) => HostError::Invalid(message),
            other => HostError::Unavailable(format!("the plugin `{plugin}` failed: {other}")),
        })
    }
}
