//! The adapter for contract `courtyard:plugin@0.3.0` (current): generated bindings, the host
//! side of each imported interface (capability checks and size caps, then [`HostApi`]), and
//! the calls into the exported handlers. Frozen once released; a newer contract gets its own
//! file beside this one.
//!
//! What 0.3.0 added over 0.2.0: `people.organization`, `messages.post-card-for` and
//! `messages.set-audience` (cards only part of a group sees), the `files` interface (its own
//! capability), `department` and `formula` form fields (`formula` also on columns), and the
//! acting person's home organization (`actor.org-id`).

use wasmtime::Store;
use wasmtime::component::{HasSelf, Linker};

use crate::api::{self, HostError as ApiError, LogLevel, Scope};
use crate::card::{self, Block as CardBlock, Button as CardButton, TimelineEntry};
use crate::runtime::{
    ActionInput, ActionReply, CallError, CommandReply, HookDecision, Lifecycle, Page, State,
    TimerDue,
};

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../../wit/since_v0.3.0",
    imports: { default: async | trappable },
    exports: { default: async },
});

use courtyard::plugin::files::FileInfo;
use courtyard::plugin::records::{Link, Record, Target};
use courtyard::plugin::types::{
    self as t, Actor, Block, ButtonStyle, Card, Context, FieldKind, FormulaResult, Group,
    HostError, Organization, Person, Role, Tone,
};

pub(crate) type Pre = PluginPre<State>;

const MAX_ID: usize = 64;
const MAX_QUERY: usize = 200;
const MAX_BODY: usize = 16 * 1024;
const MAX_KEY: usize = 256;
const MAX_VALUE: usize = 64 * 1024;
const MAX_SCAN: u32 = 100;
const MAX_LOG: usize = 4096;
const MAX_REPLY: usize = 16 * 1024;
const MAX_COLLECTION: usize = 64;
const MAX_LINKS: usize = 50;
const MAX_PAGE_CARDS: usize = 50;
const MAX_HTTP_BODY: usize = 1 << 20;
const MAX_HEADERS: usize = 50;
const MAX_HEADER: usize = 8 * 1024;
const MAX_INTEROP: usize = 256 * 1024;
const MAX_TIMER_PAYLOAD: usize = 16 * 1024;
/// People a `post-card-for` audience may name.
const MAX_AUDIENCE: usize = 100;
/// People one `files.share` may add.
const MAX_SHARE: usize = 100;

pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    Plugin::add_to_linker::<State, HasSelf<State>>(linker, |s| s)
}

type HostResult<T> = wasmtime::Result<Result<T, HostError>>;

fn grant(state: &State, cap: &str) -> Result<(), HostError> {
    if state.granted(cap) {
        Ok(())
    } else {
        Err(HostError::Denied(format!(
            "capability `{cap}` was not granted"
        )))
    }
}

fn invalid(what: &str, max: usize) -> HostError {
    HostError::Invalid(format!("{what} is longer than {max} bytes"))
}

fn from_api(e: ApiError) -> HostError {
    match e {
        ApiError::NotFound => HostError::NotFound,
        ApiError::Denied(m) => HostError::Denied(m),
        ApiError::Invalid(m) => HostError::Invalid(m),
        ApiError::Quota(m) => HostError::Quota(m),
        ApiError::Unavailable(m) => HostError::Unavailable(m),
        ApiError::Conflict => HostError::Conflict,
    }
}

fn person(p: api::Person) -> Person {
    Person {
        id: p.id,
        org_id: p.org_id,
        display_name: p.display_name,
        title: p.title,
        department_id: p.department_id,
        email: p.email,
        guest: p.guest,
    }
}

/// Runs a host call after a capability check and input caps; host errors become
/// `host-error`s the plugin can handle.
macro_rules! guarded {
    ($self:ident, $cap:literal, [$(($value:expr, $what:literal, $max:expr)),*], $body:expr) => {{
        if let Err(e) = grant($self, $cap) {
            return Ok(Err(e));
        }
        $(
            if $value.len() > $max {
                return Ok(Err(invalid($what, $max)));
            }
        )*
        Ok($body.await.map_err(from_api))
    }};
}

/// Converts a card argument, refusing it as `invalid` (after the capability check, so an
/// ungranted plugin learns only that it was denied).
macro_rules! checked_card {
    ($self:ident, $card:expr) => {{
        if let Err(e) = grant($self, "messages") {
            return Ok(Err(e));
        }
        match card_json($card) {
            Ok(c) => c,
            Err(e) => return Ok(Err(HostError::Invalid(e))),
        }
    }};
}

impl t::Host for State {}

