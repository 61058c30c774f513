//! The host side of the plugin capabilities ([`HostApi`]): every call stays inside the
//! plugin's organization, sees only what the acting person may see, and writes only where
//! the plugin is enabled.

use std::sync::Arc;

use courtyard_domain::policy::{self, Actor, PersonFacts};
use courtyard_domain::{GroupId, GroupKind, MessageId, OrgId, PersonId, Role, markup};
use courtyard_runtime::api::{
    Group, HostApi, HostError, HostResult, HttpRequest, HttpResponse, Link, LogLevel, Organization,
    Person, Record, RecordPage, Scope, Target,
};

use crate::app::App;
use crate::app::messages::Renderer;
use crate::app::views::MessageView;
use crate::crypto;
use crate::store::events::EventDraft;
use crate::store::messages::{self, MessageRow};
use crate::store::people::{self, PersonRow};
use crate::store::plugins::{self as ps, KvSpace};
use crate::store::{StoreError, groups, now_millis};

/// Storage a plugin may use in one organization.
const KV_QUOTA_BYTES: i64 = 10 << 20;

pub(crate) struct Services {
    pub(super) app: App,
}

impl Services {
    /// The services as the runtime takes them.
    pub(crate) fn shared(app: App) -> Arc<dyn HostApi> {
        Arc::new(Services { app })
    }
}

pub(super) fn person(row: PersonRow) -> Person {
    Person {
        guest: row.role == Role::Guest.as_str(),
        id: row.id,
        org_id: row.org_id,
        display_name: row.display_name,
        title: row.title,
        department_id: row.department_id,
        email: row.email,
    }
}

/// Who the plugin acts as: the person who acted, or (for work nobody started) a staff
/// member of the organization.
fn viewer(scope: &Scope) -> Actor {
    match &scope.actor {
        Some(a) => Actor {
            person_id: PersonId::from_trusted(a.id.clone()),
            org_id: OrgId::from_trusted(scope.org_id.clone()),
            role: Role::parse(&a.role).unwrap_or(Role::Guest),
        },
        None => Actor {
            person_id: PersonId::from_trusted(""),
            org_id: OrgId::from_trusted(scope.org_id.clone()),
            role: Role::Member,
        },
    }
}

fn kv_scope(scope: &Scope, group_scoped: bool) -> HostResult<String> {
    if group_scoped {
        scope
            .group_id
            .clone()
            .ok_or_else(|| HostError::Invalid("group-scoped storage needs a group".into()))
    } else {
        Ok(String::new())
    }
}

/// A [`KvSpace`] that can move into a writer job.
struct OwnedSpace {
    org: String,
    plugin: String,
    scope: String,
}

impl OwnedSpace {
    fn of(scope: &Scope, group_scoped: bool) -> HostResult<Self> {
        Ok(Self {
            org: scope.org_id.clone(),
            plugin: scope.plugin_id.clone(),
            scope: kv_scope(scope, group_scoped)?,
        })
    }

    fn borrow(&self) -> KvSpace<'_> {
        KvSpace {
            org: &self.org,
            plugin: &self.plugin,
            scope: &self.scope,
        }
    }
}

/// Stores a value unless the plugin's storage in the organization would exceed the quota.
async fn put_within_quota(
    tx: &mut crate::store::writer::WriteTx,
    space: &KvSpace<'_>,
    key: &str,
    value: &[u8],
    expires: Option<i64>,
) -> Result<HostResult<()>, StoreError> {
    if ps::kv_usage(tx, space.org, space.plugin).await? + value.len() as i64 > KV_QUOTA_BYTES {
        return Ok(Err(HostError::Quota(format!(
            "plugin storage is limited to {} MiB per organization",
            KV_QUOTA_BYTES >> 20
        ))));
    }
    ps::kv_set(tx, space, key, value, expires).await?;
    Ok(Ok(()))
}

impl Services {
    async fn visible_person(&self, scope: &Scope, id: &str) -> HostResult<PersonRow> {
        let pid = PersonId::parse(id).ok_or(HostError::NotFound)?;
        let row = people::get(&self.app.store.read, &pid).await?;
        let actor = viewer(scope);
        // A plugin never leaves its organization's view, whoever it acts for.
        let org = OrgId::from_trusted(row.org_id.clone());
        let shares_group =
            people::share_group(&self.app.store.read, &actor.person_id, &pid).await?;
        let facts = PersonFacts {
            person_id: &pid,
            org_id: &org,
            shares_group,
        };
        let same_org = row.org_id == scope.org_id;
        if (same_org || shares_group)
            && policy::can_see_person(
                &Actor {
                    role: if actor.is_platform_admin() {
                        Role::Member
                    } else {
                        actor.role
                    },
                    ..actor
                },
                &facts,
            )
        {
            Ok(row)
        } else {
            Err(HostError::NotFound)
        }
    }