impl courtyard::plugin::log::Host for State {
    async fn write(
        &mut self,
        level: courtyard::plugin::log::Level,
        message: String,
    ) -> wasmtime::Result<()> {
        use courtyard::plugin::log::Level;
        let level = match level {
            Level::Debug => LogLevel::Debug,
            Level::Info => LogLevel::Info,
            Level::Warn => LogLevel::Warn,
            Level::Error => LogLevel::Error,
        };
        let message: String = message.chars().take(MAX_LOG).collect();
        self.host.log(&self.scope, level, &message);
        Ok(())
    }
}

impl courtyard::plugin::clock::Host for State {
    async fn now_ms(&mut self) -> wasmtime::Result<i64> {
        Ok(self.host.now_ms())
    }

    async fn utc_offset_minutes(&mut self, at_ms: i64) -> wasmtime::Result<i32> {
        let tz = crate::schedule::time_zone_or_utc(&self.scope.time_zone);
        Ok(crate::schedule::utc_offset_minutes(tz, at_ms))
    }
}

impl courtyard::plugin::people::Host for State {
    async fn get(&mut self, id: String) -> HostResult<Person> {
        guarded!(self, "people", [(id, "id", MAX_ID)], async {
            self.host.person(&self.scope, &id).await.map(person)
        })
    }

    async fn search(&mut self, query: String, limit: u32) -> HostResult<Vec<Person>> {
        guarded!(self, "people", [(query, "query", MAX_QUERY)], async {
            let found = self.host.search_people(&self.scope, &query, limit.min(100));
            found.await.map(|v| v.into_iter().map(person).collect())
        })
    }

    async fn managers(&mut self, id: String, levels: u32) -> HostResult<Vec<Person>> {
        guarded!(self, "people", [(id, "id", MAX_ID)], async {
            let found = self.host.managers(&self.scope, &id, levels.min(10));
            found.await.map(|v| v.into_iter().map(person).collect())
        })
    }

    async fn with_role(&mut self, role: String, limit: u32) -> HostResult<Vec<Person>> {
        guarded!(self, "people", [(role, "role", MAX_ID)], async {
            let found = self.host.with_role(&self.scope, &role, limit.min(100));
            found.await.map(|v| v.into_iter().map(person).collect())
        })
    }

    async fn organization(&mut self, id: String) -> HostResult<Organization> {
        guarded!(self, "people", [(id, "id", MAX_ID)], async {
            let found = self.host.organization(&self.scope, &id);
            found.await.map(|o| Organization {
                id: o.id,
                name: o.name,
            })
        })
    }
}

impl courtyard::plugin::groups::Host for State {
    async fn get(&mut self, id: String) -> HostResult<Group> {
        guarded!(self, "groups", [(id, "id", MAX_ID)], async {
            self.host.group(&self.scope, &id).await.map(|g| Group {
                id: g.id,
                org_id: g.org_id,
                name: g.name,
                kind: g.kind,
            })
        })
    }

    async fn members(&mut self, id: String) -> HostResult<Vec<Person>> {
        guarded!(self, "groups", [(id, "id", MAX_ID)], async {
            let found = self.host.members(&self.scope, &id);
            found.await.map(|v| v.into_iter().map(person).collect())
        })
    }

    async fn is_member(&mut self, group_id: String, person_id: String) -> HostResult<bool> {
        guarded!(
            self,
            "groups",
            [
                (group_id, "group id", MAX_ID),
                (person_id, "person id", MAX_ID)
            ],
            self.host.is_member(&self.scope, &group_id, &person_id)
        )
    }
}

impl courtyard::plugin::messages::Host for State {
    async fn post(&mut self, group_id: String, body: String) -> HostResult<String> {
        guarded!(
            self,
            "messages",
            [(group_id, "group id", MAX_ID), (body, "body", MAX_BODY)],
            self.host.post(&self.scope, &group_id, body, None)
        )
    }

    async fn post_card(&mut self, group_id: String, card: Card) -> HostResult<String> {
        let card = checked_card!(self, card);
        guarded!(
            self,
            "messages",
            [(group_id, "group id", MAX_ID)],
            self.host
                .post(&self.scope, &group_id, String::new(), Some(card))
        )
    }

    async fn reply(
        &mut self,
        parent_id: String,
        body: String,
        card: Option<Card>,
    ) -> HostResult<String> {
        let card = match card {
            Some(c) => Some(checked_card!(self, c)),
            None => None,
        };
        guarded!(
            self,
            "messages",
            [(parent_id, "parent id", MAX_ID), (body, "body", MAX_BODY)],
            self.host.reply(&self.scope, &parent_id, body, card)
        )
    }

    async fn update_card(&mut self, message_id: String, card: Card) -> HostResult<()> {
        let card = checked_card!(self, card);
        guarded!(
            self,
            "messages",
            [(message_id, "message id", MAX_ID)],
            self.host.update_card(&self.scope, &message_id, card)
        )
    }

    async fn send_card(&mut self, person_id: String, card: Card) -> HostResult<String> {
        let card = checked_card!(self, card);
        guarded!(
            self,
            "messages",
            [(person_id, "person id", MAX_ID)],
            self.host.send_card(&self.scope, &person_id, card)
        )
    }

    async fn post_card_for(
        &mut self,
        group_id: String,
        card: Card,
        audience: Vec<String>,
    ) -> HostResult<String> {
        let card = checked_card!(self, card);
        if let Err(e) = check_people("an audience", &audience, 1, MAX_AUDIENCE) {
            return Ok(Err(e));
        }
        guarded!(
            self,
            "messages",
            [(group_id, "group id", MAX_ID)],
            self.host
                .post_card_for(&self.scope, &group_id, card, audience)
        )
    }

    async fn set_audience(&mut self, message_id: String, audience: Vec<String>) -> HostResult<()> {
        if let Err(e) = grant(self, "messages") {
            return Ok(Err(e));
        }
        if let Err(e) = check_people("an audience", &audience, 1, MAX_AUDIENCE) {
            return Ok(Err(e));
        }
        guarded!(
            self,
            "messages",
            [(message_id, "message id", MAX_ID)],
            self.host.set_audience(&self.scope, &message_id, audience)
        )
    }
}

/// A list of person ids: `min` to `max` of them, each 1 to [`MAX_ID`] bytes.
fn check_people(what: &str, ids: &[String], min: usize, max: usize) -> Result<(), HostError> {
    if ids.len() < min || ids.len() > max {
        return Err(HostError::Invalid(if min == 0 {
            format!("{what} names at most {max} people")
        } else {
            format!("{what} names {min} to {max} people")
        }));
    }
    if ids.iter().any(|id| id.is_empty() || id.len() > MAX_ID) {
        return Err(HostError::Invalid(format!(
            "{what}: a person id is 1 to {MAX_ID} bytes"
        )));
    }
    Ok(())
}

fn file_info(f: api::FileInfo) -> FileInfo {
    FileInfo {
        id: f.id,
        name: f.name,
        content_type: f.content_type,
        size: f.size,
        uploaded_by: f.uploaded_by,
        created_ms: f.created_ms,
    }
}

impl courtyard::plugin::files::Host for State {
    async fn get(&mut self, id: String) -> HostResult<FileInfo> {
        guarded!(self, "files", [(id, "file id", MAX_ID)], async {
            self.host.file_get(&self.scope, &id).await.map(file_info)
        })
    }

    async fn share(&mut self, id: String, people: Vec<String>) -> HostResult<()> {
        if let Err(e) = grant(self, "files") {
            return Ok(Err(e));
        }
        if let Err(e) = check_people("a share", &people, 0, MAX_SHARE) {
            return Ok(Err(e));
        }
        guarded!(
            self,
            "files",
            [(id, "file id", MAX_ID)],
            self.host.file_share(&self.scope, &id, people)
        )
    }
}

impl courtyard::plugin::storage::Host for State {
    async fn get(&mut self, key: String, group_scoped: bool) -> HostResult<Option<Vec<u8>>> {
        guarded!(
            self,
            "storage",
            [(key, "key", MAX_KEY)],
            self.host.kv_get(&self.scope, &key, group_scoped)
        )
    }

    async fn set(
        &mut self,
        key: String,
        value: Vec<u8>,
        group_scoped: bool,
        ttl_ms: Option<u64>,
    ) -> HostResult<()> {
        guarded!(
            self,
            "storage",
            [(key, "key", MAX_KEY), (value, "value", MAX_VALUE)],
            self.host
                .kv_set(&self.scope, &key, value, group_scoped, ttl_ms)
        )
    }

    async fn delete(&mut self, key: String, group_scoped: bool) -> HostResult<bool> {
        guarded!(
            self,
            "storage",
            [(key, "key", MAX_KEY)],
            self.host.kv_delete(&self.scope, &key, group_scoped)
        )
    }

    async fn compare_and_set(
        &mut self,
        key: String,
        expected: Option<Vec<u8>>,
        value: Vec<u8>,
        group_scoped: bool,
    ) -> HostResult<bool> {
        if expected.as_ref().is_some_and(|e| e.len() > MAX_VALUE) {
            return Ok(Err(invalid("expected value", MAX_VALUE)));
        }
        guarded!(
            self,
            "storage",
            [(key, "key", MAX_KEY), (value, "value", MAX_VALUE)],
            self.host
                .kv_compare_and_set(&self.scope, &key, expected, value, group_scoped)
        )
    }