    /// A group of the plugin's organization where the plugin is enabled.
    pub(super) async fn enabled_group(
        &self,
        scope: &Scope,
        id: &str,
    ) -> HostResult<crate::store::groups::GroupWithRole> {
        let gid = GroupId::parse(id).ok_or(HostError::NotFound)?;
        let row = groups::get(&self.app.store.read, &gid, &PersonId::from_trusted("")).await?;
        if row.group.org_id != scope.org_id {
            return Err(HostError::NotFound);
        }
        let enabled = ps::enablements_in_group(&self.app.store.read, id).await?;
        if !enabled.iter().any(|e| e.plugin_id == scope.plugin_id) {
            return Err(HostError::NotFound);
        }
        Ok(row)
    }
}

#[async_trait::async_trait]
impl HostApi for Services {
    fn now_ms(&self) -> i64 {
        self.app.plugin_clock.now_ms()
    }

    async fn person(&self, scope: &Scope, id: &str) -> HostResult<Person> {
        Ok(person(self.visible_person(scope, id).await?))
    }

    async fn search_people(
        &self,
        scope: &Scope,
        query: &str,
        limit: u32,
    ) -> HostResult<Vec<Person>> {
        let mut actor = viewer(scope);
        // A plugin never searches beyond its organization's view, whoever it acts for.
        if actor.is_platform_admin() {
            actor.role = Role::Member;
        }
        let rows = self
            .app
            .directory_search(&actor, Some(query), limit.min(100) as i64)
            .await
            .map_err(|e| match e {
                crate::app::AppError::Invalid { message, .. } => HostError::Invalid(message),
                other => HostError::Unavailable(other.to_string()),
            })?;
        Ok(rows.into_iter().map(person).collect())
    }

    async fn managers(&self, scope: &Scope, id: &str, levels: u32) -> HostResult<Vec<Person>> {
        let subject = self.visible_person(scope, id).await?;
        let mut out = Vec::new();
        let mut dept = subject.department_id.clone();
        let mut hops = 0;
        while let Some(d) = dept.take() {
            hops += 1;
            if out.len() as u32 >= levels || hops > 32 {
                break;
            }
            let Ok(g) = groups::get(
                &self.app.store.read,
                &GroupId::from_trusted(d),
                &PersonId::from_trusted(""),
            )
            .await
            else {
                break;
            };
            if let Some(head) = &g.group.head_id
                && head != &subject.id
                && !out.iter().any(|p: &Person| &p.id == head)
                && let Ok(row) =
                    people::get(&self.app.store.read, &PersonId::from_trusted(head.clone())).await
            {
                out.push(person(row));
            }
            dept = g.group.parent_id.clone();
        }
        Ok(out)
    }

    async fn group(&self, scope: &Scope, id: &str) -> HostResult<Group> {
        let g = match self.enabled_group(scope, id).await {
            Ok(row) => row.group,
            // Departments are the organization's directory: their names are there for its
            // staff (a department field's answer), whether or not the plugin is enabled in
            // them. Guests do not see the department tree.
            Err(HostError::NotFound) => {
                let gid = GroupId::parse(id).ok_or(HostError::NotFound)?;
                let row = groups::get(&self.app.store.read, &gid, &PersonId::from_trusted(""))
                    .await?
                    .group;
                let staff = viewer(scope).role != Role::Guest;
                if row.org_id != scope.org_id || row.kind != "department" || !staff {
                    return Err(HostError::NotFound);
                }
                row
            }
            Err(e) => return Err(e),
        };
        Ok(Group {
            id: g.id,
            org_id: g.org_id,
            name: g.name,
            kind: g.kind,
        })
    }

    async fn members(&self, scope: &Scope, id: &str) -> HostResult<Vec<Person>> {
        self.enabled_group(scope, id).await?;
        let mut out = Vec::new();
        for m in
            groups::members(&self.app.store.read, &GroupId::from_trusted(id.to_owned())).await?
        {
            out.push(person(
                people::get(&self.app.store.read, &PersonId::from_trusted(m.person_id)).await?,
            ));
        }
        Ok(out)
    }