    async fn scan(
        &mut self,
        prefix: String,
        start_after: Option<String>,
        limit: u32,
        group_scoped: bool,
    ) -> HostResult<Vec<(String, Vec<u8>)>> {
        let after = start_after.clone().unwrap_or_default();
        guarded!(
            self,
            "storage",
            [(prefix, "prefix", MAX_KEY), (after, "start-after", MAX_KEY)],
            self.host.kv_scan(
                &self.scope,
                &prefix,
                start_after,
                limit.min(MAX_SCAN),
                group_scoped
            )
        )
    }
}

fn target(t: Target) -> api::Target {
    match t {
        Target::Person(id) => api::Target::Person(id),
        Target::Group(id) => api::Target::Group(id),
        Target::Message(id) => api::Target::Message(id),
    }
}

fn record(r: api::Record) -> Record {
    Record {
        collection: r.collection,
        id: r.id,
        data: r.data,
        links: r
            .links
            .into_iter()
            .map(|l| Link {
                rel: l.rel,
                target: match l.target {
                    api::Target::Person(id) => Target::Person(id),
                    api::Target::Group(id) => Target::Group(id),
                    api::Target::Message(id) => Target::Message(id),
                },
            })
            .collect(),
        version: r.version,
        created_ms: r.created_ms,
        updated_ms: r.updated_ms,
    }
}

type RecordPage = (Vec<Record>, Option<String>);

fn record_page((records, cursor): api::RecordPage) -> RecordPage {
    (records.into_iter().map(record).collect(), cursor)
}

/// Names of collections and relations: short, printable, no surprises in URLs or logs.
fn check_name(what: &str, name: &str, allow_empty: bool) -> Result<(), HostError> {
    let ok = (allow_empty || !name.is_empty())
        && name.len() <= MAX_COLLECTION
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(HostError::Invalid(format!(
            "{what} must be 1 to {MAX_COLLECTION} letters, digits, `-`, `_` or `.`"
        )))
    }
}

impl courtyard::plugin::records::Host for State {
    async fn get(&mut self, collection: String, id: String) -> HostResult<Option<Record>> {
        if let Err(e) = check_name("collection", &collection, false) {
            return Ok(Err(e));
        }
        guarded!(self, "records", [(id, "id", MAX_KEY)], async {
            let found = self.host.record_get(&self.scope, &collection, &id);
            found.await.map(|r| r.map(record))
        })
    }

    async fn put(
        &mut self,
        collection: String,
        id: String,
        data: String,
        links: Vec<Link>,
        expected_version: u64,
    ) -> HostResult<u64> {
        if let Err(e) = check_name("collection", &collection, false) {
            return Ok(Err(e));
        }
        if links.len() > MAX_LINKS {
            return Ok(Err(HostError::Invalid(format!(
                "a record has at most {MAX_LINKS} links"
            ))));
        }
        let mut converted = Vec::with_capacity(links.len());
        for l in links {
            if let Err(e) = check_name("a link's rel", &l.rel, false) {
                return Ok(Err(e));
            }
            let t = target(l.target);
            if t.id().is_empty() || t.id().len() > MAX_ID {
                return Ok(Err(invalid("a link's target id", MAX_ID)));
            }
            converted.push(api::Link {
                rel: l.rel,
                target: t,
            });
        }
        if serde_json::from_str::<serde::de::IgnoredAny>(&data).is_err() {
            return Ok(Err(HostError::Invalid("record data must be JSON".into())));
        }
        guarded!(
            self,
            "records",
            [(id, "id", MAX_KEY), (data, "data", MAX_VALUE)],
            self.host.record_put(
                &self.scope,
                &collection,
                &id,
                data,
                converted,
                expected_version
            )
        )
    }

    async fn delete(&mut self, collection: String, id: String) -> HostResult<bool> {
        if let Err(e) = check_name("collection", &collection, false) {
            return Ok(Err(e));
        }
        guarded!(
            self,
            "records",
            [(id, "id", MAX_KEY)],
            self.host.record_delete(&self.scope, &collection, &id)
        )
    }

    async fn find(
        &mut self,
        collection: String,
        rel: String,
        target_ref: Target,
        cursor: Option<String>,
        limit: u32,
    ) -> HostResult<RecordPage> {
        if let Err(e) =
            check_name("collection", &collection, false).and_then(|_| check_name("rel", &rel, true))
        {
            return Ok(Err(e));
        }
        let target_ref = target(target_ref);
        let cursor_text = cursor.clone().unwrap_or_default();
        guarded!(
            self,
            "records",
            [
                (target_ref.id(), "target id", MAX_ID),
                (cursor_text, "cursor", MAX_KEY)
            ],
            async {
                let rel = (!rel.is_empty()).then_some(rel.as_str());
                let found = self.host.record_find(
                    &self.scope,
                    &collection,
                    rel,
                    &target_ref,
                    cursor,
                    limit.clamp(1, MAX_SCAN),
                );
                found.await.map(record_page)
            }
        )
    }

    async fn list(
        &mut self,
        collection: String,
        cursor: Option<String>,
        limit: u32,
    ) -> HostResult<RecordPage> {
        if let Err(e) = check_name("collection", &collection, false) {
            return Ok(Err(e));
        }
        let cursor_text = cursor.clone().unwrap_or_default();
        guarded!(self, "records", [(cursor_text, "cursor", MAX_KEY)], async {
            let found =
                self.host
                    .record_list(&self.scope, &collection, cursor, limit.clamp(1, MAX_SCAN));
            found.await.map(record_page)
        })
    }
}

impl courtyard::plugin::timers::Host for State {
    async fn set(&mut self, key: String, due_ms: i64, payload: String) -> HostResult<String> {
        guarded!(
            self,
            "timers",
            [
                (key, "key", MAX_KEY),
                (payload, "payload", MAX_TIMER_PAYLOAD)
            ],
            self.host.timer_set(&self.scope, &key, due_ms, payload)
        )
    }

    async fn cancel(&mut self, key: String) -> HostResult<bool> {
        guarded!(
            self,
            "timers",
            [(key, "key", MAX_KEY)],
            self.host.timer_cancel(&self.scope, &key)
        )
    }
}

fn check_headers(headers: &[(String, String)]) -> Result<(), HostError> {
    if headers.len() > MAX_HEADERS {
        return Err(HostError::Invalid(format!("at most {MAX_HEADERS} headers")));
    }
    if headers.iter().any(|(n, v)| n.len() + v.len() > MAX_HEADER) {
        return Err(invalid("a header", MAX_HEADER));
    }
    Ok(())
}

impl courtyard::plugin::http::Host for State {
    async fn fetch(
        &mut self,
        req: courtyard::plugin::http::Request,
    ) -> HostResult<courtyard::plugin::http::Response> {
        if let Err(e) = grant(self, "http") {
            return Ok(Err(e));
        }
        // Checked here, before any I/O, against what the manifest asked for and the
        // organization granted: an admin can narrow, never widen.
        let allowed: Vec<String> = self
            .grants
            .http_hosts
            .iter()
            .filter(|h| self.manifest.http_hosts.contains(h))
            .cloned()
            .collect();
        if let Err(e) = api::check_outbound_url(&req.url, &allowed) {
            return Ok(Err(from_api(e)));
        }
        if let Err(e) = check_headers(&req.headers) {
            return Ok(Err(e));
        }
        guarded!(
            self,
            "http",
            [(req.body, "request body", MAX_HTTP_BODY)],
            async {
                let request = api::HttpRequest {
                    method: req.method.to_ascii_uppercase(),
                    url: req.url,
                    query: String::new(),
                    headers: req.headers,
                    body: req.body,
                    timeout_ms: if req.timeout_ms == 0 {
                        10_000
                    } else {
                        req.timeout_ms.clamp(100, 10_000)
                    },
                };
                self.host.http_fetch(&self.scope, request).await.map(|r| {
                    courtyard::plugin::http::Response {
                        status: r.status,
                        headers: r.headers,
                        body: r.body,
                    }
                })
            }
        )
    }
}

impl courtyard::plugin::interop::Host for State {
    async fn call(
        &mut self,
        plugin: String,
        operation: String,
        input: String,
    ) -> HostResult<String> {
        if let Err(e) = grant(self, "interop") {
            return Ok(Err(e));
        }
        // Whether the callee may be called (listed under `calls`, or it lists this plugin:
        // a call back) needs the callee's manifest, which only the host has.
        guarded!(
            self,
            "interop",
            [
                (operation, "operation", MAX_ID),
                (input, "input", MAX_INTEROP)
            ],
            self.host
                .interop_call(&self.scope, &plugin, &operation, input)
        )
    }
}

fn tone(t: Tone) -> &'static str {
    match t {
        Tone::Neutral => "neutral",
        Tone::Info => "info",
        Tone::Success => "success",
        Tone::Warning => "warning",
        Tone::Danger => "danger",
    }
}