    async fn post(
        &self,
        scope: &Scope,
        group_id: &str,
        body: String,
        card: Option<serde_json::Value>,
    ) -> HostResult<String> {
        self.enabled_group(scope, group_id).await?;
        let view = self
            .app
            .plugin_post(scope, group_id, body, card)
            .await
            .map_err(|e| match e {
                crate::app::AppError::Invalid { message, .. } => HostError::Invalid(message),
                crate::app::AppError::NotFound(_) => HostError::NotFound,
                other => HostError::Unavailable(other.to_string()),
            })?;
        Ok(view.id)
    }

    async fn update_card(
        &self,
        scope: &Scope,
        message_id: &str,
        card: serde_json::Value,
    ) -> HostResult<()> {
        self.app
            .plugin_update_card(scope, message_id, card)
            .await
            .map(|_| ())
    }

    async fn send_card(
        &self,
        scope: &Scope,
        person_id: &str,
        card: serde_json::Value,
    ) -> HostResult<String> {
        let target = self.visible_person(scope, person_id).await?;
        if target.org_id != scope.org_id {
            return Err(HostError::NotFound);
        }
        let key = format!("plugin:{}:{}", scope.plugin_id, target.id);
        let group_id = match groups::find_direct(&self.app.store.read, &key).await? {
            Some(g) => g.id,
            None => {
                let row = crate::store::groups::GroupRow {
                    id: GroupId::generate().into_string(),
                    org_id: scope.org_id.clone(),
                    kind: GroupKind::Direct.as_str().to_owned(),
                    name: scope.plugin_id.clone(),
                    description: String::new(),
                    parent_id: None,
                    head_id: None,
                    direct_key: Some(key.clone()),
                    archived: false,
                    created_by: target.id.clone(),
                    created_at: now_millis(),
                };
                let stored = row.clone();
                let member = target.clone();
                let created = self
                    .app
                    .writer
                    .write(move |tx| {
                        Box::pin(async move {
                            groups::insert(tx, &stored).await?;
                            let gid = GroupId::from_trusted(stored.id.clone());
                            groups::add_member(
                                tx,
                                &gid,
                                &PersonId::from_trusted(member.id.clone()),
                                "member",
                            )
                            .await?;
                            tx.emit(crate::app::people::membership_event(&member, &gid, true))
                                .await?;
                            Ok(())
                        })
                    })
                    .await;
                match created {
                    Ok(()) => row.id,
                    Err(StoreError::Conflict(_)) => {
                        groups::find_direct(&self.app.store.read, &key)
                            .await?
                            .ok_or(HostError::NotFound)?
                            .id
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        let view = self
            .app
            .insert_plugin_message(scope, &group_id, String::new(), Some(card), None, None)
            .await?;
        Ok(view.id)
    }

    async fn kv_get(
        &self,
        scope: &Scope,
        key: &str,
        group_scoped: bool,
    ) -> HostResult<Option<Vec<u8>>> {
        let s = kv_scope(scope, group_scoped)?;
        Ok(ps::kv_get(
            &self.app.store.read,
            &KvSpace {
                org: &scope.org_id,
                plugin: &scope.plugin_id,
                scope: &s,
            },
            key,
            now_millis(),
        )
        .await?)
    }

    async fn kv_set(
        &self,
        scope: &Scope,
        key: &str,
        value: Vec<u8>,
        group_scoped: bool,
        ttl_ms: Option<u64>,
    ) -> HostResult<()> {
        let space = OwnedSpace::of(scope, group_scoped)?;
        let key = key.to_owned();
        let expires =
            ttl_ms.map(|t| now_millis().saturating_add(t.min(i64::MAX as u64 / 2) as i64));
        self.app
            .writer
            .write(move |tx| {
                Box::pin(async move {
                    put_within_quota(tx, &space.borrow(), &key, &value, expires).await
                })
            })
            .await?
    }

    async fn kv_delete(&self, scope: &Scope, key: &str, group_scoped: bool) -> HostResult<bool> {
        let space = OwnedSpace::of(scope, group_scoped)?;
        let key = key.to_owned();
        Ok(self
            .app
            .writer
            .write(move |tx| {
                Box::pin(async move { ps::kv_delete(tx, &space.borrow(), &key).await })
            })
            .await?)
    }

    async fn kv_compare_and_set(
        &self,
        scope: &Scope,
        key: &str,
        expected: Option<Vec<u8>>,
        value: Vec<u8>,
        group_scoped: bool,
    ) -> HostResult<bool> {
        let space = OwnedSpace::of(scope, group_scoped)?;
        let key = key.to_owned();
        // The writer serialises every write, so read-compare-write in one job is atomic.
        self.app
            .writer
            .write(move |tx| {
                Box::pin(async move {
                    let space = space.borrow();
                    if ps::kv_get_in(tx, &space, &key).await? != expected {
                        return Ok(Ok(false));
                    }
                    Ok(put_within_quota(tx, &space, &key, &value, None)
                        .await?
                        .map(|()| true))
                })
            })
            .await?
    }

    async fn kv_scan(
        &self,
        scope: &Scope,
        prefix: &str,
        start_after: Option<String>,
        limit: u32,
        group_scoped: bool,
    ) -> HostResult<Vec<(String, Vec<u8>)>> {
        let s = kv_scope(scope, group_scoped)?;
        let after = start_after.unwrap_or_default();
        Ok(ps::kv_scan(
            &self.app.store.read,
            &KvSpace {
                org: &scope.org_id,
                plugin: &scope.plugin_id,
                scope: &s,
            },
            prefix,
            &after,
            limit.clamp(1, 100) as i64,
            now_millis(),
        )
        .await?)
    }

    fn log(&self, scope: &Scope, level: LogLevel, message: &str) {
        let level = match level {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        };
        tracing::info!(plugin = %scope.plugin_id, org = %scope.org_id, request = %scope.request_id, level, "plugin: {message}");
        self.app.plugins.log(scope, level, message);
    }

    async fn with_role(&self, scope: &Scope, role: &str, limit: u32) -> HostResult<Vec<Person>> {
        self.with_role_impl(scope, role, limit).await
    }

    async fn is_member(&self, scope: &Scope, group_id: &str, person_id: &str) -> HostResult<bool> {
        self.is_member_impl(scope, group_id, person_id).await
    }

    async fn organization(&self, scope: &Scope, id: &str) -> HostResult<Organization> {
        self.organization_impl(scope, id).await
    }

    async fn post_card_for(
        &self,
        scope: &Scope,
        group_id: &str,
        card: serde_json::Value,
        audience: Vec<String>,
    ) -> HostResult<String> {
        self.post_card_for_impl(scope, group_id, card, audience)
            .await
    }

    async fn set_audience(
        &self,
        scope: &Scope,
        message_id: &str,
        audience: Vec<String>,
    ) -> HostResult<()> {
        self.set_audience_impl(scope, message_id, audience).await
    }

    async fn reply(
        &self,
        scope: &Scope,
        parent_id: &str,
        body: String,
        card: Option<serde_json::Value>,
    ) -> HostResult<String> {
        self.reply_impl(scope, parent_id, body, card).await
    }

    async fn record_get(
        &self,
        scope: &Scope,
        collection: &str,
        id: &str,
    ) -> HostResult<Option<Record>> {
        self.record_get_impl(scope, collection, id).await
    }

    async fn record_put(
        &self,
        scope: &Scope,
        collection: &str,
        id: &str,
        data: String,
        links: Vec<Link>,
        expected_version: u64,
    ) -> HostResult<u64> {
        self.record_put_impl(scope, collection, id, data, links, expected_version)
            .await
    }

    async fn record_delete(&self, scope: &Scope, collection: &str, id: &str) -> HostResult<bool> {
        self.record_delete_impl(scope, collection, id).await
    }

    async fn record_find(
        &self,
        scope: &Scope,
        collection: &str,
        rel: Option<&str>,
        target: &Target,
        cursor: Option<String>,
        limit: u32,
    ) -> HostResult<RecordPage> {
        self.record_find_impl(scope, collection, rel, target, cursor, limit)
            .await
    }

    async fn record_list(
        &self,
        scope: &Scope,
        collection: &str,
        cursor: Option<String>,
        limit: u32,
    ) -> HostResult<RecordPage> {
        self.record_list_impl(scope, collection, cursor, limit)
            .await
    }

    async fn timer_set(
        &self,
        scope: &Scope,
        key: &str,
        due_ms: i64,
        payload: String,
    ) -> HostResult<String> {
        self.timer_set_impl(scope, key, due_ms, payload).await
    }

    async fn timer_cancel(&self, scope: &Scope, key: &str) -> HostResult<bool> {
        self.timer_cancel_impl(scope, key).await
    }

    async fn http_fetch(&self, scope: &Scope, request: HttpRequest) -> HostResult<HttpResponse> {
        self.http_fetch_impl(scope, request).await
    }

    async fn interop_call(
        &self,
        scope: &Scope,
        plugin: &str,
        operation: &str,
        input: String,
    ) -> HostResult<String> {
        self.interop_call_impl(scope, plugin, operation, input)
            .await
    }

    async fn file_get(
        &self,
        scope: &Scope,
        id: &str,
    ) -> HostResult<courtyard_runtime::api::FileInfo> {
        self.app.plugin_file(scope, id).await
    }

    async fn file_share(&self, scope: &Scope, id: &str, people: Vec<String>) -> HostResult<()> {
        // Everyone must be someone the plugin may see where it acts; the file must be its
        // organization's.
        if people.len() > crate::app::files::MAX_SHARE {
            return Err(HostError::Invalid(format!(
                "a file can be shared with at most {} people at a time",
                crate::app::files::MAX_SHARE
            )));
        }
        let mut ids = Vec::with_capacity(people.len());
        for person in &people {
            ids.push(self.visible_person(scope, person).await?.id);
        }
        self.app.plugin_file_share(scope, id, ids).await
    }
}

impl App {
    /// Posts a message as a plugin into a group where it is enabled.
    pub(crate) async fn plugin_post(
        &self,
        scope: &Scope,
        group_id: &str,
        body: String,
        card: Option<serde_json::Value>,
    ) -> crate::app::Result<MessageView> {
        if card.is_none() {
            markup::parse(&body)
                .map_err(|e| crate::app::AppError::invalid("invalid_message", e.to_string()))?;
        }
        self.insert_plugin_message(scope, group_id, body, card, None, None)
            .await
            .map_err(|e| match e {
                HostError::NotFound => crate::app::AppError::NotFound("group"),
                other => crate::app::AppError::Internal(anyhow::anyhow!("{other}")),
            })
    }

    pub(crate) async fn insert_plugin_message(
        &self,
        scope: &Scope,
        group_id: &str,
        body: String,
        card: Option<serde_json::Value>,
        thread_root: Option<String>,
        audience: Option<String>,
    ) -> HostResult<MessageView> {
        let gid = GroupId::parse(group_id).ok_or(HostError::NotFound)?;
        let id = MessageId::generate().into_string();
        let txn_key = crypto::keyed_digest(&self.secret, &["plugin", &scope.plugin_id, &id]);
        let row = MessageRow {
            thread_root_id: thread_root,
            plugin_id: Some(scope.plugin_id.clone()),
            card: card.map(|c| c.to_string()),
            audience,
            ..MessageRow::draft(id, gid.as_str().to_owned(), body, txn_key)
        };
        let org = OrgId::from_trusted(scope.org_id.clone());
        let terms = crate::app::search::terms_for(&row.body, None, false);
        let view = self
            .writer
            .write(move |tx| {
                Box::pin(async move {
                    let mut row = row;
                    row.seq = tx.next_seq().await?;
                    row.created_at = tx.now();
                    messages::insert(tx, &row, &terms).await?;
                    let view = Renderer::plain().view(row.clone());
                    let draft = EventDraft {
                        org_id: org,
                        group_id: Some(gid),
                        person_id: None,
                        kind: "message.created",
                        data: serde_json::to_value(&view).unwrap_or_default(),
                        membership: None,
                        audience: row.audience.clone(),
                    };
                    tx.emit_at(row.seq, draft).await?;
                    Ok(view)
                })
            })
            .await?;
        Ok(view)
    }

    /// Replaces one of the plugin's own cards and tells the group.
    pub(crate) async fn plugin_update_card(
        &self,
        scope: &Scope,
        message_id: &str,
        card: serde_json::Value,
    ) -> HostResult<MessageView> {
        let mid = MessageId::parse(message_id).ok_or(HostError::NotFound)?;
        let row = messages::get(&self.store.read, &mid).await?;
        let group = groups::get(
            &self.store.read,
            &GroupId::from_trusted(row.group_id.clone()),
            &PersonId::from_trusted(""),
        )
        .await?;
        if row.plugin_id.as_deref() != Some(scope.plugin_id.as_str())
            || group.group.org_id != scope.org_id
            || row.deleted_at.is_some()
        {
            return Err(HostError::NotFound);
        }
        let org = OrgId::from_trusted(scope.org_id.clone());
        let gid = GroupId::from_trusted(row.group_id.clone());
        let id = row.id.clone();
        let view = self
            .writer
            .write(move |tx| {
                Box::pin(async move {
                    messages::set_card(tx, &id, &card.to_string()).await?;
                    let row = messages::get_in(tx, &id).await?;
                    let audience = row.audience.clone();
                    let view = Renderer::plain().view(row);
                    let draft = EventDraft {
                        org_id: org,
                        group_id: Some(gid),
                        person_id: None,
                        kind: "message.updated",
                        data: serde_json::to_value(&view).unwrap_or_default(),
                        membership: None,
                        audience,
                    };
                    tx.emit(draft).await?;
                    Ok(view)
                })
            })
            .await?;
        Ok(view)
    }
}