fn field_kind(k: FieldKind) -> &'static str {
    use crate::form::FieldKind as F;
    match k {
        FieldKind::Text => F::Text,
        FieldKind::Textarea => F::Textarea,
        FieldKind::Number => F::Number,
        FieldKind::Money => F::Money,
        FieldKind::Date => F::Date,
        FieldKind::DateRange => F::DateRange,
        FieldKind::Datetime => F::Datetime,
        FieldKind::Select => F::Select,
        FieldKind::MultiSelect => F::MultiSelect,
        FieldKind::Person => F::Person,
        FieldKind::People => F::People,
        FieldKind::Group => F::Group,
        FieldKind::File => F::File,
        FieldKind::Checkbox => F::Checkbox,
        FieldKind::Table => F::Table,
        FieldKind::Department => F::Department,
        FieldKind::Formula => F::Formula,
    }
    .as_str()
}

/// A `formula` record as the form JSON holds it (`crate::form::Formula`).
fn formula_json(f: Option<t::Formula>) -> serde_json::Value {
    match f {
        None => serde_json::Value::Null,
        Some(f) => serde_json::to_value(crate::form::Formula {
            expression: f.expression,
            result: match f.result {
                FormulaResult::Number => crate::form::FormulaResult::Number,
                FormulaResult::Money => crate::form::FormulaResult::Money,
            },
        })
        .unwrap_or(serde_json::Value::Null),
    }
}

fn options_json(options: Vec<t::SelectOption>) -> serde_json::Value {
    options
        .into_iter()
        .map(|o| serde_json::json!({"value": o.value, "label": o.label}))
        .collect()
}

/// Converts a form from the contract into its checked JSON form.
fn form_json(f: t::Form) -> Result<serde_json::Value, String> {
    // Bounded before conversion so a huge form costs nothing; `checked` applies the rest.
    if f.fields.len() > crate::form::MAX_FIELDS {
        return Err(format!(
            "a form holds at most {} fields",
            crate::form::MAX_FIELDS
        ));
    }
    let mut fields = Vec::with_capacity(f.fields.len());
    for field in f.fields {
        let default = match field.default_value {
            Some(text) => Some(
                serde_json::from_str::<serde_json::Value>(&text)
                    .map_err(|_| format!("the default of `{}` is not JSON", field.name))?,
            ),
            None => None,
        };
        if field.columns.len() > crate::form::MAX_COLUMNS {
            return Err(format!(
                "a table holds at most {} columns",
                crate::form::MAX_COLUMNS
            ));
        }
        let columns: Vec<serde_json::Value> = field
            .columns
            .into_iter()
            .map(|c| {
                serde_json::json!({
                    "name": c.name, "label": c.label, "kind": field_kind(c.kind),
                    "required": c.rules.required, "min": c.rules.min, "max": c.rules.max,
                    "pattern": c.rules.pattern, "pattern_message": c.rules.pattern_message,
                    "options": options_json(c.options), "formula": formula_json(c.formula),
                })
            })
            .collect();
        fields.push(serde_json::json!({
            "name": field.name, "label": field.label, "kind": field_kind(field.kind),
            "required": field.rules.required, "min": field.rules.min, "max": field.rules.max,
            "pattern": field.rules.pattern, "pattern_message": field.rules.pattern_message,
            "options": options_json(field.options),
            "placeholder": field.placeholder, "help": field.help, "default": default,
            "visible_when": field.visible_when.map(|c| serde_json::json!({"field": c.field, "values": c.values})),
            "columns": columns, "read_only": field.read_only,
            "formula": formula_json(field.formula),
        }));
    }
    let value = serde_json::json!({
        "id": f.id, "title": f.title, "submit_label": f.submit_label, "value": f.value,
        "fields": fields,
    });
    crate::form::checked(value)
}

/// Converts and validates a card from the contract into its stored JSON form.
fn card_json(c: Card) -> Result<serde_json::Value, String> {
    let mut blocks = Vec::with_capacity(c.blocks.len());
    for b in c.blocks {
        blocks.push(match b {
            Block::Text(s) => CardBlock::Text(s),
            Block::Fields(f) => {
                CardBlock::Fields(f.into_iter().map(|f| (f.label, f.value)).collect())
            }
            Block::Badge(b) => CardBlock::Badge {
                text: b.text,
                tone: tone(b.tone),
            },
            Block::Table(t) => CardBlock::Table {
                columns: t.columns,
                rows: t.rows,
            },
            Block::Image(url) => CardBlock::Image(url),
            Block::Buttons(bs) => CardBlock::Buttons(
                bs.into_iter()
                    .map(|b| CardButton {
                        action_id: b.action_id,
                        label: b.label,
                        style: match b.style {
                            ButtonStyle::Default => "default",
                            ButtonStyle::Primary => "primary",
                            ButtonStyle::Danger => "danger",
                        },
                        value: b.value,
                        confirm: b.confirm,
                    })
                    .collect(),
            ),
            Block::Divider => CardBlock::Divider,
            Block::People(people) => {
                CardBlock::People(people.into_iter().map(|p| (p.id, p.display_name)).collect())
            }
            Block::Form(f) => CardBlock::Form(form_json(f)?),
            Block::Timeline(entries) => CardBlock::Timeline(
                entries
                    .into_iter()
                    .map(|e| TimelineEntry {
                        at_ms: e.at_ms,
                        title: e.title,
                        detail: e.detail,
                        tone: tone(e.tone),
                    })
                    .collect(),
            ),
        });
    }
    card::to_json(&c.title, blocks)
}

pub(crate) fn context(scope: &Scope) -> Context {
    Context {
        org_id: scope.org_id.clone(),
        group_id: scope.group_id.clone(),
        actor: scope.actor.as_ref().map(|a| Actor {
            id: a.id.clone(),
            display_name: a.display_name.clone(),
            role: match a.role.as_str() {
                "platform_admin" => Role::PlatformAdmin,
                "org_admin" => Role::OrgAdmin,
                "member" => Role::Member,
                _ => Role::Guest,
            },
            guest: a.role == "guest",
            org_id: a.org_id.clone(),
        }),
        settings: scope.settings.to_string(),
        request_id: scope.request_id.clone(),
        locale: scope.locale.clone(),
    }
}

fn reply_text(s: String) -> Result<String, CallError> {
    if s.len() > MAX_REPLY {
        Err(CallError::InvalidReply(format!(
            "a reply of {} bytes is over the {MAX_REPLY}-byte limit",
            s.len()
        )))
    } else {
        Ok(s)
    }
}

fn plugin_error(e: t::PluginError) -> CallError {
    CallError::Plugin(e.message.chars().take(500).collect())
}

fn invalid_reply(e: String) -> CallError {
    CallError::InvalidReply(e)
}

type Call<T> = wasmtime::Result<Result<T, CallError>>;

async fn instance(store: &mut Store<State>, pre: &Pre) -> wasmtime::Result<(Plugin, Context)> {
    let ctx = context(&store.data().scope);
    Ok((pre.instantiate_async(&mut *store).await?, ctx))
}

pub(crate) async fn command(
    store: &mut Store<State>,
    pre: &Pre,
    command: String,
    args: String,
) -> Call<CommandReply> {
    let (plugin, ctx) = instance(store, pre).await?;
    let reply = plugin
        .courtyard_plugin_handlers()
        .call_on_command(&mut *store, &ctx, &command, &args)
        .await?;
    Ok(match reply {
        Err(e) => Err(plugin_error(e)),
        Ok(t::CommandReply::Ephemeral(s)) => reply_text(s).map(CommandReply::Ephemeral),
        Ok(t::CommandReply::Message(s)) => reply_text(s).map(CommandReply::Message),
        Ok(t::CommandReply::Card(c)) => card_json(c).map(CommandReply::Card).map_err(invalid_reply),
        Ok(t::CommandReply::Form(f)) => form_json(f).map(CommandReply::Form).map_err(invalid_reply),
        Ok(t::CommandReply::None) => Ok(CommandReply::None),
    })
}

pub(crate) async fn before_message(
    store: &mut Store<State>,
    pre: &Pre,
    body: String,
) -> Call<HookDecision> {
    let (plugin, ctx) = instance(store, pre).await?;
    let decision = plugin
        .courtyard_plugin_handlers()
        .call_before_message(&mut *store, &ctx, &body)
        .await?;
    Ok(match decision {
        t::HookDecision::Allow => Ok(HookDecision::Allow),
        t::HookDecision::Rewrite(s) => reply_text(s).map(HookDecision::Rewrite),
        t::HookDecision::Reject(s) => Ok(HookDecision::Reject(s.chars().take(500).collect())),
    })
}

pub(crate) async fn action(
    store: &mut Store<State>,
    pre: &Pre,
    input: ActionInput,
) -> Call<ActionReply> {
    let (plugin, ctx) = instance(store, pre).await?;
    let action = t::Action {
        message_id: input.message_id,
        action_id: input.action_id,
        value: input.value,
        form_values: input.form_values.map(|v| v.to_string()),
    };
    let reply = plugin
        .courtyard_plugin_handlers()
        .call_on_action(&mut *store, &ctx, &action)
        .await?;
    Ok(match reply {
        Err(e) => Err(plugin_error(e)),
        Ok(t::ActionReply::UpdateCard(c)) => card_json(c)
            .map(ActionReply::UpdateCard)
            .map_err(invalid_reply),
        Ok(t::ActionReply::Ephemeral(s)) => reply_text(s).map(ActionReply::Ephemeral),
        Ok(t::ActionReply::Form(f)) => form_json(f).map(ActionReply::Form).map_err(invalid_reply),
        Ok(t::ActionReply::None) => Ok(ActionReply::None),
    })
}

pub(crate) async fn event(
    store: &mut Store<State>,
    pre: &Pre,
    kind: String,
    data: String,
) -> Call<()> {
    let (plugin, ctx) = instance(store, pre).await?;
    let event = t::Event { kind, data };
    plugin
        .courtyard_plugin_handlers()
        .call_on_event(&mut *store, &ctx, &event)
        .await?;
    Ok(Ok(()))
}

pub(crate) async fn page(
    store: &mut Store<State>,
    pre: &Pre,
    name: String,
    query: String,
) -> Call<Page> {
    let (plugin, ctx) = instance(store, pre).await?;
    let reply = plugin
        .courtyard_plugin_handlers()
        .call_on_page(&mut *store, &ctx, &name, &query)
        .await?;
    Ok(match reply {
        Err(e) => Err(plugin_error(e)),
        Ok(page) => {
            if page.cards.len() > MAX_PAGE_CARDS {
                return Ok(Err(invalid_reply(format!(
                    "a page holds at most {MAX_PAGE_CARDS} cards"
                ))));
            }
            let title: String = page.title.chars().take(200).collect();
            page.cards
                .into_iter()
                .map(card_json)
                .collect::<Result<Vec<_>, _>>()
                .map(|cards| Page { title, cards })
                .map_err(invalid_reply)
        }
    })
}

pub(crate) async fn http(
    store: &mut Store<State>,
    pre: &Pre,
    request: api::HttpRequest,
) -> Call<api::HttpResponse> {
    let (plugin, ctx) = instance(store, pre).await?;
    let request = t::HttpRequest {
        method: request.method,
        path: request.url,
        query: request.query,
        headers: request.headers,
        body: request.body,
    };
    let response = plugin
        .courtyard_plugin_handlers()
        .call_on_http(&mut *store, &ctx, &request)
        .await?;
    if response.body.len() > MAX_HTTP_BODY {
        return Ok(Err(invalid_reply(format!(
            "a response body is at most {MAX_HTTP_BODY} bytes"
        ))));
    }
    if !(100..=599).contains(&response.status) || check_headers(&response.headers).is_err() {
        return Ok(Err(invalid_reply(
            "a response needs a status of 100-599 and at most 50 short headers".into(),
        )));
    }
    Ok(Ok(api::HttpResponse {
        status: response.status,
        headers: response.headers,
        body: response.body,
    }))
}

pub(crate) async fn timer(store: &mut Store<State>, pre: &Pre, due: TimerDue) -> Call<()> {
    let (plugin, ctx) = instance(store, pre).await?;
    let timer = t::Timer {
        id: due.id,
        name: due.name,
        scheduled: due.scheduled,
        payload: due.payload,
        due_ms: due.due_ms,
    };
    let reply = plugin
        .courtyard_plugin_handlers()
        .call_on_timer(&mut *store, &ctx, &timer)
        .await?;
    Ok(reply.map_err(plugin_error))
}

pub(crate) async fn lifecycle(store: &mut Store<State>, pre: &Pre, stage: Lifecycle) -> Call<()> {
    let (plugin, ctx) = instance(store, pre).await?;
    let stage = match stage {
        Lifecycle::Installed => t::Lifecycle::Installed,
        Lifecycle::Upgraded(from) => t::Lifecycle::Upgraded(from),
        Lifecycle::Enabled => t::Lifecycle::Enabled,
        Lifecycle::Disabled => t::Lifecycle::Disabled,
        Lifecycle::Uninstalling => t::Lifecycle::Uninstalling,
    };
    let reply = plugin
        .courtyard_plugin_handlers()
        .call_on_lifecycle(&mut *store, &ctx, &stage)
        .await?;
    Ok(reply.map_err(plugin_error))
}

pub(crate) async fn call(
    store: &mut Store<State>,
    pre: &Pre,
    caller: String,
    operation: String,
    input: String,
) -> Call<String> {
    let (plugin, ctx) = instance(store, pre).await?;
    let reply = plugin
        .courtyard_plugin_handlers()
        .call_on_call(&mut *store, &ctx, &caller, &operation, &input)
        .await?;
    Ok(match reply {
        Err(e) => Err(plugin_error(e)),
        Ok(out) if out.len() > MAX_INTEROP => Err(invalid_reply(format!(
            "an answer to another plugin is at most {MAX_INTEROP} bytes"
        ))),
        Ok(out) => Ok(out),
    })
}
